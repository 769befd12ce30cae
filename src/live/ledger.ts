/**
 * What live mode remembers about the requests it answered: billed cost, requests and outcomes
 * per provider (the ledger), the last N requests (the journal), and both as Prometheus text.
 */
import type { CreditsSummary } from '../model/credits.js';
import type { OutcomeKind } from '../scenario/schema.js';

/**
 * How a live request ended: the simulator's outcome kinds, plus `malformed` (a 200 with a
 * broken body), `invalid-request` (400/401/413 before the provider model ran), `aborted` (the
 * client went away first) and `shutdown` (the server closed while it waited).
 */
export type LiveOutcome = OutcomeKind | 'malformed' | 'invalid-request' | 'aborted' | 'shutdown';

/** One request in the journal. */
export interface JournalEntry {
  /** The `x-request-id` it was answered with (the prediction id in the async dialect). */
  readonly id: string;
  /** When it arrived, ISO 8601 wall time. */
  readonly time: string;
  /** When it arrived on the simulated clock, ISO 8601. */
  readonly simTime: string;
  readonly provider: string;
  readonly project: string;
  /** The request body as received. */
  readonly body: unknown;
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

/** One provider's totals. */
export interface ProviderLedger {
  readonly costUsd: number;
  readonly requests: number;
  readonly outcomes: Readonly<Partial<Record<LiveOutcome, number>>>;
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

class ProviderTotals {
  costUsd = 0;
  requests = 0;
  readonly outcomes = new Map<LiveOutcome, number>();
  readonly costByProject = new Map<string, number>();
  readonly bucketCounts = new Float64Array(LATENCY_BUCKETS_S.length);
  latencySumS = 0;
  latencyCount = 0;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The ledger and journal of one `LiveProviders`. */
export class LiveLedger {
  private totals = new Map<string, ProviderTotals>();
  private journalRing: JournalEntry[] = [];
  private journalHead = 0;

  /**
   * @param providerIds - every provider, so each shows in the ledger from the start
   * @param journalSize - entries the journal keeps
   */
  constructor(
    private readonly providerIds: readonly string[],
    private readonly journalSize: number,
  ) {
    this.reset();
  }

  /**
   * Records a finished request.
   * @param entry - the journal entry (its cost and outcome go to the ledger)
   */
  record(entry: JournalEntry): void {
    let t = this.totals.get(entry.provider);
    if (t === undefined) {
      t = new ProviderTotals();
      this.totals.set(entry.provider, t);
    }
    t.requests++;
    t.outcomes.set(entry.outcome, (t.outcomes.get(entry.outcome) ?? 0) + 1);
    if (entry.costUsd > 0) {
      t.costUsd += entry.costUsd;
      t.costByProject.set(entry.project, (t.costByProject.get(entry.project) ?? 0) + entry.costUsd);
    }
    if (entry.outcome !== 'invalid-request') {
      const s = entry.simLatencyMs / 1000;
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) if (s <= LATENCY_BUCKETS_S[i]!) t.bucketCounts[i]!++;
      t.latencySumS += s;
      t.latencyCount++;
    }
    if (this.journalSize <= 0) return;
    if (this.journalRing.length < this.journalSize) this.journalRing.push(entry);
    else {
      this.journalRing[this.journalHead] = entry;
      this.journalHead = (this.journalHead + 1) % this.journalSize;
    }
  }

  /**
   * The last requests, oldest first.
   * @param limit - at most this many (the newest)
   * @returns journal entries
   */
  journal(limit = Infinity): JournalEntry[] {
    const ordered = [...this.journalRing.slice(this.journalHead), ...this.journalRing.slice(0, this.journalHead)];
    return limit >= ordered.length ? ordered : ordered.slice(ordered.length - Math.max(0, limit));
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
        costUsd: t.costUsd,
        requests: t.requests,
        outcomes: Object.fromEntries(t.outcomes),
        costByProject: Object.fromEntries(t.costByProject),
        ...(c === undefined ? {} : { credits: c }),
      };
      costUsd += t.costUsd;
      requests += t.requests;
      for (const [k, v] of t.outcomes) outcomes[k] = (outcomes[k] ?? 0) + v;
    }
    return { providers, totals: { costUsd, requests, outcomes } };
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
      for (const [project, usd] of t.costByProject) out.push(`imgsim_cost_usd_total{provider="${escapeLabel(id)}",project="${escapeLabel(project)}"} ${usd}`);
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
    return out.join('\n') + '\n';
  }

  /** Forgets every total and the journal. */
  reset(): void {
    this.totals = new Map(this.providerIds.map((id) => [id, new ProviderTotals()]));
    this.journalRing = [];
    this.journalHead = 0;
  }
}
