/**
 * What live mode remembers about the requests it answered: billed cost, requests and outcomes
 * per provider (the ledger), the last N requests (the journal), and both as Prometheus text.
 */
import { round10 } from '../model/round.js';
import type { CreditsSummary } from '../model/credits.js';
import type { OutcomeKind } from '../scenario/schema.js';
import type { BudgetSnapshot } from './budget-alerts.js';
import { assertFiniteAmount } from '../scenario/limits.js';
import { journalBody, JOURNAL_BODY_LIMITS, type JournalBody } from './journal-body.js';

/**
 * Projects the ledger names per provider (`costByProject`, and the `project` label of
 * `imgsim_cost_usd_total`): when a new one comes and the table is full, whichever of it and the
 * cheapest project already there cost less is folded into {@link OTHER_PROJECTS}. Provider totals
 * stay exact; a client that invents a project name per request cannot grow the ledger.
 */
export const MAX_LEDGER_PROJECTS = 100;

/** The `costByProject` bucket of the projects beyond {@link MAX_LEDGER_PROJECTS}. */
export const OTHER_PROJECTS = '(other)';

/**
 * How a live request ended: the simulator's outcome kinds, plus `malformed` (a 200 with a
 * broken body), `invalid-request` (400/401/413 before the provider model ran), `rejected` (the
 * budget refused it, `onExhausted: reject`), `aborted` (the client went away first) and
 * `shutdown` (the server closed while it waited).
 */
export type LiveOutcome = OutcomeKind | 'malformed' | 'invalid-request' | 'rejected' | 'aborted' | 'shutdown';

/** One request in the journal. */
export interface JournalEntry {
  /** The `x-request-id` it was answered with (the prediction id in the async dialect). */
  readonly id: string;
  /** When it arrived, ISO 8601 wall time. */
  readonly time: string;
  /** When it arrived on the simulated clock, ISO 8601. */
  readonly simTime: string;
  readonly provider: string;
  /** The project, cut like a journal string (at most 1,000 characters and a marker). */
  readonly project: string;
  /**
   * The request body as received when it is small, else a bounded summary of it
   * (journal-body.ts: strings cut at 1,000 characters, 32 keys or items per level, 4 levels,
   * 256 values, 4,000 characters); uploads are `{ file, name, type, size }`.
   */
  readonly body: JournalBody;
  /** The latency tier it ran on, when it got that far. */
  readonly tier: string | undefined;
  readonly outcome: LiveOutcome;
  /** The error code sent, when one was. */
  readonly code: string | undefined;
  readonly costUsd: number;
  /** HTTP status sent; null when none was (connection reset, hang, aborted). */
  readonly status: number | null;
  /** Wall time from arrival to answer, ms. */
  readonly latencyMs: number;
  /** The same on the simulated clock (wall / time scale), ms. */
  readonly simLatencyMs: number;
}

/**
 * A finished request as {@link LiveLedger.record} takes it: a journal entry's fields, with the
 * times as epoch ms (formatted only when the journal is read) and the body as received.
 */
export interface LedgerRecord extends Omit<JournalEntry, 'time' | 'simTime' | 'body'> {
  /** Arrival, wall epoch ms. */
  readonly wallEpochMs: number;
  /** Arrival, simulated epoch ms. */
  readonly simEpochMs: number;
  /** The request body as received. */
  readonly body: unknown;
}

/** One provider's totals. */
export interface ProviderLedger {
  readonly costUsd: number;
  readonly requests: number;
  readonly outcomes: Readonly<Partial<Record<LiveOutcome, number>>>;
  /**
   * Billed USD per project: at most {@link MAX_LEDGER_PROJECTS} projects, plus
   * {@link OTHER_PROJECTS} for the rest.
   */
  readonly costByProject: Readonly<Record<string, number>>;
  /** The credits of the provider's account, for `credits` pricing. */
  readonly credits?: CreditsSummary;
}

/** The ledger as `GET /_imgsim/ledger` returns it. */
export interface LedgerSnapshot {
  readonly providers: Readonly<Record<string, ProviderLedger>>;
  readonly totals: {
    readonly costUsd: number;
    readonly requests: number;
    readonly outcomes: Readonly<Partial<Record<LiveOutcome, number>>>;
  };
  /** Spend against the scenario's budget and the alerts fired (present when it has a budget). */
  readonly budget?: BudgetSnapshot;
}

/** Gauges read at scrape time. */
export interface ProviderGauges {
  readonly provider: string;
  readonly inFlight: number;
  readonly queued: number;
}

/**
 * Upper bounds of the latency histogram, simulated seconds (emulated latency does not change
 * with `--time-scale`, so the buckets mean the same at any scale).
 */
export const LATENCY_BUCKETS_S = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300] as const;

/**
 * Upper bounds of the emulation-lag histogram, wall seconds: how late an answer was decided
 * after its emulated latency was over (timer lateness and event-loop delay).
 */
export const EMULATION_LAG_BUCKETS_S = [0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

class ProviderTotals {
  costUsd = 0;
  requests = 0;
  readonly outcomes = new Map<LiveOutcome, number>();
  readonly costByProject = new Map<string, number>();
  readonly bucketCounts = new Float64Array(LATENCY_BUCKETS_S.length);
  latencySumS = 0;
  latencyCount = 0;
  /** Per bucket (not cumulative); the last slot is above the largest bound. */
  readonly lagCounts = new Float64Array(EMULATION_LAG_BUCKETS_S.length + 1);
  lagSumS = 0;
  lagCount = 0;
}

/** A journal slot, reused as the ring turns; times are kept as numbers and formatted when read. */
class JournalSlot {
  id = '';
  wallEpochMs = 0;
  simEpochMs = 0;
  provider = '';
  project = '';
  body: JournalBody = undefined;
  tier: string | undefined = undefined;
  outcome: LiveOutcome = 'success';
  code: string | undefined = undefined;
  costUsd = 0;
  status: number | null = null;
  latencyMs = 0;
  simLatencyMs = 0;

  toEntry(): JournalEntry {
    return {
      id: this.id,
      time: new Date(this.wallEpochMs).toISOString(),
      simTime: new Date(this.simEpochMs).toISOString(),
      provider: this.provider,
      project: this.project,
      body: this.body,
      tier: this.tier,
      outcome: this.outcome,
      code: this.code,
      costUsd: this.costUsd,
      status: this.status,
      latencyMs: this.latencyMs,
      simLatencyMs: this.simLatencyMs,
    };
  }
}

/**
 * Adds a request's cost to a provider's per-project table, keeping at most
 * {@link MAX_LEDGER_PROJECTS} named projects (see there).
 */
function addProjectCost(table: Map<string, number>, project: string, costUsd: number): void {
  const known = table.get(project);
  if (known !== undefined || project === OTHER_PROJECTS) {
    table.set(project, (known ?? 0) + costUsd);
    return;
  }
  const named = table.size - (table.has(OTHER_PROJECTS) ? 1 : 0);
  if (named < MAX_LEDGER_PROJECTS) {
    table.set(project, costUsd);
    return;
  }
  // Full: the cheapest of the named projects and the newcomer goes to (other). One scan of at
  // most MAX_LEDGER_PROJECTS entries, only when a new name arrives at a full table.
  let cheapest: string | undefined;
  let cheapestUsd = Infinity;
  for (const [name, usd] of table) {
    if (name !== OTHER_PROJECTS && usd < cheapestUsd) {
      cheapest = name;
      cheapestUsd = usd;
    }
  }
  let folded = costUsd;
  if (cheapest !== undefined && cheapestUsd < costUsd) {
    table.delete(cheapest);
    table.set(project, costUsd);
    folded = cheapestUsd;
  }
  table.set(OTHER_PROJECTS, (table.get(OTHER_PROJECTS) ?? 0) + folded);
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The ledger and journal of one `LiveProviders`. */
export class LiveLedger {
  private totals = new Map<string, ProviderTotals>();
  /** Reused slots (allocated as the journal first fills); `journalCount` are in use, the oldest at `journalHead`. */
  private readonly journalRing: JournalSlot[] = [];
  private readonly journalCapacity: number;
  private journalHead = 0;
  private journalCount = 0;
  private changeCount = 0;

  /**
   * @param providerIds - every provider, so each shows in the ledger from the start
   * @param journalSize - entries the journal keeps
   */
  constructor(
    private readonly providerIds: readonly string[],
    private readonly journalSize: number,
  ) {
    this.journalCapacity = journalSize > 0 ? Math.floor(journalSize) : 0;
    this.reset();
  }

  /**
   * Records a finished request: its cost and outcome in the ledger, the request in the journal.
   * @param r - the request (its body as received: the journal keeps it when small, else a bounded summary, journal-body.ts)
   */
  record(r: LedgerRecord): void {
    const { id, provider, project, outcome, costUsd } = r;
    assertFiniteAmount(costUsd, `cost of request ${id} to ${provider}`);
    this.changeCount++;
    const t = this.totalsOf(provider);
    t.requests++;
    t.outcomes.set(outcome, (t.outcomes.get(outcome) ?? 0) + 1);
    const projectName = project.length > JOURNAL_BODY_LIMITS.stringChars ? (journalBody(project) as string) : project;
    if (costUsd > 0) {
      t.costUsd += costUsd;
      addProjectCost(t.costByProject, projectName, costUsd);
    }
    if (outcome !== 'invalid-request') {
      const s = r.simLatencyMs / 1000;
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) if (s <= LATENCY_BUCKETS_S[i]!) t.bucketCounts[i]!++;
      t.latencySumS += s;
      t.latencyCount++;
    }
    const size = this.journalCapacity;
    if (size === 0) return;
    let slot: JournalSlot;
    if (this.journalCount < size) {
      const at = (this.journalHead + this.journalCount++) % size;
      slot = this.journalRing[at] ??= new JournalSlot();
    } else {
      slot = this.journalRing[this.journalHead]!;
      this.journalHead = (this.journalHead + 1) % size;
    }
    slot.id = id;
    slot.wallEpochMs = r.wallEpochMs;
    slot.simEpochMs = r.simEpochMs;
    slot.provider = provider;
    slot.project = projectName;
    slot.body = journalBody(r.body);
    slot.tier = r.tier;
    slot.outcome = outcome;
    slot.code = r.code;
    slot.costUsd = costUsd;
    slot.status = r.status;
    slot.latencyMs = r.latencyMs;
    slot.simLatencyMs = r.simLatencyMs;
  }

  /**
   * Records how late an answer was decided after its emulated latency was over.
   * @param provider - provider id
   * @param lagMs - wall ms (an early timer, below 0, counts as 0)
   */
  recordEmulationLag(provider: string, lagMs: number): void {
    const t = this.totalsOf(provider);
    const s = lagMs > 0 ? lagMs / 1000 : 0;
    let i = 0;
    while (i < EMULATION_LAG_BUCKETS_S.length && s > EMULATION_LAG_BUCKETS_S[i]!) i++;
    t.lagCounts[i]!++;
    t.lagSumS += s;
    t.lagCount++;
  }

  private totalsOf(provider: string): ProviderTotals {
    let t = this.totals.get(provider);
    if (t === undefined) {
      t = new ProviderTotals();
      this.totals.set(provider, t);
    }
    return t;
  }

  /**
   * The last requests, oldest first.
   * @param limit - at most this many (the newest)
   * @returns journal entries
   */
  journal(limit = Infinity): JournalEntry[] {
    const size = this.journalCapacity;
    const count = limit >= this.journalCount ? this.journalCount : Math.max(0, Math.floor(limit));
    const out: JournalEntry[] = [];
    for (let i = this.journalCount - count; i < this.journalCount; i++) out.push(this.journalRing[(this.journalHead + i) % size]!.toEntry());
    return out;
  }

  /**
   * Totals per provider and overall.
   * @param credits - credits summaries by provider id, for `credits` pricing
   * @returns the snapshot (plain data, safe to serialise)
   */
  snapshot(credits: ReadonlyMap<string, CreditsSummary> = new Map()): LedgerSnapshot {
    const providers: Record<string, ProviderLedger> = {};
    let costUsd = 0;
    let requests = 0;
    const outcomes: Partial<Record<LiveOutcome, number>> = {};
    for (const [id, t] of this.totals) {
      const c = credits.get(id);
      providers[id] = {
        costUsd: round10(t.costUsd),
        requests: t.requests,
        outcomes: Object.fromEntries(t.outcomes),
        costByProject: Object.fromEntries([...t.costByProject].map(([p, usd]) => [p, round10(usd)] as const)),
        ...(c === undefined ? {} : { credits: c }),
      };
      costUsd += t.costUsd;
      requests += t.requests;
      for (const [k, v] of t.outcomes) outcomes[k] = (outcomes[k] ?? 0) + v;
    }
    // Money as people read it: sums of prices drift by ulps (0.060000000000000005).
    return { providers, totals: { costUsd: round10(costUsd), requests, outcomes } };
  }

  /**
   * Prometheus text exposition format (version 0.0.4).
   * @param gauges - in-flight and queued requests per provider, read now
   * @returns the metrics page
   */
  metrics(gauges: readonly ProviderGauges[]): string {
    const out: string[] = [];
    out.push('# HELP imgsim_requests_total Requests answered by the mock providers, by outcome.');
    out.push('# TYPE imgsim_requests_total counter');
    for (const [id, t] of this.totals) {
      for (const [kind, n] of t.outcomes) out.push(`imgsim_requests_total{provider="${escapeLabel(id)}",outcome="${kind}"} ${n}`);
    }
    out.push('# HELP imgsim_cost_usd_total USD billed, by provider and project.');
    out.push('# TYPE imgsim_cost_usd_total counter');
    for (const [id, t] of this.totals) {
      for (const [project, usd] of t.costByProject) out.push(`imgsim_cost_usd_total{provider="${escapeLabel(id)}",project="${escapeLabel(project)}"} ${round10(usd)}`);
    }
    out.push('# HELP imgsim_in_flight Requests holding a GPU slot.');
    out.push('# TYPE imgsim_in_flight gauge');
    for (const g of gauges) out.push(`imgsim_in_flight{provider="${escapeLabel(g.provider)}"} ${g.inFlight}`);
    out.push('# HELP imgsim_queue_length Requests waiting for a slot.');
    out.push('# TYPE imgsim_queue_length gauge');
    for (const g of gauges) out.push(`imgsim_queue_length{provider="${escapeLabel(g.provider)}"} ${g.queued}`);
    out.push('# HELP imgsim_latency_seconds Emulated latency of answered requests, simulated seconds.');
    out.push('# TYPE imgsim_latency_seconds histogram');
    for (const [id, t] of this.totals) {
      const p = escapeLabel(id);
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) out.push(`imgsim_latency_seconds_bucket{provider="${p}",le="${LATENCY_BUCKETS_S[i]!}"} ${t.bucketCounts[i]!}`);
      out.push(`imgsim_latency_seconds_bucket{provider="${p}",le="+Inf"} ${t.latencyCount}`);
      out.push(`imgsim_latency_seconds_sum{provider="${p}"} ${t.latencySumS}`);
      out.push(`imgsim_latency_seconds_count{provider="${p}"} ${t.latencyCount}`);
    }
    out.push('# HELP imgsim_emulation_lag_seconds How late answers were decided after their emulated latency was over (timer and event-loop delay), wall seconds.');
    out.push('# TYPE imgsim_emulation_lag_seconds histogram');
    for (const [id, t] of this.totals) {
      const p = escapeLabel(id);
      let cumulative = 0;
      for (let i = 0; i < EMULATION_LAG_BUCKETS_S.length; i++) {
        cumulative += t.lagCounts[i]!;
        out.push(`imgsim_emulation_lag_seconds_bucket{provider="${p}",le="${EMULATION_LAG_BUCKETS_S[i]!}"} ${cumulative}`);
      }
      out.push(`imgsim_emulation_lag_seconds_bucket{provider="${p}",le="+Inf"} ${t.lagCount}`);
      out.push(`imgsim_emulation_lag_seconds_sum{provider="${p}"} ${t.lagSumS}`);
      out.push(`imgsim_emulation_lag_seconds_count{provider="${p}"} ${t.lagCount}`);
    }
    return out.join('\n') + '\n';
  }

  /** @returns a number that changes whenever the ledger does (a request recorded, a reset) */
  get changes(): number {
    return this.changeCount;
  }

  /** Forgets every total and the journal. */
  reset(): void {
    this.changeCount++;
    this.totals = new Map(this.providerIds.map((id) => [id, new ProviderTotals()]));
    for (const slot of this.journalRing) slot.body = undefined;
    this.journalHead = 0;
    this.journalCount = 0;
  }
}
