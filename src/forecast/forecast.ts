/**
 * `forecast()`: the library front of `imgsim forecast` — parameters, runs (on this thread or on
 * worker threads), aggregation.
 */
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { aggregateForecast } from './aggregate.js';
import type { Forecast } from './forecast-types.js';
import { simulateRuns } from './monte-carlo.js';
import { forecastParameters } from './parameters.js';
import { createExecutor } from './workers.js';

/** Options of {@link forecast}. */
export interface ForecastOptions {
  /** Independent runs (at least 1). */
  readonly runs: number;
  /** Simulated span of each run, ms (default the scenario's duration). */
  readonly horizonMs?: number;
  /** Base seed (default the scenario's); run i derives its own seed from it. */
  readonly seed?: number;
  /** Strategy names (default all of the scenario's). */
  readonly strategies?: readonly string[];
  /** Compute the hindsight oracle and each strategy's regret (default true). */
  readonly oracle?: boolean;
  /** Worker threads (default 0: simulate on the calling thread). */
  readonly threads?: number;
  /** Fraction of the runs done, now and then. */
  readonly onProgress?: (fraction: number) => void;
}

/**
 * A Monte Carlo forecast of a scenario: `runs` independent seeds over the horizon, aggregated.
 * The result is the same for any number of threads.
 * @param scenario - the resolved scenario
 * @param opts - runs, horizon, seed, strategies, threads, progress
 * @returns the forecast (as forecast.json holds it, before rounding)
 * @throws ImgsimError for fewer than one run or an unknown strategy name
 */
export async function forecast(scenario: ResolvedScenario, opts: ForecastOptions): Promise<Forecast> {
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new ImgsimError('invalid-argument', `runs: expected a whole number >= 1, got ${opts.runs}`);
  const params = forecastParameters(scenario, {
    seed: opts.seed ?? scenario.seed,
    runs: opts.runs,
    horizonMs: opts.horizonMs ?? scenario.durationMs,
    strategies: opts.strategies,
    oracle: opts.oracle,
  });
  const executor = createExecutor(scenario, opts.threads ?? 0);
  try {
    return aggregateForecast(params, await simulateRuns(params, executor, { onProgress: opts.onProgress }));
  } finally {
    await executor.close();
  }
}
