/**
 * Attempts at providers in simulated time: sending, admission, the FIFO queue, service and the
 * answer, as plain functions over the {@link SimState}.
 *
 * At the provider (docs/contract.md §2.3): the admission gate (a(t) = 0 → `overloaded`; no
 * rate-limit token → `rate-limited` with Retry-After; quota spent → `rate-limited`), then one
 * draw decides the outcome and service time (common random numbers keyed by request, provider
 * and visit); fast failures answer after the error latency without a slot; the rest start when a
 * slot is free, else wait in the queue, else (queue full) `overloaded`. The client gives up at
 * its timeout; an abandoned attempt keeps its slot until the provider is done, as a real GPU
 * would. The rules themselves live in src/model/rules/.
 *
 * An attempt's life is one {@link AttemptPhase}. The client's side (waiting, or gone: answered,
 * timed out, or cancelled because its request's hedge race was won elsewhere) and the
 * provider's side (not yet sent, queued, running, done) make one state, as only these
 * combinations occur:
 *
 *   backoff ──send──┬─ refused / fast failure / queue full ─────────────► answering
 *      │            ├─ slot free ─► running ──work done──────────────────► answering
 *      │            └─ queue ─────► queued ──slot free──► running            │ answer, or
 *      │ client leaves               │ client leaves      │ client leaves    │ client leaves
 *      ▼                             ▼                    ▼                  ▼
 *   dropped ◄────────────────────────┘                abandoned ─work done─► closed ─no events─► released
 *      └── its send event, or the head of the queue: the provider drops it ──┘
 *
 * `answering` also covers a drawn `timeout` whose work ended before the deadline: the provider
 * never answers and the client learns at its deadline. Work that ran after its client left is
 * billed when it ends (a client timeout per billing.timeout, a hedge loser as drawn). A record is
 * reused once `released`, when no heap event names it any more.
 */
import { admissionGate, answersWithoutSlot, placement } from '../model/rules/admission.js';
import type { OutcomeKind } from '../scenario/schema.js';
import { ImgsimError } from '../scenario/errors.js';
import { MAX_INSTANT_MS } from '../routing/strategy-guard.js';
import { billAbandoned, fixPrice, priceIfBillable } from './billing.js';
import { deliver } from './lifecycle.js';
import { startReserved } from './reserved.js';
import type { ProviderRuntime } from './provider-runtime.js';
import { AttemptState, attemptRequest, EV_ANSWER, EV_DONE, EV_TIMEOUT, type SimState } from './state.js';

/** Where an attempt is in its life (the diagram above). */
export type AttemptPhase = 'backoff' | 'queued' | 'running' | 'answering' | 'dropped' | 'abandoned' | 'closed' | 'released';

/**
 * Whether the client still waits for the attempt's answer.
 * @param phase - the attempt's phase
 * @returns true before the client left
 */
export function clientWaits(phase: AttemptPhase): boolean {
  return phase === 'running' || phase === 'queued' || phase === 'answering' || phase === 'backoff';
}

/**
 * The phase an attempt enters when its client leaves (its answer, its timeout, or a cancel).
 * @param phase - a phase in which the client still waits
 * @returns the phase after
 */
export function clientLeaves(phase: AttemptPhase): AttemptPhase {
  return phase === 'running' ? 'abandoned' : phase === 'answering' ? 'closed' : 'dropped';
}

/**
 * Takes a pooled attempt record for a request (phase `backoff`: not yet sent).
 * @param s - the state
 * @param slot - the request
 * @param provider - the provider's index
 * @param tierName - the tier asked for, or undefined for the provider's default
 * @returns the attempt's ref
 */
export function allocAttempt(s: SimState, slot: number, provider: number, tierName: string | undefined): number {
  let a = s.freeAttempts.pop();
  if (a === undefined) {
    a = s.attempts.length;
    s.attempts.push(s.newAttempt());
  }
  const at = s.attempts[a]!;
  const r = s.requests[slot]!;
  at.req = slot;
  at.request = undefined;
  at.project = r.request.project;
  at.phase = 'backoff';
  at.events = 0;
  at.retryAfterMs = -1;
  at.code = '';
  at.serviceMs = 0;
  at.priceUsd = 0;
  at.credits = 0;
  at.costUsd = 0;
  at.lane = 'on-demand';
  at.sentMs = -1;
  at.provider = provider;
  const spec = s.runtimes[provider]!.spec;
  const name = tierName ?? spec.defaultTier;
  let tier = 0;
  while (tier < spec.tierList.length && spec.tierList[tier]!.name !== name) tier++;
  at.tier = tier < spec.tierList.length ? tier : 0;
  at.tierName = spec.tierList[at.tier]!.name;
  r.pending++;
  if (r.attemptCount < s.refStride) s.attemptRefs[slot * s.refStride + r.attemptCount++] = a;
  return a;
}

/**
 * Schedules an event about an attempt (its record lives until the event has run).
 * @param s - the state
 * @param timeMs - when
 * @param kind - EV_SEND, EV_DONE, EV_ANSWER or EV_TIMEOUT
 * @param a - the attempt
 */
export function pushAttempt(s: SimState, timeMs: number, kind: number, a: number): void {
  s.attempts[a]!.events++;
  s.heap.push(timeMs, kind, a);
}

/**
 * Frees an attempt record once it is `closed` and no event refers to it any more (else does
 * nothing); the attempt log gets it then.
 * @param s - the state
 * @param a - the attempt
 */
export function release(s: SimState, a: number): void {
  const at = s.attempts[a]!;
  if (at.phase !== 'closed' || at.events > 0) return;
  at.phase = 'released';
  if (s.record !== undefined && at.sentMs >= 0) logAttempt(s, at);
  const slot = at.req;
  at.req = -1;
  at.request = undefined;
  s.freeAttempts.push(a);
  const r = s.requests[slot]!;
  r.pending--;
  if (r.done && r.pending === 0) s.freeRequests.push(slot);
}

/** Hands a finished attempt to the attempt log (it never reached a provider when sentMs < 0). */
function logAttempt(s: SimState, at: AttemptState): void {
  const rec = s.record!;
  const req = attemptRequest(s, at);
  rec.requestId = req.id;
  rec.attempt = at.number;
  rec.provider = s.handles[at.provider]!.id;
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
  s.onAttempt!(rec);
}

/**
 * EV_SEND: an attempt's backoff is over.
 * @param s - the state
 * @param a - the attempt
 */
export function onSendEvent(s: SimState, a: number): void {
  const at = s.attempts[a]!;
  at.events--;
  if (at.phase === 'dropped') {
    // Cancelled while it waited for its backoff: it never reaches the provider.
    at.phase = 'closed';
    release(s, a);
    return;
  }
  send(s, a);
}

/**
 * Marks an attempt sent now (its deadline, the breaker's trial, the count of attempts).
 * @param s - the state
 * @param a - the attempt
 */
export function markSent(s: SimState, a: number): void {
  const at = s.attempts[a]!;
  const now = s.clock.now;
  at.sentMs = now;
  at.deadlineMs = now + at.timeoutMs;
  at.trial = s.handles[at.provider]!.onSend(now);
  s.collector.attempts++;
}

/**
 * Sends an attempt to its provider now: admission, the draw, then a slot, the queue or a refusal.
 * @param s - the state
 * @param a - the attempt (phase `backoff`)
 */
export function send(s: SimState, a: number): void {
  markSent(s, a);
  const at = s.attempts[a]!;
  const now = s.clock.now;
  const rt = s.runtimes[at.provider]!;
  const req = attemptRequest(s, at);
  const visit = s.visits[at.req * s.visitStride + at.provider]!++;
  const availability = rt.curve.at(now);
  if (availability > 0) s.collector.usage.sent(rt.account.provider.index, now);
  const gate = admissionGate(rt.account, availability, now);
  if (gate.kind === 'refused') {
    if (gate.code === 'rate_limit_exceeded') at.retryAfterMs = gate.retryAfterMs;
    else if (gate.code === 'insufficient_quota') at.code = gate.code;
    fastAnswer(s, a, gate.outcome, rt.refusedLatencyMs(req.id, visit));
    return;
  }
  const draw = s.draw;
  const rng = rt.drawAttempt(req, visit, at.tier, draw);
  const kind = draw.kind;
  if (answersWithoutSlot(kind)) {
    fastAnswer(s, a, kind, draw.ms);
    return;
  }
  at.kind = kind;
  at.serviceMs = draw.ms;
  fixPrice(s, a, availability);
  if (at.lane !== 'on-demand') {
    // A reserved slot was free, or none was and nothing overflows (reserved.ts).
    if (at.lane === 'reserved') start(s, a, rt);
    else fastAnswer(s, a, 'overloaded', rt.errorSampler.sample(rng));
    return;
  }
  const placed = placement(rt.busy, rt.queue.length, rt.spec.capacity.concurrency, rt.spec.capacity.queue, availability);
  if (placed === 'start') {
    start(s, a, rt);
  } else if (placed === 'queue') {
    at.phase = 'queued';
    rt.queue.push(a);
    pushAttempt(s, at.deadlineMs, EV_TIMEOUT, a);
    s.collector.load(at.provider, rt.busy + rt.queue.length, rt.queue.length);
  } else {
    fastAnswer(s, a, 'overloaded', rt.errorSampler.sample(rng));
  }
}

/** An answer that needs no slot: it comes back after the error latency (at once when 0). */
function fastAnswer(s: SimState, a: number, kind: OutcomeKind, errorMs: number): void {
  const at = s.attempts[a]!;
  at.kind = kind;
  at.phase = 'answering';
  priceIfBillable(s, a, kind);
  const latencyMs = Math.min(errorMs, at.timeoutMs);
  if (latencyMs <= 0) {
    deliver(s, a, kind);
    release(s, a);
    return;
  }
  pushAttempt(s, s.clock.now + latencyMs, EV_ANSWER, a);
}

/**
 * EV_ANSWER: an answer that needed no slot reaches the client (unless it left).
 * @param s - the state
 * @param a - the attempt
 */
export function onAnswerEvent(s: SimState, a: number): void {
  const at = s.attempts[a]!;
  at.events--;
  if (at.phase === 'answering') deliver(s, a, at.kind);
  release(s, a);
}

/** The attempt takes a slot now and runs for its service time. */
function start(s: SimState, a: number, rt: ProviderRuntime): void {
  const at = s.attempts[a]!;
  const now = s.clock.now;
  at.phase = 'running';
  if (at.lane === 'reserved') startReserved(s, at, rt);
  else {
    rt.busy++;
    s.collector.usage.busy(at.provider, at.serviceMs);
  }
  s.collector.load(at.provider, rt.busy + rt.queue.length, rt.queue.length);
  const doneMs = now + at.serviceMs;
  if (!(doneMs <= MAX_INSTANT_MS)) {
    const req = attemptRequest(s, at);
    throw new ImgsimError(
      'invalid-scenario',
      `provider ${rt.spec.id}: request ${req.id} (${req.size}, ${req.steps} steps) drew a service time of ${at.serviceMs} ms, which ends after the last instant the simulator can represent (${new Date(MAX_INSTANT_MS).toISOString()}); check the provider's latency and the request's steps and size`,
    );
  }
  pushAttempt(s, doneMs, EV_DONE, a);
  // The client gives up first: a queued attempt already has its timeout event.
  if ((at.kind === 'timeout' || doneMs > at.deadlineMs) && now === at.sentMs) pushAttempt(s, at.deadlineMs, EV_TIMEOUT, a);
}

/**
 * EV_DONE: the provider finished an attempt's work; its slot goes to the queue's head.
 * @param s - the state
 * @param a - the attempt (phase `running` or `abandoned`)
 */
export function onDoneEvent(s: SimState, a: number): void {
  const at = s.attempts[a]!;
  const rt = s.runtimes[at.provider]!;
  at.events--;
  const abandoned = at.phase === 'abandoned';
  at.phase = abandoned ? 'closed' : 'answering';
  if (at.lane === 'reserved') rt.reserved!.busy--;
  else {
    rt.busy--;
    drainQueue(s, rt);
  }
  // Read on every event: rare paths whose values optimized code has never seen throw it away.
  const cancelled = at.answerKind === 'cancelled';
  const kind = at.kind;
  if (!abandoned && kind !== 'timeout') deliver(s, a, kind);
  else {
    // The client left (timed out, or lost a hedge race); the provider finished the work anyway.
    // Or a drawn `timeout` whose work ended before the client's deadline: the provider never
    // answers (the client learns at its deadline), but the work is done, so it is billed now
    // per billing.timeout, as when the work ends after the deadline. (Before this branch such
    // attempts were never billed, whatever billing.timeout said.) One call site for both.
    billAbandoned(s, a, abandoned && cancelled ? 'hedge-cancel' : 'client-timeout');
  }
  release(s, a);
}

/**
 * Starts queued attempts while slots are free (⌊concurrency × a(t)⌋ now); drops those whose
 * client left.
 * @param s - the state
 * @param rt - the provider
 */
export function drainQueue(s: SimState, rt: ProviderRuntime): void {
  // Most slots free up with nobody waiting: skip reading a(t) then.
  if (rt.queue.length === 0) return;
  const slots = rt.slots(s.clock.now);
  while (rt.busy < slots && rt.queue.length > 0) {
    const a = rt.queue.shift();
    const at = s.attempts[a]!;
    if (at.phase === 'dropped') {
      // The client closed its connection before the work started: the provider drops it.
      at.phase = 'closed';
      release(s, a);
      continue;
    }
    start(s, a, rt);
  }
}

/**
 * EV_TIMEOUT: the client gives up on an attempt it still waits for.
 * @param s - the state
 * @param a - the attempt
 */
export function onTimeoutEvent(s: SimState, a: number): void {
  const at = s.attempts[a]!;
  at.events--;
  if (clientWaits(at.phase)) deliver(s, a, 'timeout');
  release(s, a);
}
