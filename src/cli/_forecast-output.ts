/**
 * Writes a forecast's files, for `imgsim forecast` and `imgsim merge` alike (so a merged forecast
 * gets exactly the files a single run writes): forecast.json, forecast.md, and with html or png
 * the charts and forecast.html.
 */
import path from 'node:path';
import type { Forecast } from '../forecast/forecast-types.js';
import { serializeForecast } from '../forecast/json.js';
import { renderForecastMarkdown } from '../forecast/markdown.js';
import { writeFileAtomic } from '../report/atomic.js';
import { formatsOption } from './args.js';

/** Formats a forecast can be written in. */
export const FORECAST_FORMATS = ['json', 'md', 'html', 'png'] as const;

/**
 * Parses `--format` for a forecast.
 * @param value - e.g. `json,md,html`
 * @returns the formats
 */
export function parseForecastFormats(value: string | undefined): Set<string> {
  return formatsOption(value, FORECAST_FORMATS);
}

/**
 * Writes the forecast in the formats asked for.
 * @param forecast - the forecast
 * @param formats - from {@link parseForecastFormats}
 * @param outDir - the output folder
 * @param scenarioFile - the scenario file as given (shown in forecast.html), if known
 * @returns forecast.json's text (for `--json`) and warnings for the user
 */
export async function writeForecastOutputs(forecast: Forecast, formats: ReadonlySet<string>, outDir: string, scenarioFile?: string): Promise<{ json: string; warnings: string[] }> {
  const json = serializeForecast(forecast);
  if (formats.has('json')) writeFileAtomic(path.join(outDir, 'forecast.json'), json);
  if (formats.has('md')) writeFileAtomic(path.join(outDir, 'forecast.md'), renderForecastMarkdown(forecast));
  const warnings: string[] = [];
  if (formats.has('html') || formats.has('png')) {
    const { writeForecastVisuals } = await import('../forecast/visual.js');
    const result = await writeForecastVisuals(forecast, {
      outDir,
      html: formats.has('html'),
      png: formats.has('png'),
      ...(scenarioFile === undefined ? {} : { scenarioFile }),
    });
    warnings.push(...result.warnings);
  }
  return { json, warnings };
}
