/**
 * One strategy's pass of the live harness (harness.ts): the scenario's traffic sent open loop
 * at its intended wall times, routed by the strategy and the policy (failover, retries with
 * backoff, hedges, gateway plans) over HTTP, each answer booked into the pass's collector. A
 * finished request's SLO membership is the provider model's rule (src/model/rules/slo.ts).
 *
 * Why over 500 lines: one class, `LivePass`, the live twin of src/sim/lifecycle.ts + attempts.ts
 * (routing, retries, hedges, gateway plans over HTTP); its clock, ledger and SLO rule are
 * already in harness-clock.ts, harness-ledger.ts and src/model/rules/slo.ts.
 */
import type { AvailabilityCurve } from '../model/availability.js';
import type { DrawSource, Rng } from '../model/random.js';
import type { ImageRequest } from '../model/request.js';
import { withinSlo } from '../model/rules/slo.js';
import { billedTokens, GatewayFeeAccount, type FeeKind, type FeeSchedule } from '../model/pricing/fees.js';
import { noFees, RunCollector, type CostTags } from '../metrics/collector.js';
import type { BudgetTracker, FiredAlert } from '../routing/budget.js';
import { CandidateWalk, MAX_PLAN_ATTEMPTS, MAX_PLAN_IDLE_STEPS, type NextAttempt } from '../routing/policy.js';
import { ProviderHandle } from '../routing/provider-view.js';
import type { AttemptOutcome, AttemptPlan, Candidate, RoutingContext, Strategy } from '../routing/strategy.js';
import { runRouting } from '../routing/strategy-refs.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { OutcomeKind } from '../scenario/schema.js';
import { openTraffic } from '../traffic/traffic.js';
import { imagesBody, sendAttempt, type AnswerKind, type AttemptAnswer } from './_http.js';
import { gatewayTag } from './gateway-accounting.js';
import { PassClock } from './harness-clock.js';
import type { PassBooks } from './harness-ledger.js';
import { fieldHeaders } from './imgsim-headers.js';
import type { LiveOptions } from './harness.js';

/** Wall ms between setting up a pass and its first intended send, so the first arrivals are not late. */
const START_LEAD_MS = 20;
/** A request deferred more often than this is rejected (as in the simulator). */
const MAX_DEFERRALS = 10_000;

/** What a pass needs besides the scenario and the strategy. */
export interface PassOptions {
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
  /** The fees of a gateway in front of the providers (`strategyFees` of the strategy's entry). */
  readonly fees: FeeSchedule | undefined;
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

/** A new attempt record, not sent yet (`done` is set by the caller, when it sends). */
function newAttempt(number: number, provider: number, candidate: number, tier: string, hedge: boolean, request?: ImageRequest): LiveAttempt {
  return {
    number,
    ...(request === undefined ? {} : { request }),
    provider,
    candidate,
    tier,
    hedge,
    cancel: new AbortController(),
    sent: false,
    sentMs: 0,
    trial: false,
    done: Promise.resolve(undefined as unknown as LiveAttempt),
    answer: undefined,
  };
}

/** One strategy's live pass. */
export class LivePass {
  readonly collector: RunCollector;
  private readonly clock: PassClock;
  private readonly handles: ProviderHandle[];
  /** Provider id → index. */
  readonly providerIndex = new Map<string, number>();
  private readonly budget: BudgetTracker;
  private readonly ctx: RoutingContext;
  private readonly retryOn: ReadonlySet<OutcomeKind>;
  private readonly backoffDraws: DrawSource;
  private readonly firstAttemptRng: Rng;
  private readonly next: NextAttempt = { index: -1, delayMs: 0, retry: false };
  private readonly fired: FiredAlert[] = [];
  /** The gateway's fee account, when the strategy has `fees` (the simulator's rule: GatewayFeeAccount). */
  private readonly fees: GatewayFeeAccount | undefined;
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
    const clock = (this.clock = new PassClock(scenario.startMs, opts.timeScale));
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
      opts.endMs,
    );
    if (opts.fees !== undefined) {
      this.fees = new GatewayFeeAccount(opts.fees, scenario.startMs, opts.endMs);
      this.collector.fees = noFees();
    }
    ({ budget: this.budget, ctx: this.ctx, retryOn: this.retryOn, backoffDraws: this.backoffDraws, firstAttemptRng: this.firstAttemptRng } =
      runRouting(this.handles, clock, scenario, strategy.name, false));
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
    this.clock.start(START_LEAD_MS);
    try {
      for (;;) {
        const req = source.next();
        if (req === undefined || req.arrivalMs >= endMs) break;
        if (count >= requests) {
          spanEndMs = req.arrivalMs;
          break;
        }
        if (this.failure !== undefined) break;
        await this.clock.sleepUntil(req.arrivalMs);
        count++;
        if (this.opts.onProgress && (count & 0xff) === 0) this.opts.onProgress(Math.min(1, Math.max((req.arrivalMs - s.startMs) / (endMs - s.startMs), count / requests)));
        if (this.open >= limit) {
          // The client itself is out of room: the request is refused here, and still counted.
          this.clock.tick();
          this.collector.finish('rejected', req, this.clock.now - req.arrivalMs, false, 'client-overload', this.clock.now);
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
    this.clock.tick();
    // The monthly fees of every month of the window, as the simulator's run closes its accounts.
    if (this.fees !== undefined) this.billMonthlyFees(Math.max(endMs, this.clock.now));
    this.recordAlerts();
    this.collector.budgetSpentUsd = this.budget.totalUsd;
    return spanEndMs - s.startMs;
  }

  // --- routing and attempts ----------------------------------------------------------------

  private async request(request: ImageRequest): Promise<void> {
    const r: LiveRequestState = { request, walk: new CandidateWalk(), failedAttempts: 0, lastKind: 'success', finished: false, stop: new AbortController() };
    try {
      let deferrals = 0;
      for (;;) {
        const now = this.clock.tick();
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
          await this.clock.sleepUntil(decision.deferUntil);
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
      hedgeTimer = this.clock.sleepUntil(this.clock.now + hedgeAfterMs, r.stop.signal).then(() => HEDGE_DUE);
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
      this.clock.tick();
      const step = plan.next(failed, this.ctx);
      failed = undefined;
      if ('waitMs' in step) {
        if (step.waitMs > 0) await this.clock.sleepUntil(this.clock.now + step.waitMs, r.stop.signal);
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
      const a = newAttempt(r.walk.attempts, provider, -1, tier, false, step.request);
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
    const n = walk.next(this.scenario.policy, this.clock.tick(), (i) => this.allows(walk.candidates[i]!, r.request), jitterRng, this.next);
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
    const a = newAttempt(walk.attempts, provider, n.index, tier, hedge);
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
      await this.clock.sleepUntil(this.clock.now + delayMs, a.cancel.signal);
      if (a.cancel.signal.aborted) {
        // Cancelled while it waited for its backoff: it never reaches the provider.
        a.answer = { kind: 'cancelled' };
        return a;
      }
    }
    const handle = this.handles[a.provider]!;
    a.sentMs = this.clock.tick();
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
    const now = this.clock.tick();
    // Strategies see a client error as `filtered`, the contract's one kind for a request refused for its own fault.
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
      this.charge(a.provider, a.request ?? r.request, costUsd, !ok, now, a.request ?? r.request);
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

  /**
   * Books a provider's bill: the collector, the budget, a gateway's fees on it, and the alerts fired.
   * @param request - the request as the provider got it, when the bill is one attempt's (its
   *   tokens and generation count for the fees); undefined for an amount from serve's ledger
   */
  private charge(provider: number, tags: CostTags, costUsd: number, wasted: boolean, atMs: number, request?: ImageRequest): void {
    this.collector.cost(provider, tags, costUsd, wasted, atMs);
    this.budget.spend(costUsd, tags.project, atMs, this.fired);
    if (this.fees !== undefined) this.chargeFees(provider, tags, costUsd, wasted, atMs, request);
    this.recordAlerts();
  }

  /**
   * A gateway's fees on a provider's bill (the model's rule, GatewayFeeAccount, as the simulator
   * charges them in src/sim/fees.ts): the monthly fees due first, then the bill's own.
   */
  private chargeFees(provider: number, tags: CostTags, billedUsd: number, wasted: boolean, atMs: number, request: ImageRequest | undefined): void {
    const account = this.fees!;
    this.billMonthlyFees(atMs);
    const tokens = request === undefined || account.schedule.perMillionTokens === undefined ? 0 : billedTokens(this.scenario.providers[provider]!.pricing, request);
    const c = account.bill(billedUsd, tokens, request === undefined ? 0 : 1);
    this.bookFee('markup', tags, c.markup, wasted, atMs);
    this.bookFee('perGeneration', tags, c.perGeneration, wasted, atMs);
    this.bookFee('perMillionTokens', tags, c.perMillionTokens, wasted, atMs);
    this.bookFee('creditPurchase', undefined, c.creditPurchase, false, atMs);
  }

  /** The monthly fees due by an instant, each at the start of its month. */
  private billMonthlyFees(nowMs: number): void {
    const account = this.fees!;
    for (let atMs = account.nextMonthDue(nowMs); atMs !== undefined; atMs = account.nextMonthDue(nowMs)) this.bookFee('monthly', undefined, account.schedule.monthly!, false, atMs);
  }

  /** Books one fee: the collector (its kind, the request's groups) and the budget. */
  private bookFee(kind: FeeKind, tags: CostTags | undefined, usd: number, wasted: boolean, atMs: number): void {
    if (!(usd > 0)) return;
    this.collector.fee(kind, tags, usd, wasted, atMs);
    this.budget.spend(usd, tags?.project ?? '', atMs, this.fired);
  }

  /** Moves the budget alerts the last spends fired into the collector. */
  private recordAlerts(): void {
    if (this.fired.length === 0) return;
    for (const f of this.fired) {
      this.collector.alerts.push({ threshold: f.threshold, at: new Date(f.atMs).toISOString(), ...(f.project === undefined ? {} : { project: f.project }), period: f.period });
    }
    this.fired.length = 0;
  }

  private finish(r: LiveRequestState, end: 'succeeded' | 'failed' | 'rejected', reason: string): void {
    if (r.finished) return;
    r.finished = true;
    const now = this.clock.tick();
    const req = r.request;
    const latencyMs = now - req.arrivalMs;
    const attained = end === 'succeeded' && withinSlo(req, latencyMs, now, this.scenario.slo);
    this.collector.finish(end, req, latencyMs, attained, reason, now);
  }

  // --- cost from the ledger ----------------------------------------------------------------

  /**
   * What the bookings from serve's ledger need of the pass (harness-ledger.ts).
   * @returns the pass's collector, providers and `charge`
   */
  books(): PassBooks {
    return {
      collector: this.collector,
      providerIndex: this.providerIndex,
      strategyName: this.strategy.name,
      nowMs: this.clock.now,
      charge: (provider, project, costUsd, wasted, atMs) => {
        this.charge(provider, { project }, costUsd, wasted, atMs);
        this.collector.budgetSpentUsd = this.budget.totalUsd;
      },
    };
  }
}
