/**
 * The `imgsim serve` transport: a `node:http` server that turns each HTTP request into a
 * `LiveRequest`, lets the `LiveProviders` core decide, and writes the `LiveResponse` back,
 * including the misbehaviours (truncated JSON, reset sockets, requests that never answer).
 * Plain keep-alive requests (what SDKs and gateways send) are read by a fast front on the
 * server's sockets (_fast-http.ts); every other connection is node:http's. Both end in the same
 * `answer` and `writeResponse`. Everything the providers know lives in the core; this file only
 * moves bytes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { LiveProviders } from './core.js';
import { attachFastFront, resetSocket } from './_fast-http.js';
import { closeAfterUpload, parseBody, readBody, type ReadBody } from './_read-body.js';
import type { LiveHeaders, LiveRequest, LiveResponse } from './protocol.js';

/** Time a client gets to send all request headers before the server answers 408 and closes. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Time a client gets to send a whole request (10 MB at ~350 kB/s); only the upload is timed, never our answer. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Longest gap between Node's sweeps for header and request timeouts (its default, 30 s, would let a slow client stay 40 s). */
const CONNECTIONS_CHECK_MS = 1_000;
/** Idle keep-alive connections close after this: Node's default, above undici's 4 s pool idle time so clients drop a socket before we do. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How long `close()` lets in-flight requests finish before destroying their sockets. */
const DEFAULT_GRACE_MS = 10_000;
/** After the grace period, how long the 503s of requests still waiting get to be written before the sockets close. */
const FLUSH_MS = 1_000;
/** Pending connections the kernel may queue; thousands of clients connect at once in load tests. */
const LISTEN_BACKLOG = 4096;
/** Unfired abort controllers kept for reuse (creating one per request shows in profiles). */
const MAX_SPARE_CONTROLLERS = 1024;
/** A path `new URL` would return unchanged: slash-separated plain segments (no dots, escapes or `//`). */
const PLAIN_PATH_RE = /^(?:\/[A-Za-z0-9_-]+)+\/?$|^\/$/;
/** The query of a request without one; the core only reads it. */
const EMPTY_QUERY = new URLSearchParams();

/** Options of {@link startServer}. */
export interface ServerOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to bind; defaults to 127.0.0.1. */
  readonly host?: string;
  /** Multiplies every emulated latency (0.01 = 100x faster). */
  readonly timeScale?: number;
  /** How many requests `GET /_imgsim/journal` keeps. */
  readonly journalSize?: number;
  /** How long `close()` waits for in-flight requests, in ms (default 10 s). */
  readonly graceMs?: number;
  /** Time a client gets to send all request headers, ms (default 10 s); slower clients get 408. */
  readonly headersTimeoutMs?: number;
  /** Time a client gets to send a whole request, body included, ms (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Idle keep-alive connections close after this, ms (default 5 s, node:http's). */
  readonly keepAliveTimeoutMs?: number;
  /** The admin key of `/_imgsim/*` (admin-guard.ts); required there when set or when the scenario sets `auth.keys`. */
  readonly adminKey?: string;
  /** Names the admin endpoints answer to besides loopback names, IP literals and `host` (DNS-rebinding guard). */
  readonly allowedHosts?: readonly string[];
}

/** A running mock-provider server. */
export interface LiveServer {
  /** Base URL, e.g. `http://127.0.0.1:8787` (providers are under `/{id}/v1`). */
  readonly url: string;
  readonly port: number;
  /** The core answering the requests (ledger, journal, metrics). */
  readonly providers: LiveProviders;
  /** Stops accepting, lets in-flight requests finish within the grace period, destroys the rest. */
  close(): Promise<void>;
}

/**
 * Starts the mock providers of a scenario on a real HTTP port.
 * @param scenario - the resolved scenario whose providers to serve
 * @param opts - port, host, time scale, journal size, grace period
 * @returns the running server, once it listens
 */
export async function startServer(scenario: ResolvedScenario, opts: ServerOptions = {}): Promise<LiveServer> {
  const {
    port = 0,
    host = '127.0.0.1',
    graceMs = DEFAULT_GRACE_MS,
    headersTimeoutMs = HEADERS_TIMEOUT_MS,
    requestTimeoutMs = REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs = KEEP_ALIVE_TIMEOUT_MS,
  } = opts;
  // Assigned once the port is known (the core needs the base URL for `response_format: url`).
  let providers: LiveProviders | undefined = undefined;
  let closing = false;
  /** Responses not yet finished; `close()` waits for them. */
  let active = 0;
  /** Responses that will never be answered (`hang`); `close()` destroys them at once. */
  const hanging = new Set<http.ServerResponse>();
  let drained: (() => void) | undefined;
  /** Abort controllers of finished requests whose signal never fired, reused by later requests. */
  const spareControllers: AbortController[] = [];

  // Node enforces both timeouts only when it sweeps its connections (every 30 s by default), so sweep often enough for them to mean what they say.
  const connectionsCheckingInterval = Math.max(10, Math.min(CONNECTIONS_CHECK_MS, headersTimeoutMs / 4, requestTimeoutMs / 4));
  const server = http.createServer({ connectionsCheckingInterval }, (req, res) => {
    active++;
    const controller = spareControllers.pop() ?? new AbortController();
    let reusable = false;
    // One listener per request: bookkeeping, and the abort when the client leaves before the answer.
    res.on('close', () => {
      active--;
      if (hanging.size > 0) hanging.delete(res);
      if (!res.writableFinished) controller.abort();
      else if (reusable && spareControllers.length < MAX_SPARE_CONTROLLERS) spareControllers.push(controller);
      if (active === 0) drained?.();
    });
    const sink = new NodeSink(req, res, markHanging);
    if (providers === undefined) {
      writeInternalError(sink, 'the server is still starting');
      return;
    }
    const core = providers;
    try {
      const target = req.url ?? '/';
      readBody(req, (read) => {
        if (read.kind === 'aborted') return;
        answer(core, req.method ?? 'GET', target, liveHeaders(req.headers), read, controller.signal, sink, (kind) => {
          if (read.kind === 'too-large') closeAfterUpload(req, res);
          // Only a request the core finished with leaves nothing listening to its signal.
          reusable = kind !== 'hang';
        });
      });
    } catch (err) {
      writeInternalError(sink, errorMessage(err));
    }
  });
  // Plain keep-alive requests are read and answered before node:http sees them (see _fast-http.ts).
  const front = attachFastFront(
    server,
    (req, conn) => {
      active++;
      if (providers === undefined) {
        writeInternalError(conn, 'the server is still starting');
        return;
      }
      const core = providers;
      try {
        parseBody(req.body, req.headers['content-type'], (read) => {
          answer(core, req.method, req.target, req.headers, read, conn.signal, conn, undefined);
        });
      } catch (err) {
        writeInternalError(conn, errorMessage(err));
      }
    },
    {
      keepAliveTimeoutMs,
      onSettled: () => {
        active--;
        if (active === 0) drained?.();
      },
    },
  );

  /**
   * Lets the core answer a request whose body was read, and writes what it decided.
   * @param beforeWrite - runs just before the answer is written, with its kind
   */
  function answer(
    core: LiveProviders,
    method: string,
    target: string,
    headers: Record<string, string | undefined>,
    read: ReadBody,
    signal: AbortSignal,
    sink: AnswerSink,
    beforeWrite: ((kind: LiveResponse['kind']) => void) | undefined,
  ): void {
    const fail = (err: unknown): void => {
      writeInternalError(sink, errorMessage(err));
    };
    try {
      const { path, query } = splitUrl(target);
      // Literal objects of one shape each (no spreads): this runs for every request.
      const live: LiveRequest =
        read.kind === 'ok'
          ? { method, path, query, headers, body: read.body, signal }
          : { method, path, query, headers, body: undefined, bodyError: read.kind, signal };
      // Callbacks, no promise: a zero-latency answer is written in the same turn it is decided.
      core.respond(
        live,
        (decided) => {
          try {
            if (sink.destroyed) return;
            beforeWrite?.(decided.kind);
            writeResponse(sink, decided, closing);
          } catch (err) {
            fail(err);
          }
        },
        fail,
      );
    } catch (err) {
      fail(err);
    }
  }

  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = keepAliveTimeoutMs;
  // No inactivity timeout on sockets: an emulated `timeout` failure must hold its request open.
  server.timeout = 0;

  /** Tracks `hang` responses so close() need not wait for them. */
  function markHanging(res: http.ServerResponse): void {
    hanging.add(res);
    if (closing) res.destroy();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${urlHost(host)}:${address.port}`;
  const core = new LiveProviders(scenario, {
    ...(opts.timeScale === undefined ? {} : { timeScale: opts.timeScale }),
    ...(opts.journalSize === undefined ? {} : { journalSize: opts.journalSize }),
    baseUrl: url,
    adminKeys: opts.adminKey === undefined ? [] : [opts.adminKey],
    adminHosts: [host, ...(opts.allowedHosts ?? [])],
  });
  providers = core;

  let closed: Promise<void> | undefined;
  async function close(): Promise<void> {
    closing = true;
    const stopped = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    server.closeIdleConnections();
    front.closeIdle();
    for (const res of hanging) res.destroy();
    const settle = (limitMs: number): Promise<void> | undefined =>
      active === 0
        ? undefined
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, limitMs);
            drained = () => {
              clearTimeout(timer);
              resolve();
            };
          });
    await settle(graceMs);
    // Requests still waiting when the grace period ends are answered 503 `server_shutting_down`
    // (the core settles them), and their answers get FLUSH_MS to leave before the sockets close.
    await core.close();
    await settle(FLUSH_MS);
    server.closeAllConnections();
    front.destroyAll();
    await stopped;
  }

  return {
    url,
    port: address.port,
    providers: core,
    close: () => (closed ??= close()),
  };
}

/** A request target split as `new URL` would split it. */
interface SplitTarget {
  readonly path: string;
  readonly query: URLSearchParams;
}

/** Plain targets without a query (the provider routes, repeated on every request), split once; bounded. */
const plainTargets = new Map<string, SplitTarget>();

/** The path and query of a request target, as `new URL` parses them (without its cost for plain paths). */
function splitUrl(target: string): SplitTarget {
  const known = plainTargets.get(target);
  if (known !== undefined) return known;
  const q = target.indexOf('?');
  if (q < 0 && PLAIN_PATH_RE.test(target)) {
    const split = { path: target, query: EMPTY_QUERY };
    if (plainTargets.size >= 1024) plainTargets.clear();
    plainTargets.set(target, split);
    return split;
  }
  const path = q < 0 ? target : target.slice(0, q);
  if (PLAIN_PATH_RE.test(path) && target.indexOf('#') < 0) {
    return { path, query: q < 0 || q === target.length - 1 ? EMPTY_QUERY : new URLSearchParams(target.slice(q + 1)) };
  }
  const url = new URL(target, 'http://imgsim.invalid');
  return { path: url.pathname, query: url.searchParams };
}

/** Header values by lower-case name; Node already joined repeated headers, except `set-cookie`. */
function liveHeaders(headers: http.IncomingHttpHeaders): Record<string, string | undefined> {
  if (headers['set-cookie'] === undefined) return headers as Record<string, string | undefined>;
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

/** Where an answer goes: node:http's response, or a connection of the fast front. */
interface AnswerSink {
  /** The client can no longer get an answer. */
  readonly destroyed: boolean;
  /** Writes a whole response; `list` is a flat header list with `content-length`. */
  send(status: number, list: readonly (string | number)[], body: string | Uint8Array): void;
  /** Writes a partial head, then destroys the socket. */
  reset(partialHead: string): void;
  /** Never answers. */
  hang(): void;
  /** Answers 500 (`list` and `body` as for `send`), or drops the connection when an answer is already out. */
  fail(list: readonly (string | number)[], body: string): void;
}

/** node:http's side of a request: the response, written with one `writeHead` (a flat header list, no per-header `setHeader`) and one `end`. */
class NodeSink implements AnswerSink {
  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly markHanging: (res: http.ServerResponse) => void,
  ) {}

  get destroyed(): boolean {
    return this.res.destroyed;
  }

  send(status: number, list: readonly (string | number)[], body: string | Uint8Array): void {
    const res = this.res;
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, list as unknown as http.OutgoingHttpHeaders);
    res.end(body);
  }

  reset(partialHead: string): void {
    resetSocket(this.req.socket, partialHead);
  }

  hang(): void {
    this.markHanging(this.res);
  }

  fail(list: readonly (string | number)[], body: string): void {
    const res = this.res;
    if (res.destroyed) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    this.send(500, list, body);
  }
}

/** Writes what the core decided. */
function writeResponse(sink: AnswerSink, answer: LiveResponse, closeAfter: boolean): void {
  switch (answer.kind) {
    case 'json': {
      const body = answer.text ?? JSON.stringify(answer.body);
      sink.send(answer.status, headerList(answer.headers, JSON_TYPE, body, closeAfter), body);
      return;
    }
    case 'raw':
      sink.send(answer.status, headerList(answer.headers, undefined, answer.body, closeAfter), answer.body);
      return;
    case 'malformed':
      sink.send(200, headerList(answer.headers, JSON_TYPE, answer.body, closeAfter), answer.body);
      return;
    case 'reset': {
      // The status line and part of the headers, then the socket dies: what a crashed upstream
      // or a dropped load-balancer connection looks like to the client.
      const requestId = answer.headers['x-request-id'];
      sink.reset(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${requestId === undefined ? '' : `x-request-id: ${requestId}\r\n`}`);
      return;
    }
    case 'hang':
      sink.hang();
      return;
  }
}

const JSON_TYPE = 'application/json';

/**
 * The flat header list of an answer (`name, value, ...`), `content-length` included.
 * @param contentType - overrides the `content-type` of `headers` when given
 */
function headerList(headers: LiveHeaders, contentType: string | undefined, body: string | Uint8Array, closeAfter: boolean): (string | number)[] {
  const list: (string | number)[] = [];
  for (const name in headers) {
    if (contentType !== undefined && name === 'content-type') continue;
    list.push(name, headers[name]!);
  }
  if (contentType !== undefined) list.push('content-type', contentType);
  list.push('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  if (closeAfter) list.push('connection', 'close');
  return list;
}

/** Answers 500 with an OpenAI error body, or drops the connection when an answer is already out. */
function writeInternalError(sink: AnswerSink, message: string): void {
  if (sink.destroyed) return;
  const body = JSON.stringify({ error: { message: `imgsim internal error: ${message}`, type: 'server_error', code: 'internal_error' } });
  sink.fail(headerList({}, JSON_TYPE, body, false), body);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The host part of the server URL: wildcards become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
