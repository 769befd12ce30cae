/**
 * `imgsim/msw`: the mock providers as msw request handlers, for an application's own tests with
 * no port at all. The handlers feed the same `LiveProviders` core as `imgsim serve`, so bodies,
 * headers, failures and the ledger (`GET <baseUrl>/_imgsim/ledger`) are the same.
 *
 * ```ts
 * import { setupServer } from 'msw/node';
 * import { createHandlers } from 'imgsim/msw';
 * const server = setupServer(...(await createHandlers('scenarios/quickstart.yaml', { baseUrl: 'https://imgsim.test' })));
 * ```
 */
import { HttpResponse, http, type RequestHandler } from 'msw';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario, scenarioFromObject } from '../scenario/load.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { MAX_BODY_BYTES } from './_read-body.js';
import { LiveProviders } from './core.js';
import { isMultipart, parseMultipart } from './multipart.js';
import type { LiveRequest, LiveResponse } from './protocol.js';

/** Options of {@link createHandlers}. */
export interface HandlerOptions {
  /** Where the providers appear: `${baseUrl}/{provider}/v1/...` and `${baseUrl}/_imgsim/...`. */
  readonly baseUrl?: string;
  /** 0.01 runs every emulated latency 100× faster (default 1). */
  readonly timeScale?: number;
  /** Requests kept in the journal (default 200). */
  readonly journalSize?: number;
  /** The admin key of `${baseUrl}/_imgsim/*`; required there when set or when the scenario sets `auth.keys`. */
  readonly adminKey?: string;
}

/** The handlers and the core behind them (its ledger, for assertions). */
export interface ImgsimHandlers extends Array<RequestHandler> {
  /** The provider models answering the handlers. */
  readonly providers: LiveProviders;
}

/**
 * Creates msw handlers for every provider of a scenario.
 * @param scenario - a scenario file path, a scenario object (as YAML would parse), or a resolved scenario
 * @param opts - base URL (default `https://imgsim.test`), time scale, journal size
 * @returns the handlers (an array with a `providers` property for ledger assertions)
 * @throws ImgsimError when the scenario is invalid
 */
export async function createHandlers(scenario: string | Record<string, unknown> | ResolvedScenario, opts: HandlerOptions = {}): Promise<ImgsimHandlers> {
  const resolved = typeof scenario === 'string' ? loadScenario(scenario) : isResolved(scenario) ? scenario : scenarioFromObject(scenario);
  const baseUrl = (opts.baseUrl ?? 'https://imgsim.test').replace(/\/+$/, '');
  const providers = new LiveProviders(resolved, {
    baseUrl,
    ...(opts.timeScale === undefined ? {} : { timeScale: opts.timeScale }),
    ...(opts.journalSize === undefined ? {} : { journalSize: opts.journalSize }),
    ...(opts.adminKey === undefined ? {} : { adminKeys: [opts.adminKey] }),
  });
  const handler = http.all(`${baseUrl}/*`, async ({ request }) => toResponse(await providers.handle(await toLiveRequest(request, baseUrl)), request.signal));
  const handlers = [handler] as RequestHandler[] as ImgsimHandlers;
  Object.defineProperty(handlers, 'providers', { value: providers, enumerable: false });
  return Promise.resolve(handlers);
}

function isResolved(s: Record<string, unknown> | ResolvedScenario): s is ResolvedScenario {
  return 'startMs' in s && 'tierList' in ((s as ResolvedScenario).providers[0] ?? {});
}

async function toLiveRequest(request: Request, baseUrl: string): Promise<LiveRequest> {
  const url = new URL(request.url);
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) || '/' : url.pathname;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  let body: unknown;
  let bodyError: LiveRequest['bodyError'];
  const declared = Number(headers['content-length'] ?? '0');
  if (declared > MAX_BODY_BYTES) {
    bodyError = 'too-large';
  } else if (request.method !== 'GET' && request.method !== 'HEAD' && isMultipart(headers['content-type'])) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > MAX_BODY_BYTES) bodyError = 'too-large';
    else {
      body = await parseMultipart(bytes, headers['content-type']!);
      if (body === undefined) bodyError = 'malformed-form';
    }
  } else if (request.method !== 'GET' && request.method !== 'HEAD') {
    const text = await request.text();
    if (text.length > MAX_BODY_BYTES) bodyError = 'too-large';
    else if (text.trim() !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        bodyError = 'malformed-json';
      }
    }
  }
  return {
    method: request.method,
    path,
    query: url.searchParams,
    headers,
    body,
    ...(bodyError === undefined ? {} : { bodyError }),
    signal: request.signal,
  };
}

function toResponse(r: LiveResponse, signal: AbortSignal): Response | Promise<Response> {
  switch (r.kind) {
    case 'json':
      return HttpResponse.json(r.body as never, { status: r.status, headers: r.headers });
    case 'raw':
      return new HttpResponse(typeof r.body === 'string' ? r.body : new Uint8Array(r.body), { status: r.status, headers: r.headers });
    case 'malformed':
      return new HttpResponse(r.body, { status: 200, headers: { 'content-type': 'application/json', ...r.headers } });
    case 'reset':
      // The socket is destroyed mid-response: the client sees a network error.
      return HttpResponse.error();
    case 'hang':
      // No answer: the request waits until the client gives up (aborts).
      return new Promise<Response>((_, reject) => {
        signal.addEventListener('abort', () => {
          reject(new ImgsimError('internal', 'the client gave up waiting'));
        });
      });
    default:
      return HttpResponse.error();
  }
}
