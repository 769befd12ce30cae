/**
 * Reserved capacity: a provider's dedicated slots, paid for by a fixed fee per slot per period,
 * with work beyond them overflowing to on-demand capacity. One rule for both clocks: the
 * simulator (src/sim) and the live provider (src/live/provider.ts) ask {@link reservedDecision}
 * where an attempt runs and what it costs; the fee schedule is {@link reservationFees}.
 *
 * An attempt that needs a slot takes a free reserved slot if there is one, at the reservation's
 * marginal `perImage` price (0 unless configured). When every reserved slot is busy it overflows:
 * to the provider's on-demand slots, queue and `pricing` (`overflow: on-demand`), or it is refused
 * as `overloaded` (`overflow: none`, a self-hosted cluster with nothing behind it), which the
 * routing policy retries or fails over like any 503. The decision is taken when the attempt is
 * sent; work queued on demand stays on demand.
 */
import type { ReservedSpec } from '../../scenario/schema.js';

/** Where an attempt at a provider with reserved capacity runs, and what it costs there. */
export type ReservedDecision =
  | { readonly slot: 'reserved'; readonly priceUsd: number }
  | { readonly slot: 'on-demand' }
  | { readonly slot: 'refused' };

const ON_DEMAND: ReservedDecision = Object.freeze({ slot: 'on-demand' });
const REFUSED: ReservedDecision = Object.freeze({ slot: 'refused' });

/**
 * Where an attempt runs: a free reserved slot at the marginal price, else on-demand capacity at
 * on-demand prices (the caller prices it with the provider's `pricing`), else refused.
 * @param reserved - the provider's reservation
 * @param reservedBusy - reserved slots busy now
 * @param images - images the attempt makes (live mode's `n`; 1 in simulated time)
 * @returns the decision; for `reserved`, the attempt's price, USD
 */
export function reservedDecision(reserved: ReservedSpec, reservedBusy: number, images = 1): ReservedDecision {
  if (reservedBusy < reserved.slots) return { slot: 'reserved', priceUsd: reserved.perImage * images };
  return reserved.overflow === 'on-demand' ? ON_DEMAND : REFUSED;
}

/** One fee billed for a reservation. */
export interface ReservationFee {
  /** When it is billed: the start of its period, epoch ms. */
  readonly atMs: number;
  /** The part of the period billed: 1, or the share inside the window when prorated. */
  readonly share: number;
  /** slots × feePerSlot × share, USD. */
  readonly usd: number;
}

/**
 * The fees a reservation bills over a window: one at the start of every period that starts in
 * it (periods counted from the window's start). The last period may stick out of the window:
 * `partial: prorate` bills the share inside it, `partial: whole` bills it whole.
 * @param reserved - the reservation
 * @param startMs - window start, epoch ms
 * @param endMs - window end, epoch ms
 * @returns the fees, in time order
 */
export function reservationFees(reserved: ReservedSpec, startMs: number, endMs: number): ReservationFee[] {
  const out: ReservationFee[] = [];
  const perPeriod = reserved.slots * reserved.feePerSlot;
  for (let k = 0; startMs + k * reserved.period < endMs; k++) {
    const atMs = startMs + k * reserved.period;
    const share = reserved.partial === 'whole' ? 1 : Math.min(1, (endMs - atMs) / reserved.period);
    out.push({ atMs, share, usd: perPeriod * share });
  }
  return out;
}
