/**
 * Which dotted paths into a strategy's report hold a number, read from the report's zod schema
 * (report-schema.ts) and the scenario's names: thresholds and `--tolerance` accept any of them
 * (`latencyByUrgency.interactive.p95`, `slo.byUrgency.batch.attainment`, `cost.byProject.app`,
 * `cost.byClass.catalog`, `providers.lumen.peakQueue`), and an unknown one gets a located error
 * naming the nearest. A field added to the schema is a metric at once; nothing lists them twice.
 */
import type { z } from 'zod';
import { OUTCOME_KINDS, pricingAtStart, type Scenario } from '../scenario/schema.js';
import { nearest } from '../scenario/errors.js';

/** The keys of each record of the report (`cost.byProvider`, `providers`, ...), by its path; `*` stands for any key above. */
export type RecordKeys = Readonly<Record<string, readonly string[] | 'any'>>;

/** The zod internals this walk reads (zod 4's `_zod.def`). */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly valueType?: z.ZodType;
}

function defOf(t: z.ZodType): Def {
  return (t as unknown as { _zod: { def: Def } })._zod.def;
}

/** Unwraps default, optional, nullable and transform pipes to the schema underneath. */
function core(t: z.ZodType): z.ZodType {
  let def = defOf(t);
  while (def.innerType !== undefined || (def.type === 'pipe' && def.in !== undefined)) {
    t = def.innerType ?? def.in!;
    def = defOf(t);
  }
  return t;
}

/**
 * Every numeric path of a schema, records expanded to their keys.
 * @param schema - e.g. `strategyReportSchema`
 * @param keys - each record's keys by its pattern path (`cost.byProvider`, `providers.*.outcomes`);
 *   a record not named has no known keys and is written with `*`
 * @returns the paths, in schema order; `*` where any key is accepted
 */
export function metricPaths(schema: z.ZodType, keys: RecordKeys): string[] {
  const out: string[] = [];
  const walk = (t: z.ZodType, path: string, pattern: string): void => {
    const c = core(t);
    const def = defOf(c);
    if (def.type === 'number') out.push(path);
    else if (def.type === 'object' && def.shape !== undefined) {
      for (const [k, v] of Object.entries(def.shape)) walk(v, path === '' ? k : `${path}.${k}`, pattern === '' ? k : `${pattern}.${k}`);
    } else if (def.type === 'record' && def.valueType !== undefined) {
      const known = keys[pattern];
      const names = known === undefined || known === 'any' ? ['*'] : known;
      for (const k of names) walk(def.valueType, `${path}.${k}`, `${pattern}.*`);
    }
    // Arrays (alerts, thresholds, costByHour, the CDF) and strings are not metrics.
  };
  walk(schema, '', '');
  return out;
}

/**
 * Whether a path is one of the metric paths (a `*` in a metric path matches any one key).
 * @param paths - from {@link metricPaths}
 * @param path - a dotted path as written
 * @returns true when it names a metric
 */
export function isMetricPath(paths: readonly string[], path: string): boolean {
  const parts = path.split('.');
  return paths.some((p) => matchesPattern(p, parts));
}

/**
 * Whether path parts match a pattern whose `*` parts match any one key.
 * @param pattern - e.g. `providers.*.outcomes`
 * @param parts - a path split at its dots
 * @returns true when they match part for part
 */
export function matchesPattern(pattern: string, parts: readonly string[]): boolean {
  const q = pattern.split('.');
  return q.length === parts.length && q.every((x, i) => x === '*' || x === parts[i]);
}

/**
 * Records whose absent keys read as 0: counts and money list only what occurred (an outcome
 * kind that never happened, a project billed nothing), so a threshold on one reads 0, not "no
 * value". Latency and SLO groups absent mean "no requests of it": no value, which fails a gate.
 */
export const ZERO_WHEN_ABSENT: readonly string[] = ['failures', 'cost.byProvider', 'cost.byProject', 'cost.byUrgency', 'cost.byClass', 'providers.*.outcomes'];

/** Sections of money a strategy's report has only when it was charged any (`cost.fees`: a gateway's fees): absent, each number in them reads 0. */
export const ZERO_SECTIONS: readonly string[] = ['cost.fees'];

/** Outcome kinds a provider's `outcomes` may count (report-schema.ts): attempts' kinds, hedge losers, live mode's client errors. */
const COUNTED_OUTCOMES = [...OUTCOME_KINDS, 'cancelled', 'client-error'];

/**
 * The keys each record of a strategy's report can have, from the scenario: provider ids,
 * credits accounts, traffic classes and projects (any project when a class has none, whose
 * project is drawn from the seed, or when a trace names them).
 * @param s - the scenario as parsed
 * @returns the record keys for {@link metricPaths}
 */
export function reportKeys(s: Scenario): RecordKeys {
  // The validator the validation step calls is reported as a provider after them.
  const validator = s.pipeline?.validator ?? s.validators?.[0]?.id;
  const providers = [...s.providers.map((p) => p.id), ...(validator === undefined ? [] : [validator])];
  const accounts = [...new Set(s.providers.filter((p) => pricingAtStart(p.pricing).model === 'credits').map((p) => p.account ?? p.id))];
  const mix = s.traffic.trace === undefined ? (s.traffic.mix ?? []) : undefined;
  const classes: readonly string[] | 'any' = mix === undefined ? ['trace'] : mix.map((m) => m.name);
  const projects: readonly string[] | 'any' = mix === undefined || mix.some((m) => m.project === undefined) ? 'any' : [...new Set(mix.map((m) => m.project!))];
  return {
    'cost.byProvider': providers,
    'cost.byProject': projects,
    'cost.byClass': classes,
    providers,
    'providers.*.outcomes': COUNTED_OUTCOMES,
    'slo.byClass': classes,
    'slo.byProject': projects,
    credits: accounts,
    latencyByClass: classes,
    latencyByProject: projects,
    failures: 'any',
  };
}

/**
 * Why a path is not a metric, naming the nearest ones (a `*` shown as `<name>`).
 * @param paths - from {@link metricPaths}
 * @param path - the path as written
 * @returns the message
 */
export function unknownMetricMessage(paths: readonly string[], path: string): string {
  const near = nearest(path, paths).map((p) => `\`${p.replaceAll('*', '<name>')}\``);
  return `unknown metric \`${path}\`: not a number in a strategy's report; nearest: ${near.join(', ')} (every metric: docs/report.md)`;
}
