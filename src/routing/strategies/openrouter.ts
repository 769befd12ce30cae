/**
 * `openrouter`: OpenRouter's provider routing preferences (the `provider` object of a request,
 * https://openrouter.ai/docs/features/provider-routing), with scenario provider ids for
 * OpenRouter's provider slugs.
 *
 * As published: by default requests are load balanced, preferring providers without a
 * significant outage in the last 30 seconds, and among those drawing the first provider with
 * weight 1/price² (a provider at $1 is 9× as likely as one at $3); the rest are fallbacks.
 * `order` tries the listed providers first, in that order; `sort` (or `order`) turns load
 * balancing off and ranks by price, throughput or latency; `allow_fallbacks: false` stops after
 * the listed providers (or after the first, without `order`); `only` and `ignore` filter;
 * `max_price` drops providers that charge more. What imgsim maps each key to is in
 * docs/gateways.md.
 */
import { z } from 'zod';
import { makeSampler, serviceScale } from '../../model/latency.js';
import { MAX_DURATION_MS } from '../../scenario/limits.js';
import { duration, money, obj, positive, unit } from '../../scenario/schema-parts.js';
import { DURATION_EXPECTED, DURATION_PATTERN, DURATION_TOO_LONG, parseDurationMs } from '../../scenario/units.js';
import type { ImageRequest } from '../../model/request.js';
import { compilePricing, segmentAt, type CompiledSchedule } from '../../model/pricing/quote.js';
import type { PricingOf } from '../../model/pricing/types.js';
import type { ResolvedProvider } from '../../scenario/resolve.js';
import type { OutcomeKind } from '../../scenario/schema.js';
import type {
  AttemptOutcome,
  CandidateExplanation,
  ExcludedProvider,
  ProviderView,
  RouteDecision,
  RouteExplanation,
  RoutingContext,
  Strategy,
} from '../strategy.js';
import { msText, noCandidates, pctText, usdText, withTier } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, type OptionsOf } from './_builtin.js';
import { Ranking, noProvider, tierFor } from './_ranking.js';

/**
 * A `provider` preference of OpenRouter's that filters on something scenario providers do not
 * describe: accepted at its neutral value, refused with a message naming the key otherwise.
 */
const notEmulated = (what: string) =>
  `${what}, which scenario providers do not describe, so imgsim cannot emulate it; list the providers that qualify in \`only\` instead`;

const openRouterSortBy = () => z.enum(['price', 'throughput', 'latency'], { error: 'expected `price`, `throughput` or `latency`' });

/** Seconds as OpenRouter writes them (a number), or an imgsim duration string. Output: ms. */
const openRouterSeconds = () =>
  z.union([positive().max(MAX_DURATION_MS / 1_000, { error: `expected ${DURATION_TOO_LONG}` }).transform((s) => s * 1_000), unit(DURATION_PATTERN, DURATION_EXPECTED, parseDurationMs, false)], { error: `expected a number of seconds, or ${DURATION_EXPECTED}` });

/**
 * OpenRouter's `provider` routing preferences (https://openrouter.ai/docs/features/provider-routing),
 * with provider slugs replaced by scenario provider ids. Keys keep OpenRouter's snake_case so a
 * request body's `provider` object can be pasted as is.
 */
const openRouterPreferencesSchema = obj({
  order: z.array(z.string()).min(1).optional(),
  allow_fallbacks: z.boolean().default(true),
  require_parameters: z.boolean().optional(),
  data_collection: z
    .enum(['allow', 'deny'], { error: 'expected `allow` or `deny`' })
    .refine((v) => v === 'allow', { error: notEmulated('`data_collection: deny` keeps only providers that do not store or train on prompts') })
    .optional(),
  zdr: z
    .boolean()
    .refine((v) => !v, { error: notEmulated('`zdr: true` keeps only zero-data-retention endpoints') })
    .optional(),
  enforce_distillable_text: z
    .boolean()
    .refine((v) => !v, { error: notEmulated('`enforce_distillable_text: true` keeps only models whose licence allows distillation') })
    .optional(),
  only: z.array(z.string()).optional(),
  ignore: z.array(z.string()).optional(),
  quantizations: z
    .array(z.string())
    .refine(() => false, { error: notEmulated('`quantizations` keeps only endpoints of the listed quantization') })
    .optional(),
  sort: z
    .union([openRouterSortBy(), obj({ by: openRouterSortBy(), partition: z.enum(['model', 'none']).optional() })], {
      error: 'expected `price`, `throughput`, `latency` or `{ by, partition }`',
    })
    .optional(),
  max_price: obj({
    prompt: money().optional(),
    completion: money().optional(),
    image: money().optional(),
    request: money().optional(),
    audio: money().optional(),
  }).optional(),
  preferred_min_throughput: z
    .union([z.number(), z.record(z.string(), z.number())])
    .refine(() => false, {
      error: '`preferred_min_throughput` is in tokens per second, which image providers do not have; use `preferred_max_latency` (seconds to the image) instead',
    })
    .optional(),
  preferred_max_latency: z
    .union([openRouterSeconds(), obj({ p50: openRouterSeconds().optional(), p75: openRouterSeconds().optional(), p90: openRouterSeconds().optional(), p99: openRouterSeconds().optional() })], {
      error: 'expected a number of seconds (the p50 cutoff) or `{ p50, p75, p90, p99 }`',
    })
    .optional(),
});
/** OpenRouter `provider` preferences as parsed (prices in USD, latency cutoffs in ms). */
export type OpenRouterPreferences = z.output<typeof openRouterPreferencesSchema>;

const schema = builtinSchema('openrouter', {
  provider: openRouterPreferencesSchema.prefault({}),
  outageWindow: duration().default(30_000),
});

/** Options of `openrouter` (see the scenario schema): `provider` preferences and `outageWindow`. */
export type OpenRouterOptions = OptionsOf<typeof schema>;

/**
 * Outcomes that count as an outage of the provider and demote it for `outageWindow`: the
 * provider failed or could not take the request. Not `filtered` (the prompt's fault) nor
 * `generative` (the provider is up; the image was bad).
 */
const OUTAGE_KINDS: ReadonlySet<OutcomeKind> = new Set<OutcomeKind>(['server-error', 'timeout', 'overloaded', 'connection-reset', 'rate-limited']);

/** A per-token provider's prices per million input and output tokens, USD. */
interface TokenRates {
  readonly input: number;
  readonly output: number;
}

/** A per-token pricing's rates, times a schedule's multiplier. */
function tokenRates(pricing: PricingOf<'per-token'>, multiply: number): TokenRates {
  return { input: pricing.inputPerMillion * multiply, output: pricing.outputPerMillion * multiply };
}

/**
 * The token rates in force at an instant at a per-token provider whose price changes over time
 * (its dated pricing in force, times its `schedule` multiplier), as `max_price.prompt` and
 * `max_price.completion` read them.
 */
function tokenRatesAt(schedule: CompiledSchedule, atMs: number): TokenRates {
  const k = segmentAt(schedule, atMs);
  return tokenRates(schedule.entries[k]!.pricing as PricingOf<'per-token'>, schedule.multipliers[k]!);
}

/** Rejection when every servable provider charges more than `max_price`. */
export const REJECT_MAX_PRICE = 'no provider within max_price';
/** Rejection when `only`/`ignore` leave no servable provider. */
export const REJECT_FILTERED = 'no provider allowed by only/ignore';
/** Rejection when `allow_fallbacks: false` and no provider of `order` is left. */
export const REJECT_ORDER = 'no provider of order available';

// Why a provider is not a candidate (per position, for `explain`).
const OK = 0;
const UNSERVABLE = 1;
const NOT_ONLY = 2;
const IGNORED = 3;
const OVER_PRICE = 4;
const OVER_TOKEN_PRICE = 5;

// Flags of a candidate.
const DEMOTED = 1;
const SLOW = 2;

/** How the first candidate is chosen. */
type Mode = 'balance' | 'order' | 'sort';

/** The percentile a `preferred_max_latency` key states. */
const CUTOFF_QUANTILES = { p50: 0.5, p75: 0.75, p90: 0.9, p99: 0.99 } as const;

/** Median service time of each provider's tiers for its reference request, ms. */
const medianByProvider = new WeakMap<ResolvedProvider, Map<string, number>>();

/**
 * The median service time of a request at a provider in a tier, queue wait excluded: how fast
 * the provider generates once the work starts (the `throughput` sort key, inverted).
 * @param view - the provider
 * @param request - the request
 * @param tier - the tier
 * @returns ms
 */
function serviceMedianMs(view: ProviderView, request: ImageRequest, tier: string): number {
  let medians = medianByProvider.get(view.spec);
  if (medians === undefined) {
    medians = new Map(view.spec.tierList.map((t) => [t.name, makeSampler(t.latency).median]));
    medianByProvider.set(view.spec, medians);
  }
  const reference = medians.get(tier);
  return reference === undefined ? Infinity : reference * serviceScale(view.spec, request.steps, request.width, request.height);
}

/**
 * Builds `openrouter`. For each request, over the providers that can serve it (each in the tier
 * `tierFor` picks):
 * 1. filters: not in `only` (when set), in `ignore`, a price now above `max_price.request` or
 *    `max_price.image` (one image per request, so both cap the request's price), or, for
 *    per-token pricing, `inputPerMillion` above `max_price.prompt` or `outputPerMillion` above
 *    `max_price.completion`, drop the provider; none left: reject;
 * 2. `preferred_max_latency`: providers whose predicted latency at a stated percentile is above
 *    its cutoff are deprioritized (after the others; with `order`, only among the fallbacks);
 * 3. with `order`: the listed providers in that order, then (with `allow_fallbacks`, the
 *    default) the others by `sort`, else by price; without `order` but with `sort`: all by
 *    `sort` (`price` ascending, `latency` = predicted latency now ascending, `throughput` =
 *    median service time ascending); otherwise load balancing: providers that failed (an
 *    outage kind) within `outageWindow` are demoted after the others; the first candidate is
 *    drawn among the rest with weight 1/price² (`ctx.rng`), the others follow by price;
 * 4. `allow_fallbacks: false`: only the `order` providers, or without `order` only the first.
 * Ties by provider index.
 * @param options - `provider` preferences, `outageWindow` (ms), `name`, `tier`
 * @returns the strategy
 */
export function openRouterStrategy(options: OpenRouterOptions): Strategy {
  const prefs = options.provider;
  const strategyTier = options.tier;
  const outageWindowMs = options.outageWindow;
  const sortBy = typeof prefs.sort === 'string' ? prefs.sort : prefs.sort?.by;
  const order = prefs.order ?? [];
  const mode: Mode = order.length > 0 ? 'order' : sortBy !== undefined ? 'sort' : 'balance';
  const allowFallbacks = prefs.allow_fallbacks;
  const only = prefs.only === undefined ? undefined : new Set(prefs.only);
  const ignore = new Set(prefs.ignore ?? []);
  const maxPrice = prefs.max_price;
  const requestCapUsd = Math.min(maxPrice?.request ?? Infinity, maxPrice?.image ?? Infinity);
  const promptCapUsd = maxPrice?.prompt ?? Infinity;
  const completionCapUsd = maxPrice?.completion ?? Infinity;
  const latency = prefs.preferred_max_latency;
  const cutoffs: { readonly label: string; readonly quantile: number; readonly ms: number }[] =
    latency === undefined
      ? []
      : typeof latency === 'number'
        ? [{ label: 'p50', quantile: 0.5, ms: latency }]
        : (Object.keys(CUTOFF_QUANTILES) as (keyof typeof CUTOFF_QUANTILES)[]).flatMap((label) => {
            const ms = latency[label];
            return ms === undefined ? [] : [{ label, quantile: CUTOFF_QUANTILES[label], ms }];
          });

  const ranking = new Ranking();
  // Per provider position, rebuilt only when the provider list changes (never, in a run).
  let positionsFor: readonly ProviderView[] | undefined;
  let orderIndex = new Int32Array(0); // position in `order`, or -1
  let filterCode = new Uint8Array(0); // NOT_ONLY / IGNORED / OVER_TOKEN_PRICE, static
  // Per-token providers whose price changes over time: their token prices are checked when routing.
  let scheduledTokens: (CompiledSchedule | undefined)[] = [];
  let lastFailMs = new Float64Array(0);
  let lastFailKind: OutcomeKind[] = [];
  // What the last routing saw, per position, for `explain`.
  let why = new Uint8Array(0);
  let flags = new Uint8Array(0);
  let priceOf = new Float64Array(0);
  let sortKeyOf = new Float64Array(0);
  let lastDraw = NaN;
  let lastPool = 0;
  let lastPoolWeight = 0;
  let lastAnyFree = false;
  let lastCut = 0;

  const prepare = (providers: readonly ProviderView[]): void => {
    const n = providers.length;
    orderIndex = Int32Array.from(providers, (v) => order.indexOf(v.id));
    filterCode = Uint8Array.from(providers, (v) => {
      if (only !== undefined && !only.has(v.id)) return NOT_ONLY;
      if (ignore.has(v.id)) return IGNORED;
      const pricing = v.spec.pricing;
      if (pricing.model === 'per-token' && v.spec.priceSchedule === undefined && overTokenCaps(tokenRates(pricing, 1))) return OVER_TOKEN_PRICE;
      return OK;
    });
    scheduledTokens = providers.map((v) => (v.spec.pricing.model === 'per-token' ? compilePricing(v.spec).schedule : undefined));
    if (lastFailMs.length !== n) {
      lastFailMs = new Float64Array(n).fill(-Infinity);
      lastFailKind = new Array<OutcomeKind>(n).fill('success');
    }
    why = new Uint8Array(n);
    flags = new Uint8Array(n);
    priceOf = new Float64Array(n);
    sortKeyOf = new Float64Array(n);
    positionsFor = providers;
  };

  const overTokenCaps = (rates: TokenRates): boolean => rates.input > promptCapUsd || rates.output > completionCapUsd;

  /** The `sort` key of a provider (ascending is better). */
  const sortKey = (view: ProviderView, request: ImageRequest, tier: string, priceUsd: number): number => {
    if (sortBy === 'latency') return view.predictLatencyMs(request, tier);
    if (sortBy === 'throughput') return serviceMedianMs(view, request, tier);
    return priceUsd;
  };

  /** Weight of the load-balancing draw: 1/price²; free providers share the draw alone. */
  const weight = (priceUsd: number, anyFree: boolean): number => (anyFree ? (priceUsd === 0 ? 1 : 0) : 1 / (priceUsd * priceUsd));

  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    const providers = ctx.providers;
    if (providers !== positionsFor) prepare(providers);
    const n = providers.length;
    const now = ctx.now;
    ranking.reset(n);
    lastDraw = NaN;
    lastPool = 0;
    lastPoolWeight = 0;
    lastCut = 0;
    let servable = 0;
    let overPrice = 0;
    for (let i = 0; i < n; i++) {
      const view = providers[i]!;
      const tier = tierFor(view, request, strategyTier);
      if (tier === undefined || !view.canServe(request, tier)) {
        why[i] = UNSERVABLE;
        continue;
      }
      servable++;
      const scheduled = scheduledTokens[i];
      const code = scheduled !== undefined && overTokenCaps(tokenRatesAt(scheduled, now)) ? OVER_TOKEN_PRICE : filterCode[i]!;
      if (code !== OK) {
        why[i] = code;
        if (code === OVER_TOKEN_PRICE) overPrice++;
        continue;
      }
      const priceUsd = view.price(request, tier);
      priceOf[i] = priceUsd;
      if (priceUsd > requestCapUsd) {
        why[i] = OVER_PRICE;
        overPrice++;
        continue;
      }
      why[i] = OK;
      let f = 0;
      if (now - lastFailMs[i]! < outageWindowMs) f |= DEMOTED;
      for (let c = 0; c < cutoffs.length; c++) {
        const cut = cutoffs[c]!;
        if (view.predictLatencyMs(request, tier, cut.quantile) > cut.ms) {
          f |= SLOW;
          break;
        }
      }
      flags[i] = f;
      const key2 = mode === 'balance' ? priceUsd : sortKey(view, request, tier, priceUsd);
      sortKeyOf[i] = key2;
      const slow = (f & SLOW) === 0 ? 0 : 1;
      let key: number;
      if (mode === 'order') {
        const at = orderIndex[i]!;
        // Listed providers keep `order`, before every fallback (faster fallbacks first).
        key = at >= 0 ? at : order.length + slow;
      } else if (mode === 'sort') {
        key = slow;
      } else {
        key = ((f & DEMOTED) === 0 ? 0 : 2) + slow;
      }
      ranking.add(i, tier, key, key2);
    }
    if (ranking.size === 0) {
      if (servable === 0) return noProvider(request);
      return { reject: overPrice > 0 ? REJECT_MAX_PRICE : REJECT_FILTERED };
    }
    ranking.sort();
    const ordered = ranking.order;
    if (mode === 'balance') {
      // The draw pool: the leading group (stable and fast, else the best group there is).
      const group = ranking.key[ordered[0]!]!;
      let pool = 1;
      while (pool < ranking.size && ranking.key[ordered[pool]!] === group) pool++;
      let anyFree = false;
      for (let k = 0; k < pool; k++) if (priceOf[ordered[k]!] === 0) anyFree = true;
      let total = 0;
      for (let k = 0; k < pool; k++) total += weight(priceOf[ordered[k]!]!, anyFree);
      lastPool = pool;
      lastPoolWeight = total;
      lastAnyFree = anyFree;
      if (pool > 1 && total > 0) {
        const u = ctx.rng.next();
        lastDraw = u;
        let r = u * total;
        let pick = 0;
        for (let k = 0; k < pool; k++) {
          r -= weight(priceOf[ordered[k]!]!, anyFree);
          pick = k;
          if (r < 0) break;
        }
        const chosen = ordered[pick]!;
        for (let k = pick; k > 0; k--) ordered[k] = ordered[k - 1]!;
        ordered[0] = chosen;
      }
    }
    if (!allowFallbacks) {
      let keep = 1;
      if (mode === 'order') {
        keep = 0;
        while (keep < ranking.size && orderIndex[ordered[keep]!]! >= 0) keep++;
        if (keep === 0) return { reject: REJECT_ORDER };
      }
      lastCut = ranking.size - keep;
      ranking.size = keep;
    }
    return ranking.decision(providers);
  };

  /**
   * Why a candidate is where it is.
   * @param pos - provider position
   * @param k - its rank
   * @param ctx - the context
   * @returns the reason
   */
  const reasonFor = (pos: number, k: number, ctx: RoutingContext): string => {
    const f = flags[pos]!;
    const priceUsd = priceOf[pos]!;
    const parts: string[] = [];
    if (mode === 'balance') {
      const share = k < lastPool && lastPoolWeight > 0 ? weight(priceUsd, lastAnyFree) / lastPoolWeight : 0;
      const group = (f & DEMOTED) === 0 ? 'stable providers' : 'providers (all failed recently)';
      if (k === 0 && lastPool > 1) {
        parts.push(`drawn by inverse-square price weighting: 1/${usdText(priceUsd)}² is ${pctText(share)} of the weight of the ${String(lastPool)} ${group} (u = ${lastDraw.toFixed(4)})`);
      } else if (k === 0) {
        parts.push(`the only one of the ${group} in the draw, at ${usdText(priceUsd)}`);
      } else if (k < lastPool) {
        parts.push(`fallback by price: ${usdText(priceUsd)} (first with probability ${pctText(share)})`);
      } else {
        parts.push(`fallback by price: ${usdText(priceUsd)}`);
      }
    } else if (mode === 'sort' || orderIndex[pos]! < 0) {
      const key = sortKeyOf[pos]!;
      const by = sortBy ?? 'price';
      const value = by === 'price' ? usdText(key) : by === 'latency' ? `predicted ${msText(key)}` : `median service time ${msText(key)} (queue excluded)`;
      parts.push(mode === 'sort' ? `sort by ${by}: ${value}` : `fallback outside \`order\` (allow_fallbacks), by ${by}: ${value}`);
    } else {
      parts.push(`\`order\` position ${String(orderIndex[pos]! + 1)}`);
    }
    if ((f & DEMOTED) !== 0) {
      parts.push(`demoted: ${lastFailKind[pos]!} ${msText(ctx.now - lastFailMs[pos]!)} ago, within the ${msText(outageWindowMs)} outage window`);
    }
    if ((f & SLOW) !== 0) parts.push(`deprioritized: predicted latency above preferred_max_latency (${cutoffText()})`);
    return parts.join('; ');
  };

  const cutoffText = (): string => cutoffs.map((c) => `${c.label} ${msText(c.ms)}`).join(', ');

  const excludedText = (pos: number, view: ProviderView, nowMs: number): string | undefined => {
    switch (why[pos]) {
      case NOT_ONLY:
        return 'not in `only`';
      case IGNORED:
        return 'in `ignore`';
      case OVER_PRICE:
        return `over max_price: ${usdText(priceOf[pos]!)} > ${usdText(requestCapUsd)} per request`;
      case OVER_TOKEN_PRICE: {
        const p = view.spec.pricing;
        if (p.model !== 'per-token') return 'over max_price';
        const scheduled = scheduledTokens[pos];
        const rates = scheduled === undefined ? tokenRates(p, 1) : tokenRatesAt(scheduled, nowMs);
        return `over max_price: ${usdText(rates.input)}/${usdText(rates.output)} per million input/output tokens > prompt ${usdText(promptCapUsd)} / completion ${usdText(completionCapUsd)}`;
      }
      default:
        return undefined;
    }
  };

  return {
    name: options.name ?? 'openrouter',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      const providers = ctx.providers;
      const excluded: ExcludedProvider[] = [];
      for (let i = 0; i < providers.length; i++) {
        const text = excludedText(i, providers[i]!, ctx.now);
        if (text !== undefined) excluded.push({ provider: providers[i]!.id, reason: text });
      }
      if (!('candidates' in decision)) return { ...noCandidates(decision), excluded };
      if (lastCut > 0) {
        // allow_fallbacks: false cut the ranking short; `ranking.order` still holds the rest.
        for (let k = decision.candidates.length; k < decision.candidates.length + lastCut; k++) {
          const pos = ranking.order[k]!;
          excluded.push({
            provider: providers[pos]!.id,
            reason: mode === 'order' ? 'not in `order`, and allow_fallbacks is false' : 'allow_fallbacks is false: only the first provider is tried',
          });
        }
      }
      const candidates: CandidateExplanation[] = decision.candidates.map((c, k) => {
        const pos = ranking.order[k]!;
        const f = flags[pos]!;
        return withTier(c.provider, c.tier, {
          reason: reasonFor(pos, k, ctx),
          terms: { priceUsd: priceOf[pos]!, sortKey: sortKeyOf[pos]!, demoted: (f & DEMOTED) === 0 ? 0 : 1, deprioritized: (f & SLOW) === 0 ? 0 : 1 },
        });
      });
      const how = mode === 'balance' ? 'load balancing' : mode === 'sort' ? `sort by ${sortBy ?? 'price'}` : '`order`';
      return { decision, summary: `${decision.candidates[0]!.provider} by ${how}: ${candidates[0]!.reason}`, candidates, excluded };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      if (!OUTAGE_KINDS.has(outcome.kind)) return;
      const view = ctx.provider(outcome.provider);
      if (view === undefined) return;
      if (ctx.providers !== positionsFor) prepare(ctx.providers);
      lastFailMs[view.index] = outcome.endedMs;
      lastFailKind[view.index] = outcome.kind;
    },
  };
}

/** The `openrouter` built-in: its options schema, cross-checks and factory. */
export const openRouterBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  check(spec, at, c) {
    for (const key of ['order', 'only', 'ignore'] as const) {
      spec.provider[key]?.forEach((id, j) => {
        c.knownProvider(id, [...at, 'provider', key, j]);
      });
    }
  },
  factory: openRouterStrategy,
});
