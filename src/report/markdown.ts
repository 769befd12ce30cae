/**
 * `report.md`: the report for people — the strategy summary with the best values in bold,
 * provider shares, outcomes, credits and thresholds. Deterministic: the same report gives the
 * same bytes.
 */
import { count, percent, usd } from './format.js';
import { OUTCOME_KINDS } from '../scenario/schema.js';
import { formatDuration } from '../scenario/units.js';
import type { Report, StrategyReport } from '../metrics/report-types.js';
import { formatThresholdResult, signedPercent, summaryColumns, summaryRows } from './summary-table.js';

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** The scenario file the run came from, shown under the title. */
  readonly scenarioFile?: string;
}

const NONE = '—';

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Makes text safe inside a table cell: no pipes, no line breaks. */
function cellText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.replace(/\r?\n/g, ' ')}${fence}`;
}

/** A GitHub-flavoured Markdown table, padded so the source reads aligned too. */
function mdTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string {
  const safeHeader = header.map(cellText);
  const widths = safeHeader.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isRight = (i: number): boolean => align[i] === 'r';
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((w, i) => (isRight(i) ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (isRight(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(safeHeader), rule, ...rows.map(line)].join('\n');
}

function strategyTable(report: Report): string {
  const rows = summaryRows(report).map((row) => row.cells.map((c, j) => (row.best[j] ? `**${cellText(c)}**` : cellText(c))));
  const columns = summaryColumns(report);
  return mdTable(
    columns.map((c) => c.title),
    rows,
    columns.map((c) => c.align),
  );
}

function oracleSection(report: Report): string | undefined {
  const oracle = report.oracle;
  if (oracle === undefined) return undefined;
  const { requests, unconstrained } = oracle;
  const facts = [
    `- Plan (capacity-aware, greedy): ${usd(oracle.cost)} for ${count(requests.total)} requests: ` +
      `${count(requests.withinSlo)} within SLO, ${count(requests.late)} late, ${count(requests.unserved)} unserved.`,
    `- Lower bound (capacity ignored): ${usd(oracle.unconstrainedCost)}; the draws allow ` +
      `${count(unconstrained.withinSlo)} within SLO, ${count(unconstrained.late)} late, ${count(unconstrained.unservable)} unservable.`,
  ].join('\n');
  const rows = report.strategies.map((s) => {
    const r = s.regret;
    if (r === undefined) return [cellText(s.name), usd(s.cost.total), NONE, NONE, NONE, NONE];
    return [
      cellText(s.name),
      usd(s.cost.total),
      r.usd < 0 ? `-${usd(-r.usd)}` : usd(r.usd),
      signedPercent(r.ratio),
      usd(r.lowerBound),
      r.lowerBound > 0 ? signedPercent(s.cost.total / r.lowerBound - 1) : NONE,
    ];
  });
  const header = ['strategy', 'cost total', 'regret', 'regret %', 'lower bound for its service', 'above it'];
  const table = mdTable(header, rows, header.map((_, i) => (i === 0 ? 'l' : 'r')));
  return (
    `${facts}\n\n${table}\n\n` +
    'Regret: cost above the plan; negative when a strategy paid less, mostly by serving fewer requests within SLO ' +
    '(the plan is greedy and plans first attempts only, so a strategy can also beat it). ' +
    'Lower bound for its service: the least any router could have paid to give each request what this strategy gave it ' +
    '(an image within SLO, a late image, or none) on the same draws.'
  );
}

/** Every provider id a strategy report mentions, sorted. */
function providerIds(strategies: readonly StrategyReport[]): string[] {
  const ids = new Set<string>();
  for (const s of strategies) {
    for (const id of Object.keys(s.providers)) ids.add(id);
    for (const id of Object.keys(s.cost.byProvider)) ids.add(id);
  }
  return [...ids].sort(byCodeUnits);
}

function share(part: number, whole: number): string {
  return whole > 0 ? percent(part / whole) : NONE;
}

function providerSharesTable(report: Report, ids: readonly string[]): string {
  const rows = report.strategies.map((s) => {
    let attempts = 0;
    let costUsd = 0;
    for (const p of Object.values(s.providers)) {
      attempts += p.attempts;
      costUsd += p.cost;
    }
    return [
      cellText(s.name),
      ...ids.map((id) => {
        const p = s.providers[id];
        return p ? `${share(p.attempts, attempts)} / ${share(p.cost, costUsd)}` : NONE;
      }),
    ];
  });
  return mdTable(
    ['strategy', ...ids],
    rows,
    ['l', ...ids.map(() => 'r' as const)],
  );
}

function outcomesTable(report: Report, ids: readonly string[]): string {
  const seen = new Set<string>();
  for (const s of report.strategies) for (const p of Object.values(s.providers)) for (const k of Object.keys(p.outcomes)) seen.add(k);
  // Known kinds in SPEC order, then any others (a newer engine) sorted.
  const known: readonly string[] = OUTCOME_KINDS;
  const kinds = [...known.filter((k) => seen.has(k)), ...[...seen].filter((k) => !known.includes(k)).sort(byCodeUnits)];
  const rows: string[][] = [];
  for (const s of report.strategies) {
    for (const id of ids) {
      const p = s.providers[id];
      if (!p) continue;
      const outcomes = p.outcomes as Readonly<Record<string, number | undefined>>;
      rows.push([cellText(s.name), cellText(id), count(p.attempts), count(p.succeeded), usd(p.cost), ...kinds.map((k) => count(outcomes[k] ?? 0))]);
    }
  }
  const header = ['strategy', 'provider', 'attempts', 'succeeded', 'cost', ...kinds];
  return mdTable(header, rows, header.map((_, i) => (i < 2 ? 'l' : 'r')));
}

function creditsTable(report: Report): string | undefined {
  const rows: string[][] = [];
  for (const s of report.strategies) {
    for (const account of Object.keys(s.credits).sort(byCodeUnits)) {
      const c = s.credits[account]!;
      rows.push([
        cellText(s.name),
        cellText(account),
        count(c.bought),
        count(c.used),
        count(c.expired),
        usd(c.cash),
        usd(c.expiredUsd),
        count(c.bundles),
      ]);
    }
  }
  if (rows.length === 0) return undefined;
  const header = ['strategy', 'account', 'bought', 'used', 'expired', 'cash', 'expired value', 'bundles'];
  return mdTable(header, rows, header.map((_, i) => (i < 2 ? 'l' : 'r')));
}

function thresholdsSection(report: Report): string | undefined {
  const rows: string[][] = [];
  let failed = 0;
  for (const s of report.strategies) {
    for (const t of s.thresholds) {
      if (!t.ok) failed++;
      rows.push([t.ok ? '✓' : '✗', cellText(s.name), cellText(formatThresholdResult(t))]);
    }
  }
  if (rows.length === 0) return undefined;
  const verdict = failed === 0 ? `All ${rows.length} passed.` : `**${failed} of ${rows.length} failed.**`;
  return `${mdTable(['ok', 'strategy', 'check'], rows, ['l', 'l', 'l'])}\n\n${verdict}`;
}

/**
 * Renders the report as Markdown: title, strategy summary (best values in bold), provider
 * shares, outcomes per provider, the oracle and regret (when run), credits (when any) and
 * thresholds (when any).
 * @param report - the report
 * @param opts - `scenarioFile`: the scenario's path, shown under the title
 * @returns the Markdown text, ending with a newline
 */
export function renderMarkdown(report: Report, opts: MarkdownOptions = {}): string {
  const startMs = Date.parse(report.window.start);
  const endMs = Date.parse(report.window.end);
  const span = Number.isNaN(startMs) || Number.isNaN(endMs) ? '' : ` (${formatDuration(endMs - startMs)})`;
  const from = opts.scenarioFile === undefined ? '' : ` from ${code(opts.scenarioFile)}`;
  const mode = report.mode === 'sim' ? 'simulated time' : 'live HTTP';
  const ids = providerIds(report.strategies);

  const parts: string[] = [
    `# imgsim report: ${report.scenario}`,
    [
      `- Scenario: ${code(report.scenario)}${from}`,
      `- Seed: ${report.seed}`,
      `- Mode: ${mode}`,
      `- Window: ${report.window.start} → ${report.window.end}${span}`,
      `- imgsim ${report.imgsim}`,
    ].join('\n'),
    '## Strategies',
    strategyTable(report),
    'Latency covers succeeded requests. **Bold**: the best value of a column (lowest cost, waste and latency; ' +
      'highest success rate, SLO attainment and goodput).',
    '## Provider shares',
    'Each cell: share of the strategy\'s attempts / share of its cost.',
    providerSharesTable(report, ids),
    '## Outcomes by provider',
    outcomesTable(report, ids),
  ];
  const oracle = oracleSection(report);
  if (oracle !== undefined) parts.push('## Oracle', oracle);
  const credits = creditsTable(report);
  if (credits !== undefined) parts.push('## Credits', credits);
  const thresholds = thresholdsSection(report);
  if (thresholds !== undefined) parts.push('## Thresholds', thresholds);
  return `${parts.join('\n\n')}\n`;
}
