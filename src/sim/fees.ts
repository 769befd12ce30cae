/**
 * A gateway's fees in simulated time (a strategy's `fees:`, docs/gateways.md#fees): charged as
 * their own cost, beside the provider's bill, into the collector and the budget. What each fee
 * is, is the model's rule (src/model/pricing/fees.ts); this file only applies it to the
 * {@link SimState}.
 */
import { billedTokens, chargeFees, FEE_MONTH_MS, monthsStarted, spendCredits, type ChargeFees, type FeeKind, type FeeSchedule } from '../model/pricing/fees.js';
import type { RequestTags } from '../metrics/collector.js';
import { attemptRequest, type SimState } from './state.js';

/** The gateway's side of one run: its fees, its prepaid balance, the months charged. */
export class GatewayFees {
  /** The gateway's prepaid credits left, USD (with a credit purchase fee). */
  balanceUsd = 0;
  /** Monthly fees charged so far. */
  months = 0;
  /** The fees on the bill being charged (reused). */
  readonly charge: ChargeFees = { markup: 0, perGeneration: 0, perMillionTokens: 0 };

  /** @param schedule - the strategy's fees */
  constructor(readonly schedule: FeeSchedule) {}
}

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
  const f = s.fees!;
  billMonthlyFees(s, nowMs);
  const at = s.attempts[a]!;
  const request = attemptRequest(s, at);
  const schedule = f.schedule;
  const tokens = schedule.perMillionTokens === undefined ? 0 : billedTokens(s.runtimes[at.provider]!.spec.pricing, request);
  const c = chargeFees(schedule, billedUsd, tokens, f.charge);
  book(s, 'markup', request, c.markup, wasted, project, nowMs);
  book(s, 'perGeneration', request, c.perGeneration, wasted, project, nowMs);
  book(s, 'perMillionTokens', request, c.perMillionTokens, wasted, project, nowMs);
  if (schedule.creditPurchase !== undefined) {
    const spent = spendCredits(schedule.creditPurchase, f.balanceUsd, billedUsd + c.markup + c.perGeneration + c.perMillionTokens);
    f.balanceUsd = spent.balanceUsd;
    book(s, 'creditPurchase', undefined, spent.feeUsd, false, '', nowMs);
  }
}

/**
 * Charges the monthly fees due by an instant, each at the start of its month.
 * @param s - the state (with fees)
 * @param nowMs - the instant (the run's end charges every month of the window)
 */
export function billMonthlyFees(s: SimState, nowMs: number): void {
  const f = s.fees!;
  const monthly = f.schedule.monthly;
  if (monthly === undefined) return;
  const { startMs, endMs } = s.scenario;
  for (const due = monthsStarted(startMs, endMs, nowMs); f.months < due; f.months++) {
    book(s, 'monthly', undefined, monthly, false, '', startMs + f.months * FEE_MONTH_MS);
  }
}

/** Books one fee: collector (its kind, the request's groups) and budget. */
function book(s: SimState, kind: FeeKind, request: RequestTags | undefined, usd: number, wasted: boolean, project: string, atMs: number): void {
  if (!(usd > 0)) return;
  s.collector.fee(kind, request, usd, wasted, atMs);
  s.budget.spend(usd, project, atMs, s.fired);
}
