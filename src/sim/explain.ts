/**
 * `explainRequest()`: how each strategy of a scenario would route one request at one moment,
 * and why. At a cold start the context is the scenario's initial state at that instant (no
 * traffic yet: empty queues, closed breakers, no spend, no observations); with `warmMs` the
 * scenario's own traffic is simulated for that long before the instant first, so queues,
 * statistics, breakers, budget and each strategy's learnt state are those of that moment.
 */
import { validationBy, type ValidationBy } from '../model/pricing/pipeline.js';
import { quote } from '../model/pricing/quote.js';
import type { Quote } from '../model/pricing/types.js';
import { billedTokens, monthlyNote, requestFeeLines, type FeeLine, type FeeSchedule } from '../model/pricing/fees.js';
import type { ImageRequest } from '../model/request.js';
import { explainStrategy, type StrategyExplanation } from '../routing/explain.js';
import { loadScenarioStrategyFiles, selectStrategyRefs, strategyFees } from '../routing/strategy-refs.js';
import { buildStrategy } from '../routing/strategies/registry.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { openTraffic, type RequestSource } from '../traffic/traffic.js';
import { availabilityCurves } from '../model/availability.js';
import { Simulation } from './engine.js';

/** Options of {@link explainRequest}. */
export interface ExplainOptions {
  /** Only the strategies with these names (a built-in not in the scenario may be named too). */
  readonly strategies?: readonly string[];
  /**
   * Simulate this much of the scenario's traffic before the request first, ms (never before the
   * scenario's start). 0 or undefined: a cold start.
   */
  readonly warmMs?: number;
}

/** The warm-up that ran before the request, per strategy. */
export interface WarmUp {
  readonly fromMs: number;
  readonly toMs: number;
  /** Requests of the scenario's traffic that arrived in the warm-up window. */
  readonly requests: number;
}

/** A gateway's fees on the chosen candidate's price, itemised (a strategy with `fees`). */
export interface ExplainedFees {
  readonly provider: string;
  /** The provider's price of the request, USD. */
  readonly priceUsd: number;
  readonly lines: readonly FeeLine[];
  /** The price with the per-request fees, USD. */
  readonly totalUsd: number;
  /** The monthly fee, which is not per request, when there is one. */
  readonly monthly: string | undefined;
}

/** One strategy's explanation, with its gateway's fees when it has `fees`. */
export type ExplainedStrategy = StrategyExplanation & { readonly fees?: ExplainedFees };

/** Every strategy's explanation of one request. */
export interface ExplainResult {
  readonly scenario: string;
  readonly seed: number;
  readonly request: ImageRequest;
  /** Undefined for a cold start. */
  readonly warm: WarmUp | undefined;
  readonly strategies: readonly ExplainedStrategy[];
  /**
   * For a request asking for validation in a scenario with a validator: the validator's quote at
   * the instant, and per provider who validates (`bundle`: in its price; `validator`: a call added).
   */
  readonly validation?: { readonly validator: string; readonly quote: Quote; readonly by: Readonly<Record<string, ValidationBy>> };
}

/**
 * A gateway's fees on the price of the candidate a strategy chose.
 * @param scenario - the scenario
 * @param request - the request
 * @param fees - the strategy's fees
 * @param s - its explanation
 * @returns the itemised fees, or undefined when it chose no candidate that can serve the request
 */
export function explainFees(scenario: ResolvedScenario, request: ImageRequest, fees: FeeSchedule, s: StrategyExplanation): ExplainedFees | undefined {
  const chosen = s.candidates.find((c) => c.provider === s.chosen?.provider && c.tier === s.chosen.tier);
  const spec = scenario.providers.find((p) => p.id === chosen?.provider);
  if (chosen === undefined || spec === undefined || !chosen.quote.ok) return undefined;
  const priceUsd = chosen.quote.totalUsd;
  const lines = requestFeeLines(fees, priceUsd, billedTokens(spec.pricing, request));
  return { provider: chosen.provider, priceUsd, lines, totalUsd: lines.reduce((sum, l) => sum + l.usd, priceUsd), monthly: monthlyNote(fees) };
}

/** A source with nothing in it: a cold start. */
const NO_TRAFFIC: RequestSource = { next: () => undefined, close: () => undefined };

/**
 * The scenario's traffic from `fromMs` (earlier arrivals are drawn and dropped, so the requests
 * are the same as in a full run) until `toMs`, counting what it hands out.
 * @param scenario - the scenario
 * @param fromMs - first arrival kept
 * @param toMs - end (exclusive)
 * @returns the source and a counter
 */
function trafficBetween(scenario: ResolvedScenario, fromMs: number, toMs: number): RequestSource & { taken: number } {
  const inner = openTraffic(scenario.traffic, scenario.seed, scenario.startMs, Math.min(scenario.endMs, toMs));
  const source = {
    taken: 0,
    next(): ImageRequest | undefined {
      for (;;) {
        const r = inner.next();
        if (r === undefined || r.arrivalMs >= toMs) return undefined;
        if (r.arrivalMs < fromMs) continue;
        source.taken++;
        return r;
      }
    },
    close(): void {
      inner.close();
    },
  };
  return source;
}

/**
 * Explains how each strategy (or those named) would route `request` at `request.arrivalMs`.
 * @param scenario - from `loadScenario`
 * @param request - the request; it arrives at `arrivalMs`, the instant explained
 * @param opts - strategies, warm-up
 * @returns one explanation per strategy, in the order asked
 * @throws ImgsimError for an unknown strategy name or a strategy file that does not load
 */
export async function explainRequest(scenario: ResolvedScenario, request: ImageRequest, opts: ExplainOptions = {}): Promise<ExplainResult> {
  const atMs = request.arrivalMs;
  const refs = selectStrategyRefs(scenario, opts.strategies);
  const files = await loadScenarioStrategyFiles(scenario);
  const curves = availabilityCurves(scenario);
  const warmMs = opts.warmMs ?? 0;
  const fromMs = warmMs > 0 ? Math.max(scenario.startMs, atMs - warmMs) : atMs;
  let warm: WarmUp | undefined;
  const strategies = refs.map((ref) => {
    const strategy = buildStrategy(ref, { scenario, files });
    const source = warmMs > 0 && fromMs < atMs ? trafficBetween(scenario, fromMs, atMs) : undefined;
    try {
      const sim = new Simulation(scenario, strategy, source ?? NO_TRAFFIC, curves, undefined, undefined, strategyFees(ref));
      const { ctx } = sim.runUntil(fromMs, atMs);
      if (warmMs > 0) warm ??= { fromMs, toMs: atMs, requests: source?.taken ?? 0 };
      const explained = explainStrategy(strategy, request, ctx, scenario.budget);
      const fees = strategyFees(ref);
      const itemised = fees === undefined ? undefined : explainFees(scenario, request, fees, explained);
      return itemised === undefined ? explained : { ...explained, fees: itemised };
    } finally {
      source?.close();
    }
  });
  const validator = scenario.pipeline?.validator;
  const validation =
    validator === undefined || !request.validate
      ? undefined
      : {
          validator: validator.id,
          quote: quote(validator, request, { atMs }),
          by: Object.fromEntries(scenario.providers.map((p) => [p.id, validationBy(p, true, true)] as const)),
        };
  return { scenario: scenario.name, seed: scenario.seed, request, warm, strategies, ...(validation === undefined ? {} : { validation }) };
}
