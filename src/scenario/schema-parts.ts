/**
 * Internal building blocks of the scenario schema: unit-parsing field schemas, strict objects,
 * the shared vocabularies (features, urgencies) and request conditions. They live apart from
 * `schema.ts` so that built-in strategy descriptors (src/routing/strategies/) can build their
 * option schemas from them without importing `schema.ts`, which imports those descriptors.
 */
import { z } from 'zod';
import { FEATURES, URGENCIES } from '../model/request.js';
import { suggest } from './errors.js';
import { MAX_CREDITS, MAX_FACTOR, MAX_STEPS } from './limits.js';
import {
  DURATION_EXPECTED,
  DURATION_PATTERN,
  INSTANT_EXPECTED,
  MONEY_EXPECTED,
  PERCENT_EXPECTED,
  PERCENT_PATTERN,
  RATE_EXPECTED,
  RATE_PATTERN,
  SIZE_EXPECTED,
  SIZE_PATTERN,
  SIZE_TOO_LARGE,
  TIME_OF_DAY_EXPECTED,
  TIME_OF_DAY_PATTERN,
  isTimeZone,
  isUnitError,
  parseAtMs,
  parseDurationMs,
  parseMoneyUsd,
  parsePercent,
  parseRatePerSec,
  parseSize,
  parseTimeOfDay,
  type Parsed,
} from './units.js';

/**
 * A strict object: unknown keys are errors, each reported with the nearest valid name.
 * The message holds one line per unknown key, in the order of `issue.keys`, so the loader can
 * place each at its own key in the file.
 */
export function obj<T extends z.ZodRawShape>(shape: T) {
  const names = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      return issue.keys
        .map((key) => {
          const near = suggest(key, names);
          const hint = near === undefined ? `valid keys are ${names.join(', ')}` : `did you mean \`${near}\`?`;
          return `unknown key \`${key}\`; ${hint}`;
        })
        .join('\n');
    },
  });
}

/** A zod transform by a unit parser: its value, or its error as an issue at the value. */
export function parsedBy<T>(parse: (v: unknown) => Parsed<T>) {
  return (v: unknown, ctx: z.core.$RefinementCtx): T => {
    const out = parse(v);
    if (isUnitError(out)) {
      ctx.issues.push({ code: 'custom', message: `expected ${out.error}`, input: v });
      return z.NEVER;
    }
    return out;
  };
}

/** A unit field: a string matching `pattern` (or, when `numeric`, a number >= 0) parsed by `parse`. */
export function unit<T>(pattern: string, expected: string, parse: (v: unknown) => Parsed<T>, numeric = true) {
  const str = z.string().regex(new RegExp(pattern), { error: `expected ${expected}` });
  const num = z.number({ error: `expected ${expected}` }).nonnegative({ error: `expected ${expected}` });
  const input = numeric ? z.union([num, str], { error: `expected ${expected}` }) : str;
  return input.transform(parsedBy(parse));
}

/**
 * One schema per argument list: a field factory below builds its schema on the first call and
 * returns that one after. Zod schemas are immutable (`.optional()`, `.default()`, `.max()` make
 * new ones around or from them), so the scenario's many fields of one kind can share it, and
 * importing the schema builds each kind once rather than once per field.
 * @param make - builds the schema for an argument list
 * @returns the memoised factory
 */
function shared<A extends unknown[], T>(make: (...args: A) => T): (...args: A) => T {
  const made = new Map<string, T>();
  return (...args) => {
    const key = JSON.stringify(args);
    let schema = made.get(key);
    if (schema === undefined) {
      schema = make(...args);
      made.set(key, schema);
    }
    return schema;
  };
}

/** A duration: `500ms`, `2s`, `5m`, `1h`, `30d`, or a number of milliseconds. Output: ms. */
export const duration = shared(() => unit(DURATION_PATTERN, DURATION_EXPECTED, parseDurationMs));
/** A rate: `20/s`, `1200/m`, or a number per second. Output: per second. */
export const rate = shared(() => unit(RATE_PATTERN, RATE_EXPECTED, parseRatePerSec));
/** A size `WxH`, kept as the string (it is also a record key and a label). */
export const size = shared(() =>
  z
    .string({ error: `expected ${SIZE_EXPECTED}` })
    .regex(new RegExp(SIZE_PATTERN), { error: `expected ${SIZE_EXPECTED}` })
    .refine((v) => { const p = parseSize(v); return !isUnitError(p) || p.error !== SIZE_TOO_LARGE; }, { error: `expected ${SIZE_TOO_LARGE}` }));
/** A time of day `HH:MM`. Output: minutes after midnight. */
export const timeOfDay = shared(() =>
  z
    .string({ error: `expected ${TIME_OF_DAY_EXPECTED}` })
    .regex(new RegExp(TIME_OF_DAY_PATTERN), { error: `expected ${TIME_OF_DAY_EXPECTED}` })
    .transform((v) => parseTimeOfDay(v) as number));
/** An IANA time zone, checked against the runtime's zone database. */
export const timeZone = shared(() =>
  z
    .string()
    .refine(isTimeZone, { error: 'expected an IANA time zone such as "UTC", "America/New_York" or "Europe/Berlin"' })
    .default('UTC'));
/** Money in USD: a number or `"$0.04"`. Output: USD. */
export const money = shared(() =>
  z
    .union([z.number().nonnegative(), z.string().regex(/^\s*\$?\s*(\d+(\.\d+)?|\.\d+)\s*(USD)?\s*$/i, { error: `expected ${MONEY_EXPECTED}` })], {
      error: `expected ${MONEY_EXPECTED}`,
    })
    .transform(parsedBy(parseMoneyUsd)));
/** A percentage `"5.5%"`, or a fraction below 1 (0.055). Output: the fraction. */
export const percentage = shared(() => unit(PERCENT_PATTERN, PERCENT_EXPECTED, parsePercent));

/**
 * A gateway's fees on top of the providers' prices, on a strategy entry (docs/gateways.md#fees):
 * parsed into the model's `FeeSchedule` (src/model/pricing/fees.ts).
 */
export const feesSchema = shared(() =>
  obj({
    markup: percentage().optional(),
    perGeneration: money().optional(),
    perMillionTokens: money().optional(),
    monthly: money().optional(),
    creditPurchase: obj({
      percent: percentage(),
      fixed: money().default(0),
      minimum: money().default(0),
      topUp: money().refine((usd) => usd > 0, { error: 'expected a top-up of more than $0' }),
    }).optional(),
  }).meta({ id: 'fees', description: "A gateway's fees on top of the providers' prices (docs/gateways.md#fees)." }),
);

/** A number > 0. */
export const positive = shared(() => z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' }));
/** A number >= 0. */
export const nonNegative = shared(() => z.number({ error: 'expected a number >= 0' }).nonnegative({ error: 'expected a number >= 0' }));
/** A whole number >= min. */
export const int = shared((min: number) =>
  z.number({ error: `expected a whole number >= ${min}` }).int({ error: `expected a whole number >= ${min}` }).min(min, {
    error: `expected a whole number >= ${min}`,
  }));
/** A step count from `min` (1 when not given) to {@link MAX_STEPS}. */
export const stepCount = shared((min?: number) => int(min ?? 1).max(MAX_STEPS, { error: `expected a step count of at most ${MAX_STEPS}` }));
/** A factor >= 0 (`positive`: > 0) of at most {@link MAX_FACTOR}: price multipliers. */
export const factor = shared((positiveOnly?: boolean) => (positiveOnly ? positive() : nonNegative()).max(MAX_FACTOR, { error: `expected a factor of at most ${MAX_FACTOR}` }));
/** An amount of credits (`positive`: > 0) of at most {@link MAX_CREDITS}. */
export const credits = shared((positiveOnly?: boolean) => (positiveOnly ? positive() : nonNegative()).max(MAX_CREDITS, { error: `expected an amount of credits of at most ${MAX_CREDITS}` }));
/** A probability in [0, 1]. */
export const probability = shared(() =>
  z.number({ error: 'expected a probability between 0 and 1' }).min(0, { error: 'expected a probability between 0 and 1' }).max(1, {
    error: 'expected a probability between 0 and 1',
  }));
/** A fraction in [0, 1) used for discounts. */
export const fraction = shared(() =>
  z.number({ error: 'expected a fraction between 0 and 1' }).min(0, { error: 'expected a fraction between 0 and 1' }).max(1, {
    error: 'expected a fraction between 0 and 1',
  }));
/** A name used as an id: lower-case letters, digits and dashes. */
export const id = shared((what: string) =>
  z
    .string({ error: `expected ${what}: lower-case letters, digits and dashes` })
    .regex(/^[a-z0-9][a-z0-9-]*$/, { error: `expected ${what}: lower-case letters, digits and dashes` }));
/** A point in simulated time: an ISO instant or a duration after `start`; resolved later. */
export const pointInTime = shared(() =>
  z.union([z.number().nonnegative(), z.string()]).refine((v) => !isUnitError(parseAtMs(v, 0)), {
    error: `expected ${INSTANT_EXPECTED}, or ${DURATION_EXPECTED} after start`,
  }));

// The features and urgencies are the request model's (model/request.ts): modules that need only
// the lists, such as the trace reader and the pricing on the oracle's thread, need not load zod.
export { FEATURES, URGENCIES, type Feature, type Urgency } from '../model/request.js';
/** A feature field. */
export const feature = shared(() => z.enum(FEATURES, { error: `expected a feature: ${FEATURES.join(', ')}` }));

/** Outcome kinds of one attempt (docs/contract.md §2.3); used in reports, policy and strategies. */
export const OUTCOME_KINDS = [
  'success',
  'server-error',
  'timeout',
  'generative',
  'filtered',
  'rate-limited',
  'overloaded',
  'connection-reset',
] as const;
/** An attempt outcome kind. */
export type OutcomeKind = (typeof OUTCOME_KINDS)[number];

/** Conditions on a request's attributes (`conditional` rules, `litellm` model rules). */
export const whenSchema = obj({
  urgency: z.enum(URGENCIES).optional(),
  project: z.union([z.string(), z.array(z.string())]).optional(),
  size: z.union([size(), z.array(size())]).optional(),
  quality: z.string().optional(),
  feature: feature().optional(),
  validate: z.boolean().optional(),
  tier: z.string().optional(),
  minSteps: int(1).optional(),
  maxSteps: int(1).optional(),
});
/** Conditions of a `conditional` rule or a `litellm` model rule. */
export type WhenSpec = z.output<typeof whenSchema>;
