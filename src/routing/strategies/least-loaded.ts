/**
 * `least-loaded`: the provider with the most free capacity first.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RoutingContext, Strategy } from '../strategy.js';
import type { BuiltinOptions } from './_options.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

/** Options of `least-loaded` (see the scenario schema). */
export type LeastLoadedOptions = BuiltinOptions<'least-loaded'>;

/**
 * Builds `least-loaded`: ascending load = in-flight attempts (queued ones included) / configured
 * `capacity.concurrency`; equal loads by price now, then provider index.
 * @param options - `name`, `tier`
 * @returns the strategy
 */
export function leastLoadedStrategy(options: LeastLoadedOptions = {}): Strategy {
  const strategyTier = options.tier;
  const ranking = new Ranking();
  return {
    name: options.name ?? 'least-loaded',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      const providers = ctx.providers;
      collectServable(ranking, request, providers, strategyTier);
      if (ranking.size === 0) return noProvider(request);
      for (let k = 0; k < ranking.size; k++) {
        const pos = ranking.order[k]!;
        const view = providers[pos]!;
        const stats = view.stats;
        ranking.setKey(pos, stats.inFlight / view.spec.capacity.concurrency); // in flight includes queued
        ranking.setKey2(pos, view.price(request, ranking.tier[pos]));
      }
      ranking.sort();
      return { candidates: ranking.candidates(providers) };
    },
  };
}
