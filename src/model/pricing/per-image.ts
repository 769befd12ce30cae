/**
 * `per-image` pricing (docs/contract.md §2.1): a price from the `sizes` table (a number, or a
 * `{ quality: price }` map such as DALL·E 3's), else the flat `price`, which the resolution
 * and quality modifiers then scale. A `sizes` table is the list of sizes the provider sells.
 */
import { list, num } from './_format.js';
import { qualityTable, qualityValue, type QualityTable } from './_quality.js';
import type { PricingModel } from './types.js';

/** A `sizes` table entry: one price, or a price per quality. */
type SizeEntry = number | QualityTable;

/** The `per-image` pricing model. */
export const perImagePrice: PricingModel<'per-image'> = {
  name: 'per-image',
  unit: 'usd',
  compile(pricing) {
    const table = new Map<string, SizeEntry>();
    for (const [size, entry] of Object.entries(pricing.sizes ?? {})) {
      table.set(size, typeof entry === 'number' ? entry : qualityTable(entry));
    }
    const hasTable = pricing.sizes !== undefined;
    const flatUsd = pricing.price;
    // The entry of the size looked up last: requests of one class share their size, and each
    // price reads the table up to three times.
    let lastSize: string | undefined;
    let lastEntry: SizeEntry | undefined;
    const entryFor = (size: string): SizeEntry | undefined => {
      if (size !== lastSize) {
        lastEntry = table.get(size);
        lastSize = size;
      }
      return lastEntry;
    };
    return {
      usesServiceTime: false,
      readsPrompt: false,
      base(request, _serviceMs, lines) {
        const entry = entryFor(request.size);
        if (entry === undefined) {
          lines?.push({ factor: 'base', label: `${num(flatUsd)} per image`, op: 'base', value: flatUsd, subtotal: flatUsd });
          return flatUsd;
        }
        if (typeof entry === 'number') {
          lines?.push({ factor: 'base', label: `${num(entry)} per image at ${request.size} (size table)`, op: 'base', value: entry, subtotal: entry });
          return entry;
        }
        const usd = qualityValue(entry, request.quality);
        if (lines !== undefined) {
          const quality = request.quality ?? `${entry.first ?? '?'} (first listed)`;
          lines.push({ factor: 'base', label: `${num(usd)} per image at ${request.size} ${quality} (size table)`, op: 'base', value: usd, subtotal: usd });
        }
        return usd;
      },
      sizePriced: (request) => entryFor(request.size) !== undefined,
      qualityPriced: (request) => typeof entryFor(request.size) === 'object',
      refuse(request, providerId) {
        if (!hasTable) return undefined;
        const entry = entryFor(request.size);
        if (entry === undefined) {
          return { code: 'size', reason: `${providerId} does not offer ${request.size}; sizes: ${list(table.keys())}` };
        }
        if (typeof entry === 'number') return undefined;
        const quality = request.quality ?? entry.first;
        if (quality === undefined || !entry.values.has(quality)) {
          return {
            code: 'quality',
            reason: `${providerId} does not offer quality "${quality ?? ''}" at ${request.size}; qualities: ${list(entry.names)}`,
          };
        }
        return undefined;
      },
    };
  },
};
