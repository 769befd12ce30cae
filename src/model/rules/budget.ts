/**
 * Budget admission: whether a request may go ahead under the scenario's `budget`. One rule for
 * every mode: the simulator and the live harness ask it when a request is routed, `imgsim serve`
 * and the msw handlers when a request arrives (all through `BudgetTracker.refusal`,
 * src/routing/budget.ts, which keeps the spend).
 *
 * With `onExhausted: reject`, a request is refused once the committed spend of the current window
 * (billed, plus what is held for requests in flight) has reached the overall limit, or its
 * project's cap. The simulator holds nothing (it bills each attempt when it is answered); live
 * mode holds an admitted request's price until it is answered, so concurrent requests cannot all
 * slip in under the limit (docs/contract.md §6, "Budgets in live mode").
 */

/**
 * Sums of float prices drift by ulps (10 × 0.01 = 0.09999999999999999): spend within a
 * millionth of a cent of a limit has reached it, for the refusal as for the alerts.
 */
export const SPEND_EPSILON_USD = 1e-8;

/** Why a request was refused: the overall limit (`budget`) or its project's cap (`budget:<project>`). */
export type BudgetRefusal = 'budget' | `budget:${string}`;

/** Spend against one limit in the current window. */
export interface CommittedSpend {
  /** Billed in the window, USD. */
  readonly spentUsd: number;
  /** Held for admitted requests not answered yet, USD (0 in the simulator). */
  readonly heldUsd: number;
  readonly limitUsd: number;
}

/**
 * Whether a request must be refused by the budget.
 * @param onExhausted - the budget's `onExhausted` (undefined: no budget)
 * @param overall - spend against the overall limit
 * @param project - the request's project
 * @param cap - spend against the project's cap, when it has one
 * @returns the reason, or undefined when the request may go ahead
 */
export function budgetRefusal(onExhausted: 'reject' | 'allow' | undefined, overall: CommittedSpend, project: string, cap: CommittedSpend | undefined): BudgetRefusal | undefined {
  if (onExhausted !== 'reject') return undefined;
  if (overall.spentUsd + overall.heldUsd >= overall.limitUsd - SPEND_EPSILON_USD) return 'budget';
  return cap !== undefined && cap.spentUsd + cap.heldUsd >= cap.limitUsd - SPEND_EPSILON_USD ? `budget:${project}` : undefined;
}
