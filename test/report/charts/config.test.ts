import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../../src/metrics/report-types.js';
import type { ResolvedScenario } from '../../../src/scenario/resolve.js';
import {
  buildCharts,
  costLatencyPoints,
  outcomeCategories,
  type ChartSpec,
  type Point,
} from '../../../src/report/charts/config.js';
import { OKABE_ITO, strategyStyle } from '../../../src/report/charts/palette.js';
import { paretoFrontier } from '../../../src/report/charts/pareto.js';
import { referenceRequest } from '../../../src/report/charts/provider-curves.js';
import { chartsRun } from './_report.js';

let scenario: ResolvedScenario;
let report: Report;
let charts: ChartSpec[];

beforeAll(async () => {
  ({ scenario, report } = await chartsRun());
  charts = buildCharts({ report, scenario });
});

type Dataset = { label: string; data: unknown[]; borderColor?: string; backgroundColor?: string };

function chart(id: string): Extract<ChartSpec, { kind: 'chart' }> {
  const c = charts.find((x) => x.id === id);
  if (c?.kind !== 'chart') throw new Error(`no drawn chart ${id}`);
  return c;
}

function datasets(id: string): Dataset[] {
  return chart(id).config.data.datasets as unknown as Dataset[];
}

function dataset(id: string, label: string): Dataset {
  const d = datasets(id).find((x) => x.label === label);
  if (!d) throw new Error(`no dataset ${label} in ${id}`);
  return d;
}

describe('chart configurations', () => {
  it('builds every chart, in order, as plain JSON the browser can take as it is', () => {
    expect(charts.map((c) => `${c.kind}:${c.id}`)).toEqual([
      'chart:cost-over-time',
      'chart:latency-cdf-interactive',
      'chart:latency-cdf-batch',
      'chart:cost-vs-latency',
      'chart:provider-share',
      'chart:outcomes',
      'chart:budget-burn-down',
      'chart:availability',
      'chart:effective-price',
    ]);
    for (const c of charts) if (c.kind === 'chart') expect(JSON.parse(JSON.stringify(c.config))).toEqual(c.config);
    // Chart.js needs these off outside a browser window, and they keep the PNG at 1200 x 700.
    const options = chart('cost-over-time').config.options as Record<string, unknown>;
    expect(options).toMatchObject({ responsive: false, animation: false, maintainAspectRatio: false });
  });

  it('is deterministic: the same report gives the same configurations', () => {
    expect(JSON.stringify(buildCharts({ report, scenario }))).toBe(JSON.stringify(charts));
  });

  it('ends each cumulative cost line at the strategy\'s cost.total, one point per hour', () => {
    for (const s of report.strategies) {
      const data = dataset('cost-over-time', s.name).data as Point[];
      expect(data[0]).toEqual({ x: 0, y: 0 });
      expect(data).toHaveLength(s.costByHour.length + 1);
      // Six simulated hours are drawn in hours: the point after hour h is at x = h + 1.
      expect(data.at(-1)!.x).toBe(s.costByHour.length);
      expect(data.at(-1)!.y).toBeCloseTo(s.cost.total, 9);
      expect(data[1]!.y).toBeCloseTo(s.costByHour[0]!, 12);
    }
  });

  it('draws each class\'s own CDF in seconds and percent, never the pooled one, each against its own SLO', () => {
    for (const s of report.strategies) {
      const interactive = s.latencyCdfByUrgency!.interactive!;
      const batch = s.latencyCdfByUrgency!.batch!;
      expect(interactive.length).toBeGreaterThan(20);
      expect(dataset('latency-cdf-interactive', s.name).data).toEqual(interactive.map(([ms, f]) => ({ x: ms / 1000, y: f * 100 })));
      expect(dataset('latency-cdf-batch', s.name).data).toEqual(batch.map(([ms, f]) => ({ x: ms / 1000, y: f * 100 })));
      expect(dataset('latency-cdf-interactive', s.name).data).not.toEqual(s.latencyCdfMs.map(([ms, f]) => ({ x: ms / 1000, y: f * 100 })));
    }
    // charts.yaml: interactive p95 <= 8s; the batch class's deadline is 2h (7,200 s).
    expect(dataset('latency-cdf-interactive', 'SLO bound: 8s').data).toEqual([
      { x: 8, y: 0 },
      { x: 8, y: 100 },
    ]);
    expect((dataset('latency-cdf-interactive', 'SLO target: 95%').data as Point[]).map((p) => p.y)).toEqual([95, 95]);
    expect(dataset('latency-cdf-batch', 'deadline: 2h').data).toEqual([
      { x: 7200, y: 0 },
      { x: 7200, y: 100 },
    ]);
    expect(datasets('latency-cdf-batch').map((d) => d.label)).not.toContain('SLO bound: 8s');
    const scales = (chart('latency-cdf-batch').config.options as { scales: { x: { type: string } } }).scales;
    expect(scales.x.type).toBe('logarithmic');
  });

  it('skips the batch CDF when no strategy served batch requests', () => {
    const interactiveOnly = {
      ...report,
      strategies: report.strategies.map((s) => ({ ...s, latencyCdfByUrgency: { interactive: s.latencyCdfByUrgency!.interactive! } })),
    };
    const ids = buildCharts({ report: interactiveOnly, scenario }).map((c) => `${c.kind}:${c.id}`);
    expect(ids).toContain('skipped:latency-cdf-batch');
    expect(ids).toContain('chart:latency-cdf-interactive');
  });

  it('places each strategy at (interactive p95 s, cost per image) and draws the Pareto frontier through the undominated ones', () => {
    const points = costLatencyPoints(report);
    expect(points.map((p) => p.strategy)).toEqual(report.strategies.map((s) => s.name));
    for (const s of report.strategies) {
      expect(dataset('cost-vs-latency', s.name).data).toEqual([{ x: s.latencyByUrgency.interactive!.p95 / 1000, y: s.cost.perSucceeded }]);
      expect(s.latencyByUrgency.interactive!.p95).not.toBe(s.latencyMs.p95);
    }
    const frontier = dataset('cost-vs-latency', 'Pareto frontier').data as Point[];
    // Computed here from the report, pair by pair: a strategy is on the frontier when no other is
    // at least as fast and as cheap and better on one axis; left to right, equal points once.
    const xy = report.strategies.map((s) => ({ x: s.latencyByUrgency.interactive!.p95 / 1000, y: s.cost.perSucceeded }));
    const beaten = (q: Point) => xy.some((p) => p.x <= q.x && p.y <= q.y && (p.x < q.x || p.y < q.y));
    const undominated = xy.filter((q, i) => !beaten(q) && xy.findIndex((p) => p.x === q.x && p.y === q.y) === i);
    expect(undominated.length).toBeGreaterThan(0);
    expect(frontier).toEqual(undominated.sort((a, b) => a.x - b.x));
  });

  it('gives a strategy the same colour in every chart, by its index in the report', () => {
    const lineCharts = ['cost-over-time', 'latency-cdf-interactive', 'latency-cdf-batch', 'cost-vs-latency', 'budget-burn-down'];
    report.strategies.forEach((s, i) => {
      const colours = lineCharts.map((id) => dataset(id, s.name).borderColor);
      expect(colours).toEqual(lineCharts.map(() => OKABE_ITO[i]));
    });
    // Past eight strategies the colours repeat with another point shape and dash.
    expect(strategyStyle(8).color).toBe(strategyStyle(0).color);
    expect(strategyStyle(8).pointStyle).not.toBe(strategyStyle(0).pointStyle);
    expect(strategyStyle(8).dash).not.toEqual(strategyStyle(0).dash);
  });

  it('splits each strategy\'s attempts among providers, adding up to 100%', () => {
    const config = chart('provider-share').config;
    expect(config.data.labels).toEqual(report.strategies.map((s) => s.name));
    const sets = datasets('provider-share');
    expect(sets.map((d) => d.label)).toEqual(scenario.providers.map((p) => p.id));
    report.strategies.forEach((s, i) => {
      const total = sets.reduce((sum, d) => sum + (d.data[i] as number), 0);
      expect(total).toBeCloseTo(100, 9);
      // steady's share = its attempts / all attempts
      const attempts = Object.values(s.providers).reduce((sum, p) => sum + p.attempts, 0);
      expect(sets[0]!.data[i]).toBeCloseTo((100 * s.providers.steady!.attempts) / attempts, 9);
    });
  });

  it('accounts for every request in the outcome breakdown', () => {
    const categories = outcomeCategories(report);
    expect(categories[0]!.label).toBe('succeeded: first try');
    expect(categories[1]!.label).toBe('succeeded: after failover or retry');
    report.strategies.forEach((s, i) => {
      expect(categories.reduce((sum, c) => sum + c.counts[i]!, 0)).toBe(s.requests.total);
      expect(categories[1]!.counts[i]).toBe(s.attempts.recovered);
    });
  });

  it('pools rare rejection reasons and orders failure kinds as the contract lists them', () => {
    const base = report.strategies[0]!;
    const failures = { timeout: 2, 'server-error': 3, a: 6, b: 5, c: 4, d: 3, e: 2, f: 1, g: 1 };
    const crafted: Report = { ...report, strategies: [{ ...base, failures, requests: { ...base.requests, total: base.requests.succeeded + 27 } }] };
    const labels = outcomeCategories(crafted).map((c) => c.label);
    expect(labels.slice(2)).toEqual([
      'failed: server-error',
      'failed: timeout',
      'rejected: a',
      'rejected: b',
      'rejected: c',
      'rejected: d',
      'rejected: e',
      'rejected: 2 other reasons',
    ]);
    expect(outcomeCategories(crafted).at(-1)!.counts).toEqual([2]);
  });

  it('burns the budget down per period and draws a line at each alert threshold', () => {
    // limit $150 per 4h period, alerts at 50/80/100%: lines at $75, $30 and $0 left.
    const labels = datasets('budget-burn-down').map((d) => d.label);
    expect(labels.slice(-3)).toEqual(['50% alert ($75.00 left)', '80% alert ($30.00 left)', '100% alert ($0.00 left)']);
    expect((dataset('budget-burn-down', '80% alert ($30.00 left)').data as Point[]).map((p) => p.y)).toEqual([30, 30]);
    for (const s of report.strategies) {
      const data = dataset('budget-burn-down', s.name).data as Point[];
      const firstPeriod = s.costByHour.slice(0, 4).reduce((a, b) => a + b, 0);
      // At 4h the line drops to what the first period left, then jumps back to the limit.
      const reset = data.findIndex((p, i) => i > 0 && p.x === 4 && p.y === 150);
      expect(reset).toBeGreaterThan(0);
      expect(data[reset - 1]!.y).toBeCloseTo(150 - firstPeriod, 9);
      const secondPeriod = s.costByHour.slice(4).reduce((a, b) => a + b, 0);
      expect(data.at(-1)!.y).toBeCloseTo(150 - secondPeriod, 9);
    }
  });

  it('skips the budget chart, saying why, when the scenario has no budget', () => {
    const noBudget: ResolvedScenario = { ...scenario, budget: undefined };
    const spec = buildCharts({ report, scenario: noBudget }).find((c) => c.id === 'budget-burn-down')!;
    expect(spec).toEqual({ kind: 'skipped', id: 'budget-burn-down', title: 'Budget burn-down', reason: 'The scenario has no budget.' });
  });

  it('samples availability from the seeded curve and prices the reference request with off-peak and dynamic factors', () => {
    // A 6 h window is sampled every 5 minutes: 73 points from 0 to 6 h.
    const steady = dataset('availability', 'steady').data as Point[];
    expect(steady).toHaveLength(73);
    expect(steady[12]!.x).toBe(1);
    // steady has no noise: a(h) = 0.95 − 0.05 · cos(2π (h − 14) / 24), h the UTC hour. At 00:00
    // cos(−210°) = −0.8660 → 0.99330; at 02:00 cos(−180°) = −1 → 1; at 06:00 cos(−120°) = −0.5 → 0.975.
    expect(steady[0]!.y).toBeCloseTo(0.9933013, 6);
    expect(steady[24]!.y).toBeCloseTo(1, 12);
    expect(steady[72]!.y).toBeCloseTo(0.975, 12);
    steady.forEach((p) => expect(p.y).toBeCloseTo(0.95 - 0.05 * Math.cos((2 * Math.PI * (p.x - 14)) / 24), 12));
    // spot is noisy (seeded, mean-reverting to 0.5, sd 0.15): in [0, 1], moving, centred near 0.5...
    const spotA = (dataset('availability', 'spot').data as Point[]).map((p) => p.y);
    expect(spotA).toHaveLength(73);
    for (const a of spotA) expect(a >= 0 && a <= 1).toBe(true);
    const open = spotA.filter((_, i) => i < 36 || i >= 40);
    expect(new Set(open).size).toBeGreaterThan(60);
    expect(Math.abs(open.reduce((a, b) => a + b, 0) / open.length - 0.5)).toBeLessThan(0.15);
    // ...and 0 during the scheduled outage 3:00-3:20 (samples 36 to 39), and only then.
    expect(spotA.slice(36, 40)).toEqual([0, 0, 0, 0]);
    expect(open.every((a) => a > 0)).toBe(true);
    // Another seed, another curve: the noise follows the report's seed.
    const reseeded = buildCharts({ report: { ...report, seed: report.seed + 1 }, scenario }).find((c) => c.id === 'availability');
    if (reseeded?.kind !== 'chart') throw new Error('no availability chart');
    const spotB = (reseeded.config.data.datasets.find((d) => d.label === 'spot')!.data as Point[]).map((p) => p.y);
    expect(spotB.filter((a, i) => a !== spotA[i]).length).toBeGreaterThan(60);

    const ref = referenceRequest(scenario);
    // The heaviest mix class, "app": 1024x1024 at 30 steps.
    expect(ref.request).toMatchObject({ size: '1024x1024', steps: 30, features: [] });
    const steadyPrice = (dataset('effective-price', 'steady').data as Point[]).map((p) => p.y);
    // per-step: 30 × $0.001 = $0.03; off-peak 02:00-04:00 UTC 30% off = $0.021.
    expect(steadyPrice[0]).toBeCloseTo(0.03, 12);
    expect(steadyPrice[24]).toBeCloseTo(0.021, 12); // 02:00
    expect(steadyPrice[47]).toBeCloseTo(0.021, 12); // 03:55
    expect(steadyPrice[48]).toBeCloseTo(0.03, 12); // 04:00
    const spotPrice = (dataset('effective-price', 'spot').data as Point[]).map((p) => p.y);
    // dynamic, range 0.4: $0.03 × (1 + 0.4 × (1 − 2a)), a the availability drawn at the same instant.
    spotPrice.forEach((usd, i) => expect(usd).toBeCloseTo(0.03 * (1 + 0.4 * (1 - 2 * spotA[i]!)), 12));
    // During the outage a = 0: the dynamic price is at its ceiling, 1.4 × $0.03.
    expect(spotPrice[36]).toBeCloseTo(0.042, 12);
  });
});

describe('paretoFrontier', () => {
  it('keeps the points no other beats on both axes, left to right', () => {
    const a = { x: 1, y: 5 };
    const b = { x: 2, y: 3 };
    const c = { x: 3, y: 4 }; // beaten by b on both
    const d = { x: 4, y: 1 };
    const e = { x: 2, y: 3 }; // a duplicate of b
    const f = { x: 5, y: 1 }; // as cheap as d, slower
    const g = { x: 1, y: 6 }; // as fast as a, dearer
    expect(paretoFrontier([c, f, d, e, g, b, a])).toEqual([a, b, d]);
    expect(paretoFrontier([])).toEqual([]);
    expect(paretoFrontier([{ x: Number.NaN, y: 1 }, c])).toEqual([c]);
  });
});
