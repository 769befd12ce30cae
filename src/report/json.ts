/**
 * `report.json` (docs/contract.md §5): a byte-stable serialiser and a validating parser, both
 * driven by the zod schema in src/metrics/report-schema.ts, the one description of the report.
 *
 * Stability does not rest on property insertion order: the report is rebuilt in the key order
 * the schema declares, record keys (provider ids, projects, accounts, outcome kinds, failure
 * reasons) are sorted, and the JSON text is written here rather than by JSON.stringify, which
 * would put integer-like keys (a project called `2026`) first whatever the order.
 */
import type { z } from 'zod';
import { ImgsimError } from '../scenario/errors.js';
import { reportSchema, type Report } from '../metrics/report-schema.js';

import { round10 } from '../model/round.js';

export { round10 };

// ---------------------------------------------------------------------------------------------
// Canonical form: a JSON tree whose objects are ordered entry lists.

type Json = number | string | boolean | null | Json[] | Entries;
/** An object as an ordered list of entries, so the order written is the order built. */
interface Entries {
  readonly entries: (readonly [string, Json])[];
}

/** How to order one value: fixed keys in schema order, a record with sorted keys, an array, a tuple, a leaf. */
type Shape =
  | { readonly fixed: readonly (readonly [string, Shape])[] }
  | { readonly record: Shape }
  | { readonly array: Shape }
  | { readonly tuple: readonly Shape[] }
  | 'leaf';

const LEAF = 'leaf' as const;

/**
 * The key order of a zod schema, read once: an object's keys in declaration order, a record's
 * sorted. Wrappers (optional, default, nullable) and pipes (a transform's input side: the
 * JSON as written) are looked through; anything else is a leaf.
 */
function shapeOf(schema: z.core.$ZodType): Shape {
  const def = (schema as z.core.$ZodTypes)._zod.def;
  switch (def.type) {
    case 'object':
      return { fixed: Object.entries(def.shape).map(([key, s]) => [key, shapeOf(s)] as const) };
    case 'record':
      return { record: shapeOf(def.valueType) };
    case 'array':
      return { array: shapeOf(def.element) };
    case 'tuple':
      return { tuple: def.items.map(shapeOf) };
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return shapeOf(def.innerType);
    case 'pipe':
      return shapeOf(def.in);
    default:
      return LEAF;
  }
}

const REPORT = shapeOf(reportSchema);

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Fields not in the shape (a newer field this file does not know yet) are kept, sorted, after the known ones. */
function canonical(value: unknown, shape: Shape): Json | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return undefined;
  if (value === null) return null;
  if (typeof value === 'number') return round10(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const item = typeof shape === 'object' && 'array' in shape ? shape.array : LEAF;
    const items = typeof shape === 'object' && 'tuple' in shape ? shape.tuple : undefined;
    return value.map((v: unknown, i) => canonical(v, items?.[i] ?? item) ?? null);
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
 * Serialises a report byte-stably: keys in the order of the report schema, record keys sorted,
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

const HINT = 'Is this a report.json written by `imgsim run`?';

/** What a zod type check expected, in words. */
const EXPECTED: Readonly<Record<string, string>> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  tuple: 'an array',
};

/** The schema's issues in words ("expected a number"); the value found is added where the issue is reported. */
const expectedInWords = (issue: z.core.$ZodRawIssue): string | undefined => {
  if (issue.code === 'invalid_type') return `expected ${EXPECTED[issue.expected] ?? issue.expected}`;
  if (issue.code === 'invalid_value') return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
  return undefined;
};

/** A key path as written in messages: `strategies[1].latencyMs.p95`. */
function keyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  return out;
}

/** The value at a key path of parsed JSON, or undefined where there is none. */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || typeof key === 'symbol') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

/**
 * Parses and checks a `report.json` against the report schema: every field docs/contract.md §5
 * requires must be there with the right type; imgsim's extension fields may be missing (older
 * or foreign reports) and read as 0 or empty (`oracle` and `regret` stay absent; a threshold's
 * `kind` is the side that explains its `ok`). `null` numbers (how NaN is written) read as NaN.
 * @param text - the file's text
 * @param file - the file name, for messages
 * @returns the report
 * @throws ImgsimError `invalid-report`, `<file>: <key path>: expected …, got …`, naming the first
 *   problem in the report's key order and how many more there are
 */
export function parseReport(text: string, file: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ImgsimError('invalid-report', `${file}: not valid JSON (${why}). ${HINT}`);
  }
  // Without zod's compiled fast path: a report is parsed once, and generating the code of each
  // object schema (new Function) costs more than it saves.
  const parsed = reportSchema.safeParse(data, { error: expectedInWords, jitless: true });
  if (parsed.success) return parsed.data;
  const [first, ...rest] = parsed.error.issues;
  const path = keyPath(first?.path ?? []);
  const got = valueAt(data, first?.path ?? []);
  const shown = got === undefined ? 'nothing' : JSON.stringify(got).slice(0, 40);
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more problem${rest.length === 1 ? '' : 's'})`;
  throw new ImgsimError('invalid-report', `${file}: ${path === '' ? '' : `${path}: `}${first?.message ?? 'invalid'}, got ${shown}${more}. ${HINT}`);
}
