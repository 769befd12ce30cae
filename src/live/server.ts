/**
 * The `imgsim serve` transport: a plain `node:http` server that turns each HTTP request into a
 * `LiveRequest`, lets the `LiveProviders` core decide, and writes the `LiveResponse` back,
 * including the misbehaviours (truncated JSON, reset sockets, requests that never answer).
 * Everything the providers know lives in the core; this file only moves bytes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { LiveProviders } from './core.js';
import type { LiveHeaders, LiveRequest, LiveResponse } from './protocol.js';

/** Largest request body accepted; beyond it the answer is 413 (the OpenAI Images API caps uploads alike). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Time a client gets to send all request headers before the server answers 408 and closes. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Time a client gets to send a whole request (10 MB at ~350 kB/s); only the upload is timed, never our answer. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Idle keep-alive connections close after this: Node's default, above undici's 4 s pool idle time so clients drop a socket before we do. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/**
 * After a 413 the client may still be uploading; closing at once would make its TCP stack
 * answer our unread bytes with a reset, and many clients then report the reset instead of the
 * 413 (nginx's lingering close solves the same). So we discard what still arrives, for at most
 * this long, then close.
 */
const LINGER_MS = 2_000;
/** How long `close()` lets in-flight requests finish before destroying their sockets. */
const DEFAULT_GRACE_MS = 10_000;
/** Pending connections the kernel may queue; thousands of clients connect at once in load tests. */
const LISTEN_BACKLOG = 4096;

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

/** Why a body could not be read. */
type BodyResult =
  | { readonly kind: 'ok'; readonly body: unknown }
  | { readonly kind: 'malformed-json' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'aborted' };

/**
 * Starts the mock providers of a scenario on a real HTTP port.
 * @param scenario - the resolved scenario whose providers to serve
 * @param opts - port, host, time scale, journal size, grace period
 * @returns the running server, once it listens
 */
export async function startServer(scenario: ResolvedScenario, opts: ServerOptions = {}): Promise<LiveServer> {
  const { port = 0, host = '127.0.0.1', graceMs = DEFAULT_GRACE_MS } = opts;
  // Assigned once the port is known (the core needs the base URL for `response_format: url`).
  let providers: LiveProviders | undefined = undefined;
  let closing = false;
  /** Responses not yet finished; `close()` waits for them. */
  const active = new Set<http.ServerResponse>();
  /** Responses that will never be answered (`hang`); `close()` destroys them at once. */
  const hanging = new Set<http.ServerResponse>();
  let drained: (() => void) | undefined;

  const server = http.createServer((req, res) => {
    active.add(res);
    res.on('close', () => {
      active.delete(res);
      hanging.delete(res);
      if (active.size === 0) drained?.();
    });
    if (providers === undefined) {
      writeInternalError(res, 'the server is still starting');
      return;
    }
    handleRequest(providers, req, res, () => closing).catch((err: unknown) => {
      writeInternalError(res, err instanceof Error ? err.message : String(err));
    });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // No inactivity timeout on sockets: an emulated `timeout` failure must hold its request open.
  server.timeout = 0;

  /** Tracks `hang` responses so close() need not wait for them. */
  function markHanging(res: http.ServerResponse): void {
    hanging.add(res);
    if (closing) res.destroy();
  }

  async function handleRequest(core: LiveProviders, req: http.IncomingMessage, res: http.ServerResponse, isClosing: () => boolean): Promise<void> {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const url = new URL(req.url ?? '/', 'http://imgsim.invalid');
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const read = await readBody(req);
    if (read.kind === 'aborted') return;
    const live: LiveRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: read.kind === 'ok' ? read.body : undefined,
      ...(read.kind === 'ok' ? {} : { bodyError: read.kind }),
      signal: controller.signal,
    };
    const answer = await core.handle(live);
    if (res.destroyed) return;
    if (read.kind === 'too-large') closeAfterUpload(req, res);
    writeResponse(req, res, answer, isClosing(), markHanging);
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
    for (const res of hanging) res.destroy();
    if (active.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    server.closeAllConnections();
    await stopped;
    await core.close();
  }

  return {
    url,
    port: address.port,
    providers: core,
    close: () => (closed ??= close()),
  };
}

/** Reads and parses a JSON body with the size limit; never rejects. */
function readBody(req: http.IncomingMessage): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  // Answer at once: reading 10 MB only to refuse it helps nobody.
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    discardRest(req);
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    function finish(result: BodyResult): void {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (result.kind === 'too-large') discardRest(req);
      // Keep a listener so a late socket error is not an unhandled 'error' event.
      else req.on('error', noop);
      resolve(result);
    }
    function onData(chunk: Buffer): void {
      bytes += chunk.length;
      if (bytes > MAX_BODY_BYTES) {
        chunks.length = 0;
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    }
    function onEnd(): void {
      if (bytes === 0) {
        finish({ kind: 'ok', body: undefined });
        return;
      }
      try {
        finish({ kind: 'ok', body: JSON.parse(Buffer.concat(chunks, bytes).toString('utf8')) as unknown });
      } catch {
        finish({ kind: 'malformed-json' });
      }
    }
    function onError(): void {
      finish({ kind: 'aborted' });
    }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    if (req.destroyed || req.readableAborted) finish({ kind: 'aborted' });
  });
}

function noop(): void {
  // Intentionally empty: see readBody.
}

/** Lets the rest of a refused body flow past without keeping a byte of it. */
function discardRest(req: http.IncomingMessage): void {
  req.on('data', noop);
  req.on('error', noop);
  req.resume();
}

/**
 * Closes the connection of a refused (413) request once its upload ended, or after
 * {@link LINGER_MS} if the client keeps sending.
 */
function closeAfterUpload(req: http.IncomingMessage, res: http.ServerResponse): void {
  const socket = req.socket;
  // Node answers an incompletely read request with `connection: close` and destroys the socket
  // as soon as the answer is flushed; keep it open and close it ourselves below.
  res.shouldKeepAlive = true;
  res.once('finish', () => {
    if (req.complete) {
      socket.end();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    req.once('end', () => {
      clearTimeout(timer);
      socket.end();
    });
    socket.once('close', () => {
      clearTimeout(timer);
    });
  });
}

/** Writes what the core decided. */
function writeResponse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  answer: LiveResponse,
  closeAfter: boolean,
  markHanging: (res: http.ServerResponse) => void,
): void {
  switch (answer.kind) {
    case 'json': {
      const body = JSON.stringify(answer.body);
      send(res, answer.status, { ...answer.headers, 'content-type': 'application/json' }, body, closeAfter);
      return;
    }
    case 'raw':
      send(res, answer.status, answer.headers, answer.body, closeAfter);
      return;
    case 'malformed':
      send(res, 200, { ...answer.headers, 'content-type': 'application/json' }, answer.body, closeAfter);
      return;
    case 'reset': {
      // The status line and part of the headers, then the socket dies: what a crashed upstream
      // or a dropped load-balancer connection looks like to the client.
      const requestId = answer.headers['x-request-id'];
      const partial = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${requestId === undefined ? '' : `x-request-id: ${requestId}\r\n`}`;
      const socket = req.socket;
      socket.write(partial, () => socket.destroy());
      // If the write never flushes (the client is gone), destroy anyway.
      setImmediate(() => socket.destroy());
      return;
    }
    case 'hang':
      markHanging(res);
      return;
  }
}

function send(res: http.ServerResponse, status: number, headers: LiveHeaders, body: string | Uint8Array, closeAfter: boolean): void {
  if (res.headersSent || res.destroyed) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  if (closeAfter) res.setHeader('connection', 'close');
  res.statusCode = status;
  res.end(body);
}

/** Answers 500 with an OpenAI error body, or drops the connection when headers are out. */
function writeInternalError(res: http.ServerResponse, message: string): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { message: `imgsim internal error: ${message}`, type: 'server_error', code: 'internal_error' } });
  res.removeHeader('content-length');
  send(res, 500, { 'content-type': 'application/json' }, body, false);
}

/** The host part of the server URL: wildcards become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
