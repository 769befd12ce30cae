/**
 * A small real forecast for the output tests: the minimal fixture, 8 runs of 3 simulated days at
 * a low rate (so the runs differ visibly), simulated on this thread and memoised.
 */
import path from 'node:path';
import { aggregateForecast } from '../../src/forecast/aggregate.js';
import type { Forecast } from '../../src/forecast/forecast-types.js';
import { inlineExecutor, simulateRuns } from '../../src/forecast/monte-carlo.js';
import { forecastParameters } from '../../src/forecast/parameters.js';
import { loadScenario } from '../../src/scenario/load.js';
import type { ResolvedScenario } from '../../src/scenario/resolve.js';

/** The scenario file the forecast comes from. */
export const FORECAST_SCENARIO = path.join(import.meta.dirname, '../fixtures/minimal.yaml');

let memo: Promise<Forecast> | undefined;

/** @returns the forecast (the same object on every call) */
export function smallForecast(): Promise<Forecast> {
  memo ??= (async () => {
    const loaded = loadScenario(FORECAST_SCENARIO);
    const traffic = loaded.traffic;
    if (traffic.kind !== 'synthetic') throw new Error('minimal.yaml has synthetic traffic');
    const scenario: ResolvedScenario = { ...loaded, traffic: { ...traffic, arrivals: { ...traffic.arrivals, rate: 0.01 } } };
    const params = forecastParameters(scenario, { seed: 5, runs: 8, horizonMs: 3 * 86_400_000 });
    const executor = inlineExecutor(scenario);
    try {
      return aggregateForecast(params, await simulateRuns(params, executor));
    } finally {
      await executor.close();
    }
  })();
  return memo;
}
