/**
 * Resolution: a parsed scenario in, a `ResolvedScenario` out, with every default that depends
 * on another field applied here (and only here), times made absolute, and paths made relative
 * to the scenario file. The engine and the models read resolved values only and never check
 * for `undefined` where a default exists.
 */
import path from 'node:path';
import { FEATURES, pricingAtStart, type Feature, type Pricing, type ProviderSpec, type Scenario, type TimeFormat, type TraceColumnPreset, type TraceColumns, type ValidatorSpec } from './schema.js';
import { parseAtMs, parseSize, type Size } from './units.js';

/** A time span in epoch ms, [startMs, endMs). */
export interface Span {
  readonly startMs: number;
  readonly endMs: number;
}

/** A provider's tier with its name. */
export interface ResolvedTier {
  readonly name: string;
  readonly latency: ProviderSpec['tiers'][string]['latency'];
  readonly priceMultiplier: number;
}

/** A provider with defaults that depend on other fields applied. */
/** One instant of a price schedule: from it on, entry `entry` of the pricing list, × `multiply`. */
export interface PriceBreak {
  /** Epoch ms; -Infinity for the first (in force from the start, and before). */
  readonly fromMs: number;
  /** Index in {@link PriceSchedule.entries}. */
  readonly entry: number;
  readonly multiply: number;
  /** What is in force, for a quote: `pricing[1] from 2026-09-01T00:00:00.000Z, schedule[0] ×1.2 from ...`. */
  readonly label: string;
}

/** A provider's prices over time: the dated pricings and every instant where the price in force changes. */
export interface PriceSchedule {
  /** The pricings of the list (one for the `schedule` multiplier form); `entries[0]` is `pricing`. */
  readonly entries: readonly Pricing[];
  /** Sorted by `fromMs`, the first at -Infinity. */
  readonly breaks: readonly PriceBreak[];
}

/** A provider with defaults that depend on other fields applied. */
export interface ResolvedProvider extends Omit<ProviderSpec, 'account' | 'availability' | 'supports' | 'pricing'> {
  /** The pricing in force at the start (the first of a list of dated pricings). */
  readonly pricing: Pricing;
  /** Present only when the price changes over time (a list of dated pricings, or a `schedule`). */
  readonly priceSchedule?: PriceSchedule;
  /** What the provider serves; `features` defaults to the features its pricing prices. */
  readonly supports: Omit<ProviderSpec['supports'], 'features'> & { readonly features: readonly Feature[] };
  /** Account id; providers sharing it share the rate limit, quota and credits. Defaults to `id`. */
  readonly account: string;
  /** Position in the scenario's provider list. */
  readonly index: number;
  readonly referenceSize: Size;
  /** Tiers in the order written; the first is the default. */
  readonly tierList: readonly ResolvedTier[];
  readonly defaultTier: string;
  readonly availability: Omit<ProviderSpec['availability'], 'outages'> & { readonly outages: readonly Span[] };
}

/** Credits pricing, narrowed. */
export type CreditsPricing = Extract<Pricing, { model: 'credits' }>;

/** A trace to replay, resolved to an absolute path and a format. */
export interface ResolvedTrace {
  readonly file: string;
  readonly format: 'jsonl' | 'csv';
  readonly onBadRow: 'fail' | 'skip';
  /**
   * Which columns hold the row fields: a ready-made mapping's name or a mapping; left out,
   * every field is read from the column named after it.
   */
  readonly columns?: TraceColumnPreset | TraceColumns;
  /** How `at` and `until` are written; left out, the ready-made mapping's format, else `auto`. */
  readonly timeFormat?: TimeFormat;
}

/** Arrivals with bursts as absolute spans. */
export type ResolvedArrivals = Omit<NonNullable<Scenario['traffic']['arrivals']>, 'pattern'> & {
  readonly pattern: Omit<NonNullable<Scenario['traffic']['arrivals']>['pattern'], 'bursts'> & {
    readonly bursts: readonly (Span & { readonly multiplier: number })[];
  };
};

/** Traffic: either synthetic (arrivals and mix) or a trace. */
export type ResolvedTraffic =
  | { readonly kind: 'synthetic'; readonly arrivals: ResolvedArrivals; readonly mix: Scenario['traffic']['mix'] & object }
  | { readonly kind: 'trace'; readonly trace: ResolvedTrace };

/**
 * The validation step (`pipeline` and `validators`): the validator, as a provider the
 * generation routing never sees, how many calls a request may make to it and their timeout.
 */
export interface ResolvedPipeline {
  readonly validator: ResolvedProvider;
  readonly maxAttempts: number;
  readonly timeoutMs: number;
}

/** A scenario ready for the models and the engine. */
export interface ResolvedScenario extends Omit<Scenario, 'providers' | 'traffic' | 'start' | 'duration' | 'validators' | 'pipeline'> {
  /** The scenario file as given, or `<inline>`. */
  readonly file: string;
  /** Folder that relative paths are resolved against. */
  readonly dir: string;
  readonly startMs: number;
  readonly durationMs: number;
  readonly endMs: number;
  readonly providers: readonly ResolvedProvider[];
  readonly traffic: ResolvedTraffic;
  /** Validators in the order written (absent when the scenario has none). */
  readonly validators?: readonly ResolvedProvider[];
  /** The validation step: absent without validators, when validation costs what the providers' pricing says. */
  readonly pipeline?: ResolvedPipeline;
}

/**
 * Applies the defaults that depend on other fields. Assumes the scenario passed validation
 * (`check.ts`), so lookups it relies on succeed.
 * @param scenario - parsed scenario
 * @param file - the scenario file (for messages and relative paths)
 * @returns the resolved scenario
 */
export function resolveScenario(scenario: Scenario, file: string): ResolvedScenario {
  const dir = file === '<inline>' ? process.cwd() : path.dirname(path.resolve(file));
  const startMs = scenario.start;
  const at = (v: string | number): number => parseAtMs(v, startMs) as number;
  const providers = scenario.providers.map((p, index): ResolvedProvider => {
    const tierList = Object.entries(p.tiers).map(([name, t]) => ({ name, latency: t.latency, priceMultiplier: t.priceMultiplier }));
    const pricing = pricingAtStart(p.pricing);
    const schedule = priceSchedule(p.pricing, at);
    return {
      ...p,
      pricing,
      ...(schedule === undefined ? {} : { priceSchedule: schedule }),
      account: p.account ?? p.id,
      index,
      supports: { ...p.supports, features: p.supports.features ?? (Object.keys(pricing.features ?? {}) as Feature[]) },
      referenceSize: parseSize(p.reference.size) as Size,
      tierList,
      defaultTier: tierList[0]!.name,
      availability: {
        ...p.availability,
        outages: p.availability.outages.map((o) => ({ startMs: at(o.at), endMs: at(o.at) + o.duration })),
      },
    };
  });
  const { arrivals, mix, trace } = scenario.traffic;
  let traffic: ResolvedTraffic;
  if (trace !== undefined) {
    const spec = typeof trace === 'string' ? { file: trace, onBadRow: 'fail' as const } : trace;
    const abs = path.resolve(dir, spec.file);
    const format = 'format' in spec && spec.format ? spec.format : abs.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl';
    traffic = {
      kind: 'trace',
      trace: {
        file: abs,
        format,
        onBadRow: spec.onBadRow,
        ...('columns' in spec && spec.columns !== undefined ? { columns: spec.columns } : {}),
        ...('timeFormat' in spec && spec.timeFormat !== undefined ? { timeFormat: spec.timeFormat } : {}),
      },
    };
  } else {
    const a = arrivals!;
    traffic = {
      kind: 'synthetic',
      arrivals: {
        ...a,
        pattern: {
          ...a.pattern,
          bursts: a.pattern.bursts.map((b) => ({ startMs: at(b.at), endMs: at(b.at) + b.duration, multiplier: b.multiplier })),
        },
      },
      // A batch class without a deadline of its own has the SLO's batch deadline.
      mix: mix!.map((m) =>
        m.urgency === 'batch' && m.deadline === undefined && scenario.slo.batch?.deadline !== undefined
          ? { ...m, deadline: scenario.slo.batch.deadline }
          : m,
      ),
    };
  }
  const { validators: validatorSpecs, pipeline, ...rest } = scenario;
  const validators = validatorSpecs?.map((v, i) => resolveValidator(v, providers.length + i, startMs));
  const validator = validators?.find((v) => v.id === pipeline?.validator) ?? validators?.[0];
  return {
    ...rest,
    ...(validators === undefined ? {} : { validators }),
    ...(validator === undefined
      ? {}
      : { pipeline: { validator, maxAttempts: pipeline?.maxAttempts ?? 2, timeoutMs: pipeline?.timeout ?? scenario.policy.timeout } }),
    file,
    dir,
    startMs,
    durationMs: scenario.duration,
    endMs: startMs + scenario.duration,
    providers,
    traffic,
  };
}

/**
 * The breaks of a provider's price schedule: each entry of a list of dated pricings from its
 * `from` (the first from the start) to the next entry's, and within it, each of the entry's
 * `schedule` multipliers from its own `from` (one dated before the entry's start is in force
 * at that start; one dated at or after the next entry's start never is).
 * @param pricing - the provider's pricing as parsed
 * @param at - resolves a point in time to epoch ms
 * @returns the schedule, or undefined for a price that does not change over time
 */
function priceSchedule(pricing: Pricing | readonly Pricing[], at: (v: string | number) => number): PriceSchedule | undefined {
  const entries: readonly Pricing[] = Array.isArray(pricing) ? pricing : [pricing as Pricing];
  if (entries.length === 1 && entries[0]!.schedule === undefined) return undefined;
  const starts = entries.map((e, j) => (j === 0 || e.from === undefined ? -Infinity : at(e.from)));
  const breaks: PriceBreak[] = [];
  const iso = (ms: number): string => (ms === -Infinity ? 'the start' : new Date(ms).toISOString());
  entries.forEach((e, j) => {
    const start = starts[j]!;
    const end = starts[j + 1] ?? Infinity;
    const name = Array.isArray(pricing) ? `pricing[${j}] from ${iso(start)}` : 'pricing';
    const items = (e.schedule ?? []).map((s, i) => ({ fromMs: at(s.from), multiply: s.multiply, label: `schedule[${i}] ×${s.multiply} from ${iso(at(s.from))}` }));
    let first = { fromMs: start, entry: j, multiply: 1, label: name };
    for (const item of items) if (item.fromMs <= start) first = { fromMs: start, entry: j, multiply: item.multiply, label: `${name}, ${item.label}` };
    breaks.push(first);
    for (const item of items) if (item.fromMs > start && item.fromMs < end) breaks.push({ fromMs: item.fromMs, entry: j, multiply: item.multiply, label: `${name}, ${item.label}` });
  });
  return { entries, breaks };
}

/**
 * A validator as a provider the engine and pricing read: any feature and size (its pricing
 * tables may still refuse one), latency that does not scale with the image, no limits, always up.
 * @param v - the parsed validator
 * @param index - its place after the providers (the report lists it after them)
 * @param startMs - the scenario start, for its `schedule`
 * @returns the resolved validator
 */
function resolveValidator(v: ValidatorSpec, index: number, startMs: number): ResolvedProvider {
  const tierList = Object.entries(v.tiers).map(([name, t]) => ({ name, latency: t.latency, priceMultiplier: t.priceMultiplier }));
  const schedule = priceSchedule(v.pricing, (x) => parseAtMs(x, startMs) as number);
  return {
    ...v,
    ...(schedule === undefined ? {} : { priceSchedule: schedule }),
    region: 'global',
    dialect: 'openai',
    account: v.id,
    index,
    latencyScaling: 'none',
    capacity: { concurrency: Number.MAX_SAFE_INTEGER, queue: 0 },
    supports: { features: FEATURES },
    referenceSize: parseSize(v.reference.size) as Size,
    tierList,
    defaultTier: tierList[0]!.name,
    availability: { base: 1, outages: [] },
  };
}
