/**
 * Gateway plans in simulated time: a strategy that forwards like a gateway (LiteLLM, Portkey,
 * OpenRouter) returns an `AttemptPlan`, which chooses each attempt (provider, tier, timeout, the
 * request as forwarded) and what follows a failure, instead of the policy's walk. Plain
 * functions over the {@link SimState}.
 */
import type { ImageRequest } from '../model/request.js';
import { refusal } from '../model/pricing/quote.js';
import { MAX_PLAN_ATTEMPTS, MAX_PLAN_IDLE_STEPS } from '../routing/policy.js';
import { MAX_INSTANT_MS } from '../routing/strategy-guard.js';
import type { AttemptOutcome, PlanStep } from '../routing/strategy.js';
import { ImgsimError } from '../scenario/errors.js';
import { allocAttempt, markSent, release, send } from './attempts.js';
import { deliver, finish, refuseInstant } from './lifecycle.js';
import { attemptRequest, EV_PLAN, type SimState } from './state.js';

/**
 * Asks the request's plan for its next step and carries it out: an attempt, a wait (an
 * EV_PLAN event asks again), or the end of the request.
 * @param s - the state
 * @param slot - the request
 * @param failed - the attempt that just failed, or undefined (first step, or a wait is over)
 */
export function planNext(s: SimState, slot: number, failed: AttemptOutcome | undefined): void {
  const r = s.requests[slot]!;
  const plan = r.plan!;
  for (let idle = 0; ; idle++) {
    if (idle >= MAX_PLAN_IDLE_STEPS || r.walk.attempts >= MAX_PLAN_ATTEMPTS) {
      finish(s, slot, 'failed', 'plan-limit');
      return;
    }
    const step: PlanStep = plan.next(failed, s.ctx);
    failed = undefined;
    if ('provider' in step) {
      sendPlanned(s, slot, step);
      return;
    }
    if ('waitMs' in step) {
      if (step.waitMs > 0) {
        if (!(s.clock.now + step.waitMs <= MAX_INSTANT_MS)) refuseInstant(s, r.request, "a plan step's waitMs", step.waitMs);
        s.heap.push(s.clock.now + step.waitMs, EV_PLAN, slot);
        return;
      }
      continue;
    }
    const sent = r.walk.attempts > 0;
    if (sent && step.stop === 'exhausted') s.collector.exhausted++;
    finish(s, slot, 'failed', sent ? r.lastKind : 'no-candidate');
    return;
  }
}

/**
 * EV_PLAN: a plan's wait is over; it is asked again.
 * @param s - the state
 * @param slot - the request
 */
export function onPlanWait(s: SimState, slot: number): void {
  const r = s.requests[slot]!;
  if (r.done || r.plan === undefined) return;
  planNext(s, slot, undefined);
}

/**
 * Sends the attempt a plan step asks for. A provider that cannot serve the request answers at
 * once with a 400 (`filtered`, code `unsupported_<size|steps|feature|quality|tier>`), unbilled,
 * as `imgsim serve` does: a gateway sends where its config says, whether or not the provider can serve.
 */
function sendPlanned(s: SimState, slot: number, step: { readonly provider: string; readonly tier?: string; readonly timeoutMs?: number; readonly request?: ImageRequest }): void {
  const r = s.requests[slot]!;
  const p = s.providerIndex.get(step.provider);
  if (p === undefined) throw new ImgsimError('invalid-strategy', `strategy ${s.strategy.name}: its plan chose "${step.provider}", which is not a provider of the scenario`);
  const retry = s.visits[slot * s.visitStride + p]! > 0;
  const a = allocAttempt(s, slot, p, step.tier);
  const at = s.attempts[a]!;
  at.candidate = -1;
  if (step.request !== undefined) {
    at.request = step.request;
    at.project = step.request.project;
  }
  at.hedge = false;
  at.timeoutMs = step.timeoutMs ?? s.scenario.policy.timeout;
  if (!(s.clock.now + at.timeoutMs <= MAX_INSTANT_MS)) refuseInstant(s, r.request, "a plan step's timeoutMs", at.timeoutMs);
  r.walk.attempts++;
  at.number = r.walk.attempts;
  r.inFlight++;
  if (r.walk.attempts > 1) {
    if (retry) s.collector.retries++;
    else s.collector.failovers++;
  }
  const refused = refusal(s.handles[p]!.compiled, attemptRequest(s, at), at.tierName);
  if (refused === undefined) {
    send(s, a);
    return;
  }
  markSent(s, a);
  at.kind = 'filtered';
  at.code = `unsupported_${refused.code}`;
  at.phase = 'answering';
  deliver(s, a, 'filtered');
  release(s, a);
}
