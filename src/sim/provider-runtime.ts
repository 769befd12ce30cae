/**
 * A provider in simulated time: GPU slots scaled by availability and a bounded FIFO queue; its
 * account (rate limit, quota, credits) is the model's `Account`, shared with live mode.
 */
import { AvailabilityCurve, effectiveConcurrency } from '../model/availability.js';
import type { Account } from '../model/account.js';
import type { LatencySampler } from '../model/latency.js';
import type { Rng } from '../model/random.js';
import type { ImageRequest } from '../model/request.js';
import { AttemptDraws, type AttemptDraw } from '../model/rules/draw.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import { ReservedLane } from './reserved.js';

export type { AttemptDraw } from '../model/rules/draw.js';

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
  /** The attempt draws (src/model/rules/draw.ts, shared with live mode). */
  readonly draw: AttemptDraws;
  /** Its reserved slots, when it has a reservation. */
  readonly reserved: ReservedLane | undefined;

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
    this.draw = new AttemptDraws(spec, seed);
    this.reserved = spec.reserved === undefined ? undefined : new ReservedLane(spec.reserved);
  }

  /** The error latency sampler (for an `overloaded` answer to a full queue: {@link AttemptDraws.queueFullLatencyMs}). */
  get errorSampler(): LatencySampler {
    return this.draw.errorSampler;
  }

  /**
   * Decodes the draw of one attempt ({@link AttemptDraws.draw}, the one mapping from draws to
   * outcomes and times: the engine sends attempts with it and the hindsight oracle reads first
   * attempts with it, so the two cannot disagree).
   * @param request - the request (its id keys the draw; steps and size scale the service time)
   * @param visit - how many attempts of this request reached this provider before (0 = first)
   * @param tier - index into `spec.tierList`
   * @param out - the record to fill
   * @returns the stream, positioned after the draws used (shared: valid until the next draw)
   */
  drawAttempt(request: ImageRequest, visit: number, tier: number, out: AttemptDraw): Rng {
    return this.draw.draw(request.id, visit, tier, request, out);
  }

  /**
   * How long the answer to an attempt refused before its outcome is read takes
   * ({@link AttemptDraws.refusedLatencyMs}).
   * @param requestId - the request's id
   * @param visit - as for {@link drawAttempt}
   * @returns ms
   */
  refusedLatencyMs(requestId: number, visit: number): number {
    return this.draw.refusedLatencyMs(requestId, visit);
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
