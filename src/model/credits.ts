/**
 * The credits ledger of one account (docs/contract.md §2.1, `credits` pricing): bundles bought up front or
 * on demand, each a lot with a price per credit and an expiry; credits spent oldest-first
 * (earliest expiry first); unused credits wasted at expiry. Pure: time is an argument.
 */
import type { CreditsPricing } from '../scenario/resolve.js';
import { ImgsimError } from '../scenario/errors.js';

/**
 * Amounts below this many credits are float dust, not credits: a lot left with less is spent
 * whole, so used + expired + balance = bought holds to rounding.
 */
const DUST_CREDITS = 1e-9;

/** Lots consumed before the head are dropped once they are this many and half the arrays. */
const COMPACT_AFTER_LOTS = 64;

/** What an account's credits came to over a run; credit amounts in credits, money in USD. */
export interface CreditsSummary {
  /** Credits bought (bundles and single credits). */
  readonly bought: number;
  /** Credits spent on attempts. */
  readonly used: number;
  /** Credits that expired unused (waste). */
  readonly expired: number;
  /** USD paid for bundles and single credits. */
  readonly cash: number;
  /** USD value of the expired credits, at what each lot cost per credit. */
  readonly expiredUsd: number;
  /** Bundles bought, up front and on demand. */
  readonly bundlesBought: number;
  /** Purchases made because the balance ran short (each bundle counts one; a batch of single credits counts one). */
  readonly topUps: number;
}

/** A bundle as the ledger buys it. */
interface Bundle {
  readonly credits: number;
  readonly priceUsd: number;
  readonly expiresAfterMs: number;
}

/**
 * The credits of one account. Spend with {@link CreditsLedger.spend}; call
 * {@link CreditsLedger.expireUntil} at the end of a run so credits expiring inside it count
 * as waste.
 */
export class CreditsLedger {
  // Lots as parallel arrays sorted by expiry (ties in purchase order); [head, length) are live.
  private readonly lotCredits: number[] = [];
  private readonly lotExpiresAtMs: number[] = [];
  private readonly lotUsdPerCredit: number[] = [];
  private head = 0;

  private readonly topUpBundle: Bundle | undefined;
  private readonly singleCreditUsd: number;

  private liveCredits = 0;
  private boughtCredits = 0;
  private usedCredits = 0;
  private expiredCredits = 0;
  private cashUsd = 0;
  private expiredValueUsd = 0;
  private bundleCount = 0;
  private topUpCount = 0;

  /**
   * @param pricing - the account's `credits` pricing
   * @param startMs - start of the run, epoch ms; `upfront` bundles are bought then
   */
  constructor(pricing: CreditsPricing, startMs: number) {
    const bundles = pricing.bundles.map(
      (b): Bundle => ({ credits: b.credits, priceUsd: b.price, expiresAfterMs: b.expiresAfter ?? Number.POSITIVE_INFINITY }),
    );
    this.topUpBundle = bundles[0];
    // Without bundles or a creditPrice the scenario gives credits away; the checker should flag it.
    this.singleCreditUsd = pricing.creditPrice ?? 0;
    if (pricing.purchase === 'upfront') {
      for (const item of pricing.upfront) {
        const index = typeof item.bundle === 'number' ? item.bundle : pricing.bundles.findIndex((b) => b.name === item.bundle);
        const bundle = bundles[index];
        if (bundle === undefined) {
          const names = pricing.bundles.map((b, i) => (b.name === undefined ? String(i) : `${b.name} (${i})`)).join(', ');
          throw new ImgsimError(
            'invalid-scenario',
            `upfront bundle ${JSON.stringify(item.bundle)} is not one of the bundles (${names === '' ? 'none listed' : names}); name a bundle or give its 0-based index`,
          );
        }
        this.buyBundles(bundle, item.count, startMs);
      }
    }
  }

  /**
   * Spends credits at an instant: expires what is due, tops up when the balance is short
   * (first bundle, or single credits at `creditPrice`), then takes credits oldest-first.
   * @param credits - credits to spend (fractional allowed; 0 or less spends nothing)
   * @param atMs - the instant, epoch ms
   * @returns the USD value of the credits consumed (credits × lot price / lot credits)
   */
  spend(credits: number, atMs: number): number {
    if (!(credits > 0)) return 0;
    this.expireUntil(atMs);
    const shortCredits = credits - this.liveCredits;
    if (shortCredits > DUST_CREDITS) this.topUp(shortCredits, atMs);

    let needCredits = credits;
    let usd = 0;
    const lots = this.lotCredits;
    while (needCredits > DUST_CREDITS && this.head < lots.length) {
      const i = this.head;
      const have = lots[i]!;
      // Take the whole lot when what would be left is dust, so no dust lingers in the lots.
      const take = have - needCredits <= DUST_CREDITS ? have : needCredits;
      lots[i] = have - take;
      usd += take * this.lotUsdPerCredit[i]!;
      needCredits -= take;
      this.usedCredits += take;
      this.liveCredits -= take;
      if (lots[i] === 0) this.head++;
    }
    this.compact();
    return usd;
  }

  /**
   * Moves credits whose lots expired at or before an instant to waste.
   * @param atMs - the instant, epoch ms
   * @returns credits expired by this call
   */
  expireUntil(atMs: number): number {
    let expired = 0;
    const lots = this.lotCredits;
    while (this.head < lots.length && this.lotExpiresAtMs[this.head]! <= atMs) {
      const i = this.head;
      const left = lots[i]!;
      expired += left;
      this.expiredValueUsd += left * this.lotUsdPerCredit[i]!;
      lots[i] = 0;
      this.head++;
    }
    this.expiredCredits += expired;
    this.liveCredits -= expired;
    this.compact();
    return expired;
  }

  /**
   * Credits available at an instant (lots not yet expired then). Does not expire anything.
   * @param atMs - the instant, epoch ms
   * @returns credits
   */
  balance(atMs: number): number {
    let credits = 0;
    for (let i = this.head; i < this.lotCredits.length; i++) {
      if (this.lotExpiresAtMs[i]! > atMs) credits += this.lotCredits[i]!;
    }
    return credits;
  }

  /**
   * USD per credit of the next credit a spend at this instant would consume: the oldest live
   * lot's, or what a top-up would pay.
   * @param atMs - the instant, epoch ms
   * @returns USD per credit
   */
  nextCreditUsd(atMs: number): number {
    for (let i = this.head; i < this.lotCredits.length; i++) {
      if (this.lotExpiresAtMs[i]! > atMs && this.lotCredits[i]! > 0) return this.lotUsdPerCredit[i]!;
    }
    const bundle = this.topUpBundle;
    return bundle === undefined ? this.singleCreditUsd : bundle.priceUsd / bundle.credits;
  }

  /**
   * Totals so far. Call {@link CreditsLedger.expireUntil} with the end of the run first.
   * @returns the summary
   */
  summary(): CreditsSummary {
    return {
      bought: this.boughtCredits,
      used: this.usedCredits,
      expired: this.expiredCredits,
      cash: this.cashUsd,
      expiredUsd: this.expiredValueUsd,
      bundlesBought: this.bundleCount,
      topUps: this.topUpCount,
    };
  }

  private topUp(shortCredits: number, atMs: number): void {
    const bundle = this.topUpBundle;
    if (bundle === undefined) {
      // Credits bought one by one: whole credits, enough to cover the shortfall.
      const count = Math.max(1, Math.ceil(shortCredits - DUST_CREDITS));
      this.addLot(count, Number.POSITIVE_INFINITY, this.singleCreditUsd);
      this.cashUsd += count * this.singleCreditUsd;
      this.topUpCount++;
      return;
    }
    const count = Math.max(1, Math.ceil((shortCredits - DUST_CREDITS) / bundle.credits));
    this.buyBundles(bundle, count, atMs);
    this.topUpCount += count;
  }

  private buyBundles(bundle: Bundle, count: number, atMs: number): void {
    // Bundles bought together share price and expiry, so they form one lot.
    this.addLot(count * bundle.credits, atMs + bundle.expiresAfterMs, bundle.priceUsd / bundle.credits);
    this.cashUsd += count * bundle.priceUsd;
    this.bundleCount += count;
  }

  private addLot(credits: number, expiresAtMs: number, usdPerCredit: number): void {
    let at = this.lotExpiresAtMs.length;
    while (at > this.head && this.lotExpiresAtMs[at - 1]! > expiresAtMs) at--;
    this.lotCredits.splice(at, 0, credits);
    this.lotExpiresAtMs.splice(at, 0, expiresAtMs);
    this.lotUsdPerCredit.splice(at, 0, usdPerCredit);
    this.boughtCredits += credits;
    this.liveCredits += credits;
  }

  private compact(): void {
    if (this.head < COMPACT_AFTER_LOTS || this.head * 2 < this.lotCredits.length) return;
    this.lotCredits.splice(0, this.head);
    this.lotExpiresAtMs.splice(0, this.head);
    this.lotUsdPerCredit.splice(0, this.head);
    this.head = 0;
  }
}

/**
 * The lowest USD per credit any credit of an account can have cost: the top-up rate (the first
 * bundle's price ÷ credits, else `creditPrice`) and, with `purchase: upfront`, the rate of each
 * bundle bought up front. Every credit the ledger spends is worth at least this, so a price
 * valued at it is a lower bound of what the ledger charges.
 * @param pricing - the account's `credits` pricing
 * @returns USD per credit
 */
export function cheapestCreditUsd(pricing: CreditsPricing): number {
  const first = pricing.bundles[0];
  let usd = first === undefined ? (pricing.creditPrice ?? 0) : first.price / first.credits;
  if (pricing.purchase === 'upfront') {
    for (const item of pricing.upfront) {
      const bundle = typeof item.bundle === 'number' ? pricing.bundles[item.bundle] : pricing.bundles.find((b) => b.name === item.bundle);
      if (bundle !== undefined && item.count > 0) usd = Math.min(usd, bundle.price / bundle.credits);
    }
  }
  return usd;
}
