/**
 * A provider and its account in simulated time: GPU slots scaled by availability, a bounded
 * FIFO queue, the account's rate limit (token bucket), spend quota and credits ledger.
 */
import { AvailabilityCurve, effectiveConcurrency } from '../model/availability.js';
import { CreditsLedger } from '../model/credits.js';
import { makeSampler, type LatencySampler } from '../model/latency.js';
import { DrawSource, drawSourceFor } from '../model/random.js';
import type { ResolvedProvider } from '../scenario/resolve.js';

/** Error answers without an `errorLatency` take this long (a fast 4xx/5xx round trip). */
export const DEFAULT_ERROR_LATENCY_MS = 200;
/** Without `rateLimit.burst`, the bucket holds this many seconds of the per-minute allowance. */
export const DEFAULT_BURST_SECONDS = 5;

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

/** Rate limit, quota and credits shared by the providers of one account. */
export class AccountRuntime {
  private tokens: number;
  private lastRefillMs: number;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private quotaPeriod = -1;
  private quotaSpentUsd = 0;
  readonly ledger: CreditsLedger | undefined;

  /**
   * @param provider - the first provider of the account (rate limit, quota and credits are per account)
   * @param startMs - run start
   */
  constructor(
    readonly provider: ResolvedProvider,
    private readonly startMs: number,
  ) {
    const rl = provider.rateLimit;
    this.ratePerMs = rl ? rl.rpm / 60_000 : Infinity;
    this.burst = rl ? (rl.burst ?? Math.max(1, Math.ceil((rl.rpm / 60) * DEFAULT_BURST_SECONDS))) : Infinity;
    this.tokens = this.burst;
    this.lastRefillMs = startMs;
    this.ledger = provider.pricing.model === 'credits' ? new CreditsLedger(provider.pricing, startMs) : undefined;
  }

  /**
   * Takes one request token.
   * @param nowMs - current time
   * @returns 0 when allowed, else ms until a token is available (the Retry-After)
   */
  take(nowMs: number): number {
    if (this.ratePerMs === Infinity) return 0;
    this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.lastRefillMs) * this.ratePerMs);
    this.lastRefillMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    // Retry-After is sent in whole seconds, as HTTP has it.
    return Math.ceil((1 - this.tokens) / this.ratePerMs / 1000) * 1000;
  }

  /**
   * Whether the account's spend quota is used up for the current period.
   * @param nowMs - current time
   * @returns true when further attempts are refused (`insufficient_quota`)
   */
  quotaExhausted(nowMs: number): boolean {
    const q = this.provider.quota;
    if (!q) return false;
    this.rollQuota(nowMs, q.period);
    return this.quotaSpentUsd >= q.limit;
  }

  /**
   * Counts spend against the quota.
   * @param costUsd - amount billed
   * @param nowMs - when
   */
  addSpend(costUsd: number, nowMs: number): void {
    const q = this.provider.quota;
    if (!q) return;
    this.rollQuota(nowMs, q.period);
    this.quotaSpentUsd += costUsd;
  }

  private rollQuota(nowMs: number, periodMs: number): void {
    const period = Math.floor((nowMs - this.startMs) / periodMs);
    if (period !== this.quotaPeriod) {
      this.quotaPeriod = period;
      this.quotaSpentUsd = 0;
    }
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
    readonly account: AccountRuntime,
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
