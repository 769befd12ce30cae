/**
 * From the runs to the forecast: a pure function of the parameters and the per-run summaries,
 * taken in run-index order, so the result is the same whichever worker or shard simulated a run.
 */
import { IMGSIM_VERSION } from '../metrics/assemble.js';
import { ImgsimError } from '../scenario/errors.js';
import { formatDuration } from '../scenario/units.js';
import { planCredits } from './credits-plan.js';
import type { BudgetForecast, CreditsForecast, Forecast, OracleForecast, ProviderForecast, RegretForecast, SpendByDay, StrategyForecast, SweepResult, UrgencyForecast, GroupForecast } from './forecast-types.js';
import type { ForecastParameters } from './parameters.js';
import { mean, percentile, sortSamples, spread } from './stats.js';
import type { GroupRunSummary, RunSummary, StrategyRunSummary } from './summary.js';

const DAY_MS = 86_400_000;
const HOURS_PER_DAY = 24;

/**
 * Checks that the runs are exactly 0..runs−1, once each, with their derived seeds.
 * @param params - the forecast parameters
 * @param runs - the summaries, any order
 * @returns the summaries in index order
 * @throws ImgsimError when a run is missing, duplicated or out of range
 */
export function orderRuns(params: ForecastParameters, runs: readonly RunSummary[]): RunSummary[] {
  const byIndex = new Array<RunSummary | undefined>(params.runs);
  for (const r of runs) {
    if (!Number.isInteger(r.index) || r.index < 0 || r.index >= params.runs) {
      throw new ImgsimError('invalid-report', `run ${r.index} is outside 0..${params.runs - 1}`);
    }
    if (byIndex[r.index] !== undefined) throw new ImgsimError('invalid-report', `run ${r.index} appears twice`);
    byIndex[r.index] = r;
  }
  const missing: number[] = [];
  for (let i = 0; i < params.runs; i++) if (byIndex[i] === undefined) missing.push(i);
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ');
    throw new ImgsimError('invalid-report', `${missing.length} of ${params.runs} runs are missing (${shown}${missing.length > 10 ? ', ...' : ''})`);
  }
  return byIndex as RunSummary[];
}

/**
 * The forecast from the runs.
 * @param params - the forecast parameters
 * @param runs - one summary per run (any order; checked by {@link orderRuns})
 * @param sweep - a rate sweep to include, if one was run
 * @returns the forecast
 */
export function aggregateForecast(params: ForecastParameters, runs: readonly RunSummary[], sweep: SweepResult | null = null): Forecast {
  const ordered = orderRuns(params, runs);
  const days = Math.max(1, Math.ceil(params.horizonMs / DAY_MS));
  const strategies = params.strategies.map((name, s) => {
    const per = ordered.map((r) => {
      const x = r.strategies[s];
      if (x?.name !== name) throw new ImgsimError('invalid-report', `run ${r.index} has no strategy "${name}" at position ${s + 1}`);
      return x;
    });
    return strategyForecast(params, name, per, days, ordered);
  });
  const { startMs } = params.context;
  return {
    imgsim: IMGSIM_VERSION,
    kind: 'forecast',
    scenario: params.scenario,
    scenarioHash: params.scenarioHash,
    seed: params.seed,
    runs: params.runs,
    horizon: {
      duration: formatDuration(params.horizonMs),
      ms: params.horizonMs,
      days,
      start: new Date(startMs).toISOString(),
      end: new Date(startMs + params.horizonMs).toISOString(),
    },
    strategies,
    oracle: oracleForecast(ordered),
    sweep,
  };
}

/** The runs' oracle costs, or null when a run has none (`--no-oracle`). */
function oracleCosts(runs: readonly RunSummary[]): { cost: number; unconstrainedCost: number }[] | null {
  const out: { cost: number; unconstrainedCost: number }[] = [];
  for (const r of runs) {
    if (r.oracle === null) return null;
    out.push(r.oracle);
  }
  return out;
}

function oracleForecast(runs: readonly RunSummary[]): OracleForecast | null {
  const costs = oracleCosts(runs);
  return costs === null ? null : { cost: spread(costs.map((c) => c.cost)), unconstrainedCost: spread(costs.map((c) => c.unconstrainedCost)) };
}

function regretForecast(strategyRuns: readonly StrategyRunSummary[], runs: readonly RunSummary[]): RegretForecast | null {
  const costs = oracleCosts(runs);
  const regrets = strategyRuns.map((r) => r.regret);
  if (costs === null || regrets.some((r) => r === null)) return null;
  const usd = regrets.map((r) => r!.usd);
  const oracleMean = mean(costs.map((c) => c.cost));
  return {
    oracleCostUsd: spread(costs.map((c) => c.cost)),
    regretUsd: spread(usd),
    meanRatio: oracleMean > 0 ? mean(usd) / oracleMean : null,
    lowerBoundUsd: spread(regrets.map((r) => r!.lowerBound)),
  };
}

function strategyForecast(params: ForecastParameters, name: string, runs: readonly StrategyRunSummary[], days: number, all: readonly RunSummary[]): StrategyForecast {
  const pick = (f: (r: StrategyRunSummary) => number): number[] => runs.map(f);
  return {
    name,
    requests: spread(pick((r) => r.requests)),
    cost: spread(pick((r) => r.costUsd)),
    costPerImage: spread(pick((r) => (r.succeeded > 0 ? r.costUsd / r.succeeded : 0))),
    latencyP95Ms: spread(pick((r) => r.latencyP95Ms)),
    successRate: spread(pick((r) => r.successRate)),
    sloAttainment: spread(pick((r) => r.sloAttainment)),
    byUrgency: urgencyForecasts(runs),
    byClass: groupForecasts(runs, (r) => r.byClass),
    byProject: groupForecasts(runs, (r) => r.byProject),
    budget: budgetForecast(params, runs),
    spendByDay: spendByDay(runs, days),
    credits: creditsForecast(params, runs),
    providers: providersForecast(params, runs),
    regret: regretForecast(runs, all),
  };
}

/** Per urgency present in any run: latency, attainment and cost spreads over the runs. */
function urgencyForecasts(runs: readonly StrategyRunSummary[]): StrategyForecast['byUrgency'] {
  const out: Partial<Record<'interactive' | 'batch', UrgencyForecast>> = {};
  for (const u of ['interactive', 'batch'] as const) {
    if (!runs.some((r) => r.slo[u].requests > 0)) continue;
    const latencies = runs.map((r) => r.byUrgency[u]?.latencyP95Ms ?? Number.NaN).filter((x) => Number.isFinite(x));
    out[u] = {
      latencyP95Ms: spread(latencies.length > 0 ? latencies : [Number.NaN]),
      sloAttainment: spread(runs.map((r) => (r.slo[u].requests > 0 ? r.slo[u].attained / r.slo[u].requests : 0))),
      cost: spread(runs.map((r) => r.byUrgency[u]?.costUsd ?? 0)),
    };
  }
  return out;
}

/** Per group (class or project) in any run, sorted by name: cost and attainment spreads. */
function groupForecasts(runs: readonly StrategyRunSummary[], of: (r: StrategyRunSummary) => Readonly<Record<string, GroupRunSummary>>): Record<string, GroupForecast> {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(of(r))))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(
    keys.map((k) => {
      const withRequests = runs.map((r) => of(r)[k]).filter((g): g is GroupRunSummary => g !== undefined && g.requests > 0);
      return [
        k,
        {
          cost: spread(runs.map((r) => of(r)[k]?.costUsd ?? 0)),
          sloAttainment: spread(withRequests.length > 0 ? withRequests.map((g) => g.attained / g.requests) : [Number.NaN]),
        },
      ] as const;
    }),
  );
}

function budgetForecast(params: ForecastParameters, runs: readonly StrategyRunSummary[]): BudgetForecast | null {
  const budget = params.context.budget;
  if (budget === null) return null;
  const exceedDays = runs.filter((r) => r.budgetExceededHour >= 0).map((r) => Math.floor(r.budgetExceededHour / HOURS_PER_DAY) + 1);
  return {
    limit: budget.limitUsd,
    period: formatDuration(budget.periodMs),
    exceedProbability: exceedDays.length / runs.length,
    runsExceeding: exceedDays.length,
    exceedDay: exceedDays.length === 0 ? null : { mean: mean(exceedDays), p50: percentile(sortSamples(exceedDays), 50) },
  };
}

function spendByDay(runs: readonly StrategyRunSummary[], days: number): SpendByDay {
  const cumulative = runs.map((r) => {
    const out = new Array<number>(days).fill(0);
    let sum = 0;
    for (let d = 0; d < days; d++) {
      sum += r.costByDay[d] ?? 0;
      out[d] = sum;
    }
    return out;
  });
  const p10: number[] = [];
  const p50: number[] = [];
  const p90: number[] = [];
  const means: number[] = [];
  for (let d = 0; d < days; d++) {
    const day = cumulative.map((c) => c[d]!);
    const sorted = sortSamples(day);
    p10.push(percentile(sorted, 10));
    p50.push(percentile(sorted, 50));
    p90.push(percentile(sorted, 90));
    means.push(mean(day));
  }
  return { p10, p50, p90, mean: means };
}

function creditsForecast(params: ForecastParameters, runs: readonly StrategyRunSummary[]): Record<string, CreditsForecast> {
  const out: Record<string, CreditsForecast> = {};
  const { startMs } = params.context;
  for (const c of params.context.credits) {
    const per = runs.map((r) => r.credits[c.account]!);
    const plan = planCredits(
      c.pricing,
      per.map((p) => p.usedByHour),
      startMs,
      startMs + params.horizonMs,
    );
    out[c.account] = {
      bundlesToBuy: plan.best.upfront,
      expectedExpiredCredits: plan.best.expectedExpiredCredits,
      simulated: {
        bundles: mean(per.map((p) => p.bundles)),
        bought: mean(per.map((p) => p.bought)),
        used: mean(per.map((p) => p.used)),
        expired: mean(per.map((p) => p.expired)),
        expiredUsd: mean(per.map((p) => p.expiredUsd)),
        cash: mean(per.map((p) => p.cash)),
      },
      plan,
    };
  }
  return out;
}

function providersForecast(params: ForecastParameters, runs: readonly StrategyRunSummary[]): Record<string, ProviderForecast> {
  const out: Record<string, ProviderForecast> = {};
  for (const p of params.context.providers) {
    const per = runs.map((r) => r.providers[p.id]!);
    const peakPerMinute = spread(per.map((x) => x.peakPerMinute));
    const share = (f: (x: (typeof per)[number]) => number): number => mean(per.map((x) => (x.attempts > 0 ? f(x) / x.attempts : 0)));
    out[p.id] = {
      account: p.account,
      peakInFlight: spread(per.map((x) => x.peakInFlight)),
      peakQueue: spread(per.map((x) => x.peakQueue)),
      utilisation: mean(per.map((x) => x.busySlotMs / (p.concurrency * params.horizonMs))),
      rpm: p.rpm,
      peakRequestsPerMinute: peakPerMinute,
      rateLimitHeadroom: p.rpm === null ? null : 1 - peakPerMinute.p90 / p.rpm,
      rateLimitedShare: share((x) => x.rateLimited),
      overloadedShare: share((x) => x.overloaded),
    };
  }
  return out;
}
