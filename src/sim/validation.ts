/**
 * The validation step in simulated time (docs/scenario-reference.md "pipeline"): a request with
 * `validate: true` whose image came from a provider that does not validate it itself (no
 * `pricing.validation` bundle, or a gateway that dropped `validate`) calls the scenario's
 * validator once its generation succeeded. The call has the validator's own price, latency and
 * failures (common random numbers keyed by request and call, as for providers); the request
 * ends when the check answers, so its latency adds to the request's. A failed call is retried at
 * once while `pipeline.maxAttempts` allows and the policy's `retryOn` lists its kind; after the
 * last, the request fails (`validator-<kind>`): the image was paid for but never checked.
 *
 * The validator has no queue, rate limit or outage, and strategies do not see it (no `observe`):
 * it is a step of the client's pipeline, not a routing choice. Without a validator nothing here
 * runs: {@link SimState.validation} is undefined and `deliver` reads one field more.
 */
import { validationBy } from '../model/pricing/pipeline.js';
import { compilePricing, price, refusal, type CompiledPricing } from '../model/pricing/quote.js';
import type { ImageRequest } from '../model/request.js';
import { billable } from '../model/rules/billing.js';
import { AttemptDraws } from '../model/rules/draw.js';
import type { ResolvedPipeline, ResolvedScenario } from '../scenario/resolve.js';
import type { OutcomeKind } from '../scenario/schema.js';
import { recordAlerts } from './billing.js';
import { finish } from './lifecycle.js';
import { attemptRequest, EV_VALIDATE, type SimState } from './state.js';

/** One request's calls to the validator (kept while they run). */
interface ValidatorCall {
  /** Calls sent so far. */
  calls: number;
  /** The attempt number of the generation that succeeded (calls number on from it in the attempt log). */
  readonly generationAttempt: number;
  /** The current call: what the client will see, when it was sent, its fixed price and whether it is billed. */
  kind: OutcomeKind;
  sentMs: number;
  priceUsd: number;
  billed: boolean;
}

/** The scenario's validator in one strategy's run. */
export class ValidationStep {
  readonly compiled: CompiledPricing;
  readonly draws: AttemptDraws;
  /** Per generation provider: 1 when a validated request it serves needs the validator (no bundle). */
  readonly separate: Uint8Array;
  /** Running calls by request slot. */
  readonly running = new Map<number, ValidatorCall>();

  /**
   * @param scenario - the resolved scenario (its providers, seed)
   * @param pipeline - its validation step
   * @param index - the validator's index in the collector (after the providers)
   */
  constructor(
    scenario: ResolvedScenario,
    readonly pipeline: ResolvedPipeline,
    readonly index: number,
  ) {
    this.compiled = compilePricing(pipeline.validator);
    this.draws = new AttemptDraws(pipeline.validator, scenario.seed);
    this.separate = Uint8Array.from(scenario.providers, (p) => (validationBy(p, true, true) === 'validator' ? 1 : 0));
  }
}

/**
 * After an attempt succeeded: starts the validator when the request needs it.
 * @param s - the state (with a validation step)
 * @param v - the step
 * @param a - the attempt that succeeded
 * @returns true when the validator was called (the request ends when it answers), false when the request is done
 */
export function validateAfter(s: SimState, v: ValidationStep, a: number): boolean {
  const at = s.attempts[a]!;
  const r = s.requests[at.req]!;
  if (!r.request.validate) return false;
  // The provider validated it in its bundle only when it was asked to (a gateway may drop `validate`).
  if (v.separate[at.provider] === 0 && attemptRequest(s, at).validate) return false;
  const req = r.request;
  if (refusal(v.compiled, req) !== undefined) {
    // The validator's pricing tables do not cover the request (a size its per-token table lacks).
    finish(s, at.req, 'failed', 'validator-refused');
    return true;
  }
  const call: ValidatorCall = { calls: 0, generationAttempt: at.number, kind: 'success', sentMs: 0, priceUsd: 0, billed: false };
  v.running.set(at.req, call);
  callValidator(s, v, at.req, call);
  return true;
}

/** Sends one call: its outcome and latency drawn, its price fixed now, its answer scheduled. */
function callValidator(s: SimState, v: ValidationStep, slot: number, call: ValidatorCall): void {
  const req = s.requests[slot]!.request;
  const now = s.clock.now;
  const spec = v.pipeline.validator;
  const draw = s.draw;
  v.draws.draw(req.id, call.calls, 0, req, draw);
  call.calls++;
  call.sentMs = now;
  s.collector.attempts++;
  const timedOut = draw.kind === 'timeout' || draw.ms > v.pipeline.timeoutMs;
  call.kind = timedOut ? 'timeout' : draw.kind;
  // A client timeout is billed per billing.timeout, as at a provider (the work was done).
  call.billed = billable(call.kind, spec.pricing.billing);
  call.priceUsd = call.billed ? validatorPrice(s, v, req, draw.ms) : 0;
  s.heap.push(now + (timedOut ? v.pipeline.timeoutMs : draw.ms), EV_VALIDATE, slot);
}

/** The validator's price for checking a request's image, USD, fixed when the call is sent. */
function validatorPrice(s: SimState, v: ValidationStep, req: ImageRequest, serviceMs: number): number {
  const opts = s.priceOpts;
  opts.atMs = s.clock.now;
  opts.tier = undefined;
  opts.availability = undefined;
  opts.serviceMs = serviceMs;
  opts.creditValueUsd = undefined;
  return price(v.compiled, req, opts);
}

/**
 * EV_VALIDATE: the validator answers a request's call: the bill, then the request succeeds,
 * calls again, or fails.
 * @param s - the state
 * @param slot - the request
 */
export function onValidated(s: SimState, slot: number): void {
  const v = s.validation!;
  const call = v.running.get(slot)!;
  const r = s.requests[slot]!;
  const now = s.clock.now;
  const kind = call.kind;
  s.collector.attempt(v.index, kind);
  const costUsd = call.priceUsd;
  if (costUsd > 0) {
    s.collector.cost(v.index, r.request, costUsd, kind !== 'success', now);
    s.budget.spend(costUsd, r.request.project, now, s.fired);
    if (s.fired.length > 0) recordAlerts(s);
  }
  if (s.record !== undefined) logCall(s, v, r.request, call, costUsd);
  if (kind === 'success') {
    v.running.delete(slot);
    finish(s, slot, 'succeeded', kind);
  } else if (call.calls < v.pipeline.maxAttempts && s.retryOn.has(kind)) {
    callValidator(s, v, slot, call);
  } else {
    v.running.delete(slot);
    finish(s, slot, 'failed', `validator-${kind}`);
  }
}

/** Hands a validator call to the attempt log (numbered on from the generation attempt). */
function logCall(s: SimState, v: ValidationStep, req: ImageRequest, call: ValidatorCall, costUsd: number): void {
  const rec = s.record!;
  rec.requestId = req.id;
  rec.attempt = call.generationAttempt + call.calls;
  rec.provider = v.pipeline.validator.id;
  rec.tier = v.pipeline.validator.defaultTier;
  rec.startMs = call.sentMs;
  rec.latencyMs = s.clock.now - call.sentMs;
  rec.outcome = call.kind;
  rec.code = undefined;
  rec.costUsd = costUsd;
  rec.size = req.size;
  rec.steps = req.steps;
  rec.quality = req.quality;
  rec.features = req.features;
  rec.project = req.project;
  rec.hedge = false;
  s.onAttempt!(rec);
}
