/**
 * The shape of `report.json` (docs/contract.md §5), once: the report's types are inferred from
 * this schema (report-types.ts re-exports them), src/report/json.ts writes the keys in the
 * order declared here and checks a baseline report against it. Adding a field is adding it
 * here, where it should appear in report.json (and describing it in docs/report.md); a field
 * older reports lack must still read from them: give it a default (`extNum`, `.default({})`)
 * or make it `.optional()`.
 *
 * How the schema reads a file (`parseReport`), and how it orders what it writes:
 * - An object's keys are written in the order declared; a record's (`z.record`) sorted.
 * - Every number may be `null`, how a NaN or ±Infinity is written; it reads back as NaN.
 * - Fields marked *extension* are imgsim's additions (docs/report.md): a report without them
 *   (an older or a foreign one) still reads, with 0 or empty in their place; `regret` and
 *   `oracle` stay absent.
 * - Keys the schema does not know are dropped when reading.
 */
import { z } from 'zod';
import { URGENCIES, type Urgency } from '../scenario/schema-parts.js';

/** A number; `null` (NaN or ±Infinity as written) reads as NaN. */
const num = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

/** An extension number: absent reads as 0. */
const extNum = num.default(0);

/** A record keyed by ids or names (providers, projects, accounts, outcome kinds, reasons). */
const byName = <T extends z.ZodType>(value: T) => z.record(z.string(), value);

/**
 * An extension record keyed by urgency class, in the order of `URGENCIES` (interactive, batch):
 * an object with one optional key per class, so it is written in that order; absent reads as `{}`.
 */
function byUrgency<T extends z.ZodType>(value: T) {
  const shape = Object.fromEntries(URGENCIES.map((u) => [u, value.optional()])) as Record<Urgency, z.ZodOptional<T>>;
  return z.object(shape).default({});
}

/** One group's SLO figures: requests that ended, those within their bound, the fraction. */
const groupSloSchema = z.object({ requests: num, attained: num, attainment: num.optional() });

/** A latency CDF: [ms, fraction] points in increasing order. */
const cdfSchema = z.array(z.tuple([num, num], { error: 'expected an [ms, fraction] pair' }));

/** Like {@link byUrgency}, absent when an older report lacks it (per-class fields came later). */
function optionalByUrgency<T extends z.ZodType>(value: T) {
  const shape = Object.fromEntries(URGENCIES.map((u) => [u, value.optional()])) as Record<Urgency, z.ZodOptional<T>>;
  return z.object(shape).optional();
}

/** Latency summary of succeeded requests, ms. */
export const latencySummarySchema = z.object({
  mean: num,
  p50: num,
  p90: num,
  p95: num,
  p99: num,
  max: num,
});

/**
 * Extension: what a provider's reserved capacity did (src/metrics/reserved.ts): fees billed,
 * marginal charges on reserved slots, overflow charges on demand, where attempts went, reserved
 * slot time and its utilisation, and the effective cost per successful image.
 */
export const reservedReportSchema = z.object({
  slots: num,
  /** Fee periods billed (started in the window). */
  periods: num,
  /** USD of reservation fees. */
  fee: num,
  /** USD billed for attempts on reserved slots (`perImage`). */
  marginal: num,
  /** USD billed for attempts that overflowed to on-demand capacity. */
  overflow: num,
  /** Attempts that took a reserved slot, overflowed on demand, or were refused (`overflow: none`). */
  attempts: z.object({ reserved: num, overflow: num, refused: num }),
  /** Reserved slot time inside the window, ms. */
  busySlotMs: num,
  /** busySlotMs ÷ (slots × window); 0 without slots. */
  utilisation: num,
  /** Successful images at the provider (reserved and on demand). */
  images: num,
  /** (fee + marginal + overflow) ÷ images; 0 without images. */
  costPerImage: num,
});

/** One provider's share of a strategy's run. */
export const providerReportSchema = z.object({
  attempts: num,
  succeeded: num,
  /** USD billed at this provider. */
  cost: num,
  /**
   * Attempts by outcome kind (only kinds that occurred); extensions: `cancelled` hedge losers,
   * and in live mode `client-error` (a 4xx that is the request's fault, e.g. a gateway's own 400).
   */
  outcomes: byName(num),
  /** Extension: peak attempts holding a slot or waiting in the queue at once. */
  peakInFlight: extNum,
  /** Extension: peak queue length. */
  peakQueue: extNum,
  /** Extension: the provider's reserved capacity; absent without a reservation. */
  reserved: reservedReportSchema.optional(),
});

/** One budget alert. */
export const budgetAlertSchema = z.object({
  threshold: num,
  /** ISO time the spend crossed the threshold. */
  at: z.string(),
  /** Extension: the project whose cap it is, absent for the overall limit. */
  project: z.string().optional(),
  /** Extension: the period window index (0-based from the scenario start). */
  period: extNum,
});

/** A credits account's ledger over the run. */
export const creditsReportSchema = z.object({
  bought: num,
  used: num,
  expired: num,
  /** USD paid for bundles and single credits. */
  cash: num,
  /** Extension: USD value of the expired credits (part of cost.wasted). */
  expiredUsd: extNum,
  /** Extension: bundles bought. */
  bundles: extNum,
});

/**
 * One threshold's verdict. `kind` is an extension: a report without it reads with the side
 * that explains `ok` (`max` when `ok` is `value <= limit`, else `min`).
 */
export const thresholdResultSchema = z
  .object({
    metric: z.string(),
    /** The bound: `max` or `min` as written. */
    limit: num,
    /** Extension: which side the bound is on. */
    kind: z.enum(['max', 'min']).optional(),
    value: num,
    ok: z.boolean(),
  })
  .transform(({ metric, limit, kind, value, ok }) => ({
    metric,
    limit,
    kind: kind ?? (ok === value <= limit ? ('max' as const) : ('min' as const)),
    value,
    ok,
  }));

/** Extension: one strategy's cost against the oracle. */
export const regretReportSchema = z.object({
  /** `cost.total − oracle.cost`, USD; negative when the strategy paid less than the plan (by serving less within SLO). */
  usd: num,
  /** `cost.total / oracle.cost − 1` (Infinity when the plan pays nothing and the strategy something). */
  ratio: num,
  /** The least any router could have paid for exactly the service this strategy delivered, USD; never above `cost.total`. */
  lowerBound: num,
});

/**
 * Extension: a gateway's fees on top of the providers' prices (docs/gateways.md#fees), USD, in
 * `cost.total` too; present only for a strategy with `fees`.
 */
export const feesReportSchema = z.object({
  total: num,
  /** A percentage of each billed provider amount. */
  markup: num,
  /** A fixed fee per billed attempt. */
  perGeneration: num,
  /** A fee per million tokens billed by token-priced providers. */
  perMillionTokens: num,
  /** The monthly platform fee, per started 30-day month of the window. */
  monthly: num,
  /** Fees on top-ups of the gateway's prepaid credits. */
  creditPurchase: num,
});

/** Everything measured for one strategy. */
export const strategyReportSchema = z.object({
  name: z.string(),
  requests: z.object({ total: num, succeeded: num, failed: num, rejected: num, deferred: num }),
  successRate: num,
  cost: z.object({
    total: num,
    perSucceeded: num,
    wasted: num,
    byProvider: byName(num),
    byProject: byName(num),
    /** Extension: USD billed for each urgency's requests (expired credits belong to none). */
    byUrgency: optionalByUrgency(num),
    /** Extension: USD billed for each traffic class's requests. */
    byClass: byName(num).optional(),
    /** Extension: a gateway's fees, by kind; absent for a strategy without `fees`. */
    fees: feesReportSchema.optional(),
  }),
  latencyMs: latencySummarySchema,
  attempts: z.object({
    total: num,
    retries: num,
    failovers: num,
    recovered: num,
    exhausted: num,
    /** Extension: second attempts started by hedging. */
    hedges: extNum,
  }),
  providers: byName(providerReportSchema),
  slo: z.object({
    attainment: num,
    goodput: num,
    /** Extension: requests, those attained, and attainment per urgency present. */
    byUrgency: byUrgency(groupSloSchema),
    /** Extension: the same per traffic class, with the class's urgency. */
    byClass: byName(z.object({ urgency: z.string(), ...groupSloSchema.shape })).optional(),
    /** Extension: the same per project. */
    byProject: byName(groupSloSchema).optional(),
  }),
  budget: z.object({ spent: num, alerts: z.array(budgetAlertSchema) }),
  credits: byName(creditsReportSchema),
  thresholds: z.array(thresholdResultSchema),
  /** Extension: latency of succeeded requests per urgency class. */
  latencyByUrgency: byUrgency(latencySummarySchema),
  /** Extension: latency of succeeded requests per traffic class. */
  latencyByClass: byName(latencySummarySchema).optional(),
  /** Extension: latency of succeeded requests per project. */
  latencyByProject: byName(latencySummarySchema).optional(),
  /** Extension: failed requests by the outcome of their last attempt, plus `rejected` reasons. */
  failures: byName(num).default({}),
  /** Extension: cost per hour of simulated time, USD, from the window start. */
  costByHour: z.array(num).default([]),
  /**
   * Extension: the latency CDF of succeeded requests for plotting: about 70 [ms, fraction]
   * points in increasing order, from the run's histogram (`LatencyHistogram.cdf`); empty when
   * nothing succeeded.
   */
  latencyCdfMs: cdfSchema.default([]),
  /** Extension: the same CDF per urgency class (the charts draw these: never one curve over classes with different deadlines). */
  latencyCdfByUrgency: optionalByUrgency(cdfSchema),
  /**
   * Extension: the drain. Requests that arrived in the window but ended after it (deferred or
   * in flight at its end), and the USD billed after it; both are in the totals above.
   */
  drained: z.object({ requests: num, cost: num }).optional(),
  /** Extension: the cost against the hindsight oracle; absent when the oracle was not run. */
  regret: regretReportSchema.optional(),
});

/** Extension: what routing could have cost on the run's realised draws (docs/report.md#oracle). */
export const oracleReportSchema = z.object({
  /** USD paid by the capacity-aware greedy plan. */
  cost: num,
  /** USD: per request, the least any router could pay for the best service its draws allow, capacity ignored (a lower bound). */
  unconstrainedCost: num,
  /**
   * The plan's requests: within their SLO bound, late (an image outside it), unserved; under a
   * budget that refuses work, `overBudget`: those of the unserved the plan could serve but the
   * budget does not buy.
   */
  requests: z.object({ total: num, withinSlo: num, late: num, unserved: num, overBudget: num.optional() }),
  /** Per request, the best service its draws allow, capacity ignored. */
  unconstrained: z.object({ withinSlo: num, late: num, unservable: num }),
});

/** Extension: the SLO a run was judged by, per urgency: its bound and the attainment it must reach. */
export const sloTermsSchema = z.object({
  /** The bound (ms; null when none) and the share of requests that must meet it (p95 → 0.95). */
  interactive: z.object({ boundMs: num, target: num }),
  /** The default deadline after arrival (ms; null when only classes set theirs), `slo.batch.p95` (null when unset), the target. */
  batch: z.object({ deadlineMs: num, p95Ms: num, target: num }),
});

/** Extension: the scenario's budget. */
export const budgetTermsSchema = z.object({
  limit: num,
  periodMs: num,
  perProject: byName(num),
  onExhausted: z.enum(['reject', 'allow']),
});

/** The whole report. */
export const reportSchema = z.object({
  imgsim: z.string(),
  scenario: z.string(),
  /**
   * Extension: what the strategies ran against (src/scenario/hash.ts `worldHash`): everything the
   * scenario says but its name, strategies, thresholds, seed and window. Absent in reports of
   * imgsim before it; `compare` refuses reports whose hashes differ.
   */
  scenarioHash: z.string().optional(),
  seed: num,
  mode: z.enum(['sim', 'live']),
  window: z.object({ start: z.string(), end: z.string() }),
  /** Extension: the SLO the figures were judged by (absent in older reports). */
  slo: sloTermsSchema.optional(),
  /** Extension: the scenario's budget; absent without one. */
  budget: budgetTermsSchema.optional(),
  strategies: z.array(strategyReportSchema),
  /** Extension: the hindsight oracle; absent when it was not run (`--no-oracle`, live mode). */
  oracle: oracleReportSchema.optional(),
});

/** Latency summary of succeeded requests, ms. */
export type LatencySummary = z.infer<typeof latencySummarySchema>;
/** Extension: a provider's reserved capacity over a run. */
export type ReservedReport = z.infer<typeof reservedReportSchema>;
/** One provider's share of a strategy's run. */
export type ProviderReport = z.infer<typeof providerReportSchema>;
/** One budget alert. */
export type BudgetAlert = z.infer<typeof budgetAlertSchema>;
/** A credits account's ledger over the run. */
export type CreditsReport = z.infer<typeof creditsReportSchema>;
/** One threshold's verdict. */
export type ThresholdResult = z.infer<typeof thresholdResultSchema>;
/** Extension: a gateway's fees, by kind. */
export type FeesReport = z.infer<typeof feesReportSchema>;
/** Extension: one strategy's cost against the oracle. */
export type RegretReport = z.infer<typeof regretReportSchema>;
/** Everything measured for one strategy. */
export type StrategyReport = z.infer<typeof strategyReportSchema>;
/** Extension: what routing could have cost on the run's realised draws. */
export type OracleReport = z.infer<typeof oracleReportSchema>;
/** The whole report, as `simulate()` returns it and `parseReport` reads it. */
export type Report = z.infer<typeof reportSchema>;
