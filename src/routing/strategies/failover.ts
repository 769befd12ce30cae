/**
 * `failover`: a fixed order of providers, primary first.
 */
import type { ImageRequest } from '../../model/request.js';
import type { ProviderView, RouteDecision, RoutingContext, Strategy } from '../strategy.js';
import type { BuiltinOptions } from './_options.js';
import { Ranking, noProvider, tierFor } from './_ranking.js';

/** Options of `failover` (see the scenario schema): `order`, provider ids, primary first. */
export type FailoverOptions = BuiltinOptions<'failover'>;

/**
 * Builds `failover`: the providers of `order`, in that order, keeping those that can serve the
 * request. Providers missing from `order` are never used; unknown ids and repeats are skipped.
 * @param options - `order`, `name`, `tier`
 * @returns the strategy
 */
export function failoverStrategy(options: FailoverOptions): Strategy {
  const strategyTier = options.tier;
  const order = [...options.order];
  const ranking = new Ranking();
  // Positions of `order` in the provider list (unknown ids and repeats dropped), rebuilt only
  // when the provider list changes (never, in a run).
  let positions = new Int32Array(0);
  let positionsFor: readonly ProviderView[] | undefined;
  return {
    name: options.name ?? 'failover',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      const providers = ctx.providers;
      if (providers !== positionsFor) {
        const found: number[] = [];
        for (const id of order) {
          const pos = providers.findIndex((v) => v.id === id);
          if (pos >= 0 && !found.includes(pos)) found.push(pos);
        }
        positions = Int32Array.from(found);
        positionsFor = providers;
      }
      ranking.reset(providers.length);
      for (let k = 0; k < positions.length; k++) {
        const pos = positions[k]!;
        const view = providers[pos]!;
        const tier = tierFor(view, request, strategyTier);
        if (tier !== undefined && view.canServe(request, tier)) ranking.add(pos, tier);
      }
      if (ranking.size === 0) return noProvider(request);
      return { candidates: ranking.candidates(providers) };
    },
  };
}
