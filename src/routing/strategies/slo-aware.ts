/**
 * `slo-aware`: the cheapest (provider, tier) predicted to meet the interactive latency SLO.
 */
import { positive } from '../../scenario/schema-parts.js';
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { msText, noCandidates, usdText, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectPriced, noProvider } from './_ranking.js';

const schema = builtinSchema('slo-aware', { margin: positive().default(1) });

/** Options of `slo-aware` (see the scenario schema): `margin`, a safety factor on predictions. */
export type SloAwareOptions = OptionsOf<typeof schema>;

/**
 * The interactive latency bound a request is routed against: the SLO's p95, else p99, p90, p50.
 * @param ctx - the routing context
 * @returns the bound in ms, or undefined without an interactive SLO
 */
function interactiveBoundMs(ctx: RoutingContext): number | undefined {
  const slo = ctx.slo.interactive;
  if (slo === undefined) return undefined;
  return slo.p95 ?? slo.p99 ?? slo.p90 ?? slo.p50;
}

/**
 * The quantile the bound is stated at: a p95 bound is met when the 95th percentile of the
 * latency is within it, so the prediction is made at that quantile, not at the median.
 * @param ctx - the routing context
 * @returns 0.95, 0.99, 0.9 or 0.5
 */
function boundQuantile(ctx: RoutingContext): number {
  const slo = ctx.slo.interactive;
  if (slo?.p95 !== undefined) return 0.95;
  if (slo?.p99 !== undefined) return 0.99;
  if (slo?.p90 !== undefined) return 0.9;
  return 0.5;
}

/**
 * Builds `slo-aware`. For an interactive request when the scenario has an interactive SLO
 * bound (p95, else p99, p90, p50): every provider is considered in each of its tiers that can
 * serve the request (only the `tier` option's tier when set). Providers with a tier predicted
 * to meet the bound (`predictLatencyMs × margin <= bound`) come first, cheapest first, each in
 * its cheapest fitting tier; then the others by predicted latency, each in its fastest tier.
 * Batch requests, and interactive ones without an SLO, go cheapest first (as `cheapest`).
 * Ties by provider index.
 * @param options - `margin`, `name`, `tier`
 * @returns the strategy
 */
export function sloAwareStrategy(options: SloAwareOptions): Strategy {
  const strategyTier = options.tier;
  const margin = options.margin;
  const ranking = new Ranking();
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    const providers = ctx.providers;
    const bound = request.urgency === 'interactive' ? interactiveBoundMs(ctx) : undefined;
    const q = bound === undefined ? 0.5 : boundQuantile(ctx);
    if (bound === undefined) {
      collectPriced(ranking, request, providers, strategyTier);
      if (ranking.size === 0) return noProvider(request);
    } else {
      ranking.reset(providers.length);
      for (let i = 0; i < providers.length; i++) {
        const view = providers[i]!;
        // Best fitting tier (cheapest, then faster) and fastest tier overall.
        let fitTier: string | undefined;
        let fitPrice = Infinity;
        let fitLatency = Infinity;
        let fastTier: string | undefined;
        let fastLatency = Infinity;
        const tiers = view.tiers;
        for (let t = 0; t < tiers.length; t++) {
          const tier = tiers[t]!;
          if (strategyTier !== undefined && tier !== strategyTier) continue;
          if (!view.canServe(request, tier)) continue;
          const latency = view.predictLatencyMs(request, tier, q);
          if (fastTier === undefined || latency < fastLatency) {
            fastTier = tier;
            fastLatency = latency;
          }
          if (latency * margin <= bound) {
            const price = view.price(request, tier);
            if (fitTier === undefined || price < fitPrice || (price === fitPrice && latency < fitLatency)) {
              fitTier = tier;
              fitPrice = price;
              fitLatency = latency;
            }
          }
        }
        // key: 0 = predicted to meet the bound, 1 = not; key2: price, or latency.
        if (fitTier !== undefined) ranking.add(i, fitTier, 0, fitPrice);
        else if (fastTier !== undefined) ranking.add(i, fastTier, 1, fastLatency);
      }
      if (ranking.size === 0) return noProvider(request);
    }
    ranking.sort();
    return ranking.decision(providers);
  };
  return {
    name: options.name ?? 'slo-aware',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      const bound = request.urgency === 'interactive' ? interactiveBoundMs(ctx) : undefined;
      const first = decision.candidates[0]!;
      if (bound === undefined) {
        const why = request.urgency === 'batch' ? 'batch request' : 'no interactive SLO';
        const prices = decision.candidates.map((c) => ctx.provider(c.provider)?.price(request, c.tier) ?? Infinity);
        return {
          decision,
          summary: `${why}: cheapest first; ${first.provider} quotes the lowest price, ${usdText(prices[0]!)}`,
          candidates: decision.candidates.map((c, k) =>
            withTier(c.provider, c.tier, { reason: `${why}: price ${usdText(prices[k]!)}`, terms: { priceUsd: prices[k]! } }),
          ),
        };
      }
      const q = boundQuantile(ctx);
      const label = `p${String(Math.round(q * 100))}`;
      const slo = `SLO ${label} ${msText(bound)}`;
      const marginText = margin === 1 ? '' : ` × margin ${String(margin)}`;
      const rows = decision.candidates.map((c) => {
        const view = ctx.provider(c.provider);
        const predictedMs = view?.predictLatencyMs(request, c.tier, q) ?? Infinity;
        const priceUsd = view?.price(request, c.tier) ?? Infinity;
        return { c, predictedMs, priceUsd, fits: predictedMs * margin <= bound };
      });
      const f = rows[0]!;
      const summary = f.fits
        ? `${first.provider} (${first.tier ?? 'default tier'}) is the cheapest predicted to meet the ${slo}: predicted ${label} ${msText(f.predictedMs)}${marginText}, price ${usdText(f.priceUsd)}`
        : `no provider is predicted to meet the ${slo}; ${first.provider} (${first.tier ?? 'default tier'}) is the fastest: predicted ${label} ${msText(f.predictedMs)}`;
      return {
        decision,
        summary,
        candidates: rows.map((r) =>
          withTier(r.c.provider, r.c.tier, {
            reason: r.fits
              ? `meets the SLO: predicted ${label} ${msText(r.predictedMs)}${marginText} ≤ ${msText(bound)}; price ${usdText(r.priceUsd)} (cheapest fitting tier)`
              : `misses the SLO: predicted ${label} ${msText(r.predictedMs)}${marginText} > ${msText(bound)}; ranked after those that meet it, by predicted latency (fastest tier)`,
            terms: { predictedMs: r.predictedMs, boundMs: bound, margin, priceUsd: r.priceUsd, meetsSlo: r.fits ? 1 : 0 },
          }),
        ),
      };
    },
  };
}

/** The `slo-aware` built-in: its options schema and factory. */
export const sloAwareBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  factory: sloAwareStrategy,
});
