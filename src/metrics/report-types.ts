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
  /** Attempts by outcome kind (only kinds that occurred); extension: `cancelled` hedge losers. */
  readonly outcomes: Partial<Record<OutcomeKind | 'cancelled', number>>;
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
}

/** The whole report. */
export interface Report {
  readonly imgsim: string;
  readonly scenario: string;
  readonly seed: number;
  readonly mode: 'sim' | 'live';
  readonly window: { start: string; end: string };
  readonly strategies: StrategyReport[];
}
