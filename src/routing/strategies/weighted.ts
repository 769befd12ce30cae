/**
 * `weighted`: splits traffic by configured weights (e.g. a 90/10 canary).
 */
import { z } from 'zod';
import { nonNegative } from '../../scenario/schema-parts.js';
import type { ImageRequest } from '../../model/request.js';
import type { ProviderView, RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { noCandidates, pctText, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

const schema = builtinSchema('weighted', { weights: z.record(z.string(), nonNegative()) });

/** Options of `weighted` (see the scenario schema): `weights` by provider id. */
export type WeightedOptions = OptionsOf<typeof schema>;

/**
 * Builds `weighted`: the first candidate is drawn with `ctx.rng` among the servable providers
 * with probability weight / total weight; the rest follow by weight, highest first (ties by
 * provider index). Providers without a weight count 0: they are never drawn first and only
 * serve as fallbacks (first only when no servable provider has a weight).
 * @param options - `weights`, `name`, `tier`
 * @returns the strategy
 */
export function weightedStrategy(options: WeightedOptions): Strategy {
  const strategyTier = options.tier;
  const weights = new Map<string, number>(Object.entries(options.weights));
  const ranking = new Ranking();
  // Weight per provider position, rebuilt only when the provider list changes (never, in a run).
  let weightOf = new Float64Array(0);
  let weightsFor: readonly ProviderView[] | undefined;
  // What the last routing drew, for `explain`.
  let lastDraw = NaN;
  let lastTotal = 0;
  let lastPositive = 0;
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    const providers = ctx.providers;
    if (providers !== weightsFor) {
      weightOf = Float64Array.from(providers, (v) => weights.get(v.id) ?? 0);
      weightsFor = providers;
    }
    collectServable(ranking, request, providers, strategyTier);
    const n = ranking.size;
    if (n === 0) return noProvider(request);
    let total = 0;
    let positive = 0;
    for (let k = 0; k < n; k++) {
      const pos = ranking.order[k]!;
      const w = weightOf[pos]!;
      ranking.setKey(pos, -w); // ascending sort of -w = weight descending
      total += w;
      if (w > 0) positive++;
    }
    ranking.sort();
    lastTotal = total;
    lastPositive = positive;
    lastDraw = NaN;
    if (positive > 1) {
      // Draw the first candidate by weight, then move it to the front.
      const order = ranking.order;
      const u = ctx.rng.next();
      lastDraw = u;
      let r = u * total;
      let pick = 0;
      for (let k = 0; k < positive; k++) {
        r += ranking.key[order[k]!]!; // key = -weight
        pick = k;
        if (r < 0) break;
      }
      const chosen = order[pick]!;
      for (let k = pick; k > 0; k--) order[k] = order[k - 1]!;
      order[0] = chosen;
    }
    return ranking.decision(providers);
  };
  return {
    name: options.name ?? 'weighted',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      const first = decision.candidates[0]!;
      const weightOfId = (id: string): number => weights.get(id) ?? 0;
      const w0 = weightOfId(first.provider);
      let firstReason: string;
      if (lastPositive > 1) {
        firstReason = `drawn first: weight ${String(w0)} of ${String(lastTotal)} (probability ${pctText(w0 / lastTotal)}), draw u = ${lastDraw.toFixed(4)}`;
      } else if (lastPositive === 1) {
        firstReason = 'the only servable provider with a weight';
      } else {
        firstReason = 'no servable provider has a weight: first in scenario order';
      }
      const summary = `${first.provider}: ${firstReason}`;
      return {
        decision,
        summary,
        candidates: decision.candidates.map((c, k) => {
          const w = weightOfId(c.provider);
          const probability = lastTotal > 0 ? w / lastTotal : 0;
          const reason = k === 0 ? firstReason : w > 0 ? `fallback by weight ${String(w)}, highest first` : 'no weight: fallback only';
          return withTier(c.provider, c.tier, { reason, terms: { weight: w, probabilityFirst: probability } });
        }),
      };
    },
  };
}

/** The `weighted` built-in: its options schema, cross-checks and factory. */
export const weightedBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  defaults: (scenario) => ({ weights: Object.fromEntries(scenario.providers.map((p) => [p.id, 1])) }),
  check(spec, at, c) {
    for (const id of Object.keys(spec.weights)) c.knownProvider(id, [...at, 'weights', id]);
    if (Object.values(spec.weights).every((w) => w <= 0)) c.problem([...at, 'weights'], 'the weights sum to 0');
  },
  factory: weightedStrategy,
});
