/**
 * Reading an attempt log for `imgsim fit`: one attempt at a provider per row, JSONL or CSV,
 * streamed line by line. The columns are imgsim's own attempt log (`imgsim run
 * --attempts-log`) unless a mapping says otherwise: a ready-made one (`litellm`) or
 * `field=column,...` (columns may be paths into JSON columns and end in `?` when rows may lack
 * them, as in trace mappings). A row that lacks a mapped column, or holds a value that does
 * not parse, is a bad row with its line number.
 */
import { ImgsimError, suggest } from '../scenario/errors.js';
import { FEATURES, type Feature, type TimeFormat } from '../scenario/schema.js';
import { SIZE_EXPECTED, isUnitError, parseSize, type Size } from '../scenario/units.js';
import { splitCsv } from '../traffic/csv.js';
import { LineReader } from '../traffic/line-reader.js';
import {
  MISSING,
  PathError,
  TIME_FORMAT_EXPECTED,
  findColumn,
  followPath,
  lookUp,
  missingColumnMessage,
  parseColumnRef,
  parseTimestamp,
  type ColumnRef,
} from '../traffic/trace-columns.js';
import { KNOWN_OUTCOME_WORDS, classifyOutcome, type FitOutcome } from './outcomes.js';

/** What an attempt-log row may say. */
export const FIT_FIELDS = ['provider', 'tier', 'start', 'end', 'latency', 'outcome', 'status', 'code', 'cost', 'size', 'steps', 'quality', 'features'] as const;
/** An attempt-log field. */
export type FitField = (typeof FIT_FIELDS)[number];
/** Ready-made attempt-log mappings. */
export const FIT_PRESETS = ['imgsim', 'litellm'] as const;
/** Time formats an attempt log may use (offsets after a start mean nothing here). */
export const FIT_TIME_FORMATS = ['iso', 'unix-s', 'unix-ms'] as const satisfies readonly TimeFormat[];

/** A column mapping for attempt logs: field → column reference as written. */
export type FitColumns = Partial<Record<FitField, string>>;

/**
 * The ready-made mappings.
 * - `imgsim`: the attempt log of `imgsim run --attempts-log` (docs/cli.md), read with no mapping.
 * - `litellm`: LiteLLM's spend log: the deployment's `model` is the provider; `startTime` and
 *   `endTime` time the call; `status` is success or failure, with the HTTP status in
 *   `metadata.error_information.error_code`; `spend` is the cost; the request body in
 *   `proxy_server_request` (kept with `store_prompts_in_spend_logs`) gives size, quality, steps.
 */
const PRESETS: Readonly<Record<(typeof FIT_PRESETS)[number], { columns: FitColumns; timeFormat: (typeof FIT_TIME_FORMATS)[number] }>> = {
  imgsim: {
    columns: {
      provider: 'provider',
      tier: 'tier?',
      start: 'start',
      latency: 'latencyMs',
      outcome: 'outcome?',
      status: 'status?',
      code: 'code?',
      cost: 'costUsd?',
      size: 'size?',
      steps: 'steps?',
      quality: 'quality?',
      features: 'features?',
    },
    timeFormat: 'iso',
  },
  litellm: {
    columns: {
      provider: 'model',
      start: 'startTime',
      end: 'endTime',
      outcome: 'status?',
      status: 'metadata.error_information.error_code?',
      cost: 'spend?',
      size: 'proxy_server_request.size?',
      quality: 'proxy_server_request.quality?',
      steps: 'proxy_server_request.steps?',
    },
    timeFormat: 'iso',
  },
};

/** One attempt as read from a log. */
export interface LogAttempt {
  /** The provider column's value, as written. */
  readonly provider: string;
  readonly tier: string | undefined;
  readonly startMs: number;
  /** Sending to answer, ms; undefined when the log times nothing. */
  readonly latencyMs: number | undefined;
  readonly outcome: FitOutcome;
  /** Billed USD; undefined when the log has no cost. */
  readonly costUsd: number | undefined;
  readonly size: string;
  readonly width: number;
  readonly height: number;
  /** Diffusion steps; undefined when the log does not say. */
  readonly steps: number | undefined;
  readonly quality: string | undefined;
  readonly features: readonly Feature[];
}

/** Options of {@link readAttemptLog}. */
export interface ReadLogOptions {
  /** `jsonl` or `csv`; default from the file name (`.csv` → csv). */
  readonly format?: 'jsonl' | 'csv';
  /** A ready-made mapping's name, or `field=column,...` over the imgsim column names. */
  readonly columns?: string;
  /** The column that names the provider (overrides the mapping's). */
  readonly providerColumn?: string;
  /** How `start` and `end` are written; default the mapping's (`iso`). */
  readonly timeFormat?: (typeof FIT_TIME_FORMATS)[number];
  /** `column=value` filters, all of which a row must pass (`value` may list alternatives with `|`). */
  readonly where?: readonly string[];
  /** Stop at the first bad row (default), or skip and count bad rows. */
  readonly onBadRow?: 'fail' | 'skip';
}

/** What {@link readAttemptLog} returns. */
export interface AttemptLog {
  readonly attempts: LogAttempt[];
  /** Rows read (not counting a CSV header or blank lines). */
  readonly rows: number;
  /** Rows the `where` filters left out. */
  readonly filteredRows: number;
  /** Bad rows skipped (with `onBadRow: skip`). */
  readonly skippedRows: number;
  /** The first few bad-row messages. */
  readonly warnings: readonly string[];
  /** The mapping used, field → reference, for the report. */
  readonly columns: FitColumns;
}

const MAX_WARNINGS = 10;
const NUMBER_RE = /^\s*-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$/;
const FEATURE_SEPARATOR_RE = /[;|,]/;

/**
 * Parses `--columns`: a ready-made mapping's name, or `field=column,...` laid over the imgsim
 * mapping (fields it does not name keep imgsim's column names, as optional columns).
 * @param spec - the option's value, if given
 * @param providerColumn - `--provider-column`, if given
 * @returns field references and the mapping's time format
 * @throws ImgsimError for an unknown mapping name or field, with the nearest valid one
 */
export function parseFitColumns(spec: string | undefined, providerColumn?: string): { columns: FitColumns; timeFormat: (typeof FIT_TIME_FORMATS)[number] } {
  let columns: FitColumns;
  let timeFormat: (typeof FIT_TIME_FORMATS)[number] = 'iso';
  if (spec === undefined || !spec.includes('=')) {
    const name = (spec ?? 'imgsim').trim();
    if (!(FIT_PRESETS as readonly string[]).includes(name)) {
      const near = suggest(name, FIT_PRESETS);
      throw new ImgsimError(
        'invalid-argument',
        `--columns: unknown mapping "${name}"; ${near === undefined ? `ready-made mappings are ${FIT_PRESETS.join(', ')}` : `did you mean "${near}"?`}, or write one as field=column,... (fields: ${FIT_FIELDS.join(', ')})`,
      );
    }
    const preset = PRESETS[name as (typeof FIT_PRESETS)[number]];
    columns = { ...preset.columns };
    timeFormat = preset.timeFormat;
  } else {
    columns = {};
    for (const [field, written] of Object.entries(PRESETS.imgsim.columns) as [FitField, string][]) columns[field] = written.endsWith('?') ? written : `${written}?`;
    // The imgsim defaults become optional; `latency` falls back to end − start when absent.
    for (const part of spec.split(',')) {
      const eq = part.indexOf('=');
      const field = part.slice(0, eq).trim();
      const column = part.slice(eq + 1).trim();
      if (eq < 0 || column === '') throw new ImgsimError('invalid-argument', `--columns: expected field=column, got "${part}"`);
      if (!(FIT_FIELDS as readonly string[]).includes(field)) {
        const near = suggest(field, FIT_FIELDS);
        throw new ImgsimError('invalid-argument', `--columns: unknown field "${field}"; ${near === undefined ? `fields are ${FIT_FIELDS.join(', ')}` : `did you mean "${near}"?`}`);
      }
      columns[field as FitField] = column;
    }
  }
  if (providerColumn !== undefined) columns.provider = providerColumn;
  return { columns, timeFormat };
}

/** A row's raw values by field (JSON values or CSV strings; undefined when not given). */
type Raw = Record<FitField, unknown>;

/**
 * Reads an attempt log.
 * @param file - the log
 * @param opts - format, mapping, filters, bad-row handling
 * @returns the attempts and what was skipped
 * @throws ImgsimError `invalid-trace` for a bad row (unless skipping) or a CSV header without a
 *   mapped column; `invalid-argument` for a bad mapping; `file-not-found`
 */
export function readAttemptLog(file: string, opts: ReadLogOptions = {}): AttemptLog {
  const mapping = parseFitColumns(opts.columns, opts.providerColumn);
  const timeFormat = opts.timeFormat ?? mapping.timeFormat;
  const refs: Partial<Record<FitField, ColumnRef>> = {};
  for (const [field, written] of Object.entries(mapping.columns) as [FitField, string][]) refs[field] = parseColumnRef(written);
  if (refs.latency === undefined && refs.end === undefined) {
    throw new ImgsimError('invalid-argument', '--columns: map `latency` (milliseconds) or `end` (a timestamp): the fit needs to time each attempt');
  }
  const filters = (opts.where ?? []).map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new ImgsimError('invalid-argument', `--where: expected column=value, got "${w}"`);
    return { ref: parseColumnRef(`${w.slice(0, eq).trim()}?`), values: new Set(w.slice(eq + 1).split('|')) };
  });
  const format = opts.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
  const onBadRow = opts.onBadRow ?? 'fail';
  // A line over 1 MiB is a bad row like any other, read through without holding it.
  const lines = new LineReader(file, 'attempt log', 'invalid-trace', '', {
    onOverlong: (problem) => {
      bad(problem);
    },
  });
  const attempts: LogAttempt[] = [];
  const warnings: string[] = [];
  const sizes = new Map<string, Size>();
  const featureLists = new Map<string, readonly Feature[]>();
  let rows = 0;
  let filteredRows = 0;
  let skippedRows = 0;
  const raw = {} as Raw;
  let header: { names: string[]; lower: string[] } | undefined;
  const cells: string[] = [];
  const csvSources: { field: FitField; ref: ColumnRef; index: number; path: readonly string[] }[] = [];
  const csvFilters: { index: number; path: readonly string[]; values: Set<string> }[] = [];

  const bad = (problem: string): void => {
    const message = `${file}:${lines.lineNo}: ${problem}`;
    if (onBadRow === 'fail') {
      lines.close();
      throw new ImgsimError('invalid-trace', message);
    }
    skippedRows++;
    if (warnings.length < MAX_WARNINGS) warnings.push(message);
  };

  try {
    for (let line = lines.next(); line !== undefined; line = lines.next()) {
      if (line.trim() === '') continue;
      let problem: string | undefined;
      let keep = true;
      for (const f of FIT_FIELDS) raw[f] = undefined;
      if (format === 'jsonl') {
        rows++;
        let row: unknown;
        try {
          row = JSON.parse(line);
        } catch (err) {
          bad(`unparseable JSON: ${(err as Error).message}`);
          continue;
        }
        if (typeof row !== 'object' || row === null || Array.isArray(row)) {
          bad(`expected a JSON object, got ${JSON.stringify(row)}`);
          continue;
        }
        const obj = row as Record<string, unknown>;
        for (const f of filters) {
          const v = lookUp(obj, f.ref);
          if (v === MISSING || v instanceof PathError || !f.values.has(String(v))) keep = false;
        }
        for (const field of FIT_FIELDS) {
          const ref = refs[field];
          if (ref === undefined || problem !== undefined) continue;
          const v = lookUp(obj, ref);
          if (v === MISSING) {
            if (!ref.optional) problem = `missing \`${ref.ref}\` (mapped to \`${field}\`); end the mapping with \`?\` if rows may lack it`;
          } else if (v instanceof PathError) problem = `\`${ref.head}\` ${v.message} (mapped to \`${field}\`)`;
          else raw[field] = v ?? undefined;
        }
      } else {
        const n = splitCsv(line, cells);
        if (header === undefined) {
          if (typeof n === 'string') throw new ImgsimError('invalid-trace', `${file}:${lines.lineNo}: CSV header: ${n}`);
          const names = cells.slice(0, n).map((c) => c.trim());
          header = { names, lower: names.map((c) => c.toLowerCase()) };
          for (const field of FIT_FIELDS) {
            const ref = refs[field];
            if (ref === undefined) continue;
            const found = findColumn(header.lower, ref);
            if (found === undefined) {
              if (!ref.optional) throw new ImgsimError('invalid-trace', `${file}:${lines.lineNo}: ${missingColumnMessage(ref, field, names)}`);
              continue;
            }
            csvSources.push({ field, ref, index: found.index, path: found.path });
          }
          for (const f of filters) {
            const found = findColumn(header.lower, f.ref);
            if (found === undefined) throw new ImgsimError('invalid-argument', `--where: the CSV header has no column \`${f.ref.head}\``);
            csvFilters.push({ index: found.index, path: found.path, values: f.values });
          }
          continue;
        }
        rows++;
        if (typeof n === 'string') {
          bad(n);
          continue;
        }
        for (const f of csvFilters) {
          const cell = f.index < n ? cells[f.index]! : '';
          const v = f.path.length === 0 ? cell : followPath(cell, f.path);
          if (v === MISSING || v instanceof PathError || !f.values.has(String(v))) keep = false;
        }
        for (const s of csvSources) {
          if (problem !== undefined) break;
          if (s.index >= n) {
            if (!s.ref.optional) problem = `missing column \`${s.ref.head}\` (mapped to \`${s.field}\`): the row has ${n} cells`;
            continue;
          }
          const cell = cells[s.index]!;
          if (cell === '') continue;
          if (s.path.length === 0) {
            raw[s.field] = cell;
            continue;
          }
          const v = followPath(cell, s.path);
          if (v === MISSING) {
            if (!s.ref.optional) problem = `missing \`${s.ref.ref}\` (mapped to \`${s.field}\`); end the mapping with \`?\` if rows may lack it`;
          } else if (v instanceof PathError) problem = `column \`${s.ref.head}\` ${v.message} (mapped to \`${s.field}\`)`;
          else raw[s.field] = v ?? undefined;
        }
      }
      if (!keep) {
        filteredRows++;
        continue;
      }
      if (problem === undefined) {
        const out = interpret(raw, timeFormat, sizes, featureLists);
        if (typeof out === 'string') problem = out;
        else attempts.push(out);
      }
      if (problem !== undefined) bad(problem);
    }
  } finally {
    lines.close();
  }
  return { attempts, rows, filteredRows, skippedRows, warnings, columns: mapping.columns };
}

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v)).trim();
  return s === '' ? undefined : s;
}

function number(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && NUMBER_RE.test(v)) return Number(v);
  return undefined;
}

const DEFAULT_SIZE = '1024x1024';

function interpret(raw: Raw, timeFormat: TimeFormat, sizes: Map<string, Size>, featureLists: Map<string, readonly Feature[]>): LogAttempt | string {
  const provider = text(raw.provider);
  if (provider === undefined) return 'missing the provider';
  const start = raw.start;
  if (start === undefined) return 'missing `start`';
  const startMs = parseTimestamp(start, timeFormat, 0);
  if (startMs === undefined) return `bad \`start\` ${JSON.stringify(start)}: expected ${TIME_FORMAT_EXPECTED[timeFormat]}`;
  let latencyMs: number | undefined;
  if (raw.latency !== undefined) {
    latencyMs = number(raw.latency);
    if (latencyMs === undefined || latencyMs < 0) return `bad \`latency\` ${JSON.stringify(raw.latency)}: expected milliseconds >= 0`;
  } else if (raw.end !== undefined) {
    const endMs = parseTimestamp(raw.end, timeFormat, 0);
    if (endMs === undefined) return `bad \`end\` ${JSON.stringify(raw.end)}: expected ${TIME_FORMAT_EXPECTED[timeFormat]}`;
    if (endMs < startMs) return `\`end\` ${JSON.stringify(raw.end)} is before \`start\``;
    latencyMs = endMs - startMs;
  }
  const outcome = classifyOutcome(raw.outcome, raw.status, raw.code);
  if (outcome === undefined) {
    return `unknown outcome ${JSON.stringify(raw.outcome)}; expected an HTTP status, or one of ${KNOWN_OUTCOME_WORDS.slice(0, 12).join(', ')}, ... (see docs/fit.md)`;
  }
  let costUsd: number | undefined;
  if (raw.cost !== undefined) {
    costUsd = number(raw.cost);
    if (costUsd === undefined || costUsd < 0) return `bad \`cost\` ${JSON.stringify(raw.cost)}: expected USD >= 0`;
  }
  const size = text(raw.size) ?? DEFAULT_SIZE;
  let dims = sizes.get(size);
  if (dims === undefined) {
    const parsed = parseSize(size);
    if (isUnitError(parsed)) return `bad \`size\` ${JSON.stringify(raw.size)}: expected ${SIZE_EXPECTED}`;
    dims = parsed;
    sizes.set(size, dims);
  }
  let steps: number | undefined;
  if (raw.steps !== undefined) {
    steps = number(raw.steps);
    if (steps === undefined || !Number.isInteger(steps) || steps < 1) return `bad \`steps\` ${JSON.stringify(raw.steps)}: expected a whole number >= 1`;
  }
  let features: readonly Feature[] = [];
  if (raw.features !== undefined) {
    const key = Array.isArray(raw.features) ? raw.features.map(String).join(';') : text(raw.features) ?? '';
    let list = featureLists.get(key);
    if (list === undefined) {
      const out: Feature[] = [];
      for (const part of key.replace(/^\[|\]$/g, '').split(FEATURE_SEPARATOR_RE)) {
        const name = part.trim().replace(/^"|"$/g, '');
        if (name === '') continue;
        if (!(FEATURES as readonly string[]).includes(name)) {
          const near = suggest(name, FEATURES);
          return `unknown feature ${JSON.stringify(name)}; ${near === undefined ? `expected one of ${FEATURES.join(', ')}` : `did you mean "${near}"?`}`;
        }
        out.push(name as Feature);
      }
      list = out.sort();
      featureLists.set(key, list);
    }
    features = list;
  }
  return {
    provider,
    tier: text(raw.tier),
    startMs,
    latencyMs,
    outcome,
    costUsd,
    size,
    width: dims.width,
    height: dims.height,
    steps,
    quality: text(raw.quality),
    features,
  };
}
