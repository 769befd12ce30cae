/**
 * The provider view's memo of prices by request shape (src/model/pricing/shape-memo.ts): two
 * requests of one shape share the untimed part, and whatever else the price reads (the instant
 * under a schedule or off-peak windows, the prompt's length, the urgency, the tier, the drawn
 * service time) still decides it. Each expectation is hand arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { AvailabilityCurve } from '../../src/model/availability.js';
import { ProviderHandle } from '../../src/routing/provider-view.js';
import { resolveScenario } from '../../src/scenario/resolve.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import { makeRequest } from './_context.js';

const START = Date.parse('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;

/** A view of one provider (tiers standard, and turbo ×1.5) priced by `pricing`, and its clock. */
function view(pricing: unknown, latency: unknown = { dist: 'fixed', value: '10s' }): { handle: ProviderHandle; clock: { now: number } } {
  const scenario = resolveScenario(
    scenarioSchema.parse({
      version: 1,
      name: 'memo-test',
      start: '2026-06-01T00:00:00Z',
      providers: [{ id: 'p', tiers: { standard: { latency }, turbo: { latency, priceMultiplier: 1.5 } }, supports: { features: ['lora', 'controlnet'] }, pricing }],
      traffic: { arrivals: { rate: 1 }, mix: [{ name: 'a' }] },
    }),
    '<inline>',
  );
  const p = scenario.providers[0]!;
  const clock = { now: START };
  const probe = { queued: () => 0, slots: () => 1, creditsLeft: () => undefined, creditValueUsd: () => undefined };
  return { handle: new ProviderHandle(p, clock, new AvailabilityCurve(p.availability, 1, p.id, START), probe, scenario.policy), clock };
}

describe('the provider view prices requests of one shape through a memo', () => {
  it('reads the entry of a price schedule in force for each request: 0.04, then 0.05 after July 1st, then 0.04 again going back', () => {
    const { handle, clock } = view([
      { model: 'per-image', price: 0.04 },
      { model: 'per-image', price: 0.05, from: '2026-07-01T00:00:00Z' },
    ]);
    const shape = makeRequest();
    expect(handle.price(shape)).toBe(0.04);
    clock.now = Date.parse('2026-07-01T00:00:00Z');
    expect(handle.price(makeRequest())).toBe(0.05);
    expect(handle.priceAt(makeRequest(), START)).toBe(0.04);
    expect(handle.fixedAmount(makeRequest(), undefined, 1, 0, false)).toBe(0.05);
  });

  it('applies a schedule multiplier of one entry per segment: 0.04, then × 1.25 = 0.05', () => {
    const { handle, clock } = view({ model: 'per-image', price: 0.04, schedule: [{ from: '2026-07-01T00:00:00Z', multiply: 1.25 }] });
    expect(handle.price(makeRequest())).toBe(0.04);
    clock.now = Date.parse('2026-07-02T00:00:00Z');
    expect(handle.price(makeRequest())).toBe(0.04 * 1.25);
  });

  it('applies an off-peak window at each instant: 0.03 at noon, 0.03 × 0.5 = 0.015 at 03:00, then 0.03 again', () => {
    const { handle, clock } = view({ model: 'per-image', price: 0.03, offPeak: [{ from: '02:00', to: '06:00', discount: 0.5 }] });
    clock.now = START + 12 * HOUR;
    expect(handle.price(makeRequest())).toBe(0.03);
    clock.now = START + 27 * HOUR;
    expect(handle.price(makeRequest())).toBe(0.03 * 0.5);
    expect(handle.fixedAmount(makeRequest(), 'standard', 1, 10_000, false)).toBe(0.03 * 0.5);
    clock.now = START + 36 * HOUR;
    expect(handle.price(makeRequest())).toBe(0.03);
  });

  it('counts each prompt under per-token pricing: ⌈400/4⌉ and ⌈401/4⌉ prompt tokens differ', () => {
    const { handle } = view({ model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { medium: 1056 } } });
    // 100 × 5e-6 + 1056 × 4e-5; 101 × 5e-6 + 1056 × 4e-5; 100 tokens again
    expect(handle.price(makeRequest({ promptChars: 400 }))).toBe(100 * 5e-6 + 1056 * 4e-5);
    expect(handle.price(makeRequest({ promptChars: 401 }))).toBe(101 * 5e-6 + 1056 * 4e-5);
    expect(handle.price(makeRequest({ promptChars: 397 }))).toBe(100 * 5e-6 + 1056 * 4e-5);
  });

  it('keeps the urgency apart under a batch-only validation bundle: 0.044 × 0.75 = 0.033 for batch, 0.044 interactive', () => {
    const { handle } = view({ model: 'per-image', price: 0.04, validation: { price: 0.004, bundleDiscount: 0.25, appliesTo: 'batch' } });
    expect(handle.price(makeRequest({ validate: true, urgency: 'batch' }))).toBe((0.04 + 0.004) * 0.75);
    expect(handle.price(makeRequest({ validate: true, urgency: 'interactive' }))).toBe(0.04 + 0.004);
    expect(handle.price(makeRequest({ validate: false, urgency: 'batch' }))).toBe(0.04);
  });

  it('reads features by content, the tier, steps and size: ×1.5 LoRA, +0.01 ControlNet, ×1.5 turbo, 2 × 28 steps, 4 × the pixels', () => {
    const { handle } = view({
      model: 'per-image',
      price: 0.02,
      steps: { scaling: 'linear', included: 28 },
      resolution: { reference: '1024x1024', scaling: 'linear' },
      features: { lora: { multiply: 1.5 }, controlnet: { add: 0.01 } },
    });
    expect(handle.price(makeRequest({ steps: 28, features: ['lora'] }))).toBe(0.02 * 1.5);
    // Another array of the same content: the same price.
    expect(handle.price(makeRequest({ steps: 28, features: ['lora'] }))).toBe(0.02 * 1.5);
    expect(handle.price(makeRequest({ steps: 28, features: ['lora', 'controlnet'] }))).toBe(0.02 * 1.5 + 0.01);
    expect(handle.price(makeRequest({ steps: 28, features: ['lora'] }), 'turbo')).toBe(0.02 * 1.5 * 1.5);
    expect(handle.price(makeRequest({ steps: 28 }))).toBe(0.02);
    expect(handle.price(makeRequest({ steps: 56 }))).toBe(0.02 * 2);
    expect(handle.price(makeRequest({ steps: 28, size: '2048x2048', width: 2048, height: 2048 }))).toBe(0.02 * 4);
    // More shapes than the memo keeps, then the first again.
    expect(handle.price(makeRequest({ steps: 28, features: ['lora'] }))).toBe(0.02 * 1.5);
  });

  it('fixes a compute-time attempt at its drawn service time, routing at the median: 10 s × 0.001 vs 4 s × 0.001', () => {
    const { handle } = view({ model: 'compute-time', perSecond: 0.001 });
    expect(handle.price(makeRequest())).toBe(10 * 0.001);
    expect(handle.fixedAmount(makeRequest(), 'standard', 1, 4_000, false)).toBe(4 * 0.001);
    expect(handle.fixedAmount(makeRequest(), 'standard', 1, 0, false)).toBe(0);
  });

  it('fixes credits, not USD, for a ledger: 3 credits whatever the credit is worth', () => {
    const { handle } = view({ model: 'credits', perImage: 3, bundles: [{ credits: 100, price: 5 }] });
    expect(handle.fixedAmount(makeRequest(), undefined, 1, 0, true)).toBe(3);
    expect(handle.fixedAmount(makeRequest(), undefined, 1, 0, false)).toBe(3 * 0.05);
  });
});
