/**
 * The pricing models by name. Adding a model is adding a file under `pricing/` and a line here.
 */
import type { PricingModelName } from '../../scenario/schema.js';
import { computeTimePrice } from './compute-time.js';
import { creditsPrice } from './credits.js';
import { perImagePrice } from './per-image.js';
import { perMegapixelPrice } from './per-megapixel.js';
import { perStepPrice } from './per-step.js';
import { perTokenPrice } from './per-token.js';
import type { PricingModel } from './types.js';

/** Every pricing model, keyed by its `pricing.model` name. */
export const PRICING_MODELS: { readonly [K in PricingModelName]: PricingModel<K> } = {
  'per-image': perImagePrice,
  'per-step': perStepPrice,
  'per-token': perTokenPrice,
  'per-megapixel': perMegapixelPrice,
  'compute-time': computeTimePrice,
  credits: creditsPrice,
};
