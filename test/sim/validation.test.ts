/**
 * The validation step: a request with `validate: true` served by a provider without a
 * `pricing.validation` bundle pays a separate validator call after its generation (its price,
 * latency and failures); at a provider with a bundle the bundled price applies and no call is
 * made. Bills and latencies worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';
import type { AttemptRecord } from '../../src/metrics/attempt-log.js';

const EXACT = 9;

/** A generation provider at $0.04 an image answering in exactly 2 s, with no validation price. */
const gen = {
  id: 'gen',
  pricing: { model: 'per-image' as const, price: 0.04 },
  tiers: { standard: { latency: { dist: 'fixed' as const, value: '2s' } } },
};

/** The same with a bundle: validation $0.004, 10% off generation + validation. */
const bundled = {
  ...gen,
  id: 'bundled',
  pricing: { model: 'per-image' as const, price: 0.04, validation: { price: 0.004, bundleDiscount: 0.1 } },
};

/** A vision check at $0.003 a call answering in exactly 500 ms. */
const vision = {
  id: 'vision',
  pricing: { model: 'per-image' as const, price: 0.003 },
  tiers: { standard: { latency: { dist: 'fixed' as const, value: '500ms' } } },
};

/** One validated request a minute for an hour: 60 requests, all at one provider. */
function scenario(providers: ScenarioInput['providers'], extra: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    version: 1,
    name: 'validation',
    seed: 3,
    start: '2026-06-01T00:00:00Z',
    duration: '1h',
    providers,
    traffic: { arrivals: { process: 'uniform', rate: '1/min' }, mix: [{ name: 'checked', validate: true }] },
    strategies: ['cheapest'],
    ...extra,
  };
}

async function run(input: ScenarioInput, onAttempt?: (r: Readonly<AttemptRecord>) => void) {
  const report = await simulate(scenarioFromObject(input), { oracle: false, ...(onAttempt ? { onAttempt } : {}) });
  return report.strategies[0]!;
}

describe('the validation step', () => {
  it('without a validator, validation at a provider with no validation price is free (as before)', async () => {
    const s = await run(scenario([gen]));
    expect(s.cost.total).toBeCloseTo(60 * 0.04, EXACT);
    expect(Object.keys(s.providers)).toEqual(['gen']);
    expect(s.latencyMs.p50).toBe(2000);
  });

  it('bills generation + a separate validator call, and adds the call to the latency', async () => {
    const s = await run(scenario([gen], { validators: [vision] }));
    // Each request: $0.04 generation + $0.003 check = $0.043; 60 requests = $2.58.
    expect(s.cost.total).toBeCloseTo(60 * (0.04 + 0.003), EXACT);
    expect(s.cost.byProvider).toEqual({ gen: expect.closeTo(2.4, EXACT) as number, vision: expect.closeTo(0.18, EXACT) as number });
    expect(s.cost.perSucceeded).toBeCloseTo(0.043, EXACT);
    expect(s.providers.vision).toMatchObject({ attempts: 60, succeeded: 60, outcomes: { success: 60 } });
    expect(s.providers.gen!.attempts).toBe(60);
    expect(s.attempts.total).toBe(120);
    expect(s.requests).toMatchObject({ total: 60, succeeded: 60, failed: 0 });
    // 2 s generation, then 0.5 s check: 2.5 s from arrival to the checked image.
    expect(s.latencyMs.p50).toBe(2500);
    expect(s.latencyMs.max).toBe(2500);
  });

  it('at a provider with a bundle, the bundled price applies and no call is made', async () => {
    const s = await run(scenario([bundled], { validators: [vision] }));
    // (0.04 + 0.004) × (1 − 0.1) = $0.0396 a request, vs $0.043 through the separate pipeline.
    expect(s.cost.total).toBeCloseTo(60 * 0.0396, EXACT);
    expect(s.providers.vision).toMatchObject({ attempts: 0, cost: 0 });
    expect(s.latencyMs.p50).toBe(2000);
  });

  it('only requests that ask for validation call the validator', async () => {
    const input = scenario([gen], { validators: [vision] });
    input.traffic.mix = [
      { name: 'checked', validate: true },
      { name: 'plain', validate: false },
    ];
    const s = await run(input);
    const checked = s.providers.vision!.attempts;
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBeLessThan(60);
    expect(s.cost.total).toBeCloseTo(60 * 0.04 + checked * 0.003, EXACT);
    expect(s.cost.byClass?.checked).toBeCloseTo(checked * 0.043, EXACT);
  });

  it('retries a failed call up to pipeline.maxAttempts, then fails the request (generation still billed)', async () => {
    const failing = { ...vision, failures: { serverError: 1 } };
    const s = await run(scenario([gen], { validators: [failing], pipeline: { maxAttempts: 3 } }));
    // Every call a server error (not billed by default), 3 calls a request, 200 ms each.
    expect(s.requests).toMatchObject({ total: 60, succeeded: 0, failed: 60 });
    expect(s.failures).toEqual({ 'validator-server-error': 60 });
    expect(s.providers.vision).toMatchObject({ attempts: 180, succeeded: 0, cost: 0, outcomes: { 'server-error': 180 } });
    expect(s.cost.total).toBeCloseTo(60 * 0.04, EXACT);
  });

  it('bills failed calls when the validator bills server errors', async () => {
    const failing = { ...vision, pricing: { ...vision.pricing, billing: { serverError: true } }, failures: { serverError: 1 } };
    const s = await run(scenario([gen], { validators: [failing] }));
    // maxAttempts defaults to 2: 2 billed calls a request, all wasted.
    expect(s.cost.byProvider.vision).toBeCloseTo(60 * 2 * 0.003, EXACT);
    expect(s.cost.wasted).toBeCloseTo(60 * 2 * 0.003, EXACT);
  });

  it('a call slower than pipeline.timeout times out (not billed by default)', async () => {
    const slow = { ...vision, tiers: { standard: { latency: { dist: 'fixed' as const, value: '5s' } } } };
    const s = await run(scenario([gen], { validators: [slow], pipeline: { timeout: '1s', maxAttempts: 1 } }));
    expect(s.failures).toEqual({ 'validator-timeout': 60 });
    expect(s.providers.vision).toMatchObject({ attempts: 60, outcomes: { timeout: 60 }, cost: 0 });
  });

  it('with a flaky validator, every image is paid once and every successful check once', async () => {
    const flaky = { ...vision, failures: { serverError: 0.5 } };
    const s = await run(scenario([gen], { validators: [flaky] }));
    const v = s.providers.vision!;
    expect(v.succeeded).toBe(s.requests.succeeded);
    expect(v.attempts).toBe(v.succeeded + (v.outcomes['server-error'] ?? 0));
    // A request fails only after two failed calls.
    expect(s.requests.failed * 2).toBeLessThanOrEqual(v.outcomes['server-error'] ?? 0);
    expect(s.cost.total).toBeCloseTo(60 * 0.04 + v.succeeded * 0.003, EXACT);
  });

  it('logs validator calls in the attempt log after the generation attempt', async () => {
    const rows: AttemptRecord[] = [];
    await run(scenario([gen], { validators: [vision] }), (r) => rows.push({ ...r }));
    const first = rows.filter((r) => r.requestId === rows[0]!.requestId).sort((a, b) => a.attempt - b.attempt);
    expect(first.map((r) => [r.provider, r.attempt, r.latencyMs, r.costUsd])).toEqual([
      ['gen', 1, 2000, 0.04],
      ['vision', 2, 500, 0.003],
    ]);
  });

  it('lets cheapest compare generation + the call against the bundle', async () => {
    // gen at $0.035: + a $0.003 check = $0.038 < the bundle's $0.0396, so cheapest picks gen.
    const cheapGen = { ...gen, pricing: { model: 'per-image' as const, price: 0.035 } };
    const viaCall = await run(scenario([cheapGen, bundled], { validators: [vision] }));
    expect(viaCall.cost.byProvider).toEqual({ gen: expect.closeTo(60 * 0.035, EXACT) as number, bundled: 0, vision: expect.closeTo(60 * 0.003, EXACT) as number });
    // + a $0.006 check = $0.041 > $0.0396: the bundle wins, and no call is made. (Priced by
    // generation alone, $0.035 < $0.0396, cheapest would have picked gen in both cases.)
    const dearCheck = { ...vision, pricing: { model: 'per-image' as const, price: 0.006 } };
    const viaBundle = await run(scenario([cheapGen, bundled], { validators: [dearCheck] }));
    expect(viaBundle.cost.total).toBeCloseTo(60 * 0.0396, EXACT);
    expect(viaBundle.providers.vision!.attempts).toBe(0);
  });

  it('is deterministic: the same seed gives the same report', async () => {
    const input = scenario([gen], { validators: [{ ...vision, failures: { serverError: 0.3 } }] });
    expect(JSON.stringify(await run(input))).toBe(JSON.stringify(await run(input)));
  });
});
