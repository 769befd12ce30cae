/**
 * `credits` pricing (docs/contract.md §2.1): `perImage` credits per image. Every add-on and multiplier
 * after it counts credits too (`features.add` and `validation.price` are credits for this
 * model); the quote converts credits to USD in a final `credit-value` line. What the credits
 * actually cost over a run is the ledger's business (`model/credits.ts`).
 */
import { num } from './_format.js';
import type { PricingModel } from './types.js';

/** The `credits` pricing model; amounts are credits, not USD. */
export const creditsPrice: PricingModel<'credits'> = {
  name: 'credits',
  unit: 'credits',
  compile(pricing) {
    const { perImage } = pricing;
    return {
      usesServiceTime: false,
      readsPrompt: false,
      base(_request, _serviceMs, lines) {
        lines?.push({ factor: 'credits', label: `${num(perImage)} credit${perImage === 1 ? '' : 's'} per image`, op: 'base', value: perImage, subtotal: perImage });
        return perImage;
      },
      sizePriced: () => false,
      qualityPriced: () => false,
      refuse: () => undefined,
    };
  },
};
