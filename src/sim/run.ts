/**
 * `simulate()`: every strategy of a scenario over the same traffic and the same provider luck,
 * in simulated time, into one report (docs/contract.md §5).
 */
import { statSync } from 'node:fs';
import { assembleReport } from '../metrics/assemble.js';
import type { AttemptSink } from '../metrics/attempt-log.js';
import type { Report, StrategyReport } from '../metrics/report-types.js';
import { ServiceLog } from '../metrics/service-log.js';
import { DEFAULT_STRATEGY_TIMEOUT_MS, runWatched, setStrategyTimeout } from '../routing/decision-watchdog.js';
import { loadScenarioStrategyFiles, selectStrategyRefs, strategyFees } from '../routing/strategy-refs.js';
import { buildStrategy } from '../routing/strategies/registry.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { availabilityCurves } from '../model/availability.js';
import { Simulation } from './engine.js';
import { regretReport, runOracle, type OracleRun } from './oracle.js';
import { hasReservation } from './reserved.js';
import { OracleThread, oracleThreadPays } from './oracle-thread.js';
import { TraceReader } from '../traffic/trace.js';
import { openTraffic } from '../traffic/traffic.js';

/** Options of {@link simulate}. */
export interface SimulateOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Runs only the strategies with these names (as reports name them). */
  readonly strategies?: readonly string[];
  /** Overrides the scenario's duration, ms. */
  readonly durationMs?: number;
  /** Overrides what a replayed trace does with a bad row: stop with an error, or skip it. */
  readonly onBadRow?: 'fail' | 'skip';
  /** Called with warnings, e.g. how many trace rows were skipped and why (once per run). */
  readonly onWarning?: (message: string) => void;
  /**
   * Runs the hindsight oracle after the strategies and adds `oracle` and each strategy's
   * `regret` to the report (default true; it costs one more pass over the traffic).
   */
  readonly oracle?: boolean;
  /**
   * Called now and then: which strategy (0-based) of how many, and the fraction of its
   * simulated window done. The oracle's pass comes last, named `oracle`, and counts as one more.
   */
  readonly onProgress?: (strategyIndex: number, strategyCount: number, fraction: number, name: string) => void;
  /**
   * Receives every attempt of every strategy once it is over (the record names its strategy;
   * it is reused, so copy what you keep). For `imgsim run --attempts-log`.
   */
  readonly onAttempt?: AttemptSink;
  /**
   * The per-decision watchdog's limit for one call into a strategy file's code (`route`,
   * `observe`, ...), ms of wall time (default 5000; 0 turns it off). See docs/strategies.md.
   */
  readonly strategyTimeoutMs?: number;
  /**
   * Runs the hindsight oracle on a thread of its own, beside the strategies (same figures, about
   * the longer of the two passes instead of their sum). Default: when the run is large enough to
   * gain from it ({@link oracleThreadPays}) and the compiled package is what runs; `true` insists
   * (an error from the TypeScript sources), `false` runs it after the strategies on this thread.
   */
  readonly oracleThread?: boolean;
}

/**
 * Applies seed and duration overrides to a scenario.
 * @param scenario - the resolved scenario
 * @param opts - overrides
 * @returns the scenario to run
 */
export function withOverrides(scenario: ResolvedScenario, opts: Pick<SimulateOptions, 'seed' | 'durationMs' | 'onBadRow'>): ResolvedScenario {
  const seed = opts.seed ?? scenario.seed;
  const durationMs = opts.durationMs ?? scenario.durationMs;
  const traffic =
    opts.onBadRow !== undefined && scenario.traffic.kind === 'trace'
      ? { kind: 'trace' as const, trace: { ...scenario.traffic.trace, onBadRow: opts.onBadRow } }
      : scenario.traffic;
  if (seed === scenario.seed && durationMs === scenario.durationMs && traffic === scenario.traffic) return scenario;
  return { ...scenario, seed, durationMs, endMs: scenario.startMs + durationMs, traffic };
}

/**
 * Runs every strategy (or those named) of a scenario in simulated time.
 * @param scenario - from `loadScenario`
 * @param opts - seed, strategy filter, duration, progress callback
 * @returns the report; the same scenario, seed and options give the same report
 * @throws ImgsimError for an unknown strategy name or a strategy file that does not load
 */
export async function simulate(scenario: ResolvedScenario, opts: SimulateOptions = {}): Promise<Report> {
  const s = withOverrides(scenario, opts);
  const refs = selectStrategyRefs(s, opts.strategies);
  const files = await loadScenarioStrategyFiles(s);
  setStrategyTimeout(opts.strategyTimeoutMs ?? DEFAULT_STRATEGY_TIMEOUT_MS);
  const curves = availabilityCurves(s);
  // The oracle prices every attempt on demand: it has no plan to offer against reserved slots.
  const withOracle = (opts.oracle ?? true) && !hasReservation(s);
  const steps = refs.length + (withOracle ? 1 : 0);
  const reports: StrategyReport[] = [];
  const logs: ServiceLog[] = [];
  const thread = withOracle && (opts.oracleThread ?? oracleThreadPays(s, traceBytes(s))) ? OracleThread.start(s, refs.length) : undefined;
  if (opts.oracleThread === true && thread === undefined) throw new Error("oracleThread: the oracle's thread runs from the compiled package (dist/), not from the TypeScript sources");
  try {
    refs.forEach((ref, i) => {
      const strategy = buildStrategy(ref, { scenario: s, files });
      const own = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
      const source = thread ? thread.traffic(i, own) : own;
      try {
        const log = withOracle ? new ServiceLog(thread?.sink(i)) : undefined;
        if (log) logs.push(log);
        const sim = new Simulation(s, strategy, source, curves, opts.onAttempt, log, strategyFees(ref));
        const onProgress = opts.onProgress;
        // Watched: a strategy file's call that does not return is ended (decision-watchdog.ts).
        const { collector } = runWatched(() =>
          sim.run(
            onProgress
              ? (ms) => {
                  onProgress(i, steps, ms / s.durationMs, strategy.name);
                }
              : undefined,
          ),
        );
        thread?.end(i);
        reports.push(collector.toReport(strategy.name, s.durationMs));
        if (i === 0 && source instanceof TraceReader && source.skippedRows > 0) {
          opts.onWarning?.(`${source.file}: skipped ${source.skippedRows} bad rows:\n  ${source.warnings.join('\n  ')}`);
        }
      } finally {
        source.close();
      }
    });
    if (!withOracle) return assembleReport(s, 'sim', s.endMs, reports);
    const onProgress = opts.onProgress;
    const progress = onProgress
      ? (fraction: number) => {
          onProgress(refs.length, steps, fraction, 'oracle');
        }
      : undefined;
    const { result, lowerBounds } = thread ? await thread.result(progress) : oracleInline(s, curves, logs, progress);
    const withRegret = reports.map((r, i) => ({ ...r, regret: regretReport(r.cost.total, result.cost, lowerBounds[i]!) }));
    return assembleReport(s, 'sim', s.endMs, withRegret, result);
  } finally {
    thread?.stop();
  }
}

/** The oracle's pass on this thread, after the strategies' runs. */
function oracleInline(s: ResolvedScenario, curves: ReturnType<typeof availabilityCurves>, logs: readonly ServiceLog[], onProgress: ((fraction: number) => void) | undefined): OracleRun {
  const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
  try {
    return runOracle(s, curves, source, { logs, ...(onProgress ? { onProgress } : {}) });
  } finally {
    source.close();
  }
}

/** The size of a replayed trace, bytes (undefined for synthetic traffic or a file not there). */
function traceBytes(s: ResolvedScenario): number | undefined {
  if (s.traffic.kind !== 'trace') return undefined;
  try {
    return statSync(s.traffic.trace.file).size;
  } catch {
    return undefined;
  }
}
