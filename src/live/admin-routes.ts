/**
 * The admin surface of the mock providers, `/_imgsim/*`, the same for `imgsim serve` and the msw
 * handlers: `GET /_imgsim/` (the dashboard), `health`, `ledger`, `journal[?limit=N]`, `metrics`
 * (Prometheus), `images/{id}.png` (the images `url` answers point at), and `POST reset`. Who may
 * call which route is admin-guard.ts; what the answers hold comes from the core through
 * {@link AdminHost}.
 */
import { adminRefusal, type AdminAccess, type AdminPolicy } from './admin-guard.js';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard.js';
import type { JournalEntry, LedgerSnapshot } from './ledger.js';
import { errorResponse, invalid, type LiveError } from './openai-dialect.js';
import { pngById } from './png.js';
import type { LiveRequest, LiveResponse } from './protocol.js';

/** What the admin routes read and reset in the core. */
export interface AdminHost {
  /** Who may call which route. */
  readonly policy: AdminPolicy;
  /** @returns the 400/413 of a body the transport could not read (checked on writes) */
  bodyError(req: LiveRequest): LiveError | undefined;
  /** @returns the body of `GET /_imgsim/health` */
  health(): AdminHealth;
  /** @returns the ledger (`GET /_imgsim/ledger`) */
  ledger(): LedgerSnapshot;
  /** @returns the newest journal entries, at most `limit`, oldest first */
  journal(limit: number): JournalEntry[];
  /** @returns the Prometheus page */
  metrics(): string;
  /** Forgets the ledger, journal, budget, accounts' state and finished predictions (`POST /_imgsim/reset`). */
  reset(): void;
}

/** The body of `GET /_imgsim/health`. */
export interface AdminHealth {
  readonly status: 'ok' | 'closing';
  readonly providers: readonly string[];
  /** Simulated now, ISO. */
  readonly simTime: string;
  readonly timeScale: number;
  /** Provider requests whose answer is not decided yet. */
  readonly inFlight: number;
}

/** Admin paths (below `/_imgsim/`) by the method they take. */
const GET_PATHS: ReadonlySet<string> = new Set(['', 'health', 'ledger', 'journal', 'metrics']);
const IMAGE_RE = /^images\/([0-9a-f]+)\.png$/;

function ok(body: unknown): LiveResponse {
  return { kind: 'json', status: 200, headers: { 'content-type': 'application/json' }, body };
}

/**
 * The 404 of a path without a route.
 * @param message - what was asked and what exists
 * @param code - the error code
 * @returns the response
 */
export function notFound(message: string, code = 'not_found'): LiveResponse {
  return errorResponse({ status: 404, type: 'invalid_request_error', code, message });
}

/**
 * The 405 of a route asked with another method, with `Allow`.
 * @param method - the method sent
 * @param allow - the method the route takes
 * @param path - the path asked
 * @returns the response
 */
export function methodNotAllowed(method: string, allow: string, path: string): LiveResponse {
  return errorResponse({ status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: `${method} is not allowed on ${path}; use ${allow}.` }, { allow });
}

/**
 * Answers an admin request.
 * @param req - the request
 * @param parts - the path's segments after `_imgsim`
 * @param host - the core
 * @returns the answer
 */
export function adminAnswer(req: LiveRequest, parts: readonly string[], host: AdminHost): LiveResponse {
  const method = req.method.toUpperCase();
  const path = parts.join('/');
  const imageMatch = IMAGE_RE.exec(path);
  const allow = path === 'reset' ? 'POST' : imageMatch !== null || GET_PATHS.has(path) ? 'GET' : undefined;
  if (allow === undefined) return notFound(`No admin route ${req.path}; see /_imgsim/health, ledger, journal, metrics, reset.`);
  if (method !== allow && !(allow === 'GET' && method === 'HEAD')) return methodNotAllowed(req.method, allow, req.path);
  const access: AdminAccess = imageMatch !== null || path === 'health' ? 'open' : path === 'reset' ? 'write' : path === '' ? 'page' : 'read';
  const refused = adminRefusal(req, access, host.policy) ?? (access === 'write' ? host.bodyError(req) : undefined);
  if (refused !== undefined) return errorResponse(refused);
  if (imageMatch !== null) {
    const png = pngById(imageMatch[1]!);
    if (png === undefined) return notFound(`No image ${req.path}.`);
    return { kind: 'raw', status: 200, headers: { 'content-type': 'image/png', 'cache-control': 'public, max-age=31536000, immutable' }, body: png };
  }
  switch (path) {
    case '':
      return { kind: 'raw', status: 200, headers: { ...DASHBOARD_HEADERS }, body: DASHBOARD_HTML };
    case 'health':
      return ok(host.health());
    case 'ledger':
      return ok(host.ledger());
    case 'journal': {
      const limitRaw = req.query.get('limit');
      const limit = limitRaw === null ? Infinity : Number(limitRaw);
      if (!(limit >= 0)) return errorResponse(invalid('`limit` must be a non-negative number.', 'limit'));
      return ok({ entries: host.journal(limit) });
    }
    case 'metrics':
      return { kind: 'raw', status: 200, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, body: host.metrics() };
    default: // reset
      host.reset();
      return ok({ status: 'reset' });
  }
}
