/**
 * The verdict that opens report.md and report.html: a few sentences a person can act on, each
 * computed from the report (docs/report.md#verdict), none written by hand. Per urgency class,
 * which strategy is cheapest at meeting its SLO and what it costs against the next best; what
 * deferral saved on batch work; the Pareto frontier of cost against the latency-sensitive
 * class's p95; and what the budget and credits do over the budget period, the run's spend
 * projected to the period's end when the run is shorter.
 */
import type { Report, StrategyReport } from '../metrics/report-types.js';
import type { Urgency } from '../scenario/schema.js';
import { formatDuration } from '../scenario/units.js';
import { count, percent, usd } from './format.js';
import { sloOf, urgenciesOf } from './summary-table.js';

const DAY_MS = 86_400_000;

/** A strategy's name as the verdict writes it (Markdown code; HTML renders it as code too). */
const name = (s: StrategyReport): string => `\`${s.name}\``;

const attainment = sloOf;

function target(report: Report, u: Urgency): number {
  return report.slo?.[u].target ?? 0.95;
}

/** The class's bound in words: `p95 within 10s`, `done by the deadline`. */
function boundText(report: Report, u: Urgency): string {
  const t = percent(target(report, u));
  if (u === 'interactive') {
    const ms = report.slo?.interactive.boundMs;
    return ms !== undefined && Number.isFinite(ms) ? `${t} within ${formatDuration(ms)}` : `${t} succeeding (no latency bound)`;
  }
  const deadline = report.slo?.batch.deadlineMs;
  return `${t} done by their deadline${deadline !== undefined && Number.isFinite(deadline) ? ` (${formatDuration(deadline)} unless the class sets one)` : ''}`;
}

/** The cost difference of two amounts: `$416.28 (10.2%) less`. */
function less(cheap: number, dear: number): string {
  const saved = dear - cheap;
  return `${usd(saved)} (${percent(dear > 0 ? saved / dear : 0)}) less`;
}

/** Per urgency: who meets the SLO, the cheapest of them against the next, or the closest miss. */
function sloSentences(report: Report, urgencies: readonly Urgency[]): string[] {
  const out: string[] = [];
  for (const u of urgencies) {
    const rated = report.strategies.filter((s) => attainment(s, u) !== undefined);
    if (rated.length === 0) continue;
    const goal = target(report, u);
    const meeting = rated.filter((s) => attainment(s, u)! >= goal).sort((a, b) => a.cost.total - b.cost.total);
    const head = `**${u[0]!.toUpperCase()}${u.slice(1)}** (SLO: ${boundText(report, u)}):`;
    if (meeting.length === 0) {
      const closest = [...rated].sort((a, b) => attainment(b, u)! - attainment(a, u)!)[0]!;
      out.push(`${head} no strategy meets it; the closest is ${name(closest)} at ${percent(attainment(closest, u)!)}, costing ${usd(closest.cost.total)}.`);
      continue;
    }
    const best = meeting[0]!;
    const of = `${meeting.length} of ${rated.length} strategies meet it`;
    if (meeting.length === 1) {
      out.push(`${head} only ${name(best)} meets it (${percent(attainment(best, u)!)}), at ${usd(best.cost.total)}.`);
    } else {
      // Strategies that cost the same (one wrapping another that never had to act) are named together.
      const tied = meeting.filter((s) => s.cost.total === best.cost.total);
      const next = meeting.find((s) => s.cost.total > best.cost.total);
      const who = tied.length === 1 ? `the cheapest is ${name(best)}` : `the cheapest are ${tied.map(name).join(' and ')} (the same cost)`;
      const against = next === undefined ? '' : `, ${less(best.cost.total, next.cost.total)} than the next, ${name(next)} (${usd(next.cost.total)})`;
      out.push(`${head} ${of}; ${who} at ${usd(best.cost.total)} (${percent(attainment(best, u)!)})${against}.`);
    }
    const cheapest = [...report.strategies].sort((a, b) => a.cost.total - b.cost.total)[0]!;
    if (!meeting.includes(cheapest) && attainment(cheapest, u) !== undefined) {
      out.push(`The cheapest strategy overall, ${name(cheapest)} (${usd(cheapest.cost.total)}), reaches ${percent(attainment(cheapest, u)!)} of ${u} requests within the SLO.`);
    }
  }
  return out;
}

/**
 * What deferring batch work bought: each deferring strategy's batch cost against the cheapest
 * that did not defer. That yardstick is the cheapest of those meeting the batch SLO when any
 * does: a strategy that paid less for batch work by refusing some of it (a budget guard) is
 * not what deferral saved against.
 */
function deferralSentence(report: Report): string | undefined {
  const batchCost = (s: StrategyReport): number | undefined => s.cost.byUrgency?.batch;
  const deferring = report.strategies.filter((s) => s.requests.deferred > 0 && batchCost(s) !== undefined).sort((a, b) => batchCost(a)! - batchCost(b)!);
  const atOnce = report.strategies.filter((s) => s.requests.deferred === 0 && batchCost(s) !== undefined).sort((a, b) => batchCost(a)! - batchCost(b)!);
  const meeting = atOnce.filter((s) => (attainment(s, 'batch') ?? 0) >= target(report, 'batch'));
  const o = meeting[0] ?? atOnce[0];
  if (deferring.length === 0 || o === undefined) return undefined;
  const each = deferring.map((d) => {
    const cost = batchCost(d)!;
    const vs = cost < batchCost(o)! ? `${percent(1 - cost / batchCost(o)!)} less` : `${percent(cost / batchCost(o)! - 1)} more`;
    const drained = d.drained !== undefined && d.drained.requests > 0 ? `, ${count(d.drained.requests)} of them ending after the window (drained, counted)` : '';
    return `${name(d)} deferred ${count(d.requests.deferred)} requests${drained} and paid ${usd(cost)} for batch work (${vs})`;
  });
  const which = meeting.length > 0 && meeting[0] !== atOnce[0] ? 'the cheapest that sends batch work at once and meets the batch SLO' : 'the cheapest that sends batch work at once';
  return `**Deferral**: ${each.join('; ')}; against ${name(o)}, ${which} (${usd(batchCost(o)!)}).`;
}

/** The Pareto frontier of total cost against the latency-sensitive class's p95. */
function paretoSentence(report: Report, urgencies: readonly Urgency[]): string | undefined {
  const u = urgencies[0];
  if (u === undefined || report.strategies.length < 2) return undefined;
  const p95 = (s: StrategyReport): number => (urgencies.length > 1 ? (s.latencyByUrgency[u]?.p95 ?? Number.NaN) : s.latencyMs.p95);
  const rated = report.strategies.filter((s) => Number.isFinite(p95(s)));
  const frontier = rated
    .filter((s) => !rated.some((o) => o !== s && o.cost.total <= s.cost.total && p95(o) <= p95(s) && (o.cost.total < s.cost.total || p95(o) < p95(s))))
    .sort((a, b) => a.cost.total - b.cost.total);
  if (frontier.length === 0) return undefined;
  const list = frontier.map((s) => `${name(s)} (${usd(s.cost.total)}, ${formatDuration(p95(s))})`).join(', ');
  return `**Pareto frontier** of cost against ${u} p95: ${list}. Every other strategy pays more for a slower ${u} p95 than one of these.`;
}

/** The budget over its period: spend per period, the run projected to the period's end when shorter. */
function budgetSentence(report: Report): string | undefined {
  const budget = report.budget;
  if (budget === undefined || report.strategies.length === 0) return undefined;
  const windowMs = Date.parse(report.window.end) - Date.parse(report.window.start);
  if (!(windowMs > 0)) return undefined;
  const period = formatDuration(budget.periodMs);
  const limit = usd(budget.limit);
  if (windowMs < budget.periodMs) {
    // At the run's rate of spend, over a whole period.
    const projected = report.strategies.map((s) => ({ s, usd: (s.budget.spent * budget.periodMs) / windowMs }));
    const over = projected.filter((p) => p.usd > budget.limit).sort((a, b) => b.usd - a.usd);
    const within = projected.filter((p) => p.usd <= budget.limit).sort((a, b) => a.usd - b.usd);
    const day = (p: { s: StrategyReport; usd: number }): string => `day ${Math.ceil((budget.limit / p.usd) * (budget.periodMs / DAY_MS))}`;
    const head = `**Budget** (${limit} per ${period}; the run covers ${formatDuration(windowMs)}, so its spend is projected to the period):`;
    if (over.length === 0) return `${head} every strategy stays within it; the most, ${name(within.at(-1)!.s)}, would spend ${usd(within.at(-1)!.usd)} (${percent(within.at(-1)!.usd / budget.limit)}).`;
    const first = over[0]!;
    const fits = within.length === 0 ? 'none stays within it' : `within it: ${within.slice(0, 3).map((p) => `${name(p.s)} (${usd(p.usd)})`).join(', ')}${within.length > 3 ? ', …' : ''}`;
    return `${head} ${over.length} of ${projected.length} strategies would exceed it, ${name(first.s)} first, on ${day(first)} (${usd(first.usd)} at its rate); ${fits}.`;
  }
  const refused = (s: StrategyReport): number => Object.entries(s.failures).reduce((n, [k, v]) => (k.startsWith('budget') ? n + v : n), 0);
  const rejected = report.strategies.filter((s) => refused(s) > 0);
  const reached = (s: StrategyReport): boolean => s.budget.alerts.some((a) => a.threshold >= 1);
  const alerted = report.strategies.filter(reached);
  const of = `${alerted.length} of ${report.strategies.length} strategies reached the limit in some period`;
  if (budget.onExhausted === 'allow' && (alerted.length > 0 || rejected.length > 0)) {
    // The budget only alerts: whoever refused work did so by its own rule (budget-guard).
    const guards = rejected.map((s) => `${name(s)} refused ${count(refused(s))} requests ${reached(s) ? 'after reaching it' : 'to stay within it'}`);
    const kept = alerted.length > 0 ? ' and kept spending' : '';
    return `**Budget** (${limit} per ${period}, alerts only: \`onExhausted: allow\`): ${of}${kept}${guards.length > 0 ? `; ${guards.join('; ')}` : ''}.`;
  }
  return `**Budget** (${limit} per ${period}): ${of}` + (rejected.length > 0 ? `; ${rejected.map(name).join(', ')} then had requests refused (${budget.onExhausted}).` : '.');
}

/** Credits per account: how many expired unused, at best and at worst. */
function creditSentences(report: Report): string[] {
  const accounts = [...new Set(report.strategies.flatMap((s) => Object.keys(s.credits)))].sort();
  return accounts.map((account) => {
    const rows = report.strategies.filter((s) => s.credits[account] !== undefined).sort((a, b) => a.credits[account]!.expiredUsd - b.credits[account]!.expiredUsd);
    const low = rows[0]!;
    const high = rows.at(-1)!;
    const c = (s: StrategyReport): string => `${count(s.credits[account]!.expired)} of ${count(s.credits[account]!.bought)} (${usd(s.credits[account]!.expiredUsd)})`;
    return low === high || low.credits[account]!.expiredUsd === high.credits[account]!.expiredUsd
      ? `**Credits** at \`${account}\`: ${c(low)} expired unused.`
      : `**Credits** at \`${account}\`: from ${c(low)} expired unused with ${name(low)} to ${c(high)} with ${name(high)}.`;
  });
}

/**
 * The verdict's sentences, in order: per class SLO and cost, deferral, the Pareto frontier,
 * budget, credits. Each one is computed from the report.
 * @param report - the report
 * @returns Markdown sentences (bold lead-ins, strategy names as code)
 */
export function verdict(report: Report): string[] {
  const urgencies = urgenciesOf(report);
  return [
    ...sloSentences(report, urgencies.length > 0 ? urgencies : (['interactive'] as const)),
    deferralSentence(report),
    paretoSentence(report, urgencies.length > 0 ? urgencies : ['interactive']),
    budgetSentence(report),
    ...creditSentences(report),
  ].filter((x): x is string => x !== undefined);
}
