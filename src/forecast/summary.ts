/**
 * The compact summary of one run of a forecast: per strategy the handful of numbers the
 * aggregation needs (totals, p95 latency, daily spend, when the budget ran out, per-provider
 * peaks and limits, credits consumed per hour), not the full report. Workers send these; shards
 * write them to partial files; JSON round-trips them exactly.
 */
import type { RegretReport, StrategyReport } from '../metrics/report-types.js';
import type { RunUsage } from '../metrics/usage.js';
import type { ForecastContext } from './parameters.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Spend within a millionth of a cent of the limit has reached it (as the budget tracker counts). */
const SPEND_EPSILON_USD = 1e-8;

/** One provider in one run. */
export interface ProviderRunSummary {
  readonly attempts: number;
  /** Attempts answered 429 (rate limit or spend quota). */
  readonly rateLimited: number;
  /** Attempts answered 503 (queue full or a(t) = 0). */
  readonly overloaded: number;
  readonly peakInFlight: number;
  readonly peakQueue: number;
  /** Most attempts reaching the provider's account in one minute (the account's, shared). */
  readonly peakPerMinute: number;
  /** Slot time used, ms. */
  readonly busySlotMs: number;
  /** Its reserved capacity (report.json's `providers.<id>.reserved`); absent without a reservation. */
  readonly reserved?: ReservedRunSummary;
}

/** A provider's reserved capacity in one run. */
export interface ReservedRunSummary {
  readonly slots: number;
  /** Reserved slot time inside the window, ms. */
  readonly busySlotMs: number;
  /** Fees, marginal and overflow charges, USD. */
  readonly fee: number;
  readonly marginal: number;
  readonly overflow: number;
  /** Successful images at the provider. */
  readonly images: number;
}

/** One credits account in one run, under the scenario's own purchase plan. */
export interface CreditsRunSummary {
  readonly bought: number;
  readonly used: number;
  readonly expired: number;
  readonly expiredUsd: number;
  readonly cash: number;
  readonly bundles: number;
  /** Credits consumed per hour from the start (for planning purchases). */
  readonly usedByHour: readonly number[];
}

/** Requests and those within their SLO bound, of one urgency class. */
export interface SloCount {
  readonly requests: number;
  readonly attained: number;
}

/** One traffic class or project of a run. */
export interface GroupRunSummary {
  readonly costUsd: number;
  readonly requests: number;
  readonly attained: number;
}

/** One strategy in one run. */
export interface StrategyRunSummary {
  readonly name: string;
  readonly requests: number;
  readonly succeeded: number;
  readonly costUsd: number;
  /** p95 latency of succeeded requests, ms (0 when none succeeded). */
  readonly latencyP95Ms: number;
  readonly successRate: number;
  readonly sloAttainment: number;
  readonly slo: { readonly interactive: SloCount; readonly batch: SloCount };
  /** Per traffic class and per project: cost, USD, and SLO counts. */
  readonly byClass: Readonly<Record<string, GroupRunSummary>>;
  readonly byProject: Readonly<Record<string, GroupRunSummary>>;
  /** Per urgency with requests: p95 latency of its succeeded requests (NaN when none) and its cost, USD. */
  readonly byUrgency: Readonly<Partial<Record<'interactive' | 'batch', { readonly latencyP95Ms: number; readonly costUsd: number }>>>;
  /** Cost per day of the horizon, USD (work that drains after the end counts on the last day). */
  readonly costByDay: readonly number[];
  /** The first hour (0-based) in which spend within a budget period reached the limit; -1 if never. */
  readonly budgetExceededHour: number;
  readonly providers: Readonly<Record<string, ProviderRunSummary>>;
  readonly credits: Readonly<Record<string, CreditsRunSummary>>;
  /** Cost against the run's hindsight oracle (as in report.json); null when the run had no oracle. */
  readonly regret: RegretReport | null;
}

/** One run: its index, its seed and each strategy's summary. */
export interface RunSummary {
  readonly index: number;
  readonly seed: number;
  readonly strategies: readonly StrategyRunSummary[];
  /** The run's hindsight oracle (report.json's `oracle` costs); null when it was not computed. */
  readonly oracle: { readonly cost: number; readonly unconstrainedCost: number } | null;
}

/**
 * The first hour in which the spend of a budget period reaches the limit. Periods run from the
 * start (as the budget tracker counts them); hours are assigned to the period they start in.
 * @param costByHour - cost per hour from the start, USD
 * @param budget - limit and period, or null
 * @returns the 0-based hour, or -1 when the limit is never reached (or there is no budget)
 */
export function budgetExceededHour(costByHour: readonly number[], budget: ForecastContext['budget']): number {
  if (budget === null) return -1;
  let period = -1;
  let spent = 0;
  for (let h = 0; h < costByHour.length; h++) {
    const p = Math.floor((h * HOUR_MS) / budget.periodMs);
    if (p !== period) {
      period = p;
      spent = 0;
    }
    spent += costByHour[h]!;
    if (spent >= budget.limitUsd - SPEND_EPSILON_USD) return h;
  }
  return -1;
}

/**
 * Hourly cost folded into days of the horizon; hours past its end go to the last day.
 * @param costByHour - cost per hour from the start
 * @param horizonMs - the horizon
 * @returns cost per day, one entry per (started) day of the horizon
 */
export function costByDay(costByHour: readonly number[], horizonMs: number): number[] {
  const days = Math.max(1, Math.ceil(horizonMs / DAY_MS));
  const out = new Array<number>(days).fill(0);
  for (let h = 0; h < costByHour.length; h++) out[Math.min(days - 1, Math.floor((h * HOUR_MS) / DAY_MS))]! += costByHour[h]!;
  return out;
}

/**
 * The summary of one strategy's run.
 * @param report - the strategy's report section
 * @param usage - the run's usage counters
 * @param context - providers, budget and credits accounts
 * @param horizonMs - the simulated span
 * @returns the summary
 */
export function summarizeStrategy(report: StrategyReport, usage: RunUsage, context: ForecastContext, horizonMs: number): StrategyRunSummary {
  const providers: Record<string, ProviderRunSummary> = {};
  for (const [i, p] of context.providers.entries()) {
    const r = report.providers[p.id]!;
    providers[p.id] = {
      attempts: r.attempts,
      rateLimited: r.outcomes['rate-limited'] ?? 0,
      overloaded: r.outcomes.overloaded ?? 0,
      peakInFlight: r.peakInFlight,
      peakQueue: r.peakQueue,
      peakPerMinute: usage.peakPerMinute[p.accountIndex]!,
      busySlotMs: usage.busySlotMs[i]!,
    };
    const reserved = r.reserved;
    if (reserved !== undefined) {
      providers[p.id] = {
        ...providers[p.id]!,
        reserved: { slots: reserved.slots, busySlotMs: reserved.busySlotMs, fee: reserved.fee, marginal: reserved.marginal, overflow: reserved.overflow, images: reserved.images },
      };
    }
  }
  const credits: Record<string, CreditsRunSummary> = {};
  for (const c of context.credits) {
    const r = report.credits[c.account];
    const owner = context.providers.find((p) => p.account === c.account)!;
    credits[c.account] = {
      bought: r?.bought ?? 0,
      used: r?.used ?? 0,
      expired: r?.expired ?? 0,
      expiredUsd: r?.expiredUsd ?? 0,
      cash: r?.cash ?? 0,
      bundles: r?.bundles ?? 0,
      usedByHour: [...usage.creditsByHour(owner.accountIndex)],
    };
  }
  const slo = (u: 'interactive' | 'batch'): SloCount => {
    const s = report.slo.byUrgency[u];
    return { requests: s?.requests ?? 0, attained: s?.attained ?? 0 };
  };
  return {
    name: report.name,
    requests: report.requests.total,
    succeeded: report.requests.succeeded,
    costUsd: report.cost.total,
    latencyP95Ms: report.latencyMs.p95,
    successRate: report.successRate,
    sloAttainment: report.slo.attainment,
    slo: { interactive: slo('interactive'), batch: slo('batch') },
    byClass: groups(report.slo.byClass, report.cost.byClass ?? {}),
    byProject: groups(report.slo.byProject, report.cost.byProject),
    byUrgency: Object.fromEntries(
      (['interactive', 'batch'] as const)
        .filter((u) => (report.slo.byUrgency[u]?.requests ?? 0) > 0)
        .map((u) => [u, { latencyP95Ms: report.latencyByUrgency[u]?.p95 ?? Number.NaN, costUsd: report.cost.byUrgency?.[u] ?? 0 }] as const),
    ),
    costByDay: costByDay(report.costByHour, horizonMs),
    budgetExceededHour: budgetExceededHour(report.costByHour, context.budget),
    providers,
    credits,
    regret: report.regret ?? null,
  };
}

/** A run's groups (classes or projects) with requests: their cost and SLO counts. */
function groups(slo: Readonly<Record<string, { readonly requests: number; readonly attained: number }>> | undefined, cost: Readonly<Record<string, number>>): Record<string, GroupRunSummary> {
  return Object.fromEntries(Object.entries(slo ?? {}).map(([k, g]) => [k, { costUsd: cost[k] ?? 0, requests: g.requests, attained: g.attained }] as const));
}
