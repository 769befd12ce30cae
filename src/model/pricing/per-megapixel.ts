/**
 * `per-megapixel` pricing (docs/contract.md §2.1): MP × perMegapixel × max(1, steps / includedSteps),
 * MP = width × height / 1,000,000.
 */
import { num } from './_format.js';
import type { PricingModel } from './types.js';

/** Providers bill decimal megapixels. */
const PIXELS_PER_MEGAPIXEL = 1_000_000;

/** The `per-megapixel` pricing model. */
export const perMegapixelPrice: PricingModel<'per-megapixel'> = {
  name: 'per-megapixel',
  unit: 'usd',
  compile(pricing) {
    const { perMegapixel, includedSteps } = pricing;
    return {
      usesServiceTime: false,
      readsPrompt: false,
      base(request, _serviceMs, lines) {
        const mp = (request.width * request.height) / PIXELS_PER_MEGAPIXEL;
        const mpUsd = mp * perMegapixel;
        const stepFactor = Math.max(1, request.steps / includedSteps);
        const total = mpUsd * stepFactor;
        if (lines !== undefined) {
          lines.push({ factor: 'megapixels', label: `${num(mp)} MP (${request.size}) × ${num(perMegapixel)}`, op: 'base', value: mpUsd, subtotal: mpUsd });
          if (stepFactor > 1) {
            lines.push({
              factor: 'steps',
              label: `${request.steps} steps / ${includedSteps} included = ×${num(stepFactor)}`,
              op: 'multiply',
              value: stepFactor,
              subtotal: total,
            });
          }
        }
        return total;
      },
      sizePriced: () => false,
      qualityPriced: () => false,
      refuse: () => undefined,
    };
  },
};
