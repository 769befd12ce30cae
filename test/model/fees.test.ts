/**
 * The gateway fee rule (src/model/pricing/fees.ts), factor by factor against hand arithmetic.
 */
import { describe, expect, it } from 'vitest';
import {
  billedTokens,
  chargeFees,
  FEE_MONTH_MS,
  monthlyNote,
  monthsStarted,
  requestFeeLines,
  spendCredits,
  topUpFee,
  type CreditPurchaseFee,
} from '../../src/model/pricing/fees.js';
import { parsePercent } from '../../src/scenario/units.js';
import type { QuoteRequest } from '../../src/model/pricing/types.js';

const EXACT = 12;
const fresh = () => ({ markup: 0, perGeneration: 0, perMillionTokens: 0 });

/** A 1024x1024 request with a 41-character prompt: ⌈41 / 4⌉ = 11 prompt tokens. */
const REQUEST: QuoteRequest = { size: '1024x1024', width: 1024, height: 1024, steps: 30, features: [], validate: false, promptChars: 41, urgency: 'interactive' };

describe('chargeFees: the fees on one billed amount', () => {
  it('marks a bill up by its percentage', () => {
    // 5% of $0.04 = $0.002.
    expect(chargeFees({ markup: 0.05 }, 0.04, 0, fresh()).markup).toBeCloseTo(0.002, EXACT);
  });

  it('charges the fixed fee once per billed attempt, whatever the bill', () => {
    expect(chargeFees({ perGeneration: 0.001 }, 0.04, 0, fresh()).perGeneration).toBe(0.001);
    expect(chargeFees({ perGeneration: 0.001 }, 3, 0, fresh()).perGeneration).toBe(0.001);
  });

  it('charges per million tokens', () => {
    // 1,067 tokens × $0.50 / 1M = $0.0005335.
    expect(chargeFees({ perMillionTokens: 0.5 }, 0.04, 1067, fresh()).perMillionTokens).toBeCloseTo(0.0005335, EXACT);
  });

  it('charges nothing without fees', () => {
    expect(chargeFees({}, 0.04, 1067, fresh())).toEqual({ markup: 0, perGeneration: 0, perMillionTokens: 0 });
  });
});

describe('billedTokens', () => {
  const perToken = { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { low: 272, medium: 1056 } } };

  it('counts prompt tokens and the image tokens of the size and quality', () => {
    // ⌈41 / 4⌉ = 11 prompt tokens + 1,056 medium image tokens = 1,067.
    expect(billedTokens(perToken, { ...REQUEST, quality: 'medium' })).toBe(1067);
    // No quality: the first listed (low, 272): 11 + 272 = 283.
    expect(billedTokens(perToken, REQUEST)).toBe(283);
  });

  it('is 0 for a provider that does not price tokens', () => {
    expect(billedTokens({ model: 'per-image' }, REQUEST)).toBe(0);
  });
});

describe('monthsStarted: the monthly fee per started 30-day month of the window', () => {
  const start = Date.UTC(2026, 5, 1);
  const day = 86_400_000;

  it('is due at the window start and at the start of each month', () => {
    const end = start + 45 * day;
    expect(monthsStarted(start, end, start - 1)).toBe(0);
    expect(monthsStarted(start, end, start)).toBe(1);
    expect(monthsStarted(start, end, start + FEE_MONTH_MS - 1)).toBe(1);
    expect(monthsStarted(start, end, start + FEE_MONTH_MS)).toBe(2);
  });

  it('counts the started months of the whole window at its end, none after it', () => {
    // 45 days: months starting on day 0 and day 30 → 2. 30 days exactly: 1. 61 days: 3.
    expect(monthsStarted(start, start + 45 * day, start + 365 * day)).toBe(2);
    expect(monthsStarted(start, start + 30 * day, start + 365 * day)).toBe(1);
    expect(monthsStarted(start, start + 61 * day, start + 61 * day)).toBe(3);
    // A one-minute window still starts one month.
    expect(monthsStarted(start, start + 60_000, start + 60_000)).toBe(1);
  });
});

describe('spendCredits: top-ups of prepaid credits and their fee', () => {
  const openRouter: CreditPurchaseFee = { percent: 0.055, fixed: 0, minimum: 0.8, topUp: 100 };

  it('charges the percentage of a top-up, at least the minimum, plus the fixed part', () => {
    // 5.5% × $100 = $5.50 (above the $0.80 minimum).
    expect(topUpFee(openRouter)).toBeCloseTo(5.5, EXACT);
    // 5.5% × $10 = $0.55 < $0.80: the minimum.
    expect(topUpFee({ ...openRouter, topUp: 10 })).toBe(0.8);
    // max(3% × $50, 0) + $0.30 = $1.80.
    expect(topUpFee({ percent: 0.03, fixed: 0.3, minimum: 0, topUp: 50 })).toBeCloseTo(1.8, EXACT);
  });

  it('buys as many top-ups as a bill needs and keeps the rest', () => {
    // Balance $0, bill $2.58, top-ups of $1: 3 top-ups (fee max($0.055, $0.80) = $0.80 each:
    // $2.40), $0.42 left.
    const s = spendCredits({ ...openRouter, topUp: 1 }, 0, 2.58);
    expect(s.topUps).toBe(3);
    expect(s.feeUsd).toBeCloseTo(2.4, EXACT);
    expect(s.balanceUsd).toBeCloseTo(0.42, EXACT);
  });

  it('buys nothing while the balance covers the bill (to the cent drift of float sums)', () => {
    expect(spendCredits(openRouter, 5, 5)).toEqual({ topUps: 0, feeUsd: 0, balanceUsd: 0 });
    expect(spendCredits(openRouter, 0.1 + 0.2, 0.3).topUps).toBe(0);
  });
});

describe('requestFeeLines: the fees of one quoted request, itemised', () => {
  it('lists each fee with its arithmetic', () => {
    const lines = requestFeeLines({ markup: 0.05, perGeneration: 0.001, perMillionTokens: 0.5, creditPurchase: { percent: 0.055, fixed: 0, minimum: 0, topUp: 100 } }, 0.04, 1067);
    expect(lines.map((l) => l.kind)).toEqual(['markup', 'perGeneration', 'perMillionTokens', 'creditPurchase']);
    expect(lines.map((l) => l.label)).toEqual([
      '5% of $0.04',
      '$0.001 per generation',
      '1067 tokens × $0.5 / 1M',
      '$5.5 per $100 top-up (5.5%) of $0.0435335 paid from credits',
    ]);
    // 0.002; 0.001; 0.0005335; credits pay 0.04 + 0.002 + 0.001 + 0.0005335 = 0.0435335, × 5.5% = 0.0023943425.
    const usd = lines.map((l) => l.usd);
    [0.002, 0.001, 0.0005335, 0.0023943425].forEach((x, i) => expect(usd[i]).toBeCloseTo(x, EXACT));
  });

  it('notes the monthly fee apart (it is not per request)', () => {
    expect(requestFeeLines({ monthly: 49 }, 0.04, 0)).toEqual([]);
    expect(monthlyNote({ monthly: 49 })).toBe('monthly platform fee $49 per started 30-day month (not per request)');
    expect(monthlyNote({})).toBeUndefined();
  });
});

describe('parsePercent', () => {
  it('reads a percentage, or a fraction below 1, into a fraction', () => {
    expect(parsePercent('5.5%')).toBeCloseTo(0.055, EXACT);
    expect(parsePercent(' 150 % ')).toBe(1.5);
    expect(parsePercent(0.055)).toBe(0.055);
  });

  it('refuses a bare number of 1 or more, and more than 1000%', () => {
    for (const bad of [5, 1, '5', '1001%', '-1%']) expect(parsePercent(bad)).toHaveProperty('error');
  });
});
