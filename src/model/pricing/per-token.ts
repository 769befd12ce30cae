/**
 * `per-token` pricing (docs/contract.md §2.1): prompt tokens (⌈chars / 4⌉) × inputPerMillion / 1M plus the
 * image's output tokens × outputPerMillion / 1M; output tokens come from the `outputTokens`
 * table by size and quality (a request without quality uses the first quality listed for its
 * size). The table is the list of sizes and qualities the provider sells.
 */
import { promptTokens } from '../request.js';
import { list, num } from './_format.js';
import { qualityTable, qualityValue, type QualityTable } from './_quality.js';
import type { PricingModel } from './types.js';

/** Tokens are priced per million. */
const TOKENS_PER_MILLION = 1_000_000;

/** The `per-token` pricing model. */
export const perTokenPrice: PricingModel<'per-token'> = {
  name: 'per-token',
  unit: 'usd',
  compile(pricing) {
    const { inputPerMillion, outputPerMillion } = pricing;
    const inUsdPerToken = inputPerMillion / TOKENS_PER_MILLION;
    const outUsdPerToken = outputPerMillion / TOKENS_PER_MILLION;
    const table = new Map<string, QualityTable>();
    for (const [size, byQuality] of Object.entries(pricing.outputTokens)) table.set(size, qualityTable(byQuality));
    return {
      usesServiceTime: false,
      readsPrompt: true,
      base(request, _serviceMs, lines) {
        const inTokens = promptTokens(request.promptChars);
        const sizeTable = table.get(request.size);
        const outTokens = sizeTable === undefined ? NaN : qualityValue(sizeTable, request.quality);
        const inUsd = inTokens * inUsdPerToken;
        const outUsd = outTokens * outUsdPerToken;
        const total = inUsd + outUsd;
        if (lines !== undefined) {
          const quality = request.quality ?? `${sizeTable?.first ?? '?'} (first listed)`;
          lines.push({
            factor: 'tokens-in',
            label: `${inTokens} prompt tokens (⌈${request.promptChars} chars / 4⌉) × ${num(inputPerMillion)} / 1M`,
            op: 'base',
            value: inUsd,
            subtotal: inUsd,
          });
          lines.push({
            factor: 'tokens-out',
            label: `${outTokens} image tokens (${request.size} ${quality}) × ${num(outputPerMillion)} / 1M`,
            op: 'add',
            value: outUsd,
            subtotal: total,
          });
        }
        return total;
      },
      sizePriced: () => true,
      qualityPriced: () => true,
      refuse(request, providerId) {
        const sizeTable = table.get(request.size);
        if (sizeTable === undefined) {
          return { code: 'size', reason: `${providerId} does not offer ${request.size}; sizes: ${list(table.keys())}` };
        }
        const quality = request.quality ?? sizeTable.first;
        if (quality === undefined || !sizeTable.values.has(quality)) {
          return {
            code: 'quality',
            reason: `${providerId} does not offer quality "${quality ?? ''}" at ${request.size}; qualities: ${list(sizeTable.names)}`,
          };
        }
        return undefined;
      },
    };
  },
};
