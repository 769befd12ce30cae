/**
 * The simulator's run time depends on the number of events, not on how far in the future they
 * lie (issue 15, defect 3): a valid but huge service time used to keep every provider ticking
 * once a simulated minute until it ended (43 million ticks for the 30,000-day attempt below).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_HOUR_BUCKETS } from '../../src/metrics/usage.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { availabilityCurves } from '../../src/model/availability.js';
import { Simulation } from '../../src/sim/engine.js';
import { simulate } from '../../src/sim/run.js';
import { openTraffic } from '../../src/traffic/traffic.js';

const DAY_MS = 86_400_000;

/**
 * Two providers; `slow` takes 30 days per step (reference: 1 step, `latencyScaling: linear`),
 * so a 1,000-step request holds a slot for 30,000 days; `fast` answers in 1 s. One request a
 * minute for ten minutes, the first five of them (by weight, seeded) at 1,000 steps.
 */
function farScenario(): ScenarioInput {
  return {
    version: 1,
    name: 'far-future',
    seed: 3,
    start: '2026-06-01T00:00:00Z',
    duration: '10m',
    providers: [
      {
        id: 'slow',
        reference: { size: '1024x1024', steps: 1 },
        latencyScaling: 'linear',
        pricing: { model: 'per-image', price: 0.01 },
        tiers: { standard: { latency: { dist: 'fixed', value: '30d' } } },
        capacity: { concurrency: 1, queue: 10 },
      },
      { id: 'fast', latencyScaling: 'none', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } },
    ],
    traffic: { arrivals: { process: 'uniform', rate: '1/m' }, mix: [{ name: 'huge', steps: 1000 }] },
    strategies: ['cheapest'],
    policy: { timeout: '10s', maxAttempts: 2 },
  };
}

describe('far-future events', () => {
  it('skips the idle minutes while a 30,000-day attempt runs, ticking only around events', () => {
    const s = scenarioFromObject(farScenario(), path.resolve('test/fixtures/far.yaml'));
    const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
    const sim = new Simulation(s, buildStrategy('cheapest', { scenario: s, files: new Map() }), source, availabilityCurves(s));
    const { collector, events } = sim.run();
    source.close();
    const report = collector.toReport('cheapest', s.durationMs);
    // 10 requests: each times out at `slow` after 10 s (the first holds its only slot for
    // 30,000 days, the rest queue behind it) and fails over to `fast`, which answers in 1 s.
    expect(report.requests).toMatchObject({ total: 10, succeeded: 10 });
    expect(report.latencyMs.max).toBe(11_000);
    // Every minute's tick while requests arrive (about 2 × 11) plus ~10 events per request;
    // ticking on through the 30,000 days would be 2 × 43.2 million.
    expect(events).toBeLessThan(500);
    expect((30_000 * DAY_MS) / 60_000).toBe(43_200_000);
  });

  it('bills work that ends ten thousand years on into the last hourly bucket, not into a list that long', async () => {
    const obj = farScenario();
    // 3,650 days (the longest latency a scenario accepts) × 10,000 steps (the most it accepts):
    // 36.5 million days; the client gives up after 10 s and billing.timeout bills the work when it ends.
    const slow = {
      ...obj.providers[0]!,
      tiers: { standard: { latency: { dist: 'fixed' as const, value: '3650d' } } },
      pricing: { model: 'per-image' as const, price: 0.01, billing: { timeout: true } },
    };
    const traffic = { arrivals: { process: 'uniform' as const, rate: '1/m' }, mix: [{ name: 'huge', steps: 10_000 }] };
    const report = await simulate(scenarioFromObject({ ...obj, providers: [slow, obj.providers[1]!], traffic }, path.resolve('test/fixtures/far.yaml')));
    const st = report.strategies[0]!;
    expect(st.requests).toMatchObject({ total: 10, succeeded: 10 });
    // Only the first request's work starts (one slot); it ends 3650 × 10,000 days on and is billed $0.01.
    expect(st.costByHour).toHaveLength(MAX_HOUR_BUCKETS);
    expect(st.costByHour.at(-1)).toBeCloseTo(0.01, 12);
    expect(st.cost.byProvider.slow).toBeCloseTo(0.01, 12);
  });

  it('reads a(t) with noise and random outages at an instant ten thousand years on without drawing them that far', async () => {
    const obj = farScenario();
    // As above, with noise on a 1 s grid and random outages: at the attempt's end, 36.5 million
    // days on, the queue behind it is drained, which reads a(t) there. Drawing the noise that far
    // would take 3e15 points; after 30 days past the window's end the noise holds and outages stop.
    const slow = {
      ...obj.providers[0]!,
      tiers: { standard: { latency: { dist: 'fixed' as const, value: '3650d' } } },
      availability: { base: 0.9, noise: { sd: 0.05, halfLife: '10s' }, randomOutages: { mtbf: '1h', mttr: '1m' } },
    };
    const traffic = { arrivals: { process: 'uniform' as const, rate: '1/m' }, mix: [{ name: 'huge', steps: 10_000 }] };
    const report = await simulate(scenarioFromObject({ ...obj, providers: [slow, obj.providers[1]!], traffic }, path.resolve('test/fixtures/far.yaml')));
    expect(report.strategies[0]!.requests).toMatchObject({ total: 10, succeeded: 10 });
  });

  it('refuses an attempt that would end after the last representable instant, naming the provider', async () => {
    const obj = farScenario();
    // 3,650 days (the longest latency a scenario accepts) × 10,000 steps (the most a request may
    // ask for) × 256 (16384² / 1024² pixels): 8.1e17 ms, past 8.64e15.
    const slow = { ...obj.providers[0]!, tiers: { standard: { latency: { dist: 'fixed' as const, value: '3650d' } } } };
    const traffic = { arrivals: { process: 'uniform' as const, rate: '1/m' }, mix: [{ name: 'huge', size: '16384x16384', steps: 10_000 }] };
    const err: unknown = await simulate(scenarioFromObject({ ...obj, providers: [slow, obj.providers[1]!], traffic }, path.resolve('test/fixtures/far.yaml'))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).message).toMatch(/^provider slow: request 0 \(16384x16384, 10000 steps\) drew a service time of .* ms, which ends after the last instant/);
  });
});
