/**
 * `imgsim compare <baseline.json> <current.json>`: compare two reports metric by metric, print
 * the table, write compare.md (and json, junit); exit 1 on a regression beyond tolerance.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../metrics/report-types.js';
import { writeFileAtomic } from '../report/atomic.js';
import { compareReports, parseTolerances, serializeComparison, type Comparison } from '../report/compare.js';
import { renderComparisonMarkdown, renderComparisonText } from '../report/compare-render.js';
import { parseReport } from '../report/json.js';
import { renderComparisonJunit } from '../report/junit.js';
import { ImgsimError } from '../scenario/errors.js';
import { TOLERANCE_HELP, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';

/** Report formats `compare` can write. */
export const COMPARE_FORMATS = ['md', 'json', 'junit'] as const;

/** Usage text. */
export const COMPARE_USAGE = `Usage: imgsim compare <baseline.json> <current.json> [options]

Compares two report.json files strategy by strategy (cost, cost per image, wasted cost,
p50/p95/p99 latency, success rate, SLO attainment), prints a table and writes compare.md.
Improvements never fail; a strategy missing from the current report fails; one added is
reported, a failure only with --strict. Reports of different scenarios (by content hash),
seeds or windows are refused unless --allow-different.

Options:
${TOLERANCE_HELP}
  --strict            strategies added to the current report fail the comparison too
  --allow-different   compare reports of different scenarios, seeds or windows (refused
                      otherwise, exit 2); the reasons head the output
  --format LIST       comma-separated: ${COMPARE_FORMATS.join(', ')} (default md): compare.md,
                      compare.json, compare.junit.xml
  --out DIR           where to write them (default: the current report's folder)
  --json              print the comparison as JSON instead of the table
  --quiet             print nothing but errors
Exit codes: 0 no regression, 1 a metric regressed beyond its tolerance or a strategy is missing,
2 bad input or reports that do not compare.`;

/**
 * Reads and checks a report.json.
 * @param file - its path
 * @returns the report
 * @throws ImgsimError `file-not-found` or `invalid-report`, naming the file
 */
export function readReportFile(file: string): Report {
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new ImgsimError('file-not-found', `${file}: not a file`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ImgsimError) throw err;
    throw new ImgsimError('file-not-found', `${file}: no such report file`);
  }
  return parseReport(text, file);
}

/**
 * Parses a comma-separated `--format` list against the formats a command knows.
 * @param option - the option's name, for messages
 * @param value - the raw value, if given
 * @param known - the formats allowed
 * @param fallback - the list used when the option is absent
 * @returns the formats asked for
 */
export function parseFormatList(option: string, value: string | undefined, known: readonly string[], fallback: string): Set<string> {
  const list = (value ?? fallback)
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of list) {
    if (!known.includes(f)) throw new ImgsimError('invalid-argument', `--${option}: unknown format "${f}"; formats are ${known.join(', ')}`);
  }
  return new Set(list);
}

/**
 * Runs the command.
 * @param argv - arguments after `compare`
 * @returns the exit code
 */
export function compareCommand(argv: string[]): number {
  const { values, positionals } = parseCommandArgs('compare', argv, {
    tolerance: { type: 'string', multiple: true },
    strict: { type: 'boolean' },
    'allow-different': { type: 'boolean' },
    format: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${COMPARE_USAGE}\n`);
    return EXIT.ok;
  }
  const [baselineFile, currentFile] = positionals;
  if (baselineFile === undefined || currentFile === undefined || positionals.length > 2) {
    throw new ImgsimError('invalid-argument', `compare: name two report files, the baseline first\n${COMPARE_USAGE}`);
  }
  const formats = parseFormatList('format', values.format, COMPARE_FORMATS, 'md');
  const tolerances = parseTolerances(values.tolerance ?? []);
  const comparison = compareReports(readReportFile(baselineFile), readReportFile(currentFile), {
    tolerances,
    strict: values.strict === true,
    allowDifferent: values['allow-different'] === true,
  });
  const labels = { baselineLabel: baselineFile, currentLabel: currentFile };
  const outDir = values.out ?? path.dirname(currentFile);
  writeComparisonFiles(comparison, outDir, formats, labels);
  if (values.json) {
    process.stdout.write(serializeComparison(comparison));
    if (!values.quiet) for (const w of comparison.warnings) process.stderr.write(`imgsim: warning: ${w}\n`);
  } else if (!values.quiet) {
    process.stdout.write(renderComparisonText(comparison, labels));
  }
  return comparison.failed ? EXIT.failed : EXIT.ok;
}

/**
 * Writes `compare.md`, `compare.json` and `compare.junit.xml` as asked, atomically.
 * @param comparison - the comparison
 * @param outDir - the folder
 * @param formats - which of md, json, junit
 * @param labels - how the Markdown names the two reports
 * @param labels.baselineLabel - the baseline's path
 * @param labels.currentLabel - the current report's path
 */
export function writeComparisonFiles(
  comparison: Comparison,
  outDir: string,
  formats: ReadonlySet<string>,
  labels: { baselineLabel?: string; currentLabel?: string },
): void {
  if (formats.has('md')) writeFileAtomic(path.join(outDir, 'compare.md'), renderComparisonMarkdown(comparison, labels));
  if (formats.has('json')) writeFileAtomic(path.join(outDir, 'compare.json'), serializeComparison(comparison));
  if (formats.has('junit')) writeFileAtomic(path.join(outDir, 'compare.junit.xml'), renderComparisonJunit(comparison));
}
