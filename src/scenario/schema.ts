/**
 * The scenario schema (docs/contract.md §2): the single source of truth for what a scenario may say.
 * Types come from it (`z.output`); units are parsed here, so the output holds plain numbers in
 * the unit each name says (ms, per second, USD). Defaults that need no other field are applied
 * here; defaults that depend on other fields are applied in `resolve.ts`.
 */
import { z } from 'zod';
import { suggest } from './errors.js';
import { MAX_TOKENS, MAX_USD } from './limits.js';
import { obj, duration, rate, size, timeOfDay, timeZone, money, feesSchema, positive, nonNegative, int, stepCount, factor, credits, probability, fraction, id, pointInTime, feature, URGENCIES, OUTCOME_KINDS, type OutcomeKind } from './schema-parts.js';
import { GROWTH_EXPECTED, INSTANT_EXPECTED, MONEY_TOO_LARGE, SIZE_EXPECTED, isUnitError, parseGrowthPerMs, parseInstantMs, parseSize } from './units.js';
import { provideStrategyRef, type AnyBuiltin, type WithRefs } from '../routing/strategies/_builtin.js';
import { BUILTINS, builtinNamed, type BuiltinStrategyName } from '../routing/strategies/builtins.js';

export { obj, whenSchema, FEATURES, URGENCIES, OUTCOME_KINDS, type Feature, type Urgency, type OutcomeKind } from './schema-parts.js';

// ---------------------------------------------------------------------------------------------
// Shared vocabularies

const failureKind = () =>
  z.enum(OUTCOME_KINDS.filter((k) => k !== 'success') as [Exclude<OutcomeKind, 'success'>, ...Exclude<OutcomeKind, 'success'>[]], {
    error: `expected a failure kind: ${OUTCOME_KINDS.slice(1).join(', ')}`,
  });

// ---------------------------------------------------------------------------------------------
// Latency (docs/contract.md §2.4)

/** A latency distribution; the drawn value is the service time of the reference request. */
export const latencySpecSchema = z.discriminatedUnion(
  'dist',
  [
    obj({ dist: z.literal('fixed'), value: duration() }),
    obj({ dist: z.literal('uniform'), min: duration(), max: duration() }),
    obj({ dist: z.literal('exponential'), mean: duration() }),
    obj({ dist: z.literal('normal'), mean: duration(), sd: duration() }),
    obj({ dist: z.literal('lognormal'), median: duration(), p99: duration() }),
    obj({ dist: z.literal('gamma'), mean: duration(), sd: duration() }),
  ],
  { error: 'expected `dist` to be one of fixed, uniform, exponential, normal, lognormal, gamma' },
);
/** A parsed latency spec (durations in ms). */
export type LatencySpec = z.output<typeof latencySpecSchema>;

// ---------------------------------------------------------------------------------------------
// Pricing (docs/contract.md §2.1)

const featureCharge = () =>
  z.union([obj({ add: nonNegative().max(MAX_USD, { error: `expected ${MONEY_TOO_LARGE}` }) }), obj({ multiply: factor() })], {
    error: 'expected `{ add: amount }` or `{ multiply: factor }`',
  });

const APPLIES_TO_EXPECTED = `expected \`all\`, an urgency (${URGENCIES.join(', ')}) or a list of urgencies`;
/** The urgencies a discount is for (no default: absent is `all`, and the parsed scenario is unchanged). */
const appliesTo = () =>
  z
    .union([z.enum(['all', ...URGENCIES]), z.array(z.enum(URGENCIES, { error: APPLIES_TO_EXPECTED })).min(1, { error: APPLIES_TO_EXPECTED })], {
      error: APPLIES_TO_EXPECTED,
    })
    .optional();

/** Modifiers that combine with any pricing model. */
const pricingModifiers = {
  resolution: obj({ reference: size(), scaling: z.enum(['linear', 'none']).default('linear') }).optional(),
  steps: obj({ included: stepCount(), scaling: z.enum(['linear', 'none']).default('linear') }).optional(),
  quality: z.record(z.string(), factor()).optional(),
  features: z.partialRecord(feature(), featureCharge()).optional(),
  offPeak: z.array(obj({ from: timeOfDay(), to: timeOfDay(), tz: timeZone(), discount: fraction(), appliesTo: appliesTo() })).optional(),
  dynamic: obj({ range: fraction() }).optional(),
  validation: obj({ price: money(), bundleDiscount: fraction().default(0), appliesTo: appliesTo() }).optional(),
  /** In a list of dated pricings: the instant this entry takes over (the first may omit it). */
  from: pointInTime().optional(),
  /** Price multipliers from instants on ("what if prices rise 20% next month"). */
  schedule: z.array(obj({ from: pointInTime(), multiply: factor(true) })).min(1, { error: 'expected at least one `{ from, multiply }`' }).optional(),
  billing: obj({
    generative: z.boolean().default(true),
    filtered: z.boolean().default(false),
    serverError: z.boolean().default(false),
    timeout: z.boolean().default(false),
    connectionReset: z.boolean().default(false),
  }).prefault({}),
};

const bundleSchema = obj({
  name: z.string().optional(),
  credits: credits(true),
  price: money(),
  expiresAfter: duration().optional(),
});

/** One pricing model plus the modifiers; `model` picks the model. */
export const pricingSchema = z.discriminatedUnion(
  'model',
  [
    obj({
      model: z.literal('per-image'),
      price: money(),
      sizes: z.record(size(), z.union([money(), z.record(z.string(), money())])).optional(),
      ...pricingModifiers,
    }),
    obj({ model: z.literal('per-step'), perStep: money(), base: money().default(0), minSteps: stepCount(0).default(0), ...pricingModifiers }),
    obj({
      model: z.literal('per-token'),
      inputPerMillion: money(),
      outputPerMillion: money(),
      outputTokens: z.record(size(), z.record(z.string(), int(0).max(MAX_TOKENS, { error: `expected a token count of at most ${MAX_TOKENS}` }))),
      ...pricingModifiers,
    }),
    obj({ model: z.literal('per-megapixel'), perMegapixel: money(), includedSteps: stepCount(), ...pricingModifiers }),
    obj({ model: z.literal('compute-time'), perSecond: money(), ...pricingModifiers }),
    obj({
      model: z.literal('credits'),
      perImage: credits(),
      creditPrice: money().optional(),
      bundles: z.array(bundleSchema).default([]),
      purchase: z.enum(['auto', 'upfront']).default('auto'),
      upfront: z.array(obj({ bundle: z.union([z.string(), int(0)]), count: int(1) })).default([]),
      // No default: a parsed scenario without it stays the same object (and hashes the same).
      rounding: z.enum(['up', 'none'], { error: 'expected `up` (whole credits per image) or `none`' }).optional(),
      ...pricingModifiers,
    }),
  ],
  { error: 'expected `model` to be one of per-image, per-step, per-token, per-megapixel, compute-time, credits' },
);
/** Parsed pricing of one provider. */
export type Pricing = z.output<typeof pricingSchema>;

/** A provider's pricing: one, or a list of dated pricings (docs/scenario-reference.md "Price schedules"). */
export const providerPricingSchema = z.union([pricingSchema, z.array(pricingSchema).min(1, { error: 'expected at least one pricing' })], {
  error: 'expected a pricing `{ model, ... }` or a list of dated pricings',
});

/**
 * The pricing in force at the scenario start: the pricing itself, or the first of a list.
 * @param pricing - a provider's pricing as parsed
 * @returns the pricing at the start
 */
export function pricingAtStart(pricing: Pricing | readonly Pricing[]): Pricing {
  return 'model' in pricing ? pricing : pricing[0]!;
}
/** The pricing model names. */
export type PricingModelName = Pricing['model'];

// ---------------------------------------------------------------------------------------------
// Providers

const tierSchema = obj({ latency: latencySpecSchema, priceMultiplier: factor(true).default(1) });

/** GPU availability a(t) (docs/contract.md §2.2). */
export const availabilitySchema = obj({
  base: probability().default(1),
  diurnal: obj({ amplitude: probability(), trough: timeOfDay(), tz: timeZone() }).optional(),
  noise: obj({ sd: nonNegative(), halfLife: duration() }).optional(),
  outages: z.array(obj({ at: pointInTime(), duration: duration() })).default([]),
  randomOutages: obj({ mtbf: duration(), mttr: duration() }).optional(),
});

/** Failure probabilities per attempt (docs/contract.md §2.3). */
export const failuresSchema = obj({
  serverError: probability().default(0),
  timeout: probability().default(0),
  generative: probability().default(0),
  filtered: probability().default(0),
  connectionReset: probability().default(0),
  malformed: probability().default(0),
  errorLatency: latencySpecSchema.optional(),
});

/**
 * Reserved capacity (extension): `slots` dedicated slots for a fixed fee per slot per `period`, with
 * work beyond them overflowing to the provider's on-demand capacity and pricing (or refused).
 */
export const reservedSchema = obj({
  slots: int(0),
  feePerSlot: money(),
  period: duration().default(30 * 86_400_000),
  partial: z.enum(['prorate', 'whole'], { error: 'expected `prorate` (bill the part of a period inside the window) or `whole`' }).default('prorate'),
  perImage: money().default(0),
  overflow: z.enum(['on-demand', 'none'], { error: 'expected `on-demand` (the provider\'s on-demand slots and pricing) or `none` (refused as overloaded)' }).default('on-demand'),
});
/** A parsed reservation. */
export type ReservedSpec = z.output<typeof reservedSchema>;

/** One provider: one model at one vendor endpoint. */
export const providerSchema = obj({
  id: id('a provider id'),
  region: z.string().default('global'),
  dialect: z.enum(['openai', 'async']).default('openai'),
  model: z.string().optional(),
  account: z.string().optional(),
  reference: obj({ size: size().default('1024x1024'), steps: stepCount().default(30) }).prefault({}),
  pricing: providerPricingSchema,
  tiers: z.record(id('a tier name'), tierSchema).refine((t) => Object.keys(t).length > 0, { error: 'expected at least one tier' }),
  latencyScaling: z.enum(['linear', 'none']).default('linear'),
  capacity: obj({ concurrency: int(1).default(64), queue: int(0).default(256) }).prefault({}),
  rateLimit: obj({ rpm: positive(), burst: int(1).optional() }).optional(),
  quota: obj({ limit: money(), period: duration().default(30 * 86_400_000) }).optional(),
  reserved: reservedSchema.optional(),
  supports: obj({
    sizes: z.array(size()).optional(),
    maxSteps: stepCount().optional(),
    features: z.array(feature()).optional(),
    qualities: z.array(z.string()).optional(),
  }).prefault({}),
  availability: availabilitySchema.prefault({}),
  failures: failuresSchema.prefault({}),
});
/** A parsed provider. */
export type ProviderSpec = z.output<typeof providerSchema>;

/**
 * A validator: a provider that checks a generated image (an LLM or vision call) and is never
 * routed to for generation. Its own price (any pricing model but `credits`: per call with
 * `per-image`, per token with `per-token`), latency tiers and failures; its latency does not
 * scale with the image's steps or size. Named by `pipeline.validator`.
 */
export const validatorSchema = obj({
  id: id('a validator id'),
  model: z.string().optional(),
  reference: obj({ size: size().default('1024x1024'), steps: stepCount().default(30) }).prefault({}),
  pricing: pricingSchema,
  tiers: z.record(id('a tier name'), tierSchema).refine((t) => Object.keys(t).length > 0, { error: 'expected at least one tier' }),
  failures: failuresSchema.prefault({}),
});
/** A parsed validator. */
export type ValidatorSpec = z.output<typeof validatorSchema>;

/**
 * Steps around generation (docs/scenario-reference.md "pipeline"): which validator checks
 * requests with `validate: true` that their generation provider does not validate itself (no
 * `pricing.validation` bundle), how many calls it may take and how long each may last.
 */
export const pipelineSchema = obj({
  validator: z.string().min(1).optional(),
  maxAttempts: int(1).default(2),
  timeout: duration().optional(),
});

// ---------------------------------------------------------------------------------------------
// Traffic (docs/contract.md §2.5)

const stepsSpec = () => z.union([stepCount(), obj({ min: stepCount(), max: stepCount() })], { error: 'expected a step count or `{ min, max }`' });

/** One request class of the synthetic mix. */
export const mixItemSchema = obj({
  name: z.string(),
  weight: nonNegative().default(1),
  size: size().default('1024x1024'),
  steps: stepsSpec().default(30),
  quality: z.string().optional(),
  features: z.array(feature()).default([]),
  validate: z.boolean().default(false),
  urgency: z.enum(URGENCIES).default('interactive'),
  deadline: duration().optional(),
  project: z.string().optional(),
  tier: z.string().optional(),
  promptWords: obj({ min: int(1), max: int(1) }).optional(),
});
/** A parsed mix item. */
export type MixItem = z.output<typeof mixItemSchema>;

/** Row fields a trace column mapping may name: the row fields, plus `count` and `until` for aggregated logs. */
export const TRACE_FIELDS = [
  'at',
  'size',
  'steps',
  'quality',
  'features',
  'urgency',
  'deadline',
  'project',
  'prompt',
  'promptChars',
  'tier',
  'validate',
  'count',
  'until',
] as const;
/** A trace row field. */
export type TraceField = (typeof TRACE_FIELDS)[number];
/** Ready-made column mappings for request logs of well-known tools (defined in `traffic/trace-columns.ts`). */
export const TRACE_COLUMN_PRESETS = ['litellm', 'openai-usage'] as const;
/** A ready-made column mapping name. */
export type TraceColumnPreset = (typeof TRACE_COLUMN_PRESETS)[number];
/** How trace timestamps are written: `auto` is the plain trace format (ISO with a zone, or an offset after start). */
export const TIME_FORMATS = ['auto', 'iso', 'unix-s', 'unix-ms'] as const;
/** A timestamp format. */
export type TimeFormat = (typeof TIME_FORMATS)[number];

const COLUMN_REF_EXPECTED = 'expected a column name, or a path into a JSON column such as `metadata.size`, optionally ending in `?` when rows may lack it';
const columnRef = () =>
  z.string({ error: COLUMN_REF_EXPECTED }).regex(/^[^?\s][^?]*\??$/, { error: COLUMN_REF_EXPECTED });

/** A column mapping: which column (or JSON path) holds each row field. */
export const traceColumnsSchema = obj({
  at: columnRef().optional(),
  size: columnRef().optional(),
  steps: columnRef().optional(),
  quality: columnRef().optional(),
  features: columnRef().optional(),
  urgency: columnRef().optional(),
  deadline: columnRef().optional(),
  project: columnRef().optional(),
  prompt: columnRef().optional(),
  promptChars: columnRef().optional(),
  tier: columnRef().optional(),
  validate: columnRef().optional(),
  count: columnRef().optional(),
  until: columnRef().optional(),
});
/** A parsed column mapping. */
export type TraceColumns = z.output<typeof traceColumnsSchema>;

const presetName = () =>
  z.string().refine((s) => (TRACE_COLUMN_PRESETS as readonly string[]).includes(s), {
    error: (issue) => {
      const near = typeof issue.input === 'string' ? suggest(issue.input, TRACE_COLUMN_PRESETS) : undefined;
      return `unknown column mapping \`${String(issue.input)}\`; ${near ? `did you mean \`${near}\`?` : `ready-made mappings are ${TRACE_COLUMN_PRESETS.join(', ')}`}`;
    },
  }) as unknown as z.ZodType<TraceColumnPreset, string>;

/** A trace to replay: a path, or a path with format, error handling, column mapping and time format. */
export const traceSchema = z.union([
  z.string().min(1),
  obj({
    file: z.string().min(1),
    format: z.enum(['jsonl', 'csv']).optional(),
    onBadRow: z.enum(['fail', 'skip']).default('fail'),
    columns: z
      .union([presetName(), traceColumnsSchema], {
        error: `expected a ready-made mapping (${TRACE_COLUMN_PRESETS.join(', ')}) or a mapping such as \`{ at: timestamp, size: image_size }\``,
      })
      .optional(),
    timeFormat: z.enum(TIME_FORMATS, { error: `expected a time format: ${TIME_FORMATS.join(', ')}` }).optional(),
  }),
]);

/** Synthetic arrivals. */
export const arrivalsSchema = obj({
  process: z.enum(['poisson', 'uniform']).default('poisson'),
  rate: rate(),
  pattern: obj({
    diurnal: obj({ amplitude: fraction(), peak: timeOfDay(), tz: timeZone() }).optional(),
    weekly: obj({ weekend: nonNegative() }).optional(),
    growth: z
      .string({ error: `expected ${GROWTH_EXPECTED}` })
      .transform((v, ctx) => {
        const out = parseGrowthPerMs(v);
        if (isUnitError(out)) {
          ctx.issues.push({ code: 'custom', message: `expected ${out.error}`, input: v });
          return z.NEVER;
        }
        return out;
      })
      .optional(),
    bursts: z.array(obj({ at: pointInTime(), duration: duration(), multiplier: nonNegative() })).default([]),
  }).prefault({}),
});

/** Traffic: arrivals and a mix, or a trace. */
export const trafficSchema = obj({
  arrivals: arrivalsSchema.optional(),
  mix: z.array(mixItemSchema).optional(),
  trace: traceSchema.optional(),
});

// ---------------------------------------------------------------------------------------------
// Strategies (docs/contract.md §2.6)

/** Every built-in's descriptor (src/routing/strategies/builtins.ts); the union below is built from it. */
export { BUILTINS, type BuiltinStrategyName };

/** Names of the built-in strategies usable as a bare name (binding). */
export const BUILTIN_STRATEGIES: readonly BuiltinStrategyName[] = BUILTINS.filter((b) => !isGateway(b)).map((b) => b.name);
/** Built-ins that emulate a gateway from its own config file: only `{ use, config }`, no bare name. */
export const GATEWAY_STRATEGIES: readonly BuiltinStrategyName[] = BUILTINS.filter(isGateway).map((b) => b.name);
/** Every `use:` value. */
const USE_NAMES: readonly string[] = [...BUILTIN_STRATEGIES, ...GATEWAY_STRATEGIES];

function isGateway(b: AnyBuiltin): boolean {
  return b.gatewayConfig !== undefined;
}

const strategyName = () =>
  z.string().refine((s) => (BUILTIN_STRATEGIES as readonly string[]).includes(s), {
    error: (issue) => {
      const input = String(issue.input);
      const gateway = builtinNamed(input)?.gatewayConfig;
      if (gateway !== undefined) return `strategy \`${input}\` needs its gateway config: \`{ use: ${input}, config: ${gateway} }\``;
      const near = typeof issue.input === 'string' ? suggest(issue.input, BUILTIN_STRATEGIES) : undefined;
      return `unknown strategy \`${input}\`${near ? `; did you mean \`${near}\`?` : `; built-ins are ${BUILTIN_STRATEGIES.join(', ')}`}`;
    },
  });

/** The schemas of the built-ins, as the tuple `z.discriminatedUnion` wants. */
type SchemasOf<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] extends { readonly schema: infer S } ? S : never };

/** A built-in strategy with options: the union of every built-in's schema, by `use`. */
export const builtinStrategySchema = z.discriminatedUnion('use', BUILTINS.map((b) => b.schema) as SchemasOf<typeof BUILTINS>, {
  error: (issue) => {
    const use = (issue.input as { use?: unknown } | undefined)?.use;
    const near = typeof use === 'string' ? suggest(use, USE_NAMES) : undefined;
    return `unknown strategy \`${String(use)}\`; ${near ? `did you mean \`${near}\`?` : `built-ins are ${USE_NAMES.join(', ')}`}`;
  },
});

/** A strategy loaded from a TypeScript or JavaScript file (path relative to the scenario). */
export const fileStrategySchema = obj({
  file: z.string().min(1),
  name: z.string().min(1).optional(),
  options: z.record(z.string(), z.unknown()).default({}),
  fees: feesSchema().optional(),
});

/** A strategy reference: a built-in name, a built-in with options, or a file. */
export const strategyRefSchema: z.ZodType<StrategyRef, StrategyRefInput> = z.union(
  [strategyName(), builtinStrategySchema, fileStrategySchema],
  { error: 'expected a built-in strategy name, `{ use: name, ... }` or `{ file: path, ... }`' },
) as unknown as z.ZodType<StrategyRef, StrategyRefInput>;
provideStrategyRef(strategyRefSchema);

/** A parsed built-in strategy with options (the type of the union above). */
export type BuiltinStrategySpec = WithRefs<z.output<typeof builtinStrategySchema>>;
/** A parsed file strategy. */
export type FileStrategySpec = z.output<typeof fileStrategySchema>;
/** A parsed strategy reference. */
export type StrategyRef = string | BuiltinStrategySpec | FileStrategySpec;
/** A strategy reference as written in YAML (loose: the schema checks it). */
export type StrategyRefInput = string | Record<string, unknown>;
/** Conditions of a `conditional` rule. */
export type { WhenSpec } from './schema-parts.js';
/** OpenRouter `provider` preferences as parsed (prices in USD, latency cutoffs in ms). */
export type { OpenRouterPreferences } from '../routing/strategies/openrouter.js';

// ---------------------------------------------------------------------------------------------
// Policy, SLO, budget, thresholds

/** How a ranked candidate list is executed (defaults per docs/contract.md §2.6). */
export const policySchema = obj({
  timeout: duration().default(60_000),
  maxAttempts: int(1).default(3),
  retryOn: z.array(failureKind()).default(['server-error', 'timeout', 'rate-limited', 'overloaded', 'generative', 'connection-reset']),
  backoff: obj({
    initial: duration().default(200),
    max: duration().default(5_000),
    multiplier: positive().default(2),
    jitter: z.boolean().default(true),
  }).prefault({}),
  circuitBreaker: obj({ failures: int(1), window: duration(), cooldown: duration() }).optional(),
});
/** A parsed policy. */
export type Policy = z.output<typeof policySchema>;

const latencyBound = () => duration().optional();

/** Service-level objectives per urgency class. */
export const sloSchema = obj({
  interactive: obj({ p50: latencyBound(), p90: latencyBound(), p95: latencyBound(), p99: latencyBound() }).optional(),
  batch: obj({ deadline: latencyBound(), p95: latencyBound() }).optional(),
});

/** Spend budget with alerts. */
export const budgetSchema = obj({
  limit: money(),
  period: duration().default(30 * 86_400_000),
  perProject: z.record(z.string(), money()).default({}),
  alerts: z.array(positive()).default([0.5, 0.8, 1]),
  onExhausted: z.enum(['reject', 'allow']).default('reject'),
  // Only http(s): a `file:`, `ftp:` or `javascript:` URL is never a receiver to POST alerts to.
  webhook: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
});

/** One CI gate. */
export const thresholdSchema = obj({
  // Any numeric path of a strategy's report; checked against the report's schema and the
  // scenario's names in check.ts (metric-paths.ts).
  metric: z.string().min(1),
  max: z.number().optional(),
  min: z.number().optional(),
  strategy: z.string().optional(),
});

// ---------------------------------------------------------------------------------------------
// The scenario

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Live mode: what `imgsim live` sends with every attempt besides the request (extension).
 * `headers` values are strings, or objects sent as their JSON text (a gateway config such as
 * Portkey's `x-portkey-config` written as YAML); `--header` adds to them and wins.
 */
export const liveSchema = obj({
  headers: z
    .record(
      z.string().regex(HEADER_NAME, { error: 'expected an HTTP header name such as x-portkey-config' }),
      z.union([z.string(), z.record(z.string(), z.unknown())], { error: 'expected a header value: a string, or an object (sent as JSON)' }),
    )
    .default({}),
});

/** A whole scenario file, `version: 1`. */
export const scenarioSchema = obj({
  $schema: z.string().optional(),
  version: z.literal(1, { error: 'expected `version: 1`' }),
  name: z
    .string({ error: 'expected a name: letters, digits, dot, dash and underscore' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'expected a name: letters, digits, dot, dash and underscore' }),
  description: z.string().optional(),
  seed: int(0).default(1),
  start: z
    .string({ error: `expected ${INSTANT_EXPECTED}` })
    .transform((v, ctx) => {
      const ms = parseInstantMs(v);
      if (isUnitError(ms)) {
        ctx.issues.push({ code: 'custom', message: `expected ${ms.error}`, input: v });
        return z.NEVER;
      }
      return ms;
    })
    .prefault('2026-01-01T00:00:00Z'),
  duration: duration().prefault('24h'),
  auth: obj({ keys: z.array(z.string().min(1)).min(1) }).optional(),
  live: liveSchema.optional(),
  providers: z.array(providerSchema).min(1, { error: 'expected at least one provider' }),
  validators: z.array(validatorSchema).optional(),
  pipeline: pipelineSchema.optional(),
  traffic: trafficSchema,
  strategies: z.array(strategyRefSchema).min(1).default(['cheapest']),
  policy: policySchema.prefault({}),
  slo: sloSchema.default({}),
  budget: budgetSchema.optional(),
  thresholds: z.array(thresholdSchema).default([]),
});

/** A scenario as parsed (units converted, simple defaults applied). */
export type Scenario = z.output<typeof scenarioSchema>;
/** A scenario as written. */
export type ScenarioInput = z.input<typeof scenarioSchema>;

/** Every size-like string is parsed with this; re-exported for resolve. */
export { parseSize, SIZE_EXPECTED };
