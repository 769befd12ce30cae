/**
 * What one strategy's run measures, in running sums, counters, histograms and hourly buckets:
 * nothing per request outlives the request. `toReport` turns it into a `StrategyReport`.
 */
import { OUTCOME_KINDS, type OutcomeKind, type Urgency } from '../scenario/schema.js';
import { LatencyHistogram } from './histogram.js';
import type { BudgetAlert, CreditsReport, ProviderReport, StrategyReport } from './report-types.js';
import { MAX_HOUR_BUCKETS, RunUsage } from './usage.js';

const HOUR_MS = 3_600_000;

/** How a request ended. */
export type RequestEnd = 'succeeded' | 'failed' | 'rejected';

/** Outcome kinds counted per provider: the attempt kinds, `cancelled` hedge losers and live mode's `client-error`. */
const COUNTED_OUTCOMES = [...OUTCOME_KINDS, 'cancelled', 'client-error'] as const;
const CANCELLED = COUNTED_OUTCOMES.indexOf('cancelled');

interface ProviderCounters {
  attempts: number;
  succeeded: number;
  costUsd: number;
  /** Counts by index into COUNTED_OUTCOMES. */
  outcomes: Float64Array;
  peakInFlight: number;
  peakQueue: number;
}

/** One urgency class's counters. */
interface UrgencyCounters {
  readonly urgency: Urgency;
  readonly slo: { requests: number; attained: number };
  readonly latency: LatencyHistogram;
}

/** Counters for one strategy's run. */
export class RunCollector {
  /** Per urgency class, in the order first seen (a scan: there are a handful of classes). */
  private readonly byUrgency: UrgencyCounters[] = [];
  /** The project last billed and its running sum (a box in the map: a change of project is one lookup). */
  private lastProject = '';
  private lastProjectCost = { usd: 0 };
  /** The last urgency seen and its counters: requests of a class come in runs, skip the scan. */
  private lastUrgency: Urgency | undefined;
  private lastSlo = { requests: 0, attained: 0 };
  private lastHistogram: LatencyHistogram | undefined;
  private readonly providers: ProviderCounters[];
  private readonly costByProject = new Map<string, { usd: number }>();
  private readonly costByHour: number[] = [];
  private readonly failures = new Map<string, number>();

  total = 0;
  succeeded = 0;
  failed = 0;
  rejected = 0;
  deferred = 0;
  costUsd = 0;
  wastedUsd = 0;
  attempts = 0;
  retries = 0;
  failovers = 0;
  hedges = 0;
  recovered = 0;
  exhausted = 0;
  attained = 0;
  budgetSpentUsd = 0;
  readonly alerts: BudgetAlert[] = [];
  credits: Record<string, CreditsReport> = {};
  /** Slot time, attempts per minute and credits per hour (for forecasts; not in the report). */
  readonly usage: RunUsage;

  /**
   * @param providerIds - provider ids in scenario order
   * @param startMs - window start, for hourly buckets
   */
  constructor(
    private readonly providerIds: readonly string[],
    private readonly startMs: number,
  ) {
    this.usage = new RunUsage(providerIds.length, startMs);
    this.providers = providerIds.map(() => ({ attempts: 0, succeeded: 0, costUsd: 0, outcomes: new Float64Array(COUNTED_OUTCOMES.length), peakInFlight: 0, peakQueue: 0 }));
  }

  /**
   * Counts an attempt's answer at a provider.
   * @param provider - provider index
   * @param kind - outcome kind, or `client-error` (live mode: a 4xx that is the request's fault)
   */
  attempt(provider: number, kind: OutcomeKind | 'client-error'): void {
    const p = this.providers[provider]!;
    p.attempts++;
    if (kind === 'success') p.succeeded++;
    // A scan of a dozen constants, `success` first: a keyed load with ever-changing keys (an
    // object used as a table) goes megamorphic and costs more.
    p.outcomes[COUNTED_OUTCOMES.indexOf(kind)]!++;
  }

  /**
   * Counts an attempt cancelled because its hedge partner answered first.
   * @param provider - provider index
   */
  cancelled(provider: number): void {
    const p = this.providers[provider]!;
    p.attempts++;
    p.outcomes[CANCELLED]!++;
  }

  /**
   * Adds money billed (or credits expired) at a time.
   * @param provider - provider index
   * @param project - the request's project ('' for account-level costs such as expiry)
   * @param costUsd - amount
   * @param wasted - true when it bought nothing usable
   * @param atMs - when
   */
  cost(provider: number, project: string, costUsd: number, wasted: boolean, atMs: number): void {
    if (costUsd === 0) return;
    this.costUsd += costUsd;
    if (wasted) this.wastedUsd += costUsd;
    this.providers[provider]!.costUsd += costUsd;
    if (project !== '') {
      if (project !== this.lastProject) {
        let box = this.costByProject.get(project);
        if (box === undefined) {
          box = { usd: 0 };
          this.costByProject.set(project, box);
        }
        this.lastProject = project;
        this.lastProjectCost = box;
      }
      this.lastProjectCost.usd += costUsd;
    }
    const hour = Math.min(MAX_HOUR_BUCKETS - 1, Math.max(0, Math.floor((atMs - this.startMs) / HOUR_MS)));
    while (this.costByHour.length <= hour) this.costByHour.push(0);
    this.costByHour[hour]! += costUsd;
  }

  /**
   * Tracks peak load at a provider.
   * @param provider - provider index
   * @param inFlight - attempts holding a slot or queued
   * @param queue - attempts queued
   */
  load(provider: number, inFlight: number, queue: number): void {
    const p = this.providers[provider]!;
    if (inFlight > p.peakInFlight) p.peakInFlight = inFlight;
    if (queue > p.peakQueue) p.peakQueue = queue;
  }

  /**
   * Counts a finished request.
   * @param end - how it ended
   * @param urgency - its class
   * @param latencyMs - arrival to final answer (succeeded requests)
   * @param attained - succeeded within its class's SLO bound
   * @param reason - for failed or rejected requests: last outcome kind or rejection reason
   */
  finish(end: RequestEnd, urgency: Urgency, latencyMs: number, attained: boolean, reason: string): void {
    this.total++;
    if (urgency !== this.lastUrgency) this.switchUrgency(urgency);
    const slo = this.lastSlo;
    slo.requests++;
    if (end === 'succeeded') {
      this.succeeded++;
      this.lastHistogram!.record(latencyMs);
      if (attained) {
        this.attained++;
        slo.attained++;
      }
    } else {
      if (end === 'failed') this.failed++;
      else this.rejected++;
      this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
    }
  }

  /** All succeeded requests' latencies: the per-urgency histograms merged (one record per request). */
  private overallLatency(): LatencyHistogram {
    const all = new LatencyHistogram();
    for (const u of this.byUrgency) all.merge(u.latency);
    return all;
  }

  private switchUrgency(urgency: Urgency): void {
    const all = this.byUrgency;
    let i = 0;
    while (i < all.length && all[i]!.urgency !== urgency) i++;
    if (i === all.length) all.push({ urgency, slo: { requests: 0, attained: 0 }, latency: new LatencyHistogram() });
    const u = all[i]!;
    this.lastUrgency = urgency;
    this.lastSlo = u.slo;
    this.lastHistogram = u.latency;
  }

  /**
   * The report section of this run (thresholds are evaluated afterwards).
   * @param name - strategy name
   * @param durationMs - simulated window, for goodput
   * @returns the strategy report
   */
  toReport(name: string, durationMs: number): StrategyReport {
    const byProvider: Record<string, number> = {};
    const providers: Record<string, ProviderReport> = {};
    this.providerIds.forEach((id, i) => {
      const p = this.providers[i]!;
      byProvider[id] = p.costUsd;
      providers[id] = {
        attempts: p.attempts,
        succeeded: p.succeeded,
        cost: p.costUsd,
        outcomes: Object.fromEntries(
          COUNTED_OUTCOMES.map((k, j) => [k, p.outcomes[j]!] as const)
            .filter(([, n]) => n > 0)
            .sort(([a], [b]) => a.localeCompare(b)),
        ),
        peakInFlight: p.peakInFlight,
        peakQueue: p.peakQueue,
      };
    });
    const latencyByUrgency: StrategyReport['latencyByUrgency'] = {};
    const byUrgency: StrategyReport['slo']['byUrgency'] = {};
    for (const u of [...this.byUrgency].sort((a, b) => a.urgency.localeCompare(b.urgency))) {
      latencyByUrgency[u.urgency] = u.latency.summary();
      byUrgency[u.urgency] = { ...u.slo };
    }
    const latency = this.overallLatency();
    return {
      name,
      requests: { total: this.total, succeeded: this.succeeded, failed: this.failed, rejected: this.rejected, deferred: this.deferred },
      successRate: this.total === 0 ? 0 : this.succeeded / this.total,
      cost: {
        total: this.costUsd,
        perSucceeded: this.succeeded === 0 ? 0 : this.costUsd / this.succeeded,
        wasted: this.wastedUsd,
        byProvider,
        byProject: Object.fromEntries([...this.costByProject].map(([p, box]) => [p, box.usd] as const).sort(([a], [b]) => a.localeCompare(b))),
      },
      latencyMs: latency.summary(),
      attempts: {
        total: this.attempts,
        retries: this.retries,
        failovers: this.failovers,
        recovered: this.recovered,
        exhausted: this.exhausted,
        hedges: this.hedges,
      },
      providers,
      slo: {
        attainment: this.total === 0 ? 0 : this.attained / this.total,
        goodput: durationMs > 0 ? this.attained / (durationMs / 1000) : 0,
        byUrgency,
      },
      budget: { spent: this.budgetSpentUsd, alerts: this.alerts },
      credits: this.credits,
      thresholds: [],
      latencyByUrgency,
      failures: Object.fromEntries([...this.failures].sort(([a], [b]) => a.localeCompare(b))),
      costByHour: this.costByHour,
      latencyCdfMs: latency.cdf(),
    };
  }
}
