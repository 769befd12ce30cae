/**
 * `cheapest`: every provider that can serve the request, lowest price now first.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RoutingContext, Strategy } from '../strategy.js';
import type { BuiltinOptions } from './_options.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

/** Options of `cheapest` (see the scenario schema). */
export type CheapestOptions = BuiltinOptions<'cheapest'>;

/**
 * Builds `cheapest`: ascending `price(request, tier)` at `ctx.now`; ties by provider index.
 * @param options - `name`, `tier`
 * @returns the strategy
 */
export function cheapestStrategy(options: CheapestOptions = {}): Strategy {
  const strategyTier = options.tier;
  const ranking = new Ranking();
  return {
    name: options.name ?? 'cheapest',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      const providers = ctx.providers;
      collectServable(ranking, request, providers, strategyTier);
      if (ranking.size === 0) return noProvider(request);
      for (let k = 0; k < ranking.size; k++) {
        const pos = ranking.order[k]!;
        ranking.setKey(pos, providers[pos]!.price(request, ranking.tier[pos]));
      }
      ranking.sort();
      return { candidates: ranking.candidates(providers) };
    },
  };
}
