import { describe, expect, it } from 'vitest';
import { compilePricing, creditsFor, quote, wholeCredits } from '../../src/model/pricing/quote.js';
import { NOON, provider, req } from './_pricing.js';

/** 1.5 credits an image, ControlNet +1 credit, $400 for 20,000 credits ($0.02 a credit). */
const CREDITS = {
  model: 'credits',
  perImage: 1.5,
  features: { controlnet: { add: 1 } },
  bundles: [{ credits: 20000, price: 400 }],
};

describe('credits rounded as sold (rounding: up)', () => {
  it('bills ⌈credits⌉ per image and itemises the rounding: 1.5 + 1 = 2.5, × 1.5 turbo = 3.75, ⌈3.75⌉ = 4 credits × $0.02 = $0.08', () => {
    const p = provider({ ...CREDITS, rounding: 'up' });
    const q = quote(p, req({ features: ['controlnet'] }), { atMs: NOON, tier: 'turbo' });
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    expect(q.lines.map((l) => [l.factor, l.op, l.label])).toEqual([
      ['credits', 'base', '1.5 credits per image'],
      ['feature:controlnet', 'add', 'controlnet +1'],
      ['tier', 'multiply', 'turbo tier ×1.5'],
      ['credit-rounding', 'add', 'rounding up: ⌈3.75⌉ = 4 whole credits'],
      ['credit-value', 'multiply', '4 credits × 0.02 per credit'],
    ]);
    expect(q.lines.map((l) => l.subtotal)).toEqual([1.5, 2.5, 3.75, 4, 0.08]);
    expect(q.lines[3]!.value).toBe(0.25);
    expect(q.credits).toBe(4);
    expect(q.totalUsd).toBeCloseTo(0.08, 12);
  });

  it('keeps whole amounts: 1 + 1 = 2 credits stay 2 (a zero rounding line), 1.5 + 1 = 2.5 becomes 3', () => {
    const p = provider({ ...CREDITS, perImage: 1, rounding: 'up' });
    const c = compilePricing(p);
    // 1 + 1 = 2 credits: already whole.
    expect(creditsFor(c, req({ features: ['controlnet'] }), { atMs: NOON })).toBe(2);
    const q = quote(p, req({ features: ['controlnet'] }), { atMs: NOON });
    expect(q.ok && q.lines.find((l) => l.factor === 'credit-rounding')?.value).toBe(0);
    expect(creditsFor(compilePricing(provider({ ...CREDITS, rounding: 'up' })), req({ features: ['controlnet'] }), { atMs: NOON })).toBe(3);
  });

  it('default (none) keeps fractional credits: 3.75 credits × $0.02 = $0.075, no rounding line', () => {
    const q = quote(provider(CREDITS), req({ features: ['controlnet'] }), { atMs: NOON, tier: 'turbo' });
    expect(q.ok && q.credits).toBe(3.75);
    expect(q.ok && q.totalUsd).toBeCloseTo(0.075, 12);
    expect(q.ok && q.lines.some((l) => l.factor === 'credit-rounding')).toBe(false);
    const none = quote(provider({ ...CREDITS, rounding: 'none' }), req({ features: ['controlnet'] }), { atMs: NOON, tier: 'turbo' });
    expect(none.ok && none.credits).toBe(3.75);
  });

  it('ignores float noise: 0.1 credits × 3 (steps 30 / 10 included) × 10 (quality) is 3 credits, not 4', () => {
    // 0.1 × 3 = 0.30000000000000004; × 10 = 3.0000000000000004, which is 3 credits as sold.
    const p = provider({ model: 'credits', perImage: 0.1, creditPrice: 0.01, steps: { included: 10 }, quality: { q: 10 }, rounding: 'up' });
    expect(creditsFor(compilePricing(p), req({ steps: 30 }), { atMs: NOON })).toBe(3);
    expect(wholeCredits(3.0000000000000004)).toBe(3);
    expect(wholeCredits(3.000001)).toBe(4);
    expect(wholeCredits(0)).toBe(0);
  });

  it('is refused for other pricing models by the schema', () => {
    expect(() => provider({ model: 'per-image', price: 0.01, rounding: 'up' })).toThrow(/rounding/);
  });
});
