/**
 * The scenario hashes (src/scenario/hash.ts): `worldHash` moves with what the strategies run
 * against and with nothing else; `scenarioHash` (a forecast's identity) with anything.
 */
import { describe, expect, it } from 'vitest';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { scenarioHash, worldHash } from '../../src/scenario/hash.js';

const base: ScenarioInput = {
  version: 1,
  name: 'hash',
  seed: 1,
  start: '2026-06-01T00:00:00Z',
  duration: '1h',
  providers: [{ id: 'p', pricing: { model: 'per-image', price: 0.02 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } }],
  traffic: { arrivals: { process: 'poisson', rate: '1/s' }, mix: [{ name: 'a' }] },
  strategies: ['cheapest'],
};

describe('worldHash', () => {
  const world = worldHash(scenarioFromObject(base));
  it('is 16 hex digits and stable', () => {
    expect(world).toMatch(/^[0-9a-f]{16}$/);
    expect(worldHash(scenarioFromObject(structuredClone(base)))).toBe(world);
  });
  it.each<[string, Partial<ScenarioInput>]>([
    ['the name', { name: 'renamed' }],
    ['the strategies', { strategies: ['cheapest', { use: 'failover', order: ['p'] }] }],
    ['the thresholds', { thresholds: [{ metric: 'cost.total', max: 1 }] }],
    ['the seed', { seed: 2 }],
    ['the window', { start: '2026-07-01T00:00:00Z', duration: '2h' }],
  ])('ignores %s', (_, patch) => {
    const s = scenarioFromObject({ ...base, ...patch });
    expect(worldHash(s)).toBe(world);
    expect(scenarioHash(s)).not.toBe(scenarioHash(scenarioFromObject(base)));
  });
  it.each<[string, Partial<ScenarioInput>]>([
    ['a price', { providers: [{ ...base.providers[0]!, pricing: { model: 'per-image', price: 0.03 } }] }],
    ['the traffic', { traffic: { arrivals: { process: 'poisson', rate: '2/s' }, mix: [{ name: 'a' }] } }],
    ['the SLO', { slo: { interactive: { p95: '10s' } } }],
    ['the budget', { budget: { limit: 100 } }],
    ['the policy', { policy: { maxAttempts: 2 } }],
  ])('moves with %s', (_, patch) => {
    expect(worldHash(scenarioFromObject({ ...base, ...patch }))).not.toBe(world);
  });
});
