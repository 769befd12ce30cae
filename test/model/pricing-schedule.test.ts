import { describe, expect, it } from 'vitest';
import { cheapestInstantsIn, compilePricing, creditsFor, price, priceFromUntimed, pricingInForce, quote, segmentAt, untimedPrice } from '../../src/model/pricing/quote.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { provider, req } from './_pricing.js';

const JUN = (d: string): number => Date.parse(`2026-${d}T00:00:00Z`);

describe('price schedules: a list of dated pricings', () => {
  // Fixture start 2026-06-01. $0.04 until July 1st, then $0.05, then from Sept 1st $0.03 with off-peak.
  const LIST = [
    { model: 'per-image', price: 0.04 },
    { model: 'per-image', price: 0.05, from: '2026-07-01T00:00:00Z' },
    { model: 'per-image', price: 0.03, from: '2026-09-01T00:00:00Z', offPeak: [{ from: '02:00', to: '06:00', discount: 0.5 }] },
  ];

  it('prices with the entry in force at the instant: 0.04, 0.05, then 0.03 (× 0.5 off-peak = 0.015)', () => {
    const c = compilePricing(provider(LIST));
    expect(price(c, req(), { atMs: JUN('06-15') + 12 * 3_600_000 })).toBe(0.04);
    expect(price(c, req(), { atMs: JUN('07-01') - 1 })).toBe(0.04);
    expect(price(c, req(), { atMs: JUN('07-01') })).toBe(0.05);
    expect(price(c, req(), { atMs: JUN('09-01') + 12 * 3_600_000 })).toBe(0.03);
    expect(price(c, req(), { atMs: JUN('09-01') + 3 * 3_600_000 })).toBeCloseTo(0.015, 12);
    // Backwards in time too (the cursor is a hint only).
    expect(price(c, req(), { atMs: JUN('06-02') })).toBe(0.04);
  });

  it('the quote says which pricing is in force', () => {
    const q = quote(provider(LIST), req(), { atMs: JUN('07-15') });
    expect(q.ok && q.schedule).toBe('pricing[1] from 2026-07-01T00:00:00.000Z');
    expect(q.ok && q.lines.map((l) => l.label)).toEqual(['0.05 per image']);
    const first = quote(provider(LIST), req(), { atMs: JUN('06-15') });
    expect(first.ok && first.schedule).toBe('pricing[0] from the start');
  });

  it('keeps untimed + instant equal to price() with the entry in force (the deferral scan)', () => {
    const c = compilePricing(provider(LIST));
    for (const t of [JUN('06-15'), JUN('07-15'), JUN('09-01') + 3 * 3_600_000]) {
      const untimed = untimedPrice(pricingInForce(c, t), req(), undefined);
      expect(priceFromUntimed(c, req(), untimed, { atMs: t })).toBe(price(c, req(), { atMs: t }));
    }
  });

  it('finds the cheapest instants of a span per segment: the September off-peak start beats July', () => {
    const c = compilePricing(provider(LIST));
    const out: number[] = [];
    const n = cheapestInstantsIn(c, JUN('06-30'), JUN('09-02'), 'interactive', out);
    // Segments: June (from 06-30), July–August (from 07-01), September (its first 02:00).
    expect(out.slice(0, n)).toEqual([JUN('06-30'), JUN('07-01'), JUN('09-01') + 2 * 3_600_000]);
    expect(Math.min(...out.slice(0, n).map((t) => price(c, req(), { atMs: t })))).toBeCloseTo(0.015, 12);
  });

  it('finds the segment of an instant in O(1) going forward, by binary search otherwise', () => {
    const s = compilePricing(provider(LIST)).schedule!;
    expect([segmentAt(s, JUN('06-02')), segmentAt(s, JUN('07-02')), segmentAt(s, JUN('09-02')), segmentAt(s, JUN('06-03'))]).toEqual([0, 1, 2, 0]);
  });
});

describe('price schedules: multipliers (`schedule`)', () => {
  const RAISE = { model: 'per-step', base: 0.002, perStep: 0.001, schedule: [{ from: '2026-07-15T00:00:00Z', multiply: 1.2 }] };

  it('raises the price 20% from July 15th: 0.032 before, 0.032 × 1.5 turbo × 1.2 = 0.0576 after, itemised after the tier', () => {
    const p = provider(RAISE);
    const before = quote(p, req(), { atMs: JUN('07-14') });
    expect(before.ok && before.totalUsd).toBeCloseTo(0.032, 12);
    expect(before.ok && before.schedule).toBe('pricing');
    // (0.002 + 0.001 × 30) × 1.5 turbo × 1.2 = 0.0576
    const after = quote(p, req(), { atMs: JUN('07-15'), tier: 'turbo' });
    expect(after.ok && after.totalUsd).toBeCloseTo(0.0576, 12);
    expect(after.ok && after.lines.map((l) => [l.factor, l.label])).toEqual([
      ['base', '0.002 per image'],
      ['steps', '0.001 × 30 steps'],
      ['tier', 'turbo tier ×1.5'],
      ['schedule', 'price schedule pricing, schedule[0] ×1.2 from 2026-07-15T00:00:00.000Z'],
    ]);
    expect(after.ok && after.schedule).toBe('pricing, schedule[0] ×1.2 from 2026-07-15T00:00:00.000Z');
  });

  it('multiplies the credits an image consumes, before rounding: 1.5 × 1.2 = 1.8 → 2 credits', () => {
    const p = provider({ model: 'credits', perImage: 1.5, rounding: 'up', creditPrice: 0.01, schedule: [{ from: '2026-07-01T00:00:00Z', multiply: 1.2 }] });
    const c = compilePricing(p);
    expect(creditsFor(c, req(), { atMs: JUN('06-15') })).toBe(2);
    expect(creditsFor(c, req(), { atMs: JUN('07-15') })).toBe(2);
    const q = quote(p, req(), { atMs: JUN('07-15') });
    // 1.5 × 1.2 = 1.8, ⌈1.8⌉ = 2 credits × $0.01 = $0.02
    expect(q.ok && q.lines.map((l) => l.factor)).toEqual(['credits', 'schedule', 'credit-rounding', 'credit-value']);
    expect(q.ok && q.totalUsd).toBeCloseTo(0.02, 12);
  });

  it('an entry of a list keeps its own multipliers, from the entry\'s start', () => {
    const c = compilePricing(
      provider([
        { model: 'per-image', price: 0.04, schedule: [{ from: '2026-06-15T00:00:00Z', multiply: 2 }] },
        { model: 'per-image', price: 0.05, from: '2026-07-01T00:00:00Z' },
      ]),
    );
    expect(price(c, req(), { atMs: JUN('06-10') })).toBe(0.04);
    expect(price(c, req(), { atMs: JUN('06-20') })).toBe(0.08);
    expect(price(c, req(), { atMs: JUN('07-02') })).toBe(0.05);
  });
});

describe('price schedules: located errors', () => {
  const scenario = (pricing: string): string => `version: 1
name: s
start: 2026-06-01T00:00:00Z
providers:
  - id: p
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
    pricing:
${pricing}
traffic: { arrivals: { rate: 1/s }, mix: [{ name: a }] }
`;
  const problem = (pricing: string): string => {
    try {
      parseScenarioText(scenario(pricing), 's.yaml');
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };

  it('refuses unsorted or equal `from`s, a first entry after the start, a later one without `from`', () => {
    expect(problem(`      - { model: per-image, price: 0.04 }
      - { model: per-image, price: 0.05, from: 2026-09-01T00:00:00Z }
      - { model: per-image, price: 0.03, from: 2026-07-01T00:00:00Z }`)).toMatch(/s\.yaml:10:\d+ providers\[0\]\.pricing\[2\]\.from: pricings must be listed in time order/);
    expect(problem(`      - { model: per-image, price: 0.04, from: 2026-06-02T00:00:00Z }`)).toMatch(/pricing\[0\]\.from: the first pricing must be in force at the start/);
    expect(problem(`      - { model: per-image, price: 0.04 }
      - { model: per-image, price: 0.05 }`)).toMatch(/pricing\[1\]: missing `from`/);
    expect(problem(`      - { model: per-image, price: 0.04 }
      - { model: per-image, price: 0.05, from: 0s }`)).toMatch(/pricing\[1\]\.from: pricings must be listed in time order/);
  });

  it('refuses a change of offer, `from` outside a list, and unsorted multipliers', () => {
    expect(problem(`      - { model: per-image, price: 0.04 }
      - { model: per-step, perStep: 0.001, from: 30d }`)).toMatch(/pricing\[1\]: a price schedule changes prices, not what is sold/);
    expect(problem(`      { model: per-image, price: 0.04, from: 30d }`)).toMatch(/pricing\.from: `from` dates an entry of a list/);
    expect(problem(`      { model: per-image, price: 0.04, schedule: [{ from: 20d, multiply: 1.2 }, { from: 10d, multiply: 1.1 }] }`)).toMatch(
      /pricing\.schedule\[1\]\.from: schedule instants must increase/,
    );
  });
});
