/**
 * A request's life in simulated time, as plain functions over the {@link SimState}: it arrives,
 * the budget and its strategy route it (reject, defer, a candidate list with the policy's
 * retries, failover and hedging, or a gateway plan: plans.ts), its attempts are answered
 * (`deliver`: the charge, the strategy's `observe`, what follows a failure), and it ends
 * succeeded, failed or rejected (`finish`: the collector, SLO membership by the model's rule).
 */
import type { ImageRequest } from '../model/request.js';
import { withinSlo } from '../model/rules/slo.js';
import { SERVICE_LATE, SERVICE_NONE, SERVICE_WITHIN_SLO } from '../metrics/service-log.js';
import { MAX_INSTANT_MS } from '../routing/strategy-guard.js';
import type { Candidate } from '../routing/strategy.js';
import { ImgsimError } from '../scenario/errors.js';
import type { OutcomeKind } from '../scenario/schema.js';
import { allocAttempt, clientLeaves, clientWaits, pushAttempt, send } from './attempts.js';
import { bill } from './billing.js';
import { planNext } from './plans.js';
import { EV_HEDGE, EV_ROUTE, EV_SEND, type SimState } from './state.js';
import { validateAfter } from './validation.js';

/** A request deferred more often than this is rejected (a strategy that never lets go). */
const MAX_DEFERRALS = 10_000;

/**
 * Takes a pooled request record for an arriving request.
 * @param s - the state
 * @param req - the request
 * @returns its slot
 */
export function allocRequest(s: SimState, req: ImageRequest): number {
  let slot = s.freeRequests.pop();
  if (slot === undefined) {
    slot = s.requests.length;
    s.requests.push(s.newRequest());
    if (s.requests.length * s.refStride > s.attemptRefs.length) growSlotArrays(s);
  }
  const r = s.requests[slot]!;
  r.request = req;
  r.id = req.id;
  r.arrivalMs = req.arrivalMs;
  r.urgency = req.urgency;
  r.groups = s.collector.groupsOf(req);
  r.deadlineMs = req.deadlineMs;
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
  const visits = s.visits;
  for (let i = slot * s.visitStride, end = i + s.visitStride; i < end; i++) visits[i] = 0;
  return slot;
}

/** Doubles the per-slot flat arrays (request slots only ever grow in number). */
function growSlotArrays(s: SimState): void {
  const slots = Math.max(64, 2 * s.requests.length);
  const visits = new Int32Array(slots * s.visitStride);
  visits.set(s.visits);
  s.visits = visits;
  const refs = new Int32Array(slots * s.refStride);
  refs.set(s.attemptRefs);
  s.attemptRefs = refs;
}

/**
 * Routes a request (on arrival, and again after a deferral: EV_ROUTE).
 * @param s - the state
 * @param slot - the request
 */
export function route(s: SimState, slot: number): void {
  const r = s.requests[slot]!;
  const now = s.clock.now;
  const refused = s.budget.refusal(r.request.project, now);
  if (refused !== undefined) {
    finish(s, slot, 'rejected', refused);
    return;
  }
  const decision = s.strategy.route(r.request, s.ctx);
  if ('reject' in decision) {
    finish(s, slot, 'rejected', decision.reject);
    return;
  }
  if ('deferUntil' in decision) {
    if (r.deferrals === 0) s.collector.deferred++;
    if (++r.deferrals > MAX_DEFERRALS) {
      finish(s, slot, 'rejected', 'deferred too often');
      return;
    }
    if (!(decision.deferUntil <= MAX_INSTANT_MS)) refuseInstant(s, r.request, 'deferUntil', decision.deferUntil);
    s.heap.push(Math.max(decision.deferUntil, now), EV_ROUTE, slot);
    return;
  }
  r.walk.reset(decision.candidates);
  if (decision.plan !== undefined) {
    r.plan = decision.plan;
    planNext(s, slot, undefined);
    return;
  }
  r.hedgeAfterMs = decision.hedgeAfterMs ?? 0;
  if (!(now + r.hedgeAfterMs <= MAX_INSTANT_MS)) refuseInstant(s, r.request, 'hedgeAfterMs', r.hedgeAfterMs);
  nextAttempt(s, slot, false);
  if (r.hedgeAfterMs > 0 && !r.done && decision.candidates.length > 1) {
    r.hedgeDueMs = now + r.hedgeAfterMs;
    s.heap.push(r.hedgeDueMs, EV_HEDGE, slot);
  }
}

/** Starts the request's next attempt by the policy's walk, or ends the request when there is none. */
function nextAttempt(s: SimState, slot: number, hedge: boolean): void {
  const r = s.requests[slot]!;
  s.walkForAllow = r.walk;
  s.requestForAllow = r.request;
  // Common random numbers for the jitter too: the same request's k-th attempt draws the same
  // jitter under every strategy (a reseed of a shared generator: no allocation). A first
  // attempt is never a retry, so most requests skip the reseed.
  const jitterRng = r.walk.attempts === 0 ? s.firstAttemptRng : s.backoffDraws.at(r.request.id, r.walk.attempts);
  const n = r.walk.next(s.scenario.policy, s.clock.now, s.allow, jitterRng, s.next);
  if (n.index < 0) {
    if (!hedge && r.inFlight === 0) {
      if (r.walk.attempts > 0) s.collector.exhausted++;
      finish(s, slot, 'failed', r.walk.attempts > 0 ? r.lastKind : 'no-candidate');
    }
    return;
  }
  if (hedge && n.retry) {
    // A hedge goes to another provider; the only one left is the one already answering.
    r.walk.unpick(n);
    return;
  }
  const c: Candidate = r.walk.candidates[n.index]!;
  // The walk stopped at the candidate `allow` judged last: its provider is known.
  const a = allocAttempt(s, slot, s.allowedProvider, c.tier);
  const at = s.attempts[a]!;
  at.candidate = n.index;
  at.hedge = hedge;
  at.timeoutMs = s.scenario.policy.timeout;
  r.walk.sent(n.index);
  at.number = r.walk.attempts;
  r.inFlight++;
  if (hedge) s.collector.hedges++;
  else if (r.walk.attempts > 1) {
    if (n.retry) s.collector.retries++;
    else s.collector.failovers++;
  }
  if (n.delayMs > 0) pushAttempt(s, s.clock.now + n.delayMs, EV_SEND, a);
  else send(s, a);
}

/**
 * EV_HEDGE: the request's hedge timer; a second attempt goes out if the first still runs alone.
 * @param s - the state
 * @param slot - the request
 */
export function onHedge(s: SimState, slot: number): void {
  const r = s.requests[slot]!;
  if (s.clock.now !== r.hedgeDueMs || r.done || r.hedged || r.inFlight !== 1) return;
  r.hedged = true;
  nextAttempt(s, slot, true);
}

/**
 * The client gets an attempt's answer: bill, inform the strategy, move the request on.
 * @param s - the state
 * @param a - the attempt (its client still waits)
 * @param kind - the answer (`timeout` when the client gave up)
 */
export function deliver(s: SimState, a: number, kind: OutcomeKind): void {
  const at = s.attempts[a]!;
  const r = s.requests[at.req]!;
  const now = s.clock.now;
  at.phase = clientLeaves(at.phase);
  at.answerKind = kind;
  at.answeredMs = now;
  const handle = s.handles[at.provider]!;
  const ok = kind === 'success';
  // The breaker counts provider faults: a filtered prompt is the request's, a 429 is a quota.
  handle.onAnswer(ok, ok || kind === 'filtered' || kind === 'rate-limited', now - at.sentMs, now, at.trial);
  s.collector.attempt(at.provider, kind);
  // A client-side timeout is billed (per billing.timeout) when the provider finishes the work.
  const costUsd = kind === 'timeout' ? 0 : bill(s, a, kind, at.project);
  const plan = r.plan;
  const strategy = s.strategy;
  if (strategy.observe || plan) fillOutcome(s, a, kind, costUsd);
  if (strategy.observe) strategy.observe(s.outcome, s.ctx);
  r.inFlight--;
  if (r.done) return;
  if (ok) {
    cancelOthers(s, at.req, a);
    if (r.failedAttempts > 0) s.collector.recovered++;
    if (s.validation !== undefined && validateAfter(s, s.validation, a)) return;
    finish(s, at.req, 'succeeded', kind);
    return;
  }
  r.failedAttempts++;
  r.lastKind = kind;
  if (plan) {
    // A gateway plan decides what follows a failure, not the policy.
    planNext(s, at.req, s.outcome);
    return;
  }
  if (kind === 'rate-limited' && at.retryAfterMs > 0) r.walk.retryAfter(at.candidate, now + at.retryAfterMs);
  if (r.inFlight > 0) return; // a hedge partner is still running
  if (!s.retryOn.has(kind)) {
    finish(s, at.req, 'failed', kind);
    return;
  }
  nextAttempt(s, at.req, false);
}

/** Fills the reused outcome record for `observe` and plans. */
function fillOutcome(s: SimState, a: number, kind: OutcomeKind, costUsd: number): void {
  const at = s.attempts[a]!;
  const r = s.requests[at.req]!;
  const o = s.outcome;
  o.requestId = r.request.id;
  o.provider = s.handles[at.provider]!.id;
  o.tier = at.tierName;
  o.attempt = at.number;
  o.kind = kind;
  o.sentMs = at.sentMs;
  o.endedMs = s.clock.now;
  o.latencyMs = s.clock.now - at.sentMs;
  o.costUsd = costUsd;
  o.retryAfterMs = at.retryAfterMs >= 0 ? at.retryAfterMs : undefined;
  o.code = at.code === '' ? undefined : at.code;
  o.hedge = at.hedge;
}

/** A hedge race is over: the request's other attempts are cancelled (their clients leave). */
function cancelOthers(s: SimState, slot: number, winner: number): void {
  const r = s.requests[slot]!;
  if (r.inFlight === 0) return;
  for (let i = 0; i < r.attemptCount; i++) {
    const a = s.attemptRefs[slot * s.refStride + i]!;
    const at = s.attempts[a]!;
    if (a === winner || at.req !== slot || !clientWaits(at.phase)) continue;
    at.phase = clientLeaves(at.phase);
    at.answerKind = 'cancelled';
    at.answeredMs = s.clock.now;
    r.inFlight--;
    s.collector.cancelled(at.provider);
    s.handles[at.provider]!.onCancel(at.trial);
  }
}

/**
 * Ends a request (once): the collector, SLO membership, the service log; its record is freed
 * when its last attempt is.
 * @param s - the state
 * @param slot - the request
 * @param end - how it ended
 * @param reason - the last outcome, or why it was rejected or failed
 */
export function finish(s: SimState, slot: number, end: 'succeeded' | 'failed' | 'rejected', reason: string): void {
  const r = s.requests[slot]!;
  if (r.done) return;
  r.done = true;
  const now = s.clock.now;
  const latencyMs = now - r.arrivalMs;
  const attained = end === 'succeeded' && withinSlo(r, latencyMs, now, s.scenario.slo);
  s.collector.end(end, r.groups, latencyMs, attained, reason, now);
  s.serviceLog?.record(r.id, attained ? SERVICE_WITHIN_SLO : end === 'succeeded' ? SERVICE_LATE : SERVICE_NONE);
  if (r.pending === 0) s.freeRequests.push(slot);
}

/**
 * A strategy asked for an instant the simulator cannot reach: an error naming the strategy.
 * @param s - the state
 * @param req - the request routed
 * @param what - the field at fault
 * @param value - its value
 * @returns never: throws `invalid-strategy`
 */
export function refuseInstant(s: SimState, req: ImageRequest, what: string, value: number): never {
  throw new ImgsimError(
    'invalid-strategy',
    `strategy ${s.strategy.name}: route returned ${what} ${String(value)} for request ${req.id} at ${new Date(s.clock.now).toISOString()}; expected a finite time no later than ${new Date(MAX_INSTANT_MS).toISOString()} (epoch ms ${MAX_INSTANT_MS})`,
  );
}
