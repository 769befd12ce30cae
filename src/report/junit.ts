/**
 * JUnit XML for CI test-report tools: a testsuite per strategy, a testcase per threshold and per
 * baseline check. Deterministic: no wall-clock timestamps or host names, `time="0"` everywhere
 * (simulated time is not test time).
 */
import { formatChange, formatDelta, formatValue } from './compare-render.js';
import { formatThresholdResult } from './summary-table.js';
import type { Comparison, MetricCheck } from './compare.js';
import type { Report, ThresholdResult } from '../metrics/report-types.js';

/** One testcase: passed, failed (with a message and details) or skipped (with a reason). */
interface Case {
  readonly name: string;
  readonly result: { readonly kind: 'passed' } | { readonly kind: 'failed'; readonly type: string; readonly message: string; readonly details: string } | { readonly kind: 'skipped'; readonly message: string };
}

interface Suite {
  readonly name: string;
  readonly cases: readonly Case[];
}

/**
 * Escapes text for XML 1.0 attribute values and character data: the five special characters,
 * line breaks and tabs in attributes (which a parser would otherwise normalise to spaces), and
 * characters XML 1.0 cannot hold at all (control characters, lone surrogates, U+FFFE/U+FFFF),
 * which become U+FFFD.
 * @param text - any string
 * @returns the escaped text
 */
export function xmlEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '&':
        out += '&amp;';
        continue;
      case '<':
        out += '&lt;';
        continue;
      case '>':
        out += '&gt;';
        continue;
      case '"':
        out += '&quot;';
        continue;
      case "'":
        out += '&apos;';
        continue;
      case '\n':
        out += '&#10;';
        continue;
      case '\r':
        out += '&#13;';
        continue;
      case '\t':
        out += '&#9;';
        continue;
    }
    // Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
    const allowed = (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
    out += allowed ? ch : '\uFFFD';
  }
  return out;
}

function thresholdCase(t: ThresholdResult): Case {
  const bound = `${t.metric} ${t.kind === 'max' ? '<=' : '>='} ${t.limit}`;
  const verdict = formatThresholdResult(t);
  return {
    name: `threshold ${bound}`,
    result: t.ok ? { kind: 'passed' } : { kind: 'failed', type: 'threshold', message: verdict, details: `${verdict}\nThe scenario's threshold requires ${bound}.` },
  };
}

function checkCase(c: MetricCheck): Case {
  const name = `baseline ${c.metric} (${c.path})`;
  const numbers = `baseline ${formatValue(c.unit, c.baseline)}, current ${formatValue(c.unit, c.current)}, delta ${formatDelta(c.unit, c.delta)} (${formatChange(c.relative)}), tolerance ${c.tolerance.text}`;
  const note = c.note === undefined ? '' : `; ${c.note}`;
  if (c.verdict === 'regressed') {
    return {
      name,
      result: { kind: 'failed', type: 'regression', message: `${c.metric} regressed: ${numbers}${note}`, details: `${c.path}: ${numbers}${note}\n${c.better === 'lower' ? 'Lower' : 'Higher'} is better.` },
    };
  }
  if (c.verdict === 'missing') return { name, result: { kind: 'skipped', message: `${c.metric}: ${c.note ?? 'no value'}` } };
  return { name, result: { kind: 'passed' } };
}

function membershipCase(comparison: Comparison, kind: 'added' | 'removed'): Case {
  const message =
    kind === 'added'
      ? 'only in the current report: nothing to compare it with'
      : 'only in the baseline: the current report does not have this strategy';
  return {
    name: `baseline strategy ${kind}`,
    result:
      kind === 'removed'
        ? { kind: 'failed', type: 'strategy-removed', message, details: message }
        : comparison.strict
          ? { kind: 'failed', type: 'strategy-added', message, details: `${message} (--strict)` }
          : { kind: 'skipped', message },
  };
}

/** The comparison's cases per strategy name, added and removed strategies included. */
function comparisonCases(comparison: Comparison): Map<string, Case[]> {
  const out = new Map<string, Case[]>();
  for (const s of comparison.strategies) out.set(s.name, s.checks.map(checkCase));
  for (const name of comparison.added) out.set(name, [membershipCase(comparison, 'added')]);
  for (const name of comparison.removed) out.set(name, [membershipCase(comparison, 'removed')]);
  return out;
}

function render(title: string, classPrefix: string, properties: readonly (readonly [string, string])[], suites: readonly Suite[]): string {
  const tally = (cases: readonly Case[]): { tests: number; failures: number; skipped: number } => ({
    tests: cases.length,
    failures: cases.filter((c) => c.result.kind === 'failed').length,
    skipped: cases.filter((c) => c.result.kind === 'skipped').length,
  });
  const all = tally(suites.flatMap((s) => s.cases));
  const a = xmlEscape;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${a(title)}" tests="${all.tests}" failures="${all.failures}" errors="0" skipped="${all.skipped}" time="0">`,
  ];
  for (const suite of suites) {
    const t = tally(suite.cases);
    lines.push(`  <testsuite name="${a(suite.name)}" tests="${t.tests}" failures="${t.failures}" errors="0" skipped="${t.skipped}" time="0">`);
    lines.push('    <properties>');
    for (const [k, v] of properties) lines.push(`      <property name="${a(k)}" value="${a(v)}"/>`);
    lines.push('    </properties>');
    for (const c of suite.cases) {
      const open = `    <testcase classname="${a(`${classPrefix}.${suite.name}`)}" name="${a(c.name)}" time="0"`;
      const r = c.result;
      if (r.kind === 'passed') lines.push(`${open}/>`);
      else if (r.kind === 'skipped') lines.push(`${open}>`, `      <skipped message="${a(r.message)}"/>`, '    </testcase>');
      else {
        // Escaped line by line so the details keep real line breaks (xmlEscape would write &#10;).
        const details = r.details.split('\n').map(a).join('\n');
        lines.push(`${open}>`, `      <failure message="${a(r.message)}" type="${a(r.type)}">${details}</failure>`, '    </testcase>');
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function reportProperties(report: Report): [string, string][] {
  return [
    ['scenario', report.scenario],
    ['seed', String(report.seed)],
    ['mode', report.mode],
    ['imgsim', report.imgsim],
    ['window', `${report.window.start}/${report.window.end}`],
  ];
}

/**
 * `report.junit.xml`: per strategy of the report, a testcase per threshold and, when a baseline
 * comparison is given (`run --baseline`), per compared metric; strategies only in the baseline
 * get a suite of their own.
 * @param report - the run's report
 * @param comparison - the comparison with the baseline, if any
 * @returns the XML text, ending with a newline
 */
export function renderReportJunit(report: Report, comparison?: Comparison): string {
  const compared = comparison === undefined ? new Map<string, Case[]>() : comparisonCases(comparison);
  const suites: Suite[] = report.strategies.map((s) => ({ name: s.name, cases: [...s.thresholds.map(thresholdCase), ...(compared.get(s.name) ?? [])] }));
  for (const name of comparison?.removed ?? []) suites.push({ name, cases: compared.get(name) ?? [] });
  return render(`imgsim run ${report.scenario}`, `imgsim.${report.scenario}`, reportProperties(report), suites);
}

/**
 * `compare.junit.xml`: a testsuite per strategy of either report, a testcase per compared
 * metric; a removed strategy is a failed testcase, an added one skipped (failed with `--strict`).
 * @param comparison - the comparison
 * @returns the XML text, ending with a newline
 */
export function renderComparisonJunit(comparison: Comparison): string {
  const cases = comparisonCases(comparison);
  const names = [...comparison.strategies.map((s) => s.name), ...comparison.added, ...comparison.removed];
  const c = comparison.current;
  const properties: [string, string][] = [
    ['scenario', c.scenario],
    ['seed', String(c.seed)],
    ['mode', c.mode],
    ['imgsim', c.imgsim],
    ['baseline.scenario', comparison.baseline.scenario],
    ['baseline.seed', String(comparison.baseline.seed)],
    ['baseline.imgsim', comparison.baseline.imgsim],
  ];
  return render(`imgsim compare ${c.scenario}`, `imgsim.${c.scenario}`, properties, names.map((name) => ({ name, cases: cases.get(name) ?? [] })));
}
