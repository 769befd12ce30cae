/**
 * Failure draws (docs/contract.md §2.3): one uniform number per attempt picks its outcome from the
 * provider's failure probabilities, laid end to end in a fixed order on [0, 1):
 * serverError, timeout, generative, filtered, connectionReset, malformed, then success.
 * A fixed order means the same uniform draw (common random numbers) gives the same outcome to
 * every strategy that sends the same request to the same provider.
 */
import type { OutcomeKind, failuresSchema } from '../scenario/schema.js';
import type { z } from 'zod';

/** The per-attempt failure probabilities of a provider (the schema's `failures`, without `errorLatency`). */
export type FailureProbabilities = Pick<
  z.output<typeof failuresSchema>,
  'serverError' | 'timeout' | 'generative' | 'filtered' | 'connectionReset' | 'malformed'
>;

/** A failure drawn in simulated time: `malformed` counts as `server-error` there. */
export type SimFailureKind = Extract<OutcomeKind, 'server-error' | 'timeout' | 'generative' | 'filtered' | 'connection-reset'>;

/** A failure drawn in live mode, where a malformed body is its own kind so the server can send one. */
export type LiveFailureKind = SimFailureKind | 'malformed';

/**
 * Picks the outcome of one attempt. Probabilities are cumulative in the order serverError,
 * timeout, generative, filtered, connectionReset, malformed; u below the running sum selects
 * the kind. If the probabilities sum above 1, the kinds late in the order are crowded out.
 * @param failures - the provider's failure probabilities
 * @param u - a uniform draw in [0, 1)
 * @param live - live mode: return `malformed` as its own kind instead of `server-error`
 * @returns the failure kind, or `success`
 */
export function drawOutcome(failures: FailureProbabilities, u: number, live?: false): SimFailureKind | 'success';
export function drawOutcome(failures: FailureProbabilities, u: number, live: true): LiveFailureKind | 'success';
export function drawOutcome(failures: FailureProbabilities, u: number, live: boolean): LiveFailureKind | 'success';
export function drawOutcome(failures: FailureProbabilities, u: number, live = false): LiveFailureKind | 'success' {
  let edge = failures.serverError;
  if (u < edge) return 'server-error';
  edge += failures.timeout;
  if (u < edge) return 'timeout';
  edge += failures.generative;
  if (u < edge) return 'generative';
  edge += failures.filtered;
  if (u < edge) return 'filtered';
  edge += failures.connectionReset;
  if (u < edge) return 'connection-reset';
  edge += failures.malformed;
  if (u < edge) return live ? 'malformed' : 'server-error';
  return 'success';
}

/**
 * The probability that an attempt fails by draw (not counting rate limits and overload).
 * @param failures - the provider's failure probabilities
 * @returns the sum of the six probabilities, capped at 1
 */
export function failureTotal(failures: FailureProbabilities): number {
  const sum = failures.serverError + failures.timeout + failures.generative + failures.filtered + failures.connectionReset + failures.malformed;
  return sum > 1 ? 1 : sum;
}
