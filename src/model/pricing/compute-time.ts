/**
 * `compute-time` pricing (docs/contract.md §2.1): service seconds (queue wait excluded) × perSecond.
 */
import { num } from './_format.js';
import type { PricingModel } from './types.js';

/** The `compute-time` pricing model. */
export const computeTimePrice: PricingModel<'compute-time'> = {
  name: 'compute-time',
  unit: 'usd',
  compile(pricing) {
    const { perSecond } = pricing;
    return {
      usesServiceTime: true,
      readsPrompt: false,
      base(_request, serviceMs, lines, serviceIsExpected) {
        const seconds = serviceMs / 1000;
        const usd = seconds * perSecond;
        if (lines !== undefined) {
          const what = serviceIsExpected ? 'expected (median) service' : 'service';
          lines.push({ factor: 'gpu-seconds', label: `${num(seconds)} s ${what} × ${num(perSecond)} per s`, op: 'base', value: usd, subtotal: usd });
        }
        return usd;
      },
      sizePriced: () => false,
      qualityPriced: () => false,
      refuse: () => undefined,
    };
  },
};
