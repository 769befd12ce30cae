/**
 * Pricing rules of issue 18 through the public `simulate()`: what the engine bills per request
 * class, worked out by hand beside each expectation.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StrategyReport } from '../../src/metrics/report-types.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';

const TMP = mkdtempSync(path.join(tmpdir(), 'imgsim-pricing-engine-'));

/** One provider at $0.04 per image with `pricing` extras (or the given list of pricings); 1 request/s for a minute from `start`, half interactive, half batch. */
async function runOne(pricing: Record<string, unknown> | readonly Record<string, unknown>[], start: string): Promise<StrategyReport> {
  const obj = {
    version: 1,
    name: 'pricing-engine',
    seed: 3,
    start,
    duration: '1m',
    providers: [
      {
        id: 'p',
        pricing: Array.isArray(pricing) ? pricing : { model: 'per-image', price: 0.04, ...(pricing as Record<string, unknown>) },
        tiers: { standard: { latency: { dist: 'fixed', value: '2s' } } },
        capacity: { concurrency: 1000, queue: 1000 },
      },
    ],
    traffic: {
      arrivals: { process: 'uniform', rate: '1/s' },
      mix: [
        { name: 'live', urgency: 'interactive' },
        { name: 'bulk', urgency: 'batch', deadline: '1h' },
      ],
    },
  } as ScenarioInput;
  const report = await simulate(scenarioFromObject(obj, path.join(TMP, 'scenario.yaml')), {});
  return report.strategies[0]!;
}

/** Requests billed at `unitUsd` each in a class's cost: the count must be whole. */
function count(costUsd: number, unitUsd: number): number {
  const n = costUsd / unitUsd;
  expect(Math.abs(n - Math.round(n))).toBeLessThan(1e-9);
  return Math.round(n);
}

describe('the engine bills discounts limited to a class of work', () => {
  it('a batch-only off-peak window at 03:00: batch pays 0.04 × 0.7 = $0.028, interactive $0.04', async () => {
    const r = await runOne({ offPeak: [{ from: '02:00', to: '06:00', discount: 0.3, appliesTo: 'batch' }] }, '2026-06-01T03:00:00Z');
    const byClass = r.cost.byClass!;
    const live = count(byClass.live!, 0.04);
    const bulk = count(byClass.bulk!, 0.028);
    // 60 uniform arrivals, each billed once at its class's price.
    expect(live + bulk).toBe(60);
    expect(live).toBeGreaterThan(0);
    expect(bulk).toBeGreaterThan(0);
  });
});

describe('the engine bills the price in force at each instant', () => {
  it('a ×2 multiplier from 30 s: 30 requests at $0.04 and 30 at $0.08 = $3.60', async () => {
    const r = await runOne({ schedule: [{ from: '30s', multiply: 2 }] }, '2026-06-01T12:00:00Z');
    // Uniform arrivals at 0 s, 1 s, ..., 59 s, each priced when sent (on arrival): 30 × 0.04 + 30 × 0.08.
    expect(r.cost.total).toBeCloseTo(3.6, 9);
  });

  it('a list of dated pricings: $0.04 then $0.01 from 45 s = 45 × 0.04 + 15 × 0.01 = $1.95', async () => {
    const r = await runOne([{ model: 'per-image', price: 0.04 }, { model: 'per-image', price: 0.01, from: '45s' }], '2026-06-01T12:00:00Z');
    expect(r.cost.total).toBeCloseTo(1.95, 9);
  });
});
