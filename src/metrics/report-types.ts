/**
 * The shape of `report.json` (SPEC section 5). Required fields are SPEC's; fields marked
 * "extension" are imgsim's additions, documented in docs/report.md.
 */
import type { OutcomeKind, Urgency } from '../scenario/schema.js';

/** Latency summary of succeeded requests, ms. */
export interface LatencySummary {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** One provider's share of a strategy's run. */
export interface ProviderReport {
  readonly attempts: number;
  readonly succeeded: number;
  /** USD billed at this provider. */
  readonly cost: number;
  /**
   * Attempts by outcome kind (only kinds that occurred); extensions: `cancelled` hedge losers,
   * and in live mode `client-error` (a 4xx that is the request's fault, e.g. a gateway's own 400).
   */
  readonly outcomes: Partial<Record<OutcomeKind | 'cancelled' | 'client-error', number>>;
  /** Extension: peak attempts holding a slot or waiting in the queue at once. */
  readonly peakInFlight: number;
  /** Extension: peak queue length. */
  readonly peakQueue: number;
}

/** One budget alert. */
export interface BudgetAlert {
  readonly threshold: number;
  /** ISO time the spend crossed the threshold. */
  readonly at: string;
  /** Extension: the project whose cap it is, absent for the overall limit. */
  readonly project?: string;
  /** Extension: the period window index (0-based from the scenario start). */
  readonly period: number;
}

/** A credits account's ledger over the run. */
export interface CreditsReport {
  readonly bought: number;
  readonly used: number;
  readonly expired: number;
  /** USD paid for bundles and single credits. */
  readonly cash: number;
  /** Extension: USD value of the expired credits (part of cost.wasted). */
  readonly expiredUsd: number;
  /** Extension: bundles bought. */
  readonly bundles: number;
}

/** One threshold's verdict. */
export interface ThresholdResult {
  readonly metric: string;
  /** The bound: `max` or `min` as written. */
  readonly limit: number;
  /** Extension: which side the bound is on. */
  readonly kind: 'max' | 'min';
  readonly value: number;
  readonly ok: boolean;
}

/** Everything measured for one strategy. */
export interface StrategyReport {
  readonly name: string;
  readonly requests: { total: number; succeeded: number; failed: number; rejected: number; deferred: number };
  readonly successRate: number;
  readonly cost: {
    total: number;
    perSucceeded: number;
    wasted: number;
    byProvider: Record<string, number>;
    byProject: Record<string, number>;
  };
  readonly latencyMs: LatencySummary;
  readonly attempts: { total: number; retries: number; failovers: number; recovered: number; exhausted: number; hedges: number };
  readonly providers: Record<string, ProviderReport>;
  readonly slo: { attainment: number; goodput: number; byUrgency: Partial<Record<Urgency, { requests: number; attained: number }>> };
  readonly budget: { spent: number; alerts: BudgetAlert[] };
  readonly credits: Record<string, CreditsReport>;
  readonly thresholds: ThresholdResult[];
  /** Extension: latency of succeeded requests per urgency class. */
  readonly latencyByUrgency: Partial<Record<Urgency, LatencySummary>>;
  /** Extension: failed requests by the outcome of their last attempt, plus `rejected` reasons. */
  readonly failures: Record<string, number>;
  /** Extension: cost per hour of simulated time, USD, from the window start. */
  readonly costByHour: number[];
  /**
   * Extension: the latency CDF of succeeded requests for plotting: about 70 [ms, fraction]
   * points in increasing order, from the run's histogram (`LatencyHistogram.cdf`); empty when
   * nothing succeeded.
   */
  readonly latencyCdfMs: [number, number][];
  /** Extension: the cost against the hindsight oracle; absent when the oracle was not run. */
  readonly regret?: RegretReport;
}

/** Extension: what routing could have cost on the run's realised draws (docs/report.md#oracle). */
export interface OracleReport {
  /** USD paid by the capacity-aware greedy plan. */
  readonly cost: number;
  /** USD: per request, the least any router could pay for the best service its draws allow, capacity ignored (a lower bound). */
  readonly unconstrainedCost: number;
  /** The plan's requests: within their SLO bound, late (an image outside it), unserved. */
  readonly requests: { total: number; withinSlo: number; late: number; unserved: number };
  /** Per request, the best service its draws allow, capacity ignored. */
  readonly unconstrained: { withinSlo: number; late: number; unservable: number };
}

/** Extension: one strategy's cost against the oracle. */
export interface RegretReport {
  /** `cost.total − oracle.cost`, USD; negative when the strategy paid less than the plan (by serving less within SLO). */
  readonly usd: number;
  /** `cost.total / oracle.cost − 1` (Infinity when the plan pays nothing and the strategy something). */
  readonly ratio: number;
  /** The least any router could have paid for exactly the service this strategy delivered, USD; never above `cost.total`. */
  readonly lowerBound: number;
}

/** The whole report. */
export interface Report {
  readonly imgsim: string;
  readonly scenario: string;
  readonly seed: number;
  readonly mode: 'sim' | 'live';
  readonly window: { start: string; end: string };
  readonly strategies: StrategyReport[];
  /** Extension: the hindsight oracle; absent when it was not run (`--no-oracle`, live mode). */
  readonly oracle?: OracleReport;
}
