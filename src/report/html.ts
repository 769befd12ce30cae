/**
 * `report.html`: one self-contained page (opens from file://, no network) with the charts drawn
 * in the browser by Chart.js, which is inlined, from the same configurations the PNG renderer
 * draws (charts/config.ts); the tables of report.md (markdown.ts's sections); and the scenario
 * file the run came from. Every text from the report or the scenario is escaped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Report } from '../metrics/report-types.js';
import { formatDuration } from '../scenario/units.js';
import { BACKGROUND_PLUGIN_ID, paintWhiteBackground } from './charts/background.js';
import { CHART_HEIGHT, CHART_WIDTH, type ChartSpec } from './charts/config.js';
import { attachHooks, durationTicks, formatDurationTick, lineLegendLabels } from './charts/hooks.js';
import { reportSections, type ReportNote, type ReportTable } from './markdown.js';
import { verdict } from './verdict.js';

/** What {@link renderHtml} puts on the page. */
export interface HtmlInput {
  readonly report: Report;
  readonly charts: readonly ChartSpec[];
  /** The scenario file's path as given, shown under the title. */
  readonly scenarioFile?: string;
  /** The scenario file's text, shown at the end; left out when undefined. */
  readonly scenarioYaml?: string;
  /** Chart.js's UMD build, inlined ({@link loadChartJsSource}). */
  readonly chartJsSource: string;
}

/**
 * Escapes text for HTML element content and attribute values.
 * @param text - any text
 * @returns the text with `& < > " '` as entities
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * JSON that is safe inside a `<script>` element: `<` (and so `</script>` or `<!--`) and the line
 * separators JavaScript once treated as line ends are written as \u escapes.
 * @param value - a JSON-serialisable value
 * @returns the JSON text
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Reads Chart.js's UMD build (the one that runs in a plain `<script>`) from node_modules.
 * @returns its source text
 */
export function loadChartJsSource(): string {
  // chart.js's package exports do not list its UMD files; find them beside its main entry.
  const dist = path.dirname(createRequire(import.meta.url).resolve('chart.js'));
  for (const name of ['chart.umd.min.js', 'chart.umd.js']) {
    try {
      return readFileSync(path.join(dist, name), 'utf8');
    } catch {
      // try the next name: older 4.x releases ship only chart.umd.js
    }
  }
  throw new Error(`chart.js: no UMD build (chart.umd.min.js or chart.umd.js) in ${dist}; reinstall with npm ci`);
}

const STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; margin: 2rem auto; max-width: 1340px; padding: 0 1rem; color: #222; background: #fff; }
  h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
  ul.meta { list-style: none; padding: 0; color: #444; } ul.meta li { margin: .15rem 0; }
  nav a { margin-right: 1rem; }
  table { border-collapse: collapse; margin: .8rem 0; font-size: .8rem; font-variant-numeric: tabular-nums; }
  th, td { border: 1px solid #ccc; padding: .25rem .3rem; } th { background: #f3f3f3; text-align: left; }
  td.long div { display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; min-width: 7rem; max-width: 11rem; }
  details.more-rows > summary { cursor: pointer; color: #444; }
  td.r, th.r { text-align: right; } td.best { background: #e8f4ec; }
  figure { margin: 1.5rem 0; } figure canvas { width: 100%; max-width: ${CHART_WIDTH}px; height: auto; border: 1px solid #eee; }
  figcaption, p.note { color: #444; max-width: 60rem; } p.strong { font-weight: bold; color: #a00; }
  pre { background: #f7f7f7; padding: 1rem; overflow-x: auto; font-size: .85rem; }
  .table-wrap { overflow-x: auto; }
`;

/** Rows a table shows open; the rest fold into a `<details>` below it. */
export const OPEN_ROWS = 12;

/** Cells longer than this (characters) keep to two narrow lines, clipped with an ellipsis, the whole text in their tooltip. */
export const LONG_CELL = 28;

function htmlRow(row: ReportTable['rows'][number], align: ReportTable['align']): string {
  const cells = row.map((c, i) => {
    const long = c.text.length > LONG_CELL;
    const classes = [align[i] === 'r' ? 'r' : '', c.best === true ? 'best' : '', long ? 'long' : ''].filter((x) => x !== '').join(' ');
    const text = escapeHtml(c.text);
    const title = long ? ` title="${text}"` : '';
    const shown = c.best === true ? `<strong>${text}</strong>` : text;
    return `<td${classes === '' ? '' : ` class="${classes}"`}${title}>${long ? `<div>${shown}</div>` : shown}</td>`;
  });
  return `<tr>${cells.join('')}</tr>`;
}

/**
 * A table as HTML, right-aligned columns and best cells marked. A person reads a dozen rows: past
 * {@link OPEN_ROWS} the rest are in a folded `<details>` ("N more rows") under the same header.
 * Long cells ({@link LONG_CELL}) keep to two lines.
 * @param t - the table
 * @returns the HTML text
 */
export function htmlTable(t: ReportTable): string {
  const cls = (i: number): string => (t.align[i] === 'r' ? ' class="r"' : '');
  const head = `<thead><tr>${t.header.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
  const table = (rows: ReportTable['rows']): string => `<div class="table-wrap"><table>${head}<tbody>\n${rows.map((r) => htmlRow(r, t.align)).join('\n')}\n</tbody></table></div>`;
  if (t.rows.length <= OPEN_ROWS) return table(t.rows);
  const more = t.rows.length - OPEN_ROWS;
  return `${table(t.rows.slice(0, OPEN_ROWS))}<details class="more-rows"><summary>${more} more row${more === 1 ? '' : 's'}</summary>${table(t.rows.slice(OPEN_ROWS))}</details>`;
}

/**
 * A note as a paragraph (strong ones emphasised); nothing for undefined.
 * @param n - the note
 * @returns the HTML text
 */
export function htmlNote(n: ReportNote | undefined): string {
  return n === undefined ? '' : `<p class="note${n.strong === true ? ' strong' : ''}">${escapeHtml(n.text)}</p>`;
}

function figure(spec: ChartSpec): string {
  const id = escapeHtml(spec.id);
  if (spec.kind === 'skipped') {
    return `<figure id="chart-${id}"><h3>${escapeHtml(spec.title)}</h3><p class="note">Not drawn: ${escapeHtml(spec.reason)}</p></figure>`;
  }
  return (
    `<figure id="chart-${id}"><canvas id="canvas-${id}" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" role="img" aria-label="${escapeHtml(spec.title)}"></canvas>` +
    `<figcaption>${escapeHtml(spec.caption)}</figcaption></figure>`
  );
}

/** The page's own script: the shared hooks' source, then one Chart per canvas. */
function chartScript(charts: readonly ChartSpec[]): string {
  const drawn = charts.filter((c) => c.kind === 'chart').map((c) => ({ id: c.id, config: c.config }));
  return [
    '"use strict";',
    // Function declarations, so their names are the ones used below.
    paintWhiteBackground.toString(),
    durationTicks.toString(),
    formatDurationTick.toString(),
    lineLegendLabels.toString(),
    `const attachHooks = ${attachHooks.toString()};`,
    `Chart.register({ id: ${JSON.stringify(BACKGROUND_PLUGIN_ID)}, beforeDraw: paintWhiteBackground });`,
    `const IMGSIM_CHARTS = ${scriptJson(drawn)};`,
    'for (const c of IMGSIM_CHARTS) {',
    '  const canvas = document.getElementById("canvas-" + c.id);',
    '  new Chart(canvas, attachHooks(c.config, { durationTicks, formatDurationTick, lineLegendLabels }));',
    '}',
  ].join('\n');
}

/** A section of a page: an anchor id, a title and its HTML. */
export interface PageSection {
  readonly id: string;
  readonly title: string;
  readonly html: string;
}

/** What {@link renderPage} lays out. */
export interface PageInput {
  /** The page's title and heading. */
  readonly title: string;
  /** Lines under the heading, as HTML (escape what they quote). */
  readonly metaHtml: readonly string[];
  /** Sections before the charts. */
  readonly before: readonly PageSection[];
  readonly charts: readonly ChartSpec[];
  /** Sections after the charts. */
  readonly after: readonly PageSection[];
  /** The scenario file as given and its text, shown folded at the end. */
  readonly scenario?: { readonly file: string; readonly yaml: string };
  /** Chart.js's UMD build, inlined ({@link loadChartJsSource}). */
  readonly chartJsSource: string;
}

/**
 * A self-contained page: heading, meta lines, navigation, sections, the charts (drawn by the
 * inlined Chart.js from the same configurations as the PNGs), more sections, the scenario.
 * @param input - what goes on the page
 * @returns the HTML text, ending with a newline
 */
export function renderPage(input: PageInput): string {
  const section = (s: PageSection): string => `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`;
  const nav = [
    ...input.before.map((s) => [s.id, s.title]),
    ['charts', 'Charts'],
    ...input.after.map((s) => [s.id, s.title]),
    ...(input.scenario === undefined ? [] : [['scenario', 'Scenario']]),
  ]
    .map(([id, title]) => `<a href="#${escapeHtml(id!)}">${escapeHtml(title!)}</a>`)
    .join('');
  const scenario =
    input.scenario === undefined
      ? ''
      : `<section id="scenario"><h2>Scenario</h2><details><summary>${escapeHtml(input.scenario.file)}</summary><pre>${escapeHtml(input.scenario.yaml)}</pre></details></section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(input.title)}</h1>
<ul class="meta">${input.metaHtml.map((m) => `<li>${m}</li>`).join('')}</ul>
<nav>${nav}</nav>
${input.before.map(section).join('\n')}
<section id="charts"><h2>Charts</h2>
${input.charts.map(figure).join('\n')}
</section>
${input.after.map(section).join('\n')}
${scenario}
<script>${input.chartJsSource.replace(/<\/script/gi, '<\\/script')}</script>
<script>${chartScript(input.charts)}</script>
</body>
</html>
`;
}

/**
 * The verdict's Markdown (bold lead-ins, names in code) as HTML, escaped.
 * @param text - one sentence
 * @returns its HTML
 */
function inlineMarkdown(text: string): string {
  return escapeHtml(text)
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/`([^`]+)`/g, '<code>$1</code>');
}

/**
 * Renders report.html.
 * @param input - report, charts, scenario and Chart.js source
 * @returns the HTML text, ending with a newline
 */
export function renderHtml(input: HtmlInput): string {
  const { report } = input;
  const startMs = Date.parse(report.window.start);
  const endMs = Date.parse(report.window.end);
  const span = Number.isNaN(startMs) || Number.isNaN(endMs) ? '' : ` (${formatDuration(endMs - startMs)})`;
  const sections = reportSections(report).map(
    (s): PageSection => ({ id: s.id, title: s.title, html: `${htmlNote(s.before)}${htmlTable(s.table)}${htmlNote(s.after)}` }),
  );
  const [first, ...rest] = sections;
  const sentences = verdict(report);
  const verdictSection: PageSection[] =
    sentences.length === 0 ? [] : [{ id: 'verdict', title: 'Verdict', html: `<ul class="verdict">${sentences.map((x) => `<li>${inlineMarkdown(x)}</li>`).join('')}</ul>` }];
  const meta = [
    `Scenario: <code>${escapeHtml(report.scenario)}</code>${input.scenarioFile === undefined ? '' : ` from <code>${escapeHtml(input.scenarioFile)}</code>`}`,
    `Seed: ${escapeHtml(String(report.seed))}`,
    `Mode: ${report.mode === 'sim' ? 'simulated time' : 'live HTTP'}`,
    `Window: ${escapeHtml(report.window.start)} → ${escapeHtml(report.window.end)}${escapeHtml(span)}`,
    `imgsim ${escapeHtml(report.imgsim)}`,
  ];
  return renderPage({
    title: `imgsim report: ${report.scenario}`,
    metaHtml: meta,
    before: [...verdictSection, ...(first ? [first] : [])],
    charts: input.charts,
    after: rest,
    ...(input.scenarioYaml === undefined ? {} : { scenario: { file: input.scenarioFile ?? 'scenario', yaml: input.scenarioYaml } }),
    chartJsSource: input.chartJsSource,
  });
}
