/**
 * A small hand-made report: three strategies over two providers, one day. The numbers are
 * consistent with each other so tests can check arithmetic (shares, per-image cost) by hand.
 */
import type { Report, StrategyReport } from '../../src/metrics/report-types.js';

/** cheapest: mostly lumen; cheap but slow; fails its p95 threshold. */
function cheapest(): StrategyReport {
  return {
    name: 'cheapest',
    requests: { total: 1000, succeeded: 980, failed: 20, rejected: 0, deferred: 0 },
    successRate: 0.98,
    // 39.2 / 980 = 0.04
    cost: {
      total: 39.2,
      perSucceeded: 0.04,
      wasted: 0.8,
      byProvider: { lumen: 35.2, pixelforge: 4 },
      byProject: { app: 30, catalog: 9.2 },
      // One class per project: app is interactive, nightly (project catalog) batch.
      byUrgency: { interactive: 30, batch: 9.2 },
      byClass: { app: 30, nightly: 9.2 },
    },
    latencyMs: { mean: 8123.4, p50: 7900, p90: 14000, p95: 16500, p99: 21000, max: 29876.5 },
    attempts: { total: 1050, retries: 30, failovers: 20, recovered: 30, exhausted: 20, hedges: 0 },
    providers: {
      // 900 + 150 = 1050 attempts; 35.2 + 4 = 39.2 USD
      lumen: { attempts: 900, succeeded: 880, cost: 35.2, outcomes: { success: 880, 'server-error': 12, generative: 8 }, peakInFlight: 40, peakQueue: 3 },
      pixelforge: { attempts: 150, succeeded: 100, cost: 4, outcomes: { success: 100, 'rate-limited': 50 }, peakInFlight: 12, peakQueue: 0 },
    },
    // goodput = 900 attained / 86,400 s
    slo: {
      attainment: 0.9,
      goodput: 900 / 86_400,
      byUrgency: { interactive: { requests: 700, attained: 630, attainment: 0.9 }, batch: { requests: 300, attained: 270, attainment: 0.9 } },
      byClass: { app: { urgency: 'interactive', requests: 700, attained: 630, attainment: 0.9 }, nightly: { urgency: 'batch', requests: 300, attained: 270, attainment: 0.9 } },
      byProject: { app: { requests: 700, attained: 630, attainment: 0.9 }, catalog: { requests: 300, attained: 270, attainment: 0.9 } },
    },
    budget: {
      spent: 39.2,
      alerts: [
        { threshold: 0.5, at: '2026-06-01T10:00:00.000Z', period: 0 },
        { threshold: 0.8, at: '2026-06-01T16:00:00.000Z', period: 0 },
      ],
    },
    credits: { pixelforge: { bought: 200, used: 150, expired: 0, cash: 4, expiredUsd: 0, bundles: 2 } },
    thresholds: [
      { metric: 'latencyMs.p95', limit: 10_000, kind: 'max', value: 16_500, ok: false },
      { metric: 'successRate', limit: 0.97, kind: 'min', value: 0.98, ok: true },
    ],
    latencyByUrgency: { interactive: { mean: 7000, p50: 6900, p90: 12000, p95: 14000, p99: 19000, max: 25000 } },
    latencyByClass: { app: { mean: 7000, p50: 6900, p90: 12000, p95: 14000, p99: 19000, max: 25000 } },
    latencyByProject: { app: { mean: 7000, p50: 6900, p90: 12000, p95: 14000, p99: 19000, max: 25000 } },
    failures: { 'server-error': 12, generative: 8 },
    costByHour: [1.5, 1.7, 1.6],
    latencyCdfMs: [[2100, 0.01], [5000, 0.2], [7900, 0.5], [14000, 0.9], [16500, 0.95], [21000, 0.99], [29876.5, 1]],
    latencyCdfByUrgency: { interactive: [[2100, 0.01], [6900, 0.5], [14000, 0.95], [25000, 1]] },
    drained: { requests: 0, cost: 0 },
  };
}

/** fastest: mostly pixelforge; the best latency and success rate, the highest cost. */
function fastest(): StrategyReport {
  return {
    name: 'fastest',
    requests: { total: 1000, succeeded: 995, failed: 5, rejected: 0, deferred: 0 },
    successRate: 0.995,
    // 59.7 / 995 = 0.06
    cost: { total: 59.7, perSucceeded: 0.06, wasted: 0.9, byProvider: { lumen: 9.7, pixelforge: 50 }, byProject: { app: 45, catalog: 14.7 } },
    latencyMs: { mean: 1300.25, p50: 1200, p90: 1900, p95: 2100, p99: 2900, max: 4100 },
    attempts: { total: 1010, retries: 5, failovers: 10, recovered: 10, exhausted: 5, hedges: 0 },
    providers: {
      lumen: { attempts: 210, succeeded: 200, cost: 9.7, outcomes: { success: 200, timeout: 10 }, peakInFlight: 9, peakQueue: 0 },
      pixelforge: { attempts: 800, succeeded: 795, cost: 50, outcomes: { success: 795, 'server-error': 5 }, peakInFlight: 30, peakQueue: 2 },
    },
    slo: { attainment: 0.99, goodput: 990 / 86_400, byUrgency: {} },
    budget: {
      spent: 59.7,
      alerts: [
        { threshold: 0.5, at: '2026-06-01T08:00:00.000Z', period: 0 },
        { threshold: 0.8, at: '2026-06-01T13:00:00.000Z', period: 0 },
        { threshold: 0.8, at: '2026-06-01T14:00:00.000Z', project: 'catalog', period: 0 },
      ],
    },
    credits: { pixelforge: { bought: 1000, used: 800, expired: 0, cash: 20, expiredUsd: 0, bundles: 10 } },
    thresholds: [
      { metric: 'latencyMs.p95', limit: 10_000, kind: 'max', value: 2100, ok: true },
      { metric: 'successRate', limit: 0.97, kind: 'min', value: 0.995, ok: true },
    ],
    latencyByUrgency: {},
    failures: { timeout: 5 },
    costByHour: [2.5, 2.4, 2.6],
    latencyCdfMs: [[600, 0.01], [1200, 0.5], [1900, 0.9], [2100, 0.95], [2900, 0.99], [4100, 1]],
  };
}

/** primary-backup: lumen first, pixelforge on failure; ties cheapest on waste. */
function primaryBackup(): StrategyReport {
  return {
    name: 'primary-backup',
    requests: { total: 1000, succeeded: 990, failed: 10, rejected: 0, deferred: 0 },
    successRate: 0.99,
    // 44.55 / 990 = 0.045
    cost: { total: 44.55, perSucceeded: 0.045, wasted: 0.8, byProvider: { lumen: 42, pixelforge: 2.55 }, byProject: { app: 34, catalog: 10.55 } },
    latencyMs: { mean: 8400, p50: 8000, p90: 13500, p95: 15000, p99: 20000, max: 31000 },
    attempts: { total: 1040, retries: 0, failovers: 40, recovered: 30, exhausted: 10, hedges: 0 },
    providers: {
      lumen: { attempts: 1000, succeeded: 960, cost: 42, outcomes: { success: 960, 'server-error': 40 }, peakInFlight: 41, peakQueue: 4 },
      pixelforge: { attempts: 40, succeeded: 30, cost: 2.55, outcomes: { success: 30, overloaded: 10 }, peakInFlight: 2, peakQueue: 0 },
    },
    slo: { attainment: 0.95, goodput: 950 / 86_400, byUrgency: {} },
    budget: { spent: 44.55, alerts: [] },
    credits: {},
    thresholds: [
      { metric: 'latencyMs.p95', limit: 10_000, kind: 'max', value: 15_000, ok: false },
      { metric: 'successRate', limit: 0.97, kind: 'min', value: 0.99, ok: true },
    ],
    latencyByUrgency: {},
    failures: { 'server-error': 10 },
    costByHour: [],
    latencyCdfMs: [[3000, 0.01], [8000, 0.5], [13500, 0.9], [15000, 0.95], [20000, 0.99], [31000, 1]],
  };
}

/**
 * A fresh copy of the fixture report (tests may mutate it).
 * @returns the report
 */
export function makeReport(): Report {
  return {
    imgsim: '1.0.0',
    scenario: 'quickstart',
    scenarioHash: '0123456789abcdef',
    seed: 42,
    mode: 'sim',
    window: { start: '2026-06-01T00:00:00.000Z', end: '2026-06-02T00:00:00.000Z' },
    // p95 within 10 s; batch by 12 h and within 4 h.
    slo: { interactive: { boundMs: 10_000, target: 0.95 }, batch: { deadlineMs: 43_200_000, p95Ms: 14_400_000, target: 0.95 } },
    budget: { limit: 100, periodMs: 30 * 86_400_000, perProject: { catalog: 20 }, onExhausted: 'reject' },
    strategies: [cheapest(), fastest(), primaryBackup()],
  };
}

/**
 * Replaces one strategy of a report (the fixture's types are readonly).
 * @param report - the report
 * @param name - which strategy
 * @param patch - fields to change
 * @returns a new report
 */
export function withStrategy(report: Report, name: string, patch: Partial<StrategyReport>): Report {
  return { ...report, strategies: report.strategies.map((s) => (s.name === name ? { ...s, ...patch } : s)) };
}

/**
 * The fixture as a report of one urgency class: cheapest's batch class dropped from its SLO
 * figures and no per-class or per-project SLO, so the summary shows the pooled latency and SLO
 * columns (with one class they are that class's) and no group tables.
 * @returns the report
 */
export function makeOneUrgencyReport(): Report {
  const r = makeReport();
  return {
    ...r,
    strategies: r.strategies.map((s) => {
      return { ...s, slo: { attainment: s.slo.attainment, goodput: s.slo.goodput, byUrgency: s.slo.byUrgency.interactive === undefined ? {} : { interactive: s.slo.byUrgency.interactive } } };
    }),
  };
}
