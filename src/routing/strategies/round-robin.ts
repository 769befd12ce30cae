/**
 * `round-robin`: spreads requests evenly by rotating which provider is tried first.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RoutingContext, Strategy } from '../strategy.js';
import type { BuiltinOptions } from './_options.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

/** Options of `round-robin` (see the scenario schema). */
export type RoundRobinOptions = BuiltinOptions<'round-robin'>;

/**
 * Builds `round-robin`: the servable providers in scenario order, rotated so that the n-th
 * routed request starts at the (n mod count)-th of them; the others follow as fallbacks.
 * @param options - `name`, `tier`
 * @returns the strategy
 */
export function roundRobinStrategy(options: RoundRobinOptions = {}): Strategy {
  const strategyTier = options.tier;
  const ranking = new Ranking();
  let turn = 0;
  return {
    name: options.name ?? 'round-robin',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      collectServable(ranking, request, ctx.providers, strategyTier);
      const n = ranking.size;
      if (n === 0) return noProvider(request);
      const start = turn % n;
      // Wrap the counter long before it loses integer precision.
      turn = turn >= Number.MAX_SAFE_INTEGER ? 0 : turn + 1;
      return { candidates: ranking.candidates(ctx.providers, start) };
    },
  };
}
