import { describe, expect, it } from 'vitest';
import { compilePricing, creditsFor, dynamicMultiplier, offPeakBestIn, offPeakWindowAt, price, quote } from '../../src/model/pricing/quote.js';
import { PRICING_MODELS } from '../../src/model/pricing/registry.js';
import type { PriceOptions, QuoteRequest } from '../../src/model/pricing/types.js';
import { at, NOON, provider, req, total } from './_pricing.js';

const DALLE3 = {
  model: 'per-image',
  price: 0.04,
  sizes: { '1024x1024': { standard: 0.04, hd: 0.08 }, '1792x1024': { standard: 0.08, hd: 0.12 } },
};
const GPT_IMAGE = {
  model: 'per-token',
  inputPerMillion: 5,
  outputPerMillion: 40,
  outputTokens: { '1024x1024': { low: 272, medium: 1056, high: 4160 } },
};

// ---------------------------------------------------------------------------------------------

describe('pricing acceptance examples', () => {
  it('per-step base + steps, off-peak −30% at 03:00 UTC, on the ×1.5 turbo tier costs 0.0441', () => {
    const p = provider({ model: 'per-step', base: 0.002, perStep: 0.001, offPeak: [{ from: '02:00', to: '06:00', discount: 0.3 }] });
    // (0.002 + 0.001 × 40) × (1 − 0.3) × 1.5 = 0.042 × 0.7 × 1.5 = 0.0441
    const q = quote(p, req({ steps: 40 }), { atMs: at('03:00'), tier: 'turbo' });
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    expect(q.totalUsd).toBeCloseTo(0.0441, 12);
    expect(q.lines.map((l) => [l.factor, l.op, l.label])).toEqual([
      ['base', 'base', '0.002 per image'],
      ['steps', 'add', '0.001 × 40 steps'],
      ['off-peak', 'multiply', 'off-peak 02:00–06:00 UTC −30% = ×0.7'],
      ['tier', 'multiply', 'turbo tier ×1.5'],
    ]);
    expect(q.lines.map((l) => l.subtotal)).toEqual([0.002, 0.042, 0.042 * 0.7, 0.042 * 0.7 * 1.5]);
  });

  it('per-megapixel at 2048x1024 with 56 steps over 28 included plus a ControlNet add-on costs 0.1148576', () => {
    const p = provider({ model: 'per-megapixel', perMegapixel: 0.025, includedSteps: 28, features: { controlnet: { add: 0.01 } } });
    // 2048 × 1024 / 1e6 = 2.097152 MP; × 0.025 = 0.0524288; × max(1, 56/28) = × 2 → 0.1048576; + 0.01 = 0.1148576
    const q = quote(p, req({ size: '2048x1024', steps: 56, features: ['controlnet'] }), { atMs: NOON });
    expect(q.ok && q.totalUsd).toBeCloseTo(0.1148576, 12);
    expect(q.ok && q.lines.map((l) => l.factor)).toEqual(['megapixels', 'steps', 'feature:controlnet']);
  });

  it('gpt-image-1 style per-token: 400-char prompt, 1024x1024 medium', () => {
    // ⌈400 / 4⌉ = 100 prompt tokens × 5e-6 = 0.0005; 1056 image tokens × 4e-5 = 0.04224; sum 0.04274
    // (the brief rounds this to 0.0427; the exact sum of its own terms is 0.04274)
    const q = quote(provider(GPT_IMAGE), req({ quality: 'medium', promptChars: 400 }), { atMs: NOON });
    expect(q.ok && q.totalUsd).toBeCloseTo(0.04274, 12);
    expect(q.ok && q.lines.map((l) => l.label)).toEqual([
      '100 prompt tokens (⌈400 chars / 4⌉) × 5 / 1M',
      '1056 image tokens (1024x1024 medium) × 40 / 1M',
    ]);
  });

  it.each([
    ['1024x1024', 'standard', 0.04],
    ['1024x1024', 'hd', 0.08],
    ['1792x1024', 'standard', 0.08],
    ['1792x1024', 'hd', 0.12],
    ['1792x1024', undefined, 0.08], // no quality → first listed (standard)
  ])('DALL·E 3 style table: %s %s costs $%s', (size, quality, expected) => {
    expect(total(provider(DALLE3), req({ size, quality }))).toBeCloseTo(expected, 12);
  });
});

describe('pricing models', () => {
  it.each<[string, Record<string, unknown>, Partial<QuoteRequest>, number]>([
    // per-image
    ['flat price', { model: 'per-image', price: 0.04 }, {}, 0.04],
    ['flat price ignores size without a resolution modifier', { model: 'per-image', price: 0.04 }, { size: '2048x2048' }, 0.04],
    ['price × resolution factor', { model: 'per-image', price: 0.04, resolution: { reference: '1024x1024' } }, { size: '2048x2048' }, 0.16], // 0.04 × 4
    ['resolution scaling none', { model: 'per-image', price: 0.04, resolution: { reference: '1024x1024', scaling: 'none' } }, { size: '2048x2048' }, 0.04],
    ['quality multiplier', { model: 'per-image', price: 0.04, quality: { standard: 1, hd: 2 } }, { quality: 'hd' }, 0.08], // 0.04 × 2
    ['no quality → first quality multiplier', { model: 'per-image', price: 0.04, quality: { standard: 1.25, hd: 2 } }, {}, 0.05], // 0.04 × 1.25
    [
      'a plain size-table price skips resolution but takes the quality multiplier',
      { model: 'per-image', price: 0.04, sizes: { '512x512': 0.018 }, resolution: { reference: '1024x1024' }, quality: { standard: 1, hd: 2 } },
      { size: '512x512', quality: 'hd' },
      0.036, // 0.018 × 2
    ],
    [
      'a quality-keyed size table already prices quality',
      { ...DALLE3, quality: { standard: 1, hd: 3 } },
      { quality: 'hd' },
      0.08,
    ],
    // per-step
    ['perStep × steps', { model: 'per-step', perStep: 0.001 }, { steps: 40 }, 0.04],
    ['base + perStep × steps', { model: 'per-step', perStep: 0.001, base: 0.002 }, { steps: 40 }, 0.042],
    ['minSteps floor', { model: 'per-step', perStep: 0.001, minSteps: 30 }, { steps: 20 }, 0.03], // 0.001 × max(20, 30)
    ['above minSteps', { model: 'per-step', perStep: 0.001, minSteps: 30 }, { steps: 60 }, 0.06],
    // per-token
    ['per-token, no quality → first listed', GPT_IMAGE, { promptChars: 400 }, 0.01138], // 100 × 5e-6 + 272 × 4e-5 = 0.0005 + 0.01088
    ['per-token rounds prompt tokens up', GPT_IMAGE, { promptChars: 401, quality: 'medium' }, 0.042745], // 101 × 5e-6 + 0.04224
    ['per-token, empty prompt', GPT_IMAGE, { promptChars: 0, quality: 'high' }, 0.1664], // 4160 × 4e-5
    // per-megapixel
    ['MP × perMegapixel', { model: 'per-megapixel', perMegapixel: 0.025, includedSteps: 30 }, {}, 0.0262144], // 1.048576 × 0.025
    ['steps under includedSteps do not discount', { model: 'per-megapixel', perMegapixel: 0.025, includedSteps: 28 }, { size: '2048x1024', steps: 20 }, 0.0524288],
    ['steps beyond includedSteps scale', { model: 'per-megapixel', perMegapixel: 0.025, includedSteps: 20 }, { steps: 30 }, 0.0393216], // 0.0262144 × 1.5
    // compute-time (default service time: the tier median scaled by steps × pixels)
    ['expected service at the reference request', { model: 'compute-time', perSecond: 0.001 }, {}, 0.01], // 10 s × 0.001
    ['expected service scales with steps × pixels', { model: 'compute-time', perSecond: 0.001 }, { steps: 60, size: '2048x1024' }, 0.04], // 10 s × 2 × 2
    // credits (first bundle: 1000 credits for $10 → $0.01 per credit)
    ['credits × first bundle credit value', { model: 'credits', perImage: 1, bundles: [{ credits: 1000, price: 10 }] }, {}, 0.01],
    [
      'credit add-ons count credits',
      { model: 'credits', perImage: 1, bundles: [{ credits: 1000, price: 10 }], features: { controlnet: { add: 2 } } },
      { features: ['controlnet'] },
      0.03, // (1 + 2) credits × 0.01
    ],
    [
      'credits validation is credits, bundle-discounted',
      { model: 'credits', perImage: 1, bundles: [{ credits: 1000, price: 10 }], validation: { price: 1, bundleDiscount: 0.25 } },
      { validate: true },
      0.015, // (1 + 1) × 0.75 = 1.5 credits × 0.01
    ],
    ['credits without bundles use creditPrice', { model: 'credits', perImage: 2, creditPrice: 0.015 }, {}, 0.03],
  ])('%s', (_name, pricing, request, expected) => {
    expect(total(provider(pricing), req(request))).toBeCloseTo(expected, 12);
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['fixed', { dist: 'fixed', value: '8s' }, 0.008],
    ['uniform: (min + max) / 2', { dist: 'uniform', min: '2s', max: '6s' }, 0.004],
    ['exponential: mean × ln 2', { dist: 'exponential', mean: '10s' }, 0.01 * Math.LN2],
    ['lognormal: median', { dist: 'lognormal', median: '8s', p99: '20s' }, 0.008],
  ])('compute-time defaults to the tier median service time (%s)', (_name, latency, expected) => {
    const p = provider({ model: 'compute-time', perSecond: 0.001 }, { tiers: { only: { latency } } });
    expect(total(p, req())).toBeCloseTo(expected, 12);
  });

  it('compute-time bills the service time it is given, not the expectation', () => {
    const p = provider({ model: 'compute-time', perSecond: 0.0012 });
    // 8.5 s × 0.0012 = 0.0102
    const q = quote(p, req(), { atMs: NOON, serviceMs: 8_500 });
    expect(q.ok && q.totalUsd).toBeCloseTo(0.0102, 12);
    expect(q.ok && q.lines[0]!.label).toBe('8.5 s service × 0.0012 per s');
  });

  it('compute-time with latencyScaling none does not scale the expectation', () => {
    const p = provider({ model: 'compute-time', perSecond: 0.001 }, { latencyScaling: 'none' });
    expect(total(p, req({ steps: 60, size: '2048x2048' }))).toBeCloseTo(0.01, 12);
  });

  it('credits quotes carry the credits and convert them last', () => {
    const p = provider({ model: 'credits', perImage: 1, bundles: [{ credits: 1000, price: 10 }], features: { controlnet: { add: 2 } } });
    const q = quote(p, req({ features: ['controlnet'] }), { atMs: NOON, tier: 'turbo' });
    // (1 + 2) credits × 1.5 turbo = 4.5 credits; × 0.01 = 0.045
    expect(q.ok && q.credits).toBeCloseTo(4.5, 12);
    expect(q.ok && q.totalUsd).toBeCloseTo(0.045, 12);
    expect(q.ok && q.lines.map((l) => l.factor)).toEqual(['credits', 'feature:controlnet', 'tier', 'credit-value']);
    expect(creditsFor(compilePricing(p), req({ features: ['controlnet'] }), { atMs: NOON, tier: 'turbo' })).toBeCloseTo(4.5, 12);
    // the caller can price the credits at what the ledger paid for them: 4.5 × 0.02
    expect(price(compilePricing(p), req({ features: ['controlnet'] }), { atMs: NOON, tier: 'turbo', creditValueUsd: 0.02 })).toBeCloseTo(0.09, 12);
  });

  it('registers every pricing model under its name', () => {
    expect(Object.keys(PRICING_MODELS).sort()).toEqual(['compute-time', 'credits', 'per-image', 'per-megapixel', 'per-step', 'per-token']);
    for (const [name, model] of Object.entries(PRICING_MODELS)) expect(model.name).toBe(name);
  });
});

describe('pricing modifiers', () => {
  // Every row starts from per-step 0.001 × 30 steps = 0.03.
  const base = { model: 'per-step', perStep: 0.001 };
  const window = { from: '02:00', to: '06:00', discount: 0.3 };

  it.each<[string, Record<string, unknown>, Partial<QuoteRequest>, Partial<PriceOptions>, number]>([
    ['step scaling beyond included', { steps: { included: 20 } }, {}, {}, 0.045], // 0.03 × 30/20
    ['step scaling within included', { steps: { included: 40 } }, {}, {}, 0.03], // × max(1, 30/40)
    ['step scaling none', { steps: { included: 20, scaling: 'none' } }, {}, {}, 0.03],
    ['resolution on per-step', { resolution: { reference: '1024x1024' } }, { size: '1792x1024' }, {}, 0.0525], // 0.03 × 1.75
    ['quality multiplier', { quality: { standard: 1, hd: 1.5 } }, { quality: 'hd' }, {}, 0.045],
    ['feature multiplier', { features: { inpainting: { multiply: 2 } } }, { features: ['inpainting'] }, {}, 0.06],
    ['feature add-on', { features: { controlnet: { add: 0.01 } } }, { features: ['controlnet'] }, {}, 0.04],
    [
      'multipliers before add-ons, whatever the request order',
      { features: { controlnet: { add: 0.01 }, lora: { multiply: 2 } } },
      { features: ['controlnet', 'lora'] },
      {},
      0.07, // 0.03 × 2 + 0.01
    ],
    ['unpriced feature costs nothing extra', { features: { lora: { multiply: 2 } } }, { features: ['ip-adapter'] }, {}, 0.03],
    ['validation add + bundle discount on the pair', { validation: { price: 0.002, bundleDiscount: 0.25 } }, { validate: true }, {}, 0.024], // (0.03 + 0.002) × 0.75
    ['validation without a bundle discount', { validation: { price: 0.002 } }, { validate: true }, {}, 0.032],
    ['no validation unless the request asks', { validation: { price: 0.002, bundleDiscount: 0.25 } }, {}, {}, 0.03],
    ['off-peak inside the window', { offPeak: [window] }, {}, { atMs: at('03:00') }, 0.021], // 0.03 × 0.7
    ['off-peak at the window start', { offPeak: [window] }, {}, { atMs: at('02:00') }, 0.021],
    ['off-peak window end is exclusive', { offPeak: [window] }, {}, { atMs: at('06:00') }, 0.03],
    ['off-peak outside the window', { offPeak: [window] }, {}, { atMs: NOON }, 0.03],
    ['off-peak wrapping midnight, before it', { offPeak: [{ from: '22:00', to: '06:00', discount: 0.3 }] }, {}, { atMs: at('23:30') }, 0.021],
    ['off-peak wrapping midnight, after it', { offPeak: [{ from: '22:00', to: '06:00', discount: 0.3 }] }, {}, { atMs: at('01:00') }, 0.021],
    ['off-peak wrapping midnight, midday', { offPeak: [{ from: '22:00', to: '06:00', discount: 0.3 }] }, {}, { atMs: NOON }, 0.03],
    // New York is UTC−4 in June: 07:00Z is 03:00 local (inside), 03:00Z is 23:00 local (outside)
    ['off-peak in the window time zone, inside', { offPeak: [{ ...window, tz: 'America/New_York' }] }, {}, { atMs: at('07:00') }, 0.021],
    ['off-peak in the window time zone, outside', { offPeak: [{ ...window, tz: 'America/New_York' }] }, {}, { atMs: at('03:00') }, 0.03],
    [
      'overlapping off-peak windows: the largest discount wins',
      { offPeak: [window, { from: '03:00', to: '04:00', discount: 0.5 }, { from: '00:00', to: '24:00', discount: 0.1 }] },
      {},
      { atMs: at('03:30') },
      0.015, // 0.03 × 0.5
    ],
    ['dynamic, a = 0 → +range', { dynamic: { range: 0.4 } }, {}, { availability: 0 }, 0.042], // × 1.4
    ['dynamic, a = 1 → −range', { dynamic: { range: 0.4 } }, {}, { availability: 1 }, 0.018], // × 0.6
    ['dynamic, a = 0.25', { dynamic: { range: 0.4 } }, {}, { availability: 0.25 }, 0.036], // × (1 + 0.4 × 0.5)
    ['dynamic, a = 0.5 → ×1', { dynamic: { range: 0.4 } }, {}, { availability: 0.5 }, 0.03],
    ['dynamic without an availability reading assumes 0.5', { dynamic: { range: 0.4 } }, {}, {}, 0.03],
    ['dynamic clips availability outside [0, 1]', { dynamic: { range: 0.4 } }, {}, { availability: -3 }, 0.042],
    ['tier multiplier', {}, {}, { tier: 'turbo' }, 0.045],
    [
      'everything, in order',
      {
        steps: { included: 15 },
        quality: { standard: 1, hd: 1.5 },
        features: { lora: { multiply: 2 }, controlnet: { add: 0.01 } },
        validation: { price: 0.02, bundleDiscount: 0.25 },
        offPeak: [window],
        dynamic: { range: 0.4 },
      },
      { quality: 'hd', features: ['controlnet', 'lora'], validate: true },
      { atMs: at('03:00'), availability: 0.25, tier: 'turbo' },
      // 0.03 × 2 (steps) × 1.5 (hd) × 2 (lora) = 0.18; + 0.01 = 0.19; + 0.02 = 0.21; × 0.75 = 0.1575;
      // × 0.7 (off-peak) = 0.11025; × 1.2 (dynamic) = 0.1323; × 1.5 (turbo) = 0.19845
      0.19845,
    ],
  ])('%s', (_name, modifiers, request, opts, expected) => {
    const p = provider({ ...base, ...modifiers });
    const r = req(request);
    const o = { atMs: NOON, ...opts };
    expect(total(p, r, o)).toBeCloseTo(expected, 12);
    expect(price(compilePricing(p), r, o)).toBe(total(p, r, o));
  });

  it('itemises every factor in order with running subtotals', () => {
    const p = provider({
      ...base,
      resolution: { reference: '1024x1024' },
      steps: { included: 15 },
      quality: { standard: 1, hd: 1.5 },
      features: { lora: { multiply: 2 }, controlnet: { add: 0.01 } },
      validation: { price: 0.02, bundleDiscount: 0.25 },
      offPeak: [window],
      dynamic: { range: 0.4 },
    });
    const q = quote(p, req({ quality: 'hd', features: ['controlnet', 'lora'], validate: true }), { atMs: at('03:00'), availability: 0.25, tier: 'turbo' });
    expect(q.ok).toBe(true);
    if (!q.ok) return;
    expect(q.lines.map((l) => `${l.factor} ${l.op} ${l.value}`)).toEqual([
      'steps base 0.03',
      'resolution multiply 1',
      'step-scaling multiply 2',
      'quality multiply 1.5',
      'feature:lora multiply 2',
      'feature:controlnet add 0.01',
      'validation add 0.02',
      'validation-bundle multiply 0.75',
      'off-peak multiply 0.7',
      'dynamic multiply 1.2',
      'tier multiply 1.5',
    ]);
    expect(q.lines.at(-1)!.subtotal).toBe(q.totalUsd);
    expect(q.lines.find((l) => l.factor === 'dynamic')!.label).toBe('availability 0.25: 1 + 0.4 × (1 − 2 × 0.25), within ±40% = ×1.2');
  });

  it.each([
    [0, 0.4, 1.4],
    [1, 0.4, 0.6],
    [0.5, 0.4, 1],
    [2, 0.4, 0.6],
    [-1, 0.4, 1.4],
    [0.1, 0, 1],
  ])('dynamic multiplier at a = %s, range %s is ×%s', (a, range, expected) => {
    expect(dynamicMultiplier(range, a)).toBeCloseTo(expected, 12);
  });
});

describe('unservable requests', () => {
  const sized = { supports: { sizes: ['1024x1024', '1792x1024'], maxSteps: 50, features: ['inpainting', 'lora'] } };
  const perStep = { model: 'per-step', perStep: 0.001 };

  it.each<[string, Record<string, unknown>, Record<string, unknown>, Partial<QuoteRequest>, string | undefined, string, string]>([
    ['size outside supports.sizes', perStep, sized, { size: '2048x2048' }, undefined, 'size', 'p does not offer 2048x2048; sizes: 1024x1024, 1792x1024'],
    ['size missing from a per-image sizes table', DALLE3, {}, { size: '512x512' }, undefined, 'size', 'p does not offer 512x512; sizes: 1024x1024, 1792x1024'],
    ['size missing from per-token outputTokens', GPT_IMAGE, {}, { size: '1792x1024' }, undefined, 'size', 'p does not offer 1792x1024; sizes: 1024x1024'],
    ['too many steps', perStep, sized, { steps: 60 }, undefined, 'steps', 'p allows at most 50 steps; the request asks for 60'],
    ['a feature not listed', perStep, sized, { features: ['lora', 'controlnet'] }, undefined, 'feature', 'p does not support controlnet; features: inpainting, lora'],
    [
      'any feature when `supports.features` is empty',
      { ...perStep, features: { controlnet: { add: 0.01 } } },
      { supports: { features: [] } },
      { features: ['controlnet'] },
      undefined,
      'feature',
      'p does not support controlnet; it supports no features',
    ],
    ['an unknown tier', perStep, {}, {}, 'ultra', 'tier', 'p has no tier "ultra"; tiers: standard, turbo'],
    ['a quality missing from a sizes table', DALLE3, {}, { quality: 'ultra' }, undefined, 'quality', 'p does not offer quality "ultra" at 1024x1024; qualities: standard, hd'],
    ['a quality missing from outputTokens', GPT_IMAGE, {}, { quality: 'hd' }, undefined, 'quality', 'p does not offer quality "hd" at 1024x1024; qualities: low, medium, high'],
    [
      'a quality missing from the quality multipliers',
      { ...perStep, quality: { standard: 1, hd: 2 } },
      {},
      { quality: 'ultra' },
      undefined,
      'quality',
      'p does not offer quality "ultra"; qualities: standard, hd',
    ],
    [
      'a quality outside supports.qualities',
      perStep,
      { supports: { qualities: ['standard'] } },
      { quality: 'hd' },
      undefined,
      'quality',
      'p does not offer quality "hd"; qualities: standard',
    ],
  ])('refuses %s', (_name, pricing, extra, request, tier, code, reason) => {
    const q = quote(provider(pricing, extra), req(request), { atMs: NOON, tier });
    expect(q).toMatchObject({ ok: false, provider: 'p', code, reason });
    if (!q.ok) expect(q.tier).toBe(code === 'tier' ? undefined : 'standard');
  });

  it('serves a quality when the provider describes none', () => {
    expect(total(provider(perStep), req({ quality: 'hd' }))).toBeCloseTo(0.03, 12);
  });

  it('prices an unservable request as NaN on the fast path rather than guessing', () => {
    const c = compilePricing(provider(DALLE3));
    expect(price(c, req({ quality: 'ultra' }), { atMs: NOON })).toBeNaN();
    expect(price(c, req(), { atMs: NOON, tier: 'ultra' })).toBeNaN();
  });

  it('compiles each provider once', () => {
    const p = provider(perStep);
    expect(compilePricing(p)).toBe(compilePricing(p));
  });
});

describe('offPeakBestIn', () => {
  const night = provider({ model: 'per-image', price: 0.04, offPeak: [{ from: '02:00', to: '06:00', tz: 'UTC', discount: 0.3 }] });
  const berlin = provider({ model: 'per-image', price: 0.04, offPeak: [{ from: '02:00', to: '02:30', tz: 'Europe/Berlin', discount: 0.4 }] });
  const two = provider({
    model: 'per-image',
    price: 0.04,
    offPeak: [
      { from: '22:00', to: '02:00', tz: 'UTC', discount: 0.1 },
      { from: '03:00', to: '04:00', tz: 'Europe/Berlin', discount: 0.5 },
    ],
  });

  it.each([
    // Span 00:00–06:00: the window starts at 02:00 inside it.
    ['a window starting inside the span', night, '00:00', '06:00', '02:00'],
    // Span 03:00–04:00: already in the window at the start.
    ['a span starting in the window', night, '03:00', '04:00', '03:00'],
    // Span 07:00–09:00: no window; the start.
    ['no window in the span', night, '07:00', '09:00', '07:00'],
    // Span 00:00–01:59: the window opens at 02:00, after the span.
    ['a window just after the span', night, '00:00', '01:59', '00:00'],
    // 23:00 is in the 10% window; 03:00 Berlin (CEST, UTC+2) = 01:00 UTC opens the 50% one.
    ['a larger discount later, in another zone', two, '23:00', '23:59', '23:00'],
  ])('%s', (_, p, from, to, expected) => {
    const c = compilePricing(p);
    const fromMs = from === '23:00' ? Date.parse('2026-05-31T23:00:00Z') : at(from);
    const toMs = to === '23:59' ? Date.parse('2026-06-01T01:30:00Z') : at(to);
    expect(new Date(offPeakBestIn(c, fromMs, toMs, 'interactive')).toISOString()).toBe(
      expected === '23:00' ? '2026-06-01T01:00:00.000Z' : new Date(at(expected)).toISOString(),
    );
  });

  it.each([
    ['two windows in two zones, in June', two, at('00:00')],
    // 02:00 Berlin on 2026-03-29 does not exist (01:00 UTC jumps from 02:00 CET to 03:00 CEST),
    // and 02:00–03:00 happens twice on 2026-10-25: window starts skipped and repeated.
    ['a Berlin window over the March clock change', berlin, Date.parse('2026-03-29T00:00:00Z')],
    ['a Berlin window over the October clock change', berlin, Date.parse('2026-10-25T00:00:00Z')],
  ])('finds the largest discount anywhere in the span (sampled each minute): %s', (_, p, day) => {
    const c = compilePricing(p);
    for (let from = day - 6 * 3_600_000; from < day + 30 * 3_600_000; from += 97 * 60_000) {
      for (const length of [0, 59 * 60_000, 5 * 3_600_000, 26 * 3_600_000]) {
        const to = from + length;
        let best = 0;
        for (let t = from; t <= to; t += 60_000) {
          const i = offPeakWindowAt(c, t, 'interactive');
          if (i >= 0) best = Math.max(best, c.offPeak[i]!.discount);
        }
        const pick = offPeakBestIn(c, from, to, 'interactive');
        const i = offPeakWindowAt(c, pick, 'interactive');
        expect(pick).toBeGreaterThanOrEqual(from);
        expect(pick).toBeLessThanOrEqual(to);
        expect(i < 0 ? 0 : c.offPeak[i]!.discount).toBe(best);
      }
    }
  });
});
