/**
 * `appliesTo`: the urgencies a discount is for (docs/scenario-reference.md, Modifiers). Providers
 * discount batch submissions, not interactive calls in the same hour, so an off-peak window or a
 * validation bundle may be limited to `batch` work. Compiled to a bit mask so the hot path tests
 * one AND.
 */
import { URGENCIES, type Urgency } from '../request.js';

/** A set of urgencies as bits: bit i is `URGENCIES[i]`. */
export type UrgencyMask = number;

/** What `appliesTo` may say: every urgency, one, or a list. */
export type AppliesTo = 'all' | Urgency | readonly Urgency[];

/** Every urgency: the mask of `appliesTo: all` and of a discount that does not say. */
export const ALL_URGENCIES: UrgencyMask = (1 << URGENCIES.length) - 1;

/**
 * The bit of one urgency.
 * @param urgency - the urgency
 * @returns its bit
 */
export function urgencyBit(urgency: Urgency): UrgencyMask {
  // Two urgencies: a comparison, no lookup, on the hot path.
  return urgency === 'interactive' ? 1 : 2;
}

/**
 * Compiles `appliesTo` to a mask.
 * @param appliesTo - as the scenario says it; undefined means `all`
 * @returns the mask
 */
export function appliesToMask(appliesTo: AppliesTo | undefined): UrgencyMask {
  if (appliesTo === undefined || appliesTo === 'all') return ALL_URGENCIES;
  if (typeof appliesTo === 'string') return urgencyBit(appliesTo);
  let mask = 0;
  for (const u of appliesTo) mask |= urgencyBit(u);
  return mask;
}

/**
 * The urgencies of a mask in words, for a quote line.
 * @param mask - the mask
 * @returns `batch work`, `interactive work`, or `interactive and batch work`
 */
export function appliesToText(mask: UrgencyMask): string {
  return `${URGENCIES.filter((u) => (mask & urgencyBit(u)) !== 0).join(' and ')} work`;
}
