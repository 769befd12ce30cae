/**
 * Monte Carlo over seeds: run i simulates every strategy over the horizon with the seed
 * {@link runSeed}(seed, i) and returns a compact {@link RunSummary}. Runs are tasks handed to an
 * executor (worker threads, see workers.ts, or this thread); results are kept by run index, never
 * by completion order, so the forecast does not depend on how many threads ran it.
 */
import type { StrategyFactory } from '../routing/strategy.js';
import { loadScenarioStrategyFiles, selectStrategyRefs, strategyFees } from '../routing/strategy-refs.js';
import { buildStrategy } from '../routing/strategies/registry.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { ServiceLog } from '../metrics/service-log.js';
import { availabilityCurves } from '../model/availability.js';
import { Simulation } from '../sim/engine.js';
import { regretReport, runOracle } from '../sim/oracle.js';
import { withOverrides } from '../sim/run.js';
import { openTraffic } from '../traffic/traffic.js';
import { forecastContext, runSeed, type ForecastContext, type ForecastParameters } from './parameters.js';
import { withParameter, type ParameterValue } from './sweep-parameters.js';
import { summarizeStrategy, type RunSummary } from './summary.js';

/** One run to simulate. */
export interface RunTask {
  /** Run index (0-based); for sweep probes, the probe's run index. */
  readonly runIndex: number;
  readonly seed: number;
  readonly durationMs: number;
  /** Strategy names to run, in order. */
  readonly strategies: readonly string[];
  /** The base arrival rate, per second, instead of the scenario's (sweep probes). */
  readonly ratePerSec?: number;
  /** A provider parameter instead of the scenario's (parameter sweeps, sweep-parameters.ts). */
  readonly parameter?: ParameterValue;
  /** Also compute the hindsight oracle and each strategy's regret (default false). */
  readonly oracle?: boolean;
}

/** Called as a run advances: the fraction of the task done, in [0, 1]. */
export type TaskProgress = (fraction: number) => void;

/** Runs tasks somewhere: this thread or a pool of worker threads. */
export interface RunExecutor {
  /** Threads simulating (0 for this thread). */
  readonly threads: number;
  /**
   * Runs tasks; results come in task order.
   * @param tasks - the runs
   * @param onProgress - fraction of all the tasks done, now and then
   * @returns one summary per task, in task order
   */
  run(tasks: readonly RunTask[], onProgress?: (fraction: number) => void): Promise<RunSummary[]>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** What every run of a scenario shares: the scenario, its loaded strategy files, its context. */
export interface RunSetup {
  readonly scenario: ResolvedScenario;
  readonly files: ReadonlyMap<string, StrategyFactory>;
  readonly context: ForecastContext;
}

/**
 * Loads what the runs of a scenario need (its strategy files), once per thread.
 * @param scenario - the resolved scenario
 * @returns the setup
 */
export async function prepareRuns(scenario: ResolvedScenario): Promise<RunSetup> {
  return { scenario, files: await loadScenarioStrategyFiles(scenario), context: forecastContext(scenario) };
}

/**
 * The scenario with another base arrival rate (its pattern still applies).
 * @param scenario - the resolved scenario, with synthetic traffic
 * @param ratePerSec - the new `traffic.arrivals.rate`, per second
 * @returns the scenario to run
 * @throws ImgsimError for a replayed trace, whose rate is the trace's
 */
export function withArrivalRate(scenario: ResolvedScenario, ratePerSec: number): ResolvedScenario {
  const traffic = scenario.traffic;
  if (traffic.kind !== 'synthetic') {
    throw new ImgsimError('invalid-argument', `${scenario.file}: a replayed trace has its own rate; --sweep needs synthetic traffic (traffic.arrivals)`);
  }
  return { ...scenario, traffic: { ...traffic, arrivals: { ...traffic.arrivals, rate: ratePerSec } } };
}

/**
 * Simulates one run: every strategy asked for, on the same traffic and provider luck.
 * @param setup - from {@link prepareRuns}
 * @param task - the run
 * @param onProgress - fraction of the run done, now and then
 * @returns the run's summary
 */
export function simulateRun(setup: RunSetup, task: RunTask, onProgress?: TaskProgress): RunSummary {
  let s = withOverrides(setup.scenario, { seed: task.seed, durationMs: task.durationMs });
  if (task.ratePerSec !== undefined) s = withArrivalRate(s, task.ratePerSec);
  if (task.parameter !== undefined) s = withParameter(s, task.parameter);
  const refs = selectStrategyRefs(s, task.strategies);
  const curves = availabilityCurves(s);
  const withOracle = task.oracle === true;
  // The oracle is one more pass over the traffic, about as long as a strategy's.
  const steps = refs.length + (withOracle ? 1 : 0);
  const logs: ServiceLog[] = [];
  const runs = refs.map((ref, i) => {
    const strategy = buildStrategy(ref, { scenario: s, files: setup.files });
    const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
    try {
      const log = withOracle ? new ServiceLog() : undefined;
      if (log) logs.push(log);
      const sim = new Simulation(s, strategy, source, curves, undefined, log, strategyFees(ref));
      const { collector } = sim.run(onProgress ? (ms) => { onProgress((i + ms / s.durationMs) / steps); } : undefined);
      return { report: collector.toReport(strategy.name, s.durationMs), usage: collector.usage };
    } finally {
      source.close();
    }
  });
  let oracle: RunSummary['oracle'] = null;
  let lowerBounds: readonly number[] = [];
  if (withOracle) {
    const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
    try {
      const done = runOracle(s, curves, source, { logs, ...(onProgress ? { onProgress: (f: number) => { onProgress((refs.length + f) / steps); } } : {}) });
      oracle = { cost: done.result.cost, unconstrainedCost: done.result.unconstrainedCost };
      lowerBounds = done.lowerBounds;
    } finally {
      source.close();
    }
  }
  const strategies = runs.map(({ report, usage }, i) => {
    const withRegret = oracle === null ? report : { ...report, regret: regretReport(report.cost.total, oracle.cost, lowerBounds[i]!) };
    return summarizeStrategy(withRegret, usage, setup.context, s.durationMs);
  });
  return { index: task.runIndex, seed: task.seed, strategies, oracle };
}

/**
 * An executor on this thread (no worker threads). Each summary goes through JSON, as it does
 * from a worker or a partial file, so every path aggregates the very same numbers.
 * @param scenario - the resolved scenario
 * @returns the executor
 */
export function inlineExecutor(scenario: ResolvedScenario): RunExecutor {
  let setup: Promise<RunSetup> | undefined;
  return {
    threads: 0,
    async run(tasks, onProgress) {
      setup ??= prepareRuns(scenario);
      const ready = await setup;
      const out: RunSummary[] = [];
      for (const [i, task] of tasks.entries()) {
        const summary = simulateRun(ready, task, onProgress ? (f) => { onProgress((i + f) / tasks.length); } : undefined);
        out.push(JSON.parse(JSON.stringify(summary)) as RunSummary);
        onProgress?.((i + 1) / tasks.length);
      }
      return out;
    },
    close: () => Promise.resolve(),
  };
}

/** Which runs a shard simulates. */
export interface Shard {
  /** 1-based shard number k. */
  readonly index: number;
  /** Number of shards n. */
  readonly count: number;
}

/**
 * The run indices of a shard: i ≡ k − 1 (mod n), so shards get runs spread across the range
 * and equal counts to within one.
 * @param runs - total runs
 * @param shard - the shard, or undefined for all runs
 * @returns run indices, ascending
 */
export function shardRuns(runs: number, shard: Shard | undefined): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) if (shard === undefined || i % shard.count === shard.index - 1) out.push(i);
  return out;
}

/**
 * Simulates the runs of a forecast (all of them, or one shard's).
 * @param params - the forecast parameters
 * @param executor - where to run them
 * @param opts - shard and progress
 * @param opts.shard - only this shard's runs
 * @param opts.onProgress - fraction done
 * @returns the runs' summaries, by run index
 */
export async function simulateRuns(
  params: ForecastParameters,
  executor: RunExecutor,
  opts: { shard?: Shard | undefined; onProgress?: ((fraction: number) => void) | undefined } = {},
): Promise<RunSummary[]> {
  const tasks = shardRuns(params.runs, opts.shard).map(
    (runIndex): RunTask => ({ runIndex, seed: runSeed(params.seed, runIndex), durationMs: params.horizonMs, strategies: params.strategies, oracle: params.oracle }),
  );
  return executor.run(tasks, opts.onProgress);
}

