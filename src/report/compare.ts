/**
 * `imgsim compare` and `run --baseline`: two reports and per-metric tolerances in, a Comparison
 * out. Pure: no files, no terminal, no clock; printing lives in compare-render.ts.
 */
import { ImgsimError, suggest } from '../scenario/errors.js';
import { isUnitError, parseDurationMs, parseMoneyUsd } from '../scenario/units.js';
import { readMetric } from '../metrics/thresholds.js';
import type { Report, StrategyReport } from '../metrics/report-types.js';
import { round10 } from './json.js';

/** What a metric's numbers are, for tolerance units and for printing. */
export type MetricUnit = 'usd' | 'ms' | 'fraction';

/** One compared metric: its short name, where it is in a strategy report, which way is better. */
export interface CompareMetric {
  /** Short name used by `--tolerance` and in the output (`cost`, `p95`, `success`). */
  readonly name: string;
  /** Dotted path in a strategy report (`cost.total`); also accepted by `--tolerance`. */
  readonly path: string;
  /** `lower`: a rise is worse (cost, latency); `higher`: a fall is worse (rates). */
  readonly better: 'lower' | 'higher';
  readonly unit: MetricUnit;
  /**
   * Whether the metric only has a value when something succeeded (latency and cost per image
   * are written 0 when nothing did, which must not read as a 100% improvement).
   */
  readonly needsSuccess: boolean;
  /** For a per-group metric: the group (`interactive`, `class nightly`, `project web`). */
  readonly group?: string;
  /** For a per-group metric: the base metric whose tolerance it uses (`p95`). */
  readonly base?: string;
}

/** A tolerance: relative to the baseline value, or absolute in the metric's unit. */
export type Tolerance =
  | { readonly kind: 'relative'; /** a fraction of the baseline: 0.05 = 5% */ readonly value: number; readonly text: string }
  | { readonly kind: 'absolute'; /** USD, ms or a fraction (0.001 = 0.1pp) */ readonly value: number; readonly text: string };

/** The metrics compared, in output order. */
export const COMPARE_METRICS: readonly CompareMetric[] = [
  { name: 'cost', path: 'cost.total', better: 'lower', unit: 'usd', needsSuccess: false },
  { name: 'per-image', path: 'cost.perSucceeded', better: 'lower', unit: 'usd', needsSuccess: true },
  { name: 'wasted', path: 'cost.wasted', better: 'lower', unit: 'usd', needsSuccess: false },
  { name: 'p50', path: 'latencyMs.p50', better: 'lower', unit: 'ms', needsSuccess: true },
  { name: 'p95', path: 'latencyMs.p95', better: 'lower', unit: 'ms', needsSuccess: true },
  { name: 'p99', path: 'latencyMs.p99', better: 'lower', unit: 'ms', needsSuccess: true },
  { name: 'success', path: 'successRate', better: 'higher', unit: 'fraction', needsSuccess: false },
  { name: 'slo', path: 'slo.attainment', better: 'higher', unit: 'fraction', needsSuccess: false },
];

/**
 * A gateway's fees (`cost.fees.total`, docs/gateways.md#fees), compared like money with the
 * `cost` tolerance, and only for a strategy that has fees in either report (so comparisons of
 * reports without fees keep their checks).
 */
export const FEES_METRIC: CompareMetric = { name: 'fees', path: 'cost.fees.total', better: 'lower', unit: 'usd', needsSuccess: false, base: 'cost' };

/**
 * Default tolerances. Simulated reports are deterministic (same scenario, seed and code give the
 * same bytes), so any change is the code's and tight bounds are meaningful: 1% on money, 5% on
 * latency percentiles (a routing change moves whole requests between providers, so percentiles
 * step), 0.1 percentage points on rates.
 */
export const DEFAULT_TOLERANCES: Readonly<Record<string, Tolerance>> = {
  cost: { kind: 'relative', value: 0.01, text: '1%' },
  'per-image': { kind: 'relative', value: 0.01, text: '1%' },
  wasted: { kind: 'relative', value: 0.01, text: '1%' },
  p50: { kind: 'relative', value: 0.05, text: '5%' },
  p95: { kind: 'relative', value: 0.05, text: '5%' },
  p99: { kind: 'relative', value: 0.05, text: '5%' },
  success: { kind: 'absolute', value: 0.001, text: '0.1pp' },
  slo: { kind: 'absolute', value: 0.001, text: '0.1pp' },
};

/**
 * The metrics compared per group of traffic (never summed over classes with different
 * deadlines): per urgency the latency percentiles, SLO attainment and cost; per traffic class
 * p95, SLO and cost; per project SLO and cost. Each uses its base metric's tolerance.
 */
const GROUP_METRICS: readonly { readonly dimension: 'urgency' | 'class' | 'project'; readonly record: (m: string) => string; readonly metrics: readonly string[] }[] = [
  { dimension: 'urgency', record: (m) => (m === 'slo' ? 'slo.byUrgency' : m === 'cost' ? 'cost.byUrgency' : 'latencyByUrgency'), metrics: ['cost', 'p50', 'p95', 'p99', 'slo'] },
  { dimension: 'class', record: (m) => (m === 'slo' ? 'slo.byClass' : m === 'cost' ? 'cost.byClass' : 'latencyByClass'), metrics: ['cost', 'p95', 'slo'] },
  { dimension: 'project', record: (m) => (m === 'slo' ? 'slo.byProject' : 'cost.byProject'), metrics: ['cost', 'slo'] },
];

/** The keys of a record of a strategy report (`slo.byUrgency` → interactive, batch). */
function keysAt(s: StrategyReport, record: string): string[] {
  let at: unknown = s;
  for (const k of record.split('.')) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[k] : undefined;
  return typeof at === 'object' && at !== null ? Object.keys(at) : [];
}

/**
 * The per-group metrics of two reports of one strategy: every urgency, class and project either
 * report has. Named `p95 interactive`, `cost class nightly`, `slo project web`.
 * @param base - the baseline's strategy
 * @param cur - the current report's strategy
 * @returns the metrics, urgencies in report order, then classes, then projects
 */
export function groupMetrics(base: StrategyReport, cur: StrategyReport): CompareMetric[] {
  const out: CompareMetric[] = [];
  for (const g of GROUP_METRICS) {
    const keys = new Set<string>();
    for (const m of g.metrics) for (const k of [...keysAt(base, g.record(m)), ...keysAt(cur, g.record(m))]) keys.add(k);
    for (const key of keys) {
      for (const name of g.metrics) {
        const metric = COMPARE_METRICS.find((x) => x.name === name)!;
        const leaf = name === 'slo' ? '.attainment' : name === 'cost' ? '' : `.${name}`;
        const label = g.dimension === 'urgency' ? key : `${g.dimension} ${key}`;
        // Latency of a group is missing, not 0, when nothing of it succeeded (its summary is NaN).
        out.push({ ...metric, name: `${name} ${label}`, path: `${g.record(name)}.${key}${leaf}`, needsSuccess: false, group: label, base: name });
      }
    }
  }
  return out;
}

/** Names in `--tolerance` that set several metrics at once. */
const GROUPS: Readonly<Record<string, readonly string[]>> = {
  latency: ['p50', 'p95', 'p99'],
  all: COMPARE_METRICS.map((m) => m.name),
};

/** A check's verdict: `missing` when the baseline (or both reports) has no value; never a failure. */
export type Verdict = 'ok' | 'improved' | 'regressed' | 'missing';

/** One metric of one strategy, baseline against current. */
export interface MetricCheck {
  /** Its name: `p95`, or per group `p95 interactive`, `cost class nightly`. */
  readonly metric: string;
  /** For a per-group check: the group. */
  readonly group?: string;
  readonly path: string;
  readonly better: 'lower' | 'higher';
  readonly unit: MetricUnit;
  /** null when the report has no value (missing, null/NaN, or nothing succeeded for latency). */
  readonly baseline: number | null;
  readonly current: number | null;
  /** current − baseline; null when either is missing. */
  readonly delta: number | null;
  /** delta ÷ |baseline|; null when either is missing or the baseline is 0 and the value moved. */
  readonly relative: number | null;
  readonly tolerance: Tolerance;
  readonly verdict: Verdict;
  /** Why, when the numbers alone do not say it (a zero baseline, a missing value). */
  readonly note?: string;
}

/** One strategy present in both reports. */
export interface StrategyComparison {
  readonly name: string;
  readonly checks: readonly MetricCheck[];
}

/** Identity of one compared report. */
export interface ReportIdentity {
  readonly imgsim: string;
  readonly scenario: string;
  /** What the strategies ran against (the report's `scenarioHash`); absent in older reports. */
  readonly scenarioHash?: string;
  readonly seed: number;
  readonly mode: 'sim' | 'live';
  readonly window: { readonly start: string; readonly end: string };
}

/** Everything `imgsim compare` found. */
export interface Comparison {
  readonly baseline: ReportIdentity;
  readonly current: ReportIdentity;
  /** The tolerance used per metric name, defaults merged with `--tolerance`. */
  readonly tolerances: Readonly<Record<string, Tolerance>>;
  /** Strategies in both reports, in the current report's order. */
  readonly strategies: readonly StrategyComparison[];
  /** Strategies only in the current report. */
  readonly added: readonly string[];
  /** Strategies only in the baseline. */
  readonly removed: readonly string[];
  /** Whether added strategies fail the comparison too (`--strict`); removed ones always do. */
  readonly strict: boolean;
  /**
   * Reasons to doubt the comparison: first, with `allowDifferent`, why the reports are not
   * comparable (scenario, seed, window); then other versions, live mode, missing hashes.
   */
  readonly warnings: readonly string[];
  readonly counts: { readonly checks: number; readonly ok: number; readonly improved: number; readonly regressed: number; readonly missing: number };
  /** True when a check regressed, a strategy is missing from the current report, or (`strict`) one was added: exit code 1. */
  readonly failed: boolean;
}

/** Options of {@link compareReports}. */
export interface CompareOptions {
  /** Per-metric tolerances, e.g. from {@link parseTolerances}; missing names use the defaults. */
  readonly tolerances?: Readonly<Record<string, Tolerance>>;
  /** Fail when a strategy was added, too (one missing from the current report always fails). Default false. */
  readonly strict?: boolean;
  /**
   * Compare reports of different scenarios, seeds or windows anyway (`--allow-different`): the
   * reasons head the warnings. Default false: such reports are refused (exit 2).
   */
  readonly allowDifferent?: boolean;
}

// Reports round to 10 significant digits; a relative slack far above that and far below any
// tolerance a user would write keeps float noise from turning `0%` into a regression.
const FLOAT_SLACK = 1e-9;

/**
 * Parses `--tolerance` text: comma-separated `name=value`, later entries winning. A value is
 * relative (`5%`) or absolute in the metric's unit: `0.5pp` for rates, a duration (`250ms`,
 * `1s`) for latency, dollars (`$0.50`) for money. Names are the metric names, their report
 * paths (`cost.total`), or the groups `latency` (p50, p95, p99) and `all`.
 * @param specs - one or more `--tolerance` values
 * @returns the tolerances given, by metric name (defaults not included)
 * @throws ImgsimError `invalid-argument` naming the bad entry and what was expected
 */
export function parseTolerances(specs: readonly string[]): Record<string, Tolerance> {
  const out: Record<string, Tolerance> = {};
  const names = [...COMPARE_METRICS.map((m) => m.name), ...COMPARE_METRICS.map((m) => m.path), ...Object.keys(GROUPS)];
  for (const spec of specs) {
    for (const raw of spec.split(',')) {
      const entry = raw.trim();
      if (entry === '') continue;
      const eq = entry.indexOf('=');
      if (eq <= 0 || eq === entry.length - 1) {
        throw new ImgsimError('invalid-argument', `--tolerance: expected name=value such as cost=2% or success=0.5pp, got "${entry}"`);
      }
      const name = entry.slice(0, eq).trim();
      const value = entry.slice(eq + 1).trim();
      const targets = metricsNamed(name);
      if (targets === undefined) {
        const near = suggest(name, names);
        throw new ImgsimError(
          'invalid-argument',
          `--tolerance: unknown metric "${name}"${near === undefined ? '.' : `; did you mean "${near}"?`} Metrics: ${COMPARE_METRICS.map((m) => m.name).join(', ')} (or latency, all)`,
        );
      }
      for (const m of targets) out[m.name] = parseTolerance(m, value, name);
    }
  }
  return out;
}

function metricsNamed(name: string): readonly CompareMetric[] | undefined {
  const group = GROUPS[name];
  if (group !== undefined) return COMPARE_METRICS.filter((m) => group.includes(m.name));
  const m = COMPARE_METRICS.find((x) => x.name === name || x.path === name);
  return m === undefined ? undefined : [m];
}

const NUMBER = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
const PERCENT_RE = new RegExp(`^${NUMBER}\\s*%$`);
const PP_RE = new RegExp(`^${NUMBER}\\s*pp$`);

function parseTolerance(m: CompareMetric, value: string, given: string): Tolerance {
  const percent = PERCENT_RE.exec(value);
  if (percent) return { kind: 'relative', value: Number(percent[1]) / 100, text: `${Number(percent[1])}%` };
  const absolute: Record<MetricUnit, string> = {
    fraction: 'percentage points (0.5pp)',
    ms: 'a duration (250ms, 1s)',
    usd: 'dollars ($0.50)',
  };
  const fail = (): never => {
    throw new ImgsimError(
      'invalid-argument',
      `--tolerance ${given}=${value}: expected a percentage of the baseline (5%) or an absolute ${m.name} tolerance in ${absolute[m.unit]}`,
    );
  };
  switch (m.unit) {
    case 'fraction': {
      const pp = PP_RE.exec(value);
      if (!pp) return fail();
      const points = Number(pp[1]);
      return { kind: 'absolute', value: points / 100, text: `${points}pp` };
    }
    case 'ms': {
      // A bare number is ambiguous (ms? percent?), so latency needs a unit too.
      if (!/[a-z]$/i.test(value)) return fail();
      const ms = parseDurationMs(value);
      if (isUnitError(ms)) return fail();
      return { kind: 'absolute', value: ms, text: value.replace(/\s+/g, '') };
    }
    case 'usd': {
      if (!value.startsWith('$')) return fail();
      const usd = parseMoneyUsd(value);
      if (isUnitError(usd)) return fail();
      return { kind: 'absolute', value: usd, text: `$${usd}` };
    }
  }
}

/**
 * A report's identity: what `compare` checks before comparing figures.
 * @param r - the report
 * @returns version, scenario and its hash, seed, mode, window
 */
export function reportIdentity(r: Report): ReportIdentity {
  return {
    imgsim: r.imgsim,
    scenario: r.scenario,
    ...(r.scenarioHash === undefined ? {} : { scenarioHash: r.scenarioHash }),
    seed: r.seed,
    mode: r.mode,
    window: { start: r.window.start, end: r.window.end },
  };
}

/**
 * Why two reports' figures do not compare: they ran against different scenarios (by content
 * hash, or by name when a report has no hash), on other traffic and luck (seed), or over
 * another window.
 * @param b - the baseline's identity
 * @param c - the current report's identity
 * @returns the reasons, none when they compare
 */
export function incomparability(b: ReportIdentity, c: ReportIdentity): string[] {
  const why: string[] = [];
  if (b.scenarioHash !== undefined && c.scenarioHash !== undefined) {
    if (b.scenarioHash !== c.scenarioHash) {
      why.push(
        `the reports ran against different scenarios ("${b.scenario}" hash ${b.scenarioHash}, "${c.scenario}" hash ${c.scenarioHash}): providers, traffic, SLO, budget or policy differ`,
      );
    }
  } else if (b.scenario !== c.scenario) why.push(`the reports come from different scenarios ("${b.scenario}" and "${c.scenario}")`);
  if (b.seed !== c.seed) why.push(`the reports use different seeds (${b.seed} and ${c.seed}), so they saw different traffic and provider luck`);
  if (b.window.start !== c.window.start || b.window.end !== c.window.end) {
    why.push(`the simulated windows differ (${b.window.start} → ${b.window.end} and ${c.window.start} → ${c.window.end})`);
  }
  return why;
}

/**
 * Refuses to compare reports that {@link incomparability} finds different, unless allowed.
 * @param b - the baseline's identity
 * @param c - the current report's (or run's) identity
 * @param allowDifferent - `--allow-different`
 * @returns the reasons when allowed (for the warnings), else none
 * @throws ImgsimError `invalid-report` (exit 2) naming every reason
 */
export function assertComparable(b: ReportIdentity, c: ReportIdentity, allowDifferent: boolean): string[] {
  const why = incomparability(b, c);
  if (why.length > 0 && !allowDifferent) {
    throw new ImgsimError(
      'invalid-report',
      `not comparable: ${why.join('; ')}. Compare reports of the same scenario, seed and window, or pass --allow-different to compare them anyway`,
    );
  }
  return why;
}

/** The metric's value, or null when the report has none. */
function valueOf(s: StrategyReport, m: CompareMetric): number | null {
  if (m.needsSuccess && !(s.requests.succeeded > 0)) return null;
  const v = readMetric(s, m.path);
  return Number.isFinite(v) ? v : null;
}

/**
 * Judges one metric. Within the tolerance either way is `ok`; beyond it, `improved` or
 * `regressed` by the metric's direction. A value missing from the current report while the
 * baseline has one is a regression (the run lost what it measured); a missing baseline value
 * is `missing`, never a failure.
 * @param m - the metric
 * @param baseline - its baseline value, or null
 * @param current - its current value, or null
 * @param tolerance - how far it may move
 * @returns the check
 */
export function checkMetric(m: CompareMetric, baseline: number | null, current: number | null, tolerance: Tolerance): MetricCheck {
  const base = { metric: m.name, ...(m.group === undefined ? {} : { group: m.group }), path: m.path, better: m.better, unit: m.unit, baseline, current, tolerance };
  if (baseline === null || current === null) {
    const note =
      baseline === null && current === null
        ? 'no value in either report'
        : baseline === null
          ? 'no value in the baseline'
          : m.needsSuccess
            ? 'no value in the current report (nothing succeeded)'
            : 'no value in the current report';
    return { ...base, delta: null, relative: null, verdict: baseline !== null ? 'regressed' : 'missing', note };
  }
  const delta = round10(current - baseline);
  const relative = baseline !== 0 ? round10(delta / Math.abs(baseline)) : delta === 0 ? 0 : null;
  // Positive `worse` means the metric moved the wrong way.
  const worse = m.better === 'lower' ? delta : -delta;
  const allowed = tolerance.kind === 'relative' ? tolerance.value * Math.abs(baseline) : tolerance.value;
  const slack = FLOAT_SLACK * Math.max(Math.abs(baseline), Math.abs(current), tolerance.kind === 'absolute' ? tolerance.value : 0);
  const verdict: Verdict = worse > allowed + slack ? 'regressed' : -worse > allowed + slack ? 'improved' : 'ok';
  const note = baseline === 0 && delta !== 0 && tolerance.kind === 'relative' ? 'baseline was 0: any change exceeds a relative tolerance' : undefined;
  return { ...base, delta, relative, verdict, ...(note === undefined || verdict === 'ok' ? {} : { note }) };
}

function warningsFor(b: Report, c: Report, incomparable: readonly string[]): string[] {
  const w: string[] = [...incomparable];
  const unhashed = [b.scenarioHash === undefined ? 'the baseline' : '', c.scenarioHash === undefined ? 'the current report' : ''].filter((x) => x !== '');
  if (unhashed.length > 0) {
    w.push(`${unhashed.join(' and ')} ${unhashed.length > 1 ? 'have' : 'has'} no scenario hash (written by an older imgsim), so only the scenario names were checked`);
  }
  if (b.scenarioHash !== undefined && b.scenarioHash === c.scenarioHash && b.scenario !== c.scenario) {
    w.push(`the scenarios have different names ("${b.scenario}" and "${c.scenario}") but the same content`);
  }
  if (b.imgsim !== c.imgsim) w.push(`the reports were written by different imgsim versions (${b.imgsim} and ${c.imgsim}); a model change may explain differences`);
  const live = [b.mode === 'live' ? 'the baseline' : '', c.mode === 'live' ? 'the current report' : ''].filter((x) => x !== '');
  if (live.length > 0) {
    w.push(
      `${live.join(' and ')} ${live.length > 1 ? 'were' : 'was'} measured in live mode: wall-clock figures vary from run to run, so compare repeated runs and use wider tolerances (docs/ci.md)`,
    );
  }
  return w;
}

/**
 * Compares two reports strategy by strategy (matched by name) and metric by metric.
 * @param baseline - the reference report
 * @param current - the report under test
 * @param opts - tolerances (merged over {@link DEFAULT_TOLERANCES}), `strict`, `allowDifferent`
 * @returns the comparison; `failed` says whether it should exit 1
 * @throws ImgsimError `invalid-report` when the reports are not comparable (see {@link assertComparable})
 */
export function compareReports(baseline: Report, current: Report, opts: CompareOptions = {}): Comparison {
  const incomparable = assertComparable(reportIdentity(baseline), reportIdentity(current), opts.allowDifferent ?? false);
  const tolerances: Record<string, Tolerance> = { ...DEFAULT_TOLERANCES, ...opts.tolerances };
  const strict = opts.strict ?? false;
  const baseByName = new Map(baseline.strategies.map((s) => [s.name, s]));
  const currentNames = new Set(current.strategies.map((s) => s.name));
  const strategies: StrategyComparison[] = [];
  const added: string[] = [];
  const counts = { checks: 0, ok: 0, improved: 0, regressed: 0, missing: 0 };
  for (const cur of current.strategies) {
    const base = baseByName.get(cur.name);
    if (base === undefined) {
      added.push(cur.name);
      continue;
    }
    const checks = COMPARE_METRICS.map((m) => checkMetric(m, valueOf(base, m), valueOf(cur, m), tolerances[m.name]!));
    // After `cost`: fees absent from one report read 0 there (a gateway added or dropped).
    if (base.cost.fees !== undefined || cur.cost.fees !== undefined) checks.splice(1, 0, checkMetric(FEES_METRIC, valueOf(base, FEES_METRIC), valueOf(cur, FEES_METRIC), tolerances.cost!));
    // A group's metric neither report has a value for (latency of a class nothing of which
    // succeeded) is no check at all.
    for (const m of groupMetrics(base, cur)) {
      const [b, c] = [valueOf(base, m), valueOf(cur, m)];
      if (b !== null || c !== null) checks.push(checkMetric(m, b, c, tolerances[m.base!]!));
    }
    for (const c of checks) {
      counts.checks++;
      counts[c.verdict]++;
    }
    strategies.push({ name: cur.name, checks });
  }
  const removed = baseline.strategies.map((s) => s.name).filter((n) => !currentNames.has(n));
  const failed = counts.regressed > 0 || removed.length > 0 || (strict && added.length > 0);
  return {
    baseline: reportIdentity(baseline),
    current: reportIdentity(current),
    tolerances,
    strategies,
    added,
    removed,
    strict,
    warnings: warningsFor(baseline, current, incomparable),
    counts,
    failed,
  };
}

/**
 * The comparison as JSON text for `--json` and `compare.json`: two-space indentation, a final
 * newline, the key order of the types above.
 * @param comparison - the comparison
 * @returns the JSON text
 */
export function serializeComparison(comparison: Comparison): string {
  return `${JSON.stringify(comparison, null, 2)}\n`;
}
