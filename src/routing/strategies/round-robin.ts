/**
 * `round-robin`: spreads requests evenly by rotating which provider is tried first.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { noCandidates, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

const schema = builtinSchema('round-robin', {});

/** Options of `round-robin` (see the scenario schema). */
export type RoundRobinOptions = OptionsOf<typeof schema>;

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
  // What the last routing did, for `explain`.
  let lastStart = 0;
  let lastTurn = 0;
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    collectServable(ranking, request, ctx.providers, strategyTier);
    const n = ranking.size;
    if (n === 0) return noProvider(request);
    const start = turn % n;
    lastStart = start;
    lastTurn = turn;
    // Wrap the counter long before it loses integer precision.
    turn = turn >= Number.MAX_SAFE_INTEGER ? 0 : turn + 1;
    return ranking.decision(ctx.providers, start);
  };
  return {
    name: options.name ?? 'round-robin',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      const n = decision.candidates.length;
      const first = decision.candidates[0]!;
      const rotation = `routing #${String(lastTurn + 1)} starts at position ${String(lastStart + 1)} of the ${String(n)} servable providers in scenario order`;
      return {
        decision,
        summary: `${first.provider} has the turn: ${rotation}`,
        candidates: decision.candidates.map((c, k) =>
          withTier(c.provider, c.tier, {
            reason: k === 0 ? `its turn (${rotation})` : `next in scenario order, rotated (fallback ${String(k)})`,
            terms: { position: ((lastStart + k) % n) + 1 },
          }),
        ),
      };
    },
  };
}

/** The `round-robin` built-in: its options schema and factory. */
export const roundRobinBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  factory: roundRobinStrategy,
});
