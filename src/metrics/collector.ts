/**
 * What one strategy's run measures, in running sums, counters, histograms and hourly buckets:
 * nothing per request outlives the request. `toReport` turns it into a `StrategyReport`.
 */
import type { OutcomeKind, Urgency } from '../scenario/schema.js';
import { LatencyHistogram } from './histogram.js';
import type { BudgetAlert, CreditsReport, ProviderReport, StrategyReport } from './report-types.js';

const HOUR_MS = 3_600_000;

/** How a request ended. */
export type RequestEnd = 'succeeded' | 'failed' | 'rejected';

interface ProviderCounters {
  attempts: number;
  succeeded: number;
  costUsd: number;
  outcomes: Map<string, number>;
  peakInFlight: number;
  peakQueue: number;
}

/** Counters for one strategy's run. */
export class RunCollector {
  readonly latency = new LatencyHistogram();
  private readonly latencyByUrgency = new Map<Urgency, LatencyHistogram>();
  private readonly providers: ProviderCounters[];
  private readonly costByProject = new Map<string, number>();
  private readonly costByHour: number[] = [];
  private readonly failures = new Map<string, number>();
  private readonly sloByUrgency = new Map<Urgency, { requests: number; attained: number }>();

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

  /**
   * @param providerIds - provider ids in scenario order
   * @param startMs - window start, for hourly buckets
   */
  constructor(
    private readonly providerIds: readonly string[],
    private readonly startMs: number,
  ) {
    this.providers = providerIds.map(() => ({ attempts: 0, succeeded: 0, costUsd: 0, outcomes: new Map(), peakInFlight: 0, peakQueue: 0 }));
  }

  /**
   * Counts an attempt's answer at a provider.
   * @param provider - provider index
   * @param kind - outcome kind
   */
  attempt(provider: number, kind: OutcomeKind): void {
    const p = this.providers[provider]!;
    p.attempts++;
    if (kind === 'success') p.succeeded++;
    p.outcomes.set(kind, (p.outcomes.get(kind) ?? 0) + 1);
  }

  /**
   * Counts an attempt cancelled because its hedge partner answered first.
   * @param provider - provider index
   */
  cancelled(provider: number): void {
    const p = this.providers[provider]!;
    p.attempts++;
    p.outcomes.set('cancelled', (p.outcomes.get('cancelled') ?? 0) + 1);
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
    if (project !== '') this.costByProject.set(project, (this.costByProject.get(project) ?? 0) + costUsd);
    const hour = Math.max(0, Math.floor((atMs - this.startMs) / HOUR_MS));
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
    let slo = this.sloByUrgency.get(urgency);
    if (!slo) {
      slo = { requests: 0, attained: 0 };
      this.sloByUrgency.set(urgency, slo);
    }
    slo.requests++;
    if (end === 'succeeded') {
      this.succeeded++;
      this.latency.record(latencyMs);
      let h = this.latencyByUrgency.get(urgency);
      if (!h) {
        h = new LatencyHistogram();
        this.latencyByUrgency.set(urgency, h);
      }
      h.record(latencyMs);
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
        outcomes: Object.fromEntries([...p.outcomes].sort(([a], [b]) => a.localeCompare(b))),
        peakInFlight: p.peakInFlight,
        peakQueue: p.peakQueue,
      };
    });
    const latencyByUrgency: StrategyReport['latencyByUrgency'] = {};
    for (const [u, h] of [...this.latencyByUrgency].sort(([a], [b]) => a.localeCompare(b))) latencyByUrgency[u] = h.summary();
    const byUrgency: StrategyReport['slo']['byUrgency'] = {};
    for (const [u, s] of [...this.sloByUrgency].sort(([a], [b]) => a.localeCompare(b))) byUrgency[u] = { ...s };
    return {
      name,
      requests: { total: this.total, succeeded: this.succeeded, failed: this.failed, rejected: this.rejected, deferred: this.deferred },
      successRate: this.total === 0 ? 0 : this.succeeded / this.total,
      cost: {
        total: this.costUsd,
        perSucceeded: this.succeeded === 0 ? 0 : this.costUsd / this.succeeded,
        wasted: this.wastedUsd,
        byProvider,
        byProject: Object.fromEntries([...this.costByProject].sort(([a], [b]) => a.localeCompare(b))),
      },
      latencyMs: this.latency.summary(),
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
    };
  }
}
