/**
 * Budget alerts in live mode (docs/contract.md §2.6): the scenario's budget, fed with every billed amount on
 * the simulated clock, the alerts it fired (for `GET /_imgsim/ledger`), and, when the scenario
 * names a `budget.webhook`, one `budget.alert` event POSTed per alert in the background.
 * Live mode reports and alerts; it does not refuse requests over budget.
 */
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

/** A live server's budget: tracker, fired alerts and webhook. */
export class LiveBudget {
  private tracker: BudgetTracker;
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
    this.tracker = new BudgetTracker(scenario.budget, scenario.startMs);
    const url = scenario.budget?.webhook;
    this.webhook = url === undefined ? undefined : new WebhookSender(url, webhookOpts);
  }

  /**
   * Counts a billed amount; fires alerts (and queues their webhook events) as thresholds are crossed.
   * @param costUsd - amount billed
   * @param project - the request's project
   * @param simNowMs - simulated now, epoch ms
   */
  bill(costUsd: number, project: string, simNowMs: number): void {
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
    this.tracker.advance(simNowMs);
    return { spentUsd: this.tracker.spentUsd, limitUsd: this.tracker.limitUsd, alerts: [...this.alerts] };
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

  /** Forgets spend and alerts (`POST /_imgsim/reset`); queued webhook events still go out. */
  reset(): void {
    this.tracker = new BudgetTracker(this.scenario.budget, this.scenario.startMs);
    this.alerts = [];
  }

  /** Stops pending webhook retries. */
  close(): void {
    this.webhook?.close();
  }
}
