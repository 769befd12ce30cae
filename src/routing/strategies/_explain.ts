/**
 * Internal helpers for `Strategy.explain`: explaining a strategy that may not implement it, and
 * the short number formats the built-ins' reasons use. Explanations are data (sentences and
 * named numbers), built only when asked for, never on the routing hot path.
 */
import type { ImageRequest } from '../../model/request.js';
import type { CandidateExplanation, RouteDecision, RouteExplanation, RoutingContext, Strategy } from '../strategy.js';

/** The reason given for the candidates of a strategy that has no `explain`. */
export const NO_EXPLANATION = 'no explanation provided';

/**
 * A strategy's explanation: its own `explain` when it has one, else its `route` decision with
 * {@link NO_EXPLANATION} for every candidate.
 * @param strategy - any strategy
 * @param request - the request
 * @param ctx - the routing context
 * @returns the explanation (the strategy routed once)
 */
export function explainWith(strategy: Strategy, request: ImageRequest, ctx: RoutingContext): RouteExplanation {
  if (strategy.explain) return strategy.explain(request, ctx);
  const decision = strategy.route(request, ctx);
  return { decision, summary: `${decisionText(decision)} (${NO_EXPLANATION})`, candidates: plainCandidates(decision, NO_EXPLANATION) };
}

/**
 * What a decision says, in a few words: `first: lumen (standard)`, `deferred until ...`,
 * `rejected: budget`.
 * @param decision - a route decision
 * @returns the text
 */
export function decisionText(decision: RouteDecision): string {
  if ('reject' in decision) return `rejected: ${decision.reject}`;
  if ('deferUntil' in decision) return `deferred until ${isoTime(decision.deferUntil)}`;
  const first = decision.candidates[0];
  if (first === undefined) return 'no candidates';
  return `first: ${first.provider}${first.tier === undefined ? '' : ` (${first.tier})`}`;
}

/**
 * One explanation per candidate of a decision, all with the same reason.
 * @param decision - a route decision
 * @param reason - the reason for each
 * @returns the explanations (none for a deferral or rejection)
 */
export function plainCandidates(decision: RouteDecision, reason: string): CandidateExplanation[] {
  if (!('candidates' in decision)) return [];
  return decision.candidates.map((c) => withTier(c.provider, c.tier, { reason }));
}

/**
 * Builds a candidate explanation, leaving `tier` out when it is undefined (exact optional types).
 * @param provider - provider id
 * @param tier - tier, if any
 * @param rest - reason and terms
 * @param rest.reason - the reason
 * @param rest.terms - named numbers
 * @returns the explanation
 */
export function withTier(provider: string, tier: string | undefined, rest: { reason: string; terms?: Record<string, number> }): CandidateExplanation {
  const base = tier === undefined ? { provider } : { provider, tier };
  return rest.terms === undefined ? { ...base, reason: rest.reason } : { ...base, reason: rest.reason, terms: rest.terms };
}

/**
 * Money for a reason: `$0.03`, `$0.0441`, `∞` for a provider that cannot price it.
 * @param usd - an amount
 * @returns the text
 */
export function usdText(usd: number): string {
  if (!Number.isFinite(usd)) return '∞';
  return `$${String(+usd.toPrecision(4))}`;
}

/**
 * A duration for a reason: `450ms`, `8.25s`, `∞`.
 * @param ms - milliseconds
 * @returns the text
 */
export function msText(ms: number): string {
  if (Number.isNaN(ms)) return 'n/a';
  if (!Number.isFinite(ms)) return '∞';
  if (Math.abs(ms) < 1_000) return `${String(Math.round(ms))}ms`;
  return `${String(+(ms / 1_000).toFixed(2))}s`;
}

/**
 * A fraction as a percentage: `12.5%`.
 * @param f - a fraction
 * @returns the text
 */
export function pctText(f: number): string {
  if (!Number.isFinite(f)) return '∞%';
  return `${String(+(f * 100).toFixed(1))}%`;
}

/**
 * An instant as ISO 8601 UTC.
 * @param ms - epoch ms
 * @returns the text
 */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

/**
 * The candidate positions of a decision (empty for a deferral or rejection).
 * @param decision - a route decision
 * @returns its candidates
 */
export function candidatesOf(decision: RouteDecision): readonly { readonly provider: string; readonly tier?: string }[] {
  return 'candidates' in decision ? decision.candidates : [];
}

/**
 * The explanation of a decision that lists no candidates: a deferral or a rejection.
 * @param decision - the decision
 * @param summary - why, when the strategy knows more than the decision says
 * @returns the explanation
 */
export function noCandidates(decision: RouteDecision, summary = decisionText(decision)): RouteExplanation {
  return { decision, summary, candidates: [] };
}
