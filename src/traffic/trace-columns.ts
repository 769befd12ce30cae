/**
 * Column mappings and timestamp formats for replaying request logs that were not written as
 * imgsim traces (docs/contract.md §2.5 extension): which column holds each row field, where a column may be
 * a path into a JSON value (`metadata.size`), and how timestamps are written. Shared by trace
 * replay and the attempt-log reader of `imgsim fit`.
 */
import { suggest } from '../scenario/errors.js';
import type { TimeFormat, TraceColumnPreset, TraceColumns, TraceField } from '../scenario/schema.js';
import { DURATION_EXPECTED, INSTANT_EXPECTED, isUnitError, parseAtMs } from '../scenario/units.js';

/** A ready-made mapping: the columns and the timestamp format of a well-known export. */
export interface ColumnPreset {
  readonly columns: TraceColumns;
  readonly timeFormat: TimeFormat;
}

/**
 * The ready-made trace mappings.
 * - `litellm`: LiteLLM's spend logs (`LiteLLM_SpendLogs`, as exported from the proxy's database
 *   or its `/spend/logs` endpoint): `startTime` is when the request started; the image request
 *   body (size, quality, prompt) is kept in the JSON column `proxy_server_request` only when
 *   the proxy runs with `store_prompts_in_spend_logs`, hence the `?`; `team_id` is the project.
 * - `openai-usage`: OpenAI's Usage API for images (`/v1/organization/usage/images`), one row per
 *   bucket result with the bucket's `start_time` and `end_time` (Unix seconds) copied onto it:
 *   `num_model_requests` requests spread evenly over the bucket, with `size` and `project_id`
 *   when the export was grouped by them.
 */
export const TRACE_PRESETS: Readonly<Record<TraceColumnPreset, ColumnPreset>> = {
  litellm: {
    columns: {
      at: 'startTime',
      size: 'proxy_server_request.size?',
      quality: 'proxy_server_request.quality?',
      steps: 'proxy_server_request.steps?',
      prompt: 'proxy_server_request.prompt?',
      project: 'team_id?',
    },
    timeFormat: 'iso',
  },
  'openai-usage': {
    columns: { at: 'start_time', until: 'end_time', count: 'num_model_requests', size: 'size?', project: 'project_id?' },
    timeFormat: 'unix-s',
  },
};

/** Where a field comes from: a column (or JSON key), maybe a path into the JSON value held there. */
export interface ColumnRef {
  /** The reference as written, without the `?`. */
  readonly ref: string;
  /** The column or key when the whole reference is not itself one: the part before the first dot. */
  readonly head: string;
  /** The keys after the head (empty when the reference has no dot). */
  readonly path: readonly string[];
  /** Rows may lack it (`?`); otherwise a row without it is a bad row. */
  readonly optional: boolean;
}

/**
 * Parses a column reference: `name`, `column.key.key` or either with a trailing `?`.
 * @param written - the reference as written in the mapping
 * @returns the parsed reference
 */
export function parseColumnRef(written: string): ColumnRef {
  const optional = written.endsWith('?');
  const ref = (optional ? written.slice(0, -1) : written).trim();
  const parts = ref.split('.');
  return { ref, head: parts[0]!, path: parts.slice(1), optional };
}

/** Marks a value that is absent from a row (as opposed to present but empty or null). */
export const MISSING: unique symbol = Symbol('missing');

/**
 * Follows a path into a JSON value; a string that holds a JSON object or array (a JSON column
 * exported as text) is parsed first.
 * @param value - the column's value
 * @param path - keys to follow
 * @returns the value found, `MISSING` when a key is absent, or a message when a step is not an object
 */
export function followPath(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const key of path) {
    if (v === undefined || v === null || v === '') return MISSING;
    if (typeof v === 'string') {
      const t = v.trimStart();
      if (t.startsWith('{') || t.startsWith('[')) {
        try {
          v = JSON.parse(v);
        } catch {
          return new PathError(`holds text that is not valid JSON, so \`${key}\` cannot be looked up in it`);
        }
      }
    }
    if (typeof v !== 'object' || v === null) return new PathError(`is ${JSON.stringify(v)}, not a JSON object with \`${key}\``);
    if (!Object.hasOwn(v, key)) return MISSING;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Why a path could not be followed (returned, not thrown: a bad row is reported with its line). */
export class PathError {
  /** @param message - what is wrong, to follow the column's name */
  constructor(readonly message: string) {}
}

/**
 * Looks a reference up in a JSON row: the whole reference as a key first, else its head and path.
 * @param row - the parsed row
 * @param ref - the reference
 * @returns the value, `MISSING`, or a `PathError`
 */
export function lookUp(row: Record<string, unknown>, ref: ColumnRef): unknown {
  if (Object.hasOwn(row, ref.ref)) return row[ref.ref];
  if (ref.path.length === 0 || !Object.hasOwn(row, ref.head)) return MISSING;
  return followPath(row[ref.head], ref.path);
}

/**
 * Finds the CSV column a reference names: the whole reference as a header first, else its head
 * (headers compare trimmed and case-insensitively).
 * @param header - lower-cased, trimmed header names
 * @param ref - the reference
 * @returns the column index and the path still to follow, or undefined when there is no such column
 */
export function findColumn(header: readonly string[], ref: ColumnRef): { index: number; path: readonly string[] } | undefined {
  const whole = header.indexOf(ref.ref.toLowerCase());
  if (whole >= 0) return { index: whole, path: [] };
  if (ref.path.length === 0) return undefined;
  const head = header.indexOf(ref.head.toLowerCase());
  return head >= 0 ? { index: head, path: ref.path } : undefined;
}

/**
 * A message for a column the header lacks, with the nearest header name.
 * @param ref - the reference
 * @param field - the field it was mapped to
 * @param header - the header names as written
 * @returns the message
 */
export function missingColumnMessage(ref: ColumnRef, field: string, header: readonly string[]): string {
  const near = suggest(ref.head, header);
  return `the CSV header has no column \`${ref.head}\` (mapped to \`${field}\`)${near === undefined ? `; columns are ${header.join(', ')}` : `; did you mean \`${near}\`?`}; end the mapping with \`?\` if the column may be absent`;
}

/** The mapping a trace uses, resolved to a reference per field (undefined = not read). */
export type ResolvedColumns = Readonly<Partial<Record<TraceField, ColumnRef>>>;

/**
 * Resolves a trace's `columns` and `timeFormat`: a ready-made mapping by name, or a mapping;
 * row fields the mapping does not name are read from columns named after them, when present.
 * @param columns - a ready-made mapping's name, a mapping, or undefined (no mapping)
 * @param timeFormat - the trace's time format, if set
 * @param fields - the fields that may be read by their own names
 * @returns the reference of each field and the time format
 */
export function resolveColumns(
  columns: TraceColumnPreset | TraceColumns | undefined,
  timeFormat: TimeFormat | undefined,
  fields: readonly TraceField[],
): { columns: ResolvedColumns; timeFormat: TimeFormat } {
  const preset = typeof columns === 'string' ? TRACE_PRESETS[columns] : undefined;
  const mapping: TraceColumns = preset?.columns ?? (typeof columns === 'object' ? columns : {});
  const out: Partial<Record<TraceField, ColumnRef>> = {};
  for (const f of fields) out[f] = { ref: f, head: f, path: [], optional: true };
  for (const [field, written] of Object.entries(mapping) as [TraceField, string | undefined][]) {
    if (written !== undefined) out[field] = parseColumnRef(written);
  }
  return { columns: out, timeFormat: timeFormat ?? preset?.timeFormat ?? 'auto' };
}

const NUMBER_RE = /^\s*-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$/;
const DIGITS_RE = /^\s*\d+(?:\.\d+)?\s*$/;
/** ISO 8601 date and time with `T` or a space, any fraction, and an optional zone. */
const LENIENT_ISO_RE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$/i;

/** What each time format expects, for messages. */
export const TIME_FORMAT_EXPECTED: Readonly<Record<TimeFormat, string>> = {
  auto: `${INSTANT_EXPECTED}, or milliseconds or ${DURATION_EXPECTED} after start`,
  iso: 'an ISO 8601 date and time such as 2026-06-01T09:00:00.120Z or "2026-06-01 09:00:00" (UTC when no zone is given)',
  'unix-s': 'seconds since 1970-01-01 UTC (Unix time), such as 1780304400 or 1780304400.25',
  'unix-ms': 'milliseconds since 1970-01-01 UTC, such as 1780304400120',
};

/**
 * Reads a timestamp in a time format.
 * @param value - a JSON value or CSV cell (already known to be given)
 * @param format - how it is written
 * @param startMs - start of the run (the `auto` format's offsets count from it)
 * @returns epoch ms, or undefined when the value does not fit the format
 */
export function parseTimestamp(value: unknown, format: TimeFormat, startMs: number): number | undefined {
  switch (format) {
    case 'auto': {
      if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? startMs + value : undefined;
      if (typeof value !== 'string') return undefined;
      if (DIGITS_RE.test(value)) return startMs + Number(value);
      const parsed = parseAtMs(value.trim(), startMs);
      return isUnitError(parsed) ? undefined : parsed;
    }
    case 'iso': {
      if (typeof value !== 'string') return undefined;
      const m = LENIENT_ISO_RE.exec(value.trim());
      if (m === null) return undefined;
      const zone = m[3] === undefined || m[3].toUpperCase() === 'UTC' ? 'Z' : m[3];
      const ms = Date.parse(`${m[1]!}T${m[2]!}${zone}`);
      return Number.isNaN(ms) ? undefined : ms;
    }
    case 'unix-s':
    case 'unix-ms': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && NUMBER_RE.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n)) return undefined;
      return format === 'unix-s' ? Math.round(n * 1000) : n;
    }
  }
}
