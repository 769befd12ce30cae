/**
 * `per-step` pricing (docs/contract.md §2.1): base + perStep × max(steps, minSteps).
 */
import { num } from './_format.js';
import type { PricingModel } from './types.js';

/** The `per-step` pricing model. */
export const perStepPrice: PricingModel<'per-step'> = {
  name: 'per-step',
  unit: 'usd',
  compile(pricing) {
    const { base: baseUsd, perStep, minSteps } = pricing;
    return {
      usesServiceTime: false,
      readsPrompt: false,
      base(request, _serviceMs, lines) {
        const steps = Math.max(request.steps, minSteps);
        const stepsUsd = perStep * steps;
        const total = baseUsd + stepsUsd;
        if (lines !== undefined) {
          const counted = steps === request.steps ? `${steps} steps` : `${steps} steps (minimum; ${request.steps} asked)`;
          if (baseUsd !== 0) lines.push({ factor: 'base', label: `${num(baseUsd)} per image`, op: 'base', value: baseUsd, subtotal: baseUsd });
          lines.push({ factor: 'steps', label: `${num(perStep)} × ${counted}`, op: baseUsd !== 0 ? 'add' : 'base', value: stepsUsd, subtotal: total });
        }
        return total;
      },
      sizePriced: () => false,
      qualityPriced: () => false,
      refuse: () => undefined,
    };
  },
};
