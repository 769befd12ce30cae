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

/**
 * How an attempt's answer is booked: an outcome kind, or `client-error` (an extension of the
 * live report: a 4xx that is neither a content-policy refusal, a rate limit nor a timeout, e.g.
 * a gateway's "config header required", a bad key or an unknown model; the request's fault).
 */
export type AnswerKind = OutcomeKind | 'client-error';

/** What one attempt came back with. */
export type AttemptAnswer =
  | {
      readonly kind: AnswerKind;
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

/** Error codes of a content-policy refusal: OpenAI's (DALL-E, gpt-image) and serve's refusals of what a provider cannot serve. */
function refusalCode(code: string | undefined): boolean {
  return code === 'content_policy_violation' || code === 'moderation_blocked' || (code?.startsWith('unsupported_') ?? false);
}

/**
 * The outcome kind of an HTTP answer. serve's answers carry `x-imgsim-outcome`: the status
 * decides and the header refines a failure (500 may be `generative`; any of serve's 400s is
 * `filtered`, as the simulator books them). Without the header (a gateway's own answer, or one
 * whose headers the gateway dropped) a 400 or 451 is `filtered` only when its body's error code
 * says content policy (`content_policy_violation`, `moderation_blocked`, or serve's
 * `unsupported_*`). Otherwise: 200 success; 429 rate-limited; 503 overloaded; 408/504 timeout;
 * another 4xx `client-error`; another status server-error.
 * @param status - HTTP status
 * @param outcomeHeader - `x-imgsim-outcome`, if sent
 * @param bodyText - the answer's body
 * @returns the kind
 */
export function outcomeOfAnswer(status: number, outcomeHeader: string | null, bodyText: string): AnswerKind {
  if (status >= 200 && status < 300) return 'success';
  if (outcomeHeader !== null && outcomeHeader !== 'success' && KINDS.has(outcomeHeader)) return outcomeHeader as OutcomeKind;
  switch (status) {
    case 429:
      return 'rate-limited';
    case 503:
      return 'overloaded';
    case 408:
    case 504:
      return 'timeout';
    case 400:
    case 451:
      if (outcomeHeader !== null || refusalCode(errorCode(bodyText))) return 'filtered';
      return 'client-error';
    default:
      return status >= 400 && status < 500 ? 'client-error' : 'server-error';
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
    steps: request.steps,
    features: request.features,
    tier,
    validate: request.validate,
    // Sent only for batch work, so interactive bodies stay as they were.
    ...(request.urgency === 'interactive' ? {} : { urgency: request.urgency }),
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
    let kind = outcomeOfAnswer(res.status, res.headers.get('x-imgsim-outcome'), text);
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
 * @param apiKey - bearer key: serve's admin key when it has one
 * @throws ImgsimError `live-server` when the server does not answer 2xx
 */
export async function resetServer(serverUrl: string, apiKey: string): Promise<void> {
  const res = await adminFetch(`${serverUrl}/_imgsim/reset`, 'POST', apiKey);
  await res.arrayBuffer();
}

/**
 * Waits until serve has no provider request in progress (`GET /_imgsim/health`, `inFlight`), so
 * that work started before (the warm-up's requests, which a client that gave up on them does not
 * stop) is booked before the ledger is reset rather than after.
 * @param serverUrl - the serve base URL
 * @param apiKey - bearer key: serve's admin key when it has one
 * @param limitMs - the longest wait, wall ms
 * @returns the requests still in progress when it stopped waiting (0 when serve went idle)
 * @throws ImgsimError when serve does not answer
 */
export async function waitServerIdle(serverUrl: string, apiKey: string, limitMs: number): Promise<number> {
  const until = performance.now() + limitMs;
  for (;;) {
    const res = await adminFetch(`${serverUrl}/_imgsim/health`, 'GET', apiKey);
    const body = (await res.json()) as { inFlight?: unknown } | null;
    // A serve without the gauge (an older one) is taken as idle.
    const inFlight = typeof body?.inFlight === 'number' ? body.inFlight : 0;
    if (inFlight <= 0 || performance.now() >= until) return Math.max(0, inFlight);
    await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
  }
}

/** How often {@link waitServerIdle} asks, wall ms. */
const IDLE_POLL_MS = 20;

/**
 * `GET /_imgsim/ledger`.
 * @param serverUrl - the serve base URL
 * @param apiKey - bearer key: serve's admin key when it has one
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
    // A write is JSON: serve refuses any other admin write (admin-guard.ts).
    const init: RequestInit =
      method === 'POST'
        ? { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: '{}' }
        : { method, headers: { authorization: `Bearer ${apiKey}` } };
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ImgsimError('invalid-argument', `${method} ${url} failed (${why}); is \`imgsim serve\` running there?`);
  }
  if (!res.ok) {
    const text = await res.text();
    // serve's own refusal (e.g. 401 without its admin key) says what to do; anything else is no serve.
    const serveSays = res.status === 401 || res.status === 403 ? errorMessage(text) : undefined;
    throw new ImgsimError('invalid-argument', `${method} ${url} answered ${res.status}${serveSays === undefined ? '; is this an imgsim serve URL?' : `: ${serveSays} (imgsim live: --admin-key)`}`);
  }
  return res;
}

/** The `error.message` of an OpenAI-style error body. */
function errorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } } | null;
    const message = body?.error?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}
