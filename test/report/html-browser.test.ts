/**
 * report.html in a real browser: the Chromium that `test/_chromium.ts` finds (the npm-packaged
 * build, with no apt step) driven by playwright-core, the page loaded from file:// as a user
 * opens it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeForecastVisuals } from '../../src/forecast/visual.js';
import { writeVisualReports } from '../../src/report/visual.js';
import { FORECAST_SCENARIO, smallForecast } from '../forecast/_forecast.js';
import { CHARTS_SCENARIO, chartsRun } from './charts/_report.js';
import { launchChromium } from '../_chromium.js';
import { loadScenario } from '../../src/scenario/load.js';
import { simulate } from '../../src/sim/run.js';


let browser: Browser | undefined;
let file: string;
let forecastFile: string;
let marketFile: string;

/** market-2026 over one simulated day: 16 strategies, two urgencies, budget alerts, a long outcomes table. */
const MARKET_SCENARIO = path.join(import.meta.dirname, '../../scenarios/market-2026.yaml');

beforeAll(async () => {
  const { scenario, report } = await chartsRun();
  // A strategy name that would run script if it reached the page unescaped.
  const evil = { ...report, strategies: report.strategies.map((s, i) => (i === 0 ? { ...s, name: '<img src=x onerror=alert(1)></script>' } : s)) };
  const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-html-'));
  await writeVisualReports(evil, scenario, { outDir: dir, html: true, png: false, scenarioFile: CHARTS_SCENARIO });
  file = path.join(dir, 'report.html');
  const forecast = await smallForecast();
  const sweep = {
    fromPerSec: 1,
    toPerSec: 4,
    tolerancePerSec: 0.1,
    probeRuns: 1,
    probeHorizon: '1h',
    targets: { interactive: 0.95, batch: 0.95 },
    strategies: forecast.strategies.map((s, i) => ({
      name: s.name,
      sustainableRatePerSec: 2 + i,
      aboveRange: false,
      saturates: null,
      probes: [1, 2.5, 4].map((ratePerSec) => ({ ratePerSec, meetsSlo: ratePerSec < 3, attainment: { interactive: 1 - ratePerSec / 20, batch: null }, successRate: 1, providers: {} })),
    })),
  };
  const forecastDir = mkdtempSync(path.join(tmpdir(), 'imgsim-forecast-html-'));
  await writeForecastVisuals({ ...forecast, sweep }, { outDir: forecastDir, html: true, png: false, scenarioFile: FORECAST_SCENARIO });
  forecastFile = path.join(forecastDir, 'forecast.html');
  const loaded = loadScenario(MARKET_SCENARIO);
  // A thirtieth of the month's budget (and of any project caps), so that one day fires the alerts
  // of the month: long budget-alert cells, the widest of the strategies table.
  const budget = loaded.budget!;
  const perProject = Object.fromEntries(Object.entries(budget.perProject).map(([p, usd]) => [p, usd / 30]));
  const market = { ...loaded, budget: { ...budget, limit: budget.limit / 30, perProject } };
  const marketReport = await simulate(market, { durationMs: 86_400_000 });
  expect(marketReport.strategies.some((s) => s.budget.alerts.length > 0)).toBe(true);
  const marketDir = mkdtempSync(path.join(tmpdir(), 'imgsim-market-html-'));
  await writeVisualReports(marketReport, market, { outDir: marketDir, html: true, png: false, scenarioFile: 'scenarios/market-2026.yaml' });
  marketFile = path.join(marketDir, 'report.html');
  // Without a Chromium this throws, naming where it looked: a failure, never a skip.
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** What a loaded page said (console errors and warnings, page errors, dialogs, network requests) and its canvases. */
async function openPage(htmlFile: string, width = 1300): Promise<{ page: Page; problems: string[]; canvases: { id: string; width: number; height: number; nonWhite: number; corner: number[] }[] }> {
  const page = await browser!.newPage({ viewport: { width, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) problems.push(`request: ${r.url()}`);
  });
  await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
  // What the page itself said (the readback below makes Chromium warn about getImageData).
  const fromPage = [...problems];
  // Runs in the page (a string: this project's TypeScript has no DOM types).
  const canvases: { id: string; width: number; height: number; nonWhite: number; corner: number[] }[] = await page.evaluate(`
    [...document.querySelectorAll('canvas')].map((c) => {
      const ctx = c.getContext('2d');
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      let nonWhite = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250) nonWhite++;
      // The corner: the white background plugin paints it opaque white.
      return { id: c.id, width: c.width, height: c.height, nonWhite, corner: [...ctx.getImageData(1, 1, 1, 1).data] };
    })
  `);
  return { page, problems: fromPage, canvases };
}

describe('forecast.html in Chromium', () => {
  it('draws the fan chart and the sweep curve from file:// with no errors', async () => {
    const { page, problems, canvases } = await openPage(forecastFile);
    await page.close();
    expect(problems).toEqual([]);
    expect(canvases.map((c) => c.id)).toEqual(['canvas-spend-fan', 'canvas-sweep']);
    for (const c of canvases) {
      expect([c.width, c.height], c.id).toEqual([1200, 700]);
      expect(c.nonWhite, c.id).toBeGreaterThan(1200 * 700 * 0.01);
      expect(c.corner, c.id).toEqual([255, 255, 255, 255]);
    }
  });
});

describe('report.html in Chromium', () => {
  it('draws every chart from file:// with no errors and runs no injected script', async () => {
    const { page, problems: fromPage, canvases } = await openPage(file);
    expect(fromPage).toEqual([]);
    expect(canvases.map((c) => c.id)).toEqual([
      'canvas-cost-over-time',
      'canvas-latency-cdf-interactive',
      'canvas-latency-cdf-batch',
      'canvas-cost-vs-latency',
      'canvas-provider-share',
      'canvas-outcomes',
      'canvas-budget-burn-down',
      'canvas-availability',
      'canvas-effective-price',
    ]);
    for (const c of canvases) {
      expect([c.width, c.height], c.id).toEqual([1200, 700]);
      // Axes, text and series: at least 1% of the pixels drawn.
      expect(c.nonWhite, c.id).toBeGreaterThan(1200 * 700 * 0.01);
      expect(c.corner, c.id).toEqual([255, 255, 255, 255]);
    }
    // The injected name shows as text in the table.
    expect(await page.locator('#strategies td').first().textContent()).toBe('<img src=x onerror=alert(1)></script>');
    await page.close();
  });
});

describe('market-2026 report.html at 1400 px', () => {
  it('fits the width, folds long tables and gives every series of a chart its own look', async () => {
    const { page, problems } = await openPage(marketFile, 1400);
    expect(problems).toEqual([]);
    // No horizontal scroll, for the page or any table in it.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1400);
    const wide: string[] = await page.evaluate(`
      [...document.querySelectorAll('.table-wrap')].filter((w) => w.offsetParent !== null && w.scrollWidth > w.clientWidth).map((w) => w.closest('section').id)
    `);
    expect(wide).toEqual([]);
    // No open table shows more than 12 rows; no cell wraps past two lines (3.5 font heights with its padding).
    const rowCounts: number[] = await page.evaluate(`[...document.querySelectorAll('table')].filter((t) => !t.closest('details')).map((t) => t.tBodies[0].rows.length)`);
    expect(Math.max(...rowCounts)).toBeLessThanOrEqual(12);
    expect(await page.locator('details.more-rows').count()).toBeGreaterThan(0);
    const tall: string[] = await page.evaluate(`
      [...document.querySelectorAll('td')].filter((td) => td.offsetParent !== null && td.getBoundingClientRect().height > 3.5 * parseFloat(getComputedStyle(td).fontSize)).map((td) => td.textContent)
    `);
    expect(tall).toEqual([]);
    // Every chart's series: pairwise distinct (colour, dash, point style), read from the live charts.
    const looks: { id: string; keys: string[] }[] = await page.evaluate(`
      [...document.querySelectorAll('canvas')].map((c) => {
        const chart = Chart.getChart(c);
        return { id: c.id, keys: chart.data.datasets.map((d) => [d.borderColor, JSON.stringify(d.borderDash ?? []), d.pointStyle ?? 'circle', chart.config.type === 'bar' ? d.backgroundColor : ''].join(' ')) };
      })
    `);
    expect(looks.map((l) => l.id)).toContain('canvas-latency-cdf-batch');
    for (const l of looks) expect(new Set(l.keys).size, `${l.id}: ${l.keys.join('; ')}`).toBe(l.keys.length);
    await page.screenshot({ path: '/tmp/report-1400.png' });
    await page.close();
  }, 60_000);
});
