/**
 * `imgsim load <url>`: raw HTTP load against `imgsim serve` or a gateway (a thin autocannon
 * front); prints requests/s, latency percentiles and non-2xx counts.
 */
import { runLoad, type LoadResult } from '../live/_load.js';
import { ImgsimError } from '../scenario/errors.js';
import { isUnitError, parseDurationMs } from '../scenario/units.js';
import { intOption, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';

/** Usage text. */
export const LOAD_USAGE = `Usage: imgsim load <url> [options]

POSTs a JSON body to the URL from many connections (autocannon) with
"Authorization: Bearer imgsim", and prints requests/s, latency p50/p99 and non-2xx counts.
Only loopback hosts (127.0.0.1, localhost, ::1) unless --allow-remote.

Options:
  --connections N     concurrent connections (default 10)
  --duration D        how long (default 10s)
  --amount N          stop after N requests instead of a duration
  --body JSON         request body (default a 1024x1024 OpenAI images request)
  --allow-remote      allow a host that is not loopback
  --json              print the result as JSON
  --quiet             print nothing (exit code only)
Exit codes: 0 ok, 2 bad input.`;

/**
 * Runs the command.
 * @param argv - arguments after `load`
 * @returns the exit code
 */
export async function loadCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('load', argv, {
    connections: { type: 'string' },
    duration: { type: 'string' },
    amount: { type: 'string' },
    body: { type: 'string' },
    'allow-remote': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${LOAD_USAGE}\n`);
    return EXIT.ok;
  }
  const url = positionals[0];
  if (url === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `load: name one URL\n${LOAD_USAGE}`);
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    const d = parseDurationMs(values.duration);
    if (isUnitError(d) || d <= 0) throw new ImgsimError('invalid-argument', `--duration: expected a duration such as 10s or 1m, got "${values.duration}"`);
    durationMs = d;
  }
  const connections = intOption('connections', values.connections, 1);
  const amount = intOption('amount', values.amount, 1);
  const result = await runLoad({
    url,
    ...(connections === undefined ? {} : { connections }),
    ...(durationMs === undefined ? {} : { durationMs }),
    ...(amount === undefined ? {} : { amount }),
    ...(values.body === undefined ? {} : { body: values.body }),
    allowRemote: values['allow-remote'] === true,
  });
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (!values.quiet) process.stdout.write(`${formatLoad(result)}\n`);
  return EXIT.ok;
}

function formatLoad(r: LoadResult): string {
  const codes = Object.entries(r.statusCodes)
    .map(([code, n]) => `${code}: ${n}`)
    .join(', ');
  return [
    `${r.url} — ${r.connections} connections, ${r.durationS.toFixed(2)} s`,
    `  requests/s   ${r.requestsPerSec.toFixed(0)}  (${r.requests} completed)`,
    `  latency ms   p50 ${r.latencyMs.p50}  p90 ${r.latencyMs.p90}  p99 ${r.latencyMs.p99}  max ${r.latencyMs.max}  mean ${r.latencyMs.mean.toFixed(2)}`,
    `  2xx ${r.status2xx}  non-2xx ${r.non2xx}${codes === '' ? '' : `  (${codes})`}  errors ${r.errors}  timeouts ${r.timeouts}`,
  ].join('\n');
}
