/**
 * Budget accounting as a gateway does it (docs/contract.md §2.6): spend counted per `period` window from the
 * scenario start, overall and per project; an alert fires once per window when spend crosses
 * each fraction of the limit (and of each project cap); with `onExhausted: reject` requests are
 * refused once the limit or their project's cap is spent.
 */
import type { Scenario } from '../scenario/schema.js';
import type { BudgetView } from './strategy.js';

/** Sums of float prices drift by ulps (10 × 0.05 = 0.49999999999999994): a millionth of a cent is "reached". */
const SPEND_EPSILON_USD = 1e-8;

/** The budget section of a scenario. */
export type BudgetSpec = NonNullable<Scenario['budget']>;

/** An alert as it fires. */
export interface FiredAlert {
  readonly threshold: number;
  readonly atMs: number;
  readonly project: string | undefined;
  readonly period: number;
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
  private readonly projects = new Map<string, { limitUsd: number; spentUsd: number; nextAlert: number }>();
  private readonly uncapped = { limitUsd: Infinity, spentUsd: 0 };

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
    for (const [name, limitUsd] of Object.entries(spec?.perProject ?? {})) this.projects.set(name, { limitUsd, spentUsd: 0, nextAlert: 0 });
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
  refusal(project: string, nowMs: number): string | undefined {
    this.advance(nowMs);
    if (this.spec?.onExhausted !== 'reject') return undefined;
    if (this.spentUsd >= this.limitUsd) return 'budget';
    const p = this.projects.get(project);
    return p && p.spentUsd >= p.limitUsd ? `budget:${project}` : undefined;
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
