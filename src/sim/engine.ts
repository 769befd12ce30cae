/**
 * The discrete-event simulator: one strategy over one scenario's traffic on a virtual clock.
 * Events live in a calendar queue of typed arrays (heap.ts); requests and attempts are pooled
 * records; no timers, no promise per event. Its cost grows with the number of events, not with
 * simulated time, and nothing per request outlives the request.
 *
 * This file is the event loop and its dispatch, and the provider ticks; the rest are plain
 * functions over one state record ({@link SimState}, state.ts):
 * - lifecycle.ts: a request's life (arrival, routing, answers, the end and SLO membership);
 * - plans.ts: gateway plans (a strategy's `AttemptPlan` choosing each attempt);
 * - attempts.ts: attempts at providers (send, admission, queue, service; the phase diagram);
 * - billing.ts: prices, charges, credits and budget alerts.
 * The rules of the provider model they apply (admission, billing, SLO membership) live in
 * src/model/rules/, shared with live mode.
 */
import type { AvailabilityCurve } from '../model/availability.js';
import type { AttemptSink } from '../metrics/attempt-log.js';
import type { FeeSchedule } from '../model/pricing/fees.js';
import type { RunCollector } from '../metrics/collector.js';
import type { ServiceLog } from '../metrics/service-log.js';
import type { BudgetTracker } from '../routing/budget.js';
import { MAX_INSTANT_MS } from '../routing/strategy-guard.js';
import type { RoutingContext, Strategy } from '../routing/strategy.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { RequestSource } from '../traffic/traffic.js';
import { drainQueue, onAnswerEvent, onDoneEvent, onSendEvent, onTimeoutEvent } from './attempts.js';
import { expireCredits, expiryUnrecorded, finishAccounts, ownsLedger } from './billing.js';
import { allocRequest, onHedge, route } from './lifecycle.js';
import { chargeReservationFees } from './reserved.js';
import { onPlanWait } from './plans.js';
import { EV_ANSWER, EV_DONE, EV_HEDGE, EV_PLAN, EV_ROUTE, EV_SEND, EV_TIMEOUT, EV_VALIDATE, SimState } from './state.js';
import { onValidated } from './validation.js';

/** How often each provider re-reads a(t) to start queued work when slots open up, ms. */
const TICK_MS = 60_000;

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
  private readonly s: SimState;

  /**
   * @param scenario - the resolved scenario
   * @param strategy - the strategy under test
   * @param source - its requests (a fresh stream per strategy: the same requests for each)
   * @param curves - availability curves from {@link availabilityCurves}
   * @param onAttempt - receives every attempt once it is over (the attempt log); without it
   *   the engine does no extra work beyond a few field writes per attempt
   * @param serviceLog - when given, receives what each request got (for the hindsight oracle)
   * @param fees - the fees of a gateway in front of the providers (`strategyFees` of its entry)
   */
  constructor(scenario: ResolvedScenario, strategy: Strategy, source: RequestSource, curves: readonly AvailabilityCurve[], onAttempt?: AttemptSink, serviceLog?: ServiceLog, fees?: FeeSchedule) {
    this.s = new SimState(scenario, strategy, source, curves, onAttempt, serviceLog, fees);
  }

  /**
   * Runs the simulation to the end of the window and until every request has finished.
   * @param onProgress - called now and then with simulated ms since start
   * @returns the collector and the number of events
   */
  run(onProgress?: ProgressFn): EngineResult {
    const s = this.s;
    const { startMs, endMs } = s.scenario;
    begin(s, startMs);
    loop(s, Infinity, onProgress);
    s.serviceLog?.close();
    if (s.collector.reserved !== undefined) chargeReservationFees(s);
    finishAccounts(s, Math.max(endMs, s.clock.now));
    return { collector: s.collector, events: s.events };
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
    const s = this.s;
    begin(s, fromMs);
    loop(s, atMs);
    s.clock.now = Math.max(s.clock.now, atMs);
    s.budget.advance(s.clock.now);
    return { ctx: s.ctx, budget: s.budget, events: s.events };
  }
}

function begin(s: SimState, fromMs: number): void {
  s.clock.now = fromMs;
  pullArrival(s);
  const n = s.runtimes.length;
  s.tickMs = new Float64Array(n);
  s.tickSeq = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s.tickMs[i] = fromMs + TICK_MS;
    s.tickSeq[i] = s.heap.takeSeq();
  }
  findNextTick(s);
}

// Kinds the loop hands to a handler besides the heap's (state.ts, EV_*): the provider tick due
// first, and the loop's periodic work (every 65,536 events).
const EV_TICK = 0;
const EV_PERIODIC = 1;

/** Handles one event: its ref (a request slot, an attempt, a provider). */
type Handler = (s: SimState, ref: number) => void;

/** Handlers of ids no event has; two different functions (see `dispatch`). */
function none(): void {}
function noneToo(): void {}

/** The loop's periodic work: the oracle's thread reads final service levels while the run goes on; progress. */
function periodic(s: SimState): void {
  s.serviceLog?.flush();
  const onProgress = s.onProgress;
  const { startMs, endMs } = s.scenario;
  if (onProgress && s.clock.now - startMs > s.progressAt) {
    s.progressAt = s.clock.now - startMs;
    onProgress(Math.min(s.progressAt, endMs - startMs));
  }
}

/** The handler of each kind, by id: a packed array, ids no event has filled with `none`. */
const HANDLERS: Handler[] = Array.from({ length: 16 }, (): Handler => none);
HANDLERS[EV_TICK] = onTick;
HANDLERS[EV_PERIODIC] = periodic;
HANDLERS[EV_ROUTE] = route;
HANDLERS[EV_SEND] = onSendEvent;
HANDLERS[EV_DONE] = onDoneEvent;
HANDLERS[EV_ANSWER] = onAnswerEvent;
HANDLERS[EV_TIMEOUT] = onTimeoutEvent;
HANDLERS[EV_HEDGE] = onHedge;
HANDLERS[EV_PLAN] = onPlanWait;
HANDLERS[EV_VALIDATE] = onValidated;
/** Two ids no event has. */
const NO_EVENT = HANDLERS.indexOf(none);
const NO_EVENT_TOO = HANDLERS.lastIndexOf(none);
HANDLERS[NO_EVENT_TOO] = noneToo;

/**
 * Runs an event's handler: one call site for every kind the loop does not run itself.
 *
 * Why one site, and why it is called with two do-nothing handlers at load time: V8 optimizes
 * `loop` on the stack (it is entered once per run) a few thousand events in, when code that has
 * not run yet has no type feedback. The first tick (a minute in), the first backoff, the first
 * client timeout each threw the optimized loop away to be compiled again, in every fresh
 * process. A call site that has seen two targets is a plain indirect call, which no new kind
 * invalidates; the handlers are optimized on their own.
 */
function dispatch(s: SimState, kind: number, ref: number): void {
  HANDLERS[kind]!(s, ref);
}
const nothing = undefined as unknown as SimState;
for (let i = 0; i < 64; i++) dispatch(nothing, (i & 1) === 0 ? NO_EVENT : NO_EVENT_TOO, 0);

/**
 * Processes events in time order: arrivals before `untilMs`, other events up to it.
 * @param untilMs - Infinity to run until nothing is left
 * @param onProgress - progress callback
 */
function loop(s: SimState, untilMs: number, onProgress?: ProgressFn): void {
  const heap = s.heap;
  s.onProgress = onProgress;
  s.progressAt = 0;
  let due = false;
  for (;;) {
    let kind = EV_PERIODIC;
    let ref = 0;
    if (due) due = false;
    else {
      // The next arrival waits outside the heap; at equal times, events already scheduled
      // (answers, freed slots) happen before the new arrival. Ticks wait outside too. Every
      // value is read on every event (the sequence test decides only ties): optimized code
      // keeps its type feedback for all of them.
      const arrival = s.pendingArrival;
      const heapMs = heap.peekTime();
      const tickMs = s.nextTickMs;
      const tick = s.nextTick;
      const tickBeforeSeq = s.nextTickSeq < heap.peekSeq();
      const tickFirst = tickMs < heapMs || (tickMs === heapMs && tickBeforeSeq);
      const nextMs = tickFirst ? tickMs : heapMs;
      if (arrival !== undefined && arrival.arrivalMs < nextMs) {
        if (arrival.arrivalMs >= untilMs) break;
        s.clock.now = arrival.arrivalMs;
        due = (++s.events & 0xffff) === 0;
        route(s, allocRequest(s, arrival));
        pullArrival(s);
        continue;
      }
      if (nextMs > untilMs) break;
      kind = EV_TICK;
      ref = tick;
      if (!tickFirst) {
        if (!heap.pop()) break;
        kind = heap.kind;
        ref = heap.ref;
      }
      s.clock.now = nextMs;
      due = (++s.events & 0xffff) === 0;
      if (kind === EV_DONE) {
        onDoneEvent(s, ref);
        continue;
      }
    }
    // Every other kind, the periodic work included, through this one call site.
    dispatch(s, kind, ref);
  }
}

/** Takes the next arrival from the source (none past the window's end). */
function pullArrival(s: SimState): void {
  const req = s.source.next();
  s.pendingArrival = req === undefined || req.arrivalMs >= s.scenario.endMs ? undefined : req;
}

// --- provider ticks ------------------------------------------------------------------------------

function onTick(s: SimState, p: number): void {
  const rt = s.runtimes[p]!;
  const now = s.clock.now;
  drainQueue(s, rt);
  if (ownsLedger(s, p)) expireCredits(s, p, now);
  // Keep ticking while anything else can still happen.
  if (s.pendingArrival !== undefined || s.heap.size > 0 || rt.queue.length > 0) {
    s.tickMs[p] = now + TICK_MS;
    s.tickSeq[p] = s.heap.takeSeq();
  } else {
    s.tickMs[p] = Infinity;
  }
  findNextTick(s);
  // The last tick of this instant: every provider's next one is at now + TICK_MS (or never).
  if (s.nextTickMs > now) skipIdleTicks(s, now + TICK_MS);
}

/** Caches the tick due first (few providers: a plain scan, run once per tick). */
function findNextTick(s: SimState): void {
  const tickMs = s.tickMs;
  const tickSeq = s.tickSeq;
  let best = -1;
  for (let i = 0; i < tickMs.length; i++) {
    if (tickMs[i] === Infinity) continue;
    if (best < 0 || tickMs[i]! < tickMs[best]! || (tickMs[i] === tickMs[best] && tickSeq[i]! < tickSeq[best]!)) best = i;
  }
  s.nextTick = best;
  s.nextTickMs = best < 0 ? Infinity : tickMs[best]!;
  s.nextTickSeq = best < 0 ? Infinity : tickSeq[best]!;
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
function skipIdleTicks(s: SimState, dueMs: number): void {
  const arrivalMs = s.pendingArrival === undefined ? Infinity : s.pendingArrival.arrivalMs;
  const eventMs = Math.min(s.heap.peekTime(), arrivalMs);
  if (!(eventMs > dueMs + TICK_MS) || eventMs > MAX_INSTANT_MS) return;
  const tickMs = s.tickMs;
  const tickSeq = s.tickSeq;
  const n = tickMs.length;
  for (let p = 0; p < n; p++) {
    if (tickMs[p] === Infinity) continue;
    const rt = s.runtimes[p]!;
    if (rt.queue.length > 0 && rt.busy < Math.max(1, rt.spec.capacity.concurrency)) return;
    if (ownsLedger(s, p) && (dueMs - TICK_MS < s.scenario.endMs || expiryUnrecorded(s, p))) return;
  }
  const toMs = dueMs + Math.ceil((eventMs - dueMs) / TICK_MS) * TICK_MS;
  // Fresh sequence numbers in the ticks' present order (the order they would have kept).
  for (;;) {
    let first = -1;
    for (let p = 0; p < n; p++) {
      if (tickMs[p] === dueMs && (first < 0 || tickSeq[p]! < tickSeq[first]!)) first = p;
    }
    if (first < 0) break;
    tickMs[first] = toMs;
    tickSeq[first] = s.heap.takeSeq();
  }
  findNextTick(s);
}
