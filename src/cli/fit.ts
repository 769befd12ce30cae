/**
 * `imgsim fit <log>`: reads observed attempts and writes the `providers` section of a scenario,
 * with the evidence for each number (docs/fit.md).
 */
import { writeFileAtomic } from '../report/atomic.js';
import { ImgsimError } from '../scenario/errors.js';
import { fitProviders } from '../fit/fit.js';
import { FIT_FIELDS, FIT_PRESETS, FIT_TIME_FORMATS, readAttemptLog } from '../fit/read.js';
import { fitSummary, renderFitReport, renderProvidersYaml } from '../fit/render.js';
import { intOption, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';

/** Usage text. */
export const FIT_USAGE = `Usage: imgsim fit <log> [options]

Reads a log of attempts at providers (one per row, JSONL or CSV) and writes the \`providers\`
section of a scenario: per provider and tier a latency distribution chosen among the scenario's
families by KS distance, error rates per outcome kind, the pricing model the costs imply,
outages and an hour-of-day availability profile where the log shows them. The YAML goes to
stdout (or --out); the fit report (observed vs fitted quantiles, KS distances) to stderr.

Options:
  --format jsonl|csv        the log's format (default from the file name: .csv is csv)
  --columns MAPPING         ${FIT_PRESETS.join(' | ')} (default imgsim: the log of \`imgsim run
                            --attempts-log\`), or field=column,... with fields
                            ${FIT_FIELDS.join(', ')}
  --provider-column COL     the column that names the provider (overrides the mapping's)
  --time-format F           ${FIT_TIME_FORMATS.join(' | ')}: how start and end are written
  --where COL=VALUE         keep only rows whose COL is VALUE (or one of A|B); repeatable
  --on-bad-row fail|skip    stop at the first bad row (default) or skip and count bad rows
  --min-samples N           fewest service times to fit a distribution (default 30)
  --out FILE                write the YAML to FILE instead of stdout
  --json                    print the fit as JSON instead of YAML
  --quiet                   no report on stderr
Exit codes: 0 ok, 2 bad input.`;

/**
 * Runs the command.
 * @param argv - arguments after `fit`
 * @returns the exit code
 */
export function fitCommand(argv: string[]): number {
  const { values, positionals } = parseCommandArgs('fit', argv, {
    format: { type: 'string' },
    columns: { type: 'string' },
    'provider-column': { type: 'string' },
    'time-format': { type: 'string' },
    where: { type: 'string', multiple: true },
    'on-bad-row': { type: 'string' },
    'min-samples': { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${FIT_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `fit: name one log file\n${FIT_USAGE}`);
  const format = values.format;
  if (format !== undefined && format !== 'jsonl' && format !== 'csv') throw new ImgsimError('invalid-argument', `--format: expected jsonl or csv, got "${format}"`);
  const timeFormat = values['time-format'];
  if (timeFormat !== undefined && !(FIT_TIME_FORMATS as readonly string[]).includes(timeFormat)) {
    throw new ImgsimError('invalid-argument', `--time-format: expected ${FIT_TIME_FORMATS.join(', ')}, got "${timeFormat}"`);
  }
  const onBadRow = values['on-bad-row'];
  if (onBadRow !== undefined && onBadRow !== 'fail' && onBadRow !== 'skip') throw new ImgsimError('invalid-argument', `--on-bad-row: expected fail or skip, got "${onBadRow}"`);
  const minSamples = intOption('min-samples', values['min-samples'], 2);

  const log = readAttemptLog(file, {
    ...(format === undefined ? {} : { format }),
    ...(values.columns === undefined ? {} : { columns: values.columns }),
    ...(values['provider-column'] === undefined ? {} : { providerColumn: values['provider-column'] }),
    ...(timeFormat === undefined ? {} : { timeFormat: timeFormat as (typeof FIT_TIME_FORMATS)[number] }),
    ...(values.where === undefined ? {} : { where: values.where }),
    ...(onBadRow === undefined ? {} : { onBadRow }),
  });
  if (log.attempts.length === 0) {
    throw new ImgsimError('invalid-trace', `${file}: no attempts to fit (${log.rows} rows, ${log.filteredRows} left out by --where, ${log.skippedRows} bad)`);
  }
  const result = fitProviders(log.attempts, minSamples === undefined ? {} : { minSamples });
  const quiet = values.quiet === true;
  if (!quiet) {
    if (log.skippedRows > 0) process.stderr.write(`imgsim: ${file}: skipped ${log.skippedRows} bad rows:\n  ${log.warnings.join('\n  ')}\n`);
    if (log.filteredRows > 0) process.stderr.write(`imgsim: ${log.filteredRows} rows left out by --where\n`);
    process.stderr.write(renderFitReport(result));
  }
  const text = values.json ? `${JSON.stringify(fitSummary(result), null, 2)}\n` : renderProvidersYaml(result, file);
  if (values.out !== undefined) {
    writeFileAtomic(values.out, text);
    if (!quiet) process.stderr.write(`written to ${values.out}\n`);
  } else process.stdout.write(text);
  return EXIT.ok;
}
