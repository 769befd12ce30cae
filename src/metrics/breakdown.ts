/**
 * One run's figures split by a dimension of the traffic: urgency, traffic class or project.
 * Figures over traffic with different deadlines must never be summed into one percentile, so
 * each group keeps its own latency histogram, SLO counts and cost; the report shows them side
 * by side (docs/report.md#per-class). Groups are few (a handful of classes or projects), so a
 * lookup is a check of the last group used, then a scan.
 */
import { LatencyHistogram } from './histogram.js';
import type { Urgency } from '../scenario/schema.js';
import type { LatencySummary } from './report-types.js';

/**
 * What a money field holds before its constructor sets it to 0: a double. A field first set to
 * the small integer 0 and later to a fraction changes the hidden class of its object when the
 * first fraction comes, which throws away the optimized code of every function reading such
 * objects (the engine's whole hot path, at the first charge of a run). A field that held a
 * double first stays a double field when 0 is stored in it.
 */
export const DOUBLE_FIELD = Number.NaN;

/** The figures of one group. */
export class Group {
  /** Requests that ended (succeeded, failed or rejected). */
  requests = 0;
  succeeded = 0;
  /** Succeeded within their SLO bound. */
  attained = 0;
  /** USD billed for its requests (attempts, waste included). */
  costUsd = DOUBLE_FIELD;
  /** Requests that ended after the window (drained). */
  drainedRequests = 0;
  /** USD billed after the window for its requests. */
  drainedUsd = DOUBLE_FIELD;
  /** The urgency of its requests (a traffic class has one). */
  urgency: Urgency | undefined;
  /** Latency of its succeeded requests (allocated at the first success). */
  latency: LatencyHistogram | undefined;

  /** @param key - the urgency, class or project name */
  constructor(readonly key: string) {
    this.costUsd = 0;
    this.drainedUsd = 0;
  }

  /**
   * How many request group sets (urgency, class, project) include this group, and the one set
   * that records its latency into a histogram shared with its other two groups, if any (see
   * `RequestGroups` in collector.ts).
   */
  sets = 0;
  sharedBy: { unshare(): void } | undefined;

  /**
   * Counts a request that ended (its latency is recorded apart: {@link record}).
   * @param succeeded - it got an image
   * @param attained - it succeeded within its SLO bound
   * @param drained - it ended after the window
   */
  count(succeeded: boolean, attained: boolean, drained: boolean): void {
    this.requests++;
    // Added every time: see `addCost` in collector.ts.
    this.drainedRequests += drained ? 1 : 0;
    if (!succeeded) return;
    this.succeeded++;
    if (attained) this.attained++;
  }

  /**
   * Records the latency of a succeeded request.
   * @param latencyMs - arrival to its end
   */
  record(latencyMs: number): void {
    (this.latency ??= new LatencyHistogram()).record(latencyMs);
  }

  /** @returns the SLO attainment of its requests (0 when none ended) */
  attainment(): number {
    return this.requests === 0 ? 0 : this.attained / this.requests;
  }

  /** @returns the latency summary of its succeeded requests (NaN figures when none) */
  latencySummary(): LatencySummary {
    return (this.latency ?? new LatencyHistogram()).summary();
  }
}

/** The groups of one dimension, in the order first seen. */
export class Breakdown {
  private readonly groups: Group[] = [];
  private last: Group | undefined;

  /**
   * The group of a key, made on first use.
   * @param key - an urgency, class or project name
   * @returns its group
   */
  get(key: string): Group {
    const last = this.last;
    if (last !== undefined && last.key === key) return last;
    let g: Group | undefined;
    for (const x of this.groups) {
      if (x.key === key) {
        g = x;
        break;
      }
    }
    if (g === undefined) {
      g = new Group(key);
      this.groups.push(g);
    }
    this.last = g;
    return g;
  }

  /**
   * The groups, sorted by key (code units) or in the order given.
   * @param order - keys to come first, in this order (e.g. the urgencies); the rest by key
   * @returns the groups
   */
  sorted(order: readonly string[] = []): Group[] {
    const rank = (k: string): number => {
      const i = order.indexOf(k);
      return i < 0 ? order.length : i;
    };
    return [...this.groups].sort((a, b) => rank(a.key) - rank(b.key) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
