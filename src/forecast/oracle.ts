/**
 * The hindsight oracle for forecasts: what routing could have cost on one run's realised draws
 * (see src/sim/oracle.ts for what it computes and assumes). The computation lives in `sim/`
 * because `simulate()` reports it and `sim` never imports `forecast`; this is the forecast's
 * entry point, one run per seed.
 */
import type { ResolvedScenario } from '../scenario/resolve.js';
import { availabilityCurves } from '../model/availability.js';
import { runOracle, type OracleResult } from '../sim/oracle.js';
import { withOverrides } from '../sim/run.js';
import { openTraffic } from '../traffic/traffic.js';

export type { OracleResult } from '../sim/oracle.js';

/** Options of {@link oracleFor}. */
export interface OracleForOptions {
  /** Overrides the scenario's duration (a forecast's horizon), ms. */
  readonly durationMs?: number;
  /** Called now and then with the fraction of the window done. */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * The hindsight oracle of one run: the capacity-aware plan's cost and the unconstrained lower
 * bound, for the scenario's traffic and provider luck under `seed`. The same numbers as
 * `simulate(scenario, { seed }).oracle`, without running any strategy.
 * @param scenario - from `loadScenario`
 * @param seed - the run's seed (default: the scenario's)
 * @param opts - duration override, progress
 * @returns the oracle's result
 */
export function oracleFor(scenario: ResolvedScenario, seed?: number, opts: OracleForOptions = {}): OracleResult {
  const s = withOverrides(scenario, { seed, durationMs: opts.durationMs });
  const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
  try {
    return runOracle(s, availabilityCurves(s), source, opts.onProgress ? { onProgress: opts.onProgress } : {}).result;
  } finally {
    source.close();
  }
}
