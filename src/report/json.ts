/**
 * `report.json` (SPEC 5): a byte-stable serialiser and a validating parser.
 *
 * Stability does not rest on property insertion order: the report is rebuilt in the key order
 * of the types in report-types.ts, record keys (provider ids, projects, accounts, outcome kinds,
 * failure reasons) are sorted, and the JSON text is written here rather than by JSON.stringify,
 * which would put integer-like keys (a project called `2026`) first whatever the order.
 */
import { ImgsimError } from '../scenario/errors.js';
import { URGENCIES } from '../scenario/schema.js';
import type {
  BudgetAlert,
  CreditsReport,
  LatencySummary,
  ProviderReport,
  Report,
  StrategyReport,
  ThresholdResult,
} from '../metrics/report-types.js';

/**
 * Rounds to 10 significant digits, hiding float noise (0.1 + 0.2 → 0.3); integers and
 * non-finite numbers pass through unchanged.
 * @param x - a number
 * @returns the rounded number
 */
export function round10(x: number): number {
  if (Number.isInteger(x) || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(10));
}

// ---------------------------------------------------------------------------------------------
// Canonical form: a JSON tree whose objects are ordered entry lists.

type Json = number | string | boolean | null | Json[] | Entries;
/** An object as an ordered list of entries, so the order written is the order built. */
interface Entries {
  readonly entries: (readonly [string, Json])[];
}

/** How to order one value: fixed keys in type order, a record with sorted keys, an array, a leaf. */
type Shape =
  | { readonly fixed: readonly (readonly [string, Shape])[] }
  | { readonly record: Shape }
  | { readonly array: Shape }
  | 'leaf';

const LEAF = 'leaf' as const;
const fixed = (...keys: (string | readonly [string, Shape])[]): Shape => ({
  fixed: keys.map((k) => (typeof k === 'string' ? ([k, LEAF] as const) : k)),
});
const record = (value: Shape): Shape => ({ record: value });
const array = (item: Shape): Shape => ({ array: item });

/** Key lists typed against report-types.ts, so a renamed field fails to compile here. */
const LATENCY_KEYS: readonly (keyof LatencySummary)[] = ['mean', 'p50', 'p90', 'p95', 'p99', 'max'];
const PROVIDER_KEYS: readonly (keyof ProviderReport)[] = ['attempts', 'succeeded', 'cost', 'outcomes', 'peakInFlight', 'peakQueue'];
const ALERT_KEYS: readonly (keyof BudgetAlert)[] = ['threshold', 'at', 'project', 'period'];
const CREDITS_KEYS: readonly (keyof CreditsReport)[] = ['bought', 'used', 'expired', 'cash', 'expiredUsd', 'bundles'];
const THRESHOLD_KEYS: readonly (keyof ThresholdResult)[] = ['metric', 'limit', 'kind', 'value', 'ok'];

const LATENCY = fixed(...LATENCY_KEYS);
// Urgency-keyed records keep URGENCIES' order (interactive, batch), like the fixed shapes.
const BY_URGENCY = (value: Shape): Shape => fixed(...URGENCIES.map((u) => [u, value] as const));

const STRATEGY = fixed(
  'name',
  ['requests', fixed('total', 'succeeded', 'failed', 'rejected', 'deferred')],
  'successRate',
  ['cost', fixed('total', 'perSucceeded', 'wasted', ['byProvider', record(LEAF)], ['byProject', record(LEAF)])],
  ['latencyMs', LATENCY],
  ['attempts', fixed('total', 'retries', 'failovers', 'recovered', 'exhausted', 'hedges')],
  ['providers', record(fixed(...PROVIDER_KEYS.map((k) => (k === 'outcomes' ? ([k, record(LEAF)] as const) : k))))],
  ['slo', fixed('attainment', 'goodput', ['byUrgency', BY_URGENCY(fixed('requests', 'attained'))])],
  ['budget', fixed('spent', ['alerts', array(fixed(...ALERT_KEYS))])],
  ['credits', record(fixed(...CREDITS_KEYS))],
  ['thresholds', array(fixed(...THRESHOLD_KEYS))],
  ['latencyByUrgency', BY_URGENCY(LATENCY)],
  ['failures', record(LEAF)],
  ['costByHour', array(LEAF)],
  ['latencyCdfMs', array(array(LEAF))],
);

const REPORT = fixed('imgsim', 'scenario', 'seed', 'mode', ['window', fixed('start', 'end')], ['strategies', array(STRATEGY)]);

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Fields not in the shape (a newer field this file does not know yet) are kept, sorted, after the known ones. */
function canonical(value: unknown, shape: Shape): Json | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return undefined;
  if (value === null) return null;
  if (typeof value === 'number') return round10(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const item = typeof shape === 'object' && 'array' in shape ? shape.array : LEAF;
    return value.map((v: unknown) => canonical(v, item) ?? null);
  }
  const obj = value as Record<string, unknown>;
  const entries: (readonly [string, Json])[] = [];
  const push = (key: string, s: Shape): void => {
    const v = canonical(obj[key], s);
    if (v !== undefined) entries.push([key, v]);
  };
  const known = new Set<string>();
  if (typeof shape === 'object' && 'fixed' in shape) {
    for (const [key, s] of shape.fixed) {
      known.add(key);
      if (Object.hasOwn(obj, key)) push(key, s);
    }
  }
  const valueShape = typeof shape === 'object' && 'record' in shape ? shape.record : LEAF;
  for (const key of Object.keys(obj).sort(byCodeUnits)) if (!known.has(key)) push(key, valueShape);
  return { entries };
}

/** Writes JSON with two-space indentation, the layout of `JSON.stringify(v, null, 2)`. */
function emit(value: Json, indent: string, out: string[]): void {
  if (typeof value !== 'object' || value === null) {
    // JSON.stringify writes NaN and ±Infinity as null; parseReport reads null back as NaN.
    out.push(JSON.stringify(value));
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push('[]');
      return;
    }
    out.push('[\n');
    value.forEach((v, i) => {
      out.push(inner);
      emit(v, inner, out);
      out.push(i < value.length - 1 ? ',\n' : '\n');
    });
    out.push(`${indent}]`);
    return;
  }
  if (value.entries.length === 0) {
    out.push('{}');
    return;
  }
  out.push('{\n');
  value.entries.forEach(([k, v], i) => {
    out.push(`${inner}${JSON.stringify(k)}: `);
    emit(v, inner, out);
    out.push(i < value.entries.length - 1 ? ',\n' : '\n');
  });
  out.push(`${indent}}`);
}

/**
 * Serialises a report byte-stably: keys in the order of the report types, record keys sorted,
 * non-integers rounded to 10 significant digits, two-space indentation, a trailing newline.
 * NaN and ±Infinity are written as `null`.
 * @param report - the report
 * @returns the text of `report.json`
 */
export function serializeReport(report: Report): string {
  const out: string[] = [];
  emit(canonical(report, REPORT) ?? null, '', out);
  out.push('\n');
  return out.join('');
}

// ---------------------------------------------------------------------------------------------
// Parsing

type Obj = Record<string, unknown>;

/** Reads one JSON value at a key path, throwing `invalid-report` errors that name file and path. */
class Reader {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string, got: unknown): never {
    const shown = got === undefined ? 'nothing' : JSON.stringify(got).slice(0, 40);
    throw new ImgsimError(
      'invalid-report',
      `${this.file}: ${path === '' ? '' : `${path}: `}expected ${expected}, got ${shown}. Is this a report.json written by \`imgsim run\`?`,
    );
  }

  obj(v: unknown, path: string): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v);
    return v as Obj;
  }

  arr(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'an array', v);
    return v;
  }

  /** A number; `null` (how NaN is written) reads as NaN. */
  num(v: unknown, path: string): number {
    if (v === null) return NaN;
    if (typeof v !== 'number') this.fail(path, 'a number', v);
    return v;
  }

  /** An extension number: absent reads as `fallback`. */
  optNum(v: unknown, path: string, fallback = 0): number {
    return v === undefined ? fallback : this.num(v, path);
  }

  str(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'a string', v);
    return v;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v);
    return v;
  }

  /** A record of numbers; absent reads as `{}` when `optional`. */
  numbers(v: unknown, path: string, optional = false): Record<string, number> {
    if (v === undefined && optional) return {};
    const o = this.obj(v, path);
    const out: Record<string, number> = {};
    for (const [k, x] of Object.entries(o)) out[k] = this.num(x, `${path}.${k}`);
    return out;
  }

  record<T>(v: unknown, path: string, item: (x: unknown, path: string) => T, optional = false): Record<string, T> {
    if (v === undefined && optional) return {};
    const o = this.obj(v, path);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(o)) out[k] = item(x, `${path}.${k}`);
    return out;
  }
}

function readLatency(r: Reader, v: unknown, path: string): LatencySummary {
  const o = r.obj(v, path);
  return {
    mean: r.num(o.mean, `${path}.mean`),
    p50: r.num(o.p50, `${path}.p50`),
    p90: r.num(o.p90, `${path}.p90`),
    p95: r.num(o.p95, `${path}.p95`),
    p99: r.num(o.p99, `${path}.p99`),
    max: r.num(o.max, `${path}.max`),
  };
}

function readUrgencies<T>(r: Reader, v: unknown, path: string, item: (x: unknown, path: string) => T): Partial<Record<(typeof URGENCIES)[number], T>> {
  if (v === undefined) return {};
  const o = r.obj(v, path);
  const out: Partial<Record<(typeof URGENCIES)[number], T>> = {};
  for (const u of URGENCIES) if (o[u] !== undefined) out[u] = item(o[u], `${path}.${u}`);
  return out;
}

function readStrategy(r: Reader, v: unknown, path: string): StrategyReport {
  const s = r.obj(v, path);
  const requests = r.obj(s.requests, `${path}.requests`);
  const cost = r.obj(s.cost, `${path}.cost`);
  const attempts = r.obj(s.attempts, `${path}.attempts`);
  const slo = r.obj(s.slo, `${path}.slo`);
  const budget = r.obj(s.budget, `${path}.budget`);
  const p = (k: string): string => `${path}.${k}`;
  return {
    name: r.str(s.name, p('name')),
    requests: {
      total: r.num(requests.total, p('requests.total')),
      succeeded: r.num(requests.succeeded, p('requests.succeeded')),
      failed: r.num(requests.failed, p('requests.failed')),
      rejected: r.num(requests.rejected, p('requests.rejected')),
      deferred: r.num(requests.deferred, p('requests.deferred')),
    },
    successRate: r.num(s.successRate, p('successRate')),
    cost: {
      total: r.num(cost.total, p('cost.total')),
      perSucceeded: r.num(cost.perSucceeded, p('cost.perSucceeded')),
      wasted: r.num(cost.wasted, p('cost.wasted')),
      byProvider: r.numbers(cost.byProvider, p('cost.byProvider')),
      byProject: r.numbers(cost.byProject, p('cost.byProject')),
    },
    latencyMs: readLatency(r, s.latencyMs, p('latencyMs')),
    attempts: {
      total: r.num(attempts.total, p('attempts.total')),
      retries: r.num(attempts.retries, p('attempts.retries')),
      failovers: r.num(attempts.failovers, p('attempts.failovers')),
      recovered: r.num(attempts.recovered, p('attempts.recovered')),
      exhausted: r.num(attempts.exhausted, p('attempts.exhausted')),
      hedges: r.optNum(attempts.hedges, p('attempts.hedges')),
    },
    providers: r.record(s.providers, p('providers'), (x, at) => {
      const o = r.obj(x, at);
      return {
        attempts: r.num(o.attempts, `${at}.attempts`),
        succeeded: r.num(o.succeeded, `${at}.succeeded`),
        cost: r.num(o.cost, `${at}.cost`),
        outcomes: r.numbers(o.outcomes, `${at}.outcomes`),
        peakInFlight: r.optNum(o.peakInFlight, `${at}.peakInFlight`),
        peakQueue: r.optNum(o.peakQueue, `${at}.peakQueue`),
      };
    }),
    slo: {
      attainment: r.num(slo.attainment, p('slo.attainment')),
      goodput: r.num(slo.goodput, p('slo.goodput')),
      byUrgency: readUrgencies(r, slo.byUrgency, p('slo.byUrgency'), (x, at) => {
        const o = r.obj(x, at);
        return { requests: r.num(o.requests, `${at}.requests`), attained: r.num(o.attained, `${at}.attained`) };
      }),
    },
    budget: {
      spent: r.num(budget.spent, p('budget.spent')),
      alerts: r.arr(budget.alerts, p('budget.alerts')).map((x, i) => {
        const at = `${p('budget.alerts')}[${i}]`;
        const o = r.obj(x, at);
        const alert: BudgetAlert = {
          threshold: r.num(o.threshold, `${at}.threshold`),
          at: r.str(o.at, `${at}.at`),
          period: r.optNum(o.period, `${at}.period`),
        };
        return o.project === undefined ? alert : { ...alert, project: r.str(o.project, `${at}.project`) };
      }),
    },
    credits: r.record(s.credits, p('credits'), (x, at) => {
      const o = r.obj(x, at);
      return {
        bought: r.num(o.bought, `${at}.bought`),
        used: r.num(o.used, `${at}.used`),
        expired: r.num(o.expired, `${at}.expired`),
        cash: r.num(o.cash, `${at}.cash`),
        expiredUsd: r.optNum(o.expiredUsd, `${at}.expiredUsd`),
        bundles: r.optNum(o.bundles, `${at}.bundles`),
      };
    }),
    thresholds: r.arr(s.thresholds, p('thresholds')).map((x, i) => {
      const at = `${p('thresholds')}[${i}]`;
      const o = r.obj(x, at);
      const limit = r.num(o.limit, `${at}.limit`);
      const value = r.num(o.value, `${at}.value`);
      const ok = r.bool(o.ok, `${at}.ok`);
      let kind: 'max' | 'min';
      if (o.kind === 'max' || o.kind === 'min') kind = o.kind;
      else if (o.kind === undefined) kind = ok === value <= limit ? 'max' : 'min'; // a SPEC-only report: the side that explains `ok`
      else r.fail(`${at}.kind`, '"max" or "min"', o.kind);
      return { metric: r.str(o.metric, `${at}.metric`), limit, kind, value, ok };
    }),
    latencyByUrgency: readUrgencies(r, s.latencyByUrgency, p('latencyByUrgency'), (x, at) => readLatency(r, x, at)),
    failures: r.numbers(s.failures, p('failures'), true),
    costByHour: s.costByHour === undefined ? [] : r.arr(s.costByHour, p('costByHour')).map((x, i) => r.num(x, `${p('costByHour')}[${i}]`)),
    latencyCdfMs:
      s.latencyCdfMs === undefined
        ? []
        : r.arr(s.latencyCdfMs, p('latencyCdfMs')).map((x, i): [number, number] => {
            const at = `${p('latencyCdfMs')}[${i}]`;
            const pair = r.arr(x, at);
            if (pair.length !== 2) r.fail(at, 'an [ms, fraction] pair', x);
            return [r.num(pair[0], `${at}[0]`), r.num(pair[1], `${at}[1]`)];
          }),
  };
}

/**
 * Parses and checks a `report.json`: every field SPEC 5 requires must be there with the right
 * type; imgsim's extension fields may be missing (older or foreign reports) and read as 0 or empty.
 * `null` numbers (how NaN is written) read as NaN.
 * @param text - the file's text
 * @param file - the file name, for messages
 * @returns the report
 * @throws ImgsimError `invalid-report` naming the file and the key path of the first problem
 */
export function parseReport(text: string, file: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ImgsimError('invalid-report', `${file}: not valid JSON (${why}). Is this a report.json written by \`imgsim run\`?`);
  }
  // Annotated so TypeScript narrows after `r.fail` (a `never` method needs an explicit type).
  const r: Reader = new Reader(file);
  const o = r.obj(data, '');
  const mode = o.mode;
  if (mode !== 'sim' && mode !== 'live') r.fail('mode', '"sim" or "live"', mode);
  const window = r.obj(o.window, 'window');
  return {
    imgsim: r.str(o.imgsim, 'imgsim'),
    scenario: r.str(o.scenario, 'scenario'),
    seed: r.num(o.seed, 'seed'),
    mode,
    window: { start: r.str(window.start, 'window.start'), end: r.str(window.end, 'window.end') },
    strategies: r.arr(o.strategies, 'strategies').map((s, i) => readStrategy(r, s, `strategies[${i}]`)),
  };
}
