/**
 * What one strategy's run measures, in running sums, counters, histograms and hourly buckets:
 * nothing per request outlives the request. `toReport` turns it into a `StrategyReport`.
 */
import { OUTCOME_KINDS, URGENCIES, type OutcomeKind, type Urgency } from '../scenario/schema.js';
import { Breakdown, DOUBLE_FIELD, type Group } from './breakdown.js';
import { LatencyHistogram } from './histogram.js';
import type { BudgetAlert, CreditsReport, FeesReport, ProviderReport, StrategyReport } from './report-types.js';
import type { ReservedTally } from './reserved.js';
import { MAX_HOUR_BUCKETS, RunUsage } from './usage.js';
import { FEE_KINDS, type FeeKind } from '../model/pricing/fees.js';

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

/** What the collector reads of a request: the groups it counts in. */
export interface RequestTags {
  readonly urgency: Urgency;
  readonly className: string;
  readonly project: string;
}

/**
 * The groups a cost counts in: a request's, or only its project where that is all that is known
 * (live mode's costs booked from a gateway's ledger); `project` '' for account-level costs.
 */
export type CostTags = RequestTags | { readonly project: string; readonly className?: undefined; readonly urgency?: undefined };

/** The groups with money billed. */
function billed(groups: readonly Group[]): Group[] {
  return groups.filter((g) => g.costUsd !== 0);
}

function addCost(g: Group, usd: number, drained: boolean): void {
  g.costUsd += usd;
  // Added every time (0 inside the window): a branch first taken when the run drains has no type
  // feedback in the optimized code by then, which would be thrown away (so in `book` and `end`).
  g.drainedUsd += drained ? usd : 0;
}

/**
 * The groups one request counts in: its urgency's, its traffic class's and its project's.
 *
 * Each group keeps its own latency histogram, but while a set's three groups count no other
 * set's requests (each class with its own urgency and project, as often) the three histograms
 * would hold the same values: the set then records one histogram the three share, and gives
 * each its own copy when another set comes to include one of them. One record per request
 * instead of three, and a third of the histogram memory touched.
 */
export class RequestGroups {
  private readonly urgencyKey: Urgency;
  private readonly classKey: string;
  private readonly projectKey: string;
  private shared: boolean;

  /**
   * @param tags - the request's urgency, class and project
   * @param urgency - its urgency's group
   * @param trafficClass - its class's group
   * @param project - its project's group
   */
  constructor(
    tags: RequestTags,
    readonly urgency: Group,
    readonly trafficClass: Group,
    readonly project: Group,
  ) {
    this.urgencyKey = tags.urgency;
    this.classKey = tags.className;
    this.projectKey = tags.project;
    const groups = [urgency, trafficClass, project];
    for (const g of groups) g.sharedBy?.unshare();
    this.shared = groups.every((g) => g.sets === 0);
    for (const g of groups) {
      g.sets++;
      if (this.shared) g.sharedBy = this;
    }
  }

  /**
   * @param tags - a request's urgency, class and project
   * @returns true when these are its groups
   */
  matches(tags: RequestTags): boolean {
    return this.classKey === tags.className && this.projectKey === tags.project && this.urgencyKey === tags.urgency;
  }

  /**
   * Counts a request that ended in its three groups.
   * @param succeeded - it got an image
   * @param latencyMs - arrival to its end
   * @param attained - it succeeded within its SLO bound
   * @param drained - it ended after the window
   */
  finish(succeeded: boolean, latencyMs: number, attained: boolean, drained: boolean): void {
    this.urgency.count(succeeded, attained, drained);
    this.trafficClass.count(succeeded, attained, drained);
    this.project.count(succeeded, attained, drained);
    if (!succeeded) return;
    if (this.shared) {
      let h = this.urgency.latency;
      if (h === undefined) {
        h = new LatencyHistogram();
        this.urgency.latency = h;
        this.trafficClass.latency = h;
        this.project.latency = h;
      }
      h.record(latencyMs);
      return;
    }
    this.urgency.record(latencyMs);
    this.trafficClass.record(latencyMs);
    this.project.record(latencyMs);
  }

  /** Another set includes one of this set's groups: each group gets its own histogram. */
  unshare(): void {
    if (!this.shared) return;
    this.shared = false;
    const h = this.urgency.latency;
    if (h !== undefined) {
      this.trafficClass.latency = h.copy();
      this.project.latency = h.copy();
    }
    this.urgency.sharedBy = undefined;
    this.trafficClass.sharedBy = undefined;
    this.project.sharedBy = undefined;
  }
}

/** Fees by kind as the report has them: the total first. */
function feesReport(fees: Readonly<Record<FeeKind, number>>): FeesReport {
  let total = 0;
  for (const k of FEE_KINDS) total += fees[k];
  return { total, ...fees };
}

/**
 * Zero fees of every kind, for a run whose strategy has `fees`.
 * @returns a fresh record
 */
export function noFees(): Record<FeeKind, number> {
  return { markup: 0, perGeneration: 0, perMillionTokens: 0, monthly: 0, creditPurchase: 0 };
}

/** Counters for one strategy's run. */
export class RunCollector {
  /** Per urgency, traffic class and project: requests, SLO, cost, drained work, latency. */
  private readonly byUrgency = new Breakdown();
  private readonly byClass = new Breakdown();
  private readonly byProject = new Breakdown();
  private readonly providers: ProviderCounters[];
  private readonly costByHour: number[] = [];
  private readonly failures = new Map<string, number>();

  total = 0;
  succeeded = 0;
  failed = 0;
  rejected = 0;
  deferred = 0;
  // Money fields are double fields from the start (DOUBLE_FIELD), set to 0 by the constructor.
  costUsd = DOUBLE_FIELD;
  wastedUsd = DOUBLE_FIELD;
  attempts = 0;
  retries = 0;
  failovers = 0;
  hedges = 0;
  recovered = 0;
  exhausted = 0;
  attained = 0;
  /** Requests that ended after the window, and USD billed after it (the run drains). */
  drainedRequests = 0;
  drainedUsd = DOUBLE_FIELD;
  budgetSpentUsd = DOUBLE_FIELD;
  readonly alerts: BudgetAlert[] = [];
  credits: Record<string, CreditsReport> = {};
  /** A gateway's fees by kind, USD, when the strategy has `fees` (the report then has `cost.fees`). */
  fees: Record<FeeKind, number> | undefined = undefined;
  /** Reserved capacity per provider; set only when some provider has a reservation. */
  reserved: ReservedTally | undefined = undefined;
  /** Slot time, attempts per minute and credits per hour (for forecasts; not in the report). */
  readonly usage: RunUsage;

  /**
   * @param providerIds - provider ids in scenario order
   * @param startMs - window start, for hourly buckets
   * @param endMs - window end: what ends or is billed after it is drained work
   */
  constructor(
    private readonly providerIds: readonly string[],
    private readonly startMs: number,
    private readonly endMs: number,
  ) {
    this.usage = new RunUsage(providerIds.length, startMs);
    this.providers = providerIds.map(() => {
      const p = { attempts: 0, succeeded: 0, costUsd: DOUBLE_FIELD, outcomes: new Float64Array(COUNTED_OUTCOMES.length), peakInFlight: 0, peakQueue: 0 };
      p.costUsd = 0;
      return p;
    });
    this.costUsd = 0;
    this.wastedUsd = 0;
    this.drainedUsd = 0;
    this.budgetSpentUsd = 0;
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
   * @param request - the request it was billed for, or undefined for account-level costs such as expiry
   * @param costUsd - amount
   * @param wasted - true when it bought nothing usable
   * @param atMs - when
   */
  cost(provider: number, request: CostTags | undefined, costUsd: number, wasted: boolean, atMs: number): void {
    if (costUsd === 0) return;
    this.providers[provider]!.costUsd += costUsd;
    this.bookTagged(request, costUsd, wasted, atMs);
  }

  /**
   * {@link cost} for a request whose groups were looked up once ({@link groupsOf}): the engine
   * keeps them with the request, so a charge thousands of requests after the arrival need not
   * read the request object again.
   * @param provider - provider index
   * @param groups - the request's groups, or undefined for account-level costs
   * @param costUsd - amount
   * @param wasted - true when it bought nothing usable
   * @param atMs - when
   */
  charge(provider: number, groups: RequestGroups | undefined, costUsd: number, wasted: boolean, atMs: number): void {
    if (costUsd === 0) return;
    this.providers[provider]!.costUsd += costUsd;
    this.book(groups, costUsd, wasted, atMs);
  }

  /**
   * Adds a gateway's fee (docs/gateways.md#fees): in the totals and groups as any cost, by kind
   * in `cost.fees`, at no provider.
   * @param kind - the kind of fee
   * @param request - the request it was charged for (or only its project), or undefined for account-level fees
   * @param usd - amount
   * @param wasted - true when it was charged on a bill that bought nothing usable
   * @param atMs - when
   */
  fee(kind: FeeKind, request: CostTags | undefined, usd: number, wasted: boolean, atMs: number): void {
    if (usd === 0) return;
    this.fees![kind] += usd;
    this.bookTagged(request, usd, wasted, atMs);
  }

  /** {@link book} for a request's tags: all its groups, only its project, or none. */
  private bookTagged(request: CostTags | undefined, usd: number, wasted: boolean, atMs: number): void {
    if (request !== undefined && request.className === undefined) {
      this.book(undefined, usd, wasted, atMs);
      if (request.project !== '') addCost(this.byProject.get(request.project), usd, atMs > this.endMs);
      return;
    }
    this.book(request === undefined ? undefined : this.groupsOf(request), usd, wasted, atMs);
  }

  /** Books money billed in the totals, the request's groups and its hour. */
  private book(groups: RequestGroups | undefined, costUsd: number, wasted: boolean, atMs: number): void {
    this.costUsd += costUsd;
    if (wasted) this.wastedUsd += costUsd;
    const drained = atMs > this.endMs;
    this.drainedUsd += drained ? costUsd : 0;
    if (groups !== undefined) {
      addCost(groups.urgency, costUsd, drained);
      addCost(groups.trafficClass, costUsd, drained);
      addCost(groups.project, costUsd, drained);
    }
    const hour = Math.min(MAX_HOUR_BUCKETS - 1, Math.max(0, Math.floor((atMs - this.startMs) / HOUR_MS)));
    const byHour = this.costByHour;
    while (byHour.length <= hour) byHour.push(0);
    byHour[hour]! += costUsd;
  }

  /**
   * The three groups a request counts in, made on first use and kept per (urgency, class,
   * project): a scan of a few entries, the last one found first.
   * @param request - its urgency, class and project
   * @returns its groups
   */
  groupsOf(request: RequestTags): RequestGroups {
    const last = this.lastGroups;
    if (last !== undefined && last.matches(request)) return last;
    let found: RequestGroups | undefined;
    for (const g of this.groupSets) {
      if (g.matches(request)) {
        found = g;
        break;
      }
    }
    if (found === undefined) {
      const c = this.byClass.get(request.className);
      c.urgency ??= request.urgency;
      found = new RequestGroups(request, this.byUrgency.get(request.urgency), c, this.byProject.get(request.project));
      this.groupSets.push(found);
    }
    this.lastGroups = found;
    return found;
  }

  private readonly groupSets: RequestGroups[] = [];
  private lastGroups: RequestGroups | undefined;

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
   * @param request - its urgency, class and project
   * @param latencyMs - arrival to final answer (succeeded requests)
   * @param attained - succeeded within its class's SLO bound
   * @param reason - for failed or rejected requests: last outcome kind or rejection reason
   * @param endedMs - when it ended (after the window: drained)
   */
  finish(end: RequestEnd, request: RequestTags, latencyMs: number, attained: boolean, reason: string, endedMs: number): void {
    this.end(end, this.groupsOf(request), latencyMs, attained, reason, endedMs);
  }

  /**
   * {@link finish} for a request whose groups were looked up once ({@link groupsOf}).
   * @param end - how it ended
   * @param groups - its groups
   * @param latencyMs - arrival to final answer (succeeded requests)
   * @param attained - succeeded within its class's SLO bound
   * @param reason - for failed or rejected requests: last outcome kind or rejection reason
   * @param endedMs - when it ended (after the window: drained)
   */
  end(end: RequestEnd, groups: RequestGroups, latencyMs: number, attained: boolean, reason: string, endedMs: number): void {
    this.total++;
    const succeeded = end === 'succeeded';
    const drained = endedMs > this.endMs;
    this.drainedRequests += drained ? 1 : 0;
    groups.finish(succeeded, latencyMs, attained, drained);
    if (succeeded) {
      this.succeeded++;
      if (attained) this.attained++;
    } else {
      if (end === 'failed') this.failed++;
      else this.rejected++;
      this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
    }
  }

  /** All succeeded requests' latencies: the per-urgency histograms merged (one record per request). */
  private overallLatency(): LatencyHistogram {
    const all = new LatencyHistogram();
    for (const g of this.byUrgency.sorted()) if (g.latency !== undefined) all.merge(g.latency);
    return all;
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
      const reserved = this.reserved?.report(i, p.succeeded);
      if (reserved !== undefined) providers[id].reserved = reserved;
    });
    const urgencies = this.byUrgency.sorted(URGENCIES);
    const classes = this.byClass.sorted();
    const projects = this.byProject.sorted();
    const slo = (g: Group) => ({ requests: g.requests, attained: g.attained, attainment: g.attainment() });
    const keyed = <T>(groups: readonly Group[], f: (g: Group) => T): Record<string, T> => Object.fromEntries(groups.map((g) => [g.key, f(g)] as const));
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
        // Cost records list the groups billed, as byProvider lists every provider and byProject
        // always has (a threshold on a group billed nothing reads 0).
        byProject: keyed(billed(projects), (g) => g.costUsd),
        byUrgency: keyed(billed(urgencies), (g) => g.costUsd),
        byClass: keyed(billed(classes), (g) => g.costUsd),
        ...(this.fees === undefined ? {} : { fees: feesReport(this.fees) }),
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
        byUrgency: keyed(urgencies, slo),
        byClass: keyed(classes, (g) => ({ urgency: g.urgency ?? 'interactive', ...slo(g) })),
        byProject: keyed(projects, slo),
      },
      budget: { spent: this.budgetSpentUsd, alerts: this.alerts },
      credits: this.credits,
      thresholds: [],
      latencyByUrgency: keyed(urgencies, (g) => g.latencySummary()),
      latencyByClass: keyed(classes, (g) => g.latencySummary()),
      latencyByProject: keyed(projects, (g) => g.latencySummary()),
      failures: Object.fromEntries([...this.failures].sort(([a], [b]) => a.localeCompare(b))),
      costByHour: this.costByHour,
      latencyCdfMs: latency.cdf(),
      latencyCdfByUrgency: keyed(
        urgencies.filter((g) => g.succeeded > 0),
        (g) => g.latency!.cdf(),
      ),
      drained: { requests: this.drainedRequests, cost: this.drainedUsd },
    };
  }
}
