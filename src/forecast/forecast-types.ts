/**
 * The shape of `forecast.json` (docs/contract.md §4, `imgsim forecast`). Every field is described in
 * docs/forecast.md. Money in USD, latency in ms, fractions from 0 to 1, rates per second.
 */
import type { CreditsPlan, UpfrontPurchase } from './credits-plan.js';
import type { Spread } from './stats.js';

/** The simulated span of each run. */
export interface Horizon {
  /** As a duration, e.g. `30d`. */
  readonly duration: string;
  readonly ms: number;
  /** Days in the horizon (a started day counts). */
  readonly days: number;
  readonly start: string;
  readonly end: string;
}

/** The budget over the horizon. */
export interface BudgetForecast {
  readonly limit: number;
  readonly period: string;
  /** Fraction of runs in which the spend of some budget period reached the limit. */
  readonly exceedProbability: number;
  readonly runsExceeding: number;
  /** The day (1-based) it happened, over the runs where it did; null when it never did. */
  readonly exceedDay: { readonly mean: number; readonly p50: number } | null;
}

/** Cumulative spend from the start to the end of each day, percentiles over the runs. */
export interface SpendByDay {
  readonly p10: readonly number[];
  readonly p50: readonly number[];
  readonly p90: readonly number[];
  readonly mean: readonly number[];
}

/** A credits account: what the scenario's purchases gave, and the best up-front purchase. */
export interface CreditsForecast {
  /** The best plan's up-front bundles (empty: buy nothing up front, let top-ups buy). */
  readonly bundlesToBuy: readonly UpfrontPurchase[];
  /** Credits expected to expire unused inside the horizon under that plan. */
  readonly expectedExpiredCredits: number;
  /** Means over the runs of what the simulation (the scenario's own purchases) did. */
  readonly simulated: {
    readonly bundles: number;
    readonly bought: number;
    readonly used: number;
    readonly expired: number;
    readonly expiredUsd: number;
    readonly cash: number;
  };
  readonly plan: CreditsPlan;
}

/** One provider's capacity and rate-limit use. */
export interface ProviderForecast {
  readonly account: string;
  /** Peak attempts holding a slot or queued at once. */
  readonly peakInFlight: Spread;
  readonly peakQueue: Spread;
  /** Mean share of the slot time (concurrency × horizon) used. */
  readonly utilisation: number;
  /** The account's rate limit, requests per minute; null without one. */
  readonly rpm: number | null;
  /** Most attempts reaching the account's rate limiter in one minute. */
  readonly peakRequestsPerMinute: Spread;
  /** 1 − (p90 of peakRequestsPerMinute) / rpm: negative when demand exceeds the limit; null without a limit. */
  readonly rateLimitHeadroom: number | null;
  /** Mean share of attempts answered 429 (rate limit or quota). */
  readonly rateLimitedShare: number;
  /** Mean share of attempts answered 503 overloaded (queue full or an outage). */
  readonly overloadedShare: number;
}

/**
 * A strategy against the hindsight oracle of each run (src/sim/oracle.ts, docs/report.md#oracle):
 * spreads over the runs of the per-run figures `imgsim run` reports as `oracle` and `regret`.
 */
export interface RegretForecast {
  /** The oracle's capacity-aware plan, USD (the same in every strategy: it is the run's). */
  readonly oracleCostUsd: Spread;
  /** Cost above the plan, USD (`regret.usd` per run). */
  readonly regretUsd: Spread;
  /** Mean regret ÷ mean oracle cost; null when the plan costs nothing on average. */
  readonly meanRatio: number | null;
  /** The least any router could have paid for exactly this strategy's service (`regret.lowerBound`), USD. */
  readonly lowerBoundUsd: Spread;
}

/** One strategy over the runs. */
export interface StrategyForecast {
  readonly name: string;
  readonly requests: Spread;
  /** Total cost over the horizon, USD. */
  readonly cost: Spread;
  /** Cost per succeeded request, USD. */
  readonly costPerImage: Spread;
  /** p95 latency of each run's succeeded requests, ms. */
  readonly latencyP95Ms: Spread;
  readonly successRate: Spread;
  readonly sloAttainment: Spread;
  /**
   * Per urgency class with requests: its p95 latency, SLO attainment and cost over the runs. The
   * pooled p95 and attainment above mix classes with different deadlines; these do not.
   */
  readonly byUrgency: Readonly<Partial<Record<'interactive' | 'batch', UrgencyForecast>>>;
  /** Per traffic class and per project in any run: cost and SLO attainment over the runs (a run without the group counts 0 cost). */
  readonly byClass: Readonly<Record<string, GroupForecast>>;
  readonly byProject: Readonly<Record<string, GroupForecast>>;
  readonly budget: BudgetForecast | null;
  readonly spendByDay: SpendByDay;
  readonly credits: Readonly<Record<string, CreditsForecast>>;
  readonly providers: Readonly<Record<string, ProviderForecast>>;
  readonly regret: RegretForecast | null;
}

/** One urgency class of a strategy over the runs. */
export interface UrgencyForecast {
  /** p95 latency of the class's succeeded requests, ms (runs where some succeeded). */
  readonly latencyP95Ms: Spread;
  readonly sloAttainment: Spread;
  readonly cost: Spread;
}

/** One traffic class or project of a strategy over the runs. */
export interface GroupForecast {
  readonly cost: Spread;
  /** Over the runs with requests of the group. */
  readonly sloAttainment: Spread;
}

/** One probe of a rate sweep. */
export interface SweepProbe {
  readonly ratePerSec: number;
  readonly meetsSlo: boolean;
  /** Pooled over the probe's runs: succeeded within the bound / requests, per class with requests. */
  readonly attainment: { readonly interactive: number | null; readonly batch: number | null };
  readonly successRate: number;
  /** Per provider, pooled over the probe's runs. */
  readonly providers: Readonly<Record<string, ProbeProvider>>;
}

/** One provider in a sweep probe. */
export interface ProbeProvider {
  /** Slot time used / (concurrency × horizon). */
  readonly utilisation: number;
  /** Share of attempts answered 429 (rate limit or quota). */
  readonly rateLimitedShare: number;
  /** Share of attempts answered 503 overloaded (queue full or an outage). */
  readonly overloadedShare: number;
  /** Longest queue in any of the probe's runs. */
  readonly peakQueue: number;
}

/** The provider that gives out first in a sweep. */
export interface Saturation {
  readonly provider: string;
  /** The probe rate it was identified at: the lowest that missed the SLO (or the highest probed). */
  readonly ratePerSec: number;
  /** Which of its figures is highest: `slots` (utilisation), `rate-limit` (429s) or `overload` (503s). */
  readonly by: 'slots' | 'rate-limit' | 'overload';
  readonly utilisation: number;
  readonly rateLimitedShare: number;
  readonly overloadedShare: number;
}

/** One strategy's sweep. */
export interface StrategySweep {
  readonly name: string;
  /** The highest probed rate that met the SLO; null when even the lowest did not. */
  readonly sustainableRatePerSec: number | null;
  /** True when the highest rate of the range still met the SLO (the limit lies above). */
  readonly aboveRange: boolean;
  readonly saturates: Saturation | null;
  /** Every probe, by rate. */
  readonly probes: readonly SweepProbe[];
}

/** A rate sweep (`--sweep rate=A..B`). */
export interface SweepResult {
  readonly fromPerSec: number;
  readonly toPerSec: number;
  /** Bisection stops when the bracket is narrower than this, per second. */
  readonly tolerancePerSec: number;
  readonly probeRuns: number;
  readonly probeHorizon: string;
  /** The attainment each urgency class must reach. */
  readonly targets: { readonly interactive: number; readonly batch: number };
  readonly strategies: readonly StrategySweep[];
}

/** The whole forecast. */
export interface Forecast {
  readonly imgsim: string;
  readonly kind: 'forecast';
  readonly scenario: string;
  readonly scenarioHash: string;
  readonly seed: number;
  readonly runs: number;
  readonly horizon: Horizon;
  readonly strategies: readonly StrategyForecast[];
  /** The hindsight oracle over the runs; null with `--no-oracle`. */
  readonly oracle: OracleForecast | null;
  readonly sweep: SweepResult | null;
  /** A parameter sweep (`--sweep providers.<id>.<key>=v1,v2,...`); absent without one. */
  readonly parameterSweep?: ParameterSweepResult;
}

/** A provider's reserved capacity at one value of a parameter sweep, pooled over its runs. */
export interface ReservedPoint {
  readonly slots: number;
  /** Reserved slot time ÷ (slots × horizon × runs); 0 without slots. */
  readonly utilisation: number;
  /** Mean per run, USD. */
  readonly fee: number;
  readonly marginal: number;
  readonly overflow: number;
  /** (fee + marginal + overflow) ÷ successful images at the provider, pooled; null without images. */
  readonly costPerImage: number | null;
}

/** One value of a parameter sweep, for one strategy, pooled over its runs. */
export interface ParameterPoint {
  readonly value: number;
  /** Mean cost per run, USD (fees included). */
  readonly cost: number;
  /** Total cost ÷ succeeded requests over the runs; null when none succeeded. */
  readonly costPerImage: number | null;
  readonly successRate: number;
  /** Succeeded within the bound ÷ requests, per class with requests. */
  readonly attainment: { readonly interactive: number | null; readonly batch: number | null };
  readonly meetsSlo: boolean;
  /** Mean of the runs' p95 latency, ms. */
  readonly latencyP95Ms: number;
  /** The swept provider's reserved capacity; null when it has none. */
  readonly reserved: ReservedPoint | null;
}

/** One strategy's parameter sweep. */
export interface StrategyParameterSweep {
  readonly name: string;
  /** The value with the lowest mean cost among those that met the SLO; null when none did. */
  readonly best: number | null;
  /** One point per value, in the order given. */
  readonly points: readonly ParameterPoint[];
}

/** A parameter sweep: every value run on the same seeds (common random numbers). */
export interface ParameterSweepResult {
  /** `providers.<id>.<key>`. */
  readonly parameter: string;
  readonly values: readonly number[];
  readonly runsPerValue: number;
  readonly horizon: string;
  /** The attainment each urgency class must reach. */
  readonly targets: { readonly interactive: number; readonly batch: number };
  readonly strategies: readonly StrategyParameterSweep[];
}

/** The hindsight oracle's costs over the runs (see {@link RegretForecast}). */
export interface OracleForecast {
  /** The capacity-aware greedy plan, USD. */
  readonly cost: Spread;
  /** The unconstrained lower bound (capacity ignored), USD. */
  readonly unconstrainedCost: Spread;
}
