/**
 * The bounds every number imgsim takes in must stay within, whether a scenario, a trace row or
 * a live request sends it: far above anything a real image API or workload needs, low enough
 * that every price, latency and ledger total computed from them stays a finite number.
 * Documented in docs/scenario-reference.md ("Limits") and docs/cli.md (serve).
 */
import { ImgsimError } from './errors.js';

/** Most steps one request may ask for (no diffusion model runs more; keeps per-step prices finite). */
export const MAX_STEPS = 10_000;

/** Longest image side, px (16K: beyond every provider's largest output). */
export const MAX_SIDE_PX = 16_384;

/** Largest amount of money a scenario may name, USD (a price, a budget, a quota): one billion. */
export const MAX_USD = 1e9;

/** Largest amount of credits a scenario may name (a bundle, a price per image). */
export const MAX_CREDITS = 1e12;

/** Most output tokens a per-token price table may give one image (gpt-image's largest is 6,240). */
export const MAX_TOKENS = 1e9;

/** Largest price multiplier or factor a scenario may name (tiers, qualities, features). */
export const MAX_FACTOR = 1e6;

/** Longest duration a scenario, a trace or the command line may name: ten years of 365 days, ms. */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/**
 * Throws unless an amount about to be added to a running total is finite and >= 0: the
 * ledger's invariant (input bounds keep it; this says so loudly if a bound is ever missed).
 * @param amount - USD or credits
 * @param what - what is being added, and to what, for the message
 * @throws ImgsimError (`internal`) for NaN, ±Infinity or a negative amount
 */
export function assertFiniteAmount(amount: number, what: string): void {
  if (Number.isFinite(amount) && amount >= 0) return;
  throw new ImgsimError(
    'internal',
    `${what}: refusing to add ${String(amount)} to the ledger (amounts must be finite and >= 0); a request or scenario value escaped its bounds, please report it with the scenario and request`,
  );
}
