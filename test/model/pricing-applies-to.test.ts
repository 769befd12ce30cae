import { describe, expect, it } from 'vitest';
import { compilePricing, offPeakBestIn, offPeakWindowAt, price, priceFromUntimed, quote, untimedPrice } from '../../src/model/pricing/quote.js';
import { at, provider, req } from './_pricing.js';

/** (0.002 + 0.001 × 40) = 0.042 before any discount. */
const PER_STEP = { model: 'per-step', base: 0.002, perStep: 0.001 };
const BATCH_NIGHT = { from: '02:00', to: '06:00', discount: 0.3, appliesTo: 'batch' };

describe('discounts limited to a class of work (appliesTo)', () => {
  it('a batch-only off-peak window: batch pays 0.042 × 0.7 = 0.0294, interactive pays 0.042 and the quote says why', () => {
    const p = provider({ ...PER_STEP, offPeak: [BATCH_NIGHT] });
    const batch = quote(p, req({ steps: 40, urgency: 'batch' }), { atMs: at('03:00') });
    expect(batch.ok && batch.totalUsd).toBeCloseTo(0.0294, 12);
    expect(batch.ok && batch.lines.map((l) => [l.factor, l.label])).toEqual([
      ['base', '0.002 per image'],
      ['steps', '0.001 × 40 steps'],
      ['off-peak', 'off-peak 02:00–06:00 UTC −30% = ×0.7'],
    ]);
    const interactive = quote(p, req({ steps: 40, urgency: 'interactive' }), { atMs: at('03:00') });
    expect(interactive.ok && interactive.totalUsd).toBeCloseTo(0.042, 12);
    expect(interactive.ok && interactive.lines.map((l) => [l.factor, l.op, l.value, l.label])).toEqual([
      ['base', 'base', 0.002, '0.002 per image'],
      ['steps', 'add', 0.04, '0.001 × 40 steps'],
      ['off-peak', 'multiply', 1, 'off-peak 02:00–06:00 UTC −30% is for batch work only: not applied to an interactive request (×1)'],
    ]);
    // Outside the window neither class sees an off-peak line.
    const noon = quote(p, req({ steps: 40 }), { atMs: at('12:00') });
    expect(noon.ok && noon.lines.map((l) => l.factor)).toEqual(['base', 'steps']);
  });

  it('overlapping windows: interactive gets the −20% window for all, batch the −50% batch-only one', () => {
    const p = provider({
      ...PER_STEP,
      offPeak: [
        { from: '01:00', to: '05:00', discount: 0.5, appliesTo: ['batch'] },
        { from: '02:00', to: '04:00', discount: 0.2, appliesTo: 'all' },
      ],
    });
    const c = compilePricing(p);
    // 0.042 × 0.8 = 0.0336; 0.042 × 0.5 = 0.021
    expect(price(c, req({ steps: 40, urgency: 'interactive' }), { atMs: at('03:00') })).toBeCloseTo(0.0336, 12);
    expect(price(c, req({ steps: 40, urgency: 'batch' }), { atMs: at('03:00') })).toBeCloseTo(0.021, 12);
    expect(offPeakWindowAt(c, at('03:00'), 'interactive')).toBe(1);
    expect(offPeakWindowAt(c, at('03:00'), 'batch')).toBe(0);
    const q = quote(p, req({ steps: 40 }), { atMs: at('03:00') });
    expect(q.ok && q.lines.filter((l) => l.factor === 'off-peak').map((l) => l.label)).toEqual([
      'off-peak 02:00–04:00 UTC −20% = ×0.8',
      'off-peak 01:00–05:00 UTC −50% is for batch work only: not applied to an interactive request (×1)',
    ]);
  });

  it('`appliesTo: interactive` and a list of both urgencies', () => {
    const only = compilePricing(provider({ ...PER_STEP, offPeak: [{ ...BATCH_NIGHT, appliesTo: 'interactive' }] }));
    expect(price(only, req({ steps: 40, urgency: 'batch' }), { atMs: at('03:00') })).toBeCloseTo(0.042, 12);
    expect(price(only, req({ steps: 40, urgency: 'interactive' }), { atMs: at('03:00') })).toBeCloseTo(0.0294, 12);
    const q = quote(only, req({ steps: 40, urgency: 'batch' }), { atMs: at('03:00') });
    expect(q.ok && q.lines.at(-1)!.label).toBe('off-peak 02:00–06:00 UTC −30% is for interactive work only: not applied to a batch request (×1)');
    const both = compilePricing(provider({ ...PER_STEP, offPeak: [{ ...BATCH_NIGHT, appliesTo: ['interactive', 'batch'] }] }));
    expect(price(both, req({ steps: 40, urgency: 'batch' }), { atMs: at('03:00') })).toBeCloseTo(0.0294, 12);
    expect(price(both, req({ steps: 40, urgency: 'interactive' }), { atMs: at('03:00') })).toBeCloseTo(0.0294, 12);
  });

  it('a batch-only validation bundle: (0.04 + 0.004) × 0.75 = 0.033 for batch, 0.044 for interactive', () => {
    const p = provider({ model: 'per-image', price: 0.04, validation: { price: 0.004, bundleDiscount: 0.25, appliesTo: 'batch' } });
    const batch = quote(p, req({ validate: true, urgency: 'batch' }), { atMs: at('12:00') });
    expect(batch.ok && batch.totalUsd).toBeCloseTo(0.033, 12);
    expect(batch.ok && batch.lines.at(-1)!.label).toBe('generation + validation bundle −25% = ×0.75');
    const interactive = quote(p, req({ validate: true }), { atMs: at('12:00') });
    expect(interactive.ok && interactive.totalUsd).toBeCloseTo(0.044, 12);
    expect(interactive.ok && interactive.lines.at(-1)!.label).toBe(
      'generation + validation bundle −25% is for batch work only: not applied to an interactive request (×1)',
    );
  });

  it('the cheapest-instant search waits only for windows of the request\'s urgency', () => {
    const c = compilePricing(provider({ ...PER_STEP, offPeak: [BATCH_NIGHT] }));
    // Span 00:00–06:00: batch waits for 02:00; interactive has no window to wait for.
    expect(offPeakBestIn(c, at('00:00'), at('06:00'), 'batch')).toBe(at('02:00'));
    expect(offPeakBestIn(c, at('00:00'), at('06:00'), 'interactive')).toBe(at('00:00'));
  });

  it('untimed part then the instant gives price() for both urgencies (the deferral scan path)', () => {
    const c = compilePricing(provider({ ...PER_STEP, offPeak: [BATCH_NIGHT], validation: { price: 0.004, bundleDiscount: 0.25, appliesTo: 'batch' } }));
    for (const urgency of ['interactive', 'batch'] as const) {
      const r = req({ steps: 40, validate: true, urgency });
      const untimed = untimedPrice(c, r, undefined);
      for (const t of [at('01:00'), at('03:00'), at('07:00')]) expect(priceFromUntimed(c, r, untimed, { atMs: t })).toBe(price(c, r, { atMs: t }));
    }
    // Batch at 03:00: (0.042 + 0.004) × 0.75 × 0.7 = 0.02415
    expect(price(c, req({ steps: 40, validate: true, urgency: 'batch' }), { atMs: at('03:00') })).toBeCloseTo(0.02415, 12);
  });

  it('refuses an unknown urgency and an empty list in the schema', () => {
    expect(() => provider({ ...PER_STEP, offPeak: [{ ...BATCH_NIGHT, appliesTo: 'bulk' }] })).toThrow(/appliesTo/);
    expect(() => provider({ ...PER_STEP, offPeak: [{ ...BATCH_NIGHT, appliesTo: [] }] })).toThrow(/appliesTo/);
  });
});
