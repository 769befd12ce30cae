/**
 * `forecast.md`: the forecast for people — the strategy summary, budget, spend by day, credits
 * plan, capacity per provider and the sweep. Deterministic: the same forecast gives the same bytes.
 */
import { decimal, percent, usd } from '../report/format.js';
import type { Forecast, StrategyForecast } from './forecast-types.js';
import { parameterSweepRows, parameterSweepText } from './parameter-sweep-table.js';
import { creditsRows, latency, oracleText, rate, strategyRows, sweepRows, type Rows } from './table.js';

const NONE = '—';

function cellText(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function mdTable(r: Rows): string {
  const header = r.header.map(cellText);
  const rows = r.rows.map((row) => row.map(cellText));
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const right = (i: number): boolean => r.align[i] === 'r';
  const line = (cells: readonly string[]): string => `| ${widths.map((w, i) => (right(i) ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (right(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function spendTable(s: StrategyForecast): Rows {
  const days = s.spendByDay.p50.length;
  // Every day for a short horizon; for a long one every 5th day and the last.
  const step = days <= 14 ? 1 : 5;
  const shown: number[] = [];
  for (let d = step - 1; d < days; d += step) shown.push(d);
  if (shown[shown.length - 1] !== days - 1) shown.push(days - 1);
  return {
    header: ['by the end of day', 'P10', 'P50', 'P90'],
    align: ['r', 'r', 'r', 'r'],
    rows: shown.map((d) => [String(d + 1), usd(s.spendByDay.p10[d]!), usd(s.spendByDay.p50[d]!), usd(s.spendByDay.p90[d]!)]),
  };
}

function capacityTable(s: StrategyForecast): Rows {
  return {
    header: ['provider', 'peak in flight P90', 'peak queue P90', 'utilisation', 'peak req/min P90', 'rpm', 'headroom', '429s', '503s'],
    align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: Object.entries(s.providers).map(([id, p]) => [
      p.account === id ? id : `${id} (account ${p.account})`,
      decimal(p.peakInFlight.p90),
      decimal(p.peakQueue.p90),
      percent(p.utilisation),
      decimal(p.peakRequestsPerMinute.p90),
      p.rpm === null ? NONE : decimal(p.rpm),
      p.rateLimitHeadroom === null ? NONE : percent(p.rateLimitHeadroom),
      percent(p.rateLimitedShare),
      percent(p.overloadedShare),
    ]),
  };
}

/** One row of a spread table: the label, then mean, P10, P50, P90, P99. */
function line(label: string, sp: StrategyForecast['cost'], f: (x: number) => string): string[] {
  return [label, f(sp.mean), f(sp.p10), f(sp.p50), f(sp.p90), f(sp.p99)];
}

/** Cost and SLO attainment lines per traffic class or project, when there are several. */
function groupLines(by: string, groups: StrategyForecast['byClass']): string[][] {
  const keys = Object.keys(groups);
  if (keys.length < 2) return [];
  return keys.flatMap((k) => [line(`${by} ${k} cost`, groups[k]!.cost, usd), line(`${by} ${k} SLO attainment`, groups[k]!.sloAttainment, percent)]);
}

function spreadTable(s: StrategyForecast): Rows {
  return {
    header: ['', 'mean', 'P10', 'P50', 'P90', 'P99'],
    align: ['l', 'r', 'r', 'r', 'r', 'r'],
    rows: [
      line('cost', s.cost, usd),
      ...(s.regret === null ? [] : [line('regret', s.regret.regretUsd, usd), line('least for its service', s.regret.lowerBoundUsd, usd)]),
      line('cost per image', s.costPerImage, usd),
      ...(Object.keys(s.byUrgency).length > 1
        ? (['interactive', 'batch'] as const).flatMap((u) => {
            const c = s.byUrgency[u];
            return c === undefined ? [] : [line(`${u} cost`, c.cost, usd), line(`${u} p95 latency`, c.latencyP95Ms, latency), line(`${u} SLO attainment`, c.sloAttainment, percent)];
          })
        : [line('p95 latency', s.latencyP95Ms, latency)]),
      line('success rate', s.successRate, percent),
      ...(Object.keys(s.byUrgency).length > 1 ? [] : [line('SLO attainment', s.sloAttainment, percent)]),
      ...groupLines('class', s.byClass),
      ...groupLines('project', s.byProject),
    ],
  };
}

/** A part of a forecast section: a paragraph or a table. */
export type ForecastBlock = { readonly text: string } | { readonly table: Rows };

/** A section of forecast.md and forecast.html. */
export interface ForecastSection {
  /** Anchor id in forecast.html. */
  readonly id: string;
  readonly title: string;
  readonly blocks: readonly ForecastBlock[];
}

/**
 * The forecast's sections, in order: strategies, credits (with credits accounts), the rate sweep
 * or the parameter sweep (with `--sweep`), then one per strategy (spread, budget, cumulative spend, capacity).
 * @param forecast - the forecast
 * @returns the sections
 */
export function forecastSections(forecast: Forecast): ForecastSection[] {
  const summary: ForecastBlock[] = [{ table: strategyRows(forecast) }];
  if (forecast.oracle !== null) summary.push({ text: oracleText(forecast, forecast.oracle) });
  const sections: ForecastSection[] = [{ id: 'strategies', title: 'Strategies', blocks: summary }];
  const credits = creditsRows(forecast);
  if (credits.rows.length > 0) {
    sections.push({
      id: 'credits',
      title: 'Credits',
      blocks: [{ text: 'Bundles to buy up front for the lowest expected cost (credits consumed plus credits expired), against the scenario’s own purchases.' }, { table: credits }],
    });
  }
  if (forecast.sweep) {
    const sw = forecast.sweep;
    sections.push({
      id: 'sweep',
      title: 'Rate sweep',
      blocks: [
        {
          text:
            `Highest base arrival rate in ${rate(sw.fromPerSec)}..${rate(sw.toPerSec)} at which the SLO holds (attainment >= ${percent(sw.targets.interactive)} interactive, ` +
            `${percent(sw.targets.batch)} batch), by bisection to ${rate(sw.tolerancePerSec)}, ${sw.probeRuns} runs of ${sw.probeHorizon} per probe.`,
        },
        { table: sweepRows(sw) },
      ],
    });
  }
  if (forecast.parameterSweep !== undefined) {
    const ps = forecast.parameterSweep;
    sections.push({ id: 'parameter-sweep', title: `Sweep of ${ps.parameter}`, blocks: [{ text: parameterSweepText(ps) }, { table: parameterSweepRows(ps) }] });
  }
  forecast.strategies.forEach((s, i) => {
    const blocks: ForecastBlock[] = [{ table: spreadTable(s) }];
    if (s.budget !== null) {
      const b = s.budget;
      blocks.push({
        text:
          `Budget ${usd(b.limit)} per ${b.period}: reached in ${b.runsExceeding} of ${forecast.runs} runs (${percent(b.exceedProbability)})` +
          (b.exceedDay === null ? '.' : `, on day ${decimal(b.exceedDay.p50)} at the median (mean ${decimal(b.exceedDay.mean)}).`),
      });
    }
    blocks.push({ text: 'Cumulative spend:' }, { table: spendTable(s) }, { text: 'Capacity:' }, { table: capacityTable(s) });
    sections.push({ id: `strategy-${i + 1}`, title: s.name, blocks });
  });
  return sections;
}

/**
 * Renders forecast.md.
 * The same forecast gives the same text, whether one process ran it or shards were merged.
 * @param forecast - the forecast
 * @returns the Markdown text, ending with a newline
 */
export function renderForecastMarkdown(forecast: Forecast): string {
  const out: string[] = [`# Forecast: ${forecast.scenario}`, ''];
  out.push(
    `Scenario content hash \`${forecast.scenarioHash}\`. ` +
      `${forecast.runs} runs (base seed ${forecast.seed}) over ${forecast.horizon.duration}, ${forecast.horizon.start} to ${forecast.horizon.end}. ` +
      'Percentiles are over the runs. Every field is explained in docs/forecast.md.',
    '',
  );
  for (const section of forecastSections(forecast)) {
    out.push(`## ${section.title}`, '');
    for (const block of section.blocks) out.push('text' in block ? block.text : mdTable(block.table), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
