/**
 * Admission: whether a provider takes an attempt, and where it goes once taken. The one rule of
 * the provider model for both clocks: the simulator (src/sim) calls it at simulated instants,
 * the live provider (src/live/provider.ts) at scaled wall-clock instants.
 *
 * Order (docs/contract.md §2.3): a(t) = 0 → `overloaded`; no rate-limit token → `rate-limited`
 * with Retry-After; quota spent → `rate-limited` (`insufficient_quota`); then the outcome draw;
 * fast failures need no slot; the rest start when a slot is free (⌊concurrency × a(t)⌋), else
 * wait in the FIFO queue, else (queue full) `overloaded`.
 */
import type { Account } from '../account.js';
import { effectiveConcurrency } from '../availability.js';

/** The gate's answer: `open`, or the refusal the client receives before any work is drawn. */
export type Gate =
  | { readonly kind: 'open' }
  | { readonly kind: 'refused'; readonly outcome: 'overloaded'; readonly code: 'overloaded' }
  | { readonly kind: 'refused'; readonly outcome: 'rate-limited'; readonly code: 'insufficient_quota' }
  | { readonly kind: 'refused'; readonly outcome: 'rate-limited'; readonly code: 'rate_limit_exceeded'; readonly retryAfterMs: number };

const OPEN: Gate = Object.freeze({ kind: 'open' });
const UNAVAILABLE: Gate = Object.freeze({ kind: 'refused', outcome: 'overloaded', code: 'overloaded' });
const QUOTA: Gate = Object.freeze({ kind: 'refused', outcome: 'rate-limited', code: 'insufficient_quota' });

/**
 * The gate an attempt passes before its outcome is drawn. Takes a rate-limit token when open
 * (the account changes: call it once per attempt).
 * @param account - the provider's account (rate limit, quota)
 * @param availability - a(t) now
 * @param nowMs - now, on the caller's clock (simulated epoch ms)
 * @returns `open`, or the refusal (a rate limit carries Retry-After in whole seconds, as HTTP sends it)
 */
export function admissionGate(account: Account, availability: number, nowMs: number): Gate {
  if (availability <= 0) return UNAVAILABLE;
  const waitMs = account.take(nowMs);
  if (waitMs > 0) return { kind: 'refused', outcome: 'rate-limited', code: 'rate_limit_exceeded', retryAfterMs: retryAfterMs(waitMs) };
  if (account.quotaExhausted(nowMs)) return QUOTA;
  return OPEN;
}

/**
 * Retry-After as the provider sends it: whole seconds, rounded up.
 * @param waitMs - exact ms until a token is available
 * @returns ms, a multiple of 1000
 */
export function retryAfterMs(waitMs: number): number {
  return Math.ceil(waitMs / 1000) * 1000;
}

/** Where an admitted attempt whose work needs a slot goes. */
export type Placement = 'start' | 'queue' | 'overloaded';

/**
 * Places an attempt that needs a slot: start now, wait in the FIFO queue, or refuse (queue full).
 * @param busy - attempts holding a slot
 * @param queued - attempts waiting
 * @param concurrency - the provider's `capacity.concurrency`
 * @param queueBound - the provider's `capacity.queue`
 * @param availability - a(t) now
 * @returns the placement
 */
export function placement(busy: number, queued: number, concurrency: number, queueBound: number, availability: number): Placement {
  if (busy < effectiveConcurrency(concurrency, availability)) return 'start';
  return queued < queueBound ? 'queue' : 'overloaded';
}

/**
 * Whether a drawn outcome answers without a slot, after the error latency (docs/contract.md §2.3).
 * @param kind - the drawn outcome
 * @returns true for `server-error` and `filtered`, and for live mode's `malformed` (a server
 *   error sent as a broken 200 body; the simulator draws it as `server-error`)
 */
export function answersWithoutSlot(kind: string): kind is 'server-error' | 'filtered' | 'malformed' {
  return kind === 'server-error' || kind === 'filtered' || kind === 'malformed';
}
