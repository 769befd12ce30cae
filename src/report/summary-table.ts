/**
 * The per-strategy summary: its columns (shared with the Markdown report) and the plain-text
 * table `imgsim run` prints.
 */
import { count, decimal, MINUS, percent, table, usd } from './format.js';
import { formatDuration } from '../scenario/units.js';
import type { BudgetAlert, OracleReport, Report, StrategyReport, ThresholdResult } from '../metrics/report-types.js';
import { URGENCIES, type Urgency } from '../scenario/schema.js';
import { reservedSummaryLines } from './reserved-section.js';

/** One column of the strategy summary. */
export interface SummaryColumn {
  readonly title: string;
  readonly align: 'l' | 'r';
  /** The cell text for one strategy. */
  readonly cell: (s: StrategyReport) => string;
  /**
   * Which end is best, for columns that have a best value; `value` gives the number compared,
   * or undefined when the strategy has none (latency and cost per image without a success).
   */
  readonly best?: { readonly better: 'low' | 'high'; readonly value: (s: StrategyReport) => number | undefined };
}

/** One strategy's row: cell texts and, per column, whether the cell holds the best value. */
export interface SummaryRow {
  readonly cells: readonly string[];
  readonly best: readonly boolean[];
}

const NONE = '—';

/** A number only strategies with at least one success have (latency, cost per image). */
const ifSucceeded =
  (read: (s: StrategyReport) => number) =>
  (s: StrategyReport): number | undefined =>
    s.requests.succeeded > 0 ? read(s) : undefined;

/**
 * A column of one number per strategy, `—` where a strategy has none, its best cell marked.
 * @param title - the header
 * @param value - the number, or undefined
 * @param format - its text
 * @param better - which end is best
 * @returns the column
 */
function numberColumn(title: string, value: (s: StrategyReport) => number | undefined, format: (x: number) => string, better: 'low' | 'high'): SummaryColumn {
  return {
    title,
    align: 'r',
    cell: (s) => {
      const v = value(s);
      return v === undefined ? NONE : format(v);
    },
    best: { better, value },
  };
}

function latencyColumn(title: string, read: (s: StrategyReport) => number): SummaryColumn {
  return numberColumn(title, ifSucceeded(read), formatDuration, 'low');
}

function sloColumn(title: string, read: (s: StrategyReport) => number | undefined): SummaryColumn {
  return numberColumn(title, read, percent, 'high');
}

/**
 * The urgency classes a report's strategies served, in `URGENCIES` order (none for a report
 * written before per-class figures).
 * @param report - the report
 * @returns e.g. `['interactive', 'batch']`
 */
export function urgenciesOf(report: Report): Urgency[] {
  return URGENCIES.filter((u) => report.strategies.some((s) => (s.slo.byUrgency[u]?.requests ?? 0) > 0));
}

/**
 * The latency and SLO columns per urgency, when the report has more than one: the
 * latency-sensitive class's p50, p95 and p99 first, the others' p95, and each class's SLO
 * attainment. A percentile over classes with different deadlines means nothing (batch work that
 * waits hours for a cheap window on purpose would swamp it), so the summary never shows one then.
 * @param urgencies - from {@link urgenciesOf}, at least two
 * @returns the columns
 */
function perUrgencyColumns(urgencies: readonly Urgency[]): SummaryColumn[] {
  const first = urgencies[0]!;
  // A class nothing of which succeeded has no latency.
  const latency = (u: Urgency, p: 'p50' | 'p95' | 'p99'): SummaryColumn =>
    numberColumn(`${u} ${p}`, (s) => (hasSuccess(s, u) ? s.latencyByUrgency[u]![p] : undefined), formatDuration, 'low');
  return [
    latency(first, 'p50'),
    latency(first, 'p95'),
    latency(first, 'p99'),
    sloColumn(`${first} SLO`, (s) => sloOf(s, first)),
    ...urgencies.slice(1).flatMap((u) => [latency(u, 'p95'), sloColumn(`${u} SLO`, (s) => sloOf(s, u))]),
  ];
}

function hasSuccess(s: StrategyReport, u: Urgency): boolean {
  const l = s.latencyByUrgency[u];
  return l !== undefined && !Number.isNaN(l.p50);
}

/**
 * A strategy's SLO attainment in one urgency (older reports: attained ÷ requests).
 * @param s - the strategy
 * @param u - the urgency
 * @returns the fraction, or undefined when it had none of its requests
 */
export function sloOf(s: StrategyReport, u: Urgency): number | undefined {
  const g = s.slo.byUrgency[u];
  if (g === undefined || !(g.requests > 0)) return undefined;
  return g.attainment ?? g.attained / g.requests;
}

/**
 * Formats budget alerts compactly: the overall limit's thresholds, then each project's, with a
 * count when one fired in several periods.
 * @param alerts - a strategy's alerts
 * @returns e.g. `50% 80%×2; catalog: 100%`, or `—` when none fired
 */
export function formatAlerts(alerts: readonly BudgetAlert[]): string {
  if (alerts.length === 0) return NONE;
  const groups = new Map<string, Map<number, number>>();
  for (const a of alerts) {
    const key = a.project ?? '';
    const group = groups.get(key) ?? new Map<number, number>();
    group.set(a.threshold, (group.get(a.threshold) ?? 0) + 1);
    groups.set(key, group);
  }
  // '' (the overall limit) sorts first.
  return [...groups.keys()]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => {
      const group = groups.get(key)!;
      const list = [...group.keys()]
        .sort((a, b) => a - b)
        .map((t) => {
          const n = group.get(t)!;
          return n > 1 ? `${percent(t)}×${n}` : percent(t);
        })
        .join(' ');
      return key === '' ? list : `${key}: ${list}`;
    })
    .join('; ');
}

/** The summary's columns, in order: the same in the terminal and in `report.md`. */
export const SUMMARY_COLUMNS: readonly SummaryColumn[] = [
  { title: 'strategy', align: 'l', cell: (s) => s.name },
  { title: 'requests', align: 'r', cell: (s) => count(s.requests.total) },
  { title: 'success rate', align: 'r', cell: (s) => percent(s.successRate), best: { better: 'high', value: (s) => s.successRate } },
  { title: 'cost total', align: 'r', cell: (s) => usd(s.cost.total), best: { better: 'low', value: (s) => s.cost.total } },
  {
    title: 'cost per image',
    align: 'r',
    cell: (s) => (s.requests.succeeded > 0 ? usd(s.cost.perSucceeded) : NONE),
    best: { better: 'low', value: ifSucceeded((s) => s.cost.perSucceeded) },
  },
  { title: 'wasted', align: 'r', cell: (s) => usd(s.cost.wasted), best: { better: 'low', value: (s) => s.cost.wasted } },
  latencyColumn('p50', (s) => s.latencyMs.p50),
  latencyColumn('p95', (s) => s.latencyMs.p95),
  latencyColumn('p99', (s) => s.latencyMs.p99),
  { title: 'failovers', align: 'r', cell: (s) => count(s.attempts.failovers) },
  sloColumn('SLO attainment', (s) => s.slo.attainment),
  { title: 'goodput (/s)', align: 'r', cell: (s) => decimal(s.slo.goodput), best: { better: 'high', value: (s) => s.slo.goodput } },
  { title: 'budget alerts', align: 'l', cell: (s) => formatAlerts(s.budget.alerts) },
];

/**
 * Formats a signed fraction as a percentage: `+12.5%`, `-0.33%`, `0%`.
 * @param fraction - e.g. 0.125
 * @returns the text; `n/a` when not finite
 */
export function signedPercent(fraction: number): string {
  const text = percent(Math.abs(fraction));
  if (fraction === 0 || text === 'n/a') return text;
  return `${fraction > 0 ? '+' : MINUS}${text}`;
}

/** The regret column: cost above the oracle's plan, as a fraction of it (docs/report.md#oracle). */
export const REGRET_COLUMN: SummaryColumn = {
  title: 'regret',
  align: 'r',
  cell: (s) => (s.regret === undefined ? NONE : signedPercent(s.regret.ratio)),
};

/**
 * The fees column: a gateway's fees, in the cost total too (docs/gateways.md#fees); `—` for a
 * strategy without `fees` (it pays the providers directly).
 */
export const FEES_COLUMN: SummaryColumn = {
  title: 'fees',
  align: 'r',
  cell: (s) => (s.cost.fees === undefined ? NONE : usd(s.cost.fees.total)),
};

/**
 * The summary's columns for a report: {@link SUMMARY_COLUMNS}, plus the fees column after
 * `cost total` when a strategy has a gateway's fees, and the regret column after `wasted` when
 * the report has the oracle.
 * @param report - the report
 * @returns the columns, in order
 */
export function summaryColumns(report: Report): readonly SummaryColumn[] {
  let columns: readonly SummaryColumn[] = SUMMARY_COLUMNS;
  if (report.strategies.some((s) => s.cost.fees !== undefined)) {
    const at = columns.findIndex((c) => c.title === 'cost total') + 1;
    columns = [...columns.slice(0, at), FEES_COLUMN, ...columns.slice(at)];
  }
  const urgencies = urgenciesOf(report);
  if (urgencies.length > 1) {
    // Per urgency in place of the pooled p50, p95, p99 and SLO attainment.
    const pooled = new Set(['p50', 'p95', 'p99', 'SLO attainment']);
    const at = columns.findIndex((c) => c.title === 'p50');
    columns = [...columns.slice(0, at), ...perUrgencyColumns(urgencies), ...columns.slice(at).filter((c) => !pooled.has(c.title))];
  }
  if (report.oracle === undefined) return columns;
  const at = columns.findIndex((c) => c.title === 'wasted') + 1;
  return [...columns.slice(0, at), REGRET_COLUMN, ...columns.slice(at)];
}

/**
 * One line on the oracle for under the summary table.
 * @param oracle - the report's oracle section
 * @returns e.g. `oracle: $6,627.78 for 259,369 of 259,389 requests within SLO (13 unserved); lower bound $6,418.45`,
 *   under a budget `(… 20 unserved, 7 of them over the budget)`
 */
export function formatOracle(oracle: OracleReport): string {
  const { requests } = oracle;
  const overBudget = requests.overBudget ?? 0;
  const unserved = requests.unserved > 0 ? `${count(requests.unserved)} unserved${overBudget > 0 ? `, ${count(overBudget)} of them over the budget` : ''}` : '';
  const misses = [requests.late > 0 ? `${count(requests.late)} late` : '', unserved]
    .filter((x) => x !== '')
    .join(', ');
  return (
    `oracle: ${usd(oracle.cost)} for ${count(requests.withinSlo)} of ${count(requests.total)} requests within SLO` +
    `${misses === '' ? '' : ` (${misses})`}; lower bound ${usd(oracle.unconstrainedCost)}`
  );
}

/**
 * Builds the summary rows and marks the best cell of each column: every strategy whose cell
 * shows the best value (ties included), unless there is only one strategy or every strategy
 * shows the same text; NaN and missing values never count as best.
 * @param report - the report
 * @returns one row per strategy, in report order, cells as {@link summaryColumns} orders them
 */
export function summaryRows(report: Report): SummaryRow[] {
  const strategies = report.strategies;
  const columns = summaryColumns(report);
  const cells = strategies.map((s) => columns.map((c) => c.cell(s)));
  const best = strategies.map(() => columns.map(() => false));
  columns.forEach((column, j) => {
    if (!column.best || strategies.length < 2) return;
    const { better, value } = column.best;
    let bestIndex = -1;
    let bestValue = 0;
    strategies.forEach((s, i) => {
      const v = value(s);
      if (v === undefined || Number.isNaN(v)) return;
      if (bestIndex < 0 || (better === 'low' ? v < bestValue : v > bestValue)) {
        bestIndex = i;
        bestValue = v;
      }
    });
    if (bestIndex < 0) return;
    const bestText = cells[bestIndex]![j]!;
    // Nothing stands out when every strategy shows the same text.
    if (cells.every((row) => row[j] === bestText)) return;
    strategies.forEach((s, i) => {
      const v = value(s);
      if (v !== undefined && !Number.isNaN(v) && cells[i]![j] === bestText) best[i]![j] = true;
    });
  });
  return cells.map((row, i) => ({ cells: row, best: best[i]! }));
}

/**
 * Formats a threshold verdict without its mark: the metric, its value and the bound it met or
 * broke.
 * @param t - one threshold result
 * @returns e.g. `latencyMs.p95 = 12,345 > 10,000`, `successRate = 0.995 >= 0.99`
 */
export function formatThresholdResult(t: ThresholdResult): string {
  const limit = decimal(t.limit, 6);
  if (Number.isNaN(t.value)) return `${t.metric} = n/a (must be ${t.kind === 'max' ? '<=' : '>='} ${limit})`;
  const op = t.kind === 'max' ? (t.ok ? '<=' : '>') : t.ok ? '>=' : '<';
  return `${t.metric} = ${decimal(t.value, 6)} ${op} ${limit}`;
}

/**
 * Cost and SLO attainment of each strategy per traffic class or per project, for the terminal
 * (report.md has them as separate tables): `$610.58 · 99.96%` per cell.
 * @param report - the report
 * @param by - the dimension
 * @returns the table with its title line, or undefined when the report has one group or none
 */
function groupTable(report: Report, by: 'class' | 'project'): string | undefined {
  const slo = (s: StrategyReport) => (by === 'class' ? s.slo.byClass : s.slo.byProject);
  const keys = [...new Set(report.strategies.flatMap((s) => Object.keys(slo(s) ?? {})))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length < 2) return undefined;
  const rows = report.strategies.map((s) => [
    s.name,
    ...keys.map((k) => {
      const g = slo(s)?.[k];
      const cost = (by === 'class' ? s.cost.byClass?.[k] : s.cost.byProject[k]) ?? 0;
      return g === undefined || !(g.requests > 0) ? NONE : `${usd(cost)} · ${percent(g.attainment ?? g.attained / g.requests)}`;
    }),
  ]);
  const title = `cost · SLO attainment by ${by === 'class' ? 'traffic class' : 'project'}`;
  return `${title}\n${table(['strategy', ...keys], rows, ['l', ...keys.map(() => 'r' as const)])}`;
}

/**
 * Renders the summary for the terminal: an aligned plain-text table of the strategies, a line
 * per provider with reserved capacity, a line on the oracle (when run), then one line per failed threshold (or one line saying all passed).
 * @param report - the report
 * @returns the text, ending with a newline
 */
export function renderSummaryTable(report: Report): string {
  const rows = summaryRows(report).map((r) => r.cells);
  const columns = summaryColumns(report);
  const lines = [
    table(
      columns.map((c) => c.title),
      rows,
      columns.map((c) => c.align),
    ),
  ];
  for (const g of ['class', 'project'] as const) {
    const groups = groupTable(report, g);
    if (groups !== undefined) lines.push('', groups);
  }
  const reserved = reservedSummaryLines(report);
  if (reserved.length > 0) lines.push('', ...reserved);
  if (report.oracle !== undefined) lines.push('', formatOracle(report.oracle));
  const results = report.strategies.flatMap((s) => s.thresholds.map((t) => ({ strategy: s.name, t })));
  const failed = results.filter((r) => !r.t.ok);
  if (results.length > 0) {
    lines.push('');
    if (failed.length === 0) lines.push(results.length === 1 ? '✓ 1 threshold passed' : `✓ all ${results.length} thresholds passed`);
    for (const { strategy, t } of failed) lines.push(`✗ ${strategy} ${formatThresholdResult(t)}`);
  }
  return `${lines.join('\n')}\n`;
}
