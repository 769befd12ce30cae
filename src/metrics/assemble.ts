/**
 * The report object (docs/contract.md §5) from the strategies' sections: version, scenario, seed,
 * mode, window, and each strategy's threshold verdicts. Shared by `simulate` and the live harness.
 */
import { interactiveBoundMs, sloTargets } from '../model/rules/slo.js';
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
    slo: sloTerms(scenario),
    ...(scenario.budget === undefined ? {} : { budget: { limit: scenario.budget.limit, periodMs: scenario.budget.period, perProject: { ...scenario.budget.perProject }, onExhausted: scenario.budget.onExhausted } }),
    strategies: strategies.map((r) => ({ ...r, thresholds: verdicts.get(r.name) ?? [] })),
    ...(oracle === undefined ? {} : { oracle }),
  };
}

/**
 * The SLO a run is judged by (src/model/rules/slo.ts): bounds and targets per urgency.
 * @param scenario - the scenario
 * @returns the report's `slo`
 */
function sloTerms(scenario: ResolvedScenario): NonNullable<Report['slo']> {
  const targets = sloTargets(scenario.slo);
  return {
    interactive: { boundMs: interactiveBoundMs(scenario.slo), target: targets.interactive },
    batch: { deadlineMs: scenario.slo.batch?.deadline ?? Number.NaN, p95Ms: scenario.slo.batch?.p95 ?? Number.NaN, target: targets.batch },
  };
}
