/**
 * The hindsight oracle under a budget that refuses work (`budget.onExhausted: reject`): the most
 * service the budget buys, then the least cost (docs/report.md#oracle-and-regret).
 *
 * The oracle's capacity-aware plan books each request's option in send-time order, blind to
 * money. Under such a budget this keeps, in each budget window, the largest set of booked
 * requests whose prices fit the window's limit and every project's cap, taking them cheapest
 * first (ties in booking order); the rest count as `overBudget`, unserved. Every request has the
 * same worth (one image), so cheapest first gives the most requests any choice among the booked
 * options could fit, and among those the least cost; dropping a request only frees the slots it
 * held, so what stays is still a plan that respects capacity. A request counts in the window of
 * its send time; unlike the engine, which admits a request while spend is below the limit and
 * bills it later, the plan never goes over: a strategy may pay a little past the limit for a few
 * more images than the oracle gets.
 */
import type { BudgetSpec } from '../routing/budget.js';

/** Sums of float prices drift by ulps: a millionth of a cent over a cap still fits. */
const FIT_EPSILON_USD = 1e-8;

/** One budget window's booked requests, in booking order. */
class WindowBook {
  cost = new Float64Array(1_024);
  project = new Int32Array(1_024);
  withinSlo = new Uint8Array(1_024);
  n = 0;

  add(usd: number, project: number, withinSlo: boolean): void {
    if (this.n === this.cost.length) {
      const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      const m = this.n * 2;
      this.cost = grow(this.cost, new Float64Array(m));
      this.project = grow(this.project, new Int32Array(m));
      this.withinSlo = grow(this.withinSlo, new Uint8Array(m));
    }
    this.cost[this.n] = usd;
    this.project[this.n] = project;
    this.withinSlo[this.n] = withinSlo ? 1 : 0;
    this.n++;
  }
}

/** What the budget leaves of the plan. */
export interface BudgetedTotals {
  /** The kept requests' cost, summed in booking order (the plan's own sum when all are kept). */
  readonly costUsd: number;
  readonly withinSlo: number;
  readonly late: number;
  /** Booked requests the budget leaves out. */
  readonly overBudget: number;
}

/** Collects the plan's bookings window by window and keeps what the budget buys. */
export class BudgetedPlan {
  private readonly limitUsd: number;
  private readonly periodMs: number;
  /** Project index by name; index 0 is every project without a cap. */
  private readonly projectIndex = new Map<string, number>();
  private readonly caps: number[] = [Infinity];
  private window = 0;
  private book = new WindowBook();
  private costUsd = 0;
  private withinSlo = 0;
  private late = 0;
  private overBudget = 0;

  /**
   * @param spec - the scenario's budget (`onExhausted: reject`)
   * @param startMs - the scenario's start (the first window starts here)
   */
  constructor(
    spec: BudgetSpec,
    private readonly startMs: number,
  ) {
    this.limitUsd = spec.limit;
    this.periodMs = spec.period;
    for (const [name, cap] of Object.entries(spec.perProject)) {
      this.projectIndex.set(name, this.caps.length);
      this.caps.push(cap);
    }
  }

  /**
   * Books a request the plan serves (send times never go back).
   * @param atMs - its send time
   * @param project - its project
   * @param usd - its price
   * @param withinSlo - whether it meets its SLO bound
   */
  add(atMs: number, project: string, usd: number, withinSlo: boolean): void {
    const window = Math.floor((atMs - this.startMs) / this.periodMs);
    if (window !== this.window) {
      this.close();
      this.window = window;
    }
    this.book.add(usd, this.projectIndex.get(project) ?? 0, withinSlo);
  }

  /**
   * Ends the plan.
   * @returns what the budget keeps
   */
  finish(): BudgetedTotals {
    this.close();
    return { costUsd: this.costUsd, withinSlo: this.withinSlo, late: this.late, overBudget: this.overBudget };
  }

  /** Keeps the window's cheapest bookings that fit, then sums what is kept in booking order. */
  private close(): void {
    const { cost, project, withinSlo, n } = this.book;
    if (n === 0) return;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => cost[a]! - cost[b]! || a - b);
    const kept = new Uint8Array(n);
    const spent = new Float64Array(this.caps.length);
    let total = 0;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const usd = cost[i]!;
      // Ascending prices: once the limit is reached nothing after fits.
      if (total + usd > this.limitUsd + FIT_EPSILON_USD) break;
      const p = project[i]!;
      if (p !== 0 && spent[p]! + usd > this.caps[p]! + FIT_EPSILON_USD) continue;
      spent[p] = spent[p]! + usd;
      total += usd;
      kept[i] = 1;
    }
    for (let i = 0; i < n; i++) {
      if (kept[i] === 0) {
        this.overBudget++;
        continue;
      }
      this.costUsd += cost[i]!;
      if (withinSlo[i] === 1) this.withinSlo++;
      else this.late++;
    }
    this.book = new WindowBook();
  }
}
