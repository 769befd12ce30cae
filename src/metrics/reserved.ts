/**
 * What a run's reserved capacity did, per provider with a reservation: fees, marginal and
 * overflow charges, reserved slot time, and the report's `providers.<id>.reserved` section
 * (utilisation and effective cost per image). Kept only when some provider has a reservation.
 */
import type { ReservedSpec } from '../scenario/schema.js';
import type { ReservedReport } from './report-schema.js';

/** Counters of one provider's reservation. */
interface Counters {
  feeUsd: number;
  periods: number;
  marginalUsd: number;
  overflowUsd: number;
  reservedAttempts: number;
  overflowAttempts: number;
  refused: number;
  busySlotMs: number;
}

/** Reserved-capacity counters of one strategy's run. */
export class ReservedTally {
  private readonly counters: (Counters | undefined)[];

  /**
   * @param specs - each provider's reservation, undefined where it has none (scenario order)
   * @param startMs - window start, epoch ms
   * @param endMs - window end: slot time after it is outside the window
   */
  constructor(
    private readonly specs: readonly (ReservedSpec | undefined)[],
    private readonly startMs: number,
    private readonly endMs: number,
  ) {
    this.counters = specs.map((r) =>
      r === undefined ? undefined : { feeUsd: 0, periods: 0, marginalUsd: 0, overflowUsd: 0, reservedAttempts: 0, overflowAttempts: 0, refused: 0, busySlotMs: 0 },
    );
  }

  /**
   * Counts a fee billed.
   * @param provider - provider index
   * @param usd - the fee
   */
  fee(provider: number, usd: number): void {
    const c = this.counters[provider]!;
    c.feeUsd += usd;
    c.periods++;
  }

  /**
   * Counts where an attempt went ({@link reservedDecision}).
   * @param provider - provider index
   * @param slot - the decision
   */
  decided(provider: number, slot: 'reserved' | 'on-demand' | 'refused'): void {
    const c = this.counters[provider]!;
    if (slot === 'reserved') c.reservedAttempts++;
    else if (slot === 'on-demand') c.overflowAttempts++;
    else c.refused++;
  }

  /**
   * Counts reserved slot time: from a start to its end, the part inside the window.
   * @param provider - provider index
   * @param fromMs - when the work starts
   * @param serviceMs - how long it holds the slot
   */
  busy(provider: number, fromMs: number, serviceMs: number): void {
    const inside = Math.min(fromMs + serviceMs, this.endMs) - Math.max(fromMs, this.startMs);
    if (inside > 0) this.counters[provider]!.busySlotMs += inside;
  }

  /**
   * Counts a charge of an attempt at a provider with a reservation.
   * @param provider - provider index
   * @param onReserved - the attempt ran on a reserved slot (marginal), else on demand (overflow)
   * @param usd - the charge
   */
  billed(provider: number, onReserved: boolean, usd: number): void {
    const c = this.counters[provider]!;
    if (onReserved) c.marginalUsd += usd;
    else c.overflowUsd += usd;
  }

  /**
   * The report section of a provider's reservation.
   * @param provider - provider index
   * @param images - the provider's successful attempts
   * @returns the section, or undefined when the provider has no reservation
   */
  report(provider: number, images: number): ReservedReport | undefined {
    const c = this.counters[provider];
    const r = this.specs[provider];
    if (c === undefined || r === undefined) return undefined;
    return reservedReport(r.slots, this.endMs - this.startMs, c, images);
  }
}

/**
 * The `reserved` section from its counters: utilisation = reserved slot time ÷ (slots × window);
 * cost per image = (fees + marginal + overflow) ÷ successful images.
 * @param slots - reserved slots
 * @param windowMs - the simulated window
 * @param c - the counters
 * @param images - successful images at the provider
 * @returns the section
 */
export function reservedReport(slots: number, windowMs: number, c: Readonly<Counters>, images: number): ReservedReport {
  const total = c.feeUsd + c.marginalUsd + c.overflowUsd;
  return {
    slots,
    periods: c.periods,
    fee: c.feeUsd,
    marginal: c.marginalUsd,
    overflow: c.overflowUsd,
    attempts: { reserved: c.reservedAttempts, overflow: c.overflowAttempts, refused: c.refused },
    busySlotMs: c.busySlotMs,
    utilisation: slots > 0 && windowMs > 0 ? c.busySlotMs / (slots * windowMs) : 0,
    images,
    costPerImage: images > 0 ? total / images : 0,
  };
}
