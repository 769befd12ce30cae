/**
 * The core of live mode: one `LiveProviders` answers every request for `imgsim serve` and for
 * the msw handlers (protocol.ts is the interface; server.ts and msw.ts are the transports).
 *
 * How a request goes through it:
 * 1. `/_imgsim/*` goes to the admin routes (admin-routes.ts, guarded by admin-guard.ts).
 * 2. Every other path is a provider route `/{provider}/…`: the dialects (dialect.ts; one file
 *    each in dialects/: openai.ts, async.ts, fal.ts) are asked in turn to `match` it; the
 *    provider must exist and speak the dialect (`serves`), and the method must be the route's.
 * 3. The dialect `parse`s the request (key, body, fields): what needs no provider model is
 *    answered at once (errors, polls, lists); the rest it `answer`s by running the provider model
 *    (provider.ts) on a scaled clock and shaping the result in its API's form.
 * 4. With `budget.onExhausted: reject`, a parsed request the budget refuses (the simulator's
 *    rule, src/model/rules/budget.ts) is answered at once with the dialect's quota error; an
 *    admitted one holds its price against the budget until it is answered (budget-alerts.ts).
 * 5. Every finished provider request is one {@link RequestRecord} for the journal: the budget
 *    (budget-alerts.ts: its hold let go, its cost billed), the ledger and the journal (ledger.ts) take it.
 *
 * What the dialects share — clocks, request ids, the key check, the transport's body errors, the
 * journal — they borrow from this file through a {@link DialectHost}; how a provider result
 * reads over HTTP (errors, rate-limit headers) is result-http.ts.
 *
 * Clocks: simulated now = scenario start + (wall − wall at construction) / timeScale, so at
 * timeScale 0.01 emulated latencies are 100× shorter and simulated time (off-peak windows,
 * a(t), rate-limit refills, quota periods) runs 100× faster.
 */
import { performance } from 'node:perf_hooks';
import { AvailabilityCurve } from '../model/availability.js';
import { Account } from '../model/account.js';
import type { CreditsSummary } from '../model/credits.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { adminPolicy } from './admin-guard.js';
import { adminAnswer, methodNotAllowed, notFound, type AdminHost } from './admin-routes.js';
import { LiveBudget } from './budget-alerts.js';
import type { AnyDialect, DialectHost, Reply, RequestRecord } from './dialect.js';
import { asyncDialect } from './dialects/async.js';
import { falDialect } from './dialects/fal.js';
import { openAiDialect } from './dialects/openai.js';
import { MAX_JSON_CONTAINERS } from './json-limits.js';
import { LiveLedger, type LedgerSnapshot } from './ledger.js';
import { errorResponse, invalid, type LiveError } from './openai-dialect.js';
import { LivePredictions } from './predictions.js';
import type { LiveRequest, LiveResponse } from './protocol.js';
import { LiveProvider, rateLimitState, type LiveTimers, type RateLimitState } from './provider.js';
import { SHUTTING_DOWN } from './result-http.js';

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
  /** Timers the providers arm instead of Node's (a test's virtual clock, with `now`). */
  readonly timers?: LiveTimers;
}

/** `performance.now()` through the module binding: the global `performance` is a getter Node runs on every read. */
function defaultNow(): number {
  return performance.now();
}

/** Default journal length. */
export const DEFAULT_JOURNAL_SIZE = 200;

/** `ZERO_PADS[k]` is k zeros: request ids are zero-padded to 10 base-36 digits. */
const ZERO_PADS = Array.from({ length: 11 }, (_, k) => '0'.repeat(k));

/** A request's answer to the transport, once its dialect decides it; counts the request as settled first. */
class PendingReply implements Reply {
  constructor(
    private readonly settled: () => void,
    private readonly onDone: (answer: LiveResponse) => void,
    private readonly onFail: (err: unknown) => void,
  ) {}

  done(answer: LiveResponse): void {
    this.settled();
    this.onDone(answer);
  }

  fail(err: unknown): void {
    this.settled();
    this.onFail(err);
  }
}

/** The mock providers of one scenario, answering transport-neutral requests. */
export class LiveProviders {
  /** Wall ms per simulated ms. */
  readonly timeScale: number;
  private readonly now: () => number;
  private readonly wallStartMs: number;
  private readonly epochStartMs: number;
  private readonly providers = new Map<string, LiveProvider>();
  private accounts = new Map<string, Account>();
  private readonly ledger: LiveLedger;
  private readonly budget: LiveBudget;
  /** The async dialect's predictions (predictions.ts), shared by its Replicate and fal faces. */
  private readonly predictions: LivePredictions;
  /** The dialects, asked in this order to match a path (the OpenAI one, the hot path, first). */
  private readonly dialects: readonly AnyDialect[];
  /** The 404 of a path no dialect matches, without the request line. */
  private readonly routesMessage: string;
  private readonly keys: ReadonlySet<string> | undefined;
  private readonly admin: AdminHost;
  private pendingCount = 0;
  private closed = false;
  private requestSeq = 0;
  /** Path segments by path (the provider routes repeat on every request); bounded. */
  private readonly partsByPath = new Map<string, readonly string[]>();
  /** The last `authorization` header that passed {@link authError}. */
  private lastAcceptedAuth: string | undefined = undefined;
  /** Counts a request whose answer was deferred as settled (shared by every {@link PendingReply}). */
  private readonly settled = (): void => {
    this.pendingCount--;
  };

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
    this.keys = scenario.auth === undefined ? undefined : new Set(scenario.auth.keys);
    this.ledger = new LiveLedger(
      scenario.providers.map((p) => p.id),
      journalSize,
    );
    this.resetAccounts();
    this.budget = new LiveBudget(scenario);
    const clock = { simNowMs: () => this.simNowMs(), timeScale, ...(opts.timers === undefined ? {} : { timers: opts.timers }) };
    for (const p of scenario.providers) {
      const curve = new AvailabilityCurve(p.availability, seed, p.id, scenario.startMs);
      this.providers.set(p.id, new LiveProvider(p, curve, () => this.accounts.get(p.account)!, clock, seed));
    }
    const host = this.dialectHost(baseUrl.replace(/\/+$/, ''));
    this.predictions = new LivePredictions(host);
    // Adding a dialect: its file in dialects/, and one line here.
    this.dialects = [openAiDialect(host), asyncDialect(host, this.predictions), falDialect(host, this.predictions)];
    const routes = this.dialects.flatMap((d) => d.routes);
    this.routesMessage = `Provider routes are ${routes.slice(0, -1).join(', ')} and ${routes.at(-1)!}.`;
    this.admin = this.adminHost(adminPolicy(opts.adminKeys ?? [], this.keys !== undefined, opts.adminHosts));
  }

  private dialectHost(baseUrl: string): DialectHost {
    return {
      baseUrl,
      timeScale: this.timeScale,
      now: this.now,
      epochAt: (wallMs) => this.epochStartMs + (wallMs - this.wallStartMs),
      simAt: (wallMs) => this.scenario.startMs + (wallMs - this.wallStartMs) / this.timeScale,
      nextRequestId: (prefix) => this.nextRequestId(prefix),
      authError: (req) => this.authError(req),
      bodyError: (req) => this.bodyErrorOf(req),
      budgetRefusal: (project, arrivedWall) => this.budget.refusal(project, this.scenario.startMs + (arrivedWall - this.wallStartMs) / this.timeScale),
      holdBudget: this.budget.enforced
        ? (id, project, usd) => {
            this.budget.hold(id, project, usd);
          }
        : undefined,
      journal: (record) => {
        this.journal(record);
      },
      recordLag: (provider, lagMs) => {
        this.ledger.recordEmulationLag(provider, lagMs);
      },
      rateLimitOf: (account) => this.rateLimitOf(account),
      closed: () => this.closed,
    };
  }

  private adminHost(policy: AdminHost['policy']): AdminHost {
    return {
      policy,
      bodyError: (req) => this.bodyErrorOf(req),
      health: () => ({
        status: this.closed ? 'closing' : 'ok',
        providers: [...this.providers.keys()],
        simTime: new Date(this.simNowMs()).toISOString(),
        timeScale: this.timeScale,
        // Provider requests whose answer is not decided yet; not this health request itself,
        // which `respond` counts while answering it (a poller waiting for `inFlight > 0` would
        // otherwise never wait).
        inFlight: this.pendingCount - 1,
      }),
      ledger: () => this.ledgerSnapshot(),
      journal: (limit) => this.ledger.journal(limit),
      metrics: () => {
        const gauges = [...this.providers.values()].map((p) => ({ provider: p.spec.id, inFlight: p.busy, queued: p.queued }));
        return this.ledger.metrics(gauges) + this.budget.metrics();
      },
      reset: () => {
        this.ledger.reset();
        this.budget.reset();
        this.resetAccounts();
        for (const p of this.providers.values()) p.resetCounters();
        this.predictions.reset();
      },
    };
  }

  /** @returns simulated now, epoch ms */
  simNowMs(): number {
    return this.scenario.startMs + (this.now() - this.wallStartMs) / this.timeScale;
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
    // undefined: the answer comes later, through `done` or `fail` (a PendingReply decrements then).
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
    if (parts[0] === '_imgsim') return adminAnswer(req, parts.slice(1), this.admin);
    if (this.closed) return errorResponse(SHUTTING_DOWN);
    const method = req.method;
    let dialect: AnyDialect | undefined;
    let route: ReturnType<AnyDialect['match']>;
    for (const d of this.dialects) {
      route = d.match(parts, method);
      if (route !== undefined) {
        dialect = d;
        break;
      }
    }
    if (dialect === undefined || route === undefined) return notFound(`No route for ${method} ${req.path}. ${this.routesMessage}`);
    const id = parts[0]!;
    const provider = this.providers.get(id);
    if (provider === undefined) return notFound(`Unknown provider "${id}"; providers: ${[...this.providers.keys()].join(', ')}.`, 'unknown_provider');
    const speaks = provider.spec.dialect;
    if (dialect.serves !== speaks) {
      const entry = this.dialects.find((d) => d.serves === speaks)?.entry ?? '';
      return notFound(`Provider "${id}" speaks the ${speaks} dialect; use ${entry.replace('{provider}', id)}.`);
    }
    const allow = route.allow;
    // Clients send the method upper-case; toUpperCase only for the rest.
    if (allow !== undefined && method !== allow && method.toUpperCase() !== allow) return methodNotAllowed(method, allow, req.path);
    const parsed = dialect.parse(req, route, provider);
    if ('now' in parsed) return parsed.now;
    dialect.answer(parsed.run, provider, new PendingReply(this.settled, done, fail));
    return undefined;
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

  /** Records a finished provider request in the budget, ledger and journal (this runs for every request). */
  private journal(r: RequestRecord): void {
    const wallMs = r.answeredWall - r.arrivedWall;
    const costUsd = r.costUsd;
    this.budget.settle(r.id, costUsd, r.project, this.scenario.startMs + (r.answeredWall - this.wallStartMs) / this.timeScale);
    // Times as numbers, the body uncloned: the journal formats when read.
    this.ledger.record({
      id: r.id,
      wallEpochMs: this.epochStartMs + (r.arrivedWall - this.wallStartMs),
      simEpochMs: this.scenario.startMs + (r.arrivedWall - this.wallStartMs) / this.timeScale,
      provider: r.provider,
      project: r.project,
      body: r.body,
      tier: r.tier,
      outcome: r.outcome,
      code: r.code,
      costUsd,
      status: r.status,
      latencyMs: wallMs,
      simLatencyMs: wallMs / this.timeScale,
    });
  }
}
