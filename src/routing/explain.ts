/**
 * Why a strategy routes a request as it does, at one moment: its ranked candidates with each
 * one's quote (price breakdown), predicted latency, breaker and live statistics, the budget it
 * sees, the reason for its choice (`Strategy.explain`), and the providers that cannot serve the
 * request with the reason each gives. Pure: builds data, prints nothing (`imgsim explain`
 * renders it; see report/explain.ts).
 */
import type { Quote } from '../model/pricing/types.js';
import type { ImageRequest } from '../model/request.js';
import type { BudgetSpec } from './budget.js';
import type { BreakerState, CandidateExplanation, ProviderView, RoutingContext, Strategy } from './strategy.js';
import { explainWith } from './strategies/_explain.js';

/** What a provider looks like to a strategy now, for one request in one tier. */
export interface ProviderFacts {
  readonly provider: string;
  readonly tier: string;
  /** The itemised price now, or why the provider cannot serve the request in this tier. */
  readonly quote: Quote;
  /** `predictLatencyMs` at the median and the 95th percentile (queue wait included); Infinity when a(t) = 0. */
  readonly latencyMs: { readonly p50: number; readonly p95: number };
  readonly breaker: BreakerState;
  readonly inFlight: number;
  readonly queued: number;
  /** NaN before the first success. */
  readonly ewmaLatencyMs: number;
  readonly errorRate: number;
  readonly attempts: number;
  /** Undefined unless the provider uses `credits` pricing. */
  readonly creditsLeft: number | undefined;
}

/** One candidate of a decision, in rank order, with the strategy's reason. */
export interface RankedCandidate extends ProviderFacts {
  /** 1 for the first candidate. */
  readonly rank: number;
  readonly reason: string;
  /** The numbers the strategy ranked by (see `CandidateExplanation.terms`). */
  readonly terms: Readonly<Record<string, number>>;
}

/** The budget as the strategy sees it (the current period) and the request's project. */
export interface BudgetFacts {
  readonly limitUsd: number;
  readonly spentUsd: number;
  readonly periodStartMs: number;
  readonly periodEndMs: number;
  readonly onExhausted: 'reject' | 'allow' | undefined;
  readonly project: { readonly name: string; readonly limitUsd: number; readonly spentUsd: number };
}

/** The decision, flattened for printing and for tools. */
export type ExplainedDecision =
  | { readonly kind: 'candidates'; readonly hedgeAfterMs: number | undefined }
  | { readonly kind: 'defer'; readonly untilMs: number }
  | { readonly kind: 'reject'; readonly reason: string };

/** One strategy's decision for one request at one moment, with every reason. */
export interface StrategyExplanation {
  readonly strategy: string;
  readonly decision: ExplainedDecision;
  /** The first candidate, or undefined for a deferral or a rejection. */
  readonly chosen: { readonly provider: string; readonly tier: string } | undefined;
  /** Why the first was chosen (or why deferred or rejected), from the strategy. */
  readonly summary: string;
  /**
   * Set when the gateway refuses the request before the strategy is asked (`budget` or
   * `budget:<project>` under `onExhausted: reject`); the decision shown is then what the
   * strategy would decide once the budget allows.
   */
  readonly gate: string | undefined;
  readonly budget: BudgetFacts;
  readonly candidates: readonly RankedCandidate[];
  /** Providers that could serve the request but are not candidates, and why. */
  readonly excluded: readonly { readonly provider: string; readonly reason: string }[];
  /** Providers that cannot serve the request, with the reason each gives. */
  readonly refused: readonly { readonly provider: string; readonly tier: string; readonly code: string; readonly reason: string }[];
}

/** The reason given for a provider a strategy file leaves out without saying why. */
export const NOT_LISTED = 'not listed by the strategy';

/**
 * The tier a provider is described in when no candidate names one: the request's tier where the
 * provider has it, else its first tier (what the built-ins use without a `tier` option).
 * @param view - the provider
 * @param request - the request
 * @returns the tier
 */
function defaultTierFor(view: ProviderView, request: ImageRequest): string {
  const asked = request.tier;
  if (asked !== undefined && view.tiers.includes(asked)) return asked;
  return view.tiers[0] ?? view.spec.defaultTier;
}

/**
 * What a provider looks like now for a request in a tier.
 * @param view - the provider
 * @param request - the request
 * @param tier - the tier
 * @returns its facts
 */
export function providerFacts(view: ProviderView, request: ImageRequest, tier: string): ProviderFacts {
  const stats = view.stats;
  const servable = view.canServe(request, tier);
  return {
    provider: view.id,
    tier,
    quote: view.quote(request, tier),
    latencyMs: servable ? { p50: view.predictLatencyMs(request, tier, 0.5), p95: view.predictLatencyMs(request, tier, 0.95) } : { p50: Infinity, p95: Infinity },
    breaker: stats.breaker,
    inFlight: stats.inFlight,
    queued: stats.queued,
    ewmaLatencyMs: stats.ewmaLatencyMs,
    errorRate: stats.errorRate,
    attempts: stats.attempts,
    creditsLeft: stats.creditsLeft,
  };
}

/**
 * The budget refusal the gateway applies before routing (docs/contract.md §2.6 `onExhausted: reject`).
 * @param budget - the budget facts
 * @returns `budget`, `budget:<project>`, or undefined when the request may be routed
 */
function budgetGate(budget: BudgetFacts): string | undefined {
  if (budget.onExhausted !== 'reject') return undefined;
  if (budget.spentUsd >= budget.limitUsd) return 'budget';
  return budget.project.spentUsd >= budget.project.limitUsd ? `budget:${budget.project.name}` : undefined;
}

/**
 * Explains one strategy's decision for a request now. The strategy routes once (through its
 * `explain` when it has one, else `route`), so a stateful strategy moves on as it would in a run.
 * @param strategy - the strategy
 * @param request - the request
 * @param ctx - the context the strategy would see
 * @param budgetSpec - the scenario's budget (for `onExhausted`), if any
 * @returns the explanation
 */
export function explainStrategy(strategy: Strategy, request: ImageRequest, ctx: RoutingContext, budgetSpec: BudgetSpec | undefined): StrategyExplanation {
  const view = ctx.budget;
  const own = view.project(request.project);
  const budget: BudgetFacts = {
    limitUsd: view.limitUsd,
    spentUsd: view.spentUsd,
    periodStartMs: view.periodStartMs,
    periodEndMs: view.periodEndMs,
    onExhausted: budgetSpec?.onExhausted,
    project: { name: request.project, limitUsd: own.limitUsd, spentUsd: own.spentUsd },
  };
  const explained = explainWith(strategy, request, ctx);
  const d = explained.decision;
  const decision: ExplainedDecision =
    'reject' in d ? { kind: 'reject', reason: d.reject } : 'deferUntil' in d ? { kind: 'defer', untilMs: d.deferUntil } : { kind: 'candidates', hedgeAfterMs: d.hedgeAfterMs };

  const listed = new Set<string>();
  const candidates: RankedCandidate[] = [];
  const byProvider = new Map<string, CandidateExplanation>();
  for (const c of explained.candidates) if (!byProvider.has(c.provider)) byProvider.set(c.provider, c);
  if ('candidates' in d) {
    d.candidates.forEach((c, k) => {
      const p = ctx.provider(c.provider);
      if (p === undefined) return; // the policy skips ids that are not providers
      const tier = c.tier ?? p.tiers[0] ?? p.spec.defaultTier;
      const why = explained.candidates[k]?.provider === c.provider ? explained.candidates[k] : byProvider.get(c.provider);
      listed.add(c.provider);
      candidates.push({ ...providerFacts(p, request, tier), rank: candidates.length + 1, reason: why?.reason ?? 'no explanation provided', terms: why?.terms ?? {} });
    });
  }
  const first = candidates[0];

  const excluded: { provider: string; reason: string }[] = [];
  const refused: { provider: string; tier: string; code: string; reason: string }[] = [];
  const ownReasons = new Map((explained.excluded ?? []).map((e) => [e.provider, e.reason] as const));
  for (const p of ctx.providers) {
    if (listed.has(p.id)) continue;
    const tier = defaultTierFor(p, request);
    const q = p.quote(request, tier);
    const reason = ownReasons.get(p.id);
    if (!q.ok && reason === undefined) {
      refused.push({ provider: p.id, tier, code: q.code, reason: q.reason });
      continue;
    }
    if ('candidates' in d) excluded.push({ provider: p.id, reason: reason ?? NOT_LISTED });
    else if (reason !== undefined) excluded.push({ provider: p.id, reason });
  }
  return {
    strategy: strategy.name,
    decision,
    chosen: first === undefined ? undefined : { provider: first.provider, tier: first.tier },
    summary: explained.summary,
    gate: budgetGate(budget),
    budget,
    candidates,
    excluded,
    refused,
  };
}
