/**
 * A provider account: what the providers sharing an `account` share (docs/contract.md §2 and §2.1): the rate
 * limit (a token bucket), the spend quota per period, and the credits ledger. Pure: time is an
 * argument (simulated ms), so the simulator and the live servers run the same rules.
 */
import type { ResolvedProvider } from '../scenario/resolve.js';
import { CreditsLedger } from './credits.js';

/** Without `rateLimit.burst`, the bucket holds this many seconds of the per-minute allowance. */
export const DEFAULT_BURST_SECONDS = 5;
/** Error answers without an `errorLatency` take this long (a fast 4xx/5xx round trip), ms. */
export const DEFAULT_ERROR_LATENCY_MS = 200;

/** The rate limit as `x-ratelimit-*` headers describe it. */
export interface RateLimitState {
  /** Requests per minute. */
  readonly limit: number;
  /** Whole requests the bucket would allow now. */
  readonly remaining: number;
  /** Until the bucket is full again, simulated ms. */
  readonly resetMs: number;
}

/** Rate limit, quota and credits of one account. */
export class Account {
  private tokens: number;
  private lastRefillMs: number;
  private readonly ratePerMs: number;
  private readonly burst: number;
  private quotaPeriod = -1;
  private quotaSpentUsd = 0;
  /** The credits ledger, for `credits` pricing. */
  readonly ledger: CreditsLedger | undefined;

  /**
   * @param provider - the account's first provider (rate limit, quota and credits are per account)
   * @param startMs - start of the run, simulated epoch ms
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

  private refill(nowMs: number): void {
    if (nowMs > this.lastRefillMs) {
      this.tokens = Math.min(this.burst, this.tokens + (nowMs - this.lastRefillMs) * this.ratePerMs);
      this.lastRefillMs = nowMs;
    }
  }

  /**
   * Takes one request token.
   * @param nowMs - simulated now
   * @returns 0 when allowed, else exact simulated ms until a token is available
   */
  take(nowMs: number): number {
    if (this.ratePerMs === Infinity) return 0;
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return (1 - this.tokens) / this.ratePerMs;
  }

  /**
   * The bucket now, for `x-ratelimit-*` headers.
   * @param nowMs - simulated now
   * @returns the state, or undefined without a rate limit
   */
  rateLimit(nowMs: number): RateLimitState | undefined {
    const rl = this.provider.rateLimit;
    if (rl === undefined) return undefined;
    this.refill(nowMs);
    return { limit: rl.rpm, remaining: Math.floor(this.tokens), resetMs: (this.burst - this.tokens) / this.ratePerMs };
  }

  /**
   * Whether the spend quota is used up for the current period.
   * @param nowMs - simulated now
   * @returns true when attempts are refused (`insufficient_quota`)
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
   * @param nowMs - simulated now
   */
  addSpend(costUsd: number, nowMs: number): void {
    const q = this.provider.quota;
    if (!q) return;
    this.rollQuota(nowMs, q.period);
    this.quotaSpentUsd += costUsd;
  }

  /** Refills the bucket and forgets the quota's spend (the live servers' reset). */
  reset(nowMs: number): void {
    this.tokens = this.burst;
    this.lastRefillMs = nowMs;
    this.quotaPeriod = -1;
    this.quotaSpentUsd = 0;
  }

  private rollQuota(nowMs: number, periodMs: number): void {
    const period = Math.floor((nowMs - this.startMs) / periodMs);
    if (period !== this.quotaPeriod) {
      this.quotaPeriod = period;
      this.quotaSpentUsd = 0;
    }
  }
}
