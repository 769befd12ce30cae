/**
 * Which dotted paths into a strategy's report hold a number, read from the report's zod schema
 * (report-schema.ts) and the scenario's names: thresholds and `--tolerance` accept any of them
 * (`latencyByUrgency.interactive.p95`, `slo.byUrgency.batch.attainment`, `cost.byProject.app`,
 * `cost.byClass.catalog`, `providers.lumen.peakQueue`), and an unknown one gets a located error
 * naming the nearest. A field added to the schema is a metric at once; nothing lists them twice.
 */
import type { z } from 'zod';

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
  return paths.some((p) => {
    const q = p.split('.');
    return q.length === parts.length && q.every((x, i) => x === '*' || x === parts[i]);
  });
}
