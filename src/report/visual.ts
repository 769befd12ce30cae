/**
 * The visual reports of a run: PNG charts under `charts/` and `report.html`, both from the same
 * chart configurations. `imgsim run` imports this module only when `--format` asks for html or
 * png, and the PNG renderer imports Chart.js and the canvas only when it draws.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../metrics/report-types.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { writeFileAtomic } from './atomic.js';
import { buildCharts } from './charts/config.js';
import { loadChartJsSource, renderHtml } from './html.js';
import type { MarkdownOptions } from './markdown.js';

/** Which visual formats to write, and where. */
export interface VisualOptions {
  /** The report folder. */
  readonly outDir: string;
  readonly html: boolean;
  readonly png: boolean;
  /** The scenario file as given on the command line (shown on the page). */
  readonly scenarioFile?: string;
}

/** What {@link writeVisualReports} wrote. */
export interface VisualResult {
  /** Files written, relative to the report folder. */
  readonly files: string[];
  /** The charts for report.md: written PNGs, and the charts skipped with why. */
  readonly markdownCharts: NonNullable<MarkdownOptions['charts']>;
  /** Things the user should know (no fonts for the PNG labels). */
  readonly warnings: string[];
}

/**
 * Builds the charts of a report and writes the PNGs and/or report.html.
 * @param report - the report
 * @param scenario - the scenario it ran (budget, SLO, providers, availability, pricing)
 * @param opts - folder and formats
 * @returns the files written and what report.md should reference
 */
export async function writeVisualReports(report: Report, scenario: ResolvedScenario, opts: VisualOptions): Promise<VisualResult> {
  const charts = buildCharts({ report, scenario });
  const files: string[] = [];
  const warnings: string[] = [];
  const markdownCharts: { title: string; path?: string; skipped?: string }[] = [];
  if (opts.png) {
    const { renderChartPngs } = await import('./charts/png.js');
    const result = await renderChartPngs(charts, opts.outDir);
    warnings.push(...result.warnings);
    for (const c of charts) {
      const written = result.written.find((w) => w.id === c.id);
      if (written) {
        files.push(written.path);
        markdownCharts.push({ title: written.title, path: written.path });
      } else if (c.kind === 'skipped') markdownCharts.push({ title: c.title, skipped: c.reason });
    }
  }
  if (opts.html) {
    const yamlFile = scenario.file === '<inline>' ? undefined : scenario.file;
    const scenarioYaml = yamlFile !== undefined && existsSync(yamlFile) ? readFileSync(yamlFile, 'utf8') : undefined;
    const page = renderHtml({
      report,
      charts,
      chartJsSource: loadChartJsSource(),
      ...(opts.scenarioFile === undefined ? {} : { scenarioFile: opts.scenarioFile }),
      ...(scenarioYaml === undefined ? {} : { scenarioYaml }),
    });
    writeFileAtomic(path.join(opts.outDir, 'report.html'), page);
    files.push('report.html');
  }
  return { files, markdownCharts, warnings };
}
