/**
 * The forecast's files: `forecast.json` (byte-stable: keys in the order the aggregation builds
 * them, which is fixed, providers and accounts in scenario order; numbers rounded to 10
 * significant digits; no wall-clock time) and the partial result of a shard (the parameters and
 * every run's summary, numbers exact, so a merge aggregates the very numbers a single run would).
 */
import { IMGSIM_VERSION } from '../metrics/assemble.js';
import { round10 } from '../report/json.js';
import { ImgsimError } from '../scenario/errors.js';
import type { Forecast } from './forecast-types.js';
import type { Shard } from './monte-carlo.js';
import type { ForecastParameters } from './parameters.js';
import type { RunSummary } from './summary.js';

/** The `kind` of a partial result file. */
export const PARTIAL_KIND = 'forecast-partial';

/** A shard's partial result. */
export interface PartialForecast {
  readonly imgsim: string;
  readonly kind: typeof PARTIAL_KIND;
  readonly shard: Shard;
  readonly parameters: ForecastParameters;
  /** The shard's runs, by index. */
  readonly runs: readonly RunSummary[];
}

/**
 * Writes forecast.json.
 * @param forecast - the forecast
 * @returns its JSON text, two-space indented, with a final newline
 */
export function serializeForecast(forecast: Forecast): string {
  return `${JSON.stringify(forecast, (_key, value: unknown) => (typeof value === 'number' ? round10(value) : value), 2)}\n`;
}

/**
 * The file name of a shard's partial result.
 * @param shard - the shard
 * @returns e.g. `forecast.part-2-of-4.json`
 */
export function partialFileName(shard: Shard): string {
  return `forecast.part-${shard.index}-of-${shard.count}.json`;
}

/**
 * Writes a partial result (compact JSON, numbers exact).
 * @param shard - which shard
 * @param parameters - the forecast parameters
 * @param runs - the shard's run summaries
 * @returns the JSON text with a final newline
 */
export function serializePartial(shard: Shard, parameters: ForecastParameters, runs: readonly RunSummary[]): string {
  const partial: PartialForecast = { imgsim: IMGSIM_VERSION, kind: PARTIAL_KIND, shard, parameters, runs };
  return `${JSON.stringify(partial)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads a partial result, checking its shape.
 * @param text - the file's text
 * @param file - its name, for messages
 * @returns the partial result
 * @throws ImgsimError `invalid-report` when it is not a partial forecast of this imgsim version
 */
export function parsePartial(text: string, file: string): PartialForecast {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ImgsimError('invalid-report', `${file}: not JSON (${err instanceof Error ? err.message : String(err)}); expected a partial forecast written by \`imgsim forecast --shard k/n\``);
  }
  if (!isObject(data) || data.kind !== PARTIAL_KIND) {
    throw new ImgsimError('invalid-report', `${file}: not a partial forecast (expected "kind": "${PARTIAL_KIND}", as \`imgsim forecast --shard k/n\` writes)`);
  }
  if (data.imgsim !== IMGSIM_VERSION) {
    throw new ImgsimError('invalid-report', `${file}: written by imgsim ${String(data.imgsim)}; this is ${IMGSIM_VERSION}, rerun the shard with this version`);
  }
  const p = data.parameters;
  if (
    !isObject(p) ||
    typeof p.scenario !== 'string' ||
    typeof p.scenarioHash !== 'string' ||
    typeof p.seed !== 'number' ||
    typeof p.runs !== 'number' ||
    typeof p.horizonMs !== 'number' ||
    !Array.isArray(p.strategies) ||
    typeof p.oracle !== 'boolean' ||
    !isObject(p.context)
  ) {
    throw new ImgsimError('invalid-report', `${file}: the partial forecast has no valid "parameters"`);
  }
  const shard = data.shard;
  if (!isObject(shard) || typeof shard.index !== 'number' || typeof shard.count !== 'number') {
    throw new ImgsimError('invalid-report', `${file}: the partial forecast has no valid "shard"`);
  }
  if (!Array.isArray(data.runs) || !data.runs.every((r) => isObject(r) && typeof r.index === 'number' && Array.isArray(r.strategies))) {
    throw new ImgsimError('invalid-report', `${file}: the partial forecast has no valid "runs"`);
  }
  return data as unknown as PartialForecast;
}
