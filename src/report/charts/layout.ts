/**
 * The look every chart shares: fonts, colours of text and grid, axes, legend, line series and
 * reference lines, as plain JSON for Chart.js (see config.ts for why no callbacks).
 */
import type { ChartConfiguration, ChartDataset } from 'chart.js';
import type { SeriesStyle } from './palette.js';

/** An (x, y) data point. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Titles, ticks and legend text. */
export const TEXT_COLOR = '#222222';
/** Grid lines. */
export const GRID_COLOR = '#e3e3e3';
/** Reference lines (SLO bounds, budget limits). */
export const REFERENCE_COLOR = '#555555';

/**
 * A Chart.js font.
 * @param size - px
 * @param weight - normal or bold
 * @returns the font options
 */
export const font = (size: number, weight: 'normal' | 'bold' = 'normal'): { size: number; weight: 'normal' | 'bold' } => ({ size, weight });

/**
 * A scale with a bold title and the shared tick and grid colours.
 * @param title - the axis title
 * @param extra - more scale options (type, min, max, ...)
 * @returns the scale options
 */
export function axis(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { display: true, text: title, font: font(16, 'bold'), color: TEXT_COLOR },
    ticks: { font: font(14), color: TEXT_COLOR },
    grid: { color: GRID_COLOR },
    ...extra,
  };
}

/** How the legend draws a series: a short line (with its dash), the point shape, or a box. */
export type LegendMark = 'line' | 'point' | 'box';

function legendLabels(mark: LegendMark): Record<string, unknown> {
  const common = { font: font(14), color: TEXT_COLOR, padding: 12 };
  if (mark === 'box') return { ...common, boxWidth: 18 };
  // Drawn as short lines with each series' dash by a hook (hooks.ts).
  if (mark === 'line') return { ...common, boxWidth: 40, imgsimLegend: 'lines' };
  return { ...common, usePointStyle: true };
}

/**
 * Options every chart shares: fixed size, no animation, a title, the legend on the right.
 * @param title - the chart title
 * @param x - the x scale
 * @param y - the y scale
 * @param mark - how the legend draws a series
 * @returns the options
 */
export function baseOptions(title: string, x: Record<string, unknown>, y: Record<string, unknown>, mark: LegendMark): Record<string, unknown> {
  return {
    responsive: false,
    maintainAspectRatio: false,
    animation: false,
    color: TEXT_COLOR,
    layout: { padding: 16 },
    plugins: {
      title: { display: true, text: title, font: font(20, 'bold'), color: TEXT_COLOR, padding: { bottom: 12 } },
      legend: { display: true, position: 'right', labels: legendLabels(mark) },
      tooltip: { enabled: true },
    },
    scales: { x, y },
  };
}

/**
 * A line series' look from its style: colour, dash, no points.
 * @param style - from palette.ts
 * @returns dataset options
 */
export function lineStyle(style: SeriesStyle): Record<string, unknown> {
  return {
    borderColor: style.color,
    backgroundColor: style.color,
    borderDash: [...style.dash],
    borderWidth: 2.5,
    pointStyle: style.pointStyle,
    pointRadius: 0,
    pointHitRadius: 6,
    fill: false,
    tension: 0,
  };
}

/**
 * A line series; a marked style ({@link SeriesStyle.marked}) also shows its point shape along it.
 * @param label - the legend text
 * @param data - the points
 * @param style - from palette.ts
 * @returns the dataset
 */
export function lineDataset(label: string, data: Point[], style: SeriesStyle): ChartDataset<'line', Point[]> {
  if (!style.marked || data.length === 0) return { label, data, ...lineStyle(style) };
  // A series that shares its colour with another shows its point shape too: about eight marks
  // along the line, as a per-point radius (plain JSON, as every configuration here).
  const every = Math.max(1, Math.ceil(data.length / MARKS_PER_LINE));
  const pointRadius = data.map((_, i) => (i % every === Math.floor(every / 2) ? MARK_RADIUS : 0));
  return { label, data, ...lineStyle(style), pointRadius };
}

/** Marks drawn along a marked line, about. */
const MARKS_PER_LINE = 8;
/** Radius of those marks, px. */
const MARK_RADIUS = 5;

/**
 * A grey dashed reference line (an SLO bound, a budget).
 * @param label - the legend text
 * @param data - the points
 * @param dash - the dash pattern
 * @param color - the colour
 * @returns the dataset
 */
export function referenceLine(label: string, data: Point[], dash: readonly number[], color = REFERENCE_COLOR): ChartDataset<'line', Point[]> {
  return { label, data, borderColor: color, backgroundColor: color, borderDash: [...dash], borderWidth: 2, pointRadius: 0, pointStyle: 'line', fill: false };
}

/**
 * A line chart on a linear x axis.
 * @param title - the chart title
 * @param datasets - the series
 * @param x - the x scale
 * @param y - the y scale
 * @returns the configuration
 */
export function lineChart(title: string, datasets: ChartDataset<'line', Point[]>[], x: Record<string, unknown>, y: Record<string, unknown>): ChartConfiguration<'line', Point[]> {
  return { type: 'line', data: { datasets }, options: baseOptions(title, { type: 'linear', ...x }, y, 'line') };
}
