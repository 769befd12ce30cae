/**
 * `deferral`: batch work waits for a cheaper window (off-peak or a lower dynamic price) when it
 * can still meet its deadline; everything else goes to the wrapped strategy.
 */
import { duration, fraction } from '../../scenario/schema-parts.js';
import type { z } from 'zod';
import type { ImageRequest } from '../../model/request.js';
import type { AttemptOutcome, RouteDecision, RouteExplanation, RoutingContext, Strategy, StrategyEnv } from '../strategy.js';
import { explainWith, isoTime, msText, pctText, usdText } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, defineBuiltin, strategyRefOr, type OptionsOf, type NestedRefSchema } from './_builtin.js';
import { tierFor } from './_ranking.js';

const schema = builtinSchema('deferral', {
  get base(): z.ZodDefault<NestedRefSchema> {
    return strategyRefOr('cheapest');
  },
  minSaving: fraction().default(0.05),
  checkEvery: duration().default(15 * 60_000),
});

/** Options of `deferral` (see the scenario schema): `base`, `minSaving`, `checkEvery` (ms). */
export type DeferralOptions = OptionsOf<typeof schema>;

/**
 * The most forecast instants scanned per request: a long deadline with a short `checkEvery`
 * is scanned with a coarser step so routing stays cheap (a 30-day deadline at 15 min is 2,880).
 */
const MAX_SCAN_STEPS = 4_096;
/** A request is started early enough to be tried twice at the slowest servable provider. */
const DEADLINE_SAFETY_FACTOR = 2;
/** Forecasts within this relative distance of the lowest count as the lowest (float noise). */
const PRICE_TIE = 1e-9;

/** Why the last request was or was not deferred (for `explain`). */
type Why = 'not-batch' | 'no-deadline' | 'no-price' | 'too-late' | 'no-saving' | 'deferred';

/**
 * Builds `deferral` around `base` (built with `env.build`). Interactive requests and requests
 * without a deadline (their own `deadlineMs`, else arrival + `slo.batch.deadline`) go to
 * `base`. For a batch request with a deadline, over the providers that can serve it: priceNow =
 * the lowest `price` now; the latest start = deadline − 2 × the highest finite predicted latency
 * (and before the window's end unless the run drains, `ctx.drains`); the forecast at
 * t = now + k·checkEvery (k = 1, 2, ... up to the latest start) is the lowest `priceAt(t)`. When
 * the lowest forecast is below priceNow and at most priceNow × (1 − minSaving), the request is
 * deferred to one of the instants t with that forecast, chosen by request id so that deferred
 * work spreads over the cheap window instead of arriving all at once; otherwise `base` routes
 * it. Re-routed at that t, the cheap price is the price now, so it is not deferred again.
 * @param options - `base`, `minSaving`, `checkEvery`, `name`, `tier`
 * @param env - builds `base`
 * @returns the strategy
 */
export function deferralStrategy(options: DeferralOptions, env: StrategyEnv): Strategy {
  const strategyTier = options.tier;
  const { minSaving, checkEvery } = options;
  const base = env.build(options.base);
  /** The tier per provider position for the current request ('' when it cannot serve). */
  const tiers: string[] = [];
  // Scratch space for the scan (at most MAX_SCAN_STEPS instants), reused across requests.
  const scanAt = new Float64Array(MAX_SCAN_STEPS + 1);
  const scanPrice = new Float64Array(MAX_SCAN_STEPS + 1);
  // What the last routing found, for `explain` (plain fields: route() allocates nothing for it).
  const last = { why: 'not-batch' as Why, deadlineMs: NaN, priceNowUsd: NaN, latestStartMs: NaN, bestPriceUsd: NaN, bestAtMs: NaN };
  const skip = (why: Why): RouteDecision | undefined => {
    last.why = why;
    return undefined;
  };
  /** The deferral, or undefined when `base` routes the request; records why in `last`. */
  const decide = (request: ImageRequest, ctx: RoutingContext): RouteDecision | undefined => {
    // A batch class without its own deadline has the SLO's (docs: mix `deadline`), as the engine judges it.
    const sloDeadlineMs = ctx.slo.batch?.deadline;
    const deadline = request.deadlineMs ?? (sloDeadlineMs === undefined ? undefined : request.arrivalMs + sloDeadlineMs);
    last.deadlineMs = deadline ?? NaN;
    if (request.urgency !== 'batch') return skip('not-batch');
    if (deadline === undefined || !(checkEvery > 0)) return skip('no-deadline');
    const providers = ctx.providers;
    let priceNow = Infinity;
    let slowestMs = 0;
    let servable = 0;
    for (let i = 0; i < providers.length; i++) {
      const view = providers[i]!;
      const tier = tierFor(view, request, strategyTier);
      if (tier === undefined || !view.canServe(request, tier)) {
        tiers[i] = '';
        continue;
      }
      tiers[i] = tier;
      servable++;
      const price = view.price(request, tier);
      if (price < priceNow) priceNow = price;
      // A provider with no usable slot now predicts Infinity; it says nothing about later.
      const latency = view.predictLatencyMs(request, tier);
      if (latency > slowestMs && latency !== Infinity) slowestMs = latency;
    }
    last.priceNowUsd = priceNow;
    if (servable === 0 || !(priceNow > 0) || priceNow === Infinity) return skip('no-price');

    const now = ctx.now;
    // A run that drains simulates deferred work to its end, past the window; else it must start inside it.
    const latestStart = Math.min(deadline - DEADLINE_SAFETY_FACTOR * slowestMs, ctx.drains === true ? Infinity : ctx.endMs - 1);
    last.latestStartMs = latestStart;
    if (latestStart < now + checkEvery) return skip('too-late');
    const step = Math.max(checkEvery, Math.ceil((latestStart - now) / MAX_SCAN_STEPS));
    const target = priceNow * (1 - minSaving);
    let bestPrice = Infinity;
    let count = 0;
    for (let t = now + step; t <= latestStart; t += step) {
      let forecast = Infinity;
      for (let i = 0; i < providers.length; i++) {
        const tier = tiers[i]!;
        if (tier === '') continue;
        const price = providers[i]!.priceAt(request, t, tier);
        if (price < forecast) forecast = price;
      }
      scanAt[count] = t;
      scanPrice[count] = forecast;
      count++;
      if (forecast < bestPrice) bestPrice = forecast;
    }
    // Spread deferred work over every instant at the lowest forecast (keyed by request id),
    // rather than sending it all at the first one, where it would overflow the queues.
    let cheapest = 0;
    for (let j = 0; j < count; j++) if (scanPrice[j]! <= bestPrice * (1 + PRICE_TIE)) cheapest++;
    let pick = request.id % Math.max(1, cheapest);
    let bestAt = 0;
    for (let j = 0; j < count; j++) {
      if (scanPrice[j]! > bestPrice * (1 + PRICE_TIE)) continue;
      if (pick-- === 0) {
        bestAt = scanAt[j]!;
        break;
      }
    }
    last.bestPriceUsd = bestPrice;
    last.bestAtMs = bestAt;
    if (bestPrice < priceNow && bestPrice <= target) {
      last.why = 'deferred';
      return { deferUntil: bestAt };
    }
    return skip('no-saving');
  };
  /** Why `base` routes the request now, for `explain`. */
  const notDeferred = (): string => {
    switch (last.why) {
      case 'not-batch':
        return 'not deferred: interactive request';
      case 'no-deadline':
        return 'not deferred: batch request without a deadline (neither its own nor slo.batch.deadline)';
      case 'no-price':
        return 'not deferred: no provider quotes a positive finite price now';
      case 'too-late':
        return `not deferred: the latest start ${isoTime(last.latestStartMs)} (deadline ${isoTime(last.deadlineMs)} less twice the slowest prediction) leaves no time to wait`;
      default:
        return `not deferred: the lowest forecast before the latest start, ${usdText(last.bestPriceUsd)}, is not at least ${pctText(minSaving)} below ${usdText(last.priceNowUsd)} now`;
    }
  };
  return {
    name: options.name ?? 'deferral',
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      return decide(request, ctx) ?? base.route(request, ctx);
    },
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const deferred = decide(request, ctx);
      if (deferred !== undefined) {
        const saving = 1 - last.bestPriceUsd / last.priceNowUsd;
        return {
          decision: deferred,
          summary:
            `batch request deferred to ${isoTime(last.bestAtMs)} (in ${msText(last.bestAtMs - ctx.now)}): forecast ${usdText(last.bestPriceUsd)} then vs ${usdText(last.priceNowUsd)} now ` +
            `(−${pctText(saving)}, minSaving ${pctText(minSaving)}), before the latest start ${isoTime(last.latestStartMs)} for the deadline ${isoTime(last.deadlineMs)}`,
          candidates: [],
        };
      }
      const why = notDeferred();
      const inner = explainWith(base, request, ctx);
      return { ...inner, summary: `${why}; ${base.name}: ${inner.summary}` };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      base.observe?.(outcome, ctx);
    },
  };
}

/** The `deferral` built-in: its options schema, nested strategies and factory. */
export const deferralBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  children: (spec) => [{ ref: spec.base, path: ['base'] }],
  factory: deferralStrategy,
});
