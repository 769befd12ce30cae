/**
 * The chart tests' report: test/fixtures/charts.yaml simulated once per test file (six hours,
 * three strategies, about 6,400 requests each; well under a second).
 */
import path from 'node:path';
import type { Report } from '../../../src/metrics/report-types.js';
import type { ResolvedScenario } from '../../../src/scenario/resolve.js';
import { loadScenario } from '../../../src/scenario/load.js';
import { simulate } from '../../../src/sim/run.js';

/** The chart fixture scenario's path. */
export const CHARTS_SCENARIO = path.join(import.meta.dirname, '../../fixtures/charts.yaml');

/**
 * Loads and runs the chart fixture scenario.
 * @returns the scenario and its report
 */
export async function chartsRun(): Promise<{ scenario: ResolvedScenario; report: Report }> {
  const scenario = loadScenario(CHARTS_SCENARIO);
  const report = await simulate(scenario);
  return { scenario, report };
}
