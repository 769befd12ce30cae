/**
 * The forecast's charts, as plain Chart.js configurations drawn to PNG and in forecast.html
 * alike (see report/charts/config.ts): the fan chart of cumulative spend and the sweep curve.
 * A strategy has the colour it has in `imgsim run`'s charts (its index among the strategies).
 */
import type { ChartDataset } from 'chart.js';
import type { ChartSpec } from '../report/charts/config.js';
import { axis, lineChart, lineDataset, lineStyle, referenceLine, type Point } from '../report/charts/layout.js';
import { strategyStyle } from '../report/charts/palette.js';
import { percent, usd } from '../report/format.js';
import { isUnitError, parseDurationMs } from '../scenario/units.js';
import type { Forecast, SweepProbe, SweepResult } from './forecast-types.js';

/** Opacity of a strategy's P10–P90 band (hex alpha): light enough for bands to overlap readably. */
const BAND_ALPHA = '2e';
const DASH_BUDGET = [8, 6] as const;
/** The budget line is drawn when the highest P90 reaches this share of the limit. */
const BUDGET_DRAWN_FROM = 0.25;
const DASH_TARGET = [8, 6] as const;

/**
 * Cumulative spend by day, one median line and one P10–P90 band per strategy, and the budget
 * limit when the horizon fits in one budget period (so the cumulative spend is comparable to it).
 * @param forecast - the forecast
 * @returns the chart
 */
export function spendFanChart(forecast: Forecast): ChartSpec {
  const datasets: ChartDataset<'line', Point[]>[] = [];
  let days = 0;
  forecast.strategies.forEach((s, i) => {
    const style = strategyStyle(i);
    const series = (values: readonly number[]): Point[] => [{ x: 0, y: 0 }, ...values.map((y, d) => ({ x: d + 1, y }))];
    days = Math.max(days, s.spendByDay.p50.length);
    // The band: the P90 line without a border, then the P10 line filled up to it ('-1': the dataset before).
    // Unlabelled, so the legend lists only the medians (hooks.ts skips datasets without a label).
    const edge = { ...lineStyle(style), borderWidth: 0, borderDash: [] };
    datasets.push({ ...edge, label: '', data: series(s.spendByDay.p90) });
    datasets.push({ ...edge, label: '', data: series(s.spendByDay.p10), fill: '-1', backgroundColor: `${style.color}${BAND_ALPHA}` });
    datasets.push(lineDataset(s.name, series(s.spendByDay.p50), style));
  });
  const budget = forecast.strategies.find((s) => s.budget !== null)?.budget;
  const periodMs = budget === undefined || budget === null ? NaN : parseDurationMs(budget.period);
  const highest = Math.max(0, ...forecast.strategies.map((s) => s.spendByDay.p90.at(-1) ?? 0));
  // A budget far above every band would flatten the bands against the axis: drawn only when some P90 nears it.
  if (budget && !isUnitError(periodMs) && forecast.horizon.ms <= periodMs && highest >= BUDGET_DRAWN_FROM * budget.limit) {
    datasets.push(referenceLine(`budget ${usd(budget.limit)} per ${budget.period}`, [{ x: 0, y: budget.limit }, { x: days, y: budget.limit }], DASH_BUDGET));
  }
  const title = `Cumulative spend over ${forecast.horizon.duration} (${forecast.runs} runs)`;
  return {
    kind: 'chart',
    id: 'spend-fan',
    title,
    caption:
      'Money spent from the start to the end of each day: the line is the median over the runs, the shaded band runs from P10 to P90 ' +
      '(eight runs in ten end the day inside it). The budget line is drawn once a band reaches a quarter of it; a band that crosses it may run out.',
    config: lineChart(title, datasets, axis(`day of the horizon (from ${forecast.horizon.start.replace(/:00\.000Z$/, 'Z')})`, { min: 0, max: days }), axis('spent so far (USD)', { min: 0 })),
  };
}

/**
 * The attainment of the class that binds in a probe: the lowest of the classes with requests.
 * @param probe - a sweep probe
 * @returns attainment in [0, 1]; NaN when no class had requests
 */
export function bindingAttainment(probe: SweepProbe): number {
  const values = [probe.attainment.interactive, probe.attainment.batch].filter((v): v is number => v !== null);
  return values.length === 0 ? NaN : Math.min(...values);
}

/**
 * The sweep curve: for each strategy, the SLO attainment of its binding class at every probed
 * rate, with the target; where a line crosses the target is the strategy's sustainable rate.
 * @param sweep - the sweep
 * @returns the chart
 */
export function sweepChart(sweep: SweepResult): ChartSpec {
  const datasets: ChartDataset<'line', Point[]>[] = sweep.strategies.map((s, i) => {
    const data = [...s.probes]
      .sort((a, b) => a.ratePerSec - b.ratePerSec)
      .map((p) => ({ x: p.ratePerSec, y: bindingAttainment(p) * 100 }))
      .filter((p) => Number.isFinite(p.y));
    // Points only: the bisection probes a few rates, and a line would claim values between them.
    return { ...lineDataset(s.name, data, strategyStyle(i)), pointRadius: 4, showLine: false };
  });
  const { interactive, batch } = sweep.targets;
  const across = [{ x: sweep.fromPerSec }, { x: sweep.toPerSec }];
  if (interactive === batch) datasets.push(referenceLine(`SLO target ${percent(interactive)}`, across.map((p) => ({ ...p, y: interactive * 100 })), DASH_TARGET));
  else {
    datasets.push(referenceLine(`interactive target ${percent(interactive)}`, across.map((p) => ({ ...p, y: interactive * 100 })), DASH_TARGET));
    datasets.push(referenceLine(`batch target ${percent(batch)}`, across.map((p) => ({ ...p, y: batch * 100 })), [2, 4]));
  }
  const title = `SLO attainment by arrival rate (${sweep.probeRuns} runs of ${sweep.probeHorizon} per probe)`;
  return {
    kind: 'chart',
    id: 'sweep',
    title,
    caption:
      'Each point is a probe of the bisection: the base arrival rate and the SLO attainment of the class that binds there (the lower of interactive ' +
      'and batch). Only probed rates are drawn, unjoined; a strategy sustains the rates where its points stay on or above the target.',
    config: lineChart(title, datasets, axis('base arrival rate (requests per second)', { min: sweep.fromPerSec, max: sweep.toPerSec }), axis('SLO attainment (%)', { max: 100 })),
  };
}

/**
 * Every chart of a forecast: the fan chart, and the sweep curve (skipped without `--sweep`).
 * @param forecast - the forecast
 * @returns the charts, in order
 */
export function buildForecastCharts(forecast: Forecast): ChartSpec[] {
  return [
    spendFanChart(forecast),
    forecast.sweep === null
      ? { kind: 'skipped', id: 'sweep', title: 'SLO attainment by arrival rate', reason: 'no rate sweep in this forecast (run it with --sweep rate=A..B)' }
      : sweepChart(forecast.sweep),
  ];
}
