/**
 * The core of live mode: one `LiveProviders` answers every request for `imgsim serve` and for
 * the msw handlers (protocol.ts is the interface). It routes, authenticates and validates, runs
 * the request through the provider model (provider.ts) on a scaled clock, shapes the answer in
 * the provider's dialect, and keeps the ledger, journal and metrics (ledger.ts).
 *
 * Clocks: simulated now = scenario start + (wall − wall at construction) / timeScale, so at
 * timeScale 0.01 emulated latencies are 100× shorter and simulated time (off-peak windows,
 * a(t), rate-limit refills, quota periods) runs 100× faster.
 *
 * Retry-After: the bucket's wait is simulated time; it is sent as wall time (wait × timeScale)
 * in `retry-after-ms` (exact, read first by the OpenAI SDKs) and in `retry-after` as whole
 * seconds, at least 1, as HTTP requires an integer.
 */
import { performance } from 'node:perf_hooks';
import { AvailabilityCurve } from '../model/availability.js';
import type { CreditsSummary } from '../model/credits.js';
import type { ResolvedProvider, ResolvedScenario } from '../scenario/resolve.js';
import { LivePredictions, type PredictionHost } from './predictions.js';
import { LiveLedger, type JournalEntry, type LedgerSnapshot, type LiveOutcome } from './ledger.js';
import { withFieldHeaders } from './imgsim-headers.js';
import {
  errorResponse,
  invalid,
  openAiSuccessBody,
  openAiSuccessJson,
  parseOpenAiEditRequest,
  parseOpenAiRequest,
  truncatedJson,
  type LiveError,
  type ParsedImageRequest,
} from './openai-dialect.js';
import { pngById } from './png.js';
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from './dashboard.js';
import type { LiveHeaders, LiveRequest, LiveResponse } from './protocol.js';
import { Account } from '../model/account.js';
import { LiveProvider, rateLimitState, type LiveAttemptResult, type RateLimitState } from './provider.js';
import { LiveBudget } from './budget-alerts.js';
import { journalBody } from './journal-body.js';
import { MAX_JSON_CONTAINERS } from './json-limits.js';
import { adminPolicy, adminRefusal, type AdminAccess, type AdminPolicy } from './admin-guard.js';

/** Options of {@link LiveProviders}. */
export interface LiveOptions {
  /** Wall ms per simulated ms (default 1; 0.01 = every emulated latency 100× shorter). */
  readonly timeScale?: number;
  /** Wall clock, ms (default `performance.now()`); tests pass a fake one. */
  readonly now?: () => number;
  /** Seed of the outcome and latency draws (default the scenario's seed). */
  readonly seed?: number;
  /** Requests the journal keeps (default 200). */
  readonly journalSize?: number;
  /** Where the server is reachable, for `url` answers (default empty: root-relative URLs). */
  readonly baseUrl?: string;
  /**
   * Keys of the admin surface (`/_imgsim/*`, admin-guard.ts); once one is given, or the
   * scenario sets `auth.keys`, admin routes but health and images need one of them.
   */
  readonly adminKeys?: readonly string[];
  /**
   * Names `Host` may carry on admin routes besides loopback names and IP literals; set by
   * network transports (serve), which also turns on the Origin check of admin writes. Undefined
   * (msw): neither check.
   */
  readonly adminHosts?: readonly string[];
}

/** `performance.now()` through the module binding: the global `performance` is a getter Node runs on every read. */
function defaultNow(): number {
  return performance.now();
}

/** Default journal length. */
export const DEFAULT_JOURNAL_SIZE = 200;

type Route =
  | { readonly kind: 'generations' | 'edits'; readonly provider: string }
  | { readonly kind: 'fal'; readonly provider: string }
  /** `model`: `owner/name` of `/models/{owner}/{name}/predictions`. */
  | { readonly kind: 'submit'; readonly provider: string; readonly model?: string }
  | { readonly kind: 'poll' | 'cancel'; readonly provider: string; readonly id: string };

const JSON_TYPE = 'application/json';

function ok(body: unknown, headers: LiveHeaders = {}, status = 200): LiveResponse {
  return { kind: 'json', status, headers: { 'content-type': JSON_TYPE, ...headers }, body };
}

function notFound(message: string, code = 'not_found'): LiveResponse {
  return errorResponse({ status: 404, type: 'invalid_request_error', code, message });
}

function methodNotAllowed(method: string, allow: string, path: string): LiveResponse {
  return errorResponse({ status: 405, type: 'invalid_request_error', code: 'method_not_allowed', message: `${method} is not allowed on ${path}; use ${allow}.` }, { allow });
}

/** `x-ratelimit-reset-requests` in OpenAI's style: `120ms`, `1.5s`. */
function formatResetMs(ms: number): string {
  return ms < 1000 ? `${Math.ceil(ms)}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

function isLiveError(v: ParsedImageRequest | LiveError): v is LiveError {
  return 'status' in v;
}

/** The mock providers of one scenario, answering transport-neutral requests. */
export class LiveProviders {
  /** Wall ms per simulated ms. */
  readonly timeScale: number;
  private readonly now: () => number;
  private readonly wallStartMs: number;
  private readonly epochStartMs: number;
  private readonly baseUrl: string;
  private readonly providers = new Map<string, LiveProvider>();
  private accounts = new Map<string, Account>();
  private readonly ledger: LiveLedger;
  private readonly budget: LiveBudget;
  /** The async dialect's predictions (predictions.ts). */
  private readonly predictions: LivePredictions;
  private readonly keys: ReadonlySet<string> | undefined;
  private readonly adminPolicy: AdminPolicy;
  private pendingCount = 0;
  private closed = false;
  private requestSeq = 0;
  /** Path segments by path (the provider routes repeat on every request); bounded. */
  private readonly partsByPath = new Map<string, readonly string[]>();
  /** The last `authorization` header that passed {@link authError}. */
  private lastAcceptedAuth: string | undefined = undefined;

  /**
   * @param scenario - the resolved scenario
   * @param opts - time scale, clock, seed, journal size, base URL
   */
  constructor(
    readonly scenario: ResolvedScenario,
    opts: LiveOptions = {},
  ) {
    const { timeScale = 1, now = defaultNow, seed = scenario.seed, journalSize = DEFAULT_JOURNAL_SIZE, baseUrl = '' } = opts;
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be a positive number (0.01 runs 100× faster), got ${timeScale}`);
    this.timeScale = timeScale;
    this.now = now;
    this.wallStartMs = now();
    this.epochStartMs = Date.now();
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.keys = scenario.auth === undefined ? undefined : new Set(scenario.auth.keys);
    this.adminPolicy = adminPolicy(opts.adminKeys ?? [], this.keys !== undefined, opts.adminHosts);
    this.ledger = new LiveLedger(
      scenario.providers.map((p) => p.id),
      journalSize,
    );
    this.resetAccounts();
    this.budget = new LiveBudget(scenario);
    const clock = { simNowMs: () => this.simNowMs(), timeScale };
    for (const p of scenario.providers) {
      const curve = new AvailabilityCurve(p.availability, seed, p.id, scenario.startMs);
      this.providers.set(p.id, new LiveProvider(p, curve, () => this.accounts.get(p.account)!, clock, seed));
    }
    this.predictions = new LivePredictions(this.predictionHost());
  }

  private predictionHost(): PredictionHost {
    return {
      baseUrl: this.baseUrl,
      timeScale: this.timeScale,
      now: () => this.now(),
      wallEpochMs: () => this.wallEpochMs(),
      simAt: (wallMs) => this.scenario.startMs + (wallMs - this.wallStartMs) / this.timeScale,
      nextRequestId: (prefix) => this.nextRequestId(prefix),
      authError: (req) => this.authError(req),
      bodyError: (req) => this.bodyErrorOf(req),
      journal: (e) => {
        const sim = this.scenario.startMs + (e.arrivedWall - this.wallStartMs) / this.timeScale;
        this.journal(e.id, e.arrivedWall, sim, e.provider, e.project, e.body, e.tier, e.outcome, e.code, e.costUsd, e.status, this.now());
      },
      errorFor,
      limitHeaders,
      rateLimitHeaders: (account) => rateLimitHeaders(this.rateLimitOf(account)),
      closed: () => this.closed,
    };
  }

  /** @returns simulated now, epoch ms */
  simNowMs(): number {
    return this.scenario.startMs + (this.now() - this.wallStartMs) / this.timeScale;
  }

  private wallEpochMs(): number {
    return this.epochStartMs + (this.now() - this.wallStartMs);
  }

  private rateLimitOf(account: string): RateLimitState | undefined {
    const a = this.accounts.get(account);
    return a === undefined ? undefined : rateLimitState(a, this.simNowMs(), this.timeScale);
  }

  private resetAccounts(): void {
    this.accounts = new Map();
    for (const p of this.scenario.providers) {
      if (!this.accounts.has(p.account)) this.accounts.set(p.account, new Account(p, this.scenario.startMs));
    }
  }

  /**
   * Answers one request.
   * @param req - the request as the transport read it
   * @returns what the transport must do
   */
  handle(req: LiveRequest): Promise<LiveResponse> {
    return new Promise<LiveResponse>((resolve, reject) => {
      this.respond(req, resolve, reject);
    });
  }

  /**
   * {@link handle} without promises (the hot path of `imgsim serve`): exactly one of `done`
   * and `fail` is called once, synchronously when the answer needs no wait.
   * @param req - the request as the transport read it
   * @param done - receives what the transport must do
   * @param fail - receives an internal error
   */
  respond(req: LiveRequest, done: (answer: LiveResponse) => void, fail: (err: unknown) => void): void {
    this.pendingCount++;
    let answer: LiveResponse | undefined;
    try {
      answer = this.route(req, done, fail);
    } catch (err) {
      this.pendingCount--;
      fail(err);
      return;
    }
    // undefined: the answer comes later, through `done` or `fail` (the route decrements then).
    if (answer === undefined) return;
    this.pendingCount--;
    done(answer);
  }

  /** @returns requests whose answer is not decided yet (for graceful shutdown) */
  inFlight(): number {
    return this.pendingCount;
  }

  /**
   * The ledger: billed cost, requests and outcomes per provider, and totals.
   * @returns a plain-data snapshot
   */
  ledgerSnapshot(): LedgerSnapshot {
    const snapshot = this.ledger.snapshot(this.creditsByProvider());
    const budget = this.budget.snapshot(this.simNowMs());
    return budget === undefined ? snapshot : { ...snapshot, budget };
  }

  /** @returns a number that changes whenever the ledger does (serve's thread reports the ledger when it moves) */
  ledgerChanges(): number {
    return this.ledger.changes;
  }

  /**
   * Cancels every timer; requests still waiting answer 503 `server_shutting_down`, and so
   * does every later request.
   */
  close(): Promise<void> {
    this.closed = true;
    for (const p of this.providers.values()) p.close();
    this.predictions.close();
    this.budget.close();
    return Promise.resolve();
  }

  private creditsByProvider(): Map<string, CreditsSummary> {
    const out = new Map<string, CreditsSummary>();
    const now = this.simNowMs();
    for (const p of this.scenario.providers) {
      const ledger = this.accounts.get(p.account)?.ledger;
      if (ledger === undefined) continue;
      ledger.expireUntil(now);
      out.set(p.id, ledger.summary());
    }
    return out;
  }

  // --- routing ---------------------------------------------------------------------------------

  /** @returns the answer, or undefined when it will be passed to `done` (or `fail`) later */
  private route(req: LiveRequest, done: (answer: LiveResponse) => void, fail: (err: unknown) => void): LiveResponse | undefined {
    const parts = this.pathParts(req.path);
    if (parts[0] === '_imgsim') return this.admin(req, parts.slice(1));
    if (this.closed) return errorResponse({ status: 503, type: 'server_error', code: 'server_shutting_down', message: 'The server is shutting down; retry elsewhere.' });
    const route = matchProviderRoute(parts);
    if (route === undefined) return notFound(`No route for ${req.method} ${req.path}. Provider routes are /{provider}/v1/images/generations, /{provider}/v1/images/edits, /{provider}/v1/predictions[/{id}[/cancel]], /{provider}/v1/models/{owner}/{name}/predictions and /{provider}/fal/proxy.`);
    const provider = this.providers.get(route.provider);
    if (provider === undefined) {
      return notFound(`Unknown provider "${route.provider}"; providers: ${[...this.providers.keys()].join(', ')}.`, 'unknown_provider');
    }
    const dialect = provider.spec.dialect;
    if (route.kind === 'generations' || route.kind === 'edits' ? dialect !== 'openai' : dialect !== 'async') {
      const use = dialect === 'openai' ? `POST /${route.provider}/v1/images/generations` : `POST /${route.provider}/v1/predictions`;
      return notFound(`Provider "${route.provider}" speaks the ${dialect} dialect; use ${use}.`);
    }
    if (route.kind === 'submit' && route.model === undefined && req.method.toUpperCase() === 'GET') return this.predictions.list(req, provider);
    // fal's proxy takes every method (the target URL says what is asked).
    const allow = route.kind === 'poll' ? 'GET' : route.kind === 'fal' ? req.method : 'POST';
    // Clients send the method upper-case; toUpperCase only for the rest.
    if (req.method !== allow && req.method.toUpperCase() !== allow) return methodNotAllowed(req.method, allow, req.path);
    if (route.kind === 'poll') return this.predictions.poll(req, provider, route.id);
    if (route.kind === 'cancel') return this.predictions.cancel(req, provider, route.id);
    if (route.kind === 'submit' || route.kind === 'fal') {
      const submitted =
        route.kind === 'fal' ? this.predictions.fal(req, provider) : this.predictions.submit(req, provider, route.model === undefined ? { face: 'replicate' } : { face: 'replicate', model: route.model });
      if (!(submitted instanceof Promise)) return submitted;
      submitted.then(
        (answer) => {
          this.pendingCount--;
          done(answer);
        },
        (err: unknown) => {
          this.pendingCount--;
          fail(err);
        },
      );
      return undefined;
    }
    return this.generate(req, provider, route.kind, done, fail);
  }

  private pathParts(path: string): readonly string[] {
    let parts = this.partsByPath.get(path);
    if (parts === undefined) {
      parts = path.split('/').filter((s) => s !== '');
      if (this.partsByPath.size >= 1024) this.partsByPath.clear();
      this.partsByPath.set(path, parts);
    }
    return parts;
  }

  private authError(req: LiveRequest): LiveError | undefined {
    const header = req.headers.authorization ?? '';
    // Clients send the same header on every request; the keys never change, so one that passed passes again.
    if (header === this.lastAcceptedAuth) return undefined;
    const m = /^Bearer\s+(\S.*)$/i.exec(header.trim());
    const key = m?.[1]?.trim();
    if (key === undefined || key === '') {
      return { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'Missing API key: send `Authorization: Bearer <key>`.' };
    }
    if (this.keys !== undefined && !this.keys.has(key)) {
      return { status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'Incorrect API key provided; use one of the scenario\'s `auth.keys`.' };
    }
    this.lastAcceptedAuth = header;
    return undefined;
  }

  private bodyErrorOf(req: LiveRequest): LiveError | undefined {
    if (req.bodyError === 'too-large') {
      return { status: 413, type: 'invalid_request_error', code: 'payload_too_large', message: 'The request body is over the 10 MB limit.' };
    }
    if (req.bodyError === 'malformed-json') {
      return invalid('We could not parse the JSON body of your request; send valid JSON with `Content-Type: application/json`.', undefined, 'invalid_json');
    }
    if (req.bodyError === 'too-complex') {
      return invalid(`The JSON body holds over ${MAX_JSON_CONTAINERS} objects and arrays; an image request needs a few.`, undefined, 'invalid_json');
    }
    if (req.bodyError === 'malformed-form') {
      return invalid('We could not parse the multipart/form-data body of your request; check its boundary and parts.', undefined, 'invalid_multipart');
    }
    return undefined;
  }

  private nextRequestId(prefix: string): string {
    const seq = (++this.requestSeq).toString(36);
    // `padStart(10, '0')`, without its cost on every request.
    return seq.length >= 10 ? `${prefix}_${seq}` : `${prefix}_${ZERO_PADS[10 - seq.length]!}${seq}`;
  }

  // --- provider requests -----------------------------------------------------------------------

  private generate(req: LiveRequest, provider: LiveProvider, kind: 'generations' | 'edits', done: (answer: LiveResponse) => void, fail: (err: unknown) => void): LiveResponse | undefined {
    // One clock read for the arrival: simulated now derives from it.
    const arrivedWall = this.now();
    const arrivedSim = this.scenario.startMs + (arrivedWall - this.wallStartMs) / this.timeScale;
    const id = this.nextRequestId('req');
    const spec = provider.spec;
    const headerProject = req.headers['x-imgsim-project'];

    const early = this.authError(req) ?? this.bodyErrorOf(req);
    const parsed =
      early ??
      (kind === 'edits' ? parseOpenAiEditRequest(req.body, provider.compiled, headerProject) : parseOpenAiRequest(withFieldHeaders(req.body, req.headers), provider.compiled, headerProject));
    // What the journal keeps, taken now: the answer's closure must not hold a large body for the latency.
    const journaled = journalBody(req.body);
    if (isLiveError(parsed)) {
      this.journal(id, arrivedWall, arrivedSim, spec.id, headerProject ?? 'default', journaled, undefined, 'invalid-request', parsed.code, 0, parsed.status, this.now());
      return errorResponse(parsed, { 'x-request-id': id, 'x-imgsim-provider': spec.id, 'x-imgsim-outcome': 'invalid-request', 'x-imgsim-cost-usd': '0' });
    }


    provider.runWith({ request: parsed.request, n: parsed.n, tier: parsed.tier, signal: req.signal, atSimMs: arrivedSim }, (result) => {
      let response: LiveResponse;
      try {
        // One clock read for the answer: the journal, the budget and `created` share it.
        const answeredWall = this.now();
        response = this.openAiAnswer(spec, parsed, result, id, answeredWall);
        const status = response.kind === 'json' || response.kind === 'malformed' ? response.status : null;
        this.journal(id, arrivedWall, arrivedSim, spec.id, parsed.project, journaled, parsed.tier, result.kind, result.code, result.costUsd, result.kind === 'aborted' ? null : status, answeredWall);
        // The emulation error of an answer the transport writes now (a hang is never written).
        if (result.lagMs !== undefined && response.kind !== 'hang') this.ledger.recordEmulationLag(spec.id, result.lagMs);
      } catch (err) {
        this.pendingCount--;
        fail(err);
        return;
      }
      this.pendingCount--;
      done(response);
    });
    return undefined;
  }

  /** Records a finished provider request in the budget, ledger and journal (positional: this runs for every request). */
  private journal(
    id: string,
    arrivedWall: number,
    arrivedSim: number,
    provider: string,
    project: string,
    body: unknown,
    tier: string | undefined,
    outcome: LiveOutcome,
    code: string | undefined,
    costUsd: number,
    status: number | null,
    answeredWall: number,
  ): void {
    const wallMs = answeredWall - arrivedWall;
    if (costUsd > 0) this.budget.bill(costUsd, project, this.scenario.startMs + (answeredWall - this.wallStartMs) / this.timeScale);
    // Times as numbers, the body uncloned: the journal formats when read.
    this.ledger.recordRequest(id, this.epochStartMs + (arrivedWall - this.wallStartMs), arrivedSim, provider, project, body, tier, outcome, code, costUsd, status, wallMs, wallMs / this.timeScale);
  }

  private answerHeaders(base: Record<string, string>, parsed: ParsedImageRequest, result: LiveAttemptResult): Record<string, string> {
    // Built in place (no spreads): this runs for every answer.
    const headers: Record<string, string> = {};
    for (const name in base) headers[name] = base[name]!;
    headers['x-imgsim-tier'] = parsed.tier;
    headers['x-imgsim-outcome'] = result.kind;
    headers['x-imgsim-cost-usd'] = String(result.costUsd);
    return limitHeaders(headers, result);
  }

  /**
   * The headers of a provider's answer, built in one literal-ordered pass (no spreads): this
   * runs for every answer. An image (`contentType`: `content-type` first, as `ok` puts it)
   * carries the API's headers only; an answer without one also says which provider and tier
   * failed and how (`x-imgsim-outcome` tells a `generative` failure from a server error).
   * Every answer's provider, tier and outcome are in the journal.
   */
  private resultHeaders(id: string, providerId: string, parsed: ParsedImageRequest, result: LiveAttemptResult, contentType: boolean): Record<string, string> {
    const headers: Record<string, string> = contentType
      ? { 'content-type': JSON_TYPE, 'x-request-id': id, 'x-imgsim-cost-usd': String(result.costUsd) }
      : { 'x-request-id': id, 'x-imgsim-provider': providerId, 'x-imgsim-tier': parsed.tier, 'x-imgsim-outcome': result.kind, 'x-imgsim-cost-usd': String(result.costUsd) };
    return limitHeaders(headers, result);
  }

  private openAiAnswer(spec: ResolvedProvider, parsed: ParsedImageRequest, result: LiveAttemptResult, id: string, answeredWall: number): LiveResponse {
    const createdS = Math.floor((this.epochStartMs + (answeredWall - this.wallStartMs)) / 1000);
    switch (result.kind) {
      case 'success': {
        const body = openAiSuccessBody(spec, parsed, createdS, this.baseUrl);
        return { kind: 'json', status: 200, headers: this.resultHeaders(id, spec.id, parsed, result, true), body, text: openAiSuccessJson(body) };
      }
      case 'malformed':
        return { kind: 'malformed', status: 200, headers: this.resultHeaders(id, spec.id, parsed, result, true), body: truncatedJson(openAiSuccessBody(spec, parsed, createdS, this.baseUrl)) };
      case 'connection-reset':
        return { kind: 'reset', headers: this.resultHeaders(id, spec.id, parsed, result, false) };
      case 'timeout':
        return { kind: 'hang' };
      case 'aborted':
        return errorResponse({ status: 499, type: 'invalid_request_error', code: 'client_closed_request', message: 'The client closed the request.' }, this.resultHeaders(id, spec.id, parsed, result, false));
      default:
        return errorResponse(errorFor(result), this.resultHeaders(id, spec.id, parsed, result, false));
    }
  }

  // --- admin -----------------------------------------------------------------------------------

  private admin(req: LiveRequest, parts: readonly string[]): LiveResponse {
    const method = req.method.toUpperCase();
    const path = parts.join('/');
    const imageMatch = /^images\/([0-9a-f]+)\.png$/.exec(path);
    const allow = path === 'reset' ? 'POST' : imageMatch !== null || ['', 'health', 'ledger', 'journal', 'metrics'].includes(path) ? 'GET' : undefined;
    if (allow === undefined) return notFound(`No admin route ${req.path}; see /_imgsim/health, ledger, journal, metrics, reset.`);
    if (method !== allow && !(allow === 'GET' && method === 'HEAD')) return methodNotAllowed(req.method, allow, req.path);
    const access: AdminAccess = imageMatch !== null || path === 'health' ? 'open' : path === 'reset' ? 'write' : path === '' ? 'page' : 'read';
    const refused = adminRefusal(req, access, this.adminPolicy) ?? (access === 'write' ? this.bodyErrorOf(req) : undefined);
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
        return ok({
          status: this.closed ? 'closing' : 'ok',
          providers: [...this.providers.keys()],
          simTime: new Date(this.simNowMs()).toISOString(),
          timeScale: this.timeScale,
          // Provider requests whose answer is not decided yet; not this health request itself,
          // which `respond` counts while answering it (a poller waiting for `inFlight > 0` would
          // otherwise never wait).
          inFlight: this.pendingCount - 1,
        });
      case 'ledger':
        return ok(this.ledgerSnapshot());
      case 'journal': {
        const limitRaw = req.query.get('limit');
        const limit = limitRaw === null ? Infinity : Number(limitRaw);
        if (!(limit >= 0)) return errorResponse(invalid('`limit` must be a non-negative number.', 'limit'));
        return ok({ entries: this.ledger.journal(limit) satisfies JournalEntry[] });
      }
      case 'metrics': {
        const gauges = [...this.providers.values()].map((p) => ({ provider: p.spec.id, inFlight: p.busy, queued: p.queued }));
        return { kind: 'raw', status: 200, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, body: this.ledger.metrics(gauges) + this.budget.metrics() };
      }
      default: // reset
        this.ledger.reset();
        this.budget.reset();
        this.resetAccounts();
        for (const p of this.providers.values()) p.resetCounters();
        this.predictions.reset();
        return ok({ status: 'reset' });
    }
  }
}

function matchProviderRoute(parts: readonly string[]): Route | undefined {
  const [provider, v1, a, b, c, d, extra] = parts;
  if (provider === undefined) return undefined;
  if (v1 === 'fal') return a === 'proxy' && b === undefined ? { kind: 'fal', provider } : undefined;
  if (v1 !== 'v1' || extra !== undefined) return undefined;
  if (d !== undefined) return a === 'models' && d === 'predictions' ? { kind: 'submit', provider, model: `${b!}/${c!}` } : undefined;
  if (a === 'images' && (b === 'generations' || b === 'edits') && c === undefined) return { kind: b, provider };
  if (a !== 'predictions') return undefined;
  if (b === undefined) return { kind: 'submit', provider };
  if (c === undefined) return { kind: 'poll', provider, id: b };
  return c === 'cancel' ? { kind: 'cancel', provider, id: b } : undefined;
}

/**
 * `x-ratelimit-remaining-requests` without a rate limit: SPEC 6 names the header on every
 * answer, so an unlimited account reports the largest 32-bit count instead of omitting it.
 */
const UNLIMITED_REMAINING = '2147483647';

/** `ZERO_PADS[k]` is k zeros: request ids are zero-padded to 10 base-36 digits. */
const ZERO_PADS = Array.from({ length: 11 }, (_, k) => '0'.repeat(k));

function rateLimitHeaders(rl: RateLimitState | undefined): Record<string, string> {
  if (rl === undefined) return { 'x-ratelimit-remaining-requests': UNLIMITED_REMAINING };
  return {
    'x-ratelimit-limit-requests': String(rl.limit),
    'x-ratelimit-remaining-requests': String(rl.remaining),
    'x-ratelimit-reset-requests': formatResetMs(rl.resetMs),
  };
}

/** The HTTP error of a provider answer that is not a success. */
function errorFor(r: LiveAttemptResult): LiveError {
  switch (r.kind) {
    case 'rate-limited':
      return r.code === 'insufficient_quota'
        ? { status: 429, type: 'rate_limit_error', code: 'insufficient_quota', message: 'You exceeded your current quota for this period; wait for the next period or raise `quota.limit`.' }
        : { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests; retry after the time in the Retry-After header.' };
    case 'overloaded':
      return { status: 503, type: 'server_error', code: 'overloaded', message: 'The engine is currently overloaded; please try again later.' };
    case 'filtered':
      return { status: 400, type: 'invalid_request_error', code: 'content_policy_violation', message: 'Your request was rejected by the safety system.', param: 'prompt' };
    case 'generative':
      return { status: 500, type: 'server_error', code: 'generation_failed', message: 'Image generation failed; the result was unusable.' };
    case 'shutdown':
      return { status: 503, type: 'server_error', code: 'server_shutting_down', message: 'The server is shutting down; retry elsewhere.' };
    default:
      return { status: 500, type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.' };
  }
}

/**
 * Adds the rate-limit headers of an answer (`x-ratelimit-*`, and `retry-after` in whole seconds
 * with the exact `retry-after-ms` on a 429) to headers built in place.
 * @param headers - the answer's headers so far
 * @param result - the provider's result
 * @returns the same headers object
 */
function limitHeaders(headers: Record<string, string>, result: LiveAttemptResult): Record<string, string> {
  const rl = result.rateLimit;
  if (rl === undefined) headers['x-ratelimit-remaining-requests'] = UNLIMITED_REMAINING;
  else {
    headers['x-ratelimit-limit-requests'] = String(rl.limit);
    headers['x-ratelimit-remaining-requests'] = String(rl.remaining);
    headers['x-ratelimit-reset-requests'] = formatResetMs(rl.resetMs);
  }
  if (result.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.ceil(result.retryAfterMs));
  }
  return headers;
}
