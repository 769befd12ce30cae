/**
 * The discrete-event simulator: one strategy over one scenario's traffic on a virtual clock.
 * Events live in a binary heap of typed arrays; requests and attempts are pooled records; no
 * timers, no promise per event. Its cost grows with the number of events, not with simulated
 * time, and nothing per request outlives the request.
 *
 * An attempt's life: sent (after any backoff) → at the provider: a(t) = 0 → `overloaded`; no
 * rate-limit token → `rate-limited` with Retry-After; quota spent → `rate-limited`
 * (`insufficient_quota`); then one draw decides its outcome and service time (common random
 * numbers keyed by request, provider and visit); fast failures (`server-error`, `filtered`)
 * answer after the error latency without a slot; the rest take a slot when one is free (slots =
 * ⌊concurrency × a(t)⌋), else wait in the FIFO queue, else (queue full) `overloaded`. The client
 * gives up at `policy.timeout`; an abandoned attempt keeps its slot until the provider is done,
 * as a real GPU would.
 */
import { AvailabilityCurve } from '../model/availability.js';
import { admissionGate, answersWithoutSlot, placement } from '../model/rules/admission.js';
import { billable, billableAbandoned, type AbandonedBy } from '../model/rules/billing.js';
import { withinSlo } from '../model/rules/slo.js';
import { creditsFor, price, refusal } from '../model/pricing/quote.js';
import type { PriceOptions } from '../model/pricing/types.js';
import type { DrawSource, Rng } from '../model/random.js';
import type { ImageRequest } from '../model/request.js';
import type { AttemptRecord, AttemptSink, LoggedOutcome } from '../metrics/attempt-log.js';
import { RunCollector } from '../metrics/collector.js';
import { SERVICE_LATE, SERVICE_NONE, SERVICE_WITHIN_SLO, type ServiceLog } from '../metrics/service-log.js';
import { BudgetTracker, type FiredAlert } from '../routing/budget.js';
import { CandidateWalk, MAX_PLAN_ATTEMPTS, MAX_PLAN_IDLE_STEPS, type NextAttempt } from '../routing/policy.js';
import { runRouting } from '../routing/strategy-refs.js';
import { MAX_INSTANT_MS } from '../routing/strategy-guard.js';
import { ProviderHandle, type Clock } from '../routing/provider-view.js';
import type { AttemptOutcome, AttemptPlan, Candidate, PlanStep, RoutingContext, Strategy } from '../routing/strategy.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { OutcomeKind } from '../scenario/schema.js';
import { EventHeap } from './heap.js';
import { Account } from '../model/account.js';
import { ProviderRuntime, type AttemptDraw } from './provider-runtime.js';
import type { RequestSource } from '../traffic/traffic.js';

// Event kinds (arrivals wait outside the heap: there is only ever one pending).
const EV_ROUTE = 2;
const EV_SEND = 3;
const EV_DONE = 4;
const EV_ANSWER = 5;
const EV_TIMEOUT = 6;
const EV_HEDGE = 7;
const EV_PLAN = 9;

/** How often each provider re-reads a(t) to start queued work when slots open up, ms. */
const TICK_MS = 60_000;
/** A request deferred more often than this is rejected (a strategy that never lets go). */
const MAX_DEFERRALS = 10_000;

/**
 * How long after the window's end a(t) keeps its noise and random outages: in-flight work drains
 * well within it; work ending later (a valid but years-long service time) sees them held/stopped,
 * so computing a(t) then costs nothing (see `AvailabilityCurve`).
 */
const STOCHASTIC_TAIL_MS = 30 * 86_400_000;

/** Creates the availability curves shared by every strategy's run (a(t) is the same for all). */
export function availabilityCurves(scenario: ResolvedScenario): AvailabilityCurve[] {
  return scenario.providers.map((p) => new AvailabilityCurve(p.availability, scenario.seed, p.id, scenario.startMs, scenario.endMs + STOCHASTIC_TAIL_MS));
}

class RequestState {
  request!: ImageRequest;
  readonly walk = new CandidateWalk();
  /** Attempts whose answer the client still waits for. */
  inFlight = 0;
  /** Attempt records not yet released (the request's record lives until they are). */
  pending = 0;
  done = false;
  deferrals = 0;
  failedAttempts = 0;
  hedgeAfterMs = 0;
  /** When the hedge timer of this request fires (a reused slot ignores its predecessor's timer). */
  hedgeDueMs = -1;
  hedged = false;
  /** The gateway plan choosing this request's attempts, if its strategy gave one. */
  plan: AttemptPlan | undefined = undefined;
  lastKind: OutcomeKind = 'success';
  /** Visits per provider, for common random numbers. */
  visits!: Int32Array;
  /** Refs of this request's attempts (at most maxAttempts). */
  attemptRefs!: Int32Array;
  attemptCount = 0;
}

/**
 * An attempt's life, one phase at a time. The client's side (waiting, or gone: answered, timed
 * out, cancelled as a hedge loser) and the provider's side (not yet sent, queued, running, done)
 * are one state, because only these combinations occur:
 *
 *   backoff ──send──┬─ refused / fast failure / queue full ─────────────► answering
 *      │            ├─ slot free ─► running ──work done──────────────────► answering
 *      │            └─ queue ─────► queued ──slot free──► running            │ answer (or the
 *      │ client leaves               │ client leaves      │ client leaves    │ client leaves)
 *      ▼                             ▼                    ▼                  ▼
 *   dropped ◄────────────────────────┘                abandoned ─work done─► closed ─no events─► released
 *      └── its send event, or the head of the queue: the provider drops it ──┘
 *
 * A client leaves when it gets its answer, gives up at its timeout, or its request's hedge race
 * is won elsewhere (`answerKind` 'cancelled'). `answering` also covers a drawn `timeout` whose
 * work ended before the deadline: the provider never answers and the client learns at its
 * deadline. A record is reused once `released`.
 */
type AttemptPhase = 'backoff' | 'queued' | 'running' | 'answering' | 'dropped' | 'abandoned' | 'closed' | 'released';

/** Whether the client still waits for the attempt's answer. */
function clientWaits(phase: AttemptPhase): boolean {
  return phase === 'running' || phase === 'queued' || phase === 'answering' || phase === 'backoff';
}

/** The phase an attempt the client still waited for enters when the client leaves. */
function clientLeaves(phase: AttemptPhase): AttemptPhase {
  return phase === 'running' ? 'abandoned' : phase === 'answering' ? 'closed' : 'dropped';
}

class AttemptState {
  req = -1;
  /** The request as this attempt's provider receives it: the request's own, or a gateway plan step's (fields the gateway drops reset). */
  request: ImageRequest | undefined = undefined;
  provider = -1;
  candidate = -1;
  tier = 0;
  tierName = '';
  sentMs = 0;
  /** The client's timeout for this attempt, ms (the policy's, or a plan step's). */
  timeoutMs = 0;
  deadlineMs = 0;
  serviceMs = 0;
  /** What the provider will answer (drawn when the attempt reaches it). */
  kind: OutcomeKind = 'success';
  retryAfterMs = -1;
  code = '';
  hedge = false;
  /** The circuit breaker's half-open trial. */
  trial = false;
  /** 1-based attempt number within the request. */
  number = 0;
  /** Heap events that still refer to this record. */
  events = 0;
  /** Where the attempt is in its life (see {@link AttemptPhase}). */
  phase: AttemptPhase = 'released';
  priceUsd = 0;
  credits = 0;
  // For the attempt log: what the client saw, when, and what the attempt was billed in all.
  answerKind: LoggedOutcome = 'success';
  answeredMs = 0;
  costUsd = 0;
}

/** The result of one strategy's run, before thresholds. */
export interface EngineResult {
  readonly collector: RunCollector;
  /** Events processed (a measure of work, for benchmarks). */
  readonly events: number;
}

/** Callback for progress: simulated time reached, ms since start. */
export type ProgressFn = (simulatedMs: number) => void;

/** One strategy's simulation. Create, then `run()` once. */
export class Simulation {
  private readonly heap = new EventHeap();
  private readonly clock: Clock = { now: 0 };
  private readonly runtimes: ProviderRuntime[];
  private readonly handles: ProviderHandle[];
  private readonly providerIndex = new Map<string, number>();
  private readonly accounts: Account[] = [];
  private readonly requests: RequestState[] = [];
  private readonly freeRequests: number[] = [];
  private readonly attempts: AttemptState[] = [];
  private readonly freeAttempts: number[] = [];
  private readonly collector: RunCollector;
  private readonly budget: BudgetTracker;
  private readonly ctx: RoutingContext;
  /**
   * Backoff jitter, keyed by (request id, attempts already sent) rather than drawn in sequence
   * from a per-strategy stream: a per-strategy sequence gave two strategies that retry the same
   * request the same way different waits (and from there different queues and outcomes), which
   * broke common random numbers (SPEC 2.6).
   */
  private readonly backoffDraws: DrawSource;
  /** Passed for first attempts, which are never retries and so draw no jitter (no reseed needed). */
  private readonly firstAttemptRng: Rng;
  private readonly retryOn: ReadonlySet<OutcomeKind>;
  private readonly next: NextAttempt = { index: -1, delayMs: 0, retry: false };
  /** The decoded draw of the attempt being sent (reused). */
  private readonly draw: AttemptDraw = { kind: 'success', ms: 0 };
  private readonly priceOpts: { -readonly [K in keyof PriceOptions]: PriceOptions[K] } = { atMs: 0 };
  private readonly fired: FiredAlert[] = [];
  private readonly outcome: { -readonly [K in keyof AttemptOutcome]: AttemptOutcome[K] };
  private walkForAllow: CandidateWalk | undefined;
  /** A candidate may be tried when its breaker lets it through and it can serve the request. */
  private readonly allow = (index: number): boolean => {
    const c = this.walkForAllow!.candidates[index]!;
    const p = this.providerIndex.get(c.provider);
    if (p === undefined) return false;
    const handle = this.handles[p]!;
    return handle.allows(this.clock.now) && handle.canServe(this.requestForAllow!, c.tier);
  };
  private requestForAllow: ImageRequest | undefined;
  private events = 0;
  // Provider ticks live outside the heap, one per provider, all on the grid fromMs + k·TICK_MS:
  // when they are due and their place among events due at the same instant (a sequence number
  // taken from the heap's counter, so the order is the one a single heap would give). Kept apart
  // so that idle stretches can be skipped (see skipIdleTicks); Infinity once a provider's ticking
  // is over.
  private tickMs!: Float64Array;
  private tickSeq!: Float64Array;
  /** The tick due first (its provider, time and sequence), cached between tick events. */
  private nextTick = -1;
  private nextTickMs = Infinity;
  private nextTickSeq = Infinity;
  /** The attempt log's record, reused; undefined when no log is kept. */
  private readonly record: AttemptRecord | undefined;

  /**
   * @param scenario - the resolved scenario
   * @param strategy - the strategy under test
   * @param source - its requests (a fresh stream per strategy: the same requests for each)
   * @param curves - availability curves from {@link availabilityCurves}
   * @param onAttempt - receives every attempt once it is over (the attempt log); without it
   *   the engine does no extra work beyond a few field writes per attempt
   * @param serviceLog - when given, receives what each request got (for the hindsight oracle)
   */
  constructor(
    private readonly scenario: ResolvedScenario,
    private readonly strategy: Strategy,
    private readonly source: RequestSource,
    curves: readonly AvailabilityCurve[],
    private readonly onAttempt?: AttemptSink,
    private readonly serviceLog?: ServiceLog,
  ) {
    const accountByName = new Map<string, Account>();
    this.runtimes = scenario.providers.map((p, i) => {
      let account = accountByName.get(p.account);
      if (!account) {
        account = new Account(p, scenario.startMs);
        accountByName.set(p.account, account);
        this.accounts.push(account);
      }
      this.providerIndex.set(p.id, i);
      return new ProviderRuntime(p, curves[i]!, account, scenario.seed);
    });
    this.handles = this.runtimes.map((rt) => {
      const ledger = rt.account.ledger;
      return new ProviderHandle(
        rt.spec,
        this.clock,
        rt.curve,
        {
          queued: () => rt.queue.length,
          slots: () => rt.slots(this.clock.now),
          creditsLeft: () => (ledger ? ledger.balance(this.clock.now) : undefined),
          creditValueUsd: () => undefined,
        },
        scenario.policy,
      );
    });
    this.collector = new RunCollector(
      scenario.providers.map((p) => p.id),
      scenario.startMs,
    );
    ({ budget: this.budget, ctx: this.ctx, retryOn: this.retryOn, backoffDraws: this.backoffDraws, firstAttemptRng: this.firstAttemptRng } =
      runRouting(this.handles, this.clock, scenario, strategy.name));
    this.outcome = {
      requestId: 0,
      provider: '',
      tier: '',
      attempt: 0,
      kind: 'success',
      sentMs: 0,
      endedMs: 0,
      latencyMs: 0,
      costUsd: 0,
      retryAfterMs: undefined,
      code: undefined,
      hedge: false,
    };
    this.record =
      onAttempt === undefined
        ? undefined
        : {
            strategy: strategy.name,
            requestId: 0,
            attempt: 0,
            provider: '',
            tier: '',
            startMs: 0,
            latencyMs: 0,
            outcome: 'success',
            code: undefined,
            costUsd: 0,
            size: '',
            steps: 0,
            quality: undefined,
            features: [],
            project: '',
            hedge: false,
          };
  }

  /**
   * Runs the simulation to the end of the window and until every request has finished.
   * @param onProgress - called now and then with simulated ms since start
   * @returns the collector and the number of events
   */
  run(onProgress?: ProgressFn): EngineResult {
    const { startMs, endMs } = this.scenario;
    this.begin(startMs);
    this.loop(Infinity, onProgress);
    this.finishAccounts(Math.max(endMs, this.clock.now));
    return { collector: this.collector, events: this.events };
  }

  /**
   * Runs the traffic up to an instant and stops there, leaving providers, breakers, statistics,
   * budget and the strategy as they stand then: what the strategy would see when a request
   * arrives at `atMs` (after everything else due at that instant). For `imgsim explain --warm`.
   * @param fromMs - when to start: the first arrival taken, and the first tick (the scenario's
   *   accounts, budget periods and availability still count from its `start`)
   * @param atMs - the instant to stop at
   * @returns the routing state at `atMs`
   */
  runUntil(fromMs: number, atMs: number): { readonly ctx: RoutingContext; readonly budget: BudgetTracker; readonly events: number } {
    this.begin(fromMs);
    this.loop(atMs);
    this.clock.now = Math.max(this.clock.now, atMs);
    this.budget.advance(this.clock.now);
    return { ctx: this.ctx, budget: this.budget, events: this.events };
  }

  private begin(fromMs: number): void {
    this.clock.now = fromMs;
    this.pullArrival();
    const n = this.runtimes.length;
    this.tickMs = new Float64Array(n);
    this.tickSeq = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      this.tickMs[i] = fromMs + TICK_MS;
      this.tickSeq[i] = this.heap.takeSeq();
    }
    this.findNextTick();
  }

  /**
   * Processes events in time order: arrivals before `untilMs`, other events up to it.
   * @param untilMs - Infinity to run until nothing is left
   * @param onProgress - progress callback
   */
  private loop(untilMs: number, onProgress?: ProgressFn): void {
    const { startMs, endMs } = this.scenario;
    const heap = this.heap;
    let progressAt = 0;
    for (;;) {
      // The next arrival waits outside the heap; at equal times, events already scheduled
      // (answers, freed slots) happen before the new arrival. Ticks wait outside too.
      const arrival = this.pendingArrival;
      const heapMs = heap.peekTime();
      const tickMs = this.nextTickMs;
      const tickFirst = tickMs <= heapMs && (tickMs < heapMs || this.nextTickSeq < heap.peekSeq());
      if (arrival !== undefined && arrival.arrivalMs < (tickFirst ? tickMs : heapMs)) {
        if (arrival.arrivalMs >= untilMs) break;
        this.clock.now = arrival.arrivalMs;
        this.events++;
        this.onArrival();
      } else if (tickFirst) {
        if (tickMs > untilMs) break;
        this.clock.now = tickMs;
        this.events++;
        this.onTick(this.nextTick);
      } else {
        if (heap.peekTime() > untilMs) break;
        if (!heap.pop()) break;
        this.clock.now = heap.time;
        this.events++;
        switch (heap.kind) {
          case EV_ROUTE:
            this.route(heap.ref);
            break;
          case EV_SEND:
            this.onSendEvent(heap.ref);
            break;
          case EV_DONE:
            this.onDoneEvent(heap.ref);
            break;
          case EV_ANSWER:
            this.onAnswerEvent(heap.ref);
            break;
          case EV_TIMEOUT:
            this.onTimeoutEvent(heap.ref);
            break;
          case EV_HEDGE:
            this.onHedge(heap.ref);
            break;
          case EV_PLAN:
            this.onPlanWait(heap.ref);
            break;
          default:
            break;
        }
      }
      if (onProgress && (this.events & 0xffff) === 0 && this.clock.now - startMs > progressAt) {
        progressAt = this.clock.now - startMs;
        onProgress(Math.min(progressAt, endMs - startMs));
      }
    }
  }

  // --- arrivals and routing ------------------------------------------------------------------

  private pendingArrival: ImageRequest | undefined;

  private pullArrival(): void {
    const req = this.source.next();
    this.pendingArrival = req === undefined || req.arrivalMs >= this.scenario.endMs ? undefined : req;
  }

  private onArrival(): void {
    const req = this.pendingArrival!;
    this.route(this.allocRequest(req));
    this.pullArrival();
  }

  private allocRequest(req: ImageRequest): number {
    let slot = this.freeRequests.pop();
    if (slot === undefined) {
      slot = this.requests.length;
      const r = new RequestState();
      r.visits = new Int32Array(this.runtimes.length);
      r.attemptRefs = new Int32Array(this.scenario.policy.maxAttempts + 1);
      this.requests.push(r);
    }
    const r = this.requests[slot]!;
    r.request = req;
    r.inFlight = 0;
    r.pending = 0;
    r.done = false;
    r.deferrals = 0;
    r.failedAttempts = 0;
    r.hedgeAfterMs = 0;
    r.hedgeDueMs = -1;
    r.hedged = false;
    r.plan = undefined;
    r.lastKind = 'success';
    r.attemptCount = 0;
    r.visits.fill(0);
    return slot;
  }

  private route(slot: number): void {
    const r = this.requests[slot]!;
    const now = this.clock.now;
    const refused = this.budget.refusal(r.request.project, now);
    if (refused !== undefined) {
      this.finish(slot, 'rejected', refused);
      return;
    }
    const decision = this.strategy.route(r.request, this.ctx);
    if ('reject' in decision) {
      this.finish(slot, 'rejected', decision.reject);
      return;
    }
    if ('deferUntil' in decision) {
      if (r.deferrals === 0) this.collector.deferred++;
      if (++r.deferrals > MAX_DEFERRALS) {
        this.finish(slot, 'rejected', 'deferred too often');
        return;
      }
      if (!(decision.deferUntil <= MAX_INSTANT_MS)) this.refuseInstant(r.request, 'deferUntil', decision.deferUntil);
      this.heap.push(Math.max(decision.deferUntil, now), EV_ROUTE, slot);
      return;
    }
    r.walk.reset(decision.candidates);
    if (decision.plan !== undefined) {
      r.plan = decision.plan;
      this.planNext(slot, undefined);
      return;
    }
    r.hedgeAfterMs = decision.hedgeAfterMs ?? 0;
    if (!(now + r.hedgeAfterMs <= MAX_INSTANT_MS)) this.refuseInstant(r.request, 'hedgeAfterMs', r.hedgeAfterMs);
    this.nextAttempt(slot, false);
    if (r.hedgeAfterMs > 0 && !r.done && decision.candidates.length > 1) {
      r.hedgeDueMs = now + r.hedgeAfterMs;
      this.heap.push(r.hedgeDueMs, EV_HEDGE, slot);
    }
  }

  /** Starts the request's next attempt, or ends the request when there is none. */
  private nextAttempt(slot: number, hedge: boolean): void {
    const r = this.requests[slot]!;
    this.walkForAllow = r.walk;
    this.requestForAllow = r.request;
    // Common random numbers for the jitter too: the same request's k-th attempt draws the same
    // jitter under every strategy (a reseed of a shared generator: no allocation). A first
    // attempt is never a retry, so most requests skip the reseed.
    const jitterRng = r.walk.attempts === 0 ? this.firstAttemptRng : this.backoffDraws.at(r.request.id, r.walk.attempts);
    const n = r.walk.next(this.scenario.policy, this.clock.now, this.allow, jitterRng, this.next);
    if (n.index < 0) {
      if (!hedge && r.inFlight === 0) {
        if (r.walk.attempts > 0) this.collector.exhausted++;
        this.finish(slot, 'failed', r.walk.attempts > 0 ? r.lastKind : 'no-candidate');
      }
      return;
    }
    if (hedge && n.retry) {
      // A hedge goes to another provider; the only one left is the one already answering.
      r.walk.unpick(n);
      return;
    }
    const c: Candidate = r.walk.candidates[n.index]!;
    const p = this.providerIndex.get(c.provider)!;
    const a = this.allocAttempt(slot);
    const at = this.attempts[a]!;
    at.provider = p;
    at.candidate = n.index;
    const spec = this.runtimes[p]!.spec;
    const tierName = c.tier ?? spec.defaultTier;
    let tier = 0;
    while (tier < spec.tierList.length && spec.tierList[tier]!.name !== tierName) tier++;
    at.tier = tier < spec.tierList.length ? tier : 0;
    at.tierName = spec.tierList[at.tier]!.name;
    at.hedge = hedge;
    at.timeoutMs = this.scenario.policy.timeout;
    r.walk.sent(n.index);
    at.number = r.walk.attempts;
    r.inFlight++;
    if (hedge) this.collector.hedges++;
    else if (r.walk.attempts > 1) {
      if (n.retry) this.collector.retries++;
      else this.collector.failovers++;
    }
    if (n.delayMs > 0) this.pushAttempt(this.clock.now + n.delayMs, EV_SEND, a);
    else this.send(a);
  }

  // --- gateway plans ---------------------------------------------------------------------------

  /**
   * Asks the request's plan for its next step and carries it out: an attempt, a wait (an
   * EV_PLAN event asks again), or the end of the request.
   * @param slot - the request
   * @param failed - the attempt that just failed, or undefined (first step, or a wait is over)
   */
  private planNext(slot: number, failed: AttemptOutcome | undefined): void {
    const r = this.requests[slot]!;
    const plan = r.plan!;
    for (let idle = 0; ; idle++) {
      if (idle >= MAX_PLAN_IDLE_STEPS || r.walk.attempts >= MAX_PLAN_ATTEMPTS) {
        this.finish(slot, 'failed', 'plan-limit');
        return;
      }
      const step: PlanStep = plan.next(failed, this.ctx);
      failed = undefined;
      if ('provider' in step) {
        this.sendPlanned(slot, step);
        return;
      }
      if ('waitMs' in step) {
        if (step.waitMs > 0) {
          if (!(this.clock.now + step.waitMs <= MAX_INSTANT_MS)) this.refuseInstant(r.request, 'a plan step\'s waitMs', step.waitMs);
          this.heap.push(this.clock.now + step.waitMs, EV_PLAN, slot);
          return;
        }
        continue;
      }
      const sent = r.walk.attempts > 0;
      if (sent && step.stop === 'exhausted') this.collector.exhausted++;
      this.finish(slot, 'failed', sent ? r.lastKind : 'no-candidate');
      return;
    }
  }

  private onPlanWait(slot: number): void {
    const r = this.requests[slot]!;
    if (r.done || r.plan === undefined) return;
    this.planNext(slot, undefined);
  }

  /**
   * Sends the attempt a plan step asks for. A provider that cannot serve the request answers at
   * once with a 400 (`filtered`, code `unsupported_<size|steps|feature|quality|tier>`), unbilled,
   * as `imgsim serve` does: a gateway sends where its config says, whether or not the provider can serve.
   */
  private sendPlanned(slot: number, step: { readonly provider: string; readonly tier?: string; readonly timeoutMs?: number; readonly request?: ImageRequest }): void {
    const r = this.requests[slot]!;
    const p = this.providerIndex.get(step.provider);
    if (p === undefined) throw new ImgsimError('invalid-strategy', `strategy ${this.strategy.name}: its plan chose "${step.provider}", which is not a provider of the scenario`);
    const retry = r.visits[p]! > 0;
    const a = this.allocAttempt(slot);
    const at = this.attempts[a]!;
    at.provider = p;
    at.candidate = -1;
    if (step.request !== undefined) at.request = step.request;
    const spec = this.runtimes[p]!.spec;
    const tierName = step.tier ?? spec.defaultTier;
    let tier = 0;
    while (tier < spec.tierList.length && spec.tierList[tier]!.name !== tierName) tier++;
    at.tier = tier < spec.tierList.length ? tier : 0;
    at.tierName = spec.tierList[at.tier]!.name;
    at.hedge = false;
    at.timeoutMs = step.timeoutMs ?? this.scenario.policy.timeout;
    if (!(this.clock.now + at.timeoutMs <= MAX_INSTANT_MS)) this.refuseInstant(r.request, 'a plan step\'s timeoutMs', at.timeoutMs);
    r.walk.attempts++;
    at.number = r.walk.attempts;
    r.inFlight++;
    if (r.walk.attempts > 1) {
      if (retry) this.collector.retries++;
      else this.collector.failovers++;
    }
    const refused = refusal(this.handles[p]!.compiled, at.request!, at.tierName);
    if (refused === undefined) {
      this.send(a);
      return;
    }
    const now = this.clock.now;
    at.sentMs = now;
    at.deadlineMs = now + at.timeoutMs;
    at.trial = this.handles[p]!.onSend(now);
    this.collector.attempts++;
    at.kind = 'filtered';
    at.code = `unsupported_${refused.code}`;
    at.phase = 'answering';
    this.deliver(a, 'filtered');
    this.release(a);
  }

  /** A strategy asked for an instant the simulator cannot reach: an error naming the strategy. */
  private refuseInstant(req: ImageRequest, what: string, value: number): never {
    throw new ImgsimError(
      'invalid-strategy',
      `strategy ${this.strategy.name}: route returned ${what} ${String(value)} for request ${req.id} at ${new Date(this.clock.now).toISOString()}; expected a finite time no later than ${new Date(MAX_INSTANT_MS).toISOString()} (epoch ms ${MAX_INSTANT_MS})`,
    );
  }

  private onHedge(slot: number): void {
    const r = this.requests[slot]!;
    if (this.clock.now !== r.hedgeDueMs || r.done || r.hedged || r.inFlight !== 1) return;
    r.hedged = true;
    this.nextAttempt(slot, true);
  }

  // --- attempts at providers -----------------------------------------------------------------

  private allocAttempt(slot: number): number {
    let a = this.freeAttempts.pop();
    if (a === undefined) {
      a = this.attempts.length;
      this.attempts.push(new AttemptState());
    }
    const at = this.attempts[a]!;
    at.req = slot;
    at.request = this.requests[slot]!.request;
    at.events = 0;
    at.phase = 'backoff';
    at.retryAfterMs = -1;
    at.code = '';
    at.serviceMs = 0;
    at.priceUsd = 0;
    at.credits = 0;
    at.costUsd = 0;
    at.sentMs = -1;
    const r = this.requests[slot]!;
    r.pending++;
    if (r.attemptCount < r.attemptRefs.length) r.attemptRefs[r.attemptCount++] = a;
    return a;
  }

  private pushAttempt(timeMs: number, kind: number, a: number): void {
    this.attempts[a]!.events++;
    this.heap.push(timeMs, kind, a);
  }

  /** Frees an attempt record once nothing refers to it any more. */
  private release(a: number): void {
    const at = this.attempts[a]!;
    if (at.phase !== 'closed' || at.events > 0) return;
    at.phase = 'released';
    if (this.record !== undefined && at.sentMs >= 0) this.logAttempt(at);
    const slot = at.req;
    at.req = -1;
    at.request = undefined;
    this.freeAttempts.push(a);
    const r = this.requests[slot]!;
    r.pending--;
    if (r.done && r.pending === 0) this.freeRequests.push(slot);
  }

  /** Hands a finished attempt to the attempt log (it never reached a provider when sentMs < 0). */
  private logAttempt(at: AttemptState): void {
    const rec = this.record!;
    const req = at.request!;
    rec.requestId = req.id;
    rec.attempt = at.number;
    rec.provider = this.handles[at.provider]!.id;
    rec.tier = at.tierName;
    rec.startMs = at.sentMs;
    rec.latencyMs = at.answeredMs - at.sentMs;
    rec.outcome = at.answerKind;
    rec.code = at.code === '' ? undefined : at.code;
    rec.costUsd = at.costUsd;
    rec.size = req.size;
    rec.steps = req.steps;
    rec.quality = req.quality;
    rec.features = req.features;
    rec.project = req.project;
    rec.hedge = at.hedge;
    this.onAttempt!(rec);
  }

  private onSendEvent(a: number): void {
    const at = this.attempts[a]!;
    at.events--;
    if (at.phase === 'dropped') {
      // Cancelled while it waited for its backoff: it never reaches the provider.
      at.phase = 'closed';
      this.release(a);
      return;
    }
    this.send(a);
  }

  private send(a: number): void {
    const at = this.attempts[a]!;
    const r = this.requests[at.req]!;
    const now = this.clock.now;
    const rt = this.runtimes[at.provider]!;
    const handle = this.handles[at.provider]!;
    const req = at.request!;
    at.sentMs = now;
    at.deadlineMs = now + at.timeoutMs;
    at.trial = handle.onSend(now);
    this.collector.attempts++;
    const visit = r.visits[at.provider]!++;
    const availability = rt.curve.at(now);
    if (availability > 0) this.collector.usage.sent(rt.account.provider.index, now);
    const gate = admissionGate(rt.account, availability, now);
    if (gate.kind === 'refused') {
      if (gate.code === 'rate_limit_exceeded') at.retryAfterMs = gate.retryAfterMs;
      else if (gate.code === 'insufficient_quota') at.code = gate.code;
      this.fastAnswer(a, gate.outcome, rt.refusedLatencyMs(req.id, visit));
      return;
    }
    const draw = this.draw;
    const rng = rt.drawAttempt(req, visit, at.tier, draw);
    const kind = draw.kind;
    if (answersWithoutSlot(kind)) {
      this.fastAnswer(a, kind, draw.ms);
      return;
    }
    at.kind = kind;
    at.serviceMs = draw.ms;
    this.fixPrice(a, availability);
    const placed = placement(rt.busy, rt.queue.length, rt.spec.capacity.concurrency, rt.spec.capacity.queue, availability);
    if (placed === 'start') {
      this.start(a, rt);
    } else if (placed === 'queue') {
      rt.queue.push(a);
      this.pushAttempt(at.deadlineMs, EV_TIMEOUT, a);
      this.collector.load(at.provider, rt.busy + rt.queue.length, rt.queue.length);
    } else {
      this.fastAnswer(a, 'overloaded', rt.errorSampler.sample(rng));
    }
  }

  /** An answer that needs no slot: it comes back after the error latency. */
  /**
   * Fixes the attempt's price when it is sent (off-peak and dynamic factors at send time;
   * compute-time reads the drawn service time, 0 for a fast failure).
   */
  private fixPrice(a: number, availability: number): void {
    const at = this.attempts[a]!;
    const rt = this.runtimes[at.provider]!;
    const opts = this.priceOpts;
    opts.atMs = this.clock.now;
    opts.tier = at.tierName;
    opts.availability = availability;
    opts.serviceMs = at.serviceMs;
    opts.creditValueUsd = undefined;
    const compiled = this.handles[at.provider]!.compiled;
    const req = at.request!;
    if (rt.account.ledger) at.credits = creditsFor(compiled, req, opts);
    else at.priceUsd = price(compiled, req, opts);
  }

  private fastAnswer(a: number, kind: OutcomeKind, errorMs: number): void {
    const at = this.attempts[a]!;
    at.kind = kind;
    at.phase = 'answering';
    // Only a billed fast failure needs its price (server errors and filtered prompts may be).
    const rt = this.runtimes[at.provider]!;
    if (billable(kind, rt.spec.pricing.billing)) this.fixPrice(a, rt.curve.at(this.clock.now));
    const latencyMs = Math.min(errorMs, at.timeoutMs);
    if (latencyMs <= 0) {
      this.deliver(a, kind);
      this.release(a);
      return;
    }
    this.pushAttempt(this.clock.now + latencyMs, EV_ANSWER, a);
  }

  private onAnswerEvent(a: number): void {
    const at = this.attempts[a]!;
    at.events--;
    if (at.phase === 'answering') this.deliver(a, at.kind);
    this.release(a);
  }

  private start(a: number, rt: ProviderRuntime): void {
    const at = this.attempts[a]!;
    const now = this.clock.now;
    at.phase = 'running';
    rt.busy++;
    this.collector.usage.busy(at.provider, at.serviceMs);
    this.collector.load(at.provider, rt.busy + rt.queue.length, rt.queue.length);
    const doneMs = now + at.serviceMs;
    if (!(doneMs <= MAX_INSTANT_MS)) {
      const req = at.request!;
      throw new ImgsimError(
        'invalid-scenario',
        `provider ${rt.spec.id}: request ${req.id} (${req.size}, ${req.steps} steps) drew a service time of ${at.serviceMs} ms, which ends after the last instant the simulator can represent (${new Date(MAX_INSTANT_MS).toISOString()}); check the provider's latency and the request's steps and size`,
      );
    }
    this.pushAttempt(doneMs, EV_DONE, a);
    // The client gives up first: a queued attempt already has its timeout event.
    if ((at.kind === 'timeout' || doneMs > at.deadlineMs) && now === at.sentMs) this.pushAttempt(at.deadlineMs, EV_TIMEOUT, a);
  }

  private onDoneEvent(a: number): void {
    const at = this.attempts[a]!;
    const rt = this.runtimes[at.provider]!;
    at.events--;
    const abandoned = at.phase === 'abandoned';
    at.phase = abandoned ? 'closed' : 'answering';
    rt.busy--;
    this.drainQueue(rt);
    if (abandoned) {
      // The client left (timed out, or lost a hedge race); the provider finished the work anyway.
      this.billAbandoned(a, at.answerKind === 'cancelled' ? 'hedge-cancel' : 'client-timeout');
    } else if (at.kind !== 'timeout') {
      this.deliver(a, at.kind);
    } else {
      // A drawn `timeout` whose work ended before the client's deadline: the provider never
      // answers (the client learns at its deadline), but the work is done, so it is billed now
      // per billing.timeout, as when the work ends after the deadline. (Before this branch such
      // attempts were never billed, whatever billing.timeout said.)
      this.billAbandoned(a, 'client-timeout');
    }
    this.release(a);
  }

  private drainQueue(rt: ProviderRuntime): void {
    // Most slots free up with nobody waiting: skip reading a(t) then.
    if (rt.queue.length === 0) return;
    const slots = rt.slots(this.clock.now);
    while (rt.busy < slots && rt.queue.length > 0) {
      const a = rt.queue.shift();
      const at = this.attempts[a]!;
      if (at.phase === 'dropped') {
        // The client closed its connection before the work started: the provider drops it.
        at.phase = 'closed';
        this.release(a);
        continue;
      }
      this.start(a, rt);
    }
  }

  private onTimeoutEvent(a: number): void {
    const at = this.attempts[a]!;
    at.events--;
    if (clientWaits(at.phase)) this.deliver(a, 'timeout');
    this.release(a);
  }

  /** The client gets an attempt's answer: bill, inform the strategy, move the request on. */
  private deliver(a: number, kind: OutcomeKind): void {
    const at = this.attempts[a]!;
    const r = this.requests[at.req]!;
    const now = this.clock.now;
    at.phase = clientLeaves(at.phase);
    at.answerKind = kind;
    at.answeredMs = now;
    const handle = this.handles[at.provider]!;
    const ok = kind === 'success';
    // The breaker counts provider faults: a filtered prompt is the request's, a 429 is a quota.
    handle.onAnswer(ok, ok || kind === 'filtered' || kind === 'rate-limited', now - at.sentMs, now, at.trial);
    this.collector.attempt(at.provider, kind);
    // A client-side timeout is billed (per billing.timeout) when the provider finishes the work.
    const costUsd = kind === 'timeout' ? 0 : this.bill(a, kind, at.request!.project);
    const plan = r.plan;
    if (this.strategy.observe || plan) this.fillOutcome(a, kind, costUsd);
    if (this.strategy.observe) this.strategy.observe(this.outcome, this.ctx);
    r.inFlight--;
    if (r.done) return;
    if (ok) {
      this.cancelOthers(at.req, a);
      if (r.failedAttempts > 0) this.collector.recovered++;
      this.finish(at.req, 'succeeded', kind);
      return;
    }
    r.failedAttempts++;
    r.lastKind = kind;
    if (plan) {
      // A gateway plan decides what follows a failure, not the policy.
      this.planNext(at.req, this.outcome);
      return;
    }
    if (kind === 'rate-limited' && at.retryAfterMs > 0) r.walk.retryAfter(at.candidate, now + at.retryAfterMs);
    if (r.inFlight > 0) return; // a hedge partner is still running
    if (!this.retryOn.has(kind)) {
      this.finish(at.req, 'failed', kind);
      return;
    }
    this.nextAttempt(at.req, false);
  }

  /** Fills the reused outcome record for `observe` and plans. */
  private fillOutcome(a: number, kind: OutcomeKind, costUsd: number): void {
    const at = this.attempts[a]!;
    const r = this.requests[at.req]!;
    const o = this.outcome;
    o.requestId = r.request.id;
    o.provider = this.handles[at.provider]!.id;
    o.tier = at.tierName;
    o.attempt = at.number;
    o.kind = kind;
    o.sentMs = at.sentMs;
    o.endedMs = this.clock.now;
    o.latencyMs = this.clock.now - at.sentMs;
    o.costUsd = costUsd;
    o.retryAfterMs = at.retryAfterMs >= 0 ? at.retryAfterMs : undefined;
    o.code = at.code === '' ? undefined : at.code;
    o.hedge = at.hedge;
  }

  /** A hedge race is over: the request's other attempts are cancelled. */
  private cancelOthers(slot: number, winner: number): void {
    const r = this.requests[slot]!;
    if (r.inFlight === 0) return;
    for (let i = 0; i < r.attemptCount; i++) {
      const a = r.attemptRefs[i]!;
      const at = this.attempts[a]!;
      if (a === winner || at.req !== slot || !clientWaits(at.phase)) continue;
      at.phase = clientLeaves(at.phase);
      at.answerKind = 'cancelled';
      at.answeredMs = this.clock.now;
      r.inFlight--;
      this.collector.cancelled(at.provider);
      this.handles[at.provider]!.onCancel(at.trial);
    }
  }

  private bill(a: number, kind: OutcomeKind, project: string): number {
    const billing = this.runtimes[this.attempts[a]!.provider]!.spec.pricing.billing;
    return billable(kind, billing) ? this.charge(a, kind !== 'success', project) : 0;
  }

  /** Bills work the provider finished after the client left. */
  private billAbandoned(a: number, by: AbandonedBy): void {
    const at = this.attempts[a]!;
    const billing = this.runtimes[at.provider]!.spec.pricing.billing;
    // A hedge loser that ran is billed as the provider saw it (its drawn outcome); a client
    // timeout per billing.timeout.
    const billed = billableAbandoned(by, at.kind, billing);
    if (billed) this.charge(a, true, at.request!.project);
  }

  private charge(a: number, wasted: boolean, project: string): number {
    const at = this.attempts[a]!;
    const rt = this.runtimes[at.provider]!;
    const now = this.clock.now;
    let costUsd = at.priceUsd;
    if (rt.account.ledger) {
      costUsd = rt.account.ledger.spend(at.credits, now);
      if (at.credits > 0) this.collector.usage.creditsUsed(rt.account.provider.index, at.credits, now);
    }
    if (!(costUsd > 0)) return 0;
    at.costUsd += costUsd;
    this.collector.cost(at.provider, project, costUsd, wasted, now);
    rt.account.addSpend(costUsd, now);
    this.budget.spend(costUsd, project, now, this.fired);
    if (this.fired.length > 0) this.recordAlerts();
    return costUsd;
  }

  private recordAlerts(): void {
    for (const f of this.fired) {
      this.collector.alerts.push({
        threshold: f.threshold,
        at: new Date(f.atMs).toISOString(),
        ...(f.project === undefined ? {} : { project: f.project }),
        period: f.period,
      });
    }
    this.fired.length = 0;
  }

  private finish(slot: number, end: 'succeeded' | 'failed' | 'rejected', reason: string): void {
    const r = this.requests[slot]!;
    if (r.done) return;
    r.done = true;
    const req = r.request;
    const now = this.clock.now;
    const latencyMs = now - req.arrivalMs;
    const attained = end === 'succeeded' && withinSlo(req, latencyMs, now, this.scenario.slo);
    this.collector.finish(end, req.urgency, latencyMs, attained, reason);
    this.serviceLog?.record(req.id, attained ? SERVICE_WITHIN_SLO : end === 'succeeded' ? SERVICE_LATE : SERVICE_NONE);
    if (r.pending === 0) this.freeRequests.push(slot);
  }

  // --- time-driven work ----------------------------------------------------------------------

  private onTick(p: number): void {
    const rt = this.runtimes[p]!;
    const now = this.clock.now;
    this.drainQueue(rt);
    if (this.ownsLedger(p)) this.expireCredits(p, now);
    // Keep ticking while anything else can still happen.
    if (this.pendingArrival !== undefined || this.heap.size > 0 || rt.queue.length > 0) {
      this.tickMs[p] = now + TICK_MS;
      this.tickSeq[p] = this.heap.takeSeq();
    } else {
      this.tickMs[p] = Infinity;
    }
    this.findNextTick();
    // The last tick of this instant: every provider's next one is at now + TICK_MS (or never).
    if (this.nextTickMs > now) this.skipIdleTicks(now + TICK_MS);
  }

  /** Caches the tick due first (few providers: a plain scan, run once per tick). */
  private findNextTick(): void {
    let best = -1;
    for (let i = 0; i < this.tickMs.length; i++) {
      if (this.tickMs[i] === Infinity) continue;
      if (best < 0 || this.tickMs[i]! < this.tickMs[best]! || (this.tickMs[i] === this.tickMs[best] && this.tickSeq[i]! < this.tickSeq[best]!)) best = i;
    }
    this.nextTick = best;
    this.nextTickMs = best < 0 ? Infinity : this.tickMs[best]!;
    this.nextTickSeq = best < 0 ? Infinity : this.tickSeq[best]!;
  }

  /**
   * Moves every provider's next tick, due at `dueMs`, over a stretch in which no tick can do
   * anything: no provider has queued work it could start (its queue is empty, or all its slots are
   * busy, which only an event changes), no credits can expire before the window's end, and no
   * event or arrival comes before the stretch ends. The ticks land on the grid instant at or after
   * the next event, keeping their order and taking places among equal-time events as if they had
   * ticked all along (nothing else is scheduled meanwhile), so the run is the one every tick would
   * give, in time that depends on the number of events, not on how far apart they are.
   * @param dueMs - when the ticks are due now (the instant after the one just ticked)
   */
  private skipIdleTicks(dueMs: number): void {
    const arrivalMs = this.pendingArrival === undefined ? Infinity : this.pendingArrival.arrivalMs;
    const eventMs = Math.min(this.heap.peekTime(), arrivalMs);
    if (!(eventMs > dueMs + TICK_MS) || eventMs > MAX_INSTANT_MS) return;
    const n = this.tickMs.length;
    for (let p = 0; p < n; p++) {
      if (this.tickMs[p] === Infinity) continue;
      const rt = this.runtimes[p]!;
      if (rt.queue.length > 0 && rt.busy < Math.max(1, rt.spec.capacity.concurrency)) return;
      if (this.ownsLedger(p) && (dueMs - TICK_MS < this.scenario.endMs || this.expiryUnrecorded(p))) return;
    }
    const toMs = dueMs + Math.ceil((eventMs - dueMs) / TICK_MS) * TICK_MS;
    // Fresh sequence numbers in the ticks' present order (the order they would have kept).
    for (;;) {
      let first = -1;
      for (let p = 0; p < n; p++) {
        if (this.tickMs[p] === dueMs && (first < 0 || this.tickSeq[p]! < this.tickSeq[first]!)) first = p;
      }
      if (first < 0) break;
      this.tickMs[first] = toMs;
      this.tickSeq[first] = this.heap.takeSeq();
    }
    this.findNextTick();
  }

  /** Whether the provider keeps its account's credits ledger (the first provider of the account). */
  private ownsLedger(p: number): boolean {
    const rt = this.runtimes[p]!;
    return rt.account.ledger !== undefined && rt.account.provider === rt.spec;
  }

  private readonly expiredSeenUsd = new Map<number, number>();

  /** Whether credits expired (by a spend) since the last tick recorded expiry: the next tick records it. */
  private expiryUnrecorded(p: number): boolean {
    return this.runtimes[p]!.account.ledger!.summary().expiredUsd > (this.expiredSeenUsd.get(p) ?? 0);
  }

  private expireCredits(p: number, untilMs: number): void {
    const ledger = this.runtimes[p]!.account.ledger!;
    const atMs = Math.min(untilMs, this.scenario.endMs);
    ledger.expireUntil(atMs);
    const expiredUsd = ledger.summary().expiredUsd;
    const before = this.expiredSeenUsd.get(p) ?? 0;
    if (expiredUsd > before) {
      this.expiredSeenUsd.set(p, expiredUsd);
      this.collector.cost(p, '', expiredUsd - before, true, atMs);
    }
  }

  private finishAccounts(untilMs: number): void {
    for (let p = 0; p < this.runtimes.length; p++) {
      const rt = this.runtimes[p]!;
      const ledger = rt.account.ledger;
      if (!ledger || rt.account.provider !== rt.spec) continue;
      this.expireCredits(p, untilMs);
      const s = ledger.summary();
      this.collector.credits[rt.spec.account] = {
        bought: s.bought,
        used: s.used,
        expired: s.expired,
        cash: s.cash,
        expiredUsd: s.expiredUsd,
        bundles: s.bundlesBought,
      };
    }
    this.collector.budgetSpentUsd = this.budget.totalUsd;
  }
}

