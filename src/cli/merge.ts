/**
 * `imgsim merge <partial.json>...`: the partial results of `imgsim forecast --shard k/n` into
 * the forecast.json (and forecast.md) a single run over the same seeds writes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePartial } from '../forecast/json.js';
import { mergePartials, type NamedPartial } from '../forecast/merge.js';
import { renderForecastTable } from '../forecast/table.js';
import { ImgsimError } from '../scenario/errors.js';
import { parseCommandArgs } from './args.js';
import { parseForecastFormats, writeForecastOutputs } from './_forecast-output.js';
import { EXIT } from './output.js';

/** Usage text. */
export const MERGE_USAGE = `Usage: imgsim merge <partial.json>... [options]

Combines the partial results of \`imgsim forecast --shard k/n\` (one per shard, any order) into
forecast.json and forecast.md (and the charts with --format html,png): byte for byte what one \`imgsim forecast\` over the same runs
writes. The parts must come from the same scenario, seed, runs, horizon and strategies, and
cover every run exactly once.

Options:
  --out DIR        where to write (default reports/<scenario name>/)
  --format LIST    comma-separated: json, md, html, png (default json,md)
  --json           print forecast.json to stdout instead of the table
  --quiet          no table
Exit codes: 0 ok, 2 bad input (parts of different forecasts, a missing or repeated run).`;

/**
 * Runs the command.
 * @param argv - arguments after `merge`
 * @returns the exit code
 */
export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('merge', argv, {
    out: { type: 'string' },
    format: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${MERGE_USAGE}\n`);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new ImgsimError('invalid-argument', `merge: name the partial forecast files\n${MERGE_USAGE}`);
  const formats = parseForecastFormats(values.format);
  const partials: NamedPartial[] = positionals.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ImgsimError('file-not-found', `${file}: cannot read it (${code ?? String(err)})`);
    }
    return { file, partial: parsePartial(text, file) };
  });
  const forecast = mergePartials(partials);
  const outDir = values.out ?? path.join('reports', forecast.scenario);
  const { json, warnings } = await writeForecastOutputs(forecast, formats, outDir);
  if (!values.quiet) for (const w of warnings) process.stderr.write(`imgsim: ${w}\n`);
  if (values.json) process.stdout.write(json);
  else if (!values.quiet) {
    process.stdout.write(renderForecastTable(forecast));
    process.stdout.write(`\n${partials.length} parts merged; forecast written to ${outDir}${path.sep}\n`);
  }
  return EXIT.ok;
}
