import { describe, expect, it } from 'vitest';
import { inferPrice, roundingTolerance, type PricedAttempt } from '../../src/fit/price.js';
import type { Feature } from '../../src/scenario/schema.js';

const SIZES = [
  [1024, 1024],
  [1536, 1024],
  [512, 512],
] as const;

/** Requests over three sizes and steps 20–50, priced by `cost`. */
function rows(cost: (r: Omit<PricedAttempt, 'costUsd'>) => number, extra: (i: number) => Partial<PricedAttempt> = () => ({})): PricedAttempt[] {
  const out: PricedAttempt[] = [];
  for (let i = 0; i < 300; i++) {
    const [width, height] = SIZES[i % 3]!;
    const base = { size: `${width}x${height}`, width, height, steps: 20 + (i % 31), quality: undefined, features: [] as readonly Feature[], ...extra(i) };
    out.push({ ...base, costUsd: cost(base) });
  }
  return out;
}

describe('price inference', () => {
  it('reads a flat price per image', () => {
    const fit = inferPrice(rows(() => 0.04))!;
    expect([fit.model, fit.exact, fit.pricing]).toEqual(['per-image', true, { model: 'per-image', price: 0.04 }]);
  });

  it('reads a price per step', () => {
    const fit = inferPrice(rows((r) => 0.001 * r.steps))!;
    expect([fit.model, fit.exact, fit.pricing]).toEqual(['per-step', true, { model: 'per-step', perStep: 0.001 }]);
  });

  it('reads a base plus a price per step', () => {
    const fit = inferPrice(rows((r) => 0.01 + 0.0005 * r.steps))!;
    expect(fit.pricing).toEqual({ model: 'per-step', perStep: 0.0005, base: 0.01 });
    expect(fit.parameters).toBe(2);
  });

  it('reads a price per megapixel with the steps it includes', () => {
    // docs/contract.md §2.1: MP × perMegapixel × max(1, steps / includedSteps); 1024x1024 at 45 steps:
    // 1.048576 × 0.024 × 1.5 = 0.03774874
    const fit = inferPrice(rows((r) => ((r.width * r.height) / 1e6) * 0.024 * Math.max(1, r.steps / 30)))!;
    expect(fit.pricing).toEqual({ model: 'per-megapixel', perMegapixel: 0.024, includedSteps: 30 });
    expect(fit.predict({ size: '1024x1024', width: 1024, height: 1024, steps: 45, quality: undefined, features: [], costUsd: 0 })).toBeCloseTo(0.03774874, 8);
  });

  it('reads a size and quality table, a request without quality paying the first listed, and a feature multiplier', () => {
    const table: Record<string, Record<string, number>> = { '1024x1024': { standard: 0.04, hd: 0.08 }, '1536x1024': { standard: 0.08, hd: 0.12 } };
    const qualities = [undefined, 'standard', 'hd'] as const;
    const data = rows(
      (r) => table[r.size]![r.quality ?? 'standard']! * (r.features.length > 0 ? 1.5 : 1),
      (i) => {
        const [width, height] = SIZES[i % 2]!;
        return { size: `${width}x${height}`, width, height, quality: qualities[i % 3], features: i % 5 === 0 ? ['controlnet'] : [] };
      },
    );
    const fit = inferPrice(data)!;
    expect(fit.exact).toBe(true);
    expect(fit.pricing).toEqual({
      model: 'per-image',
      price: 0.04,
      // no quality paid the standard price: standard is listed first
      sizes: { '1024x1024': { standard: 0.04, hd: 0.08 }, '1536x1024': { standard: 0.08, hd: 0.12 } },
      // × 1.5 at both sizes: an add-on cannot explain 0.02 more at one size and 0.04 at the other
      features: { controlnet: { multiply: 1.5 } },
    });
  });

  it('reads an add-on when one explains the data as well as a multiplier', () => {
    const fit = inferPrice(rows((r) => 0.0008 * r.steps + (r.features.length > 0 ? 0.004 : 0), (i) => ({ features: i % 4 === 0 ? ['controlnet'] : [] })))!;
    expect(fit.pricing).toEqual({ model: 'per-step', perStep: 0.0008, features: { controlnet: { add: 0.004 } } });
  });

  it('is exact to the rounding of the log, and writes prices with the digits that need', () => {
    // 0.0027 per MP for 4 steps, the log keeping 6 decimals. Every request has 20 steps or
    // more, so 20 included steps at 0.0027 × 20/4 = 0.0135 per MP price them all the same.
    const fit = inferPrice(rows((r) => Math.round(((r.width * r.height) / 1e6) * 0.0027 * (r.steps / 4) * 1e6) / 1e6))!;
    expect(fit.exact).toBe(true);
    expect(fit.pricing).toEqual({ model: 'per-megapixel', perMegapixel: 0.0135, includedSteps: 20 });
    expect(roundingTolerance([0.04, 0.0125])).toBeCloseTo(1e-4, 12); // 4 decimals
    expect(roundingTolerance([0.02097152, 0.024000000000000004])).toBeCloseTo(1e-8, 15); // 8 decimals (float noise is not a decimal)
    expect(roundingTolerance([Math.PI / 100])).toBe(1e-9); // not rounded at all
  });

  it('picks the best model by BIC when none is exact', () => {
    // ±2% noise on a per-step price
    let seed = 1;
    const noise = (): number => {
      seed = (seed * 16807) % 2147483647;
      return (seed / 2147483647 - 0.5) * 0.04;
    };
    const fit = inferPrice(rows((r) => 0.001 * r.steps * (1 + noise())))!;
    expect(fit.exact).toBe(false);
    expect(fit.model).toBe('per-step');
    expect(fit.maxRelativeError).toBeLessThan(0.03);
  });
});
