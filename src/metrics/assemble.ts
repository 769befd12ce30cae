/**
 * The report object (docs/contract.md §5) from the strategies' sections: version, scenario, seed,
 * mode, window, and each strategy's threshold verdicts. Shared by `simulate` and the live harness.
 */
import { worldHash } from '../scenario/hash.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { OracleReport, Report, StrategyReport } from './report-types.js';
import { evaluateThresholds } from './thresholds.js';

/** The version written into reports. */
export const IMGSIM_VERSION = '1.0.0';

/**
 * Assembles a report and evaluates the scenario's thresholds on it.
 * @param scenario - the scenario run (its name, seed and thresholds)
 * @param mode - `sim` or `live`
 * @param endMs - the end of the window reported (simulated epoch ms)
 * @param strategies - each strategy's section, thresholds not yet filled in
 * @param oracle - the hindsight oracle's section, when it was run
 * @returns the report
 */
export function assembleReport(
  scenario: ResolvedScenario,
  mode: Report['mode'],
  endMs: number,
  strategies: readonly StrategyReport[],
  oracle?: OracleReport,
): Report {
  const verdicts = evaluateThresholds(scenario.thresholds, strategies);
  return {
    imgsim: IMGSIM_VERSION,
    scenario: scenario.name,
    scenarioHash: worldHash(scenario),
    seed: scenario.seed,
    mode,
    window: { start: new Date(scenario.startMs).toISOString(), end: new Date(endMs).toISOString() },
    strategies: strategies.map((r) => ({ ...r, thresholds: verdicts.get(r.name) ?? [] })),
    ...(oracle === undefined ? {} : { oracle }),
  };
}
