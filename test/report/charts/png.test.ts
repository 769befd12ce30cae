import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCharts, CHART_HEIGHT, CHART_WIDTH, type ChartSpec } from '../../../src/report/charts/config.js';
import { renderChartPngs, type PngResult } from '../../../src/report/charts/png.js';
import { chartsRun } from './_report.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let dir: string;
let charts: ChartSpec[];
let result: PngResult;

beforeAll(async () => {
  const { scenario, report } = await chartsRun();
  charts = buildCharts({ report, scenario });
  dir = mkdtempSync(path.join(tmpdir(), 'imgsim-png-'));
  result = await renderChartPngs(charts, dir);
});

/** Decodes a PNG and measures it: how many pixels are not white, and the grey-level variance. */
async function pixelStats(bytes: Buffer): Promise<{ nonWhite: number; variance: number; colours: number }> {
  const image = await loadImage(bytes);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const { data } = ctx.getImageData(0, 0, image.width, image.height);
  let nonWhite = 0;
  let sum = 0;
  let sumSq = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    if (r < 250 || g < 250 || b < 250) nonWhite++;
    const grey = (r + g + b) / 3;
    sum += grey;
    sumSq += grey * grey;
    if (i % 64 === 0) colours.add((r << 16) | (g << 8) | b);
  }
  const n = data.length / 4;
  return { nonWhite, variance: sumSq / n - (sum / n) ** 2, colours: colours.size };
}

describe('PNG charts', () => {
  it('writes one PNG per drawn chart under charts/, named after the chart', () => {
    expect(result.written.map((w) => w.path)).toEqual(charts.filter((c) => c.kind === 'chart').map((c) => `charts/${c.id}.png`));
    expect(result.written.map((w) => w.path)).toContain('charts/cost-over-time.png');
    // DejaVu is on the machines this runs on (fonts-dejavu-core): labels are drawn.
    expect(result.warnings).toEqual([]);
  });

  it('writes valid 1200 x 700 PNGs on a white background that are not blank', async () => {
    // The fixture draws all nine charts (config.test.ts lists them).
    expect(result.written).toHaveLength(9);
    for (const w of result.written) {
      const bytes = readFileSync(path.join(dir, w.path));
      expect([...bytes.subarray(0, 8)], w.path).toEqual(PNG_SIGNATURE);
      // The first chunk is IHDR: length (4 bytes), "IHDR", width and height as big-endian u32.
      expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
      expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
      const stats = await pixelStats(bytes);
      const pixels = CHART_WIDTH * CHART_HEIGHT;
      // Lines, bars, text: between 1% and 70% of the pixels are drawn; the rest is white.
      expect(stats.nonWhite, w.path).toBeGreaterThan(pixels * 0.01);
      expect(stats.nonWhite, w.path).toBeLessThan(pixels * 0.7);
      expect(stats.variance, w.path).toBeGreaterThan(100);
      // Several series colours, not one ink.
      expect(stats.colours, w.path).toBeGreaterThan(10);
    }
  });

  it('has an opaque white corner (the background plugin), not a transparent one', async () => {
    const image = await loadImage(readFileSync(path.join(dir, 'charts/latency-cdf-interactive.png')));
    const canvas = createCanvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    expect([...ctx.getImageData(2, 2, 1, 1).data]).toEqual([255, 255, 255, 255]);
  });
});
