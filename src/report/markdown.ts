/**
 * `report.md`: the report for people — the strategy summary with the best values in bold,
 * provider shares, outcomes, credits and thresholds. Deterministic: the same report gives the
 * same bytes.
 */
import { count, percent, usd } from './format.js';
import { FEE_KINDS } from '../model/pricing/fees.js';
import { OUTCOME_KINDS } from '../scenario/schema-parts.js';
import { formatDuration } from '../scenario/units.js';
import type { Report, StrategyReport } from '../metrics/report-types.js';
import { formatThresholdResult, signedPercent, summaryColumns, sloOf, summaryRows, urgenciesOf } from './summary-table.js';
import { reservedSection } from './reserved-section.js';
import { verdict } from './verdict.js';

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** The scenario file the run came from, shown under the title. */
  readonly scenarioFile?: string;
  /**
   * Charts to list at the end: PNGs written beside report.md (title, path relative to it), and
   * charts not drawn (title, why).
   */
  readonly charts?: readonly { readonly title: string; readonly path?: string; readonly skipped?: string }[];
}

const NONE = '—';

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One cell of a report table: plain text, and whether it holds the best value of its column. */
export interface TableCell {
  readonly text: string;
  readonly best?: boolean;
}

/** A table of the report as data, rendered by the Markdown and the HTML writers alike. */
export interface ReportTable {
  readonly header: readonly string[];
  /** Per column: 'l' or 'r'. */
  readonly align: readonly ('l' | 'r')[];
  readonly rows: readonly (readonly TableCell[])[];
}

/** A note under or above a table; `strong` ones are emphasised (a failing verdict). */
export interface ReportNote {
  readonly text: string;
  readonly strong?: boolean;
}

/** A section of the report: a title, its table and the notes around it. */
export interface ReportSection {
  /** A stable id (`strategies`, `provider-shares`, ...), for HTML anchors. */
  readonly id: string;
  readonly title: string;
  readonly before?: ReportNote;
  readonly table: ReportTable;
  readonly after?: ReportNote;
}

const plain = (texts: readonly string[]): TableCell[] => texts.map((text) => ({ text }));

/** Makes text safe inside a table cell: no pipes, no line breaks. */
export function cellText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.replace(/\r?\n/g, ' ')}${fence}`;
}

/** A GitHub-flavoured Markdown table, padded so the source reads aligned too; best cells in bold. */
export function mdTable(t: ReportTable): string {
  const safeHeader = t.header.map(cellText);
  const rows = t.rows.map((r) => r.map((c) => (c.best === true ? `**${cellText(c.text)}**` : cellText(c.text))));
  const widths = safeHeader.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isRight = (i: number): boolean => t.align[i] === 'r';
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((w, i) => (isRight(i) ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (isRight(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(safeHeader), rule, ...rows.map(line)].join('\n');
}

function strategyTable(report: Report): ReportTable {
  const columns = summaryColumns(report);
  return {
    header: columns.map((c) => c.title),
    align: columns.map((c) => c.align),
    rows: summaryRows(report).map((row) => row.cells.map((text, j) => (row.best[j] === true ? { text, best: true } : { text }))),
  };
}

function oracleSection(report: Report): ReportSection | undefined {
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
    if (r === undefined) return [s.name, usd(s.cost.total), NONE, NONE, NONE, NONE];
    return [
      s.name,
      usd(s.cost.total),
      usd(r.usd),
      signedPercent(r.ratio),
      usd(r.lowerBound),
      r.lowerBound > 0 ? signedPercent(s.cost.total / r.lowerBound - 1) : NONE,
    ];
  });
  const header = ['strategy', 'cost total', 'regret', 'regret %', 'lower bound for its service', 'above it'];
  return {
    id: 'oracle',
    title: 'Oracle',
    before: { text: facts },
    table: { header, align: header.map((_, i) => (i === 0 ? 'l' : 'r')), rows: rows.map(plain) },
    after: {
      text:
        'Regret: cost above the plan; negative when a strategy paid less, mostly by serving fewer requests within SLO ' +
        '(the plan is greedy and plans first attempts only, so a strategy can also beat it). ' +
        'Lower bound for its service: the least any router could have paid to give each request what this strategy gave it ' +
        '(an image within SLO, a late image, or none) on the same draws.',
    },
  };
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

function providerSharesTable(report: Report, ids: readonly string[]): ReportTable {
  const rows = report.strategies.map((s) => {
    let attempts = 0;
    let costUsd = 0;
    for (const p of Object.values(s.providers)) {
      attempts += p.attempts;
      costUsd += p.cost;
    }
    return plain([
      s.name,
      ...ids.map((id) => {
        const p = s.providers[id];
        return p ? `${share(p.attempts, attempts)} / ${share(p.cost, costUsd)}` : NONE;
      }),
    ]);
  });
  return { header: ['strategy', ...ids], align: ['l', ...ids.map(() => 'r' as const)], rows };
}

function outcomesTable(report: Report, ids: readonly string[]): ReportTable {
  const seen = new Set<string>();
  for (const s of report.strategies) for (const p of Object.values(s.providers)) for (const k of Object.keys(p.outcomes)) seen.add(k);
  // Known kinds in the contract's order, then any others (a newer engine) sorted.
  const known: readonly string[] = OUTCOME_KINDS;
  const kinds = [...known.filter((k) => seen.has(k)), ...[...seen].filter((k) => !known.includes(k)).sort(byCodeUnits)];
  const rows: TableCell[][] = [];
  for (const s of report.strategies) {
    for (const id of ids) {
      const p = s.providers[id];
      if (!p) continue;
      const outcomes = p.outcomes as Readonly<Record<string, number | undefined>>;
      rows.push(plain([s.name, id, count(p.attempts), count(p.succeeded), usd(p.cost), ...kinds.map((k) => count(outcomes[k] ?? 0))]));
    }
  }
  const header = ['strategy', 'provider', 'attempts', 'succeeded', 'cost', ...kinds];
  return { header, align: header.map((_, i) => (i < 2 ? 'l' : 'r')), rows };
}

/**
 * Per urgency, side by side: requests, cost, latency and SLO of each class, never pooled.
 * @param report - the report
 * @returns the section, or undefined for a report without per-class figures
 */
function byUrgencySection(report: Report): ReportSection | undefined {
  const urgencies = urgenciesOf(report);
  if (urgencies.length === 0) return undefined;
  const header = ['strategy', ...urgencies.flatMap((u) => [`${u} requests`, `${u} cost`, `${u} p50`, `${u} p95`, `${u} SLO`])];
  const rows = report.strategies.map((s) =>
    plain([
      s.name,
      ...urgencies.flatMap((u) => {
        const slo = s.slo.byUrgency[u];
        const latency = s.latencyByUrgency[u];
        const ms = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? NONE : formatDuration(x));
        return [
          count(slo?.requests ?? 0),
          usd(s.cost.byUrgency?.[u] ?? 0),
          ms(latency?.p50),
          ms(latency?.p95),
          slo !== undefined && slo.requests > 0 ? percent(sloOf(s, u)!) : NONE,
        ];
      }),
    ]),
  );
  const drained = report.strategies.filter((s) => (s.drained?.requests ?? 0) > 0);
  return {
    id: 'by-urgency',
    title: 'By urgency',
    before: { text: 'Each class against its own SLO: latency and attainment are never pooled over classes with different deadlines.' },
    table: { header, align: header.map((_, i) => (i === 0 ? 'l' : 'r')), rows },
    ...(drained.length === 0
      ? {}
      : {
          after: {
            text: `Drained (counted above): ${drained.map((s) => `${s.name} ${count(s.drained!.requests)} requests, ${usd(s.drained!.cost)}`).join('; ')} ended or were billed after the window.`,
          },
        }),
  };
}

/**
 * One figure per strategy and group (traffic class or project): the money, or the SLO attainment.
 * @param report - the report
 * @param groups - the group names, in column order
 * @param cell - the cell of a strategy and group
 * @returns the table
 */
function groupTable(report: Report, groups: readonly string[], cell: (s: StrategyReport, g: string) => string): ReportTable {
  const header = ['strategy', ...groups];
  return { header, align: header.map((_, i) => (i === 0 ? 'l' : 'r')), rows: report.strategies.map((s) => plain([s.name, ...groups.map((g) => cell(s, g))])) };
}

/** Cost and SLO attainment per traffic class, and cost per project (the story of who pays for what). */
function groupSections(report: Report): ReportSection[] {
  const keys = (f: (s: StrategyReport) => Record<string, unknown> | undefined): string[] => [...new Set(report.strategies.flatMap((s) => Object.keys(f(s) ?? {})))].sort(byCodeUnits);
  const classes = keys((s) => s.slo.byClass);
  const projects = keys((s) => s.cost.byProject);
  const out: ReportSection[] = [];
  if (classes.length > 0) {
    const urgency = (c: string): string => report.strategies.map((s) => s.slo.byClass?.[c]?.urgency).find((u) => u !== undefined) ?? '';
    const titled = classes.map((c) => `${c} (${urgency(c)})`);
    const costs = groupTable(report, classes, (s, c) => usd(s.cost.byClass?.[c] ?? 0));
    out.push({ id: 'cost-by-class', title: 'Cost by traffic class', table: { ...costs, header: ['strategy', ...titled] } });
    const slo = groupTable(report, classes, (s, c) => {
      const g = s.slo.byClass?.[c];
      return g !== undefined && g.requests > 0 ? percent(g.attainment ?? g.attained / g.requests) : NONE;
    });
    out.push({ id: 'slo-by-class', title: 'SLO attainment by traffic class', table: { ...slo, header: ['strategy', ...titled] } });
  }
  if (projects.length > 0) out.push({ id: 'cost-by-project', title: 'Cost by project', table: groupTable(report, projects, (s, p) => usd(s.cost.byProject[p] ?? 0)) });
  return out;
}

function creditsTable(report: Report): ReportTable | undefined {
  const rows: TableCell[][] = [];
  for (const s of report.strategies) {
    for (const account of Object.keys(s.credits).sort(byCodeUnits)) {
      const c = s.credits[account]!;
      rows.push(plain([s.name, account, count(c.bought), count(c.used), count(c.expired), usd(c.cash), usd(c.expiredUsd), count(c.bundles)]));
    }
  }
  if (rows.length === 0) return undefined;
  const header = ['strategy', 'account', 'bought', 'used', 'expired', 'cash', 'expired value', 'bundles'];
  return { header, align: header.map((_, i) => (i < 2 ? 'l' : 'r')), rows };
}

/**
 * A gateway's fees beside the provider bills, each strategy a row (docs/gateways.md#fees): direct
 * and through a gateway side by side. Absent when no strategy has `fees`.
 */
function feesSection(report: Report): ReportSection | undefined {
  if (!report.strategies.some((s) => s.cost.fees !== undefined)) return undefined;
  const header = ['strategy', 'provider bills', 'fees', 'markup', 'per generation', 'per M tokens', 'monthly', 'credit purchase', 'cost total'];
  const rows = report.strategies.map((s) => {
    const f = s.cost.fees;
    const bills = usd(s.cost.total - (f?.total ?? 0));
    const kinds = f === undefined ? FEE_KINDS.map(() => NONE) : FEE_KINDS.map((k) => usd(f[k]));
    return plain([s.name, bills, f === undefined ? NONE : usd(f.total), ...kinds, usd(s.cost.total)]);
  });
  return {
    id: 'fees',
    title: 'Fees',
    before: { text: "A gateway's fees on top of the providers' bills (in the cost total); — for a strategy that pays the providers directly." },
    table: { header, align: header.map((_, i) => (i === 0 ? 'l' : 'r')), rows },
  };
}

function thresholdsSection(report: Report): ReportSection | undefined {
  const rows: TableCell[][] = [];
  let failed = 0;
  for (const s of report.strategies) {
    for (const t of s.thresholds) {
      if (!t.ok) failed++;
      rows.push(plain([t.ok ? '✓' : '✗', s.name, formatThresholdResult(t)]));
    }
  }
  if (rows.length === 0) return undefined;
  return {
    id: 'thresholds',
    title: 'Thresholds',
    table: { header: ['ok', 'strategy', 'check'], align: ['l', 'l', 'l'], rows },
    after: failed === 0 ? { text: `All ${rows.length} passed.` } : { text: `${failed} of ${rows.length} failed.`, strong: true },
  };
}

/**
 * The report's tables as data, in order: strategies (best values marked), provider shares,
 * outcomes by provider, reserved capacity (when a provider has a reservation), a gateway's fees (when a strategy has any), the oracle and regret (when run), credits (when any provider uses credits) and thresholds (when the
 * scenario has any). `report.md` and `report.html` both render these.
 * @param report - the report
 * @returns the sections
 */
export function reportSections(report: Report): ReportSection[] {
  const ids = providerIds(report.strategies);
  const sections: ReportSection[] = [
    {
      id: 'strategies',
      title: 'Strategies',
      table: strategyTable(report),
      after: {
        text:
          'Latency covers succeeded requests. Bold: the best value of a column (lowest cost, waste and latency; ' +
          'highest success rate, SLO attainment and goodput).',
      },
    },
    {
      id: 'provider-shares',
      title: 'Provider shares',
      before: { text: "Each cell: share of the strategy's attempts / share of its cost." },
      table: providerSharesTable(report, ids),
    },
    { id: 'outcomes', title: 'Outcomes by provider', table: outcomesTable(report, ids) },
  ];
  const byUrgency = byUrgencySection(report);
  // Per class right after the strategies: they are what the headline figures hide.
  sections.splice(1, 0, ...(byUrgency === undefined ? [] : [byUrgency]), ...groupSections(report));
  const reserved = reservedSection(report);
  if (reserved !== undefined) sections.push(reserved);
  const fees = feesSection(report);
  if (fees !== undefined) sections.push(fees);
  const oracle = oracleSection(report);
  if (oracle !== undefined) sections.push(oracle);
  const credits = creditsTable(report);
  if (credits !== undefined) sections.push({ id: 'credits', title: 'Credits', table: credits });
  const thresholds = thresholdsSection(report);
  if (thresholds !== undefined) sections.push(thresholds);
  return sections;
}

/** Rows of a table report.md shows; the rest are counted under it (report.html folds them). */
export const MD_MAX_ROWS = 24;

function capped(t: ReportTable): ReportTable {
  return t.rows.length <= MD_MAX_ROWS ? t : { ...t, rows: t.rows.slice(0, MD_MAX_ROWS) };
}

function mdNote(note: ReportNote): string {
  // The strategies note names bold as Markdown shows it.
  const text = note.text.replace(/^(.*?)\bBold:/, '$1**Bold**:');
  return note.strong === true ? `**${text}**` : text;
}

/**
 * Renders the report as Markdown: title, the sections of {@link reportSections} (strategy
 * summary with the best values in bold, provider shares, outcomes per provider, credits,
 * thresholds), then the charts when PNG charts were written.
 * @param report - the report
 * @param opts - `scenarioFile`: the scenario's path, shown under the title; `charts`: PNG charts
 *   to reference
 * @returns the Markdown text, ending with a newline
 */
export function renderMarkdown(report: Report, opts: MarkdownOptions = {}): string {
  const startMs = Date.parse(report.window.start);
  const endMs = Date.parse(report.window.end);
  const span = Number.isNaN(startMs) || Number.isNaN(endMs) ? '' : ` (${formatDuration(endMs - startMs)})`;
  const from = opts.scenarioFile === undefined ? '' : ` from ${code(opts.scenarioFile)}`;
  const mode = report.mode === 'sim' ? 'simulated time' : 'live HTTP';

  const parts: string[] = [
    `# imgsim report: ${report.scenario}`,
    [
      `- Scenario: ${code(report.scenario)}${from}`,
      `- Seed: ${report.seed}`,
      `- Mode: ${mode}`,
      `- Window: ${report.window.start} → ${report.window.end}${span}`,
      `- imgsim ${report.imgsim}`,
    ].join('\n'),
  ];
  const sentences = verdict(report);
  if (sentences.length > 0) parts.push('## Verdict', sentences.map((x) => `- ${x}`).join('\n'));
  for (const section of reportSections(report)) {
    parts.push(`## ${section.title}`);
    if (section.before) parts.push(mdNote(section.before));
    parts.push(mdTable(capped(section.table)));
    const hidden = section.table.rows.length - MD_MAX_ROWS;
    if (hidden > 0) parts.push(`… and ${count(hidden)} more rows (report.html shows them folded, report.json has every figure).`);
    if (section.after) parts.push(mdNote(section.after));
  }
  const charts = opts.charts ?? [];
  if (charts.length > 0) {
    parts.push('## Charts');
    for (const c of charts) {
      if (c.path !== undefined) parts.push(`![${c.title.replace(/[[\]\\]/g, '\\$&')}](${encodeURI(c.path)})`);
      else parts.push(`${c.title}: not drawn. ${c.skipped ?? ''}`.trimEnd());
    }
  }
  return `${parts.join('\n\n')}\n`;
}
