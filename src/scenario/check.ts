/**
 * Cross-field checks: what the schema cannot see field by field (ids that must exist, sums,
 * orderings, files that must be there). Each problem carries the key path it is about.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { suggest } from './errors.js';
import { builtinNamed, walkStrategyRef } from '../routing/strategies/builtins.js';
import type { CrossCheckContext, KeyPath } from '../routing/strategies/_builtin.js';
import { pricingAtStart, type LatencySpec, type Pricing, type Scenario, type StrategyRef } from './schema.js';
import { parseAtMs } from './units.js';
import { isMetricPath, metricPaths, reportKeys, unknownMetricMessage } from '../metrics/metric-paths.js';
import { strategyReportSchema } from '../metrics/report-schema.js';

/** A cross-field problem before it is given a line and column. */
export interface PathProblem {
  readonly path: (string | number)[];
  readonly message: string;
}

/**
 * Runs every cross-field check.
 * @param s - a scenario that passed the schema
 * @param file - the scenario file, for resolving relative paths (`<inline>`: the working folder)
 * @returns the problems found, empty when the scenario is consistent
 */
export function crossCheck(s: Scenario, file: string): PathProblem[] {
  const out: PathProblem[] = [];
  const dir = file === '<inline>' ? process.cwd() : path.dirname(path.resolve(file));
  const ids = s.providers.map((p) => p.id);
  const tiers = new Set(s.providers.flatMap((p) => Object.keys(p.tiers)));
  const knownProvider = (id: string, at: KeyPath): void => {
    if (!ids.includes(id)) out.push({ path: [...at], message: unknownMessage('provider', id, ids) });
  };
  const knownTier = (tier: string | undefined, at: KeyPath): void => {
    if (tier !== undefined && !tiers.has(tier)) out.push({ path: [...at], message: unknownMessage('tier', tier, [...tiers]) });
  };

  const seen = new Map<string, number>();
  s.providers.forEach((p, i) => {
    const first = seen.get(p.id);
    if (first !== undefined) out.push({ path: ['providers', i, 'id'], message: `duplicate provider id "${p.id}" (also providers[${first}])` });
    else seen.set(p.id, i);
    checkProvider(p, ['providers', i], out);
    checkPriceSchedule(p.pricing, ['providers', i, 'pricing'], s.start, out);
  });
  checkAccounts(s, out);
  checkPipeline(s, out);

  const { arrivals, mix, trace } = s.traffic;
  if (trace !== undefined) {
    if (arrivals !== undefined || mix !== undefined) {
      out.push({ path: ['traffic', 'trace'], message: 'give either `trace` or `arrivals` with `mix`, not both' });
    }
    if (typeof trace !== 'string' && typeof trace.columns === 'object' && trace.columns.until !== undefined && trace.columns.count === undefined) {
      out.push({ path: ['traffic', 'trace', 'columns', 'until'], message: '`until` spreads a row\'s `count` requests over [at, until); map `count` too, or drop `until`' });
    }
    const traceFile = typeof trace === 'string' ? trace : trace.file;
    if (!existsSync(path.resolve(dir, traceFile))) {
      out.push({ path: ['traffic', 'trace', ...(typeof trace === 'string' ? [] : ['file'])], message: `trace file not found: ${traceFile} (paths are relative to the scenario file)` });
    }
  } else {
    if (arrivals === undefined) out.push({ path: ['traffic', 'arrivals'], message: 'missing; expected `arrivals` with `mix`, or a `trace`' });
    if (mix === undefined || mix.length === 0) out.push({ path: ['traffic', 'mix'], message: 'missing; expected at least one request class' });
    else {
      if (mix.reduce((sum, m) => sum + m.weight, 0) <= 0) out.push({ path: ['traffic', 'mix'], message: 'the mix weights sum to 0; give at least one class a positive weight' });
      const names = new Set<string>();
      mix.forEach((m, i) => {
        if (names.has(m.name)) out.push({ path: ['traffic', 'mix', i, 'name'], message: `duplicate request class "${m.name}"` });
        names.add(m.name);
        if (typeof m.steps === 'object' && m.steps.max < m.steps.min) out.push({ path: ['traffic', 'mix', i, 'steps'], message: 'max is below min' });
        if (m.promptWords && m.promptWords.max < m.promptWords.min) out.push({ path: ['traffic', 'mix', i, 'promptWords'], message: 'max is below min' });
        knownTier(m.tier, ['traffic', 'mix', i, 'tier']);
      });
    }
  }

  const strategyChecks: CrossCheckContext = {
    knownProvider,
    knownTier,
    problem: (at, message) => out.push({ path: [...at], message }),
    resolve: (file) => path.resolve(dir, file),
  };
  const names = new Map<string, number>();
  s.strategies.forEach((ref, i) => {
    const name = strategyDisplayName(ref);
    const first = names.get(name);
    if (first !== undefined) {
      out.push({ path: ['strategies', i], message: `duplicate strategy name "${name}" (also strategies[${first}]); give one a \`name\`` });
    } else names.set(name, i);
    walkStrategyRef(ref, ['strategies', i], (nested, at) => {
      checkStrategy(nested, at, strategyChecks);
      // A gateway's fees are on what the whole run bills: on the strategy entry, not inside it.
      if (at.length > 2 && typeof nested !== 'string' && nested.fees !== undefined) {
        out.push({ path: [...at, 'fees'], message: `fees apply to a whole strategy entry: move \`fees\` to strategies[${i}]` });
      }
    });
  });

  const metrics = s.thresholds.length === 0 ? [] : metricPaths(strategyReportSchema, reportKeys(s));
  s.thresholds.forEach((t, i) => {
    if (!isMetricPath(metrics, t.metric)) out.push({ path: ['thresholds', i, 'metric'], message: unknownMetricMessage(metrics, t.metric) });
    if (t.min === undefined && t.max === undefined) out.push({ path: ['thresholds', i], message: 'give `min`, `max` or both' });
    if (t.strategy !== undefined && !names.has(t.strategy)) {
      out.push({ path: ['thresholds', i, 'strategy'], message: unknownMessage('strategy', t.strategy, [...names.keys()]) });
    }
  });
  return out;
}

/**
 * The name a strategy reference runs under: its `name`, else the built-in name, else the
 * file's base name.
 * @param ref - a parsed strategy reference
 * @returns the display name
 */
export function strategyDisplayName(ref: StrategyRef): string {
  if (typeof ref === 'string') return ref;
  if (ref.name !== undefined) return ref.name;
  if ('use' in ref) return ref.use;
  return path.basename(ref.file).replace(/\.[cm]?[jt]s$/, '');
}

/**
 * Checks one strategy reference (not those nested in it: the walker visits them): a file must
 * exist and be a script; a built-in's `tier`, then its own cross-checks (its descriptor's).
 */
function checkStrategy(ref: StrategyRef, at: KeyPath, c: CrossCheckContext): void {
  if (typeof ref === 'string') return;
  if ('file' in ref) {
    if (!existsSync(c.resolve(ref.file))) {
      c.problem([...at, 'file'], `strategy file not found: ${ref.file} (paths are relative to the scenario file)`);
    } else if (!/\.[cm]?[jt]s$/.test(ref.file)) {
      c.problem([...at, 'file'], 'expected a .ts, .mts, .js or .mjs file');
    }
    return;
  }
  c.knownTier(ref.tier, [...at, 'tier']);
  builtinNamed(ref.use)?.check?.(ref, at, c);
}

/** What {@link checkProvider} reads: a provider, or a validator (which has no `supports`, `rateLimit` or `reserved`). */
type CheckedProvider = Pick<Scenario['providers'][number], 'tiers' | 'failures' | 'pricing'> & Partial<Pick<Scenario['providers'][number], 'supports' | 'rateLimit' | 'reserved'>>;

/**
 * Checks one provider's or validator's latency, failures and pricing.
 * @param p - the provider or validator
 * @param base - its key path (`providers`, i or `validators`, i)
 * @param out - receives the problems
 */
export function checkProvider(p: CheckedProvider, base: readonly (string | number)[], out: PathProblem[]): void {
  const at = (...rest: (string | number)[]): (string | number)[] => [...base, ...rest];
  for (const [name, tier] of Object.entries(p.tiers)) checkLatency(tier.latency, at('tiers', name, 'latency'), out);
  if (p.failures.errorLatency) checkLatency(p.failures.errorLatency, at('failures', 'errorLatency'), out);
  const f = p.failures;
  const total = f.serverError + f.timeout + f.generative + f.filtered + f.connectionReset + f.malformed;
  if (total > 1 + 1e-12) out.push({ path: at('failures'), message: `failure probabilities sum to ${+total.toFixed(6)}; they must sum to at most 1` });

  const list = Array.isArray(p.pricing);
  const entries: readonly Pricing[] = 'model' in p.pricing ? [p.pricing] : p.pricing;
  entries.forEach((pricing, j) => {
    checkPricing(pricing, list ? at('pricing', j) : at('pricing'), out);
  });
  const pricing = entries[0]!;
  if (p.reserved !== undefined && pricing.model === 'credits') {
    out.push({ path: at('reserved'), message: 'reserved capacity overflows at on-demand prices in USD; give the provider a cash pricing model (not `credits`)' });
  }
  // Hourly at the finest, as reservations are sold: ten years of window is at most 87,600 fees.
  if (p.reserved !== undefined && !(p.reserved.period >= 3_600_000)) out.push({ path: at('reserved', 'period'), message: 'expected a period of at least 1h' });
  if (p.supports?.sizes && p.supports.sizes.length === 0) out.push({ path: at('supports', 'sizes'), message: 'an empty list serves no request; omit it to accept any size' });
  if (p.rateLimit?.burst !== undefined && p.rateLimit.burst < 1) out.push({ path: at('rateLimit', 'burst'), message: 'expected at least 1' });
}

/** One pricing's own consistency (credits bundles, token tables). */
function checkPricing(pricing: Pricing, base: readonly (string | number)[], out: PathProblem[]): void {
  const at = (...rest: (string | number)[]): (string | number)[] => [...base, ...rest];
  if (pricing.model === 'credits') {
    if (pricing.bundles.length === 0 && pricing.creditPrice === undefined) {
      out.push({ path: at(), message: 'a credits provider needs `bundles` or a `creditPrice` for credits bought one by one' });
    }
    const bundleNames = pricing.bundles.map((b, j) => b.name ?? String(j));
    pricing.upfront.forEach((u, j) => {
      const ok = typeof u.bundle === 'number' ? u.bundle < pricing.bundles.length : pricing.bundles.some((b) => b.name === u.bundle);
      if (!ok) out.push({ path: at('upfront', j, 'bundle'), message: unknownMessage('bundle', String(u.bundle), bundleNames) });
    });
    if (pricing.purchase === 'auto' && pricing.upfront.length > 0) {
      out.push({ path: at('upfront'), message: 'bundles listed under `upfront` are bought only with `purchase: upfront`; set it, or remove the list' });
    }
    if (pricing.purchase === 'upfront' && pricing.upfront.length === 0) {
      out.push({ path: at('upfront'), message: 'purchase is `upfront` but no bundles are listed to buy up front' });
    }
  }
  if (pricing.model === 'per-token') {
    for (const [size, table] of Object.entries(pricing.outputTokens)) {
      if (Object.keys(table).length === 0) out.push({ path: at('outputTokens', size), message: 'expected at least one quality with its token count' });
    }
  }
}

/**
 * What a provider offers and how its account works, which a price schedule may not change:
 * the model, the sizes and qualities its tables sell, the features it prices, whether it
 * prices validation, which failures are billed, and (credits) how credits are bought.
 */
function offerOf(p: Pricing): string {
  const keys = (r: object | undefined): string[] | undefined => (r === undefined ? undefined : Object.keys(r));
  return JSON.stringify({
    model: p.model,
    sizes: p.model === 'per-image' && p.sizes !== undefined ? Object.entries(p.sizes).map(([k, v]) => [k, typeof v === 'number' ? [] : Object.keys(v)]) : undefined,
    tokens: p.model === 'per-token' ? Object.entries(p.outputTokens).map(([k, v]) => [k, Object.keys(v)]) : undefined,
    quality: keys(p.quality),
    features: keys(p.features),
    validation: p.validation !== undefined,
    billing: p.billing,
    credits: p.model === 'credits' ? [p.creditPrice, p.bundles, p.purchase, p.upfront] : undefined,
  });
}

/**
 * A price schedule's order: in a list, the first entry's `from` (if given) at or before the
 * start, every later entry's `from` given and after the previous one, and the same offer in
 * every entry (see {@link offerOf}); in each pricing, `schedule` instants in increasing order.
 * @param pricing - a provider's pricing as parsed
 * @param base - its key path
 * @param startMs - the scenario start
 * @param out - receives the problems
 */
function checkPriceSchedule(pricing: Pricing | readonly Pricing[], base: readonly (string | number)[], startMs: number, out: PathProblem[]): void {
  const list = Array.isArray(pricing);
  const entries: readonly Pricing[] = list ? pricing : [pricing as Pricing];
  const ms = (v: string | number): number => parseAtMs(v, startMs) as number;
  const iso = (t: number): string => new Date(t).toISOString();
  // The first entry is the one in force at the start: later ones take over after it.
  let previous = startMs;
  entries.forEach((e, j) => {
    const at = (...rest: (string | number)[]): (string | number)[] => (list ? [...base, j, ...rest] : [...base, ...rest]);
    if (!list && e.from !== undefined) out.push({ path: at('from'), message: '`from` dates an entry of a list of pricings; write `pricing: [{ from, ... }, ...]`, or use `schedule` for multipliers' });
    if (list && e.from === undefined && j > 0) out.push({ path: at(), message: `missing \`from\`: every pricing after the first says from when it is in force` });
    if (list && e.from !== undefined) {
      const t = ms(e.from);
      if (j === 0 && t > startMs) out.push({ path: at('from'), message: `the first pricing must be in force at the start (${iso(startMs)}); it is from ${iso(t)}: omit its \`from\`, or move it to the start` });
      if (j > 0 && !(t > previous)) out.push({ path: at('from'), message: `pricings must be listed in time order with different \`from\`s; ${iso(t)} is not after pricing[${j - 1}]'s ${iso(previous)}` });
      if (j > 0) previous = t;
    }
    if (j > 0 && offerOf(e) !== offerOf(entries[0]!)) {
      out.push({
        path: at(),
        message: 'a price schedule changes prices, not what is sold: give every entry the same `model`, table sizes and qualities, `features`, `validation` (present or not), `billing` and credit bundles as pricing[0]',
      });
    }
    let last = -Infinity;
    (e.schedule ?? []).forEach((item, k) => {
      const t = ms(item.from);
      if (!(t > last)) out.push({ path: at('schedule', k, 'from'), message: `schedule instants must increase; ${iso(t)} is not after schedule[${k - 1}]'s ${iso(last)}` });
      last = t;
    });
  });
}

/** Validators: ids unique among providers and validators, priced in USD, and the one `pipeline.validator` names. */
function checkPipeline(s: Scenario, out: PathProblem[]): void {
  const validators = s.validators ?? [];
  const taken = new Set(s.providers.map((p) => p.id));
  validators.forEach((v, i) => {
    if (taken.has(v.id)) out.push({ path: ['validators', i, 'id'], message: `duplicate id "${v.id}": provider and validator ids must all differ` });
    taken.add(v.id);
    checkProvider(v, ['validators', i], out);
    checkPriceSchedule(v.pricing, ['validators', i, 'pricing'], s.start, out);
    if (v.pricing.model === 'credits') out.push({ path: ['validators', i, 'pricing', 'model'], message: 'a validator is priced in USD: per call (`per-image`) or per token (`per-token`), not in credits' });
    if (v.pricing.validation !== undefined) out.push({ path: ['validators', i, 'pricing', 'validation'], message: 'a validator does not validate its own check; remove `validation`' });
  });
  const pipeline = s.pipeline;
  if (pipeline === undefined) return;
  const ids = validators.map((v) => v.id);
  if (ids.length === 0) out.push({ path: ['pipeline'], message: 'no validator to call: list one under `validators`' });
  else if (pipeline.validator !== undefined && !ids.includes(pipeline.validator)) out.push({ path: ['pipeline', 'validator'], message: unknownMessage('validator', pipeline.validator, ids) });
}

function checkLatency(spec: LatencySpec, at: (string | number)[], out: PathProblem[]): void {
  if (spec.dist === 'lognormal' && !(spec.p99 > spec.median)) out.push({ path: [...at, 'p99'], message: 'p99 must be greater than median' });
  if (spec.dist === 'uniform' && spec.max < spec.min) out.push({ path: [...at, 'max'], message: 'max must be at least min' });
  if ((spec.dist === 'gamma' || spec.dist === 'exponential') && spec.mean <= 0) out.push({ path: [...at, 'mean'], message: 'mean must be positive' });
  if (spec.dist === 'gamma' && spec.sd <= 0) out.push({ path: [...at, 'sd'], message: 'sd must be positive' });
}

function checkAccounts(s: Scenario, out: PathProblem[]): void {
  const byAccount = new Map<string, number>();
  s.providers.forEach((p, i) => {
    const account = p.account ?? p.id;
    const first = byAccount.get(account);
    if (first === undefined) {
      byAccount.set(account, i);
      return;
    }
    const q = s.providers[first]!;
    if (JSON.stringify(p.rateLimit) !== JSON.stringify(q.rateLimit)) {
      out.push({ path: ['providers', i, 'rateLimit'], message: `providers on account "${account}" share one rate limit; it differs from providers[${first}]` });
    }
    if (JSON.stringify(p.quota) !== JSON.stringify(q.quota)) {
      out.push({ path: ['providers', i, 'quota'], message: `providers on account "${account}" share one quota; it differs from providers[${first}]` });
    }
    const pp = pricingAtStart(p.pricing);
    const qp = pricingAtStart(q.pricing);
    if (pp.model === 'credits' && qp.model === 'credits' && JSON.stringify(pp.bundles) !== JSON.stringify(qp.bundles)) {
      out.push({ path: ['providers', i, 'pricing', 'bundles'], message: `providers on account "${account}" share one credit balance; their bundles must match providers[${first}]` });
    }
  });
}

function unknownMessage(what: string, name: string, known: readonly string[]): string {
  const near = suggest(name, known);
  return `unknown ${what} "${name}"${near === undefined ? (known.length > 0 ? `; known: ${known.join(', ')}` : '') : `; did you mean "${near}"?`}`;
}
