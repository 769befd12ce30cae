/**
 * `score`: a weighted blend of cost, predicted latency and recent error rate.
 */
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RoutingContext, Strategy } from '../strategy.js';
import type { BuiltinOptions } from './_options.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

/** Options of `score` (see the scenario schema): `weights: { cost, latency, errors }`. */
export type ScoreOptions = BuiltinOptions<'score'>;

/** Floor of the cheapest price when normalising, USD, so a free provider does not divide by 0. */
const MIN_PRICE_USD = 1e-6;
/** Floor of the fastest predicted latency when normalising, ms. */
const MIN_LATENCY_MS = 1;
/** An error rate of 10% weighs as much as costing twice the cheapest (0.1 × 10 = 1). */
const ERROR_SCALE = 10;

/**
 * Builds `score`: ascending
 * `cost·price/minPrice + latency·predictedMs/minPredictedMs + errors·errorRate·10`, where the
 * minima are over the servable providers for this request (so the best provider on a criterion
 * scores 1 on it; floors of $0.000001 and 1 ms avoid dividing by 0), `errorRate` is the
 * provider's recent error rate in [0, 1] from its stats. Ties by provider index.
 * @param options - `weights`, `name`, `tier`
 * @returns the strategy
 */
export function scoreStrategy(options: ScoreOptions): Strategy {
  const strategyTier = options.tier;
  const { cost: wCost, latency: wLatency, errors: wErrors } = options.weights;
  const ranking = new Ranking();
  return {
    name: options.name ?? 'score',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      const providers = ctx.providers;
      collectServable(ranking, request, providers, strategyTier);
      const n = ranking.size;
      if (n === 0) return noProvider(request);
      // First pass: raw price in key, raw latency in key2, and their minima.
      let minPrice = Infinity;
      let minLatency = Infinity;
      for (let k = 0; k < n; k++) {
        const pos = ranking.order[k]!;
        const view = providers[pos]!;
        const tier = ranking.tier[pos];
        const price = view.price(request, tier);
        const latency = view.predictLatencyMs(request, tier);
        ranking.setKey(pos, price);
        ranking.setKey2(pos, latency);
        if (price < minPrice) minPrice = price;
        if (latency < minLatency) minLatency = latency;
      }
      const priceNorm = Math.max(minPrice, MIN_PRICE_USD);
      const latencyNorm = Math.max(minLatency, MIN_LATENCY_MS);
      // Second pass: the score; key2 back to 0 so ties fall to provider index.
      for (let k = 0; k < n; k++) {
        const pos = ranking.order[k]!;
        const errorRate = providers[pos]!.stats.errorRate;
        const score =
          (wCost === 0 ? 0 : (wCost * ranking.key[pos]!) / priceNorm) +
          (wLatency === 0 ? 0 : (wLatency * ranking.key2[pos]!) / latencyNorm) +
          wErrors * errorRate * ERROR_SCALE;
        ranking.setKey(pos, score);
        ranking.setKey2(pos, 0);
      }
      ranking.sort();
      return { candidates: ranking.candidates(providers) };
    },
  };
}
