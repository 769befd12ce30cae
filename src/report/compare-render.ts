/**
 * Printing a Comparison: the plain-text table `imgsim compare` prints and `compare.md` (or the
 * section `run --baseline` appends to report.md). Deterministic: the same comparison gives the
 * same bytes.
 */
import { percent, table, usd } from './format.js';
import { code, mdTable } from './markdown.js';
import { formatDuration } from '../scenario/units.js';
import type { Comparison, MetricCheck, MetricUnit, ReportIdentity } from './compare.js';

/** Options of the renderers: how to name the two reports (their file paths, usually). */
export interface CompareRenderOptions {
  readonly baselineLabel?: string;
  readonly currentLabel?: string;
}

/** Options of {@link renderComparisonMarkdown}. */
export interface CompareMarkdownOptions extends CompareRenderOptions {
  /** 1: a document of its own (`compare.md`); 2: a section to append to report.md. Default 1. */
  readonly headingLevel?: 1 | 2;
}

const NONE = '—';

const HEADER = ['strategy', 'metric', 'baseline', 'current', 'delta', 'change', 'tolerance', 'verdict'] as const;
const ALIGN: readonly ('l' | 'r')[] = ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'];

/**
 * Formats a metric value in its unit.
 * @param unit - the metric's unit
 * @param x - the value, or null when missing
 * @returns e.g. `$39.20`, `16.5s`, `98%`; `—` when missing
 */
export function formatValue(unit: MetricUnit, x: number | null): string {
  if (x === null) return NONE;
  switch (unit) {
    case 'usd':
      return usd(x);
    case 'ms':
      return formatDuration(x);
    case 'fraction':
      return percent(x);
  }
}

/**
 * Formats a signed difference in the metric's unit; rates in percentage points.
 * @param unit - the metric's unit
 * @param x - current − baseline, or null
 * @returns e.g. `+$3.92`, `−1.2s`, `+0.5pp`, `0`; `—` when missing
 */
export function formatDelta(unit: MetricUnit, x: number | null): string {
  if (x === null) return NONE;
  if (x === 0) return '0';
  const sign = x > 0 ? '+' : '−';
  const abs = Math.abs(x);
  switch (unit) {
    case 'usd':
      return `${sign}${usd(abs)}`;
    case 'ms':
      return `${sign}${formatDuration(abs)}`;
    case 'fraction': {
      const points = +(abs * 100).toFixed(2);
      return points === 0 ? `${sign}<0.01pp` : `${sign}${points}pp`;
    }
  }
}

/**
 * Formats a relative change as a signed percentage.
 * @param relative - delta ÷ |baseline|, or null when undefined (zero or missing baseline)
 * @returns e.g. `+10%`, `−2.5%`, `0%`; `—` when undefined
 */
export function formatChange(relative: number | null): string {
  if (relative === null) return NONE;
  if (relative === 0) return '0%';
  const shown = +(Math.abs(relative) * 100).toFixed(2);
  return `${relative > 0 ? '+' : '−'}${shown === 0 ? '<0.01' : shown}%`;
}

/** Whether a check gets a table row: the overall and per-urgency ones always, per class and project only when they moved beyond their tolerance or lack a value. */
function shown(c: MetricCheck): boolean {
  return c.group === undefined || !/^(class|project) /.test(c.group) || c.verdict !== 'ok';
}

/** The note under a table that leaves out per-class and per-project checks that are ok. */
function hiddenNote(comparison: Comparison): string | undefined {
  const hidden = comparison.strategies.reduce((n, s) => n + s.checks.filter((c) => !shown(c)).length, 0);
  return hidden === 0 ? undefined : `${hidden} per-class and per-project checks ok, not listed (compare.json has every check)`;
}

/** The row of one check, without its strategy. */
function checkCells(c: MetricCheck): string[] {
  const verdict = c.verdict === 'regressed' ? '✗ regressed' : c.verdict;
  return [
    c.metric,
    formatValue(c.unit, c.baseline),
    formatValue(c.unit, c.current),
    formatDelta(c.unit, c.delta),
    formatChange(c.relative),
    c.tolerance.text,
    c.note === undefined ? verdict : `${verdict} (${c.note})`,
  ];
}

/** One line per regression: `cheapest cost +10% (+$3.92), tolerance 2%`. */
function regressionLines(comparison: Comparison): string[] {
  const lines: string[] = [];
  for (const s of comparison.strategies) {
    for (const c of s.checks) {
      if (c.verdict !== 'regressed') continue;
      const moved = c.delta === null ? (c.note ?? 'missing') : `${formatChange(c.relative)} (${formatDelta(c.unit, c.delta)}), tolerance ${c.tolerance.text}`;
      lines.push(`${s.name} ${c.metric} ${moved}`);
    }
  }
  return lines;
}

/** The added/removed sentences, saying whether they fail; `name` formats a strategy name. */
function membershipLines(comparison: Comparison, name: (s: string) => string = (s) => s): string[] {
  const consequence = comparison.strict ? 'fails with --strict' : 'not a failure; --strict makes it one';
  const lines: string[] = [];
  if (comparison.added.length > 0) lines.push(`added (only in the current report, ${consequence}): ${comparison.added.map(name).join(', ')}`);
  if (comparison.removed.length > 0) lines.push(`missing (only in the baseline: the current report lost it, a failure): ${comparison.removed.map(name).join(', ')}`);
  return lines;
}

/** The one-line verdict: `✓ no regressions (24 checks: 22 ok, 2 improved)`. */
function verdictLine(comparison: Comparison): string {
  const { checks, ok, improved, regressed, missing } = comparison.counts;
  const parts = [`${ok} ok`, `${improved} improved`, `${regressed} regressed`];
  if (missing > 0) parts.push(`${missing} missing`);
  const tail = `(${checks} ${checks === 1 ? 'check' : 'checks'}: ${parts.join(', ')})`;
  if (regressed > 0) return `✗ ${regressed} ${regressed === 1 ? 'regression' : 'regressions'} ${tail}`;
  if (comparison.removed.length > 0) return `✗ ${comparison.removed.length === 1 ? 'a strategy is' : 'strategies are'} missing from the current report ${tail}`;
  if (comparison.failed) return `✗ strategies added (--strict) ${tail}`;
  return `✓ no regressions ${tail}`;
}

function describe(id: ReportIdentity): string {
  return `${id.scenario}, seed ${id.seed}, ${id.mode}, imgsim ${id.imgsim}`;
}

/**
 * Renders the comparison for the terminal: who is compared, warnings, one table row per
 * strategy and metric, added and removed strategies, the regressions and a verdict line.
 * @param comparison - the comparison
 * @param opts - labels for the two reports
 * @returns the text, ending with a newline
 */
export function renderComparisonText(comparison: Comparison, opts: CompareRenderOptions = {}): string {
  const lines = [
    `baseline: ${opts.baselineLabel === undefined ? '' : `${opts.baselineLabel} `}(${describe(comparison.baseline)})`,
    `current:  ${opts.currentLabel === undefined ? '' : `${opts.currentLabel} `}(${describe(comparison.current)})`,
    ...comparison.warnings.map((w) => `warning: ${w}`),
    '',
  ];
  const rows = comparison.strategies.flatMap((s) => s.checks.filter(shown).map((c) => [s.name, ...checkCells(c)]));
  if (rows.length > 0) lines.push(table(HEADER, rows, ALIGN), '');
  else lines.push('no strategy is in both reports', '');
  const hidden = hiddenNote(comparison);
  if (hidden !== undefined) lines.push(hidden);
  lines.push(...membershipLines(comparison));
  lines.push(...regressionLines(comparison).map((l) => `✗ ${l}`));
  lines.push(verdictLine(comparison));
  return `${lines.join('\n')}\n`;
}

/**
 * Renders the comparison as Markdown: a document of its own (`compare.md`) or, with
 * `headingLevel: 2`, the section `run --baseline` appends to report.md.
 * @param comparison - the comparison
 * @param opts - labels and heading level
 * @returns the Markdown text, ending with a newline
 */
export function renderComparisonMarkdown(comparison: Comparison, opts: CompareMarkdownOptions = {}): string {
  const level = opts.headingLevel ?? 1;
  const title = level === 1 ? `# imgsim comparison: ${comparison.current.scenario}` : '## Comparison with the baseline';
  const label = (l: string | undefined): string => (l === undefined ? '' : `${code(l)} `);
  const parts: string[] = [
    title,
    [
      `- Baseline: ${label(opts.baselineLabel)}(${describe(comparison.baseline)})`,
      `- Current: ${label(opts.currentLabel)}(${describe(comparison.current)})`,
    ].join('\n'),
  ];
  if (comparison.warnings.length > 0) parts.push(comparison.warnings.map((w) => `> **Warning:** ${w}.`).join('\n>\n'));
  const verdict = verdictLine(comparison);
  parts.push(comparison.failed ? `**${verdict}**` : verdict);
  // Regressed rows are emphasised (in bold) as the report's best values are.
  const rows = comparison.strategies.flatMap((s) => s.checks.filter(shown).map((c) => [s.name, ...checkCells(c)].map((text) => ({ text, best: c.verdict === 'regressed' }))));
  if (rows.length > 0) parts.push(mdTable({ header: HEADER, align: ALIGN, rows }));
  else parts.push('No strategy is in both reports.');
  const hidden = hiddenNote(comparison);
  if (hidden !== undefined) parts.push(`${hidden}.`);
  const membership = membershipLines(comparison, code);
  if (membership.length > 0) parts.push(membership.map((l) => `- ${l}`).join('\n'));
  parts.push(
    'Verdicts: within the tolerance either way is ok; beyond it, improved or regressed by the metric\'s direction ' +
      '(lower is better for cost and latency, higher for success rate and SLO attainment). Only regressions fail.',
  );
  return `${parts.join('\n\n')}\n`;
}
