import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePricing, dynamicMultiplier, price, priceFromUntimed, quote, untimedPrice } from '../../src/model/pricing/quote.js';
import type { PriceOptions, QuoteRequest } from '../../src/model/pricing/types.js';
import { resolveScenario, type ResolvedProvider } from '../../src/scenario/resolve.js';
import { FEATURES, scenarioSchema } from '../../src/scenario/schema.js';

// ---------------------------------------------------------------------------------------------
// Fixtures (as in pricing.test.ts)

function provider(pricing: Record<string, unknown>, extra: Record<string, unknown> = {}): ResolvedProvider {
  const scenario = scenarioSchema.parse({
    version: 1,
    name: 'pricing-properties',
    start: '2026-06-01T00:00:00Z',
    providers: [
      {
        id: 'p',
        tiers: {
          standard: { latency: { dist: 'lognormal', median: '8s', p99: '20s' } },
          turbo: { latency: { dist: 'uniform', min: '500ms', max: '2s' }, priceMultiplier: 1.5 },
        },
        supports: { features: [...FEATURES] },
        pricing,
        ...extra,
      },
    ],
    traffic: { arrivals: { rate: 1 }, mix: [{ name: 'a' }] },
  });
  return resolveScenario(scenario, '<inline>').providers[0]!;
}

const START_MS = Date.parse('2026-06-01T00:00:00Z');
const WEEK_MS = 7 * 86_400_000;
const SIZES = ['512x512', '1024x1024', '1792x1024', '2048x2048'] as const;
const QUALITIES = ['standard', 'hd'] as const;

// ---------------------------------------------------------------------------------------------
// Arbitraries

const usd = (max: number) => fc.integer({ min: 0, max: 100_000 }).map((n) => (n / 100_000) * max);
const fraction = fc.integer({ min: 0, max: 100 }).map((n) => n / 100);
const hhmm = fc.integer({ min: 0, max: 24 * 60 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
const qualityMap = fc.record({ standard: fc.double({ min: 0.5, max: 3, noNaN: true }), hd: fc.double({ min: 0.5, max: 3, noNaN: true }) });

/** `appliesTo` of a discount, absent (all) in about half the cases. */
const appliesTo = fc.option(fc.constantFrom<unknown>('all', 'batch', 'interactive', ['batch'], ['interactive', 'batch']), { nil: undefined });
const offPeak = fc.array(fc.record({ from: hhmm, to: hhmm, tz: fc.constantFrom('UTC', 'America/New_York', 'Asia/Kolkata'), discount: fraction, appliesTo }), {
  minLength: 1,
  maxLength: 3,
});

/** Modifiers that combine with any model; each may be absent. */
const modifiers = fc.record(
  {
    resolution: fc.record({ reference: fc.constantFrom(...SIZES), scaling: fc.constantFrom('linear', 'none') }),
    steps: fc.record({ included: fc.integer({ min: 1, max: 60 }), scaling: fc.constantFrom('linear', 'none') }),
    quality: qualityMap,
    features: fc.dictionary(
      fc.constantFrom(...FEATURES),
      fc.oneof(fc.record({ add: usd(0.05) }), fc.record({ multiply: fc.double({ min: 0, max: 3, noNaN: true }) })),
    ),
    offPeak,
    dynamic: fc.record({ range: fraction }),
    validation: fc.record({ price: usd(0.01), bundleDiscount: fraction, appliesTo }),
  },
  { requiredKeys: [] },
);

/** Models whose price never falls as the image grows (given linear or no resolution scaling). */
const sizeMonotoneModel = fc.oneof(
  fc.record({ model: fc.constant('per-image'), price: usd(0.2) }),
  fc.record({ model: fc.constant('per-step'), perStep: usd(0.005), base: usd(0.01), minSteps: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ model: fc.constant('per-megapixel'), perMegapixel: usd(0.1), includedSteps: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ model: fc.constant('compute-time'), perSecond: usd(0.01) }),
  fc.record({
    model: fc.constant('credits'),
    perImage: fc.integer({ min: 0, max: 5 }),
    bundles: fc.array(fc.record({ credits: fc.integer({ min: 1, max: 1000 }), price: usd(50) }), { maxLength: 2 }),
    creditPrice: usd(0.1),
  }),
);

/** Models priced by size tables: per-image with `sizes`, per-token. Not monotone in pixels by construction. */
const tableModel = fc.oneof(
  fc.record({
    model: fc.constant('per-image'),
    price: usd(0.2),
    sizes: fc.record(Object.fromEntries(SIZES.map((s) => [s, fc.oneof(usd(0.2), fc.record({ standard: usd(0.2), hd: usd(0.2) }))]))),
  }),
  fc.record({
    model: fc.constant('per-token'),
    inputPerMillion: usd(20),
    outputPerMillion: usd(80),
    outputTokens: fc.record(
      Object.fromEntries(SIZES.map((s) => [s, fc.record({ standard: fc.integer({ min: 0, max: 5000 }), hd: fc.integer({ min: 0, max: 5000 }) })])),
    ),
  }),
);

const anyPricing = fc.tuple(fc.oneof(sizeMonotoneModel, tableModel), modifiers).map(([m, mods]) => ({ ...m, ...mods }));

function sized(size: string): Pick<QuoteRequest, 'size' | 'width' | 'height'> {
  const [w, h] = size.split('x').map(Number);
  return { size, width: w!, height: h! };
}

const request = fc
  .record({
    size: fc.constantFrom(...SIZES),
    steps: fc.integer({ min: 1, max: 120 }),
    quality: fc.option(fc.constantFrom(...QUALITIES), { nil: undefined }),
    features: fc.subarray([...FEATURES]),
    validate: fc.boolean(),
    promptChars: fc.integer({ min: 0, max: 4000 }),
    urgency: fc.constantFrom('interactive' as const, 'batch' as const),
  })
  .map((r): QuoteRequest => ({ ...r, ...sized(r.size) }));

const options = fc.record(
  {
    atMs: fc.integer({ min: START_MS, max: START_MS + WEEK_MS }),
    tier: fc.constantFrom('standard', 'turbo'),
    availability: fc.double({ min: 0, max: 1, noNaN: true }),
    serviceMs: fc.integer({ min: 0, max: 60_000 }),
  },
  { requiredKeys: ['atMs'] },
) as fc.Arbitrary<PriceOptions>;

/** Float slack for comparing two prices that went through different multiplications. */
const leq = (a: number, b: number): boolean => a <= b + Math.abs(b) * 1e-12 + 1e-15;

// ---------------------------------------------------------------------------------------------

describe('pricing properties', () => {
  it('prices every servable request at a finite amount >= 0, and price() equals quote().totalUsd', () => {
    fc.assert(
      fc.property(anyPricing, request, options, (pricing, r, opts) => {
        const p = provider(pricing);
        const q = quote(p, r, opts);
        fc.pre(q.ok);
        const fast = price(compilePricing(p), r, opts);
        expect(fast).toBe(q.totalUsd);
        expect(Number.isFinite(fast)).toBe(true);
        expect(fast).toBeGreaterThanOrEqual(0);
        expect(q.lines.at(-1)?.subtotal).toBe(q.totalUsd);
      }),
      { numRuns: 300 },
    );
  });

  // A deferral scan prices one request at many instants from its untimed part: bit for bit price().
  it('untimed part then the instant gives exactly price(), at any instant and availability', () => {
    fc.assert(
      fc.property(anyPricing, request, options, fc.array(fc.integer({ min: 0, max: WEEK_MS }), { minLength: 1, maxLength: 5 }), (pricing, r, opts, offsets) => {
        const c = compilePricing(provider(pricing));
        const expected = { ...opts, serviceMs: undefined };
        const untimed = untimedPrice(c, r, expected.tier);
        for (const offset of offsets) {
          const at = { ...expected, atMs: START_MS + offset };
          expect(Object.is(priceFromUntimed(c, r, untimed, at), price(c, r, at))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  // Steps only ever enter through max(...) factors and `perStep × steps`, so every model is monotone in steps.
  it('never charges less for more steps', () => {
    fc.assert(
      fc.property(anyPricing, request, options, fc.integer({ min: 0, max: 80 }), (pricing, r, opts, more) => {
        const c = compilePricing(provider(pricing));
        const fewer = price(c, r, opts);
        fc.pre(!Number.isNaN(fewer));
        const expected = { ...opts, serviceMs: undefined }; // compute-time: let the expected service time grow with steps
        expect(leq(price(c, r, expected), price(c, { ...r, steps: r.steps + more }, expected))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  // Not for per-image with a `sizes` table or per-token: a vendor's table may price a larger size lower.
  it('never charges less for more pixels (per-image without a table, per-step, per-megapixel, compute-time, credits)', () => {
    const side = fc.integer({ min: 64, max: 4096 });
    fc.assert(
      fc.property(sizeMonotoneModel, modifiers, request, options, side, side, side, side, (model, mods, r, opts, w1, h1, w2, h2) => {
        const c = compilePricing(provider({ ...model, ...mods }));
        const [small, large] = w1 * h1 <= w2 * h2 ? [`${w1}x${h1}`, `${w2}x${h2}`] : [`${w2}x${h2}`, `${w1}x${h1}`];
        const expected = { ...opts, serviceMs: undefined };
        const a = price(c, { ...r, ...sized(small) }, expected);
        const b = price(c, { ...r, ...sized(large) }, expected);
        expect(leq(a, b)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('off-peak windows never raise a price', () => {
    fc.assert(
      fc.property(anyPricing, offPeak, request, options, (pricing, windows, r, opts) => {
        const without = { ...pricing };
        delete without.offPeak;
        const a = price(compilePricing(provider({ ...without, offPeak: windows })), r, opts);
        const b = price(compilePricing(provider(without)), r, opts);
        fc.pre(!Number.isNaN(b));
        expect(leq(a, b)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the dynamic multiplier within [1 − range, 1 + range] for any availability', () => {
    fc.assert(
      fc.property(fraction, fc.double({ noNaN: true }), (range, a) => {
        const m = dynamicMultiplier(range, a);
        expect(m).toBeGreaterThanOrEqual(1 - range);
        expect(m).toBeLessThanOrEqual(1 + range);
      }),
    );
  });

  it('moves a price by the dynamic multiplier only, within the range', () => {
    fc.assert(
      fc.property(sizeMonotoneModel, fraction, request, options, (model, range, r, opts) => {
        const flat = price(compilePricing(provider(model)), r, opts);
        const dynamic = price(compilePricing(provider({ ...model, dynamic: { range } })), r, opts);
        fc.pre(flat > 1e-9);
        expect(leq(dynamic, flat * (1 + range))).toBe(true);
        expect(leq(flat * (1 - range), dynamic)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
