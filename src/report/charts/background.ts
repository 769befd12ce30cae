/**
 * The white background of every chart, as a Chart.js plugin. The same function runs in Node (the
 * PNG renderer registers it) and in the browser (report.html inlines its source), so a PNG and
 * the page look alike; it must therefore stay self-contained: no imports, no outside names.
 */

/** The part of a Chart.js chart the background painter touches. */
export interface PaintableChart {
  readonly ctx: {
    save(): void;
    restore(): void;
    globalCompositeOperation: string;
    fillStyle: unknown;
    fillRect(x: number, y: number, w: number, h: number): void;
  };
  readonly width: number;
  readonly height: number;
}

/** The plugin's id, as Chart.js registers it. */
export const BACKGROUND_PLUGIN_ID = 'imgsimWhiteBackground';

/**
 * Paints white under everything drawn so far (a canvas is transparent by default, which shows
 * as black in some image viewers).
 * @param chart - the chart being drawn
 */
export function paintWhiteBackground(chart: PaintableChart): void {
  const ctx = chart.ctx;
  ctx.save();
  ctx.globalCompositeOperation = 'destination-over';
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, chart.width, chart.height);
  ctx.restore();
}
