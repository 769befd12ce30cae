/**
 * The few things the JSON chart configurations ask for by name that Chart.js wants as functions,
 * which JSON cannot hold: duration ticks on a log axis (`imgsimTicks: 'duration-s'` on a scale)
 * and legend entries drawn as lines with the series' dash (`imgsimLegend: 'lines'` on the legend
 * labels). {@link attachHooks} installs them after a configuration is built, in Node and in the
 * browser alike: report.html inlines these functions' source. Each function must therefore stay
 * self-contained: no imports, no names from outside its body.
 */

/** The part of a Chart.js scale that {@link durationTicks} touches. */
export interface TickScale {
  readonly min: number;
  readonly max: number;
  ticks: { value: number }[];
}

/**
 * A scale's ticks on a log axis in seconds: round durations from 10 ms to 30 days (1, 2, 5 steps
 * below a minute, then minutes, hours and days people count in) within the axis range.
 * @param scale - the scale, after Chart.js built its own ticks
 */
export function durationTicks(scale: TickScale): void {
  // Spaced so that neighbouring labels never collide on a 1200 px log axis.
  const nice = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 60, 120, 300, 600, 1200, 3600, 7200, 14400, 43200, 86400, 172800, 432000, 864000, 2592000];
  const inRange = nice.filter((v) => v >= scale.min * 0.999 && v <= scale.max * 1.001);
  if (inRange.length >= 2) scale.ticks = inRange.map((value) => ({ value }));
}

/**
 * The label of a tick in seconds: `200ms`, `5s`, `2m`, `4h`, `2d`.
 * @param value - seconds
 * @returns the label
 */
export function formatDurationTick(value: number | string): string {
  const s = Number(value);
  const round = (x: number): string => String(Math.round(x * 100) / 100);
  if (s < 1) return `${round(s * 1000)}ms`;
  if (s < 60) return `${round(s)}s`;
  if (s < 3600) return `${round(s / 60)}m`;
  if (s < 86400) return `${round(s / 3600)}h`;
  return `${round(s / 86400)}d`;
}

/** The part of a Chart.js chart that {@link lineLegendLabels} reads. */
export interface LegendChart {
  readonly options: { readonly color?: unknown };
  readonly data: { readonly datasets: readonly { label?: string; borderColor?: unknown; borderWidth?: unknown; borderDash?: unknown }[] };
  isDatasetVisible(index: number): boolean;
}

/**
 * Legend entries as short lines in each series' colour, width and dash (Chart.js's own entries
 * drop the dash when drawn as lines). A dataset without a label (the edge of a shaded band) gets
 * no entry.
 * @param chart - the chart
 * @returns one legend item per labelled dataset
 */
export function lineLegendLabels(chart: LegendChart): Record<string, unknown>[] {
  const labelled = chart.data.datasets.map((d, i) => ({ d, i })).filter(({ d }) => d.label !== undefined && d.label !== '');
  return labelled.map(({ d, i }) => ({
    text: d.label,
    fillStyle: d.borderColor,
    strokeStyle: d.borderColor,
    fontColor: chart.options.color,
    lineWidth: d.borderWidth,
    lineDash: Array.isArray(d.borderDash) ? d.borderDash : [],
    pointStyle: 'line',
    hidden: !chart.isDatasetVisible(i),
    datasetIndex: i,
  }));
}

/** The functions {@link attachHooks} installs. */
export interface ChartHooks {
  readonly durationTicks: (scale: TickScale) => void;
  readonly formatDurationTick: (value: number | string) => string;
  readonly lineLegendLabels: (chart: LegendChart) => Record<string, unknown>[];
}

/**
 * Installs the functions a configuration names: tick formats on the scales that have
 * `imgsimTicks`, line legend entries when the legend labels have `imgsimLegend: 'lines'`.
 * @param config - a chart configuration from `config.ts` (changed in place)
 * @param hooks - the functions of this module
 * @returns the same configuration
 */
export function attachHooks<C>(config: C, hooks: ChartHooks): C {
  type Options = Record<string, unknown> & { scales?: Record<string, Record<string, unknown>>; plugins?: { legend?: { labels?: Record<string, unknown> } } };
  const options = (config as { options?: Options }).options;
  if (options === undefined) return config;
  for (const scale of Object.values(options.scales ?? {})) {
    if (scale.imgsimTicks !== 'duration-s') continue;
    scale.afterBuildTicks = hooks.durationTicks;
    const ticks = (scale.ticks ?? {}) as Record<string, unknown>;
    ticks.callback = hooks.formatDurationTick;
    ticks.autoSkip = false;
    ticks.maxRotation = 0;
    scale.ticks = ticks;
  }
  const labels = options.plugins?.legend?.labels;
  if (labels?.imgsimLegend === 'lines') {
    labels.generateLabels = hooks.lineLegendLabels;
    labels.usePointStyle = true;
    labels.pointStyleWidth = labels.boxWidth;
  }
  return config;
}

/** Every hook, for {@link attachHooks}. */
export const CHART_HOOKS: ChartHooks = { durationTicks, formatDurationTick, lineLegendLabels };
