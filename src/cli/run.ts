/**
 * `imgsim run <scenario>`: simulate every strategy, print the summary table, write the reports.
 */
import path from 'node:path';
import { thresholdsFailed } from '../metrics/thresholds.js';
import { writeFileAtomic } from '../report/atomic.js';
import { serializeReport } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderSummaryTable } from '../report/summary-table.js';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import { formatDuration, isUnitError, parseDurationMs } from '../scenario/units.js';
import { simulate } from '../sim/run.js';
import { intOption, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';
import { createProgress } from './progress.js';

/** Report formats `run` can write. */
export const RUN_FORMATS = ['json', 'md'] as const;

/** Usage text. */
export const RUN_USAGE = `Usage: imgsim run <scenario.yaml> [options]

Runs every strategy of the scenario in simulated time on the same traffic and the same
provider luck, prints a summary table and writes report.json and report.md.

Options:
  --out DIR           where to write the reports (default reports/<scenario name>/)
  --seed N            override the scenario's seed
  --strategy NAME     run only this strategy (repeatable)
  --duration D        override the simulated duration (e.g. 1h, 7d)
  --format LIST       comma-separated: ${RUN_FORMATS.join(', ')} (default json,md)
  --on-bad-row MODE   for a replayed trace: fail (stop at the first bad row, the default
                      unless the scenario says otherwise) or skip (count and report them)
  --no-oracle         skip the hindsight oracle (the report then has no oracle and no
                      regret; saves one pass over the traffic)
  --json              print report.json to stdout instead of the table
  --quiet             no progress bar, no table
Exit codes: 0 ok, 1 a threshold failed, 2 bad input.`;

/**
 * Runs the command.
 * @param argv - arguments after `run`
 * @returns the exit code
 */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('run', argv, {
    out: { type: 'string' },
    seed: { type: 'string' },
    strategy: { type: 'string', multiple: true },
    duration: { type: 'string' },
    format: { type: 'string' },
    'on-bad-row': { type: 'string' },
    'no-oracle': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `run: name one scenario file\n${RUN_USAGE}`);
  const formats = parseFormats(values.format);
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    const d = parseDurationMs(values.duration);
    if (isUnitError(d) || d <= 0) throw new ImgsimError('invalid-argument', `--duration: expected a duration such as 1h or 7d, got "${values.duration}"`);
    durationMs = d;
  }
  const seed = intOption('seed', values.seed, 0);
  const onBadRow = values['on-bad-row'];
  if (onBadRow !== undefined && onBadRow !== 'fail' && onBadRow !== 'skip') {
    throw new ImgsimError('invalid-argument', `--on-bad-row: expected fail or skip, got "${onBadRow}"`);
  }
  const scenario = loadScenario(file);
  const progress = createProgress(values.quiet === true || values.json === true);
  const report = await simulate(scenario, {
    ...(seed === undefined ? {} : { seed }),
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(values.strategy ? { strategies: values.strategy } : {}),
    ...(onBadRow === undefined ? {} : { onBadRow }),
    oracle: values['no-oracle'] !== true,
    onWarning: (message) => {
      if (!values.quiet) process.stderr.write(`imgsim: ${message}\n`);
    },
    onProgress: (i, n, fraction, name) => {
      progress.update((i + fraction) / n, `${name} (${i + 1}/${n}) sim ${formatDuration(fraction * (durationMs ?? scenario.durationMs))}`);
    },
  });
  progress.done();
  const outDir = values.out ?? path.join('reports', scenario.name);
  const json = serializeReport(report);
  if (formats.has('json')) writeFileAtomic(path.join(outDir, 'report.json'), json);
  if (formats.has('md')) writeFileAtomic(path.join(outDir, 'report.md'), renderMarkdown(report, { scenarioFile: file }));
  if (values.json) process.stdout.write(json);
  else if (!values.quiet) {
    process.stdout.write(`${renderSummaryTable(report)}\n`);
    process.stdout.write(`\nreports written to ${outDir}${path.sep}\n`);
  }
  return thresholdsFailed(report) ? EXIT.failed : EXIT.ok;
}

function parseFormats(value: string | undefined): Set<string> {
  const list = (value ?? 'json,md')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of list) {
    if (!(RUN_FORMATS as readonly string[]).includes(f)) {
      throw new ImgsimError('invalid-argument', `--format: unknown format "${f}"; formats are ${RUN_FORMATS.join(', ')}`);
    }
  }
  return new Set(list);
}
