/**
 * A live pass's cost and counts from serve's ledger and journal (`imgsim live`): after a pass,
 * what the server billed beyond what the answers said is booked, and through a gateway what the
 * gateway really did is read from the ledger and the journal (gateway-accounting.ts).
 */
import type { RunCollector } from '../metrics/collector.js';
import { accountGateway, kindOfLedgerOutcome } from './gateway-accounting.js';
import type { JournalEntry, LedgerSnapshot, LiveOutcome } from './ledger.js';

/** Ledger and header costs are floats summed in different orders: below this they agree. */
const COST_EPSILON_USD = 1e-9;

/** What the bookings need of a pass. */
export interface PassBooks {
  readonly collector: RunCollector;
  /** Provider id → index. */
  readonly providerIndex: ReadonlyMap<string, number>;
  /** The strategy's report name (for warnings). */
  readonly strategyName: string;
  /** Simulated now, epoch ms, when the pass ended. */
  readonly nowMs: number;
  /** Books a cost: the collector, the budget and its alerts. */
  charge(provider: number, project: string, costUsd: number, wasted: boolean, atMs: number): void;
}

/** The part of serve's ledger {@link reconcile} reads. */
export interface LedgerCosts {
  readonly providers: Readonly<Record<string, { readonly costUsd: number; readonly costByProject?: Readonly<Record<string, number>> }>>;
}

/**
 * Through a gateway: books what the gateway really did. Per provider, attempts and outcomes
 * are the ledger's (exact); retries, failovers and recoveries come from the journal, whose
 * entries carry the attempts' tags (see gateway-accounting.ts).
 * @param books - the pass
 * @param ledger - the ledger after the pass
 * @param journal - the journal after the pass, oldest first
 * @param onWarning - told when the journal cannot account for every provider request
 */
export function bookGateway(books: PassBooks, ledger: LedgerSnapshot, journal: readonly JournalEntry[], onWarning?: (message: string) => void): void {
  const collector = books.collector;
  let total = 0;
  for (const [id, entry] of Object.entries(ledger.providers)) {
    const p = books.providerIndex.get(id);
    if (p === undefined) continue;
    for (const [outcome, n] of Object.entries(entry.outcomes) as [LiveOutcome, number][]) {
      const kind = kindOfLedgerOutcome(outcome);
      for (let i = 0; i < n; i++) collector.attempt(p, kind);
      total += n;
    }
  }
  const account = accountGateway(journal);
  // The journal holds the harness's own re-sends too: its counts replace the harness's.
  collector.attempts = total;
  collector.retries = account.retries;
  collector.failovers = account.failovers;
  collector.recovered = account.recovered;
  if (account.untagged > 0) onWarning?.(`${books.strategyName}: ${account.untagged} of serve's journal entries carry no imgsim tag in \`user\` (another client, or a gateway that drops the field): their retries and failovers are not counted`);
  if (account.attempts + account.untagged < total) {
    onWarning?.(`${books.strategyName}: serve's journal holds ${account.attempts + account.untagged} of the ${total} provider requests of the pass: retries and failovers are counted over those only (start serve with a larger journal)`);
  }
}

/**
 * Makes the pass's cost equal the server's ledger: what the ledger billed a provider beyond
 * the answers' `x-imgsim-cost-usd` (work the client never heard back about) is added as
 * wasted; with a gateway target, all of the ledger's cost is booked this way, per project.
 * @param books - the pass
 * @param ledger - the ledger after the pass
 * @param fromLedgerOnly - a gateway target: the answers' costs were not booked
 * @param onWarning - told when the answers claimed more than the ledger billed
 */
export function reconcile(books: PassBooks, ledger: LedgerCosts, fromLedgerOnly: boolean, onWarning?: (message: string) => void): void {
  const atMs = books.nowMs;
  const report = books.collector.toReport(books.strategyName, 1);
  for (const [id, entry] of Object.entries(ledger.providers)) {
    const p = books.providerIndex.get(id);
    if (p === undefined) continue;
    if (fromLedgerOnly) {
      const byProject = Object.entries(entry.costByProject ?? {});
      let booked = 0;
      for (const [project, usd] of byProject) {
        books.charge(p, project, usd, false, atMs);
        booked += usd;
      }
      if (entry.costUsd - booked > COST_EPSILON_USD) books.charge(p, '', entry.costUsd - booked, false, atMs);
      continue;
    }
    const answered = report.cost.byProvider[id] ?? 0;
    const extra = entry.costUsd - answered;
    if (extra > COST_EPSILON_USD) books.charge(p, '', extra, true, atMs);
    else if (extra < -COST_EPSILON_USD) onWarning?.(`${id}: answers reported $${answered} but the ledger billed $${entry.costUsd}`);
  }
}
