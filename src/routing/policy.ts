/**
 * How a ranked candidate list is executed (docs/contract.md §2.6 `policy`), shared by the simulator and the
 * live harness: which candidate an attempt goes to next, how long a retry waits, and the
 * circuit breaker. Pure logic on plain state; the harnesses own the clocks and the sending.
 *
 * Rules:
 * - attempts walk the candidate list in order; moving to another provider (failover) is
 *   immediate;
 * - after the last candidate the walk starts over at the first (a retry of a provider already
 *   tried), waiting for backoff: initial × multiplier^(retry − 1), capped at `max`, with equal
 *   jitter (a uniform draw in [d/2, d]) when `jitter` is on; a 429's Retry-After from that
 *   provider is honoured (the wait is at least what it asked);
 * - an outcome not in `retryOn` ends the request at once; so do `maxAttempts` attempts, and a
 *   walk that finds no candidate whose breaker lets it through (`exhausted`).
 */
import { drawSourceFor, rngFor, type DrawSource, type Rng } from '../model/random.js';
import type { Policy } from '../scenario/schema.js';
import type { BreakerState, Candidate } from './strategy.js';

/** Attempts a gateway plan (`AttemptPlan`) may make for one request before the request is failed (`plan-limit`): a plan that never lets go. */
export const MAX_PLAN_ATTEMPTS = 1_000;
/** Plan steps without an attempt (waits) in a row before the request is failed (`plan-limit`). */
export const MAX_PLAN_IDLE_STEPS = 10_000;

/** The next attempt a request should make, or why it stops. */
export interface NextAttempt {
  /** Index into the candidate list, or -1 when the request is exhausted. */
  index: number;
  /** How long to wait before sending, ms (backoff and Retry-After for a retry, else 0). */
  delayMs: number;
  /** True when the provider was already tried for this request (a retry, not a failover). */
  retry: boolean;
}

/** Per-request walk state; reused between requests by the simulator. */
export class CandidateWalk {
  candidates: readonly Candidate[] = [];
  /** Position of the next candidate to consider. */
  cursor = 0;
  /** Attempts sent so far. */
  attempts = 0;
  /** Retries so far (attempts at a provider already tried). */
  retries = 0;
  /** Candidates already tried, as a bit set over indices (lists longer than 30 wrap). */
  private tried = 0;
  /** Earliest time each candidate may be tried again after a 429, by index; 0 = any time. */
  private readonly notBeforeMs: number[] = [];
  private hasNotBefore = false;

  /**
   * Starts a walk over a new candidate list.
   * @param candidates - ranked candidates from the strategy
   */
  reset(candidates: readonly Candidate[]): void {
    this.candidates = candidates;
    this.cursor = 0;
    this.attempts = 0;
    this.retries = 0;
    this.tried = 0;
    if (this.hasNotBefore) {
      this.notBeforeMs.length = 0;
      this.hasNotBefore = false;
    }
  }

  /**
   * Records that the attempt at candidate `index` was sent.
   * @param index - candidate index
   */
  sent(index: number): void {
    this.attempts++;
    this.tried |= 1 << (index % 30);
  }

  /**
   * Records a 429's Retry-After for a candidate.
   * @param index - candidate index
   * @param untilMs - the earliest time the provider accepts another request
   */
  retryAfter(index: number, untilMs: number): void {
    this.notBeforeMs[index] = Math.max(this.notBeforeMs[index] ?? 0, untilMs);
    this.hasNotBefore = true;
  }

  /**
   * Takes back the pick `next` just returned (e.g. a hedge that could only retry the provider
   * already answering), so the walk is as before it.
   * @param pick - what `next` returned
   */
  unpick(pick: NextAttempt): void {
    if (pick.index < 0) return;
    this.cursor = pick.index;
    if (pick.retry) this.retries--;
  }

  /**
   * Picks the next attempt.
   * @param policy - the scenario's policy
   * @param nowMs - current time
   * @param allow - whether a candidate's breaker lets an attempt through (by index)
   * @param rng - stream for backoff jitter
   * @param out - record to fill (reused)
   * @returns `out`
   */
  next(policy: Policy, nowMs: number, allow: (index: number) => boolean, rng: Rng, out: NextAttempt): NextAttempt {
    out.index = -1;
    out.delayMs = 0;
    out.retry = false;
    const n = this.candidates.length;
    if (n === 0 || this.attempts >= policy.maxAttempts) return out;
    for (let k = 0; k < n; k++) {
      const index = (this.cursor + k) % n;
      if (!allow(index)) continue;
      this.cursor = index + 1;
      out.index = index;
      out.retry = (this.tried & (1 << (index % 30))) !== 0;
      if (out.retry) {
        this.retries++;
        const notBefore = this.hasNotBefore ? (this.notBeforeMs[index] ?? 0) : 0;
        out.delayMs = Math.max(backoffMs(policy.backoff, this.retries, rng), notBefore - nowMs);
      }
      return out;
    }
    return out;
  }
}

/**
 * Backoff before the k-th retry: initial × multiplier^(k − 1), capped at max; with jitter, a
 * uniform draw in [d/2, d] ("equal jitter": spreads retries yet keeps a floor).
 * @param backoff - the policy's backoff settings
 * @param k - 1 for the first retry
 * @param rng - stream for the jitter
 * @returns ms to wait
 */
export function backoffMs(backoff: Policy['backoff'], k: number, rng: Rng): number {
  const d = Math.min(backoff.max, backoff.initial * Math.pow(backoff.multiplier, Math.max(0, k - 1)));
  return backoff.jitter ? d / 2 + rng.next() * (d / 2) : d;
}

/** Circuit-breaker settings (policy.circuitBreaker). */
export type BreakerConfig = NonNullable<Policy['circuitBreaker']>;

/**
 * A circuit breaker for one provider: `failures` failed attempts within `window` open it; after
 * `cooldown` it is half-open and lets one trial attempt through; the trial's success closes it,
 * its failure opens it again.
 */
export class CircuitBreaker {
  private readonly failureTimes: Float64Array;
  private head = 0;
  private count = 0;
  private openedAt = -Infinity;
  private open = false;
  private trialInFlight = false;

  /** @param config - thresholds and durations (ms) */
  constructor(private readonly config: BreakerConfig) {
    this.failureTimes = new Float64Array(config.failures);
  }

  /**
   * The state at a time.
   * @param nowMs - current time
   * @returns closed, open or half-open
   */
  state(nowMs: number): BreakerState {
    if (!this.open) return 'closed';
    return nowMs - this.openedAt >= this.config.cooldown ? 'half-open' : 'open';
  }

  /**
   * Whether an attempt may go to this provider now (a half-open breaker admits one trial).
   * @param nowMs - current time
   * @returns true when allowed
   */
  allow(nowMs: number): boolean {
    const s = this.state(nowMs);
    if (s === 'closed') return true;
    return s === 'half-open' && !this.trialInFlight;
  }

  /**
   * Records that an attempt was sent.
   * @param nowMs - current time
   * @returns true when it is a half-open breaker's trial (pass it back to `onResult`/`abandonTrial`)
   */
  onSend(nowMs: number): boolean {
    if (this.state(nowMs) !== 'half-open') return false;
    this.trialInFlight = true;
    return true;
  }

  /** The trial attempt was cancelled before it answered: let another trial through. */
  abandonTrial(): void {
    this.trialInFlight = false;
  }

  /**
   * Records an attempt's result.
   * @param ok - whether it succeeded (filtered requests count as ok: the request's fault)
   * @param nowMs - current time
   * @param trial - whether this attempt was the half-open trial (from `onSend`)
   */
  onResult(ok: boolean, nowMs: number, trial = false): void {
    if (this.open) {
      // Only the trial's answer decides; answers of attempts sent before the breaker opened do not.
      if (trial && this.trialInFlight) {
        this.trialInFlight = false;
        if (ok) {
          this.open = false;
          this.count = 0;
        } else {
          this.openedAt = nowMs;
        }
      }
      return;
    }
    if (ok) return;
    const cap = this.failureTimes.length;
    this.failureTimes[this.head] = nowMs;
    this.head = (this.head + 1) % cap;
    if (this.count < cap) this.count++;
    // The oldest of the last `failures` failures sits at `head` once the ring is full.
    if (this.count === cap && nowMs - this.failureTimes[this.head % cap]! <= this.config.window) {
      this.open = true;
      this.openedAt = nowMs;
      this.count = 0;
    }
  }
}

/**
 * The policy's random streams, named in one place so the simulator and the live harness draw
 * alike: backoff jitter keyed by (request, attempt) for common random numbers, and a stream
 * for first attempts, which never wait and so never read it.
 * @param seed - the scenario seed
 * @returns the two streams
 */
export function policyStreams(seed: number): { readonly backoff: DrawSource; readonly firstAttempt: Rng } {
  return { backoff: drawSourceFor(seed, 'policy/backoff'), firstAttempt: rngFor(seed, 'policy/first-attempt') };
}
