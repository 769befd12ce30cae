/**
 * `fastest`: lowest observed latency, learnt from the strategy's own successful attempts.
 */
import { fraction } from '../../scenario/schema-parts.js';
import type { ImageRequest } from '../../model/request.js';
import type { AttemptOutcome, RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { msText, noCandidates, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

const schema = builtinSchema('fastest', { alpha: fraction().default(0.2) });

/** Options of `fastest` (see the scenario schema): `alpha`, the EWMA weight of a new sample. */
export type FastestOptions = OptionsOf<typeof schema>;

/**
 * Builds `fastest`: ascending expected latency, where a provider's expected latency is the
 * strategy's own EWMA of the latency of its successful attempts
 * (`ewma ← alpha·latencyMs + (1 − alpha)·ewma`, seeded by the first sample), and, before the
 * first success there, the provider's `predictLatencyMs(request, tier)`. Ties by provider index.
 * @param options - `alpha`, `name`, `tier`
 * @returns the strategy
 */
export function fastestStrategy(options: FastestOptions): Strategy {
  const strategyTier = options.tier;
  const alpha = options.alpha;
  const ranking = new Ranking();
  /** EWMA latency per provider index, NaN until observed. */
  let ewma = new Float64Array(0);
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    const providers = ctx.providers;
    collectServable(ranking, request, providers, strategyTier);
    if (ranking.size === 0) return noProvider(request);
    for (let k = 0; k < ranking.size; k++) {
      const pos = ranking.order[k]!;
      const seen = pos < ewma.length ? ewma[pos]! : NaN;
      ranking.setKey(pos, Number.isNaN(seen) ? providers[pos]!.predictLatencyMs(request, ranking.tier[pos]) : seen);
    }
    ranking.sort();
    return ranking.decision(providers);
  };
  return {
    name: options.name ?? 'fastest',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      const rows = decision.candidates.map((c) => {
        const view = ctx.provider(c.provider);
        const seen = view !== undefined && view.index < ewma.length ? ewma[view.index]! : NaN;
        const observed = !Number.isNaN(seen);
        const expectedMs = observed ? seen : (view?.predictLatencyMs(request, c.tier) ?? Infinity);
        const why = observed ? `observed EWMA ${msText(expectedMs)} (alpha ${String(alpha)})` : `no success seen yet: predicted ${msText(expectedMs)}`;
        return { c, expectedMs, observed, why };
      });
      const first = rows[0]!;
      return {
        decision,
        summary: `${first.c.provider} has the lowest expected latency: ${first.why}`,
        candidates: rows.map((r, k) =>
          withTier(r.c.provider, r.c.tier, {
            reason: k === 0 ? `lowest expected latency: ${r.why}` : r.why,
            terms: { expectedMs: r.expectedMs, observed: r.observed ? 1 : 0 },
          }),
        ),
      };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      if (outcome.kind !== 'success') return;
      const view = ctx.provider(outcome.provider);
      if (view === undefined) return;
      const i = view.index;
      if (i >= ewma.length) {
        const grown = new Float64Array(Math.max(ctx.providers.length, i + 1)).fill(NaN);
        grown.set(ewma);
        ewma = grown;
      }
      const prev = ewma[i]!;
      ewma[i] = Number.isNaN(prev) ? outcome.latencyMs : alpha * outcome.latencyMs + (1 - alpha) * prev;
    },
  };
}

/** The `fastest` built-in: its options schema and factory. */
export const fastestBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  factory: fastestStrategy,
});
