/**
 * The parameter sweep (`--sweep providers.<id>.<key>=v1,v2,...`): for each value, every
 * strategy over `runsPerValue` runs with seeds {@link runSeed}(seed, 0..), the same for every
 * value, so the points differ by the parameter only. Each point pools its runs: mean cost, cost
 * per image, success, SLO attainment against the targets, and the swept provider's reserved
 * capacity (utilisation, effective cost per image). Sweeping `reserved.slots` from 0 answers
 * "buy reserved or stay on demand": 0 is on demand only, and the best value is the cheapest that
 * still meets the SLO.
 */
import type { ResolvedScenario } from '../scenario/resolve.js';
import { formatDuration } from '../scenario/units.js';
import type { ParameterPoint, ParameterSweepResult, ReservedPoint, StrategyParameterSweep } from './forecast-types.js';
import type { RunExecutor, RunTask } from './monte-carlo.js';
import { runSeed } from './parameters.js';
import { sloTargets } from './sweep.js';
import type { ParameterSweepSpec } from './sweep-parameters.js';
import type { StrategyRunSummary } from './summary.js';

/** What to sweep and how long. */
export interface ParameterSweepOptions {
  readonly spec: ParameterSweepSpec;
  /** Runs per value. */
  readonly runsPerValue: number;
  /** Simulated span of each run, ms. */
  readonly horizonMs: number;
  /** One attainment target for every class, instead of the SLO's. */
  readonly target?: number;
  readonly seed: number;
  readonly strategies: readonly string[];
}

/**
 * Runs the sweep.
 * @param scenario - the resolved scenario
 * @param executor - where the runs are simulated
 * @param opts - the parameter and its values, runs per value, horizon, target, seed, strategies
 * @param onProgress - the fraction done, now and then
 * @returns the sweep result
 */
export async function sweepParameter(
  scenario: ResolvedScenario,
  executor: RunExecutor,
  opts: ParameterSweepOptions,
  onProgress?: (fraction: number) => void,
): Promise<ParameterSweepResult> {
  const { spec, runsPerValue } = opts;
  const targets = sloTargets(scenario, opts.target);
  const tasks: RunTask[] = spec.values.flatMap((value) =>
    Array.from({ length: runsPerValue }, (_, j): RunTask => ({
      runIndex: j,
      seed: runSeed(opts.seed, j),
      durationMs: opts.horizonMs,
      strategies: opts.strategies,
      parameter: { path: spec.path, value },
    })),
  );
  const results = await executor.run(tasks, onProgress);
  const strategies = opts.strategies.map((name, s): StrategyParameterSweep => {
    const points = spec.values.map((value, k) => {
      const runs = results.slice(k * runsPerValue, (k + 1) * runsPerValue).map((r) => r.strategies[s]!);
      return pointOf(value, runs, spec.provider, opts.horizonMs, targets);
    });
    let best: ParameterPoint | undefined;
    for (const p of points) if (p.meetsSlo && (best === undefined || p.cost < best.cost)) best = p;
    return { name, best: best?.value ?? null, points };
  });
  return { parameter: spec.path, values: spec.values, runsPerValue, horizon: formatDuration(opts.horizonMs), targets, strategies };
}

/**
 * Pools one value's runs of one strategy.
 * @param value - the parameter's value
 * @param runs - the strategy's summary in each run
 * @param provider - the swept provider's id
 * @param horizonMs - each run's span
 * @param targets - attainment targets per class
 * @returns the point
 */
export function pointOf(value: number, runs: readonly StrategyRunSummary[], provider: string, horizonMs: number, targets: { interactive: number; batch: number }): ParameterPoint {
  let cost = 0;
  let requests = 0;
  let succeeded = 0;
  let p95 = 0;
  const slo = { interactive: { requests: 0, attained: 0 }, batch: { requests: 0, attained: 0 } };
  for (const r of runs) {
    cost += r.costUsd;
    requests += r.requests;
    succeeded += r.succeeded;
    p95 += r.latencyP95Ms;
    for (const u of ['interactive', 'batch'] as const) {
      slo[u].requests += r.slo[u].requests;
      slo[u].attained += r.slo[u].attained;
    }
  }
  const attainment = (u: 'interactive' | 'batch'): number | null => (slo[u].requests === 0 ? null : slo[u].attained / slo[u].requests);
  const interactive = attainment('interactive');
  const batch = attainment('batch');
  const n = Math.max(1, runs.length);
  return {
    value,
    cost: cost / n,
    costPerImage: succeeded > 0 ? cost / succeeded : null,
    successRate: requests > 0 ? succeeded / requests : 0,
    attainment: { interactive, batch },
    meetsSlo: requests > 0 && (interactive === null || interactive >= targets.interactive) && (batch === null || batch >= targets.batch),
    latencyP95Ms: p95 / n,
    reserved: reservedPoint(runs, provider, horizonMs),
  };
}

/** The swept provider's reservation pooled over the runs; null when it has none. */
function reservedPoint(runs: readonly StrategyRunSummary[], provider: string, horizonMs: number): ReservedPoint | null {
  let slots = 0;
  let busy = 0;
  let fee = 0;
  let marginal = 0;
  let overflow = 0;
  let images = 0;
  for (const r of runs) {
    const x = r.providers[provider]?.reserved;
    if (x === undefined) return null;
    slots = x.slots;
    busy += x.busySlotMs;
    fee += x.fee;
    marginal += x.marginal;
    overflow += x.overflow;
    images += x.images;
  }
  const n = Math.max(1, runs.length);
  return {
    slots,
    utilisation: slots > 0 && horizonMs > 0 ? busy / (slots * horizonMs * n) : 0,
    fee: fee / n,
    marginal: marginal / n,
    overflow: overflow / n,
    costPerImage: images > 0 ? (fee + marginal + overflow) / images : null,
  };
}
