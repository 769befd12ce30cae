/**
 * `score`: a weighted blend of cost, predicted latency and recent error rate.
 */
import { nonNegative, obj } from '../../scenario/schema-parts.js';
import type { ImageRequest } from '../../model/request.js';
import type { RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';
import { msText, noCandidates, pctText, usdText, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, collectServable, noProvider } from './_ranking.js';

const schema = builtinSchema('score', {
  weights: obj({ cost: nonNegative().default(1), latency: nonNegative().default(1), errors: nonNegative().default(1) }).prefault({}),
});

/** Options of `score` (see the scenario schema): `weights: { cost, latency, errors }`. */
export type ScoreOptions = OptionsOf<typeof schema>;

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
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
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
    return ranking.decision(providers);
  };
  return {
    name: options.name ?? 'score',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      if (!('candidates' in decision)) return noCandidates(decision);
      // Every servable provider is a candidate, so the minima are over the candidates.
      const raw = decision.candidates.map((c) => {
        const view = ctx.provider(c.provider);
        return {
          c,
          priceUsd: view?.price(request, c.tier) ?? Infinity,
          predictedMs: view?.predictLatencyMs(request, c.tier) ?? Infinity,
          errorRate: view?.stats.errorRate ?? 0,
        };
      });
      const priceNorm = Math.max(Math.min(...raw.map((r) => r.priceUsd)), MIN_PRICE_USD);
      const latencyNorm = Math.max(Math.min(...raw.map((r) => r.predictedMs)), MIN_LATENCY_MS);
      const rows = raw.map((r) => {
        const cost = wCost === 0 ? 0 : (wCost * r.priceUsd) / priceNorm;
        const latency = wLatency === 0 ? 0 : (wLatency * r.predictedMs) / latencyNorm;
        const errors = wErrors * r.errorRate * ERROR_SCALE;
        return { ...r, cost, latency, errors, score: cost + latency + errors };
      });
      const text = (r: (typeof rows)[number]): string =>
        `score ${num(r.score)} = cost ${num(r.cost)} (${usdText(r.priceUsd)}) + latency ${num(r.latency)} (${msText(r.predictedMs)}) + errors ${num(r.errors)} (${pctText(r.errorRate)})`;
      const first = rows[0]!;
      return {
        decision,
        summary: `${first.c.provider} has the lowest ${text(first)}`,
        candidates: rows.map((r) =>
          withTier(r.c.provider, r.c.tier, {
            reason: text(r),
            terms: { score: r.score, cost: r.cost, latency: r.latency, errors: r.errors, priceUsd: r.priceUsd, predictedMs: r.predictedMs, errorRate: r.errorRate },
          }),
        ),
      };
    },
  };
}

/**
 * A score term for a reason: four significant digits.
 * @param x - the number
 * @returns the text
 */
function num(x: number): string {
  return Number.isFinite(x) ? String(+x.toPrecision(4)) : '∞';
}

/** The `score` built-in: its options schema and factory. */
export const scoreBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  factory: scoreStrategy,
});
