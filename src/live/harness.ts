/**
 * The live harness (`imgsim live`): the scenario's traffic, open loop, over real HTTP, through
 * each strategy in turn, into the same report as `simulate()` with `mode: 'live'`.
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
import type { DrawSource, Rng } from '../model/random.js';
import type { ImageRequest } from '../model/request.js';
import { RunCollector } from '../metrics/collector.js';
import type { Report, StrategyReport } from '../metrics/report-types.js';
import { BudgetTracker, type FiredAlert } from '../routing/budget.js';
import { CandidateWalk, MAX_PLAN_ATTEMPTS, MAX_PLAN_IDLE_STEPS, type NextAttempt } from '../routing/policy.js';
import { ProviderHandle, type Clock } from '../routing/provider-view.js';
import { buildStrategy } from '../routing/strategies/registry.js';
import type { AttemptOutcome, AttemptPlan, Candidate, RoutingContext, Strategy } from '../routing/strategy.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { OutcomeKind } from '../scenario/schema.js';
import { openTraffic } from '../traffic/traffic.js';
import { DEFAULT_API_KEY, imagesBody, readLedger, resetServer, sendAttempt, waitServerIdle, type AnswerKind, type AttemptAnswer } from './_http.js';
import { accountGateway, gatewayTag, kindOfLedgerOutcome, readJournal } from './gateway-accounting.js';
import { fieldHeaders } from './imgsim-headers.js';
import type { JournalEntry, LedgerSnapshot, LiveOutcome } from './ledger.js';
import { loadScenarioStrategyFiles, runRouting, selectStrategyRefs } from '../routing/strategy-refs.js';
import { assembleReport } from '../metrics/assemble.js';

/** Open requests beyond which new arrivals are rejected as `client-overload` (the brief's bound). */
export const DEFAULT_CONCURRENCY_LIMIT = 5000;
/** Wall ms between setting up a pass and its first intended send, so the first arrivals are not late. */
const START_LEAD_MS = 20;
/** A request deferred more often than this is rejected (as in the simulator). */
const MAX_DEFERRALS = 10_000;
/** Ledger and header costs are floats summed in different orders: below this they agree. */
const COST_EPSILON_USD = 1e-9;

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
    if (target !== undefined) pass.bookGateway(ledger, await readJournal(serverUrl, adminKey), opts.onWarning);
    pass.reconcile(ledger, target !== undefined, opts.onWarning);
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

/** What a pass needs besides the scenario and the strategy. */
interface PassOptions {
  readonly serverUrl: string;
  readonly target: string | undefined;
  readonly apiKey: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly timeScale: number;
  readonly limit: number;
  readonly requests: number;
  readonly endMs: number;
  readonly onAttempt: LiveOptions['onAttempt'];
  readonly onProgress: ((fraction: number) => void) | undefined;
}

/** One attempt of a request, from its pick to its answer. */
interface LiveAttempt {
  readonly number: number;
  /** A gateway plan step's request, as the gateway forwards it (else the request's own is sent). */
  readonly request?: ImageRequest;
  readonly provider: number;
  readonly candidate: number;
  readonly tier: string;
  readonly hedge: boolean;
  readonly cancel: AbortController;
  /** Set when it was sent (after any backoff). */
  sent: boolean;
  sentMs: number;
  trial: boolean;
  /** Resolves to this record once the answer (or cancellation) is in `answer`. */
  done: Promise<LiveAttempt>;
  answer: AttemptAnswer | undefined;
}

/** A request in progress. */
interface LiveRequestState {
  readonly request: ImageRequest;
  readonly walk: CandidateWalk;
  failedAttempts: number;
  lastKind: AnswerKind;
  finished: boolean;
  /** Aborted when the request ends: pending sleeps (hedge timer, backoff) stop. */
  readonly stop: AbortController;
}

const HEDGE_DUE = Symbol('hedge');

/** One strategy's live pass. */
class LivePass {
  readonly collector: RunCollector;
  private readonly clock: Clock = { now: 0 };
  private readonly handles: ProviderHandle[];
  private readonly providerIndex = new Map<string, number>();
  private readonly budget: BudgetTracker;
  private readonly ctx: RoutingContext;
  private readonly retryOn: ReadonlySet<OutcomeKind>;
  private readonly backoffDraws: DrawSource;
  private readonly firstAttemptRng: Rng;
  private readonly next: NextAttempt = { index: -1, delayMs: 0, retry: false };
  private readonly fired: FiredAlert[] = [];
  private wallStart = 0;
  private open = 0;
  private drained: (() => void) | undefined;
  /** The first error a request threw (a strategy bug): the pass stops sending and rethrows it. */
  private failure: Error | undefined;

  constructor(
    private readonly scenario: ResolvedScenario,
    private readonly strategy: Strategy,
    curves: readonly AvailabilityCurve[],
    private readonly opts: PassOptions,
  ) {
    const clock = this.clock;
    this.handles = scenario.providers.map((p, i) => {
      this.providerIndex.set(p.id, i);
      // What a client can know of a remote provider: its configured slots; queue and credits are not visible.
      return new ProviderHandle(
        p,
        clock,
        curves[i]!,
        { queued: () => 0, slots: () => p.capacity.concurrency, creditsLeft: () => undefined, creditValueUsd: () => undefined },
        scenario.policy,
      );
    });
    this.collector = new RunCollector(
      scenario.providers.map((p) => p.id),
      scenario.startMs,
    );
    ({ budget: this.budget, ctx: this.ctx, retryOn: this.retryOn, backoffDraws: this.backoffDraws, firstAttemptRng: this.firstAttemptRng } =
      runRouting(this.handles, clock, scenario, strategy.name));
  }

  // --- clocks ----------------------------------------------------------------------------

  /** Sets and returns the simulated clock from the wall clock. */
  private tick(): number {
    const now = this.scenario.startMs + (performance.now() - this.wallStart) / this.opts.timeScale;
    // Never backwards (a strategy may have been told a later `now` by an arrival's time).
    if (now > this.clock.now) this.clock.now = now;
    return this.clock.now;
  }

  /** Sleeps until a simulated time (returns at once when it has passed, or when `stop` aborts). */
  private async sleepUntil(simMs: number, stop?: AbortSignal): Promise<void> {
    const dueWall = this.wallStart + (simMs - this.scenario.startMs) * this.opts.timeScale;
    for (;;) {
      const waitMs = dueWall - performance.now();
      if (waitMs <= 0 || stop?.aborted === true) return;
      // Timers may fire a fraction of a ms early: loop until the due time has really passed.
      await sleepWall(Math.max(1, Math.ceil(waitMs)), stop);
    }
  }

  // --- arrivals ----------------------------------------------------------------------------

  /**
   * Sends the traffic open loop and waits for every request to finish.
   * @returns the simulated span the arrivals covered, ms
   */
  async run(): Promise<number> {
    const s = this.scenario;
    const { endMs, requests, limit } = this.opts;
    const source = openTraffic(s.traffic, s.seed, s.startMs, endMs);
    let spanEndMs = endMs;
    let count = 0;
    this.wallStart = performance.now() + START_LEAD_MS;
    this.clock.now = s.startMs;
    try {
      for (;;) {
        const req = source.next();
        if (req === undefined || req.arrivalMs >= endMs) break;
        if (count >= requests) {
          spanEndMs = req.arrivalMs;
          break;
        }
        if (this.failure !== undefined) break;
        await this.sleepUntil(req.arrivalMs);
        count++;
        if (this.opts.onProgress && (count & 0xff) === 0) this.opts.onProgress(Math.min(1, Math.max((req.arrivalMs - s.startMs) / (endMs - s.startMs), count / requests)));
        if (this.open >= limit) {
          // The client itself is out of room: the request is refused here, and still counted.
          this.tick();
          this.collector.finish('rejected', req.urgency, this.clock.now - req.arrivalMs, false, 'client-overload');
          continue;
        }
        this.open++;
        void this.request(req)
          .catch((err: unknown) => {
            this.failure ??= err instanceof Error ? err : new ImgsimError('internal', `live request failed: ${JSON.stringify(err)}`);
          })
          .finally(() => {
            this.open--;
            if (this.open === 0) this.drained?.();
          });
      }
    } finally {
      source.close();
    }
    if (this.open > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    if (this.failure !== undefined) throw this.failure;
    this.opts.onProgress?.(1);
    this.tick();
    this.collector.budgetSpentUsd = this.budget.totalUsd;
    return spanEndMs - s.startMs;
  }

  // --- routing and attempts ----------------------------------------------------------------

  private async request(request: ImageRequest): Promise<void> {
    const r: LiveRequestState = { request, walk: new CandidateWalk(), failedAttempts: 0, lastKind: 'success', finished: false, stop: new AbortController() };
    try {
      let deferrals = 0;
      for (;;) {
        const now = this.tick();
        const refused = this.budget.refusal(request.project, now);
        if (refused !== undefined) {
          this.finish(r, 'rejected', refused);
          return;
        }
        const decision = this.strategy.route(request, this.ctx);
        if ('reject' in decision) {
          this.finish(r, 'rejected', decision.reject);
          return;
        }
        if ('deferUntil' in decision) {
          if (deferrals === 0) this.collector.deferred++;
          if (++deferrals > MAX_DEFERRALS) {
            this.finish(r, 'rejected', 'deferred too often');
            return;
          }
          await this.sleepUntil(decision.deferUntil);
          continue;
        }
        if (decision.plan !== undefined) await this.executePlan(r, decision.candidates, decision.plan);
        else await this.execute(r, decision.candidates, decision.hedgeAfterMs ?? 0);
        return;
      }
    } finally {
      r.stop.abort();
    }
  }

  /** Walks the candidates: attempts, failover, retries with backoff, an optional hedge. */
  private async execute(r: LiveRequestState, candidates: readonly Candidate[], hedgeAfterMs: number): Promise<void> {
    r.walk.reset(candidates);
    const running = new Map<number, LiveAttempt>();
    if (!this.start(r, false, running)) {
      this.finish(r, 'failed', 'no-candidate');
      return;
    }
    let hedgeTimer: Promise<typeof HEDGE_DUE> | undefined;
    let hedged = false;
    if (hedgeAfterMs > 0 && candidates.length > 1) {
      hedgeTimer = this.sleepUntil(this.clock.now + hedgeAfterMs, r.stop.signal).then(() => HEDGE_DUE);
    }
    while (!r.finished) {
      const races: Promise<LiveAttempt | typeof HEDGE_DUE>[] = [];
      for (const a of running.values()) races.push(a.done);
      if (hedgeTimer) races.push(hedgeTimer);
      const first = await Promise.race(races);
      if (first === HEDGE_DUE) {
        hedgeTimer = undefined;
        if (running.size === 1 && !hedged) {
          hedged = true;
          this.start(r, true, running);
        }
        continue;
      }
      running.delete(first.number);
      const answer = first.answer!;
      if (answer.kind === 'cancelled') continue;
      this.deliver(r, first, answer, running);
    }
  }

  /**
   * Follows a gateway plan: each step is an attempt (awaited), a wait, or the end of the request;
   * the scenario's policy (other than its timeout) does not apply.
   */
  private async executePlan(r: LiveRequestState, candidates: readonly Candidate[], plan: AttemptPlan): Promise<void> {
    r.walk.reset(candidates);
    const tried = new Set<number>();
    let failed: AttemptOutcome | undefined;
    for (let idle = 0; ; idle++) {
      if (idle >= MAX_PLAN_IDLE_STEPS || r.walk.attempts >= MAX_PLAN_ATTEMPTS) {
        this.finish(r, 'failed', 'plan-limit');
        return;
      }
      this.tick();
      const step = plan.next(failed, this.ctx);
      failed = undefined;
      if ('waitMs' in step) {
        if (step.waitMs > 0) await this.sleepUntil(this.clock.now + step.waitMs, r.stop.signal);
        continue;
      }
      if ('stop' in step) {
        const sent = r.walk.attempts > 0;
        if (sent && step.stop === 'exhausted') this.collector.exhausted++;
        this.finish(r, 'failed', sent ? r.lastKind : 'no-candidate');
        return;
      }
      idle = 0;
      const provider = this.providerIndex.get(step.provider);
      if (provider === undefined) throw new ImgsimError('invalid-strategy', `strategy ${this.strategy.name}: its plan chose "${step.provider}", which is not a provider of the scenario`);
      const spec = this.scenario.providers[provider]!;
      const tier = step.tier !== undefined && spec.tierList.some((t) => t.name === step.tier) ? step.tier : spec.defaultTier;
      const retry = tried.has(provider);
      tried.add(provider);
      r.walk.attempts++;
      if (r.walk.attempts > 1) {
        if (retry) this.collector.retries++;
        else this.collector.failovers++;
      }
      const a: LiveAttempt = {
        number: r.walk.attempts,
        ...(step.request === undefined ? {} : { request: step.request }),
        provider,
        candidate: -1,
        tier,
        hedge: false,
        cancel: new AbortController(),
        sent: false,
        sentMs: 0,
        trial: false,
        done: Promise.resolve(undefined as unknown as LiveAttempt),
        answer: undefined,
      };
      a.done = this.send(r, a, 0, step.timeoutMs);
      await a.done;
      const answer = a.answer!;
      if (answer.kind === 'cancelled') continue;
      const outcome = this.record(r, a, answer);
      if (outcome.kind === 'success') {
        if (r.failedAttempts > 0) this.collector.recovered++;
        this.finish(r, 'succeeded', outcome.kind);
        return;
      }
      r.failedAttempts++;
      r.lastKind = answer.kind;
      failed = outcome;
    }
  }

  /**
   * Picks and launches the request's next attempt.
   * @returns false when there is none (or, for a hedge, none at another provider)
   */
  private start(r: LiveRequestState, hedge: boolean, running: Map<number, LiveAttempt>): boolean {
    const walk = r.walk;
    const jitterRng = walk.attempts === 0 ? this.firstAttemptRng : this.backoffDraws.at(r.request.id, walk.attempts);
    const n = walk.next(this.scenario.policy, this.tick(), (i) => this.allows(walk.candidates[i]!, r.request), jitterRng, this.next);
    if (n.index < 0) return false;
    if (hedge && n.retry) {
      walk.unpick(n);
      return false;
    }
    const c = walk.candidates[n.index]!;
    const provider = this.providerIndex.get(c.provider)!;
    const spec = this.scenario.providers[provider]!;
    const tier = c.tier !== undefined && spec.tierList.some((t) => t.name === c.tier) ? c.tier : spec.defaultTier;
    walk.sent(n.index);
    if (hedge) this.collector.hedges++;
    else if (walk.attempts > 1) {
      if (n.retry) this.collector.retries++;
      else this.collector.failovers++;
    }
    const a: LiveAttempt = {
      number: walk.attempts,
      provider,
      candidate: n.index,
      tier,
      hedge,
      cancel: new AbortController(),
      sent: false,
      sentMs: 0,
      trial: false,
      done: Promise.resolve(undefined as unknown as LiveAttempt),
      answer: undefined,
    };
    a.done = this.send(r, a, n.delayMs);
    running.set(a.number, a);
    return true;
  }

  private allows(c: Candidate, request: ImageRequest): boolean {
    const p = this.providerIndex.get(c.provider);
    if (p === undefined) return false;
    const handle = this.handles[p]!;
    return handle.allows(this.clock.now) && handle.canServe(request, c.tier);
  }

  /** Waits out the backoff, then sends the attempt over HTTP (with the policy's timeout unless one is given, simulated ms). */
  private async send(r: LiveRequestState, a: LiveAttempt, delayMs: number, timeoutMs?: number): Promise<LiveAttempt> {
    if (delayMs > 0) {
      await this.sleepUntil(this.clock.now + delayMs, a.cancel.signal);
      if (a.cancel.signal.aborted) {
        // Cancelled while it waited for its backoff: it never reaches the provider.
        a.answer = { kind: 'cancelled' };
        return a;
      }
    }
    const handle = this.handles[a.provider]!;
    a.sentMs = this.tick();
    a.sent = true;
    a.trial = handle.onSend(a.sentMs);
    const { serverUrl, target, apiKey, headers, timeScale } = this.opts;
    // Through a gateway, attempts (and where they went) are counted from serve's journal after the pass.
    if (target === undefined) {
      this.collector.attempts++;
      this.collector.load(a.provider, handle.inFlight, 0);
    }
    const url = target === undefined ? `${serverUrl}/${handle.id}/v1/images/generations` : `${target}/v1/images/generations`;
    const request = a.request ?? r.request;
    const body = imagesBody(request, handle.id, a.tier, target === undefined ? undefined : gatewayTag(r.request.id, a.number));
    // A gateway's own waits (backoff, Retry-After) are not scaled: below 1, its client keeps the unscaled timeout.
    const timeoutScale = target !== undefined && timeScale < 1 ? 1 : timeScale;
    // A gateway keeps the OpenAI fields of the body only: the imgsim fields travel as headers too (the user's win).
    const sent = target === undefined ? headers : { ...fieldHeaders({ ...request, tier: a.tier }), ...headers };
    a.answer = await sendAttempt(url, body, apiKey, (timeoutMs ?? this.scenario.policy.timeout) * timeoutScale, a.cancel.signal, sent);
    return a;
  }

  /** The client has an attempt's answer: bill, inform the strategy, move the request on. */
  private deliver(r: LiveRequestState, a: LiveAttempt, answer: Exclude<AttemptAnswer, { kind: 'cancelled' }>, running: Map<number, LiveAttempt>): void {
    const outcome = this.record(r, a, answer);
    const { kind, retryAfterMs } = outcome;
    const ok = kind === 'success';
    const now = this.clock.now;
    if (r.finished) return;
    if (ok) {
      this.cancelOthers(running);
      if (r.failedAttempts > 0) this.collector.recovered++;
      this.finish(r, 'succeeded', kind);
      return;
    }
    r.failedAttempts++;
    r.lastKind = answer.kind;
    if (kind === 'rate-limited' && retryAfterMs !== undefined && retryAfterMs > 0) r.walk.retryAfter(a.candidate, now + retryAfterMs);
    if (running.size > 0) return; // a hedge partner is still running
    // A client error (the request's own fault) is never retried: the same request gets the same answer.
    if (answer.kind === 'client-error' || !this.retryOn.has(kind)) {
      this.finish(r, 'failed', answer.kind);
      return;
    }
    if (!this.start(r, false, running)) {
      if (r.walk.attempts > 0) this.collector.exhausted++;
      this.finish(r, 'failed', r.lastKind);
    }
  }

  /**
   * Books an attempt's answer: the provider's stats and breaker, the collector, the bill, and the
   * strategy's `observe`.
   * @returns the outcome passed to `observe`
   */
  private record(r: LiveRequestState, a: LiveAttempt, answer: Exclude<AttemptAnswer, { kind: 'cancelled' }>): AttemptOutcome {
    const now = this.tick();
    // Strategies see a client error as `filtered`, SPEC's one kind for a request refused for its own fault.
    const kind: OutcomeKind = answer.kind === 'client-error' ? 'filtered' : answer.kind;
    const handle = this.handles[a.provider]!;
    const ok = kind === 'success';
    // The breaker counts provider faults: a filtered prompt or a client error is the request's, a 429 is a quota.
    handle.onAnswer(ok, ok || kind === 'filtered' || kind === 'rate-limited', now - a.sentMs, now, a.trial);
    if (this.opts.target === undefined) this.collector.attempt(a.provider, answer.kind);
    // Retry-After is wall time (the server scales it as it scales latency): back to simulated ms.
    const retryAfterMs = answer.retryAfterMs === undefined ? undefined : answer.retryAfterMs / this.opts.timeScale;
    let costUsd = 0;
    if (this.opts.target === undefined && answer.costUsd !== undefined && answer.costUsd > 0) {
      costUsd = answer.costUsd;
      this.charge(a.provider, (a.request ?? r.request).project, costUsd, !ok, now);
    }
    const outcome: AttemptOutcome = {
      requestId: r.request.id,
      provider: handle.id,
      tier: a.tier,
      attempt: a.number,
      kind,
      sentMs: a.sentMs,
      endedMs: now,
      latencyMs: now - a.sentMs,
      costUsd,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(answer.code === undefined ? {} : { code: answer.code }),
      hedge: a.hedge,
    };
    this.strategy.observe?.(outcome, this.ctx);
    this.opts.onAttempt?.(outcome, this.strategy.name);
    return outcome;
  }

  /** A hedge race is over: the request's other attempts are cancelled (their HTTP requests aborted). */
  private cancelOthers(running: Map<number, LiveAttempt>): void {
    for (const a of running.values()) {
      a.cancel.abort();
      if (!a.sent) continue;
      this.collector.cancelled(a.provider);
      this.handles[a.provider]!.onCancel(a.trial);
    }
    running.clear();
  }

  private charge(provider: number, project: string, costUsd: number, wasted: boolean, atMs: number): void {
    this.collector.cost(provider, project, costUsd, wasted, atMs);
    this.budget.spend(costUsd, project, atMs, this.fired);
    if (this.fired.length === 0) return;
    for (const f of this.fired) {
      this.collector.alerts.push({ threshold: f.threshold, at: new Date(f.atMs).toISOString(), ...(f.project === undefined ? {} : { project: f.project }), period: f.period });
    }
    this.fired.length = 0;
  }

  private finish(r: LiveRequestState, end: 'succeeded' | 'failed' | 'rejected', reason: string): void {
    if (r.finished) return;
    r.finished = true;
    const now = this.tick();
    const req = r.request;
    const latencyMs = now - req.arrivalMs;
    const attained = end === 'succeeded' && this.withinSlo(req, latencyMs, now);
    this.collector.finish(end, req.urgency, latencyMs, attained, reason);
  }

  /** Whether a succeeded request met its class's bound (batch: its deadline), as the simulator judges it. */
  private withinSlo(req: ImageRequest, latencyMs: number, now: number): boolean {
    const slo = this.scenario.slo;
    if (req.urgency === 'batch') {
      const deadline = req.deadlineMs ?? (slo.batch?.deadline !== undefined ? req.arrivalMs + slo.batch.deadline : Infinity);
      return now <= deadline && (slo.batch?.p95 === undefined || latencyMs <= slo.batch.p95);
    }
    const i = slo.interactive;
    return latencyMs <= (i?.p95 ?? i?.p99 ?? i?.p90 ?? i?.p50 ?? Infinity);
  }

  // --- cost from the ledger ----------------------------------------------------------------

  /**
   * Through a gateway: books what the gateway really did. Per provider, attempts and outcomes
   * are the ledger's (exact); retries, failovers and recoveries come from the journal, whose
   * entries carry the attempts' tags (see gateway-accounting.ts).
   * @param ledger - the ledger after the pass
   * @param journal - the journal after the pass, oldest first
   * @param onWarning - told when the journal cannot account for every provider request
   */
  bookGateway(ledger: LedgerSnapshot, journal: readonly JournalEntry[], onWarning?: (message: string) => void): void {
    let total = 0;
    for (const [id, entry] of Object.entries(ledger.providers)) {
      const p = this.providerIndex.get(id);
      if (p === undefined) continue;
      for (const [outcome, n] of Object.entries(entry.outcomes) as [LiveOutcome, number][]) {
        const kind = kindOfLedgerOutcome(outcome);
        for (let i = 0; i < n; i++) this.collector.attempt(p, kind);
        total += n;
      }
    }
    const account = accountGateway(journal);
    // The journal holds the harness's own re-sends too: its counts replace the harness's.
    this.collector.attempts = total;
    this.collector.retries = account.retries;
    this.collector.failovers = account.failovers;
    this.collector.recovered = account.recovered;
    if (account.untagged > 0) onWarning?.(`${this.strategy.name}: ${account.untagged} of serve's journal entries carry no imgsim tag in \`user\` (another client, or a gateway that drops the field): their retries and failovers are not counted`);
    if (account.attempts + account.untagged < total) {
      onWarning?.(`${this.strategy.name}: serve's journal holds ${account.attempts + account.untagged} of the ${total} provider requests of the pass: retries and failovers are counted over those only (start serve with a larger journal)`);
    }
  }

  /**
   * Makes the pass's cost equal the server's ledger: what the ledger billed a provider beyond
   * the answers' `x-imgsim-cost-usd` (work the client never heard back about) is added as
   * wasted; with a gateway target, all of the ledger's cost is booked this way, per project.
   * @param ledger - the ledger after the pass
   * @param fromLedgerOnly - a gateway target: the answers' costs were not booked
   * @param onWarning - told when the answers claimed more than the ledger billed
   */
  reconcile(ledger: { readonly providers: Readonly<Record<string, { readonly costUsd: number; readonly costByProject?: Readonly<Record<string, number>> }>> }, fromLedgerOnly: boolean, onWarning?: (message: string) => void): void {
    const report = this.collector.toReport(this.strategy.name, 1);
    const atMs = this.clock.now;
    for (const [id, entry] of Object.entries(ledger.providers)) {
      const p = this.providerIndex.get(id);
      if (p === undefined) continue;
      if (fromLedgerOnly) {
        const byProject = Object.entries(entry.costByProject ?? {});
        let booked = 0;
        for (const [project, usd] of byProject) {
          this.charge(p, project, usd, false, atMs);
          booked += usd;
        }
        if (entry.costUsd - booked > COST_EPSILON_USD) this.charge(p, '', entry.costUsd - booked, false, atMs);
        continue;
      }
      const answered = report.cost.byProvider[id] ?? 0;
      const extra = entry.costUsd - answered;
      if (extra > COST_EPSILON_USD) this.charge(p, '', extra, true, atMs);
      else if (extra < -COST_EPSILON_USD) onWarning?.(`${id}: answers reported $${answered} but the ledger billed $${entry.costUsd}`);
    }
    this.collector.budgetSpentUsd = this.budget.totalUsd;
  }
}

/**
 * Sleeps for wall ms; an abort ends the sleep early (it resolves, it does not reject).
 * @param ms - wall milliseconds
 * @param signal - optional abort
 * @returns when the time is up or the signal aborted
 */
function sleepWall(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
