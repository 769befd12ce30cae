/**
 * Reserved capacity (src/model/rules/reserved.ts): where an attempt runs and what it costs,
 * and the fees per started period. Figures worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { reservationFees, reservedDecision } from '../../src/model/rules/reserved.js';
import type { ReservedSpec } from '../../src/scenario/schema.js';

const DAY_MS = 86_400_000;
const reservation: ReservedSpec = { slots: 8, feePerSlot: 300, period: 30 * DAY_MS, partial: 'prorate', perImage: 0.002, overflow: 'on-demand' };

describe('reservedDecision', () => {
  it('runs on a free reserved slot at the marginal price per image', () => {
    expect(reservedDecision(reservation, 0)).toEqual({ slot: 'reserved', priceUsd: 0.002 });
    expect(reservedDecision(reservation, 7)).toEqual({ slot: 'reserved', priceUsd: 0.002 });
    // Live mode's n = 4 images: 4 × $0.002.
    expect(reservedDecision(reservation, 7, 4)).toEqual({ slot: 'reserved', priceUsd: 0.008 });
  });

  it('overflows on demand when every reserved slot is busy, or refuses without overflow', () => {
    expect(reservedDecision(reservation, 8)).toEqual({ slot: 'on-demand' });
    expect(reservedDecision({ ...reservation, overflow: 'none' }, 8)).toEqual({ slot: 'refused' });
    // No slots at all: everything is on demand (the sweep's "stay on-demand" point).
    expect(reservedDecision({ ...reservation, slots: 0 }, 0)).toEqual({ slot: 'on-demand' });
  });
});

describe('reservationFees', () => {
  const start = Date.UTC(2026, 0, 1);

  it('bills slots × feePerSlot at the start of every period, the last one prorated', () => {
    // 70 days = 30 + 30 + 10: periods start on day 0, 30 and 60; 8 × $300 = $2,400 a period,
    // the third for 10/30 of it: $800.
    const fees = reservationFees(reservation, start, start + 70 * DAY_MS);
    expect(fees.map((f) => (f.atMs - start) / DAY_MS)).toEqual([0, 30, 60]);
    expect(fees.map((f) => f.share)).toEqual([1, 1, 10 / 30]);
    expect(fees[0]!.usd).toBe(2400);
    expect(fees[1]!.usd).toBe(2400);
    expect(fees[2]!.usd).toBeCloseTo(800, 9);
  });

  it('bills a started period whole with partial: whole', () => {
    const fees = reservationFees({ ...reservation, partial: 'whole' }, start, start + 70 * DAY_MS);
    expect(fees.map((f) => f.usd)).toEqual([2400, 2400, 2400]);
  });

  it('bills one prorated period for a window shorter than the period, nothing without slots', () => {
    // 1 day of a 30-day period: $2,400 / 30 = $80.
    const day = reservationFees(reservation, start, start + DAY_MS);
    expect(day).toHaveLength(1);
    expect(day[0]!.usd).toBeCloseTo(80, 9);
    // A window of exactly two periods bills two, none for the instant at its end.
    expect(reservationFees(reservation, start, start + 60 * DAY_MS).map((f) => f.usd)).toEqual([2400, 2400]);
    expect(reservationFees({ ...reservation, slots: 0 }, start, start + DAY_MS).map((f) => f.usd)).toEqual([0]);
  });
});
