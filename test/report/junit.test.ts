import { describe, expect, it } from 'vitest';
import { compareReports, parseTolerances } from '../../src/report/compare.js';
import { renderComparisonJunit, renderReportJunit, xmlEscape } from '../../src/report/junit.js';
import type { Report } from '../../src/metrics/report-types.js';
import { findAll, parseXml, type XmlElement } from './_xml.js';
import { makeReport, withStrategy } from './_fixture.js';

/** tests/failures/skipped as numbers, from an element's attributes. */
function tally(el: XmlElement): { tests: number; failures: number; skipped: number } {
  return { tests: Number(el.attrs.tests), failures: Number(el.attrs.failures), skipped: Number(el.attrs.skipped) };
}

/** The counts an element's attributes claim must match the testcases inside it. */
function expectConsistent(el: XmlElement): void {
  const cases = findAll(el, 'testcase');
  expect(tally(el)).toEqual({
    tests: cases.length,
    failures: cases.filter((c) => c.children.some((x) => x.name === 'failure')).length,
    skipped: cases.filter((c) => c.children.some((x) => x.name === 'skipped')).length,
  });
}

describe('renderReportJunit', () => {
  it('writes well-formed XML: a testsuite per strategy, a testcase per threshold, failures for the failed ones', () => {
    const xml = renderReportJunit(makeReport());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    const suites = findAll(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['cheapest', 'fastest', 'primary-backup']);
    // The fixture: two thresholds per strategy; p95 fails for cheapest and primary-backup.
    expect(tally(root)).toEqual({ tests: 6, failures: 2, skipped: 0 });
    expectConsistent(root);
    for (const s of suites) expectConsistent(s);
    const failure = findAll(suites[0]!, 'failure')[0]!;
    expect(failure.attrs).toEqual({ message: 'latencyMs.p95 = 16,500 > 10,000', type: 'threshold' });
    const names = findAll(suites[0]!, 'testcase').map((c) => c.attrs.name);
    expect(names).toEqual(['threshold latencyMs.p95 <= 10000', 'threshold successRate >= 0.97']);
    expect(findAll(suites[0]!, 'testcase')[0]!.attrs.classname).toBe('imgsim.quickstart.cheapest');
    expect(findAll(suites[0]!, 'property').map((p) => [p.attrs.name, p.attrs.value])).toContainEqual(['seed', '42']);
  });

  it('is deterministic and holds no wall-clock time', () => {
    const xml = renderReportJunit(makeReport());
    expect(renderReportJunit(makeReport())).toBe(xml);
    expect(xml).not.toMatch(/timestamp|hostname/);
    expect([...xml.matchAll(/time="([^"]*)"/g)].every((m) => m[1] === '0')).toBe(true);
  });

  it('adds the baseline checks to each strategy, and a suite for a strategy the run lost', () => {
    const base = makeReport();
    const current: Report = { ...base, strategies: base.strategies.filter((s) => s.name !== 'fastest') };
    const regressed = withStrategy(current, 'cheapest', { cost: { ...current.strategies[0]!.cost, total: 43.12 } });
    const comparison = compareReports(base, regressed, { tolerances: parseTolerances(['cost=2%']) });
    const root = parseXml(renderReportJunit(regressed, comparison));
    const suites = findAll(root, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['cheapest', 'primary-backup', 'fastest']);
    // 2 strategies × (2 thresholds + 8 checks) + 1 failed case for the removed one
    // ... and cheapest's 18 checks per urgency, class and project with a value
    expect(tally(root)).toEqual({ tests: 39, failures: 4, skipped: 0 });
    expectConsistent(root);
    const cost = findAll(suites[0]!, 'testcase').find((c) => c.attrs.name === 'baseline cost (cost.total)')!;
    const failure = cost.children[0]!;
    expect(failure.attrs.type).toBe('regression');
    expect(failure.attrs.message).toBe('cost regressed: baseline $39.20, current $43.12, delta +$3.92 (+10%), tolerance 2%');
    expect(failure.text).toBe('cost.total: baseline $39.20, current $43.12, delta +$3.92 (+10%), tolerance 2%\nLower is better.');
    const lost = findAll(suites[2]!, 'failure')[0]!;
    expect(lost.attrs.type).toBe('strategy-removed');
    expect(lost.attrs.message).toMatch(/only in the baseline/);
  });

  it('escapes names so that they parse back unchanged, and replaces characters XML cannot hold', () => {
    const nasty = `a<b>&"c" 'd'\nline\ttab\u0001\uFFFF`;
    const report = withStrategy(makeReport(), 'cheapest', {
      name: nasty,
      thresholds: [{ metric: 'x<&>"', limit: 1, kind: 'max', value: 2, ok: false }],
    });
    const xml = renderReportJunit({ ...report, scenario: 'q&a' });
    expect(xml).not.toContain('\u0001');
    const root = parseXml(xml);
    expect(root.attrs.name).toBe('imgsim run q&a');
    const suite = findAll(root, 'testsuite')[0]!;
    expect(suite.attrs.name).toBe(`a<b>&"c" 'd'\nline\ttab\uFFFD\uFFFD`);
    const testcase = findAll(suite, 'testcase')[0]!;
    expect(testcase.attrs.name).toBe('threshold x<&>" <= 1');
    expect(testcase.attrs.classname).toBe(`imgsim.q&a.a<b>&"c" 'd'\nline\ttab\uFFFD\uFFFD`);
    expect(testcase.children[0]!.text).toContain('x<&>" = 2 > 1');
  });

  it.each([
    ['a & b', 'a &amp; b'],
    ['<tag attr="v">', '&lt;tag attr=&quot;v&quot;&gt;'],
    ["it's", 'it&apos;s'],
    ['two\nlines\r\n', 'two&#10;lines&#13;&#10;'],
    ['bell\u0007 nul\u0000', 'bell\uFFFD nul\uFFFD'],
    ['emoji 🎨 and é', 'emoji 🎨 and é'],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate'],
  ])('xmlEscape(%j)', (input, output) => {
    expect(xmlEscape(input)).toBe(output);
  });
});

describe('renderComparisonJunit', () => {
  it('has a testcase per metric and strategy; a removed strategy fails, an added one is skipped, or fails with strict', () => {
    const base = makeReport();
    const current: Report = {
      ...base,
      strategies: [...base.strategies.filter((s) => s.name !== 'fastest'), { ...base.strategies[0]!, name: 'newcomer' }],
    };
    const loose = parseXml(renderComparisonJunit(compareReports(base, current)));
    expect(findAll(loose, 'testsuite').map((s) => s.attrs.name)).toEqual(['cheapest', 'primary-backup', 'newcomer', 'fastest']);
    // 2 × 8 checks + 2 membership cases
    expect(tally(loose)).toEqual({ tests: 36, failures: 1, skipped: 1 });
    expectConsistent(loose);
    const strict = parseXml(renderComparisonJunit(compareReports(base, current, { strict: true })));
    expect(tally(strict)).toEqual({ tests: 36, failures: 2, skipped: 0 });
    expectConsistent(strict);
  });

  it('marks a value missing from the baseline as skipped, not failed', () => {
    const base = makeReport();
    const nan = withStrategy(base, 'fastest', { latencyMs: { ...base.strategies[1]!.latencyMs, p99: NaN } });
    const root = parseXml(renderComparisonJunit(compareReports(nan, base)));
    expect(tally(root)).toEqual({ tests: 44, failures: 0, skipped: 1 });
    expect(findAll(root, 'skipped')[0]!.attrs.message).toBe('p99: no value in the baseline');
  });
});

describe('the test XML reader', () => {
  it.each([['<a><b></a></b>'], ['<a x=1/>'], ['<a>&</a>'], ['<a>1 < 2</a>'], ['<a>\u0001</a>'], ['<a x="1" x="2"/>'], ['<a>'], ['<a/><b/>']])(
    'rejects %j, so the checks above mean something',
    (xml) => {
      expect(() => parseXml(xml)).toThrow();
    },
  );
});
