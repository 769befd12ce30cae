/**
 * The live harness (`imgsim live`): the scenario's traffic, open loop, over real HTTP, through
 * each strategy in turn, into the same report as `simulate()` with `mode: 'live'`. This file
 * holds the options and the passes' frame (warm-up, reset, ledger); one pass's routing and
 * attempts are harness-pass.ts, its clocks harness-clock.ts, its bookings from serve's ledger
 * harness-ledger.ts.
 *
 * Clocks: a pass maps simulated time onto wall time from `wallStart`, sim = start + (wall −
 * wallStart) / timeScale. A request is sent at its intended wall time and never waits for
 * earlier answers (open loop: no coordinated omission); its latency runs from its arrival time
 * on the simulated clock to its final answer, so a harness that falls behind shows it.
 *
 * Where requests go:
 * - without `target`, attempt k of a request goes to `${serverUrl}/${provider}/v1/images/generations`
 *   with `model: provider`, the provider the strategy ranked (the harness routes);
 * - with `target` (a gateway), every attempt goes to `${target}/v1/images/generations` with
 *   `model` = the candidate provider id, `headers` (e.g. `x-portkey-config`) and a tag in `user`;
 *   the gateway maps models to providers and may route, retry or fail over on its own. The
 *   harness still runs the strategy and policy around it. What the gateway did is read from the
 *   serve it calls (`serverUrl`): attempts and outcomes per provider from its ledger, retries and
 *   failovers from its journal, correlated through the tags (gateway-accounting.ts).
 *
 * Cost: each attempt's `x-imgsim-cost-usd` is booked to the provider it was sent to (without
 * `target`). After the pass the server's ledger (`/_imgsim/ledger`, reset before each pass) is
 * read and whatever it billed beyond what the answers said (timeouts, resets and hedge losers
 * the provider finished anyway) is booked as wasted cost of that provider, so the report's cost
 * equals the ledger. With `target` the answers' headers are ignored and the ledger is the cost
 * (a gateway's own routing is opaque), attributed per provider and project as the ledger has it.
 */
import { AvailabilityCurve } from '../model/availability.js';
import type { Report, StrategyReport } from '../metrics/report-types.js';
import { buildStrategy } from '../routing/strategies/registry.js';
import type { AttemptOutcome } from '../routing/strategy.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { DEFAULT_API_KEY, readLedger, resetServer, sendAttempt, waitServerIdle } from './_http.js';
import { readJournal } from './gateway-accounting.js';
import { bookGateway, reconcile } from './harness-ledger.js';
import { LivePass } from './harness-pass.js';
import { loadScenarioStrategyFiles, selectStrategyRefs, strategyFees } from '../routing/strategy-refs.js';
import { assembleReport } from '../metrics/assemble.js';

/** Open requests beyond which new arrivals are rejected as `client-overload` (the brief's bound). */
export const DEFAULT_CONCURRENCY_LIMIT = 5000;

/** Options of {@link runLive}. */
export interface LiveOptions {
  /** The `imgsim serve` base URL: its providers are routed between, its ledger is the cost. */
  readonly serverUrl: string;
  /** A gateway base URL; when set, every attempt goes to `${target}/v1/images/generations` with `model` = the candidate provider. */
  readonly target?: string;
  /** Wall ms per simulated ms (0.01 = 100x faster); must match the server's. Default 1. */
  readonly timeScale?: number;
  /** Stop after this many requests per strategy. */
  readonly requests?: number;
  /** Stop arrivals after this much simulated time, ms (default the scenario's duration). */
  readonly durationMs?: number;
  /** Run only these strategies (report names). */
  readonly strategies?: readonly string[];
  /** Open requests at most; beyond it an arrival is rejected as `client-overload`. Default 5,000. */
  readonly concurrencyLimit?: number;
  /** Overrides the scenario's seed (traffic, strategy and backoff streams). */
  readonly seed?: number;
  /** Bearer key sent with every request. Default `imgsim`. */
  readonly apiKey?: string;
  /** Bearer key of serve's admin endpoints (reset, health, ledger, journal): its `--admin-key`. Default `apiKey`. */
  readonly adminKey?: string;
  /** More headers sent with every attempt (e.g. Portkey's `x-portkey-config`), over the scenario's `live.headers`; names are case-insensitive. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Before the first pass, send one request to each provider (answers ignored; the ledger is
   * reset afterwards) so connection setup and cold code paths do not land on the first
   * measured requests. Default true.
   */
  readonly warmup?: boolean;
  /** Called with every attempt's outcome (after the strategy's `observe`), e.g. for traces or tests. */
  readonly onAttempt?: (outcome: AttemptOutcome, strategy: string) => void;
  /** Called now and then: strategy index, count, fraction of its pass, name. */
  readonly onProgress?: (strategyIndex: number, strategyCount: number, fraction: number, name: string) => void;
  /** Warnings (e.g. the answers' costs exceeding the ledger). */
  readonly onWarning?: (message: string) => void;
}

/**
 * Runs every strategy (or those named) of a scenario live, one pass after the other, over the
 * same requests.
 * @param scenario - the resolved scenario (its providers must be the server's)
 * @param opts - server URL, optional gateway target, time scale and bounds
 * @returns the report, `mode: 'live'`
 * @throws ImgsimError for bad options, unknown strategies or an unreachable server
 */
export async function runLive(scenario: ResolvedScenario, opts: LiveOptions): Promise<Report> {
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new ImgsimError('invalid-argument', `timeScale: expected a positive number, got ${timeScale}`);
  const limit = opts.concurrencyLimit ?? DEFAULT_CONCURRENCY_LIMIT;
  if (!(limit >= 1)) throw new ImgsimError('invalid-argument', `concurrencyLimit: expected at least 1, got ${limit}`);
  const requests = opts.requests ?? Infinity;
  const durationMs = Math.min(opts.durationMs ?? scenario.durationMs, scenario.durationMs);
  const seed = opts.seed ?? scenario.seed;
  const s: ResolvedScenario = seed === scenario.seed ? scenario : { ...scenario, seed };
  const serverUrl = stripSlash(opts.serverUrl);
  const target = opts.target === undefined ? undefined : stripSlash(opts.target);
  const apiKey = opts.apiKey ?? DEFAULT_API_KEY;
  const adminKey = opts.adminKey ?? apiKey;
  const headers = attemptHeaders(s.live?.headers, opts.headers);
  if (target !== undefined && timeScale < 1) opts.onWarning?.(targetTimeScaleWarning(timeScale));
  const refs = selectStrategyRefs(s, opts.strategies);
  const files = await loadScenarioStrategyFiles(s);
  const curves = s.providers.map((p) => new AvailabilityCurve(p.availability, s.seed, p.id, s.startMs));

  if (opts.warmup !== false) {
    await warmUp(s, serverUrl, apiKey);
    // A warm-up request cut off by its timeout is still worked on (and booked) by serve: wait
    // for it, so that the reset before the first pass forgets it.
    const left = await waitServerIdle(serverUrl, adminKey, WARMUP_DRAIN_MS);
    if (left > 0) opts.onWarning?.(`${left} requests were still in progress at ${serverUrl} ${WARMUP_DRAIN_MS / 1000} s after the warm-up (warm-up requests of providers slower than that, or another client): they will be booked in the first pass`);
  }
  const reports: StrategyReport[] = [];
  let spanMs = 0;
  for (let i = 0; i < refs.length; i++) {
    const strategy = buildStrategy(refs[i]!, { scenario: s, files });
    await resetServer(serverUrl, adminKey);
    const pass = new LivePass(s, strategy, curves, {
      serverUrl,
      target,
      apiKey,
      headers,
      timeScale,
      limit,
      requests,
      endMs: s.startMs + durationMs,
      fees: strategyFees(refs[i]!),
      onAttempt: opts.onAttempt,
      onProgress: opts.onProgress
        ? (fraction) => {
            opts.onProgress?.(i, refs.length, fraction, strategy.name);
          }
        : undefined,
    });
    const passSpanMs = await pass.run();
    spanMs = Math.max(spanMs, passSpanMs);
    const ledger = await readLedger(serverUrl, adminKey);
    const books = pass.books();
    if (target !== undefined) bookGateway(books, ledger, await readJournal(serverUrl, adminKey), opts.onWarning);
    reconcile(books, ledger, target !== undefined, opts.onWarning);
    reports.push(pass.collector.toReport(strategy.name, passSpanMs));
  }
  return assembleReport(s, 'live', s.startMs + spanMs, reports);
}

/**
 * The warning for a time scale below 1 with a gateway target: serve's latencies shrink, the
 * gateway's own waits do not.
 * @param timeScale - the time scale
 * @returns the message
 */
function targetTimeScaleWarning(timeScale: number): string {
  const times = Number((1 / timeScale).toPrecision(3));
  return (
    `time scale ${timeScale} with a gateway target: serve's latencies are scaled, the gateway's own backoff and Retry-After waits are not. ` +
    `The client timeout is therefore the policy's unscaled (${times}x the scaled one), so the gateway's waits do not read as timeouts; ` +
    `success, shares and cost hold, but latencies that include the gateway's waits read ${times}x too long (use time scale 1 to measure them)`
  );
}

/** Longest a warm-up request may take, wall ms (a provider with long emulated latency is cut off). */
const WARMUP_TIMEOUT_MS = 1000;
/**
 * Warm-up rounds and requests per provider per round. Measured on a 2-core box: an in-process
 * server's first 20 requests took 77 ms of wall time beyond the emulated latency, the next 20
 * 40 ms, the third 12 ms (JIT and connection setup), so three rounds take most of it away.
 */
const WARMUP_ROUNDS = 3;
const WARMUP_PARALLEL = 10;
/** Longest wait for serve to finish the warm-up requests it is still working on, wall ms. */
const WARMUP_DRAIN_MS = 30_000;

/**
 * One reference request per provider, in parallel, each cut off after WARMUP_TIMEOUT_MS: opens
 * the keep-alive connections and runs the server's and the client's code paths once.
 * @param scenario - the scenario (its providers)
 * @param serverUrl - the serve base URL
 * @param apiKey - bearer key
 */
async function warmUp(scenario: ResolvedScenario, serverUrl: string, apiKey: string): Promise<void> {
  const never = new AbortController();
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    const sends: Promise<unknown>[] = [];
    for (const p of scenario.providers) {
      for (let k = 0; k < WARMUP_PARALLEL; k++) {
        const body = JSON.stringify({ model: p.id, prompt: `warm-up ${k}`, size: p.reference.size, n: 1, steps: p.reference.steps });
        sends.push(sendAttempt(`${serverUrl}/${p.id}/v1/images/generations`, body, apiKey, WARMUP_TIMEOUT_MS, never.signal));
      }
    }
    await Promise.all(sends);
  }
}

/**
 * The headers of every attempt: the scenario's `live.headers` (objects as JSON text), then the
 * options' (which win); names lower-cased. A value on several lines that is JSON (a config file
 * pasted with `$(cat portkey.json)`) is sent on one line; any other line break is an error, as
 * HTTP forbids it in a header.
 * @returns the headers, or undefined when there are none
 * @throws ImgsimError for a value with a line break that is not JSON, or characters HTTP headers cannot carry
 */
function attemptHeaders(fromScenario: Readonly<Record<string, string | Record<string, unknown>>> | undefined, fromOptions: Readonly<Record<string, string>> | undefined): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fromScenario ?? {})) out[k.toLowerCase()] = typeof v === 'string' ? v : JSON.stringify(v);
  for (const [k, v] of Object.entries(fromOptions ?? {})) out[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(out)) {
    if (/[\r\n]/.test(v)) {
      try {
        out[k] = JSON.stringify(JSON.parse(v));
      } catch {
        throw new ImgsimError('invalid-argument', `header ${k}: a header value cannot hold a line break (it is not JSON, which would be sent on one line)`);
      }
    }
    // fetch throws on these, which would read as dropped connections.
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(out[k]!)) throw new ImgsimError('invalid-argument', `header ${k}: holds characters an HTTP header cannot carry (control characters, or beyond Latin-1)`);
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
