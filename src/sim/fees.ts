/**
 * A gateway's fees in simulated time (a strategy's `fees:`, docs/gateways.md#fees): charged as
 * their own cost, beside the provider's bill, into the collector and the budget. What each fee
 * is, and when it is due, is the model's rule (src/model/pricing/fees.ts, `GatewayFeeAccount`,
 * which the live harness calls too); this file only books it into the {@link SimState}.
 */
import { billedTokens, type FeeKind } from '../model/pricing/fees.js';
import type { RequestTags } from '../metrics/collector.js';
import { attemptRequest, type SimState } from './state.js';

/**
 * Charges the gateway's fees on an amount a provider billed for an attempt (and the monthly
 * fees due by now first). Budget alerts they fire are left in `s.fired` for the caller.
 * @param s - the state (with fees)
 * @param a - the attempt
 * @param billedUsd - what the provider billed, USD
 * @param wasted - the bill bought nothing usable: its fees neither
 * @param project - the request's project
 * @param nowMs - when
 */
export function billFees(s: SimState, a: number, billedUsd: number, wasted: boolean, project: string, nowMs: number): void {
  const account = s.fees!;
  billMonthlyFees(s, nowMs);
  const at = s.attempts[a]!;
  const request = attemptRequest(s, at);
  const tokens = account.schedule.perMillionTokens === undefined ? 0 : billedTokens(s.runtimes[at.provider]!.spec.pricing, request);
  const c = account.bill(billedUsd, tokens, 1);
  book(s, 'markup', request, c.markup, wasted, project, nowMs);
  book(s, 'perGeneration', request, c.perGeneration, wasted, project, nowMs);
  book(s, 'perMillionTokens', request, c.perMillionTokens, wasted, project, nowMs);
  book(s, 'creditPurchase', undefined, c.creditPurchase, false, '', nowMs);
}

/**
 * Charges the monthly fees due by an instant, each at the start of its month.
 * @param s - the state (with fees)
 * @param nowMs - the instant (the run's end charges every month of the window)
 */
export function billMonthlyFees(s: SimState, nowMs: number): void {
  const account = s.fees!;
  for (let atMs = account.nextMonthDue(nowMs); atMs !== undefined; atMs = account.nextMonthDue(nowMs)) {
    book(s, 'monthly', undefined, account.schedule.monthly!, false, '', atMs);
  }
}

/** Books one fee: collector (its kind, the request's groups) and budget. */
function book(s: SimState, kind: FeeKind, request: RequestTags | undefined, usd: number, wasted: boolean, project: string, atMs: number): void {
  if (!(usd > 0)) return;
  s.collector.fee(kind, request, usd, wasted, atMs);
  s.budget.spend(usd, project, atMs, s.fired);
}
