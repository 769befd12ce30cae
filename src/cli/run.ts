/**
 * `imgsim run <scenario>`: simulate every strategy, print the summary table, write the reports.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { formatAttemptLine } from '../metrics/attempt-log.js';
import type { Report } from '../metrics/report-types.js';
import { thresholdsFailed } from '../metrics/thresholds.js';
import { writeFileAtomic } from '../report/atomic.js';
import type { Comparison, ReportIdentity } from '../report/compare.js';
import { parseReport, serializeReport } from '../report/json.js';
import { LineFileWriter } from '../report/line-file.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderSummaryTable } from '../report/summary-table.js';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import { validationWarnings } from '../scenario/warnings.js';
import { formatDuration, isUnitError, parseDurationMs } from '../scenario/units.js';
import { simulate, withOverrides } from '../sim/run.js';
import { IMGSIM_VERSION } from '../metrics/assemble.js';
import { worldHash } from '../scenario/hash.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { TOLERANCE_HELP, formatsOption, intOption, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';
import { createProgress } from './progress.js';

/** Report formats `run` can write. */
export const RUN_FORMATS = ['json', 'md', 'html', 'png', 'junit'] as const;

/** Usage text. */
export const RUN_USAGE = `Usage: imgsim run <scenario.yaml> [options]

Runs every strategy of the scenario in simulated time on the same traffic and the same
provider luck, prints a summary table and writes report.json and report.md (and, with
--format html,png, report.html and PNG charts under charts/). With GITHUB_STEP_SUMMARY set,
report.md is also appended to that file.

Options:
  --out DIR           where to write the reports (default reports/<scenario name>/)
  --seed N            override the scenario's seed
  --strategy NAME     run only this strategy (repeatable)
  --duration D        override the simulated duration (e.g. 1h, 7d)
  --format LIST       comma-separated: ${RUN_FORMATS.join(', ')} (default json,md)
  --baseline FILE     compare the new report with this report.json (see imgsim compare):
                      exit 1 on a regression; adds a comparison to report.md, writes compare.md;
                      a baseline of another scenario, seed or window is refused (exit 2)
${TOLERANCE_HELP}
  --allow-different   with --baseline: compare with a baseline of another scenario, seed or
                      window anyway (the reasons head the comparison)
  --on-bad-row MODE   for a replayed trace: fail (stop at the first bad row, the default
                      unless the scenario says otherwise) or skip (count and report them)
  --attempts-log FILE write every attempt at a provider as a JSON line (see docs/cli.md);
                      one strategy's run is what a gateway would log: pair it with --strategy
  --no-oracle         skip the hindsight oracle (the report then has no oracle and no
                      regret; saves one pass over the traffic)
  --strategy-timeout D  the longest one call into a strategy file's code may run (wall
                      time, default 5s; 0 = no limit) before the run stops with an error
  --json              print report.json to stdout instead of the table
  --quiet             no progress bar, no table
Exit codes: 0 ok, 1 a threshold failed or a metric regressed from the baseline, 2 bad input.`;

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
    baseline: { type: 'string' },
    tolerance: { type: 'string', multiple: true },
    'allow-different': { type: 'boolean' },
    'attempts-log': { type: 'string' },
    'no-oracle': { type: 'boolean' },
    'strategy-timeout': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${RUN_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `run: name one scenario file\n${RUN_USAGE}`);
  const formats = formatsOption(values.format, RUN_FORMATS);
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    const d = parseDurationMs(values.duration);
    if (isUnitError(d) || d <= 0) throw new ImgsimError('invalid-argument', `--duration: expected a duration such as 1h or 7d, got "${values.duration}"`);
    durationMs = d;
  }
  let strategyTimeoutMs: number | undefined;
  if (values['strategy-timeout'] !== undefined) {
    const d = values['strategy-timeout'] === '0' ? 0 : parseDurationMs(values['strategy-timeout']);
    if (isUnitError(d) || d < 0) throw new ImgsimError('invalid-argument', `--strategy-timeout: expected a duration such as 5s or 1m (0 for no limit), got "${values['strategy-timeout']}"`);
    strategyTimeoutMs = d;
  }
  const seed = intOption('seed', values.seed, 0);
  const onBadRow = values['on-bad-row'];
  if (onBadRow !== undefined && onBadRow !== 'fail' && onBadRow !== 'skip') {
    throw new ImgsimError('invalid-argument', `--on-bad-row: expected fail or skip, got "${onBadRow}"`);
  }
  if (values.tolerance !== undefined && values.baseline === undefined) throw new ImgsimError('invalid-argument', '--tolerance: only with --baseline FILE');
  // Read before the run, so a bad baseline fails at once rather than after a long simulation.
  const baseline = values.baseline === undefined ? undefined : await loadBaseline(values.baseline, values.tolerance ?? []);
  const scenario = loadScenario(file);
  if (!values.quiet) for (const w of validationWarnings(scenario)) process.stderr.write(`imgsim: warning: ${file}: ${w}\n`);
  const allowDifferent = values['allow-different'] === true;
  if (values['allow-different'] !== undefined && baseline === undefined) throw new ImgsimError('invalid-argument', '--allow-different: only with --baseline FILE');
  // A baseline of another scenario, seed or window is refused before the run, not after it.
  if (baseline !== undefined) baseline.assertComparable(baseline.identity, runIdentity(withOverrides(scenario, { ...(seed === undefined ? {} : { seed }), ...(durationMs === undefined ? {} : { durationMs }) })), allowDifferent);
  const progress = createProgress(values.quiet === true || values.json === true);
  const attemptsLog = values['attempts-log'] === undefined ? undefined : new LineFileWriter(values['attempts-log']);
  let report: Report;
  try {
    report = await simulate(scenario, {
      ...(seed === undefined ? {} : { seed }),
      ...(durationMs === undefined ? {} : { durationMs }),
      ...(values.strategy ? { strategies: values.strategy } : {}),
      ...(onBadRow === undefined ? {} : { onBadRow }),
      oracle: values['no-oracle'] !== true,
      ...(strategyTimeoutMs === undefined ? {} : { strategyTimeoutMs }),
      ...(attemptsLog === undefined
        ? {}
        : {
            onAttempt: (record) => {
              attemptsLog.write(formatAttemptLine(record));
            },
          }),
      onWarning: (message) => {
        if (!values.quiet) process.stderr.write(`imgsim: ${message}\n`);
      },
      onProgress: (i, n, fraction, name) => {
        progress.update((i + fraction) / n, `${name} (${i + 1}/${n}) sim ${formatDuration(fraction * (durationMs ?? scenario.durationMs))}`);
      },
    });
    // The simulation runs synchronously: a Ctrl-C that came meanwhile is handled here, before
    // the attempt log is renamed into place (see interrupt.ts).
    // Two turns of the event loop: the second check phase comes after a poll phase, which is
    // where a pending signal is read.
    if (attemptsLog) for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    attemptsLog?.close();
  } catch (err) {
    attemptsLog?.abort();
    throw err;
  }
  progress.done();
  const outDir = values.out ?? path.join('reports', scenario.name);
  const json = serializeReport(report);
  // Compared as written (rounded to 10 digits), so `run --baseline` and `compare` agree exactly.
  const comparison = baseline?.compare(parseReport(json, 'report.json'), allowDifferent);
  const labels = { baselineLabel: values.baseline, currentLabel: path.join(outDir, 'report.json') };
  if (formats.has('json')) writeFileAtomic(path.join(outDir, 'report.json'), json);
  // Charts first: report.md references the PNGs. Imported only when asked for (Chart.js, canvas).
  const visual =
    formats.has('html') || formats.has('png')
      ? await (await import('../report/visual.js')).writeVisualReports(report, scenario, { outDir, html: formats.has('html'), png: formats.has('png'), scenarioFile: file })
      : undefined;
  for (const w of visual?.warnings ?? []) if (!values.quiet) process.stderr.write(`imgsim: ${w}\n`);
  const compared = baseline && comparison ? `\n${baseline.renderMarkdown(comparison, { ...labels, headingLevel: 2 })}` : '';
  const markdown = `${renderMarkdown(report, { scenarioFile: file, ...(visual ? { charts: visual.markdownCharts } : {}) })}${compared}`;
  if (formats.has('md')) writeFileAtomic(path.join(outDir, 'report.md'), markdown);
  const stepSummary = process.env.GITHUB_STEP_SUMMARY;
  if (stepSummary !== undefined && stepSummary !== '') appendFileSync(stepSummary, markdown);
  if (formats.has('junit')) writeFileAtomic(path.join(outDir, 'report.junit.xml'), (await import('../report/junit.js')).renderReportJunit(report, comparison));
  // The comparison's own files; its junit checks are in report.junit.xml already.
  if (baseline && comparison) baseline.writeFiles(comparison, outDir, new Set([...formats].filter((f) => f !== 'junit')), labels);
  if (values.json) {
    process.stdout.write(json);
    if (!values.quiet) for (const w of comparison?.warnings ?? []) process.stderr.write(`imgsim: warning: ${w}\n`);
  } else if (!values.quiet) {
    process.stdout.write(`${renderSummaryTable(report)}\n`);
    if (baseline && comparison) process.stdout.write(`\n${baseline.renderText(comparison, labels)}`);
    process.stdout.write(`\nreports written to ${outDir}${path.sep}\n`);
    if (attemptsLog) process.stdout.write(`${attemptsLog.lines} attempts logged to ${attemptsLog.path}\n`);
  }
  return thresholdsFailed(report) || comparison?.failed === true ? EXIT.failed : EXIT.ok;
}

/** A `--baseline` report, read and checked, with what comparing the new report to it needs. */
interface Baseline {
  /** The baseline's identity (scenario hash, seed, window), checked before the run. */
  readonly identity: ReportIdentity;
  /** Refuses a run of another scenario, seed or window (exit 2) unless allowed. */
  readonly assertComparable: typeof import('../report/compare.js').assertComparable;
  /** Compares the new report (as written) with the baseline, with the tolerances asked for. */
  compare(current: Report, allowDifferent: boolean): Comparison;
  readonly renderMarkdown: typeof import('../report/compare-render.js').renderComparisonMarkdown;
  readonly renderText: typeof import('../report/compare-render.js').renderComparisonText;
  readonly writeFiles: typeof import('./compare.js').writeComparisonFiles;
}

/**
 * Reads `--baseline` and parses `--tolerance`, importing the comparison's modules only then
 * (a run without a baseline never loads them).
 * @param file - the baseline report.json
 * @param tolerance - the `--tolerance` lists
 * @returns the baseline
 * @throws ImgsimError for a bad tolerance, then for a missing or invalid baseline
 */
async function loadBaseline(file: string, tolerance: readonly string[]): Promise<Baseline> {
  const [{ assertComparable, compareReports, parseTolerances, reportIdentity }, render, cli] = await Promise.all([
    import('../report/compare.js'),
    import('../report/compare-render.js'),
    import('./compare.js'),
  ]);
  const tolerances = parseTolerances(tolerance);
  const report = cli.readReportFile(file);
  return {
    identity: reportIdentity(report),
    assertComparable,
    compare: (current, allowDifferent) => compareReports(report, current, { tolerances, allowDifferent }),
    renderMarkdown: render.renderComparisonMarkdown,
    renderText: render.renderComparisonText,
    writeFiles: cli.writeComparisonFiles,
  };
}

/**
 * The identity of the report a run will write (as `assembleReport` fills it in).
 * @param s - the scenario with the run's overrides
 * @returns its identity
 */
function runIdentity(s: ResolvedScenario): ReportIdentity {
  return {
    imgsim: IMGSIM_VERSION,
    scenario: s.name,
    scenarioHash: worldHash(s),
    seed: s.seed,
    mode: 'sim',
    window: { start: new Date(s.startMs).toISOString(), end: new Date(s.endMs).toISOString() },
  };
}
