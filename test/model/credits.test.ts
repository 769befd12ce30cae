import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CreditsLedger, cheapestCreditUsd } from '../../src/model/credits.js';
import type { CreditsPricing } from '../../src/scenario/resolve.js';
import { pricingSchema } from '../../src/scenario/schema.js';
import { ImgsimError } from '../../src/scenario/errors.js';

/** Credits pricing through the real schema (defaults applied). */
function credits(input: Record<string, unknown>): CreditsPricing {
  const parsed = pricingSchema.parse({ model: 'credits', perImage: 1, ...input });
  if (parsed.model !== 'credits') throw new Error('expected credits pricing');
  return parsed;
}

const T0 = Date.parse('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('credits ledger', () => {
  it('auto-buys the first bundle when the balance runs short and values credits at bundle price / credits', () => {
    const ledger = new CreditsLedger(credits({ bundles: [{ credits: 100, price: 10, expiresAfter: '30d' }, { credits: 1000, price: 50 }] }), T0);
    expect(ledger.balance(T0)).toBe(0);
    expect(ledger.spend(1, T0)).toBeCloseTo(0.1, 12); // 1 × 10 / 100
    expect(ledger.balance(T0)).toBeCloseTo(99, 12);
    expect(ledger.spend(150, T0 + HOUR)).toBeCloseTo(15, 12); // 99 short of 150 → 1 more bundle (51 short / 100)
    expect(ledger.balance(T0 + HOUR)).toBeCloseTo(49, 12);
    expect(ledger.summary()).toEqual({ bought: 200, used: 151, expired: 0, cash: 20, expiredUsd: 0, bundlesBought: 2, topUps: 2 });
  });

  it('buys several bundles at once for a large spend', () => {
    const ledger = new CreditsLedger(credits({ bundles: [{ credits: 10, price: 1 }] }), T0);
    expect(ledger.spend(25, T0)).toBeCloseTo(2.5, 12); // ⌈25 / 10⌉ = 3 bundles
    expect(ledger.summary()).toMatchObject({ bought: 30, used: 25, cash: 3, bundlesBought: 3, topUps: 3 });
  });

  it('wastes unused credits at expiry and counts what they cost', () => {
    const ledger = new CreditsLedger(credits({ bundles: [{ credits: 100, price: 10, expiresAfter: '30d' }] }), T0);
    ledger.spend(10, T0);
    expect(ledger.balance(T0 + 30 * DAY - 1)).toBeCloseTo(90, 12);
    expect(ledger.balance(T0 + 30 * DAY)).toBe(0); // expired at exactly purchase + 30d, even before expireUntil
    expect(ledger.expireUntil(T0 + 30 * DAY)).toBeCloseTo(90, 12);
    expect(ledger.summary()).toMatchObject({ bought: 100, used: 10, expired: 90, cash: 10 });
    expect(ledger.summary().expiredUsd).toBeCloseTo(9, 12); // 90 × 0.1
    expect(ledger.expireUntil(T0 + 60 * DAY)).toBe(0);
  });

  it('never spends expired credits: a spend after expiry buys a fresh bundle', () => {
    const ledger = new CreditsLedger(credits({ bundles: [{ credits: 100, price: 10, expiresAfter: '1h' }] }), T0);
    ledger.spend(1, T0);
    ledger.spend(1, T0 + 2 * HOUR);
    expect(ledger.summary()).toMatchObject({ bought: 200, used: 2, expired: 99, bundlesBought: 2, topUps: 2 });
    expect(ledger.balance(T0 + 2 * HOUR)).toBeCloseTo(99, 12);
  });

  it('buys the upfront list at the start, spends earliest expiry first, then tops up and counts it', () => {
    const pricing = credits({
      purchase: 'upfront',
      bundles: [
        { name: 'small', credits: 10, price: 2, expiresAfter: '7d' },
        { name: 'big', credits: 100, price: 10, expiresAfter: '30d' },
      ],
      upfront: [
        { bundle: 'big', count: 1 },
        { bundle: 0, count: 1 },
      ],
    });
    const ledger = new CreditsLedger(pricing, T0);
    expect(ledger.summary()).toMatchObject({ bought: 110, cash: 12, bundlesBought: 2, topUps: 0 });
    expect(ledger.nextCreditUsd(T0)).toBeCloseTo(0.2, 12); // the small bundle expires first
    // 10 small credits × 0.2 + 5 big credits × 0.1 = 2.5
    expect(ledger.spend(15, T0 + DAY)).toBeCloseTo(2.5, 12);
    expect(ledger.nextCreditUsd(T0 + DAY)).toBeCloseTo(0.1, 12);
    // 95 big left; a spend of 100 tops up with the first listed bundle (small: 10 credits for $2).
    // The new small lot expires at day 9, before the big one (day 30), so it is spent first:
    // 10 × 0.2 + 90 × 0.1 = 11
    expect(ledger.spend(100, T0 + 2 * DAY)).toBeCloseTo(11, 12);
    expect(ledger.summary()).toMatchObject({ bought: 120, used: 115, cash: 14, bundlesBought: 3, topUps: 1 });
    expect(ledger.balance(T0 + 2 * DAY)).toBeCloseTo(5, 12);
  });

  it('buys whole single credits at creditPrice when no bundles are sold; they never expire', () => {
    const ledger = new CreditsLedger(credits({ creditPrice: 0.05 }), T0);
    expect(ledger.spend(2.5, T0)).toBeCloseTo(0.125, 12); // buys ⌈2.5⌉ = 3 credits for 0.15; spends 2.5 × 0.05
    expect(ledger.summary()).toMatchObject({ bought: 3, used: 2.5, cash: 0.15000000000000002, topUps: 1, bundlesBought: 0 });
    expect(ledger.spend(0.5, T0 + 365 * DAY)).toBeCloseTo(0.025, 12); // the leftover half credit, no purchase
    expect(ledger.summary().topUps).toBe(1);
    expect(ledger.expireUntil(T0 + 1000 * DAY)).toBe(0);
  });

  it('spends nothing for zero or negative credits', () => {
    const ledger = new CreditsLedger(credits({ bundles: [{ credits: 10, price: 1 }] }), T0);
    expect(ledger.spend(0, T0)).toBe(0);
    expect(ledger.spend(-1, T0)).toBe(0);
    expect(ledger.summary().bought).toBe(0);
  });

  it('reports the price of what a top-up would buy when nothing is left', () => {
    expect(new CreditsLedger(credits({ bundles: [{ credits: 1000, price: 10 }] }), T0).nextCreditUsd(T0)).toBeCloseTo(0.01, 12);
    expect(new CreditsLedger(credits({ creditPrice: 0.03 }), T0).nextCreditUsd(T0)).toBeCloseTo(0.03, 12);
  });

  it.each([
    ['an unknown bundle name', 'huge'],
    ['an index past the list', 3],
  ])('rejects an upfront purchase naming %s', (_name, bundle) => {
    const pricing = credits({ purchase: 'upfront', bundles: [{ name: 'small', credits: 10, price: 2 }], upfront: [{ bundle, count: 1 }] });
    expect(() => new CreditsLedger(pricing, T0)).toThrow(ImgsimError);
    expect(() => new CreditsLedger(pricing, T0)).toThrow(/is not one of the bundles \(small \(0\)\); name a bundle or give its 0-based index/);
  });

  it('keeps its books straight over many small fractional spends', () => {
    const ledger = new CreditsLedger(credits({ bundles: [{ credits: 1, price: 0.3, expiresAfter: '1h' }] }), T0);
    let usd = 0;
    for (let i = 0; i < 10_000; i++) usd += ledger.spend(0.1, T0 + i * 60_000);
    ledger.expireUntil(T0 + 10_000 * 60_000 + HOUR);
    const s = ledger.summary();
    expect(s.used).toBeCloseTo(1000, 6);
    expect(s.used + s.expired).toBeCloseTo(s.bought, 6);
    expect(usd + s.expiredUsd).toBeCloseTo(s.cash, 6); // every dollar paid is either used or wasted
  });
});

describe('credits ledger properties', () => {
  const usd = fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100);
  const bundle = fc.record(
    {
      credits: fc.integer({ min: 1, max: 500 }).map((n) => n / 4),
      price: usd,
      expiresAfter: fc.integer({ min: 1, max: 30 * DAY }),
    },
    { requiredKeys: ['credits', 'price'] },
  );
  const pricing = fc
    .record({
      bundles: fc.array(bundle, { maxLength: 3 }),
      creditPrice: usd,
      purchase: fc.constantFrom('auto', 'upfront'),
      upfront: fc.array(fc.record({ bundle: fc.integer({ min: 0, max: 2 }), count: fc.integer({ min: 1, max: 3 }) }), { maxLength: 3 }),
    })
    .map((p) => credits({ ...p, upfront: p.upfront.filter((u) => u.bundle < p.bundles.length) }));
  const steps = fc.array(fc.record({ afterMs: fc.integer({ min: 0, max: 3 * DAY }), credits: fc.double({ min: 0, max: 400, noNaN: true }) }), {
    maxLength: 60,
    size: 'max',
  });

  it('never goes negative, and used + expired + balance = bought after every step', () => {
    fc.assert(
      fc.property(pricing, steps, (p, ops) => {
        const ledger = new CreditsLedger(p, T0);
        let now = T0;
        let usd = 0;
        for (const op of ops) {
          now += op.afterMs;
          const spent = ledger.spend(op.credits, now);
          expect(spent).toBeGreaterThanOrEqual(0);
          usd += spent;
          ledger.expireUntil(now);
          const balance = ledger.balance(now);
          const s = ledger.summary();
          expect(balance).toBeGreaterThanOrEqual(0);
          expect(s.used).toBeGreaterThanOrEqual(0);
          expect(s.expired).toBeGreaterThanOrEqual(0);
          expect(Math.abs(s.used + s.expired + balance - s.bought)).toBeLessThanOrEqual(1e-6 * Math.max(1, s.bought));
        }
        // money: what was spent plus what expired never exceeds the cash paid
        const s = ledger.summary();
        expect(usd + s.expiredUsd).toBeLessThanOrEqual(s.cash * (1 + 1e-9) + 1e-9);
      }),
      { numRuns: 300 },
    );
  });

  it('spends exactly what is asked', () => {
    fc.assert(
      fc.property(pricing, steps, (p, ops) => {
        const ledger = new CreditsLedger(p, T0);
        let now = T0;
        let asked = 0;
        for (const op of ops) {
          now += op.afterMs;
          ledger.spend(op.credits, now);
          asked += op.credits;
        }
        expect(ledger.summary().used).toBeCloseTo(asked, 6);
      }),
      { numRuns: 200 },
    );
  });
});

describe('cheapestCreditUsd', () => {
  it.each([
    // The first bundle: $200 / 10,000 = $0.02.
    ['auto, a bundle', { bundles: [{ credits: 10_000, price: 200 }] }, 0.02],
    // No bundle: credits one by one at creditPrice.
    ['auto, creditPrice', { creditPrice: 0.015 }, 0.015],
    // Up front a promo at $300 / 20,000 = $0.015, top-ups of the first at $400 / 20,000 = $0.02.
    [
      'upfront promo',
      { bundles: [{ name: 'monthly', credits: 20_000, price: 400 }, { name: 'promo', credits: 20_000, price: 300 }], purchase: 'upfront', upfront: [{ bundle: 'promo', count: 1 }] },
      0.015,
    ],
    // Up front a dearer bundle than the top-up: the top-up rate is the lowest.
    [
      'upfront dearer',
      { bundles: [{ credits: 100, price: 1 }, { credits: 100, price: 3 }], purchase: 'upfront', upfront: [{ bundle: 1, count: 2 }] },
      0.01,
    ],
  ])('%s', (_, input, usd) => {
    expect(cheapestCreditUsd(credits(input))).toBeCloseTo(usd, 15);
  });

  it('is at most what the ledger charges per credit spent', () => {
    const pricing = credits({
      bundles: [{ name: 'monthly', credits: 50, price: 2, expiresAfter: '2h' }, { name: 'promo', credits: 30, price: 0.6, expiresAfter: '1h' }],
      purchase: 'upfront',
      upfront: [{ bundle: 'promo', count: 1 }],
    });
    const floor = cheapestCreditUsd(pricing);
    const ledger = new CreditsLedger(pricing, T0);
    for (let i = 0; i < 100; i++) expect(ledger.spend(1, T0 + i * 60_000)).toBeGreaterThanOrEqual(floor - 1e-15);
  });
});
