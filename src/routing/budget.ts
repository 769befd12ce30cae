/**
 * Budget accounting as a gateway does it (docs/contract.md §2.6): spend counted per `period` window from the
 * scenario start, overall and per project; an alert fires once per window when spend crosses
 * each fraction of the limit (and of each project cap); with `onExhausted: reject` requests are
 * refused once the limit or their project's cap is spent (the rule: src/model/rules/budget.ts).
 * Live mode also holds the price of each admitted request until it is billed ({@link BudgetTracker.hold}).
 */
import { budgetRefusal, SPEND_EPSILON_USD, type BudgetRefusal } from '../model/rules/budget.js';
import type { Scenario } from '../scenario/schema.js';
import type { BudgetView } from './strategy.js';

/** The budget section of a scenario. */
export type BudgetSpec = NonNullable<Scenario['budget']>;

/** An alert as it fires. */
export interface FiredAlert {
  readonly threshold: number;
  readonly atMs: number;
  readonly project: string | undefined;
  readonly period: number;
}

/** Spend against one project's cap. */
interface ProjectSpend {
  readonly limitUsd: number;
  spentUsd: number;
  nextAlert: number;
  /** Held for this project's requests in flight, USD, and how many holds. */
  heldUsd: number;
  holds: number;
}

/** Spend against a budget over one run. */
export class BudgetTracker implements BudgetView {
  readonly limitUsd: number;
  spentUsd = 0;
  periodStartMs: number;
  periodEndMs: number;
  /** Total spent over the run, USD. */
  totalUsd = 0;
  private period = 0;
  private readonly periodMs: number;
  private readonly alerts: readonly number[];
  private nextAlert = 0;
  private readonly projects = new Map<string, ProjectSpend>();
  private readonly uncapped = { limitUsd: Infinity, spentUsd: 0 };
  /** Held for requests in flight, USD (live mode; the simulator holds nothing). */
  heldUsd = 0;
  private holds = 0;

  /**
   * @param spec - the scenario's budget, or undefined for none
   * @param startMs - scenario start (the first window starts here)
   */
  constructor(
    private readonly spec: BudgetSpec | undefined,
    private readonly startMs: number,
  ) {
    this.limitUsd = spec?.limit ?? Infinity;
    this.periodMs = spec?.period ?? Infinity;
    this.periodStartMs = startMs;
    this.periodEndMs = startMs + this.periodMs;
    this.alerts = [...(spec?.alerts ?? [])].sort((a, b) => a - b);
    for (const [name, limitUsd] of Object.entries(spec?.perProject ?? {})) this.projects.set(name, { limitUsd, spentUsd: 0, nextAlert: 0, heldUsd: 0, holds: 0 });
  }

  /**
   * Moves to the window containing `nowMs`, resetting spend at each new window.
   * @param nowMs - current time
   */
  advance(nowMs: number): void {
    if (nowMs < this.periodEndMs) return;
    this.period = Math.floor((nowMs - this.startMs) / this.periodMs);
    this.periodStartMs = this.startMs + this.period * this.periodMs;
    this.periodEndMs = this.periodStartMs + this.periodMs;
    this.spentUsd = 0;
    this.nextAlert = 0;
    for (const p of this.projects.values()) {
      p.spentUsd = 0;
      p.nextAlert = 0;
    }
  }

  project(name: string): { readonly limitUsd: number; readonly spentUsd: number } {
    return this.projects.get(name) ?? this.uncapped;
  }

  /**
   * Whether a request of a project must be refused now (`onExhausted: reject` and the limit or
   * the project's cap is spent).
   * @param project - the request's project
   * @param nowMs - current time
   * @returns the reason, or undefined when it may go ahead
   */
  refusal(project: string, nowMs: number): BudgetRefusal | undefined {
    this.advance(nowMs);
    return budgetRefusal(this.spec?.onExhausted, this, project, this.projects.get(project));
  }

  /**
   * Holds an admitted request's price until it is billed or let go ({@link release}): held
   * spend counts toward {@link refusal} as spent does. Holds outlive a window's end (the request
   * is still in flight); they fire no alert.
   * @param usd - the price held
   * @param project - the request's project
   */
  hold(usd: number, project: string): void {
    if (!(usd > 0)) return;
    this.heldUsd += usd;
    this.holds++;
    const p = this.projects.get(project);
    if (p) {
      p.heldUsd += usd;
      p.holds++;
    }
  }

  /**
   * Lets a {@link hold} go (the request was answered: what it cost is {@link spend}'s).
   * @param usd - the price held
   * @param project - the request's project
   */
  release(usd: number, project: string): void {
    if (!(usd > 0)) return;
    // The last hold let go leaves exactly 0, not the ulps a sum and its differences drift by.
    this.heldUsd = --this.holds === 0 ? 0 : this.heldUsd - usd;
    const p = this.projects.get(project);
    if (p) p.heldUsd = --p.holds === 0 ? 0 : p.heldUsd - usd;
  }

  /**
   * Adds spend and returns the alerts it fires.
   * @param costUsd - amount billed
   * @param project - the request's project ('' for account-level costs)
   * @param nowMs - when
   * @param fired - where fired alerts are pushed
   */
  spend(costUsd: number, project: string, nowMs: number, fired: FiredAlert[]): void {
    if (costUsd === 0) return;
    this.totalUsd += costUsd;
    if (this.spec === undefined) return;
    this.advance(nowMs);
    this.spentUsd += costUsd;
    while (this.nextAlert < this.alerts.length && this.spentUsd >= this.alerts[this.nextAlert]! * this.limitUsd - SPEND_EPSILON_USD) {
      fired.push({ threshold: this.alerts[this.nextAlert]!, atMs: nowMs, project: undefined, period: this.period });
      this.nextAlert++;
    }
    const p = this.projects.get(project);
    if (p) {
      p.spentUsd += costUsd;
      while (p.nextAlert < this.alerts.length && p.spentUsd >= this.alerts[p.nextAlert]! * p.limitUsd - SPEND_EPSILON_USD) {
        fired.push({ threshold: this.alerts[p.nextAlert]!, atMs: nowMs, project, period: this.period });
        p.nextAlert++;
      }
    }
  }
}
