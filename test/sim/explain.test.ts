import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageRequest } from '../../src/model/request.js';
import { NOT_LISTED } from '../../src/routing/explain.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { explainRequest } from '../../src/sim/explain.js';

const START_MS = Date.UTC(2026, 5, 1);

/** Two providers, one of which fails half its attempts; a strategy file without `explain`. */
const scenario = scenarioFromObject(
  {
    version: 1,
    name: 'explain-sim',
    seed: 3,
    start: '2026-06-01T00:00:00Z',
    duration: '1h',
    providers: [
      { id: 'shaky', pricing: { model: 'per-image', price: 0.01 }, tiers: { standard: { latency: { dist: 'fixed', value: 1000 } } }, failures: { serverError: 0.5 } },
      { id: 'solid', pricing: { model: 'per-image', price: 0.03 }, tiers: { standard: { latency: { dist: 'fixed', value: 2000 } } } },
    ],
    traffic: { arrivals: { process: 'uniform', rate: '2/s' }, mix: [{ name: 'x', size: '1024x1024', steps: 30 }] },
    strategies: ['cheapest', 'fastest', { file: '../fixtures/strategies/first-servable.js', name: 'first' }],
    budget: { limit: 1000 },
  },
  path.join(import.meta.dirname, 'explain-sim.yaml'),
);

function request(atMs: number): ImageRequest {
  return { id: 0, arrivalMs: atMs, className: 'explain', size: '1024x1024', width: 1024, height: 1024, steps: 30, features: [], validate: false, urgency: 'interactive', project: 'p', promptChars: 0 };
}

describe('explainRequest', () => {
  it('at a cold start shows the initial state; warmed up, the state the traffic left', async () => {
    const at = START_MS + 10 * 60_000;
    const cold = await explainRequest(scenario, request(at), { strategies: ['cheapest'] });
    expect(cold.warm).toBeUndefined();
    expect(cold.strategies[0]!.candidates.map((c) => [c.provider, c.attempts, c.errorRate, c.breaker])).toEqual([
      ['shaky', 0, 0, 'closed'],
      ['solid', 0, 0, 'closed'],
    ]);
    expect(cold.strategies[0]!.budget.spentUsd).toBe(0);
    const warm = await explainRequest(scenario, request(at), { strategies: ['cheapest'], warmMs: 60_000 });
    // 2 requests/s for the minute before `at`, uniform arrivals from the start: 120 of them.
    expect(warm.warm).toEqual({ fromMs: at - 60_000, toMs: at, requests: 120 });
    const shaky = warm.strategies[0]!.candidates[0]!;
    expect(shaky.provider).toBe('shaky');
    expect(shaky.attempts).toBeGreaterThan(100);
    expect(shaky.errorRate).toBeGreaterThan(0.2);
    expect(warm.strategies[0]!.budget.spentUsd).toBeGreaterThan(0);
  });

  it('is deterministic, and a warm-up never starts before the scenario', async () => {
    const at = START_MS + 30_000;
    const one = await explainRequest(scenario, request(at), { warmMs: 3_600_000 });
    const two = await explainRequest(scenario, request(at), { warmMs: 3_600_000 });
    expect(one).toEqual(two);
    expect(one.warm).toEqual({ fromMs: START_MS, toMs: at, requests: 60 });
    // fastest learnt from the warm-up: its reason quotes observed latency now
    expect(one.strategies[1]!.summary).toMatch(/observed EWMA/);
  });

  it('shows a strategy file without explain as its decision, with no explanation and the providers it left out', async () => {
    const result = await explainRequest(scenario, request(START_MS), { strategies: ['first'] });
    const first = result.strategies[0]!;
    expect(first.summary).toBe('first: shaky (no explanation provided)');
    expect(first.candidates.map((c) => [c.provider, c.reason])).toEqual([['shaky', 'no explanation provided']]);
    expect(first.excluded).toEqual([{ provider: 'solid', reason: NOT_LISTED }]);
  });
});
