/**
 * `least-loaded`: the provider with the most free capacity first.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { noCandidates, usdText, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

const schema = builtinSchema('least-loaded', {});

/** Options of `least-loaded` (see the scenario schema). */
export type LeastLoadedOptions = OptionsOf<typeof schema>;

/**
 * Builds `least-loaded`: ascending load = in-flight attempts (queued ones included) / configured
 * `capacity.concurrency`; equal loads by price now, then provider index.
 * @param options - `name`, `tier`
 * @returns the strategy
 */
export function leastLoadedStrategy(options: LeastLoadedOptions = {}): Strategy {
  const strategyTier = options.tier;
  const ranking = new Ranking();
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
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
    return ranking.decision(providers);
  };
  return {
    name: options.name ?? 'least-loaded',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      const rows = decision.candidates.map((c) => {
        const view = ctx.provider(c.provider);
        const inFlight = view?.stats.inFlight ?? 0;
        const concurrency = view?.spec.capacity.concurrency ?? 1;
        const priceUsd = view?.price(request, c.tier) ?? Infinity;
        return { c, inFlight, concurrency, load: inFlight / concurrency, priceUsd };
      });
      const text = (r: (typeof rows)[number]): string => `load ${String(r.inFlight)}/${String(r.concurrency)} in flight = ${String(+r.load.toFixed(3))}`;
      const first = rows[0]!;
      const tie = rows.length > 1 && rows[1]!.load === first.load;
      return {
        decision,
        summary: `${first.c.provider} is the least loaded: ${text(first)}${tie ? `, tied, then cheapest at ${usdText(first.priceUsd)}` : ''}`,
        candidates: rows.map((r) =>
          withTier(r.c.provider, r.c.tier, {
            reason: `${text(r)}; price ${usdText(r.priceUsd)} breaks ties`,
            terms: { inFlight: r.inFlight, concurrency: r.concurrency, load: r.load, priceUsd: r.priceUsd },
          }),
        ),
      };
    },
  };
}

/** The `least-loaded` built-in: its options schema and factory. */
export const leastLoadedBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  factory: leastLoadedStrategy,
});
