/**
 * `failover`: a fixed order of providers, primary first.
 */
import { z } from 'zod';
import type { ImageRequest } from '../../model/request.js';
import type { ExcludedProvider, ProviderView, RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { noCandidates, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, noProvider, tierFor } from './_ranking.js';

const schema = builtinSchema('failover', { order: z.array(z.string()).min(1) });

/** Options of `failover` (see the scenario schema): `order`, provider ids, primary first. */
export type FailoverOptions = OptionsOf<typeof schema>;

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
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
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
    return ranking.decision(providers);
  };
  return {
    name: options.name ?? 'failover',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      const listed = `[${order.join(', ')}]`;
      const excluded: ExcludedProvider[] = [];
      for (const view of ctx.providers) {
        if (order.includes(view.id)) continue;
        const tier = tierFor(view, request, strategyTier);
        if (tier !== undefined && view.canServe(request, tier)) excluded.push({ provider: view.id, reason: `not in \`order\` ${listed}` });
      }
      if (!('candidates' in decision)) return { ...noCandidates(decision), excluded };
      const first = decision.candidates[0]!;
      return {
        decision,
        summary: `${first.provider} is the first provider of \`order\` ${listed} that can serve the request`,
        candidates: decision.candidates.map((c, k) => {
          const position = order.indexOf(c.provider) + 1;
          return withTier(c.provider, c.tier, {
            reason: k === 0 ? `primary: position ${String(position)} in \`order\`` : `backup: position ${String(position)} in \`order\``,
            terms: { position },
          });
        }),
        excluded,
      };
    },
  };
}

/** The `failover` built-in: its options schema, cross-checks and factory. */
export const failoverBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  defaults: (scenario) => ({ order: scenario.providers.map((p) => p.id) }),
  check(spec, at, c) {
    spec.order.forEach((id, j) => {
      c.knownProvider(id, [...at, 'order', j]);
    });
  },
  factory: failoverStrategy,
});
