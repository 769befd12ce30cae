/**
 * Credits planning: how many bundles of a credits account to buy up front so that the expected
 * cost over the horizon is lowest.
 *
 * Each run recorded the credits the account consumed hour by hour. For a plan "k bundles of
 * bundle b at the start", every run's consumption is replayed through the real credits ledger
 * (`model/credits.ts`): the k bundles are bought at the start, the auto top-up buys the first
 * listed bundle (or single credits at `creditPrice`) whenever the balance runs short, credits are
 * spent earliest expiry first, and lots expire. An hour's credits are spent at the middle of the
 * hour, so a top-up or an expiry can be off by up to half an hour.
 *
 * The cost of a plan in one run is the report's cost of credits: the value of the credits
 * consumed (what each credit cost in its lot) plus the value of the credits that expired inside
 * the horizon. Credits still valid at the end are carried over, not counted. The expected cost
 * is the mean over the runs.
 *
 * Assumption: the up-front purchase does not change routing, so every plan sees the same
 * consumption. It holds for the built-in strategies, which price credits at the first bundle's
 * price per credit whatever the balance; a custom strategy that reads `creditsLeft` may route
 * differently, and a budget (which counts what each credit cost) may be reached at another time.
 */
import { CreditsLedger } from '../model/credits.js';
import type { CreditsPricing } from '../scenario/resolve.js';

const HOUR_MS = 3_600_000;
/** Plans evaluated per bundle before the search switches to a coarse grid and a refinement. */
const MAX_EXHAUSTIVE_COUNTS = 256;
/** Points of the coarse grid. */
const COARSE_POINTS = 128;

/** Bundles bought up front. */
export interface UpfrontPurchase {
  /** The bundle's name, or its 0-based index when it has none. */
  readonly bundle: string | number;
  readonly count: number;
}

/** What a purchase plan costs, in expectation over the runs. */
export interface CreditsPlanOutcome {
  readonly upfront: readonly UpfrontPurchase[];
  /** Mean cost: credits consumed plus credits expired, USD. */
  readonly expectedCostUsd: number;
  /** Mean cash paid for bundles and single credits, USD. */
  readonly expectedCashUsd: number;
  /** Mean credits that expire unused inside the horizon. */
  readonly expectedExpiredCredits: number;
  readonly expectedExpiredUsd: number;
  /** Mean number of bundles bought on demand (top-ups). */
  readonly expectedTopUps: number;
}

/** The plan for one credits account. */
export interface CreditsPlan {
  /** The scenario's own purchases, replayed on the same consumption. */
  readonly current: CreditsPlanOutcome;
  /** The up-front purchase with the lowest expected cost. */
  readonly best: CreditsPlanOutcome;
  /** current − best expected cost, USD (≥ 0 up to the search grid). */
  readonly savingUsd: number;
  /**
   * Expected cost for each count of the best plan's bundle that was evaluated (of the first
   * bundle when buying nothing up front is best): a cost curve.
   */
  readonly curve: readonly { readonly count: number; readonly expectedCostUsd: number }[];
}

interface Totals {
  cost: number;
  cash: number;
  expired: number;
  expiredUsd: number;
  topUps: number;
}

/**
 * Replays consumption through a ledger that buys `upfront` at the start.
 * @param pricing - the account's credits pricing
 * @param upfront - bundles (by index) bought at the start
 * @param usedByHour - credits consumed per hour from the start
 * @param startMs - horizon start
 * @param endMs - horizon end (credits expiring up to here are waste)
 * @param into - totals to add to
 */
function replay(
  pricing: CreditsPricing,
  upfront: readonly { bundle: number; count: number }[],
  usedByHour: readonly number[],
  startMs: number,
  endMs: number,
  into: Totals,
): void {
  const ledger = new CreditsLedger({ ...pricing, purchase: 'upfront', upfront: [...upfront] }, startMs);
  let usd = 0;
  for (let h = 0; h < usedByHour.length; h++) {
    const credits = usedByHour[h]!;
    if (credits > 0) usd += ledger.spend(credits, startMs + (h + 0.5) * HOUR_MS);
  }
  ledger.expireUntil(endMs);
  const s = ledger.summary();
  into.cost += usd + s.expiredUsd;
  into.cash += s.cash;
  into.expired += s.expired;
  into.expiredUsd += s.expiredUsd;
  into.topUps += s.topUps;
}

function evaluate(
  pricing: CreditsPricing,
  upfront: readonly { bundle: number; count: number }[],
  runs: readonly (readonly number[])[],
  startMs: number,
  endMs: number,
): CreditsPlanOutcome {
  const t: Totals = { cost: 0, cash: 0, expired: 0, expiredUsd: 0, topUps: 0 };
  for (const usedByHour of runs) replay(pricing, upfront, usedByHour, startMs, endMs, t);
  const n = Math.max(1, runs.length);
  return {
    upfront: upfront.filter((u) => u.count > 0).map((u) => ({ bundle: pricing.bundles[u.bundle]?.name ?? u.bundle, count: u.count })),
    expectedCostUsd: t.cost / n,
    expectedCashUsd: t.cash / n,
    expectedExpiredCredits: t.expired / n,
    expectedExpiredUsd: t.expiredUsd / n,
    expectedTopUps: t.topUps / n,
  };
}

/**
 * The counts to try for one bundle: all of 0..max when few, else a coarse grid (the caller refines).
 * @param max - the largest count worth trying
 * @returns counts in ascending order
 */
function candidateCounts(max: number): number[] {
  if (max + 1 <= MAX_EXHAUSTIVE_COUNTS) return Array.from({ length: max + 1 }, (_, k) => k);
  const step = Math.ceil(max / COARSE_POINTS);
  const out: number[] = [];
  for (let k = 0; k <= max; k += step) out.push(k);
  if (out[out.length - 1] !== max) out.push(max);
  return out;
}

/**
 * Finds the up-front purchase with the lowest expected cost. For each listed bundle, counts from
 * 0 to one more than the largest consumption of any run needs are tried (on a coarse grid
 * refined around its best point when that is more than 256 counts); the lowest expected cost
 * wins, ties going to fewer bundles and then to the bundle listed first.
 * @param pricing - the account's credits pricing
 * @param runs - per run, credits consumed per hour from the start
 * @param startMs - horizon start
 * @param endMs - horizon end
 * @returns the scenario's own plan, the best one and the best bundle's cost curve
 */
export function planCredits(pricing: CreditsPricing, runs: readonly (readonly number[])[], startMs: number, endMs: number): CreditsPlan {
  const ownUpfront =
    pricing.purchase === 'upfront'
      ? pricing.upfront.map((u) => ({
          bundle: typeof u.bundle === 'number' ? u.bundle : pricing.bundles.findIndex((b) => b.name === u.bundle),
          count: u.count,
        }))
      : [];
  const current = evaluate(pricing, ownUpfront, runs, startMs, endMs);
  let maxDemand = 0;
  for (const hours of runs) {
    let sum = 0;
    for (const c of hours) sum += c;
    if (sum > maxDemand) maxDemand = sum;
  }
  const none = evaluate(pricing, [], runs, startMs, endMs);
  let best = none;
  let bestBundle = 0;
  const curves: { count: number; expectedCostUsd: number }[][] = [];
  for (let b = 0; b < pricing.bundles.length && maxDemand > 0; b++) {
    const max = Math.ceil(maxDemand / pricing.bundles[b]!.credits) + 1;
    const tried = new Map<number, CreditsPlanOutcome>([[0, none]]);
    const at = (k: number): CreditsPlanOutcome => {
      let o = tried.get(k);
      if (o === undefined) {
        o = evaluate(pricing, [{ bundle: b, count: k }], runs, startMs, endMs);
        tried.set(k, o);
      }
      return o;
    };
    const coarse = candidateCounts(max);
    let bestK = 0;
    for (const k of coarse) if (at(k).expectedCostUsd < at(bestK).expectedCostUsd) bestK = k;
    if (coarse.length < max + 1) {
      // Refine between the grid neighbours of the coarse optimum.
      const step = coarse[1]! - coarse[0]!;
      for (let k = Math.max(0, bestK - step + 1); k <= Math.min(max, bestK + step - 1); k++) {
        if (at(k).expectedCostUsd < at(bestK).expectedCostUsd || (at(k).expectedCostUsd === at(bestK).expectedCostUsd && k < bestK)) bestK = k;
      }
    }
    curves.push([...tried].sort(([x], [y]) => x - y).map(([count, o]) => ({ count, expectedCostUsd: o.expectedCostUsd })));
    if (at(bestK).expectedCostUsd < best.expectedCostUsd) {
      best = at(bestK);
      bestBundle = b;
    }
  }
  // The curve of the winning bundle (of the top-up bundle when buying nothing up front wins).
  const curve = curves[bestBundle] ?? [{ count: 0, expectedCostUsd: none.expectedCostUsd }];
  return { current, best, savingUsd: current.expectedCostUsd - best.expectedCostUsd, curve };
}
