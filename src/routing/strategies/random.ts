/**
 * `random`: every servable provider, in an order shuffled with the strategy's seeded stream.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { noCandidates, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

const schema = builtinSchema('random', {});

/** Options of `random` (see the scenario schema). */
export type RandomOptions = OptionsOf<typeof schema>;

/**
 * Builds `random`: a uniform random order of the servable providers (Fisher–Yates with
 * `ctx.rng`, so runs with the same seed are identical).
 * @param options - `name`, `tier`
 * @returns the strategy
 */
export function randomStrategy(options: RandomOptions = {}): Strategy {
  const strategyTier = options.tier;
  const ranking = new Ranking();
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    collectServable(ranking, request, ctx.providers, strategyTier);
    const n = ranking.size;
    if (n === 0) return noProvider(request);
    const order = ranking.order;
    // Fisher–Yates shuffle
    for (let i = n - 1; i > 0; i--) {
      const j = ctx.rng.int(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    return ranking.decision(ctx.providers);
  };
  return {
    name: options.name ?? 'random',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      const n = decision.candidates.length;
      return {
        decision,
        summary: `${decision.candidates[0]!.provider} came first in a seeded uniform shuffle of the ${String(n)} servable providers (each first with probability 1/${String(n)})`,
        candidates: decision.candidates.map((c, k) =>
          withTier(c.provider, c.tier, { reason: `position ${String(k + 1)} of the seeded shuffle (Fisher–Yates with ctx.rng)`, terms: { probabilityFirst: 1 / n } }),
        ),
      };
    },
  };
}

/** The `random` built-in: its options schema and factory. */
export const randomBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  factory: randomStrategy,
});
