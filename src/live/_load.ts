/**
 * Raw HTTP load on one URL (`imgsim load`): a thin typed front over autocannon, bounded by a
 * duration or a request count, and refusing non-loopback hosts unless told otherwise (load
 * tests belong on this machine).
 *
 * TODO: this is the library side of `imgsim load`; it is `_`-prefixed only because the brief
 * limited the files; it may become `live/load.ts` and be exported.
 */
import { createRequire } from 'node:module';
import { ImgsimError } from '../scenario/errors.js';
import { DEFAULT_API_KEY } from './_http.js';

/** The part of autocannon's options this front uses. */
interface AutocannonOptions {
  url: string;
  method: string;
  connections: number;
  duration?: number;
  amount?: number;
  headers: Record<string, string>;
  body: string;
  timeout: number;
}

/** The part of autocannon's result this front reads. */
interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  statusCodeStats: Record<string, { count: number } | undefined>;
  latency: { p50: number; p90: number; p99: number; average: number; max: number; totalCount: number };
  requests: { total: number; sent: number; average: number };
}

type Autocannon = (opts: AutocannonOptions) => Promise<AutocannonResult>;

// autocannon is CommonJS without type declarations: load it through require and give it the
// shape used here.
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** The URL to POST to. */
  readonly url: string;
  /** Concurrent connections (default 10). */
  readonly connections?: number;
  /** How long, ms (default 10 s unless `amount` is set). */
  readonly durationMs?: number;
  /** Stop after this many requests instead of a duration. */
  readonly amount?: number;
  /** JSON body (default a 1024x1024 OpenAI images request). */
  readonly body?: string;
  /** Bearer key (default `imgsim`). */
  readonly apiKey?: string;
  /** Allow a host that is not loopback. */
  readonly allowRemote?: boolean;
  /** Per-request timeout, s (default 60). */
  readonly timeoutS?: number;
}

/** What a load run measured. */
export interface LoadResult {
  readonly url: string;
  readonly connections: number;
  /** Wall seconds the run took. */
  readonly durationS: number;
  /** Completed requests. */
  readonly requests: number;
  readonly requestsPerSec: number;
  readonly latencyMs: { readonly mean: number; readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number };
  readonly status2xx: number;
  readonly non2xx: number;
  /** Responses by status code. */
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
}

/** The default body: one reference image, as the OpenAI Images API takes it. */
export const DEFAULT_LOAD_BODY = JSON.stringify({ prompt: 'a lighthouse at dusk', size: '1024x1024', n: 1 });

/**
 * Whether a host name is this machine's loopback.
 * @param hostname - `URL.hostname`
 * @returns true for localhost, 127.0.0.0/8 and ::1
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * POSTs JSON to a URL from many connections at once and summarises throughput and latency.
 * @param opts - URL, connections, duration or amount, body
 * @returns the summary
 * @throws ImgsimError `invalid-argument` for a bad URL or body, or a remote host without `allowRemote`
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new ImgsimError('invalid-argument', `load: expected an http URL such as http://127.0.0.1:8787/lumen/v1/images/generations, got "${opts.url}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ImgsimError('invalid-argument', `load: expected an http(s) URL, got "${opts.url}"`);
  if (!isLoopbackHost(url.hostname) && opts.allowRemote !== true) {
    throw new ImgsimError('invalid-argument', `load: ${url.hostname} is not a loopback address; load tests run against 127.0.0.1 only (pass --allow-remote if you own that host and mean it)`);
  }
  const body = opts.body ?? DEFAULT_LOAD_BODY;
  try {
    JSON.parse(body);
  } catch {
    throw new ImgsimError('invalid-argument', `load: --body is not valid JSON: ${body.slice(0, 80)}`);
  }
  const connections = opts.connections ?? 10;
  // Timed here: autocannon reports its duration in whole sampling ticks, which overstates a
  // short `amount` run (200 requests in 0.1 s showed as 1.01 s).
  const startedMs = performance.now();
  const result = await autocannon({
    url: url.href,
    method: 'POST',
    connections,
    ...(opts.amount === undefined ? { duration: (opts.durationMs ?? 10_000) / 1000 } : { amount: opts.amount }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.apiKey ?? DEFAULT_API_KEY}` },
    body,
    timeout: opts.timeoutS ?? 60,
  });
  const durationS = (performance.now() - startedMs) / 1000;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats)) if (stat !== undefined) statusCodes[code] = stat.count;
  const completed = result.requests.total;
  return {
    url: url.href,
    connections,
    durationS,
    requests: completed,
    requestsPerSec: durationS > 0 ? completed / durationS : 0,
    latencyMs: { mean: result.latency.average, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    status2xx: result['2xx'],
    non2xx: result.non2xx,
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
