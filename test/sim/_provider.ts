/**
 * Test helper: the plain provider the engine's hand calculations start from.
 */
import type { ScenarioInput } from '../../src/scenario/schema.js';

/** A provider as a scenario writes it. */
export type ProviderInput = ScenarioInput['providers'][number];

/**
 * A provider with fixed 2 s latency, $0.04 per image, ample capacity, no failures.
 * @param id - its id
 * @param over - fields to replace
 * @returns the provider
 */
export function provider(id: string, over: Partial<ProviderInput> = {}): ProviderInput {
  return {
    id,
    pricing: { model: 'per-image', price: 0.04 },
    tiers: { standard: { latency: { dist: 'fixed', value: '2s' } } },
    capacity: { concurrency: 1000, queue: 1000 },
    ...over,
  };
}
