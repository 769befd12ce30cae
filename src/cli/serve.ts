/**
 * `imgsim serve <scenario>`: the scenario's providers as live mock HTTP endpoints, until
 * SIGINT or SIGTERM; then a graceful close and the ledger totals.
 */
import { DEFAULT_JOURNAL_SIZE } from '../live/core.js';
import type { LedgerSnapshot } from '../live/ledger.js';
import { writeFileAtomic } from '../report/atomic.js';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import { ServeStartError, startServerThread, type ReportedLedger, type ServerThread } from './_serve-thread.js';
import { intOption, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';

/** Usage text. */
export const SERVE_USAGE = `Usage: imgsim serve <scenario.yaml> [options]

Serves every provider of the scenario as a live mock HTTP API on one port: OpenAI-style
POST /{provider}/v1/images/generations (or the async predictions API), with the scenario's
prices, latencies, rate limits and failures, plus admin endpoints under /_imgsim/. Runs until
Ctrl-C (SIGINT) or SIGTERM, then lets in-flight requests finish and prints the ledger.

Options:
  --port N            port to listen on (default 8787; 0 picks a free one)
  --host HOST         interface to bind (default 127.0.0.1; 0.0.0.0 for every interface)
  --time-scale F      multiply every emulated latency by F (default 1; 0.01 = 100x faster)
  --journal N         requests the journal keeps, newest first (default 200; imgsim live
                      --target reads a pass's retries and failovers from it)
  --admin-key KEY     the key of the admin endpoints under /_imgsim/ (send it as
                      Authorization: Bearer KEY; the dashboard takes ?key=KEY). Needed
                      there when set, and when the scenario sets auth.keys (without it
                      they are closed then); health and the images stay open
  --allowed-host NAME a name the admin endpoints answer to besides localhost, 127.0.0.1,
                      [::1], IP addresses and --host (repeatable; e.g. a compose service)
  --ledger-out FILE   also write the ledger as JSON to FILE (atomically) on exit,
                      whatever ends serve (a signal, the server thread dying), and
                      at most once a second while it changes
  --max-heap MB       the server thread's V8 heap limit (old generation; default V8's)
  --quiet             print only the base URL line of each provider
Exit codes: 0 ok (stopped by a signal), 1 the server thread died (the last ledger it
reported is printed), 2 bad input or the port is taken.`;

/** Admin endpoints printed at start, label and path below `/_imgsim/`. */
const ADMIN_PATHS = [
  ['dashboard', ''],
  ['ledger', 'ledger'],
  ['journal', 'journal'],
  ['metrics', 'metrics'],
  ['health', 'health'],
] as const;

/**
 * The smallest `--max-heap`, MB (a smaller heap leaves too little for the server itself). Parsing
 * a JSON body of the 10 MB limit can take a few hundred MB for a moment: below that, a client's
 * large body can end the thread (reported, exit 1).
 */
const MIN_HEAP_MB = 32;

/** The largest `--journal`: each entry keeps a request's summary, so memory stays bounded. */
const MAX_JOURNAL_SIZE = 1_000_000;

/** How often, at most, serve rewrites `--ledger-out` while it runs, ms. */
const LEDGER_OUT_EVERY_MS = 1_000;

/** Default port of `imgsim serve`. */
export const DEFAULT_SERVE_PORT = 8787;

/**
 * Runs the command.
 * @param argv - arguments after `serve`
 * @returns the exit code, once a signal stopped the server
 */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('serve', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    'time-scale': { type: 'string' },
    journal: { type: 'string' },
    'admin-key': { type: 'string' },
    'allowed-host': { type: 'string', multiple: true },
    'ledger-out': { type: 'string' },
    'max-heap': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `serve: name one scenario file\n${SERVE_USAGE}`);
  const port = intOption('port', values.port, 0) ?? DEFAULT_SERVE_PORT;
  if (port > 65535) throw new ImgsimError('invalid-argument', `--port: expected a port between 0 and 65535, got "${values.port ?? ''}"`);
  const host = values.host ?? '127.0.0.1';
  const timeScale = parseTimeScale(values['time-scale']);
  const journalSize = intOption('journal', values.journal, 0) ?? DEFAULT_JOURNAL_SIZE;
  if (journalSize > MAX_JOURNAL_SIZE) throw new ImgsimError('invalid-argument', `--journal: expected at most ${MAX_JOURNAL_SIZE} entries (memory grows with it), got "${values.journal ?? ''}"`);
  const adminKey = values['admin-key'];
  if (adminKey === '') throw new ImgsimError('invalid-argument', '--admin-key: expected a non-empty key');
  const allowedHosts = values['allowed-host'] ?? [];
  const ledgerOut = values['ledger-out'];
  if (ledgerOut === '') throw new ImgsimError('invalid-argument', '--ledger-out: expected a file name');
  const maxHeapMb = intOption('max-heap', values['max-heap'], MIN_HEAP_MB);
  // Loaded here for its errors (exit 2 with file:line:col); the server thread loads it again.
  const scenario = loadScenario(file);

  // --ledger-out is also kept current while serve runs (at most once a second): V8 ends the
  // whole process on some out-of-memory failures, and then no exit handler runs.
  let lastWriteMs = 0;
  const keepCurrent = (reported: ReportedLedger): void => {
    if (ledgerOut === undefined || reported.atMs - lastWriteMs < LEDGER_OUT_EVERY_MS) return;
    lastWriteMs = reported.atMs;
    writeFileAtomic(ledgerOut, `${JSON.stringify(reported.ledger, null, 2)}\n`);
  };
  let server: ServerThread;
  try {
    server = await startServerThread({
      file,
      port,
      host,
      timeScale,
      journalSize,
      allowedHosts,
      ...(adminKey === undefined ? {} : { adminKey }),
      ...(maxHeapMb === undefined ? {} : { maxHeapMb }),
    }, keepCurrent);
  } catch (err) {
    if (!(err instanceof ServeStartError)) throw err;
    const code = err.code;
    if (code === 'EADDRINUSE') throw new ImgsimError('invalid-argument', `port ${port} on ${host} is already in use; pick another with --port (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ImgsimError('invalid-argument', `--host: cannot listen on "${host}" (${code})`);
    throw err;
  }

  const admin = ADMIN_PATHS.map(([label, path]) => [label, `${server.url}/_imgsim/${path}`] as const);
  const width = Math.max(...scenario.providers.map((p) => p.id.length), ...(values.quiet ? [] : admin.map(([label]) => label.length)));
  for (const p of scenario.providers) {
    process.stdout.write(`${p.id.padEnd(width)}  ${server.url}/${p.id}/v1  (${p.dialect})\n`);
  }
  if (!values.quiet) {
    process.stdout.write('\n');
    for (const [label, url] of admin) process.stdout.write(`${label.padEnd(width)}  ${url}\n`);
    process.stdout.write(`\ntime scale ${timeScale}; stop with Ctrl-C\n`);
  }

  const thread = server;
  const writeLedger = (ledger: LedgerSnapshot | undefined): void => {
    if (ledgerOut !== undefined && ledger !== undefined) writeFileAtomic(ledgerOut, `${JSON.stringify(ledger, null, 2)}\n`);
  };
  /** The thread died: say so, print and write the last ledger it reported, exit 1. */
  const died = (err: Error): number => {
    const last = thread.lastLedger();
    const when = last === undefined ? 'it reported none' : `the last it reported, at ${new Date(last.atMs).toISOString()}, follows`;
    process.stderr.write(`imgsim: the server thread died (${err.message}); requests in flight are lost; ${when}\n`);
    if (last !== undefined) process.stdout.write(`${formatLedger(last.ledger)}\n`);
    writeLedger(last?.ledger);
    return EXIT.failed;
  };
  const ended = await Promise.race([
    waitForSignal(() => {
      writeLedger(thread.lastLedger()?.ledger);
    }),
    thread.died,
  ]);
  if (ended instanceof Error) return died(ended);
  if (!values.quiet) process.stderr.write(`\nimgsim: ${ended}: finishing in-flight requests...\n`);
  let ledger: LedgerSnapshot;
  try {
    ledger = await server.close();
  } catch (err) {
    return died(err instanceof Error ? err : new Error(String(err)));
  }
  writeLedger(ledger);
  process.stdout.write(`${formatLedger(ledger)}\n`);
  return EXIT.ok;
}

function parseTimeScale(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ImgsimError('invalid-argument', `--time-scale: expected a positive number such as 1 or 0.01, got "${value}"`);
  return n;
}

/**
 * Resolves with the first SIGINT or SIGTERM; a second SIGINT exits at once, after `onAbandon`.
 * @param onAbandon - runs before an immediate exit (writes the last ledger)
 */
function waitForSignal(onAbandon: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // A second Ctrl-C while draining means "now".
      process.once('SIGINT', () => {
        onAbandon();
        process.exit(EXIT.ok);
      });
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `ledger: 12 requests, $0.4800 billed (success 11, rate-limited 1)` plus one line per provider that saw traffic. */
function formatLedger(ledger: LedgerSnapshot): string {
  const outcomes = (o: LedgerSnapshot['totals']['outcomes']): string =>
    Object.entries(o)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
  const line = (label: string, t: { costUsd: number; requests: number; outcomes: LedgerSnapshot['totals']['outcomes'] }): string =>
    `${label}${t.requests} ${t.requests === 1 ? 'request' : 'requests'}, $${t.costUsd.toFixed(4)} billed${t.requests > 0 ? ` (${outcomes(t.outcomes)})` : ''}`;
  const ids = Object.keys(ledger.providers);
  const width = Math.max(0, ...ids.map((id) => id.length));
  const lines = [line('ledger: ', ledger.totals)];
  for (const id of ids) {
    const p = ledger.providers[id];
    if (p && p.requests > 0) lines.push(line(`  ${id.padEnd(width)}  `, p));
  }
  return lines.join('\n');
}
