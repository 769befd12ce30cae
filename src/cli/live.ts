/**
 * `imgsim live <scenario>`: the scenario's traffic over real HTTP, open loop, through each
 * strategy, against `imgsim serve` (started in-process unless `--server` names one) or a gateway.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { runLive } from '../live/harness.js';
import { startServer } from '../live/server.js';
import { thresholdsFailed } from '../metrics/thresholds.js';
import { writeFileAtomic } from '../report/atomic.js';
import { serializeReport } from '../report/json.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderSummaryTable } from '../report/summary-table.js';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import { isUnitError, parseDurationMs } from '../scenario/units.js';
import { intOption, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';
import { createProgress } from './progress.js';

/** Usage text. */
export const LIVE_USAGE = `Usage: imgsim live <scenario.yaml> [options]

Sends the scenario's traffic over real HTTP, open loop (each request at its arrival time,
never waiting for earlier answers), through each strategy in turn, and writes report.json
and report.md with mode "live". Latency is measured from each request's intended send time.

Options:
  --server URL        an imgsim serve base URL (default: start one in-process on 127.0.0.1)
  --target URL        a gateway base URL: every attempt goes to URL/v1/images/generations
                      with "model" = the provider the strategy chose; needs --server, the
                      serve the gateway calls: cost and per-provider attempts come from its
                      ledger, retries and failovers from its journal
  --admin-key KEY     the admin key of the --server (its serve --admin-key), sent to its
                      /_imgsim/ endpoints (reset, ledger, journal)
  --header NAME:VALUE send this header with every attempt (repeatable), e.g.
                      --header "x-portkey-config: $(cat portkey.json)"
  --time-scale F      wall ms per simulated ms, e.g. 0.01 = 100x faster (default 1; must
                      match the server's --time-scale when --server is given)
  --requests N        stop after N requests per strategy
  --duration D        stop arrivals after D of simulated time (default the scenario's)
  --strategy NAME     run only this strategy (repeatable)
  --concurrency N     open requests at most; beyond, arrivals are rejected as
                      client-overload (default 5000)
  --out DIR           where to write the reports (default reports/<scenario name>-live/)
  --json              print report.json to stdout instead of the table
  --quiet             no progress bar, no table
Exit codes: 0 ok, 1 a threshold failed, 2 bad input.`;

/**
 * Runs the command.
 * @param argv - arguments after `live`
 * @returns the exit code
 */
export async function liveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('live', argv, {
    server: { type: 'string' },
    target: { type: 'string' },
    'admin-key': { type: 'string' },
    header: { type: 'string', multiple: true },
    'time-scale': { type: 'string' },
    requests: { type: 'string' },
    duration: { type: 'string' },
    strategy: { type: 'string', multiple: true },
    concurrency: { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${LIVE_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `live: name one scenario file\n${LIVE_USAGE}`);
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!Number.isFinite(timeScale) || timeScale <= 0) throw new ImgsimError('invalid-argument', `--time-scale: expected a positive number such as 0.01, got "${values['time-scale'] ?? ''}"`);
  let durationMs: number | undefined;
  if (values.duration !== undefined) {
    const d = parseDurationMs(values.duration);
    if (isUnitError(d) || d <= 0) throw new ImgsimError('invalid-argument', `--duration: expected a duration such as 30s or 1h, got "${values.duration}"`);
    durationMs = d;
  }
  const requests = intOption('requests', values.requests, 1);
  const concurrencyLimit = intOption('concurrency', values.concurrency, 1);
  const serverUrl = values.server === undefined ? undefined : checkUrl('--server', values.server);
  const target = values.target === undefined ? undefined : checkUrl('--target', values.target);
  if (target !== undefined && serverUrl === undefined) {
    throw new ImgsimError(
      'invalid-argument',
      '--target needs --server: the URL of the imgsim serve the gateway forwards to (cost, per-provider attempts, retries and failovers are read from its ledger and journal; an in-process serve would never see a request)',
    );
  }
  if (values['admin-key'] !== undefined && (values['admin-key'] === '' || serverUrl === undefined)) {
    throw new ImgsimError('invalid-argument', '--admin-key: a non-empty key, of the serve named with --server; without --server, live starts its own serve');
  }
  const headers = parseHeaders(values.header ?? []);
  const scenario = loadScenario(file);
  const quiet = values.quiet === true || values.json === true;
  const progress = createProgress(quiet);

  // The in-process serve gets a fresh admin key: only this run can read or reset its ledger.
  const adminKey = values['admin-key'] ?? (serverUrl === undefined ? randomBytes(16).toString('hex') : undefined);
  // The harness routes, and so applies `budget.onExhausted: reject` as the simulator does; the serve
  // it starts only emulates the providers, so it alerts but does not refuse a second time.
  const served = scenario.budget === undefined ? scenario : { ...scenario, budget: { ...scenario.budget, onExhausted: 'allow' as const } };
  const server = serverUrl === undefined ? await startServer(served, { port: 0, timeScale, ...(adminKey === undefined ? {} : { adminKey }) }) : undefined;
  let report;
  try {
    report = await runLive(scenario, {
      serverUrl: serverUrl ?? server!.url,
      timeScale,
      ...(target === undefined ? {} : { target }),
      ...(adminKey === undefined ? {} : { adminKey }),
      ...(headers === undefined ? {} : { headers }),
      ...(requests === undefined ? {} : { requests }),
      ...(durationMs === undefined ? {} : { durationMs }),
      ...(values.strategy ? { strategies: values.strategy } : {}),
      ...(concurrencyLimit === undefined ? {} : { concurrencyLimit }),
      onWarning: (message) => {
        if (!values.quiet) process.stderr.write(`imgsim: ${message}\n`);
      },
      onProgress: (i, n, fraction, name) => {
        progress.update((i + fraction) / n, `${name} (${i + 1}/${n})`);
      },
    });
  } finally {
    progress.done();
    await server?.close();
  }
  const outDir = values.out ?? path.join('reports', `${scenario.name}-live`);
  const json = serializeReport(report);
  writeFileAtomic(path.join(outDir, 'report.json'), json);
  writeFileAtomic(path.join(outDir, 'report.md'), renderMarkdown(report, { scenarioFile: file }));
  if (values.json) process.stdout.write(json);
  else if (!values.quiet) {
    process.stdout.write(`${renderSummaryTable(report)}\n`);
    process.stdout.write(`\nreports written to ${outDir}${path.sep}\n`);
  }
  return thresholdsFailed(report) ? EXIT.failed : EXIT.ok;
}

function checkUrl(option: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ImgsimError('invalid-argument', `${option}: expected an http(s) URL such as http://127.0.0.1:8787, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImgsimError('invalid-argument', `${option}: expected an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, '');
}

/**
 * `--header NAME:VALUE` options as a header record (names lower-cased; the value is trimmed).
 * @param list - the option values
 * @returns the headers, or undefined when none were given
 * @throws ImgsimError for a value without a name or colon
 */
export function parseHeaders(list: readonly string[]): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const colon = item.indexOf(':');
    const name = colon < 0 ? '' : item.slice(0, colon).trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) throw new ImgsimError('invalid-argument', `--header: expected NAME:VALUE such as "x-portkey-config: {...}", got "${item}"`);
    out[name] = item.slice(colon + 1).trim();
  }
  return out;
}
