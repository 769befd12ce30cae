/**
 * The budget in live mode (docs/contract.md §2.6, §6): the scenario's budget, fed with every billed
 * amount on the simulated clock, the alerts it fired (for `GET /_imgsim/ledger`), and, when the
 * scenario names a `budget.webhook`, one `budget.alert` event POSTed per alert in the background.
 *
 * With `onExhausted: reject` it also admits requests, by the simulator's rule
 * (`BudgetTracker.refusal`, src/model/rules/budget.ts): a request arriving once the window's
 * spend has reached the limit or its project's cap is refused. An admitted request's price is
 * held from admission until it is answered ({@link LiveBudget.hold}, {@link LiveBudget.settle}),
 * so requests in flight count too and the spend never passes a limit by more than one request.
 */
import type { BudgetRefusal } from '../model/rules/budget.js';
import { BudgetTracker, type FiredAlert } from '../routing/budget.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { WebhookSender, type WebhookOptions } from './webhook.js';

/** One fired alert as `GET /_imgsim/ledger` shows it. */
export interface BudgetAlertEntry {
  readonly threshold: number;
  /** When it fired, ISO 8601 simulated time. */
  readonly at: string;
  /** The project whose cap was crossed; absent for the overall limit. */
  readonly project?: string;
  /** Index of the budget window (0 = the first `period` from the scenario start). */
  readonly period: number;
}

/** The `budget` field of the ledger snapshot. */
export interface BudgetSnapshot {
  /** Spent in the current window, USD. */
  readonly spentUsd: number;
  readonly limitUsd: number;
  /** Held for admitted requests not answered yet, USD (`onExhausted: reject` only). */
  readonly heldUsd: number;
  /** Spend against each project cap (`perProject`) in the current window. */
  readonly projects: Readonly<Record<string, { readonly spentUsd: number; readonly limitUsd: number }>>;
  readonly alerts: readonly BudgetAlertEntry[];
}

/** The event POSTed to `budget.webhook` for each fired alert. */
export interface BudgetAlertEvent {
  readonly type: 'budget.alert';
  /** The scenario's name. */
  readonly scenario: string;
  readonly threshold: number;
  /** The project whose cap was crossed; null for the overall limit. */
  readonly project: string | null;
  readonly period: number;
  /** Spent in the window when the alert fired (the project's spend for a project alert), USD. */
  readonly spentUsd: number;
  /** The limit crossed (the project's cap for a project alert), USD. */
  readonly limitUsd: number;
  /** ISO 8601 simulated time. */
  readonly at: string;
}

/** Alerts kept for the ledger; older ones are forgotten (each window fires a handful). */
const MAX_ALERTS_KEPT = 1000;

/** A held price: what {@link LiveBudget.hold} took for a request in flight. */
interface Hold {
  readonly project: string;
  readonly usd: number;
}

/** A live server's budget: tracker, holds, fired alerts and webhook. */
export class LiveBudget {
  /** True when the budget refuses requests (`onExhausted: reject`): only then are prices held. */
  readonly enforced: boolean;
  private tracker: BudgetTracker;
  /** Prices held for requests in flight, by request id. */
  private readonly holds = new Map<string, Hold>();
  private alerts: BudgetAlertEntry[] = [];
  private readonly fired: FiredAlert[] = [];
  private readonly webhook: WebhookSender | undefined;

  /**
   * @param scenario - the scenario (its `budget`, `name` and `startMs`)
   * @param webhookOpts - options of the webhook sender (tests inject `fetch` and short delays)
   */
  constructor(
    private readonly scenario: ResolvedScenario,
    webhookOpts: WebhookOptions = {},
  ) {
    this.enforced = scenario.budget?.onExhausted === 'reject';
    this.tracker = new BudgetTracker(scenario.budget, scenario.startMs);
    const url = scenario.budget?.webhook;
    this.webhook = url === undefined ? undefined : new WebhookSender(url, webhookOpts);
  }

  /**
   * Whether a request arriving now must be refused (the simulator's rule, held prices counted).
   * @param project - the request's project
   * @param simNowMs - simulated now, epoch ms (a new window admits again)
   * @returns the reason (`budget`, `budget:<project>`), or undefined when it may go ahead
   */
  refusal(project: string, simNowMs: number): BudgetRefusal | undefined {
    return this.enforced ? this.tracker.refusal(project, simNowMs) : undefined;
  }

  /**
   * Holds an admitted request's price until {@link settle} (nothing without `onExhausted: reject`).
   * @param id - the request's id (its journal record's)
   * @param project - its project
   * @param usd - its price
   */
  hold(id: string, project: string, usd: number): void {
    if (!this.enforced || !(usd > 0)) return;
    this.holds.set(id, { project, usd });
    this.tracker.hold(usd, project);
  }

  /**
   * A request ended: lets its hold go and bills what it cost.
   * @param id - the request's id
   * @param costUsd - amount billed
   * @param project - the request's project
   * @param simNowMs - simulated now, epoch ms
   */
  settle(id: string, costUsd: number, project: string, simNowMs: number): void {
    if (this.holds.size > 0) {
      const held = this.holds.get(id);
      if (held !== undefined) {
        this.holds.delete(id);
        this.tracker.release(held.usd, held.project);
      }
    }
    this.bill(costUsd, project, simNowMs);
  }

  /**
   * Counts a billed amount; fires alerts (and queues their webhook events) as thresholds are crossed.
   * @param costUsd - amount billed
   * @param project - the request's project
   * @param simNowMs - simulated now, epoch ms
   */
  private bill(costUsd: number, project: string, simNowMs: number): void {
    if (!(costUsd > 0) || this.scenario.budget === undefined) return;
    this.tracker.spend(costUsd, project, simNowMs, this.fired);
    for (const a of this.fired) {
      const at = new Date(a.atMs).toISOString();
      if (this.alerts.length >= MAX_ALERTS_KEPT) this.alerts.shift();
      this.alerts.push({ threshold: a.threshold, at, ...(a.project === undefined ? {} : { project: a.project }), period: a.period });
      const of = a.project === undefined ? this.tracker : this.tracker.project(a.project);
      this.webhook?.send({
        type: 'budget.alert',
        scenario: this.scenario.name,
        threshold: a.threshold,
        project: a.project ?? null,
        period: a.period,
        spentUsd: of.spentUsd,
        limitUsd: of.limitUsd,
        at,
      } satisfies BudgetAlertEvent);
    }
    this.fired.length = 0;
  }

  /**
   * The ledger's `budget` field.
   * @param simNowMs - simulated now (a window that ended shows the new window's spend)
   * @returns the snapshot, or undefined when the scenario has no budget
   */
  snapshot(simNowMs: number): BudgetSnapshot | undefined {
    if (this.scenario.budget === undefined) return undefined;
    const t = this.tracker;
    t.advance(simNowMs);
    const projects: Record<string, { spentUsd: number; limitUsd: number }> = {};
    for (const name of Object.keys(this.scenario.budget.perProject)) {
      const p = t.project(name);
      projects[name] = { spentUsd: p.spentUsd, limitUsd: p.limitUsd };
    }
    return { spentUsd: t.spentUsd, limitUsd: t.limitUsd, heldUsd: t.heldUsd, projects, alerts: [...this.alerts] };
  }

  /** @returns Prometheus lines for the webhook counters (empty without a webhook) */
  metrics(): string {
    if (this.webhook === undefined) return '';
    const s = this.webhook.stats();
    return [
      '# HELP imgsim_webhook_failures_total Budget webhook deliveries that failed (each try: non-2xx, network error or timeout).',
      '# TYPE imgsim_webhook_failures_total counter',
      `imgsim_webhook_failures_total ${s.failures}`,
      '# HELP imgsim_webhook_events_total Budget webhook events, by result.',
      '# TYPE imgsim_webhook_events_total counter',
      `imgsim_webhook_events_total{result="delivered"} ${s.delivered}`,
      `imgsim_webhook_events_total{result="dropped"} ${s.dropped}`,
    ].join('\n') + '\n';
  }

  /** The webhook sender, when the scenario names one (tests wait on its `idle()`). */
  get sender(): WebhookSender | undefined {
    return this.webhook;
  }

  /**
   * Forgets spend and alerts (`POST /_imgsim/reset`): the window admits again. Requests still in
   * flight keep their holds (they will bill); queued webhook events still go out.
   */
  reset(): void {
    this.tracker = new BudgetTracker(this.scenario.budget, this.scenario.startMs);
    for (const h of this.holds.values()) this.tracker.hold(h.usd, h.project);
    this.alerts = [];
  }

  /** Stops pending webhook retries. */
  close(): void {
    this.webhook?.close();
  }
}
