/**
 * The forecast's visual outputs (`--format html,png`): the charts as PNG files under `charts/`
 * and forecast.html, one self-contained page with the same charts and forecast.md's tables.
 * Imported only when a visual format is asked for; the PNG renderer loads Chart.js and the
 * canvas only when it draws.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../report/atomic.js';
import { escapeHtml, htmlTable, loadChartJsSource, renderPage, type PageSection } from '../report/html.js';
import type { ReportTable } from '../report/markdown.js';
import { buildForecastCharts } from './charts.js';
import type { Forecast } from './forecast-types.js';
import { forecastSections, type ForecastSection } from './markdown.js';
import type { Rows } from './table.js';

/** Which visual formats to write, and where. */
export interface ForecastVisualOptions {
  readonly outDir: string;
  readonly html: boolean;
  readonly png: boolean;
  /** The scenario file as given on the command line (shown folded at the end of the page). */
  readonly scenarioFile?: string;
}

/** What {@link writeForecastVisuals} wrote. */
export interface ForecastVisualResult {
  /** Files written, relative to the output folder. */
  readonly files: string[];
  /** Things the user should know (no fonts for the PNG labels). */
  readonly warnings: string[];
}

function asTable(rows: Rows): ReportTable {
  return { header: rows.header, align: rows.align, rows: rows.rows.map((row) => row.map((text) => ({ text }))) };
}

function pageSection(s: ForecastSection): PageSection {
  const html = s.blocks.map((b) => ('text' in b ? `<p class="note">${escapeHtml(b.text)}</p>` : htmlTable(asTable(b.table)))).join('');
  return { id: s.id, title: s.title, html };
}

/**
 * Writes the forecast's PNG charts and/or forecast.html.
 * @param forecast - the forecast
 * @param opts - folder and formats
 * @returns the files written and warnings
 */
export async function writeForecastVisuals(forecast: Forecast, opts: ForecastVisualOptions): Promise<ForecastVisualResult> {
  const charts = buildForecastCharts(forecast);
  const files: string[] = [];
  const warnings: string[] = [];
  if (opts.png) {
    const { renderChartPngs } = await import('../report/charts/png.js');
    const result = await renderChartPngs(charts, opts.outDir);
    warnings.push(...result.warnings);
    files.push(...result.written.map((w) => w.path));
  }
  if (opts.html) {
    const sections = forecastSections(forecast).map(pageSection);
    // The summary tables before the charts, each strategy's detail after them.
    const split = sections.findIndex((s) => s.id.startsWith('strategy-'));
    const before = split < 0 ? sections : sections.slice(0, split);
    const after = split < 0 ? [] : sections.slice(split);
    const file = opts.scenarioFile;
    const yaml = file !== undefined && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    const meta = [
      `Scenario: <code>${escapeHtml(forecast.scenario)}</code>${file === undefined ? '' : ` from <code>${escapeHtml(file)}</code>`} (content hash <code>${escapeHtml(forecast.scenarioHash)}</code>)`,
      `${forecast.runs} runs, base seed ${forecast.seed}; percentiles are over the runs`,
      `Horizon: ${escapeHtml(forecast.horizon.start)} → ${escapeHtml(forecast.horizon.end)} (${escapeHtml(forecast.horizon.duration)})`,
      `imgsim ${escapeHtml(forecast.imgsim)}`,
    ];
    const page = renderPage({
      title: `imgsim forecast: ${forecast.scenario}`,
      metaHtml: meta,
      before,
      charts,
      after,
      ...(file !== undefined && yaml !== undefined ? { scenario: { file, yaml } } : {}),
      chartJsSource: loadChartJsSource(),
    });
    writeFileAtomic(path.join(opts.outDir, 'forecast.html'), page);
    files.push('forecast.html');
  }
  return { files, warnings };
}
