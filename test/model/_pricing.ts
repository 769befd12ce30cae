/**
 * Fixtures of the pricing tests: a provider built through the real schema and resolver, a
 * request, instants of the fixture's day, and a quote's total.
 */
import { quote } from '../../src/model/pricing/quote.js';
import type { PriceOptions, QuoteRequest } from '../../src/model/pricing/types.js';
import { resolveScenario, type ResolvedProvider } from '../../src/scenario/resolve.js';
import { scenarioSchema } from '../../src/scenario/schema.js';

/** The scenario start of {@link provider}. */
export const START = '2026-06-01T00:00:00Z';

/** A provider with two tiers (standard at 10 s, turbo ×1.5 at 1 s), built through the real schema and resolver. */
export function provider(pricing: unknown, extra: Record<string, unknown> = {}): ResolvedProvider {
  const scenario = scenarioSchema.parse({
    version: 1,
    name: 'pricing-test',
    start: START,
    providers: [
      {
        id: 'p',
        tiers: {
          standard: { latency: { dist: 'fixed', value: '10s' } },
          turbo: { latency: { dist: 'fixed', value: '1s' }, priceMultiplier: 1.5 },
        },
        supports: { features: ['inpainting', 'outpainting', 'lora', 'controlnet', 'ip-adapter'] },
        pricing,
        ...extra,
      },
    ],
    traffic: { arrivals: { rate: 1 }, mix: [{ name: 'a' }] },
  });
  return resolveScenario(scenario, '<inline>').providers[0]!;
}

/** A request; width and height follow `size`. */
export function req(over: Partial<QuoteRequest> = {}): QuoteRequest {
  const size = over.size ?? '1024x1024';
  const [w, h] = size.split('x').map(Number);
  return { size, width: w!, height: h!, steps: 30, features: [], validate: false, promptChars: 0, ...over, urgency: over.urgency ?? 'interactive' };
}

/** Noon UTC of the fixture's first day. */
export const NOON = Date.parse('2026-06-01T12:00:00Z');
/** An instant of the fixture's first day, `HH:MM` UTC. */
export const at = (hhmm: string): number => Date.parse(`2026-06-01T${hhmm}:00Z`);

/** Total USD of a quote that must be servable. */
export function total(p: ResolvedProvider, r: QuoteRequest, opts: PriceOptions = { atMs: NOON }): number {
  const q = quote(p, r, opts);
  if (!q.ok) throw new Error(`expected a price, got: ${q.reason}`);
  return q.totalUsd;
}
