/**
 * `imgsim merge`: partial results of shards in, the forecast a single run over the same seeds
 * would have written out. The partials must share their parameters (scenario and its content
 * hash, seed, runs, horizon, strategies) and cover every run exactly once.
 */
import { ImgsimError } from '../scenario/errors.js';
import { aggregateForecast } from './aggregate.js';
import type { Forecast } from './forecast-types.js';
import type { PartialForecast } from './json.js';
import type { ForecastParameters } from './parameters.js';
import type { RunSummary } from './summary.js';

/** A partial result and the file it came from. */
export interface NamedPartial {
  readonly file: string;
  readonly partial: PartialForecast;
}

const PARAMETER_LABELS: Readonly<Record<keyof ForecastParameters, string>> = {
  scenario: 'scenario',
  scenarioHash: 'scenario content (hash)',
  seed: 'seed',
  runs: 'runs',
  horizonMs: 'horizon',
  strategies: 'strategies',
  oracle: 'oracle setting (--no-oracle)',
  context: 'scenario facts (budget, providers, credits)',
};

/**
 * Merges partial results into the forecast.
 * @param partials - at least one partial, with file names for messages
 * @returns the forecast
 * @throws ImgsimError `invalid-report` when parameters differ or runs are missing or duplicated
 */
export function mergePartials(partials: readonly NamedPartial[]): Forecast {
  const first = partials[0];
  if (first === undefined) throw new ImgsimError('invalid-argument', 'merge: name at least one partial forecast file');
  const params = first.partial.parameters;
  for (const { file, partial } of partials.slice(1)) {
    for (const key of Object.keys(PARAMETER_LABELS) as (keyof ForecastParameters)[]) {
      const a = JSON.stringify(params[key]);
      const b = JSON.stringify(partial.parameters[key]);
      if (a !== b) {
        const shown = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
        throw new ImgsimError(
          'invalid-report',
          `${file} and ${first.file} are parts of different forecasts: their ${PARAMETER_LABELS[key]} differ (${shown(b)} vs ${shown(a)}); merge the parts of one forecast only`,
        );
      }
    }
  }
  const seenIn = new Map<number, string>();
  const runs: RunSummary[] = [];
  for (const { file, partial } of partials) {
    for (const run of partial.runs) {
      const other = seenIn.get(run.index);
      if (other !== undefined) {
        throw new ImgsimError('invalid-report', `run ${run.index} is in both ${other} and ${file}: a shard was given twice, or two runs used the same --shard`);
      }
      seenIn.set(run.index, file);
      runs.push(run);
    }
  }
  const missing: number[] = [];
  for (let i = 0; i < params.runs; i++) if (!seenIn.has(i)) missing.push(i);
  if (missing.length > 0) {
    const counts = [...new Set(partials.map((p) => p.partial.shard.count))];
    const have = partials.map((p) => `${p.partial.shard.index}/${p.partial.shard.count}`).join(', ');
    throw new ImgsimError(
      'invalid-report',
      `${missing.length} of ${params.runs} runs are missing (runs ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}); ` +
        `the parts given are shards ${have}${counts.length === 1 ? ` of ${counts[0]}` : ''}: merge every shard`,
    );
  }
  return aggregateForecast(params, runs);
}
