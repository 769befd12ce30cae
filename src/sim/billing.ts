/**
 * Billing in simulated time: an attempt's price fixed when it is sent, the charge when the
 * client gets its answer (or when work it left ends), credits spent and expired, budget alerts.
 * Which answers are charged is the model's rule (src/model/rules/billing.ts); this file only
 * applies it to the {@link SimState}.
 */
import { billable, billableAbandoned, type AbandonedBy } from '../model/rules/billing.js';
import type { OutcomeKind } from '../scenario/schema.js';
import { billFees, billMonthlyFees } from './fees.js';
import { priceReserved } from './reserved.js';
import { attemptRequest, type SimState } from './state.js';

/**
 * Fixes the attempt's price when it is sent (off-peak and dynamic factors at send time;
 * compute-time reads the drawn service time, 0 for a fast failure).
 * @param s - the state
 * @param a - the attempt
 * @param availability - a(t) now
 */
export function fixPrice(s: SimState, a: number, availability: number): void {
  const at = s.attempts[a]!;
  const rt = s.runtimes[at.provider]!;
  if (rt.reserved !== undefined && priceReserved(s, at, rt.reserved)) return;
  // The provider's view priced this request's shape when routing: the same memo serves here.
  const handle = s.handles[at.provider]!;
  const req = attemptRequest(s, at);
  if (rt.account.ledger) at.credits = handle.fixedAmount(req, at.tierName, availability, at.serviceMs, true);
  else at.priceUsd = handle.fixedAmount(req, at.tierName, availability, at.serviceMs, false);
}

/**
 * Fixes the price of an answer that needs no slot, when it is billed at all (server errors and
 * filtered prompts may be).
 * @param s - the state
 * @param a - the attempt
 * @param kind - its answer
 */
export function priceIfBillable(s: SimState, a: number, kind: OutcomeKind): void {
  const rt = s.runtimes[s.attempts[a]!.provider]!;
  if (billable(kind, rt.spec.pricing.billing)) fixPrice(s, a, rt.curve.at(s.clock.now));
}

/**
 * Bills the answer the client got, when its kind is charged.
 * @param s - the state
 * @param a - the attempt
 * @param kind - the answer
 * @param project - the request's project
 * @returns the cost, USD (0 when not billed)
 */
export function bill(s: SimState, a: number, kind: OutcomeKind, project: string): number {
  const billing = s.runtimes[s.attempts[a]!.provider]!.spec.pricing.billing;
  return billable(kind, billing) ? charge(s, a, kind !== 'success', project) : 0;
}

/**
 * Bills work the provider finished after the client left: a hedge loser that ran as the
 * provider saw it (its drawn outcome), a client timeout per billing.timeout.
 * @param s - the state
 * @param a - the attempt
 * @param by - why the client left
 */
export function billAbandoned(s: SimState, a: number, by: AbandonedBy): void {
  const at = s.attempts[a]!;
  const billing = s.runtimes[at.provider]!.spec.pricing.billing;
  if (billableAbandoned(by, at.kind, billing)) charge(s, a, true, at.project);
}

/** Charges the attempt's fixed price (or spends its credits): collector, account, budget. */
function charge(s: SimState, a: number, wasted: boolean, project: string): number {
  const at = s.attempts[a]!;
  const rt = s.runtimes[at.provider]!;
  const now = s.clock.now;
  let costUsd = at.priceUsd;
  if (rt.account.ledger) {
    costUsd = rt.account.ledger.spend(at.credits, now);
    if (at.credits > 0) s.collector.usage.creditsUsed(rt.account.provider.index, at.credits, now);
  }
  if (!(costUsd > 0)) return 0;
  if (rt.reserved !== undefined) s.collector.reserved!.billed(at.provider, at.lane === 'reserved', costUsd);
  at.costUsd += costUsd;
  // The request's groups, kept since its arrival (a plan step's own request is looked up).
  s.collector.charge(at.provider, at.request === undefined ? s.requests[at.req]!.groups : s.collector.groupsOf(at.request), costUsd, wasted, now);
  rt.account.addSpend(costUsd, now);
  s.budget.spend(costUsd, project, now, s.fired);
  if (s.fees !== undefined) billFees(s, a, costUsd, wasted, project, now);
  if (s.fired.length > 0) recordAlerts(s);
  return costUsd;
}

/**
 * Moves the budget alerts the last spend fired into the collector.
 * @param s - the state (its `fired` list is emptied)
 */
export function recordAlerts(s: SimState): void {
  for (const f of s.fired) {
    s.collector.alerts.push({
      threshold: f.threshold,
      at: new Date(f.atMs).toISOString(),
      ...(f.project === undefined ? {} : { project: f.project }),
      period: f.period,
    });
  }
  s.fired.length = 0;
}

/**
 * Whether the provider keeps its account's credits ledger (the first provider of the account).
 * @param s - the state
 * @param p - the provider's index
 * @returns true for the ledger's keeper
 */
export function ownsLedger(s: SimState, p: number): boolean {
  const rt = s.runtimes[p]!;
  return rt.account.ledger !== undefined && rt.account.provider === rt.spec;
}

/**
 * Whether credits expired (by a spend) since the last tick recorded expiry: the next tick records it.
 * @param s - the state
 * @param p - a provider that owns its ledger
 * @returns true when unrecorded expiry is waiting
 */
export function expiryUnrecorded(s: SimState, p: number): boolean {
  return s.runtimes[p]!.account.ledger!.summary().expiredUsd > (s.expiredSeenUsd.get(p) ?? 0);
}

/**
 * Expires credits up to an instant (at most the window's end) and records what expired as waste.
 * @param s - the state
 * @param p - a provider that owns its ledger
 * @param untilMs - now
 */
export function expireCredits(s: SimState, p: number, untilMs: number): void {
  const ledger = s.runtimes[p]!.account.ledger!;
  const atMs = Math.min(untilMs, s.scenario.endMs);
  ledger.expireUntil(atMs);
  const expiredUsd = ledger.summary().expiredUsd;
  const before = s.expiredSeenUsd.get(p) ?? 0;
  if (expiredUsd > before) {
    s.expiredSeenUsd.set(p, expiredUsd);
    s.collector.cost(p, undefined, expiredUsd - before, true, atMs);
  }
}

/**
 * Closes the accounts at the end of a run: last expiry, each ledger's summary, a gateway's
 * monthly fees not charged yet, the budget's total.
 * @param s - the state
 * @param untilMs - the run's end
 */
export function finishAccounts(s: SimState, untilMs: number): void {
  for (let p = 0; p < s.runtimes.length; p++) {
    const rt = s.runtimes[p]!;
    const ledger = rt.account.ledger;
    if (!ledger || rt.account.provider !== rt.spec) continue;
    expireCredits(s, p, untilMs);
    const sum = ledger.summary();
    s.collector.credits[rt.spec.account] = {
      bought: sum.bought,
      used: sum.used,
      expired: sum.expired,
      cash: sum.cash,
      expiredUsd: sum.expiredUsd,
      bundles: sum.bundlesBought,
    };
  }
  if (s.fees !== undefined) {
    billMonthlyFees(s, untilMs);
    if (s.fired.length > 0) recordAlerts(s);
  }
  s.collector.budgetSpentUsd = s.budget.totalUsd;
}
