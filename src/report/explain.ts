/**
 * Renders `explainRequest()` results: a stable JSON form for tools (`imgsim explain --json`)
 * and plain-text tables for people. Measuring lives in sim/explain.ts and routing/explain.ts.
 */
import type { Quote } from '../model/pricing/types.js';
import type { RankedCandidate, StrategyExplanation } from '../routing/explain.js';
import type { ExplainedFees, ExplainedStrategy, ExplainResult } from '../sim/explain.js';
import { count, percent, priceLineTable, table, usd } from './format.js';

/** The version of the `--json` shape; bumped when a field changes meaning or goes away. */
export const EXPLAIN_JSON_VERSION = 1;

/**
 * An instant as ISO 8601 UTC.
 * @param ms - epoch ms
 * @returns the text, or null when not finite
 */
function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * A quote for JSON: the refusal, or the total and every line.
 * @param q - the quote
 * @returns a plain object
 */
function quoteJson(q: Quote): Record<string, unknown> {
  if (!q.ok) return { ok: false, code: q.code, reason: q.reason };
  return {
    ok: true,
    totalUsd: q.totalUsd,
    ...(q.credits === undefined ? {} : { credits: q.credits }),
    ...(q.schedule === undefined ? {} : { schedule: q.schedule }),
    lines: q.lines.map((l) => ({ factor: l.factor, op: l.op, value: l.value, subtotal: l.subtotal, label: l.label })),
  };
}

/** Who validates and the validator's quote, when the request asks for validation and the scenario has a validator. */
type Validation = ExplainResult['validation'];

/**
 * A candidate's price as the strategy ranked it: the provider's quote, plus the validator's call
 * where the provider does not validate the request itself.
 * @param c - the candidate
 * @param validation - from the result
 * @returns USD, or undefined when the provider or the validator cannot serve the request
 */
function candidateUsd(c: RankedCandidate, validation: Validation): number | undefined {
  if (!c.quote.ok) return undefined;
  const check = validation?.by[c.provider] === 'validator' ? validation.quote : undefined;
  if (check === undefined) return c.quote.totalUsd;
  return check.ok ? c.quote.totalUsd + check.totalUsd : undefined;
}

function priceCell(amount: number | undefined): string {
  return amount === undefined ? 'n/a' : usd(amount);
}

function candidateJson(c: RankedCandidate, validation: Validation): Record<string, unknown> {
  return {
    rank: c.rank,
    provider: c.provider,
    tier: c.tier,
    reason: c.reason,
    terms: c.terms,
    priceUsd: candidateUsd(c, validation) ?? null,
    quote: quoteJson(c.quote),
    latencyMs: { p50: c.latencyMs.p50, p95: c.latencyMs.p95 },
    breaker: c.breaker,
    stats: {
      inFlight: c.inFlight,
      queued: c.queued,
      ewmaLatencyMs: c.ewmaLatencyMs,
      errorRate: c.errorRate,
      attempts: c.attempts,
      creditsLeft: c.creditsLeft ?? null,
    },
  };
}

/** A gateway's fees for JSON (present only for a strategy with `fees`). */
function feesJson(f: ExplainedFees): Record<string, unknown> {
  return { provider: f.provider, priceUsd: f.priceUsd, lines: f.lines.map((l) => ({ kind: l.kind, usd: l.usd, label: l.label })), totalUsd: f.totalUsd, monthly: f.monthly ?? null };
}

function strategyJson(s: ExplainedStrategy, validation: Validation): Record<string, unknown> {
  const d = s.decision;
  return {
    name: s.strategy,
    decision:
      d.kind === 'candidates'
        ? { kind: 'candidates', hedgeAfterMs: d.hedgeAfterMs ?? null }
        : d.kind === 'defer'
          ? { kind: 'defer', until: iso(d.untilMs) }
          : { kind: 'reject', reason: d.reason },
    chosen: s.chosen ?? null,
    summary: s.summary,
    gate: s.gate ?? null,
    budget: {
      limitUsd: s.budget.limitUsd,
      spentUsd: s.budget.spentUsd,
      periodStart: iso(s.budget.periodStartMs),
      periodEnd: iso(s.budget.periodEndMs),
      onExhausted: s.budget.onExhausted ?? null,
      project: s.budget.project,
    },
    candidates: s.candidates.map((c) => candidateJson(c, validation)),
    excluded: s.excluded,
    refused: s.refused,
    ...(s.fees === undefined ? {} : { fees: feesJson(s.fees) }),
  };
}

/**
 * The JSON form of an explanation. Field order is fixed; numbers that are not finite (a provider
 * with no slot predicts Infinity, a latency never observed is NaN, a budget without a limit is
 * Infinity) become `null`; instants are ISO 8601 strings.
 * @param result - from `explainRequest`
 * @returns the JSON text, pretty-printed, with a trailing newline
 */
export function explainJson(result: ExplainResult): string {
  const r = result.request;
  const out = {
    explain: EXPLAIN_JSON_VERSION,
    scenario: result.scenario,
    seed: result.seed,
    at: iso(r.arrivalMs),
    request: {
      size: r.size,
      steps: r.steps,
      quality: r.quality ?? null,
      features: r.features,
      validate: r.validate,
      urgency: r.urgency,
      deadline: r.deadlineMs === undefined ? null : iso(r.deadlineMs),
      project: r.project,
      tier: r.tier ?? null,
      promptChars: r.promptChars,
    },
    warm: result.warm === undefined ? null : { from: iso(result.warm.fromMs), to: iso(result.warm.toMs), requests: result.warm.requests },
    strategies: result.strategies.map((s) => strategyJson(s, result.validation)),
    ...(result.validation === undefined ? {} : { validation: { validator: result.validation.validator, quote: quoteJson(result.validation.quote), by: result.validation.by } }),
  };
  return `${JSON.stringify(out, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`;
}

/**
 * A duration for a table: `450ms`, `8.25s`, `∞`.
 * @param ms - milliseconds
 * @returns the text
 */
function duration(ms: number): string {
  if (Number.isNaN(ms)) return '—';
  if (!Number.isFinite(ms)) return '∞';
  return ms < 1_000 ? `${String(Math.round(ms))}ms` : `${String(+(ms / 1_000).toFixed(2))}s`;
}

function money(x: number): string {
  return Number.isFinite(x) ? usd(x) : 'none';
}

function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : `${by}${l}`))
    .join('\n');
}

function requestLine(result: ExplainResult): string {
  const r = result.request;
  const parts = [r.size, `${String(r.steps)} steps`];
  if (r.quality !== undefined) parts.push(r.quality);
  if (r.features.length > 0) parts.push(r.features.join('+'));
  if (r.validate) parts.push('validated');
  parts.push(r.urgency);
  if (r.deadlineMs !== undefined) parts.push(`deadline ${iso(r.deadlineMs) ?? '?'}`);
  parts.push(`project ${r.project}`);
  if (r.tier !== undefined) parts.push(`tier ${r.tier}`);
  return `${parts.join(', ')} at ${iso(r.arrivalMs) ?? '?'}`;
}

function decisionHead(s: StrategyExplanation): string {
  const d = s.decision;
  if (d.kind === 'reject') return `${s.strategy}: rejected (${d.reason})`;
  if (d.kind === 'defer') return `${s.strategy}: deferred until ${iso(d.untilMs) ?? '?'}`;
  const hedge = d.hedgeAfterMs === undefined ? '' : `, hedged after ${duration(d.hedgeAfterMs)}`;
  return s.chosen === undefined ? `${s.strategy}: no candidates` : `${s.strategy} → ${s.chosen.provider} (${s.chosen.tier})${hedge}`;
}

function budgetLine(s: StrategyExplanation): string {
  const b = s.budget;
  if (!Number.isFinite(b.limitUsd) && !Number.isFinite(b.project.limitUsd)) return `budget: none (spent ${usd(b.spentUsd)})`;
  const period = `${iso(b.periodStartMs)?.slice(0, 16) ?? '?'} → ${iso(b.periodEndMs)?.slice(0, 16) ?? '?'}`;
  const project = Number.isFinite(b.project.limitUsd) ? `; project ${b.project.name}: ${usd(b.project.spentUsd)} of ${usd(b.project.limitUsd)}` : '';
  return `budget: ${usd(b.spentUsd)} of ${money(b.limitUsd)} this period (${period})${project}${b.onExhausted === undefined ? '' : `, onExhausted ${b.onExhausted}`}`;
}

/** A gateway's fees on the chosen price, one line each, and the price with them. */
function feesText(f: ExplainedFees): string[] {
  const out = [`  gateway fees on ${f.provider}'s ${usd(f.priceUsd)}:`];
  for (const l of f.lines) out.push(`    + ${l.kind} ${l.label} = $${+l.usd.toPrecision(10)}`);
  out.push(`    = $${+f.totalUsd.toPrecision(10)} with the fees`);
  if (f.monthly !== undefined) out.push(`    and a ${f.monthly}`);
  return out;
}

function strategyText(s: ExplainedStrategy, validation: Validation): string {
  const out: string[] = [decisionHead(s), `  why: ${s.summary}`];
  if (s.gate !== undefined) out.push(`  gate: the budget rejects the request before routing (${s.gate}); the decision above applies once it allows`);
  out.push(`  ${budgetLine(s)}`);
  if (s.candidates.length > 0) {
    const rows = s.candidates.map((c) => [
      String(c.rank),
      c.provider,
      c.tier,
      priceCell(candidateUsd(c, validation)),
      duration(c.latencyMs.p50),
      duration(c.latencyMs.p95),
      c.breaker,
      `${String(c.inFlight)}/${String(c.queued)}`,
      percent(c.errorRate),
      c.reason,
    ]);
    out.push(
      indent(table(['#', 'provider', 'tier', 'price', 'p50', 'p95', 'breaker', 'in flight/queued', 'errors', 'reason'], rows, ['r', 'l', 'l', 'r', 'r', 'r', 'l', 'r', 'r', 'l'])),
    );
  }
  if (s.fees !== undefined) out.push(...feesText(s.fees));
  for (const e of s.excluded) out.push(`  not a candidate: ${e.provider}: ${e.reason}`);
  for (const r of s.refused) out.push(`  cannot serve: ${r.provider} (${r.tier}): ${r.reason}`);
  return out.join('\n');
}

function quoteText(c: RankedCandidate, validation: Validation): string {
  const q = c.quote;
  if (!q.ok) return `${c.provider} (${c.tier}): cannot serve it: ${q.reason}`;
  const head = `${c.provider} (${c.tier}): ${usd(q.totalUsd)}${q.credits === undefined ? '' : ` (${String(+q.credits.toPrecision(10))} credits)`}`;
  const out = [head, ...(q.schedule === undefined ? [] : [`  price in force: ${q.schedule}`]), indent(priceLineTable(q.lines))];
  if (validation !== undefined && validation.by[c.provider] === 'validator') {
    // The pipeline: this provider does not validate, so the validator's call is added.
    const v = validation.quote;
    out[0] = v.ok
      ? `${head} generation + ${usd(v.totalUsd)} validation at ${validation.validator} = ${usd(q.totalUsd + v.totalUsd)}`
      : `${head} generation; validation at ${validation.validator}: cannot serve it: ${v.reason}`;
    if (v.ok) out.push(`  + validation at ${validation.validator} (${v.tier})`, indent(indent(priceLineTable(v.lines))));
  }
  return out.join('\n');
}


/**
 * The text form of an explanation: the request, then per strategy its decision, the reason,
 * the budget, the ranked candidates (price, predicted p50/p95, breaker, load, error rate,
 * reason), what was left out and why; last, the price breakdown of every candidate quoted.
 * @param result - from `explainRequest`
 * @returns the text, with a trailing newline
 */
export function renderExplain(result: ExplainResult): string {
  const out: string[] = [`${result.scenario}: ${requestLine(result)}`];
  out.push(
    result.warm === undefined
      ? 'cold start: no traffic before this instant (queues empty, breakers closed, nothing spent, nothing observed); use --warm D to simulate the traffic before it'
      : `warm: each strategy ran the scenario's ${count(result.warm.requests)} requests from ${iso(result.warm.fromMs) ?? '?'} to this instant first (budget spend counts from then)`,
    '',
  );
  for (const s of result.strategies) out.push(strategyText(s, result.validation), '');
  const seen = new Set<string>();
  const quotes: string[] = [];
  for (const s of result.strategies) {
    for (const c of s.candidates) {
      const key = `${c.provider}/${c.tier}/${c.quote.ok ? String(c.quote.totalUsd) : ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      quotes.push(indent(quoteText(c, result.validation)));
    }
  }
  if (quotes.length > 0) out.push('price breakdowns:', ...quotes, '');
  return `${out.join('\n')}\n`;
}
