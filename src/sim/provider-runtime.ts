/**
 * A provider in simulated time: GPU slots scaled by availability and a bounded FIFO queue; its
 * account (rate limit, quota, credits) is the model's `Account`, shared with live mode.
 */
import { AvailabilityCurve, effectiveConcurrency } from '../model/availability.js';
import { Account, DEFAULT_ERROR_LATENCY_MS } from '../model/account.js';
import { makeSampler, type LatencySampler } from '../model/latency.js';
import { DrawSource, drawSourceFor } from '../model/random.js';
import type { ResolvedProvider } from '../scenario/resolve.js';


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
   * Slots usable now: ⌊concurrency × a(t)⌋, at least 1 while a > 0.
   * @param nowMs - current time
   * @returns slots
   */
  slots(nowMs: number): number {
    return effectiveConcurrency(this.spec.capacity.concurrency, this.curve.at(nowMs));
  }
}
