// The ControlNet request that shows what a gateway drops: one per-step provider, `solo`, and a
// traffic class asking 50 steps with ControlNet for project `app`.
// 50 × $0.0008 + $0.004 = $0.044 as sent; the provider's 30 reference steps without the
// feature (what a gateway that drops imgsim's fields forwards): 30 × $0.0008 = $0.024.
import type { ScenarioInput } from '../src/scenario/schema.js';

/**
 * @param latency - the standard tier's fixed latency, e.g. `100ms`
 * @returns the provider and the traffic (10/s, uniform) of the scenario
 */
export function controlnetParts(latency: string): Pick<ScenarioInput, 'providers' | 'traffic'> {
  return {
    providers: [
      {
        id: 'solo',
        pricing: { model: 'per-step', perStep: 0.0008, features: { controlnet: { add: 0.004 } } },
        tiers: { standard: { latency: { dist: 'fixed', value: latency } } },
        capacity: { concurrency: 1000, queue: 1000 },
        supports: { features: ['controlnet'] },
      },
    ],
    traffic: { arrivals: { process: 'uniform', rate: '10/s' }, mix: [{ name: 'cn', steps: 50, features: ['controlnet'], project: 'app' }] },
  };
}
