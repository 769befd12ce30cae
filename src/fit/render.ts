/**
 * Writing a fit out: the `providers` section as YAML with the evidence in comments, the same
 * evidence as a plain report for the terminal, and a JSON summary. Pure strings; the CLI
 * decides where they go.
 */
import type { LatencySpec } from '../scenario/schema.js';
import { REPORTED_QUANTILES, type LatencyFit } from './distributions.js';
import type { FitResult, ProviderFit } from './fit.js';

/** Formats a number with up to `digits` significant digits, without exponents for ordinary values. */
function sig(x: number, digits: number): string {
  return String(Number(x.toPrecision(digits)));
}

/**
 * Formats milliseconds as a scenario duration with 4 significant digits: `200ms`, `6.004s`.
 * @param ms - milliseconds, >= 0
 * @returns the duration string
 */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${sig(ms, 4)}ms` : `${sig(ms / 1000, 4)}s`;
}

/** A latency spec as a YAML flow map with durations as strings. */
function specValue(spec: LatencySpec): Record<string, unknown> {
  switch (spec.dist) {
    case 'fixed':
      return { dist: 'fixed', value: formatMs(spec.value) };
    case 'uniform':
      return { dist: 'uniform', min: formatMs(spec.min), max: formatMs(spec.max) };
    case 'exponential':
      return { dist: 'exponential', mean: formatMs(spec.mean) };
    case 'normal':
      return { dist: 'normal', mean: formatMs(spec.mean), sd: formatMs(spec.sd) };
    case 'lognormal':
      return { dist: 'lognormal', median: formatMs(spec.median), p99: formatMs(spec.p99) };
    case 'gamma':
      return { dist: 'gamma', mean: formatMs(spec.mean), sd: formatMs(spec.sd) };
  }
}

const PLAIN_RE = /^[A-Za-z_][A-Za-z0-9._/-]*$|^\d+x\d+$|^\d+(\.\d+)?(ms|s|m|h|d)$/;
const YAML_WORDS = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '~']);

/** A scalar in YAML: plain when unambiguous, else JSON-quoted. */
function scalar(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = String(v);
  return PLAIN_RE.test(s) && !YAML_WORDS.has(s.toLowerCase()) ? s : JSON.stringify(s);
}

/**
 * Writes a value as YAML flow: `{ a: 1, b: { c: x } }`, `[a, b]`.
 * @param v - a plain value
 * @returns the flow text
 */
export function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, x]) => `${scalar(k)}: ${flow(x)}`).join(', ')} }`;
  }
  return scalar(v);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function pct(x: number): string {
  return `${sig(x * 100, 3)}%`;
}

function hhmm(hours: number): string {
  const minutes = Math.round(hours * 60) % (24 * 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A probability rounded to 4 significant digits. */
function probability(x: number): number {
  return Number(x.toPrecision(4));
}

/** The lines of a latency fit's table: observed and fitted quantiles and KS per family. */
function latencyTable(fit: LatencyFit): string[] {
  const head = ['family', 'KS', ...REPORTED_QUANTILES.map((p) => `p${Math.round(p * 100)}`)];
  const rows: string[][] = [['observed', '', ...fit.observed.map(formatMs)]];
  for (const c of fit.candidates) {
    rows.push([`${c.family}${c === fit.best ? ' *' : ''}`, c.ks.toFixed(4), ...REPORTED_QUANTILES.map((p) => formatMs(c.sampler.quantile(p)))]);
  }
  return table(head, rows, 2);
}

/** The provider's outcome counts, most common first. */
function outcomeSummary(p: ProviderFit): string {
  return Object.entries(p.outcomes)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${count(n)} ${k}`)
    .join(', ');
}

/** Why the chosen family won, in words. */
function choice(fit: LatencyFit): string {
  const slack = 0.5 / Math.sqrt(fit.samples);
  return `${fit.best.family}, chosen by KS distance (the fewest parameters within ${slack.toFixed(4)} of the best)`;
}

/** The provider as a YAML list item, with its evidence in comments. */
function providerYaml(p: ProviderFit): string[] {
  const out: string[] = [];
  const c = (text: string, indent = 4): void => {
    out.push(`${' '.repeat(indent)}# ${text}`);
  };
  out.push(`  # ${p.name === p.id ? p.id : `${p.id} (${JSON.stringify(p.name)} in the log)`}: ${count(p.attempts)} attempts, ${iso(p.firstMs)} to ${iso(p.lastMs)}`);
  out.push(`  #   ${outcomeSummary(p)}`);
  out.push(`  - id: ${scalar(p.id)}`);
  if (p.name !== p.id) out.push(`    model: ${scalar(p.name)}`);
  out.push(`    reference: ${flow(p.reference)}   # the most common request`);
  if (p.latencyScaling !== undefined && p.scaling !== undefined) {
    const s = p.scaling;
    out.push(
      `    latencyScaling: ${p.latencyScaling}   # sd of ln(latency): ${s.linearSd.toFixed(3)} scaled by steps × pixels, ${s.noneSd.toFixed(3)} unscaled (slope ${s.slope.toFixed(2)})`,
    );
  } else out.push('    latencyScaling: none   # every request asked for the same work: the log cannot tell');

  const pricing: Record<string, unknown> = p.price === undefined ? { model: 'per-image', price: 0 } : { ...p.price.pricing };
  const billing = Object.fromEntries(Object.entries(p.billing).filter(([k, billed]) => billed !== (k === 'generative')));
  if (Object.keys(billing).length > 0) pricing.billing = billing;
  out.push(`    pricing: ${flow(pricing)}`);
  if (p.price === undefined) c(p.costed === 0 ? 'no costs in the log: set the price' : 'no attempt was billed in the log: set the price');
  else {
    const f = p.price;
    c(
      `${f.model} ${f.exact ? 'explains every one of' : 'best explains the'} ${count(f.rows)} billed attempts${f.rows < f.total ? ` sampled of ${count(f.total)}` : ''}${f.exact ? ' exactly' : ` (largest error ${pct(f.maxRelativeError)})`} with ${f.parameters} parameter${f.parameters === 1 ? '' : 's'}`,
    );
    const others = f.candidates.filter((x) => x.kind !== f.kind).slice(0, 3);
    if (others.length > 0) c(`others: ${others.map((x) => `${x.model} (${x.exact ? 'exact' : `error ${pct(x.maxRelativeError)}`}, ${x.parameters})`).join('; ')}`);
    const billedKinds = Object.entries(p.billing).map(([k, b]) => `${k} ${b ? 'billed' : 'not billed'}`);
    if (billedKinds.length > 0) c(`failures: ${billedKinds.join(', ')}`);
  }

  out.push('    tiers:');
  for (const t of p.tiers) {
    const tier: Record<string, unknown> = {};
    if (t.latency !== undefined) {
      c(`${t.name}: ${count(t.serviceSamples)} service times (successes and generative failures${p.latencyScaling === 'linear' ? ', scaled to the reference request' : ''}); ${choice(t.latency)}`, 6);
      for (const line of latencyTable(t.latency)) c(`  ${line}`, 6);
      tier.latency = specValue(t.latency.best.spec);
    } else {
      const value = t.medianMs ?? 1000;
      c(`${t.name}: only ${count(t.serviceSamples)} service times: a fixed latency at their median${t.medianMs === undefined ? ' (none: set it)' : ''}`, 6);
      tier.latency = { dist: 'fixed', value: formatMs(value) };
    }
    if (t.priceMultiplier !== undefined && t.priceMultiplier !== 1) tier.priceMultiplier = t.priceMultiplier;
    out.push(`      ${scalar(t.name)}: ${flow(tier)}`);
  }

  const failures: Record<string, unknown> = {};
  for (const f of p.failures) failures[f.key] = probability(f.rate);
  if (p.errorLatency !== undefined) failures.errorLatency = specValue(p.errorLatency.best.spec);
  if (Object.keys(failures).length > 0) {
    out.push(`    failures: ${flow(failures)}`);
    c(`per attempt that reached the provider's draw: ${count(p.drawn)} of ${count(p.attempts)} (rate-limited, overloaded, cancelled and client errors are not drawn)`);
    if (p.failures.length > 0) c(p.failures.map((f) => `${f.kind} ${count(f.count)} (${pct(f.rate)})`).join(', '));
    if (p.errorLatency !== undefined) {
      c(`errorLatency: ${count(p.errorLatency.samples)} fast failures; ${choice(p.errorLatency)}`);
      for (const line of latencyTable(p.errorLatency)) c(`  ${line}`);
    }
  }

  const availability: Record<string, unknown> = {};
  if (p.diurnal !== undefined) {
    const base = Math.min(1, Math.max(0, p.diurnal.base));
    availability.base = probability(base);
    availability.diurnal = { amplitude: probability(Math.min(base, p.diurnal.amplitude)), trough: hhmm(p.diurnal.troughHours), tz: 'UTC' };
  }
  if (p.outages.length > 0) {
    availability.outages = p.outages.map((o) => ({ at: iso(Math.floor(o.startMs / 1000) * 1000), duration: formatDuration(Math.ceil((o.endMs - o.startMs) / 1000) * 1000) }));
  }
  if (Object.keys(availability).length > 0) {
    // Times of day must be quoted in YAML; flow() quotes what is not plain.
    out.push(`    availability: ${flow(availability)}`);
  }
  if (p.outages.length > 0) c(`outages: runs of minutes in which every attempt was turned away (overloaded): ${p.outages.length}`);
  const test = p.capacityTest;
  if (test !== undefined) {
    const verdict = `overloaded share by hour of day: chi² = ${sig(test.chiSquare, 4)}, df = ${test.df}, p = ${sig(test.pValue, 2)}`;
    if (p.diurnal !== undefined) c(`${verdict}; a 24-hour cosine explains ${pct(Math.max(0, p.diurnal.r2))} of it (lowest ${hhmm(p.diurnal.troughHours)} UTC)`);
    else c(`${verdict}${test.pValue < 0.001 ? '' : ': no hour-of-day pattern'}`);
  }
  for (const h of p.hourly) {
    c(
      `${h.kind} rate differs by hour of day (chi² = ${sig(h.test.chiSquare, 4)}, df = ${h.test.df}, p = ${sig(h.test.pValue, 2)}): ${pct(h.test.highest.rate)} at ${String(h.test.highest.hour).padStart(2, '0')}h UTC, ${pct(h.test.lowest.rate)} at ${String(h.test.lowest.hour).padStart(2, '0')}h; the scenario holds one rate, the overall one`,
    );
  }
  c(`peak ${count(p.peakInFlight)} attempts in flight (a lower bound for capacity.concurrency), at most ${count(p.peakPerMinute)} started in a minute${(p.outcomes['rate-limited'] ?? 0) > 0 ? `; ${count(p.outcomes['rate-limited']!)} rate-limited: set rateLimit` : ''}`);
  for (const note of p.notes) c(`note: ${note}`);
  return out;
}

/** A duration for an outage: whole minutes when it is, else seconds. */
function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * The `providers` section of a scenario, with how each number was found in comments.
 * @param result - the fit
 * @param source - the log file, for the header
 * @returns YAML text
 */
export function renderProvidersYaml(result: FitResult, source: string): string {
  const lines = [
    `# Fitted by \`imgsim fit\` from ${source}: ${count(result.attempts)} attempts at ${result.providers.length} provider${result.providers.length === 1 ? '' : 's'}, ${iso(result.firstMs)} to ${iso(result.lastMs)}.`,
    '# Put it in a scenario as its `providers:` section; `imgsim validate` checks it. docs/fit.md says how each',
    '# number is found. Capacity and rate limits are not fitted: the notes give what the log shows.',
    'providers:',
  ];
  for (const p of result.providers) lines.push(...providerYaml(p), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Lays out rows as columns: the first `left` columns (and the last, when `lastLeft`) left-aligned, the rest right-aligned. */
function table(head: readonly string[], rows: readonly (readonly string[])[], left: number, lastLeft = false): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const isLeft = (i: number): boolean => i < left || (lastLeft && i === head.length - 1);
  const line = (r: readonly string[]): string => r.map((cell, i) => (isLeft(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)];
}

/**
 * The fit as two tables for the terminal: latency per provider and tier (observed and fitted
 * quantiles, the family and its KS distance), then outcomes and prices per provider.
 * @param result - the fit
 * @returns text
 */
export function renderFitReport(result: FitResult): string {
  const latency: string[][] = [];
  for (const p of result.providers) {
    for (const t of p.tiers) {
      const f = t.latency;
      const cells = f === undefined ? REPORTED_QUANTILES.map(() => '-') : REPORTED_QUANTILES.map((q, i) => `${formatMs(f.observed[i]!)} / ${formatMs(f.best.sampler.quantile(q))}`);
      latency.push([p.id, t.name, count(t.serviceSamples), f?.best.family ?? `(too few: fixed)`, f === undefined ? '-' : f.best.ks.toFixed(4), ...cells]);
    }
    if (p.errorLatency !== undefined) {
      const f = p.errorLatency;
      latency.push([p.id, '(errors)', count(f.samples), f.best.family, f.best.ks.toFixed(4), ...REPORTED_QUANTILES.map((q, i) => `${formatMs(f.observed[i]!)} / ${formatMs(f.best.sampler.quantile(q))}`)]);
    }
  }
  const kinds = ['server-error', 'timeout', 'generative', 'filtered', 'connection-reset'] as const;
  const outcomes: string[][] = result.providers.map((p) => {
    const rate = (k: string): string => {
      const f = p.failures.find((x) => x.kind === k);
      return f === undefined ? '-' : pct(f.rate);
    };
    const price = p.price === undefined ? '(no costs)' : `${p.price.model}${p.price.exact ? ', exact' : `, error ≤ ${pct(p.price.maxRelativeError)}`}`;
    return [p.id, count(p.attempts), ...kinds.map(rate), count(p.outcomes['rate-limited'] ?? 0), count(p.outcomes.overloaded ?? 0), price];
  });
  const lines = [
    ...table(['provider', 'tier', 'samples', 'family', 'KS', ...REPORTED_QUANTILES.map((q) => `p${Math.round(q * 100)} observed / fitted`)], latency, 4),
    '',
    ...table(['provider', 'attempts', ...kinds, 'rate-limited', 'overloaded', 'price'], outcomes, 1, true),
  ];
  const notes = result.providers.flatMap((p) => [
    ...p.outages.map((o) => `${p.id}: outage ${iso(o.startMs)} to ${iso(o.endMs)}`),
    ...(p.diurnal === undefined ? [] : [`${p.id}: availability varies by hour of day, lowest at ${hhmm(p.diurnal.troughHours)} UTC`]),
    ...p.hourly.map((h) => `${p.id}: ${h.kind} rate differs by hour of day (p = ${sig(h.test.pValue, 2)})`),
    ...p.notes.map((n) => `${p.id}: ${n}`),
  ]);
  if (notes.length > 0) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}

/**
 * The fit as JSON-ready data: per provider the chosen specs and the evidence in numbers.
 * @param result - the fit
 * @returns a plain object
 */
export function fitSummary(result: FitResult): Record<string, unknown> {
  return {
    attempts: result.attempts,
    first: iso(result.firstMs),
    last: iso(result.lastMs),
    providers: result.providers.map((p) => ({
      id: p.id,
      name: p.name,
      attempts: p.attempts,
      outcomes: p.outcomes,
      reference: p.reference,
      latencyScaling: p.latencyScaling ?? null,
      tiers: p.tiers.map((t) => ({
        name: t.name,
        attempts: t.attempts,
        serviceSamples: t.serviceSamples,
        latency: t.latency?.best.spec ?? null,
        ks: t.latency?.best.ks ?? null,
        observed: t.latency === undefined ? null : Object.fromEntries(REPORTED_QUANTILES.map((q, i) => [`p${Math.round(q * 100)}`, t.latency!.observed[i]])),
        candidates: t.latency?.candidates.map((c) => ({ family: c.family, ks: c.ks, spec: c.spec })) ?? [],
        priceMultiplier: t.priceMultiplier ?? null,
      })),
      errorLatency: p.errorLatency?.best.spec ?? null,
      drawn: p.drawn,
      failures: Object.fromEntries(p.failures.map((f) => [f.key, { count: f.count, rate: f.rate }])),
      pricing: p.price?.pricing ?? null,
      priceModel: p.price === undefined ? null : { model: p.price.model, exact: p.price.exact, maxRelativeError: p.price.maxRelativeError },
      billing: p.billing,
      outages: p.outages.map((o) => ({ start: iso(o.startMs), end: iso(o.endMs) })),
      diurnal: p.diurnal ?? null,
      peakInFlight: p.peakInFlight,
      peakPerMinute: p.peakPerMinute,
      notes: p.notes,
    })),
  };
}
