/**
 * The live harness's HTTP client side: one attempt as an OpenAI Images API POST, its answer
 * mapped to an outcome kind, and the admin calls (`/_imgsim/reset`, `/_imgsim/ledger`).
 * Uses the global `fetch` (undici), whose pool keeps connections alive between attempts.
 */
import { OUTCOME_KINDS, type OutcomeKind } from '../scenario/schema.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ImageRequest } from '../model/request.js';
import type { LedgerSnapshot } from './ledger.js';

/** The API key the harness sends (`serve` accepts any non-empty key unless `auth.keys` is set). */
export const DEFAULT_API_KEY = 'imgsim';

/** What one attempt came back with. */
export type AttemptAnswer =
  | {
      readonly kind: OutcomeKind;
      /** `x-imgsim-cost-usd`, or undefined when the answer carried none (or never came). */
      readonly costUsd: number | undefined;
      /** For 429: Retry-After as sent (`retry-after-ms`, else `retry-after` seconds), ms. */
      readonly retryAfterMs: number | undefined;
      /** The OpenAI error body's `code`, when there was one. */
      readonly code: string | undefined;
    }
  /** The harness cancelled it (a hedge loser); it has no outcome. */
  | { readonly kind: 'cancelled' };

const KINDS: ReadonlySet<string> = new Set(OUTCOME_KINDS);

/**
 * The outcome kind of an HTTP answer: the status decides, and `x-imgsim-outcome` refines a
 * failure (500 may be `generative`). 200 success; 429 rate-limited; 503 overloaded; 400
 * filtered; 408/504 timeout; any other status server-error.
 * @param status - HTTP status
 * @param outcomeHeader - `x-imgsim-outcome`, if sent
 * @returns the outcome kind
 */
export function outcomeOfStatus(status: number, outcomeHeader: string | null): OutcomeKind {
  if (status >= 200 && status < 300) return 'success';
  if (outcomeHeader !== null && outcomeHeader !== 'success' && KINDS.has(outcomeHeader)) return outcomeHeader as OutcomeKind;
  switch (status) {
    case 429:
      return 'rate-limited';
    case 503:
      return 'overloaded';
    case 400:
      return 'filtered';
    case 408:
    case 504:
      return 'timeout';
    default:
      return 'server-error';
  }
}

/**
 * Retry-After of a response, ms: `retry-after-ms` (as the OpenAI SDK reads it) when present,
 * else `retry-after` in seconds or as an HTTP date.
 * @param headers - response headers
 * @returns ms, or undefined when absent or unreadable
 */
export function retryAfterMsOf(headers: Headers): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  // The wall clock is right here: an HTTP-date Retry-After is wall time by definition.
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * The OpenAI Images body for a request at a provider.
 * @param request - the request
 * @param model - the `model` field (the provider id)
 * @param tier - the latency tier
 * @param user - the OpenAI `user` field (the harness's tag through a gateway), when sent
 * @returns JSON text
 */
export function imagesBody(request: ImageRequest, model: string, tier: string, user?: string): string {
  // Per-token pricing counts ⌈chars/4⌉ of the prompt: a synthetic request without its text
  // sends one of the same length.
  const prompt = request.prompt ?? 'x'.repeat(Math.max(1, request.promptChars));
  return JSON.stringify({
    model,
    prompt,
    size: request.size,
    n: 1,
    response_format: 'b64_json',
    steps: request.steps,
    features: request.features,
    tier,
    validate: request.validate,
    project: request.project,
    ...(request.quality === undefined ? {} : { quality: request.quality }),
    ...(user === undefined ? {} : { user }),
  });
}

/** A 200 body is usable when it parses and holds an image. */
function usableImage(text: string): boolean {
  try {
    const body = JSON.parse(text) as { data?: { b64_json?: unknown; url?: unknown }[] } | null;
    const first = body?.data?.[0];
    return first !== undefined && (typeof first.b64_json === 'string' || typeof first.url === 'string');
  } catch {
    return false;
  }
}

function errorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown } } | null;
    const code = body?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Sends one attempt and maps what comes back: a network error is `connection-reset`, the
 * client's timeout `timeout`, an unusable 200 body `server-error` (malformed).
 * @param url - the images endpoint
 * @param body - JSON text
 * @param apiKey - bearer key
 * @param timeoutMs - the client's timeout, wall ms
 * @param cancel - aborted by the harness to cancel a hedge loser
 * @param headers - more request headers, names in lower case (e.g. a gateway's `x-portkey-config`); they win over the two above
 * @returns the answer
 */
export async function sendAttempt(url: string, body: string, apiKey: string, timeoutMs: number, cancel: AbortSignal, headers?: Readonly<Record<string, string>>): Promise<AttemptAnswer> {
  const timeout = AbortSignal.timeout(Math.max(1, Math.round(timeoutMs)));
  const signal = AbortSignal.any([timeout, cancel]);
  let costUsd: number | undefined;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, ...headers },
      body,
      signal,
    });
    const costHeader = res.headers.get('x-imgsim-cost-usd');
    costUsd = costHeader === null || !Number.isFinite(Number(costHeader)) ? undefined : Number(costHeader);
    const text = await res.text();
    let kind = outcomeOfStatus(res.status, res.headers.get('x-imgsim-outcome'));
    if (kind === 'success' && !usableImage(text)) kind = 'server-error';
    return {
      kind,
      costUsd,
      retryAfterMs: res.status === 429 ? retryAfterMsOf(res.headers) : undefined,
      code: kind === 'success' ? undefined : errorCode(text),
    };
  } catch {
    if (cancel.aborted) return { kind: 'cancelled' };
    const kind: OutcomeKind = timeout.aborted ? 'timeout' : 'connection-reset';
    return { kind, costUsd, retryAfterMs: undefined, code: undefined };
  }
}

/**
 * `POST /_imgsim/reset`: forgets the server's ledger and journal.
 * @param serverUrl - the serve base URL
 * @param apiKey - bearer key
 * @throws ImgsimError `live-server` when the server does not answer 2xx
 */
export async function resetServer(serverUrl: string, apiKey: string): Promise<void> {
  const res = await adminFetch(`${serverUrl}/_imgsim/reset`, 'POST', apiKey);
  await res.arrayBuffer();
}

/**
 * `GET /_imgsim/ledger`.
 * @param serverUrl - the serve base URL
 * @param apiKey - bearer key
 * @returns the ledger snapshot
 * @throws ImgsimError `live-server` when the server does not answer 2xx JSON with `providers`
 */
export async function readLedger(serverUrl: string, apiKey: string): Promise<LedgerSnapshot> {
  const res = await adminFetch(`${serverUrl}/_imgsim/ledger`, 'GET', apiKey);
  const body = (await res.json()) as Partial<LedgerSnapshot> | null;
  if (body === null || typeof body.providers !== 'object') {
    throw new ImgsimError('invalid-argument', `${serverUrl}/_imgsim/ledger: expected a ledger with \`providers\`; is this an imgsim serve URL?`);
  }
  return body as LedgerSnapshot;
}

async function adminFetch(url: string, method: string, apiKey: string): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { method, headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ImgsimError('invalid-argument', `${method} ${url} failed (${why}); is \`imgsim serve\` running there?`);
  }
  if (!res.ok) {
    await res.arrayBuffer();
    throw new ImgsimError('invalid-argument', `${method} ${url} answered ${res.status}; is this an imgsim serve URL?`);
  }
  return res;
}
