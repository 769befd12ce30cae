/**
 * The deterministic trace of the reserved-capacity tests (test/sim/reserved.test.ts,
 * test/forecast/parameter-sweep.test.ts): one request every 10 s for an hour (360), each served
 * in exactly 25 s by provider `gpu` at $0.04 on demand, so at most 3 run at once and no figure
 * depends on the seed.
 */
import type { ScenarioInput } from '../src/scenario/schema.js';

/** A provider's `reserved` block as written. */
export type ReservedInput = NonNullable<ScenarioInput['providers'][number]['reserved']>;

/**
 * The scenario.
 * @param reserved - the `gpu` provider's reservation, or undefined for none
 * @param maxAttempts - the policy's
 * @returns the scenario as written (strategy `cheapest`)
 */
export function reservedTrace(reserved: ReservedInput | undefined, maxAttempts = 3): ScenarioInput {
  return {
    version: 1,
    name: 'reserved',
    seed: 3,
    start: '2026-06-01T00:00:00Z',
    duration: '1h',
    providers: [
      {
        id: 'gpu',
        pricing: { model: 'per-image', price: 0.04 },
        tiers: { standard: { latency: { dist: 'fixed', value: '25s' } } },
        capacity: { concurrency: 64, queue: 64 },
        ...(reserved === undefined ? {} : { reserved }),
      },
    ],
    traffic: { arrivals: { process: 'uniform', rate: '6/min' }, mix: [{ name: 'all' }] },
    strategies: ['cheapest'],
    policy: { maxAttempts },
  };
}
