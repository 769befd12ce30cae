import { describe, expect, it } from 'vitest';
import { buildCharts } from '../../src/report/charts/config.js';
import { escapeHtml, htmlTable, loadChartJsSource, renderHtml, scriptJson } from '../../src/report/html.js';
import { chartsRun } from './charts/_report.js';

const EVIL_STRATEGY = '<img src=x onerror=alert(1)>';
const EVIL_SCRIPT = '</script><script>alert(2)</script>';

describe('escaping', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it('writes JSON that cannot close its script element', () => {
    const text = scriptJson({ name: EVIL_SCRIPT, sep: '\u2028' });
    expect(text).not.toContain('</script');
    expect(text).not.toContain('\u2028');
    expect(JSON.parse(text)).toEqual({ name: EVIL_SCRIPT, sep: '\u2028' });
  });
});

describe('renderHtml', async () => {
  const { scenario, report: clean } = await chartsRun();
  const report = {
    ...clean,
    strategies: clean.strategies.map((s, i) => (i === 0 ? { ...s, name: EVIL_STRATEGY } : i === 1 ? { ...s, name: EVIL_SCRIPT } : s)),
  };
  const chartJsSource = loadChartJsSource();
  const html = renderHtml({
    report,
    charts: buildCharts({ report, scenario }),
    scenarioFile: 'test/fixtures/<charts>.yaml',
    scenarioYaml: `name: charts # ${EVIL_SCRIPT}\n`,
    chartJsSource,
  });

  it('escapes strategy names, the scenario file and its text everywhere', () => {
    expect(html).not.toContain(EVIL_STRATEGY);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('<code>test/fixtures/&lt;charts&gt;.yaml</code>');
    expect(html).toContain('name: charts # &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    // Only the page's own two script elements.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('opens with the verdict of report.md, its Markdown as HTML and the names escaped', () => {
    expect(html.indexOf('>Verdict</h2>')).toBeGreaterThan(0);
    expect(html.indexOf('>Verdict</h2>')).toBeLessThan(html.indexOf('>Strategies</h2>'));
    const list = html.slice(html.indexOf('<ul class="verdict">'), html.indexOf('</ul>', html.indexOf('<ul class="verdict">')));
    expect(list).toMatch(/<li><strong>Interactive<\/strong> \(SLO: /);
    expect(list).not.toContain('**');
    // A strategy name in code, escaped: the hostile name is text, never markup.
    expect(list).not.toContain('<img');
  });

  it('is self-contained: Chart.js inlined, nothing loaded from elsewhere', () => {
    expect(chartJsSource.length).toBeGreaterThan(100_000);
    expect(html).toContain(chartJsSource.slice(0, 200));
    expect(html).not.toMatch(/<(script|img|link|iframe)[^>]*\s(src|href)=/i);
  });

  it('has one canvas per drawn chart and the tables of report.md, best values marked', () => {
    expect(html.match(/<canvas /g)).toHaveLength(9);
    expect(html).toContain('<canvas id="canvas-cost-over-time" width="1200" height="700"');
    for (const title of ['Strategies', 'Provider shares', 'Outcomes by provider', 'Charts', 'Scenario']) expect(html).toContain(`>${title}</h2>`);
    expect(html).toContain('<th class="r">cost total</th>');
    expect(html).toMatch(/<td class="r best"><strong>[^<]+<\/strong><\/td>/);
    expect(html).toContain('<details><summary>');
  });

  it('tells why a chart was not drawn', () => {
    const page = renderHtml({ report: clean, charts: buildCharts({ report: clean, scenario: { ...scenario, budget: undefined } }), chartJsSource: '' });
    expect(page).toContain('Not drawn: The scenario has no budget.');
    expect(page.match(/<canvas /g)).toHaveLength(8);
    expect(page).not.toContain('id="scenario"');
  });
});

describe('tables', () => {
  const table = (n: number, text = (i: number) => `row ${i}`) => ({
    header: ['name', 'n'],
    align: ['l', 'r'] as const,
    rows: Array.from({ length: n }, (_, i) => [{ text: text(i + 1) }, { text: String(i + 1) }]),
  });
  const openRows = (html: string) => (html.split('<details')[0]!.match(/<tr>/g) ?? []).length - 1;

  it('shows twelve rows open and folds the rest into a details element', () => {
    expect(htmlTable(table(12))).not.toContain('<details');
    expect(openRows(htmlTable(table(12)))).toBe(12);
    const html = htmlTable(table(30));
    expect(openRows(html)).toBe(12);
    expect(html).toContain('<details class="more-rows"><summary>18 more rows</summary>');
    // The folded table repeats the header and holds rows 13 to 30.
    const folded = html.split('<details')[1]!;
    expect(folded).toContain('<th>name</th>');
    expect(folded).toContain('<td>row 13</td>');
    expect(folded).toContain('<td>row 30</td>');
    expect(htmlTable(table(13))).toContain('<summary>1 more row</summary>');
  });

  it('clips a long cell to two lines with its whole text in the tooltip', () => {
    const alerts = '50% at 3d 4h, 80% at 5d 1h, 100% at 6d 20h';
    const html = htmlTable(table(1, () => alerts));
    expect(html).toContain(`<td class="long" title="${alerts}"><div>${alerts}</div></td>`);
    expect(htmlTable(table(1, () => 'short'))).toContain('<td>short</td>');
  });
});
