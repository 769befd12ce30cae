/**
 * A provider in simulated time: GPU slots scaled by availability and a bounded FIFO queue; its
 * account (rate limit, quota, credits) is the model's `Account`, shared with live mode.
 */
import { AvailabilityCurve, effectiveConcurrency } from '../model/availability.js';
import { Account, DEFAULT_ERROR_LATENCY_MS } from '../model/account.js';
import { drawOutcome, type SimFailureKind } from '../model/failures.js';
import { makeSampler, serviceScale, type LatencySampler } from '../model/latency.js';
import { DrawSource, drawSourceFor, type Rng } from '../model/random.js';
import type { ImageRequest } from '../model/request.js';
import type { ResolvedProvider } from '../scenario/resolve.js';

/** What one attempt's common random numbers decide at a provider (a record the caller reuses). */
export interface AttemptDraw {
  /** The outcome by the failure probabilities (rate limits, overload and timeouts are the caller's). */
  kind: SimFailureKind | 'success';
  /**
   * For a fast failure (`server-error`, `filtered`): how long its answer takes. Otherwise: the
   * service time of the work on the tier drawn for, scaled to the request (queue wait excluded), ms.
   */
  ms: number;
}

/** A growable ring buffer of attempt refs (the provider's FIFO queue). */
export class RefQueue {
  private items = new Int32Array(64);
  private head = 0;
  /** Items waiting. */
  length = 0;

  /** @param ref - attempt ref to enqueue */
  push(ref: number): void {
    if (this.length === this.items.length) {
      const bigger = new Int32Array(this.items.length * 2);
      for (let i = 0; i < this.length; i++) bigger[i] = this.items[(this.head + i) % this.items.length]!;
      this.items = bigger;
      this.head = 0;
    }
    this.items[(this.head + this.length) % this.items.length] = ref;
    this.length++;
  }

  /** @returns the oldest ref, or -1 when empty */
  shift(): number {
    if (this.length === 0) return -1;
    const ref = this.items[this.head]!;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return ref;
  }
}

/** One provider's state in simulated time. */
export class ProviderRuntime {
  readonly queue = new RefQueue();
  /** Attempts holding a slot. */
  busy = 0;
  readonly samplers: readonly LatencySampler[];
  readonly errorSampler: LatencySampler;
  readonly draws: DrawSource;

  /**
   * @param spec - the provider
   * @param curve - its availability a(t)
   * @param account - its account's shared state
   * @param seed - scenario seed (for the common-random-number stream `provider/<id>`)
   */
  constructor(
    readonly spec: ResolvedProvider,
    readonly curve: AvailabilityCurve,
    readonly account: Account,
    seed: number,
  ) {
    this.samplers = spec.tierList.map((t) => makeSampler(t.latency));
    this.errorSampler = makeSampler(spec.failures.errorLatency ?? { dist: 'fixed', value: DEFAULT_ERROR_LATENCY_MS });
    this.draws = drawSourceFor(seed, `provider/${spec.id}`);
  }

  /**
   * Decodes the draw of one attempt: its uniform picks the outcome ({@link drawOutcome}); then,
   * from the same stream, a fast failure draws its error latency and anything else the tier's
   * service time. The one mapping from draws to outcomes and times: the engine sends attempts
   * with it and the hindsight oracle reads first attempts with it, so the two cannot disagree.
   * @param request - the request (its id keys the draw; steps and size scale the service time)
   * @param visit - how many attempts of this request reached this provider before (0 = first)
   * @param tier - index into `spec.tierList`
   * @param out - the record to fill
   * @returns the stream, positioned after the draws used (shared: valid until the next draw)
   */
  drawAttempt(request: ImageRequest, visit: number, tier: number, out: AttemptDraw): Rng {
    const rng = this.draws.at(request.id, visit);
    const kind = drawOutcome(this.spec.failures, rng.next());
    out.kind = kind;
    out.ms =
      kind === 'server-error' || kind === 'filtered'
        ? this.errorSampler.sample(rng)
        : this.samplers[tier]!.sample(rng) * serviceScale(this.spec, request.steps, request.width, request.height);
    return rng;
  }

  /**
   * How long the answer to an attempt refused before its outcome is read (`overloaded` at
   * a(t) = 0, `rate-limited`) takes: the error latency, from the same stream as
   * {@link drawAttempt} after its outcome uniform.
   * @param requestId - the request's id
   * @param visit - as for {@link drawAttempt}
   * @returns ms
   */
  refusedLatencyMs(requestId: number, visit: number): number {
    const rng = this.draws.at(requestId, visit);
    rng.next(); // the outcome uniform, unread
    return this.errorSampler.sample(rng);
  }

  /**
   * Slots usable now: ⌊concurrency × a(t)⌋, at least 1 while a > 0.
   * @param nowMs - current time
   * @returns slots
   */
  slots(nowMs: number): number {
    return effectiveConcurrency(this.spec.capacity.concurrency, this.curve.at(nowMs));
  }
}
