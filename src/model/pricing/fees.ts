/**
 * Gateway and aggregator fees (a strategy's `fees:`, docs/gateways.md#fees): what a gateway
 * charges on top of the providers' prices. One rule for every mode: the simulator's billing,
 * `imgsim quote` and `imgsim explain` call these functions; none computes a fee by itself.
 *
 * - `markup`: a fraction of each amount a provider bills through the gateway (BYOK fees,
 *   resellers' margins).
 * - `perGeneration`: USD per billed attempt: each provider call the provider charged for (a
 *   gateway records a generation per upstream call; a refusal or an unbilled failure is free).
 * - `perMillionTokens`: USD per million tokens of a billed attempt at a `per-token` provider
 *   (prompt tokens plus image tokens, as the provider counts them); other providers bill no tokens.
 * - `monthly`: USD per started 30-day month of the window, due at the start of each month.
 * - `creditPurchase`: prepaid credits at the gateway pay for the providers' bills and the fees
 *   above; when the balance does not cover a bill, top-ups of `topUp` USD are bought, each
 *   costing `max(percent × topUp, minimum) + fixed` on top (OpenRouter: 5.5%, $0.80 minimum).
 *   The top-up itself is prepaid money, not a cost: what it buys is billed as the providers' bills.
 */
import { promptTokens } from '../request.js';
import type { PricingOf, QuoteRequest } from './types.js';
import { num } from './_format.js';
import { qualityTable, qualityValue } from './_quality.js';

/** How a gateway sells prepaid credits: a fee on each top-up of `topUp` USD. */
export interface CreditPurchaseFee {
  /** Fraction of each top-up (0.055 for 5.5%). */
  readonly percent: number;
  /** USD added to each top-up's fee. */
  readonly fixed: number;
  /** The least the percentage part of a top-up's fee is, USD. */
  readonly minimum: number;
  /** USD bought at each top-up (> 0). */
  readonly topUp: number;
}

/** A gateway's fees as a scenario's strategy entry gives them (fractions and USD; absent is none). */
export interface FeeSchedule {
  readonly markup?: number | undefined;
  readonly perGeneration?: number | undefined;
  readonly perMillionTokens?: number | undefined;
  readonly monthly?: number | undefined;
  readonly creditPurchase?: CreditPurchaseFee | undefined;
}

/** The kinds of fee, in the order reports list them. */
export const FEE_KINDS = ['markup', 'perGeneration', 'perMillionTokens', 'monthly', 'creditPurchase'] as const;

/** A kind of fee. */
export type FeeKind = (typeof FEE_KINDS)[number];

/** A month of a monthly fee: 30 days, as a budget's default period and `N%/month` growth. */
export const FEE_MONTH_MS = 30 * 86_400_000;

/** Tokens are priced per million. */
const TOKENS_PER_MILLION = 1_000_000;

/** The fees on one billed attempt (reused by the simulator: fill one with {@link chargeFees}). */
export interface ChargeFees {
  markup: number;
  perGeneration: number;
  perMillionTokens: number;
}

/**
 * The fees on one amount a provider billed through the gateway.
 * @param fees - the gateway's fees
 * @param billedUsd - what the provider billed for the attempt, USD (> 0)
 * @param tokens - the tokens it billed (0 unless the provider prices tokens; {@link billedTokens})
 * @param out - where to write them
 * @returns `out`
 */
export function chargeFees<T extends ChargeFees>(fees: FeeSchedule, billedUsd: number, tokens: number, out: T): T {
  out.markup = billedUsd * (fees.markup ?? 0);
  out.perGeneration = fees.perGeneration ?? 0;
  out.perMillionTokens = (tokens * (fees.perMillionTokens ?? 0)) / TOKENS_PER_MILLION;
  return out;
}

/**
 * The tokens a provider bills for a request: prompt tokens (⌈chars / 4⌉) plus the image's
 * output tokens from its `outputTokens` table (as `per-token` pricing counts them); 0 for
 * providers priced otherwise.
 * @param pricing - the provider's pricing
 * @param request - the request as the provider received it
 * @returns the token count (NaN for a size or quality the table lacks)
 */
export function billedTokens(pricing: { readonly model: string }, request: QuoteRequest): number {
  if (pricing.model !== 'per-token') return 0;
  const table = (pricing as PricingOf<'per-token'>).outputTokens[request.size];
  const out = table === undefined ? NaN : qualityValue(qualityTable(table), request.quality);
  return promptTokens(request.promptChars) + out;
}

/**
 * Monthly fees due by an instant: one per 30-day month of the window `[startMs, endMs)` that
 * has started by `nowMs` (the first at `startMs`).
 * @param startMs - the window's start
 * @param endMs - the window's end
 * @param nowMs - the instant
 * @returns how many monthly fees are due
 */
export function monthsStarted(startMs: number, endMs: number, nowMs: number): number {
  if (!(endMs > startMs) || nowMs < startMs) return 0;
  return Math.min(Math.ceil((endMs - startMs) / FEE_MONTH_MS), Math.floor((nowMs - startMs) / FEE_MONTH_MS) + 1);
}

/** The fee of one top-up, USD: `max(percent × topUp, minimum) + fixed`. */
export function topUpFee(rule: CreditPurchaseFee): number {
  return Math.max(rule.percent * rule.topUp, rule.minimum) + rule.fixed;
}

/** What paying an amount from the gateway's credits takes. */
export interface CreditSpend {
  /** Top-ups bought to cover it. */
  readonly topUps: number;
  /** Their fees, USD. */
  readonly feeUsd: number;
  /** The balance after the top-ups and the payment, USD. */
  readonly balanceUsd: number;
}

/** Float sums drift by ulps: a balance short by less than this covers the amount. */
const BALANCE_EPSILON_USD = 1e-9;

/**
 * Pays an amount from the gateway's prepaid credits, buying as many top-ups as it takes.
 * @param rule - the credit purchase fee
 * @param balanceUsd - the balance before, USD
 * @param amountUsd - the amount to pay, USD
 * @returns the top-ups, their fees and the balance after
 */
export function spendCredits(rule: CreditPurchaseFee, balanceUsd: number, amountUsd: number): CreditSpend {
  const short = amountUsd - balanceUsd;
  const topUps = short > BALANCE_EPSILON_USD ? Math.ceil(short / rule.topUp - BALANCE_EPSILON_USD) : 0;
  return { topUps, feeUsd: topUps * topUpFee(rule), balanceUsd: balanceUsd + topUps * rule.topUp - amountUsd };
}

/** The fees on one bill, as {@link GatewayFeeAccount.bill} works them out (reused between calls). */
export interface BillFees extends ChargeFees {
  /** The fees of the top-ups bought to pay the bill and its fees, USD (0 without a credit purchase fee). */
  creditPurchase: number;
}

/**
 * A gateway's fee account over one run, whichever clock drives it (the simulator's billing and
 * the live harness both call it, so the two charge the same fees for the same bills): the
 * monthly fees due, the fees on each bill, and the prepaid balance its top-ups leave.
 */
export class GatewayFeeAccount {
  /** The gateway's prepaid credits left, USD (with a credit purchase fee). */
  balanceUsd = 0;
  /** Monthly fees charged so far. */
  months = 0;
  private readonly out: BillFees = { markup: 0, perGeneration: 0, perMillionTokens: 0, creditPurchase: 0 };

  /**
   * @param schedule - the strategy's fees
   * @param startMs - the window's start (the first monthly fee is due then)
   * @param endMs - the window's end (no monthly fee starts at or after it)
   */
  constructor(
    readonly schedule: FeeSchedule,
    private readonly startMs: number,
    private readonly endMs: number,
  ) {}

  /**
   * The next monthly fee due by an instant and not charged yet: call until it returns
   * undefined, charging `schedule.monthly` at each instant returned.
   * @param nowMs - the instant (a run's end charges every month of its window)
   * @returns when that month started, or undefined when none is due
   */
  nextMonthDue(nowMs: number): number | undefined {
    if (this.schedule.monthly === undefined || this.months >= monthsStarted(this.startMs, this.endMs, nowMs)) return undefined;
    return this.startMs + this.months++ * FEE_MONTH_MS;
  }

  /**
   * The fees on one amount a provider billed through the gateway; with a credit purchase fee,
   * the bill and its fees are paid from the balance, topping it up as needed.
   * @param billedUsd - what the provider billed, USD (> 0)
   * @param tokens - the tokens it billed ({@link billedTokens})
   * @param generations - the provider calls it pays for (1 for an attempt; 0 for an amount
   *   whose calls are not known one by one, which then pays no per-generation fee)
   * @returns the fees (the same object each call: read it before the next)
   */
  bill(billedUsd: number, tokens: number, generations: 0 | 1): Readonly<BillFees> {
    const c = chargeFees(this.schedule, billedUsd, tokens, this.out);
    if (generations === 0) c.perGeneration = 0;
    const rule = this.schedule.creditPurchase;
    if (rule === undefined) {
      c.creditPurchase = 0;
      return c;
    }
    const spent = spendCredits(rule, this.balanceUsd, billedUsd + c.markup + c.perGeneration + c.perMillionTokens);
    this.balanceUsd = spent.balanceUsd;
    c.creditPurchase = spent.feeUsd;
    return c;
  }
}

/** One fee on a quoted request, itemised. */
export interface FeeLine {
  readonly kind: FeeKind;
  /** The arithmetic, e.g. `5% of $0.04`. */
  readonly label: string;
  readonly usd: number;
}

/**
 * The fees a gateway adds to one request's price, itemised (for `imgsim quote` and `imgsim
 * explain`): the fees on the billed amount, and the credit purchase fee spread over what credits
 * pay (its fee per dollar topped up). The monthly fee is per month, not per request: see
 * {@link monthlyNote}.
 * @param fees - the gateway's fees
 * @param priceUsd - the provider's price for the request, USD
 * @param tokens - the tokens it bills ({@link billedTokens})
 * @returns the lines, only fees that apply (none when the gateway charges none per request)
 */
export function requestFeeLines(fees: FeeSchedule, priceUsd: number, tokens: number): FeeLine[] {
  const c = chargeFees(fees, priceUsd, tokens, { markup: 0, perGeneration: 0, perMillionTokens: 0 });
  const lines: FeeLine[] = [];
  if (fees.markup !== undefined) lines.push({ kind: 'markup', label: `${num(fees.markup * 100)}% of $${num(priceUsd)}`, usd: c.markup });
  if (fees.perGeneration !== undefined) lines.push({ kind: 'perGeneration', label: `$${num(fees.perGeneration)} per generation`, usd: c.perGeneration });
  if (fees.perMillionTokens !== undefined) {
    lines.push({ kind: 'perMillionTokens', label: `${num(tokens)} tokens × $${num(fees.perMillionTokens)} / 1M`, usd: c.perMillionTokens });
  }
  const rule = fees.creditPurchase;
  if (rule !== undefined) {
    const paid = priceUsd + c.markup + c.perGeneration + c.perMillionTokens;
    const rate = topUpFee(rule) / rule.topUp;
    lines.push({ kind: 'creditPurchase', label: `$${num(topUpFee(rule))} per $${num(rule.topUp)} top-up (${num(rate * 100)}%) of $${num(paid)} paid from credits`, usd: paid * rate });
  }
  return lines;
}

/**
 * The monthly fee as a note (it is not per request).
 * @param fees - the gateway's fees
 * @returns e.g. `monthly platform fee $49 per started 30-day month`, or undefined without one
 */
export function monthlyNote(fees: FeeSchedule): string | undefined {
  return fees.monthly === undefined ? undefined : `monthly platform fee $${num(fees.monthly)} per started 30-day month (not per request)`;
}
