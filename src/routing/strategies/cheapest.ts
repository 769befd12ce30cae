/**
 * `cheapest`: every provider that can serve the request, lowest price now first.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { noCandidates, usdText, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectPriced, noProvider } from './_ranking.js';

const schema = builtinSchema('cheapest', {});

/** Options of `cheapest` (see the scenario schema). */
export type CheapestOptions = OptionsOf<typeof schema>;

/**
 * Builds `cheapest`: ascending `price(request, tier)` at `ctx.now`; ties by provider index.
 * @param options - `name`, `tier`
 * @returns the strategy
 */
export function cheapestStrategy(options: CheapestOptions = {}): Strategy {
  const strategyTier = options.tier;
  const ranking = new Ranking();
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    const providers = ctx.providers;
    collectPriced(ranking, request, providers, strategyTier);
    if (ranking.size === 0) return noProvider(request);
    ranking.sort();
    return ranking.decision(providers);
  };
  return {
    name: options.name ?? 'cheapest',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      const prices = decision.candidates.map((c) => ctx.provider(c.provider)?.price(request, c.tier) ?? Infinity);
      const best = prices[0]!;
      const first = decision.candidates[0]!;
      return {
        decision,
        summary: `${first.provider} (${first.tier ?? 'default tier'}) has the lowest quote now: ${usdText(best)}`,
        candidates: decision.candidates.map((c, k) => {
          const p = prices[k]!;
          const reason =
            k === 0 ? `lowest quote: ${usdText(p)}` : p === best ? `${usdText(p)}, as low as the first (scenario order breaks ties)` : `${usdText(p)}, +${usdText(p - best)} over the first`;
          return withTier(c.provider, c.tier, { reason, terms: { priceUsd: p } });
        }),
      };
    },
  };
}

/** The `cheapest` built-in: its options schema and factory. */
export const cheapestBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  factory: cheapestStrategy,
});
