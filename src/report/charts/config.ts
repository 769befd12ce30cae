/**
 * The report's charts as Chart.js configurations: one builder per chart, from a report and the
 * scenario it ran. The configurations are plain JSON (no callbacks), so the PNG renderer
 * (`png.ts`) and the browser (`report.html`) draw the very same objects and can never disagree.
 * A strategy has the same colour in every chart (by its index in the report), a provider too (by
 * its index in the scenario); see `palette.ts`.
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import { OUTCOME_KINDS } from '../../scenario/schema.js';
import type { ResolvedScenario } from '../../scenario/resolve.js';
import { formatDuration } from '../../scenario/units.js';
import type { Report, StrategyReport } from '../../metrics/report-types.js';
import { percent, usd } from '../format.js';
import { OTHER_OUTCOME_COLORS, OUTCOME_COLORS, providerStyle, strategyStyle } from './palette.js';
import { axis, baseOptions, lineChart, lineDataset, referenceLine, REFERENCE_COLOR, type Point } from './layout.js';
import { paretoFrontier } from './pareto.js';
import { describeStep, providerCurves } from './provider-curves.js';

/** Size of every chart, px. */
export const CHART_WIDTH = 1200;
/** Size of every chart, px. */
export const CHART_HEIGHT = 700;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Windows longer than this are drawn in days, shorter ones in hours. */
const DAYS_ABOVE_MS = 3 * DAY_MS;
/** Rejection reasons drawn one by one in the outcomes chart; the rest are pooled as "other". */
const MAX_REJECTION_REASONS = 5;

export type { Point } from './layout.js';

/** The configurations the builders make. */
export type ChartConfig = ChartConfiguration<'line', Point[]> | ChartConfiguration<'scatter', Point[]> | ChartConfiguration<'bar', number[], string>;

/** One chart of the report: drawn, or skipped with the reason. */
export type ChartSpec =
  | {
      readonly kind: 'chart';
      /** File-name stem and HTML id: `cost-over-time`. */
      readonly id: string;
      readonly title: string;
      /** What the chart shows and how to read it, one or two sentences. */
      readonly caption: string;
      readonly config: ChartConfig;
    }
  | { readonly kind: 'skipped'; readonly id: string; readonly title: string; readonly reason: string };

/** What the builders read: the report and the scenario that produced it. */
export interface ChartInput {
  readonly report: Report;
  readonly scenario: ResolvedScenario;
}

/** The time axis: hours or days from the window start. */
interface TimeAxis {
  readonly unitMs: number;
  readonly title: string;
}

function timeAxis(report: Report): TimeAxis {
  const startMs = Date.parse(report.window.start);
  const windowMs = Date.parse(report.window.end) - startMs;
  const days = windowMs > DAYS_ABOVE_MS;
  const from = Number.isNaN(startMs) ? 'the start' : report.window.start.replace(/:00\.000Z$/, 'Z');
  return { unitMs: days ? DAY_MS : HOUR_MS, title: `simulated time (${days ? 'days' : 'hours'} from ${from})` };
}

// ---------------------------------------------------------------------------------------------
// The charts

/**
 * Cumulative cost per strategy, one point per hour of `costByHour`: the last point of each line
 * is the strategy's `cost.total`.
 * @param input - report and scenario
 * @returns the chart
 */
export function costOverTimeChart({ report }: ChartInput): ChartSpec {
  const time = timeAxis(report);
  const datasets = report.strategies.map((s, i) => {
    const data: Point[] = [{ x: 0, y: 0 }];
    let cumulative = 0;
    s.costByHour.forEach((c, h) => {
      cumulative += c;
      data.push({ x: ((h + 1) * HOUR_MS) / time.unitMs, y: cumulative });
    });
    return lineDataset(s.name, data, strategyStyle(i));
  });
  return {
    kind: 'chart',
    id: 'cost-over-time',
    title: 'Cumulative cost over simulated time',
    caption:
      'Money billed so far by each strategy, hour by hour (expired credits included). A line can go on past the window end while work that arrived in it finishes.',
    config: lineChart('Cumulative cost over simulated time', datasets, axis(time.title, { min: 0 }), axis('cost so far (USD)', { min: 0 })),
  };
}

/** The interactive SLO bound the scenario sets: the percentile and the latency, ms. */
export function interactiveSlo(scenario: ResolvedScenario): { percentile: number; boundMs: number } | undefined {
  const slo = scenario.slo.interactive;
  if (slo === undefined) return undefined;
  // The first one set, in the order docs/report.md gives: p95, p99, p90, p50.
  for (const p of [95, 99, 90, 50] as const) {
    const bound = slo[`p${p}`];
    if (bound !== undefined) return { percentile: p, boundMs: bound };
  }
  return undefined;
}

/** The deadlines of the scenario's batch classes (the SLO's default included), ms, increasing. */
export function batchDeadlines(scenario: ResolvedScenario): number[] {
  const set = new Set<number>();
  if (scenario.slo.batch?.deadline !== undefined) set.add(scenario.slo.batch.deadline);
  if (scenario.traffic.kind === 'synthetic') {
    for (const m of scenario.traffic.mix) if (m.urgency === 'batch' && m.deadline !== undefined) set.add(m.deadline);
  }
  return [...set].sort((a, b) => a - b);
}

/** Dashes of the grey vertical SLO lines (bounds, deadlines), none of them the target's [3, 4]. */
const REFERENCE_DASHES: readonly (readonly number[])[] = [[8, 5], [14, 4, 2, 4], [1, 3]];
/** Dashes of the grey budget alert lines (the last alert is black). */
const ALERT_DASHES: readonly (readonly number[])[] = [[8, 5], [3, 4], [14, 4, 2, 4], [1, 3], [20, 5], [6, 3, 1, 3, 1, 3]];

/** Deadlines drawn one by one on the batch CDF; more are named in the caption only. */
const MAX_DEADLINE_LINES = 3;

/**
 * The latency CDF of one urgency class (`latencyCdfByUrgency`) per strategy on a log time axis,
 * against that class's own SLO: the interactive bound and percentile, or the batch deadlines and
 * target. Never the pooled `latencyCdfMs`: classes with different deadlines are never mixed.
 * @param input - report and scenario
 * @param urgency - the class drawn
 * @returns the chart, or a skipped entry when no strategy served that class
 */
export function latencyCdfChart({ report, scenario }: ChartInput, urgency: 'interactive' | 'batch'): ChartSpec {
  const id = `latency-cdf-${urgency}`;
  const title = `Latency distribution (CDF), ${urgency} requests`;
  const datasets: ChartDataset<'line', Point[]>[] = [];
  let minS = Infinity;
  let maxS = 0;
  report.strategies.forEach((s, i) => {
    const cdf = s.latencyCdfByUrgency?.[urgency] ?? [];
    const data = cdf.filter(([ms]) => ms > 0).map(([ms, fraction]) => ({ x: ms / 1000, y: fraction * 100 }));
    if (data.length === 0) return;
    minS = Math.min(minS, data[0]!.x);
    maxS = Math.max(maxS, data.at(-1)!.x);
    datasets.push(lineDataset(s.name, data, strategyStyle(i)));
  });
  if (datasets.length === 0) return { kind: 'skipped', id, title, reason: `No strategy served ${urgency} requests (or the report predates per-class CDFs).` };
  const target = (percentile: number, lo: number, hi: number): void => {
    datasets.push(referenceLine(`SLO target: ${percentile}%`, [{ x: Math.min(minS, lo), y: percentile }, { x: Math.max(maxS, hi), y: percentile }], [3, 4]));
  };
  let sloText: string;
  if (urgency === 'interactive') {
    const slo = interactiveSlo(scenario);
    sloText = 'The scenario sets no interactive latency SLO.';
    if (slo !== undefined) {
      const boundS = slo.boundMs / 1000;
      const bound = formatDuration(slo.boundMs);
      datasets.push(referenceLine(`SLO bound: ${bound}`, [{ x: boundS, y: 0 }, { x: boundS, y: 100 }], [8, 5]));
      target(slo.percentile, boundS, boundS);
      sloText = `Grey lines: the interactive SLO, p${slo.percentile} ≤ ${bound} (${slo.percentile}% within ${bound}); a curve that passes above and left of their crossing meets it.`;
    }
  } else {
    const deadlines = batchDeadlines(scenario);
    const drawn = deadlines.slice(0, MAX_DEADLINE_LINES);
    drawn.forEach((d, k) =>
      datasets.push(referenceLine(`deadline: ${formatDuration(d)}`, [{ x: d / 1000, y: 0 }, { x: d / 1000, y: 100 }], REFERENCE_DASHES[k % REFERENCE_DASHES.length]!)),
    );
    const pct = report.slo === undefined || Number.isNaN(report.slo.batch.target) ? undefined : Math.round(report.slo.batch.target * 1000) / 10;
    if (pct !== undefined && drawn.length > 0) target(pct, drawn[0]! / 1000, drawn.at(-1)! / 1000);
    sloText =
      deadlines.length === 0
        ? 'The scenario sets no batch deadline.'
        : `Grey lines: the batch deadline${deadlines.length > 1 ? 's' : ''} (${deadlines.map((d) => formatDuration(d)).join(', ')})${pct === undefined ? '' : ` and the ${pct}% target`}; a batch request meets its SLO when it is answered within its class's deadline.`;
  }
  return {
    kind: 'chart',
    id,
    title,
    caption: `Share of each strategy's succeeded ${urgency} requests answered within a given time, on a log time axis; further left and higher is faster. ${sloText}`,
    config: lineChart(
      `Latency distribution of succeeded ${urgency} requests (CDF)`,
      datasets,
      axis(`${urgency} latency, arrival to answer (log scale)`, { type: 'logarithmic', imgsimTicks: 'duration-s' }),
      axis(`succeeded ${urgency} requests answered within (%)`, { min: 0, max: 100 }),
    ),
  };
}

/** A strategy's place in the cost-latency plane. */
export interface CostLatencyPoint extends Point {
  readonly strategy: string;
  readonly index: number;
}

/** The class the cost-latency chart reads: interactive when any strategy served it, else batch. */
export function latencyClass(report: Report): 'interactive' | 'batch' {
  return report.strategies.some((s) => s.latencyByUrgency.interactive !== undefined) ? 'interactive' : 'batch';
}

/**
 * Each strategy's p95 latency (s) of the latency-sensitive class ({@link latencyClass}: the
 * interactive p95, never one pooled over classes) and its cost per succeeded image (USD);
 * strategies with no success in that class are left out.
 * @param report - the report
 * @returns one point per strategy with a success, in report order
 */
export function costLatencyPoints(report: Report): CostLatencyPoint[] {
  const urgency = latencyClass(report);
  const points: CostLatencyPoint[] = [];
  report.strategies.forEach((s, index) => {
    const p95 = s.latencyByUrgency[urgency]?.p95;
    if (s.requests.succeeded > 0 && p95 !== undefined) points.push({ strategy: s.name, index, x: p95 / 1000, y: s.cost.perSucceeded });
  });
  return points;
}

/**
 * Cost per image against the latency-sensitive class's p95 latency, one point per strategy, and
 * the Pareto frontier through the strategies no other beats on both.
 * @param input - report and scenario
 * @returns the chart
 */
export function costLatencyChart({ report }: ChartInput): ChartSpec {
  const urgency = latencyClass(report);
  const points = costLatencyPoints(report);
  const datasets = points.map((p): ChartDataset<'scatter', Point[]> => {
    const style = strategyStyle(p.index);
    return {
      label: p.strategy,
      data: [{ x: p.x, y: p.y }],
      borderColor: style.color,
      backgroundColor: style.color,
      pointStyle: style.pointStyle,
      pointRadius: 9,
      pointHoverRadius: 11,
    };
  });
  const frontier = paretoFrontier(points);
  datasets.push({
    label: 'Pareto frontier',
    data: frontier.map((p) => ({ x: p.x, y: p.y })),
    showLine: true,
    borderColor: REFERENCE_COLOR,
    backgroundColor: REFERENCE_COLOR,
    borderDash: [8, 5],
    borderWidth: 2,
    pointRadius: 0,
    pointStyle: 'line',
  });
  const names = frontier.map((p) => p.strategy).join(', ');
  const title = `Cost per image vs ${urgency} p95 latency`;
  return {
    kind: 'chart',
    id: 'cost-vs-latency',
    title,
    caption: `One point per strategy: its cost per succeeded image (all classes) against the p95 latency of its ${urgency} requests only${urgency === 'batch' ? ' (the traffic has no interactive class)' : ''}; lower-left is better. The dashed line joins the Pareto frontier, the strategies no other beats on both cost and latency${names === '' ? '' : `: ${names}`}.`,
    config: {
      type: 'scatter',
      data: { datasets },
      options: baseOptions(
        `${title} (lower-left is better)`,
        axis(`p95 latency of succeeded ${urgency} requests (log scale)`, { type: 'logarithmic', imgsimTicks: 'duration-s' }),
        axis('cost per succeeded image (USD)'),
        'point',
      ),
    } as ChartConfiguration<'scatter', Point[]>,
  };
}

function barChart(title: string, labels: string[], datasets: ChartDataset<'bar', number[]>[], xTitle: string): ChartConfiguration<'bar', number[], string> {
  const options = baseOptions(title, axis(xTitle, { stacked: true, min: 0, max: 100 }), axis('strategy', { stacked: true }), 'box');
  return { type: 'bar', data: { labels, datasets }, options: { ...options, indexAxis: 'y' } };
}

function barDataset(label: string, data: number[], color: string): ChartDataset<'bar', number[]> {
  return { label, data, backgroundColor: color, borderColor: '#ffffff', borderWidth: 1 };
}

/**
 * Each strategy's attempts split by provider, as stacked percentages.
 * @param input - report and scenario
 * @returns the chart
 */
export function providerShareChart({ report, scenario }: ChartInput): ChartSpec {
  const labels = report.strategies.map((s) => s.name);
  const totals = report.strategies.map((s) => Object.values(s.providers).reduce((sum, p) => sum + p.attempts, 0));
  const datasets = scenario.providers.map((p) =>
    barDataset(
      p.id,
      report.strategies.map((s, i) => {
        const attempts = s.providers[p.id]?.attempts ?? 0;
        return totals[i]! > 0 ? (100 * attempts) / totals[i]! : 0;
      }),
      providerStyle(p.index).color,
    ),
  );
  return {
    kind: 'chart',
    id: 'provider-share',
    title: 'Provider share of attempts',
    caption: "Where each strategy sent its attempts: each provider's share of the strategy's attempts (failovers and retries included).",
    config: barChart('Provider share of attempts', labels, datasets, 'share of attempts (%)'),
  };
}

/** One category of the outcomes chart and its count per strategy. */
export interface OutcomeCategory {
  readonly label: string;
  readonly color: string;
  readonly counts: readonly number[];
}

const FAILED_REASONS: readonly string[] = [...OUTCOME_KINDS, 'client-error', 'no-candidate'];

/**
 * How each strategy's requests ended: succeeded at the first try, succeeded after a failover or
 * retry (`attempts.recovered`), failed by the outcome of the last attempt, rejected by reason
 * (the five most common reasons, the rest as "other"). Per strategy the counts add up to
 * `requests.total`.
 * @param report - the report
 * @returns the categories, in drawing order
 */
export function outcomeCategories(report: Report): OutcomeCategory[] {
  const strategies = report.strategies;
  const reasons = new Map<string, number>();
  for (const s of strategies) for (const [reason, n] of Object.entries(s.failures)) reasons.set(reason, (reasons.get(reason) ?? 0) + n);
  const failed = FAILED_REASONS.filter((r) => reasons.has(r));
  const rejected = [...reasons.keys()]
    .filter((r) => !FAILED_REASONS.includes(r))
    .sort((a, b) => reasons.get(b)! - reasons.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
  const shown = rejected.slice(0, MAX_REJECTION_REASONS);
  const pooled = rejected.slice(MAX_REJECTION_REASONS);
  const of = (read: (s: StrategyReport) => number): number[] => strategies.map(read);
  const categories: OutcomeCategory[] = [
    { label: 'succeeded: first try', color: OUTCOME_COLORS['first try']!, counts: of((s) => s.requests.succeeded - s.attempts.recovered) },
    { label: 'succeeded: after failover or retry', color: OUTCOME_COLORS['after failover or retry']!, counts: of((s) => s.attempts.recovered) },
    ...failed.map((r) => ({ label: `failed: ${r}`, color: OUTCOME_COLORS[r] ?? OTHER_OUTCOME_COLORS[0], counts: of((s) => s.failures[r] ?? 0) })),
    ...shown.map((r, i) => ({
      label: `rejected: ${r}`,
      color: OTHER_OUTCOME_COLORS[i % OTHER_OUTCOME_COLORS.length]!,
      counts: of((s) => s.failures[r] ?? 0),
    })),
  ];
  if (pooled.length > 0) {
    categories.push({
      label: `rejected: ${pooled.length} other reasons`,
      color: OTHER_OUTCOME_COLORS[shown.length % OTHER_OUTCOME_COLORS.length]!,
      counts: of((s) => pooled.reduce((sum, r) => sum + (s.failures[r] ?? 0), 0)),
    });
  }
  return categories.filter((c) => c.counts.some((n) => n > 0));
}

/**
 * How requests ended, per strategy, as stacked percentages of its requests.
 * @param input - report and scenario
 * @returns the chart
 */
export function outcomesChart({ report }: ChartInput): ChartSpec {
  const labels = report.strategies.map((s) => s.name);
  const datasets = outcomeCategories(report).map((c) =>
    barDataset(
      c.label,
      c.counts.map((n, i) => {
        const total = report.strategies[i]!.requests.total;
        return total > 0 ? (100 * n) / total : 0;
      }),
      c.color,
    ),
  );
  return {
    kind: 'chart',
    id: 'outcomes',
    title: 'Request outcomes',
    caption:
      'How each strategy\'s requests ended: succeeded at the first attempt or after a failover or retry; failed, by the outcome of the last attempt; or rejected, by reason.',
    config: barChart('Request outcomes', labels, datasets, 'share of requests (%)'),
  };
}

/**
 * Budget left in the current budget period per strategy, hour by hour from `costByHour`
 * (resetting to the limit at each new period), with a line at each alert threshold.
 * @param input - report and scenario
 * @returns the chart, or a skipped entry when the scenario has no budget
 */
export function budgetChart({ report, scenario }: ChartInput): ChartSpec {
  const id = 'budget-burn-down';
  const title = 'Budget burn-down';
  const budget = scenario.budget;
  if (budget === undefined) return { kind: 'skipped', id, title, reason: 'The scenario has no budget.' };
  const limit = budget.limit;
  const time = timeAxis(report);
  let maxX = (Date.parse(report.window.end) - Date.parse(report.window.start)) / time.unitMs;
  const datasets = report.strategies.map((s, i) => {
    const data: Point[] = [{ x: 0, y: limit }];
    let spent = 0;
    let period = 0;
    s.costByHour.forEach((c, h) => {
      const p = Math.floor((h * HOUR_MS) / budget.period);
      if (p !== period) {
        // A new period: the spend starts again from zero.
        const at = (p * budget.period) / time.unitMs;
        data.push({ x: at, y: limit - spent }, { x: at, y: limit });
        spent = 0;
        period = p;
      }
      spent += c;
      data.push({ x: ((h + 1) * HOUR_MS) / time.unitMs, y: limit - spent });
    });
    maxX = Math.max(maxX, data.at(-1)!.x);
    return lineDataset(s.name, data, strategyStyle(i));
  });
  budget.alerts.forEach((a, k) => {
    const left = limit - limit * a;
    datasets.push(
      referenceLine(
        `${percent(a)} alert (${usd(left)} left)`,
        [
          { x: 0, y: left },
          { x: maxX, y: left },
        ],
        // The last threshold black; the others grey, each its own dash (the target's [3, 4] among them).
        k === budget.alerts.length - 1 ? [8, 5] : ALERT_DASHES[k % ALERT_DASHES.length]!,
        k === budget.alerts.length - 1 ? '#000000' : REFERENCE_COLOR,
      ),
    );
  });
  return {
    kind: 'chart',
    id,
    title,
    caption: `Budget left of the ${usd(limit)} limit per ${formatDuration(budget.period)} period, as each strategy spends it (expired credits included, which the budget itself does not count; project caps are not drawn). Dashed lines: the alert thresholds.`,
    config: lineChart(title, datasets, axis(time.title, { min: 0 }), axis('budget left this period (USD)')),
  };
}

/**
 * Availability a(t) of each provider and the price of one reference request at each provider
 * over the window, sampled on a round grid (two charts).
 * @param input - report and scenario
 * @returns the availability chart and the price chart
 */
export function providerCharts({ report, scenario }: ChartInput): [ChartSpec, ChartSpec] {
  const startMs = Date.parse(report.window.start);
  const endMs = Date.parse(report.window.end);
  const curves = providerCurves(scenario, report.seed, startMs, endMs);
  const time = timeAxis(report);
  const xs = curves.offsetsMs.map((o) => o / time.unitMs);
  const availability = curves.providers.map((p) =>
    lineDataset(
      p.id,
      p.availability.map((a, i) => ({ x: xs[i]!, y: a })),
      providerStyle(p.index),
    ),
  );
  const priced = curves.providers.filter((p) => p.priceUsd !== undefined);
  const refused = curves.providers.filter((p) => p.priceUsd === undefined).map((p) => p.id);
  const prices = priced.map((p) =>
    lineDataset(
      p.id,
      p.priceUsd!.map((usdAt, i) => ({ x: xs[i]!, y: usdAt })),
      providerStyle(p.index),
    ),
  );
  const step = describeStep(curves.stepMs);
  return [
    {
      kind: 'chart',
      id: 'availability',
      title: 'Provider availability a(t)',
      caption: `GPU availability of each provider over the window (seed ${report.seed}, sampled ${step}; outages shorter than that may fall between samples). 0 is an outage; slots scale with it and dynamic prices follow it.`,
      config: lineChart('Provider availability a(t)', availability, axis(time.title, { min: 0, max: xs.at(-1) }), axis('availability a(t)', { min: 0, max: 1 })),
    },
    {
      kind: 'chart',
      id: 'effective-price',
      title: 'Effective price per provider',
      caption:
        `Price of one ${curves.reference.label} request at each provider's default tier over the window, sampled ${step}: off-peak discounts and availability-driven dynamic prices included.` +
        (refused.length > 0 ? ` Not shown (cannot serve it): ${refused.join(', ')}.` : ''),
      config: lineChart('Effective price of the reference request', prices, axis(time.title, { min: 0, max: xs.at(-1) }), axis(`price of ${curves.reference.request.size} / ${curves.reference.request.steps} steps (USD)`)),
    },
  ];
}

/**
 * Every chart of the report, in the order report.html shows them.
 * @param input - report and scenario
 * @returns the charts (a chart the scenario cannot have is a `skipped` entry)
 */
export function buildCharts(input: ChartInput): ChartSpec[] {
  return [
    costOverTimeChart(input),
    latencyCdfChart(input, 'interactive'),
    latencyCdfChart(input, 'batch'),
    costLatencyChart(input),
    providerShareChart(input),
    outcomesChart(input),
    budgetChart(input),
    ...providerCharts(input),
  ];
}
