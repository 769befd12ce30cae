/**
 * cheapest-fast-enough: a strategy file, as you would write your own router.
 *
 * For each request: the cheapest provider predicted to answer within `maxLatencyMs`; when no
 * provider is, the fastest. The other providers that can serve the request follow as fallbacks
 * (the fast-enough ones by price, then the rest by predicted latency), so failover still works.
 *
 * Use it from a scenario (the path is relative to the scenario file):
 *
 *   strategies:
 *     - { file: ./strategies/cheapest-fast-enough.ts, options: { maxLatencyMs: 8000 } }
 *
 * TypeScript loads as is: no build step. See docs/strategies.md.
 */
import { defineStrategy } from 'imgsim';

interface Options {
  /** The latency a provider must be predicted to meet, ms. Default 10 s. */
  maxLatencyMs?: number;
}

interface Choice {
  provider: string;
  tier: string;
  priceUsd: number;
  latencyMs: number;
}

export default defineStrategy<Options>((options) => {
  const maxLatencyMs = options.maxLatencyMs ?? 10_000;
  if (typeof maxLatencyMs !== 'number' || !(maxLatencyMs > 0)) {
    throw new Error(`options.maxLatencyMs: expected a positive number of milliseconds, got ${JSON.stringify(maxLatencyMs)}`);
  }
  return {
    name: 'cheapest-fast-enough',
    route(request, ctx) {
      const fast: Choice[] = [];
      const slow: Choice[] = [];
      for (const p of ctx.providers) {
        // The request's own tier where the provider has it, else the provider's first tier.
        const tier = request.tier !== undefined && p.tiers.includes(request.tier) ? request.tier : p.tiers[0]!;
        if (!p.canServe(request, tier)) continue;
        const choice = { provider: p.id, tier, priceUsd: p.price(request, tier), latencyMs: p.predictLatencyMs(request, tier) };
        (choice.latencyMs <= maxLatencyMs ? fast : slow).push(choice);
      }
      if (fast.length + slow.length === 0) return { reject: `no provider can serve ${request.size}` };
      // Array#sort is stable: ties keep the scenario's provider order.
      fast.sort((a, b) => a.priceUsd - b.priceUsd);
      slow.sort((a, b) => a.latencyMs - b.latencyMs);
      return { candidates: [...fast, ...slow].map(({ provider, tier }) => ({ provider, tier })) };
    },
  };
});
