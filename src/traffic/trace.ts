/**
 * Trace replay (docs/contract.md §2.5): one request a row, JSONL or CSV, streamed row by row so a
 * multi-gigabyte trace runs in constant memory (the engine pulls synchronously; the file is read
 * by a {@link LineReader}).
 *
 * Row fields (all but `at` optional; unknown fields and columns are ignored):
 * - `at`: an ISO 8601 instant with a zone, or an offset from the start of the run: a number of
 *   ms (also as a digit string, as CSV writes it) or a duration string such as `"90s"`
 *   (the `auto` time format; `timeFormat` picks another);
 * - `size` (`WxH`, default 1024x1024), `steps` (whole number >= 1, default 30), `quality`;
 * - `features`: a JSON array, or a string separated by `;` or `|` (CSV);
 * - `urgency` (interactive | batch, default interactive), `deadline` (a duration after `at`);
 * - `project` (default "default"), `prompt` (default empty; promptChars is its length),
 *   `promptChars` (used when a trace keeps lengths but not texts), `tier`, `validate` (bool;
 *   CSV: true/false, 1/0, yes/no).
 * JSONL and CSV accept the same spellings: a number may be a digit string and a list may be a
 * separated string in either. Empty CSV cells and JSON nulls mean "not given".
 *
 * A column mapping (`columns`, see `trace-columns.ts`) reads the fields from other columns or
 * from paths into JSON columns; a mapped column a row lacks is a bad row unless the mapping ends
 * in `?`. A mapping may also name `count` (the row stands for that many requests) and `until`
 * (they are spread evenly over [at, until), at at + (i + ½)·(until − at)/count): rows that share
 * an `at` form a bucket whose requests are merged in time order, and the next bucket may not
 * start before the current one ends.
 *
 * CSV is RFC 4180 with a required header row: quoted fields may hold commas and doubled
 * quotes; quoted fields spanning several lines are not supported (one request a line). Rows
 * with fewer cells than the header leave the rest unset; extra cells are ignored.
 * Blank lines are ignored everywhere. Rows must be in non-decreasing `at` order; rows before
 * the start are skipped (counted in `rowsBeforeStart`) and the first row at or after the end
 * ends the stream ("a replayed trace also stops here").
 */
import { FEATURES, type Feature, type ImageRequest } from '../model/request.js';
import { ImgsimError, suggest } from '../scenario/errors.js';
import type { ResolvedTrace } from '../scenario/resolve.js';
import type { TimeFormat, TraceField, Urgency } from '../scenario/schema.js';
import { MAX_STEPS } from '../scenario/limits.js';
import { SIZE_EXPECTED, isUnitError, parseDurationMs, parseSize, type Size } from '../scenario/units.js';
import { splitCsv } from './csv.js';
import { LineReader } from './line-reader.js';
import {
  MISSING,
  PathError,
  TIME_FORMAT_EXPECTED,
  findColumn,
  followPath,
  lookUp,
  missingColumnMessage,
  parseTimestamp,
  resolveColumns,
  type ColumnRef,
} from './trace-columns.js';
import type { RequestSource } from './traffic.js';

/** Messages kept in `warnings` when bad rows are skipped; the rest are only counted. */
const MAX_WARNINGS = 10;
/** Distinct sizes and feature lists remembered, so repeated values share one parsed object. */
const INTERN_LIMIT = 256;
const DEFAULT_SIZE = '1024x1024';
const DEFAULT_STEPS = 30;
const DEFAULT_PROJECT = 'default';
const DIGITS_RE = /^\s*\d+(?:\.\d+)?\s*$/;
const FEATURE_SEPARATOR_RE = /[;|]/;

/** Fields a plain row may carry; anything else is ignored. */
const FIELDS = ['at', 'size', 'steps', 'quality', 'features', 'urgency', 'deadline', 'project', 'prompt', 'promptChars', 'tier', 'validate'] as const;
/** Fields read only through a column mapping: aggregated rows. */
const MAPPED_FIELDS = [...FIELDS, 'count', 'until'] as const satisfies readonly TraceField[];
type Field = (typeof MAPPED_FIELDS)[number];
/** A row before interpretation: JSON values or CSV strings, undefined when not given. */
type RawRow = Record<Field, unknown>;

/** A row's values once checked; reused from row to row. */
interface RowValues {
  atMs: number;
  size: string;
  dims: Size;
  steps: number;
  quality: string | undefined;
  features: readonly Feature[];
  urgency: Urgency;
  deadlineMs: number | undefined;
  project: string;
  prompt: string;
  promptChars: number;
  tier: string | undefined;
  validate: boolean;
  /** Requests the row stands for (1 without a `count` mapping). */
  count: number;
  /** End of the row's interval (= atMs without an `until` mapping). */
  untilMs: number;
}

/** A row of the current bucket (aggregated traces) and how many of its requests are out. */
interface BucketRow {
  readonly v: RowValues;
  readonly stepMs: number;
  emitted: number;
}

/** A mapped field's column in a CSV file. */
interface CsvSource {
  readonly field: Field;
  readonly ref: ColumnRef;
  readonly index: number;
  readonly path: readonly string[];
}

const NO_FEATURES: readonly Feature[] = Object.freeze([]);
const DEFAULT_DIMS: Size = Object.freeze({ width: 1024, height: 1024 });

/** Quotes a value for a message. */
function show(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' || v === undefined ? String(v) : JSON.stringify(v);
}

function emptyRow(): RawRow {
  const row = {} as RawRow;
  for (const f of MAPPED_FIELDS) row[f] = undefined;
  return row;
}

/**
 * Replays a trace file as a pull-based stream of requests (see the module comment for the row
 * format). Bad rows throw `invalid-trace` with `onBadRow: fail`, or are skipped and counted
 * with `skip`. The file is closed when the stream ends, on error, or by {@link close}.
 */
export class TraceReader implements RequestSource {
  /** The trace file (absolute path). */
  readonly file: string;
  /** `jsonl` or `csv`. */
  readonly format: 'jsonl' | 'csv';
  /** Bad rows skipped (with `onBadRow: skip`). */
  skippedRows = 0;
  /** Good rows before the start of the run, skipped. */
  rowsBeforeStart = 0;
  /** The first few bad-row messages, `file:line: what is wrong`. */
  readonly warnings: string[] = [];

  private readonly onBadRow: 'fail' | 'skip';
  private readonly startMs: number;
  private readonly endMs: number;
  private readonly timeFormat: TimeFormat;
  private readonly atExpected: string;
  /** Field references of a mapped trace; undefined for a plain one (fields by their own names). */
  private readonly refs: Readonly<Partial<Record<Field, ColumnRef>>> | undefined;
  /** Rows stand for `count` requests each (a `count` mapping). */
  private readonly aggregated: boolean;
  private readonly lines: LineReader;
  private lastAtMs = -Infinity;
  private nextId = 0;
  /** The stream is over: next() returns undefined. */
  private done = false;
  /** No more rows will be read (end of file, or a row at or after the end of the run). */
  private rowsDone = false;

  /** Plain CSV: field of each column (undefined = ignored column); undefined until the header is read. */
  private columns: (Field | undefined)[] | undefined;
  /** Mapped CSV: where each mapped field is; undefined until the header is read. */
  private csvSources: CsvSource[] | undefined;
  private readonly cells: string[] = [];
  private readonly rawRow: RawRow = emptyRow();
  private readonly values: RowValues = {
    atMs: 0,
    size: DEFAULT_SIZE,
    dims: DEFAULT_DIMS,
    steps: DEFAULT_STEPS,
    quality: undefined,
    features: NO_FEATURES,
    urgency: 'interactive',
    deadlineMs: undefined,
    project: DEFAULT_PROJECT,
    prompt: '',
    promptChars: 0,
    tier: undefined,
    validate: false,
    count: 1,
    untilMs: 0,
  };
  private readonly sizes = new Map<string, Size>([[DEFAULT_SIZE, DEFAULT_DIMS]]);
  private readonly featureLists = new Map<string, readonly Feature[]>();
  /** The message of the last field check that returned a failure marker. */
  private problem = '';

  // Aggregated traces: the bucket being emitted, the first row of the next one, and the span of
  // the bucket whose rows are being read (for the overlap check).
  private bucket: BucketRow[] = [];
  private lookahead: BucketRow | undefined;
  private groupAtMs = -Infinity;
  private groupEndMs = -Infinity;

  /**
   * Opens the trace file.
   * @param trace - resolved trace: absolute file, format, bad-row handling, column mapping and time format
   * @param startMs - start of the run, epoch ms (numeric and duration `at` are offsets from it)
   * @param endMs - end of the run (exclusive), epoch ms; the first row at or after it ends the stream
   */
  constructor(trace: ResolvedTrace, startMs: number, endMs: number) {
    this.file = trace.file;
    this.format = trace.format;
    this.onBadRow = trace.onBadRow;
    this.startMs = startMs;
    this.endMs = endMs;
    const resolved = resolveColumns(trace.columns, trace.timeFormat, FIELDS);
    this.timeFormat = resolved.timeFormat;
    this.atExpected = TIME_FORMAT_EXPECTED[resolved.timeFormat];
    this.refs = trace.columns === undefined ? undefined : resolved.columns;
    this.aggregated = this.refs?.count !== undefined;
    // A line over the limit (1 MiB) is a bad row, read without holding it.
    this.lines = new LineReader(trace.file, 'trace', 'invalid-trace', ' (paths are relative to the scenario file)', {
      onOverlong: (problem) => {
        this.badRow(problem);
      },
    });
  }

  /** Requests returned so far. */
  get emitted(): number {
    return this.nextId;
  }

  /** @returns the next request in the trace, or undefined at the end of the file or the run */
  next(): ImageRequest | undefined {
    if (this.done) return undefined;
    if (this.aggregated) return this.nextFromBucket();
    for (;;) {
      if (!this.readRow()) {
        this.close();
        return undefined;
      }
      const v = this.values;
      if (v.atMs < this.startMs) {
        this.rowsBeforeStart++;
        continue;
      }
      return this.request(v, v.atMs);
    }
  }

  /** Closes the file; later `next()` calls return undefined. Safe to call more than once. */
  close(): void {
    this.done = true;
    this.rowsDone = true;
    this.lines.close();
  }

  private request(v: RowValues, arrivalMs: number): ImageRequest {
    return {
      id: this.nextId++,
      arrivalMs,
      className: 'trace',
      size: v.size,
      width: v.dims.width,
      height: v.dims.height,
      steps: v.steps,
      quality: v.quality,
      features: v.features,
      validate: v.validate,
      urgency: v.urgency,
      deadlineMs: v.deadlineMs === undefined ? undefined : v.deadlineMs + (arrivalMs - v.atMs),
      project: v.project,
      promptChars: v.promptChars,
      prompt: v.prompt,
      tier: v.tier,
    };
  }

  /** Aggregated traces: the earliest request still due from the current bucket, refilling it as needed. */
  private nextFromBucket(): ImageRequest | undefined {
    for (;;) {
      let best: BucketRow | undefined;
      let bestMs = Infinity;
      for (const b of this.bucket) {
        if (b.emitted >= b.v.count) continue;
        const t = b.v.atMs + (b.emitted + 0.5) * b.stepMs;
        if (t < bestMs) {
          bestMs = t;
          best = b;
        }
      }
      if (best === undefined) {
        if (!this.fillBucket()) {
          this.close();
          return undefined;
        }
        continue;
      }
      best.emitted++;
      // Later requests of this bucket are no earlier, and the next bucket starts after it ends.
      if (bestMs >= this.endMs) {
        this.close();
        return undefined;
      }
      if (bestMs >= this.startMs) return this.request(best.v, bestMs);
    }
  }

  /** Reads the rows of the next bucket (rows sharing one `at`); false when there are none. */
  private fillBucket(): boolean {
    this.bucket = [];
    let first = this.lookahead;
    this.lookahead = undefined;
    if (first === undefined) {
      if (!this.readRow()) return false;
      first = this.snapshot();
    }
    this.bucket.push(first);
    while (this.readRow()) {
      const row = this.snapshot();
      if (row.v.atMs !== first.v.atMs) {
        this.lookahead = row;
        break;
      }
      this.bucket.push(row);
    }
    return true;
  }

  private snapshot(): BucketRow {
    const v = { ...this.values };
    return { v, stepMs: v.count > 0 ? (v.untilMs - v.atMs) / v.count : 0, emitted: 0 };
  }

  /**
   * Reads the next good row into `values` (bad rows are reported or skipped, rows wholly
   * before the start are counted and skipped).
   * @returns false at the end of the file or at the first row at or after the end of the run
   */
  private readRow(): boolean {
    if (this.rowsDone) return false;
    const v = this.values;
    for (;;) {
      const line = this.lines.next();
      if (line === undefined) {
        this.rowsDone = true;
        this.lines.close();
        return false;
      }
      if (line.trim() === '') continue;
      let problem: string | undefined;
      if (this.format === 'jsonl') problem = this.parseJsonLine(line);
      else if (this.columns === undefined && this.csvSources === undefined) {
        this.readHeader(line);
        continue;
      } else problem = this.parseCsvLine(line);
      if (problem === undefined && v.atMs < this.lastAtMs) {
        problem = `out of order: \`at\` ${new Date(v.atMs).toISOString()} is earlier than the previous row's ${new Date(this.lastAtMs).toISOString()}; sort the trace by time`;
      }
      if (problem === undefined && this.aggregated && v.atMs > this.groupAtMs && v.atMs < this.groupEndMs) {
        problem = `bucket overlap: this row starts at ${new Date(v.atMs).toISOString()}, before the previous bucket ends at ${new Date(this.groupEndMs).toISOString()}; rows with the same \`at\` form a bucket, and buckets may not overlap`;
      }
      if (problem !== undefined) {
        this.badRow(problem);
        continue;
      }
      this.lastAtMs = v.atMs;
      if (this.aggregated) {
        if (v.atMs > this.groupAtMs) {
          this.groupAtMs = v.atMs;
          this.groupEndMs = v.untilMs;
        } else if (v.untilMs > this.groupEndMs) this.groupEndMs = v.untilMs;
      }
      if (v.atMs >= this.endMs) {
        this.rowsDone = true;
        this.lines.close();
        return false;
      }
      if (this.aggregated && v.untilMs <= this.startMs && v.untilMs > v.atMs) {
        this.rowsBeforeStart++;
        continue;
      }
      return true;
    }
  }

  private fail(message: string): never {
    this.close();
    throw new ImgsimError('invalid-trace', message);
  }

  private badRow(problem: string): void {
    const message = `${this.file}:${this.lines.lineNo}: ${problem}`;
    if (this.onBadRow === 'fail') this.fail(message);
    this.skippedRows++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
  }

  private parseJsonLine(line: string): string | undefined {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      return `unparseable JSON: ${(err as Error).message}`;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return `expected a JSON object, got ${show(row)}`;
    if (this.refs === undefined) return this.interpret(row);
    const raw = this.rawRow;
    for (const f of MAPPED_FIELDS) {
      const ref = this.refs[f];
      if (ref === undefined) {
        raw[f] = undefined;
        continue;
      }
      const value = lookUp(row as Record<string, unknown>, ref);
      if (value === MISSING) {
        if (!ref.optional) return `missing \`${ref.ref}\` (mapped to \`${f}\`); end the mapping with \`?\` if rows may lack it`;
        raw[f] = undefined;
      } else if (value instanceof PathError) return `\`${ref.head}\` ${value.message} (mapped to \`${f}\`)`;
      else raw[f] = value;
    }
    return this.interpret(raw);
  }

  private readHeader(line: string): void {
    const cells = this.cells;
    const n = splitCsv(line, cells);
    if (typeof n === 'string') this.fail(`${this.file}:${this.lines.lineNo}: CSV header: ${n}`);
    const names = cells.slice(0, n).map((c) => c.trim());
    const lower = names.map((c) => c.toLowerCase());
    if (this.refs === undefined) {
      const byName = new Map<string, Field>(FIELDS.map((f) => [f.toLowerCase(), f]));
      const columns = lower.map((c) => byName.get(c));
      if (!columns.includes('at')) {
        this.fail(`${this.file}:${this.lines.lineNo}: the CSV header has no \`at\` column; the first row must name the columns, e.g. "at,size,steps,prompt"`);
      }
      this.columns = columns;
      return;
    }
    const sources: CsvSource[] = [];
    for (const field of MAPPED_FIELDS) {
      const ref = this.refs[field];
      if (ref === undefined) continue;
      const found = findColumn(lower, ref);
      if (found === undefined) {
        if (!ref.optional || field === 'at') this.fail(`${this.file}:${this.lines.lineNo}: ${missingColumnMessage(ref, field, names)}`);
        continue;
      }
      sources.push({ field, ref, index: found.index, path: found.path });
    }
    this.csvSources = sources;
  }

  private parseCsvLine(line: string): string | undefined {
    const n = splitCsv(line, this.cells);
    if (typeof n === 'string') return n;
    const row = this.rawRow;
    for (const f of MAPPED_FIELDS) row[f] = undefined;
    const sources = this.csvSources;
    if (sources === undefined) {
      const columns = this.columns!;
      const count = Math.min(n, columns.length);
      for (let i = 0; i < count; i++) {
        const field = columns[i];
        const cell = this.cells[i]!;
        if (field !== undefined && cell !== '') row[field] = cell;
      }
      return this.interpret(row);
    }
    for (const s of sources) {
      if (s.index >= n) {
        if (!s.ref.optional) return `missing column \`${s.ref.head}\` (mapped to \`${s.field}\`): the row has ${n} cells`;
        continue;
      }
      const cell = this.cells[s.index]!;
      if (cell === '') continue;
      if (s.path.length === 0) {
        row[s.field] = cell;
        continue;
      }
      const value = followPath(cell, s.path);
      if (value === MISSING) {
        if (!s.ref.optional) return `missing \`${s.ref.ref}\` (mapped to \`${s.field}\`); end the mapping with \`?\` if rows may lack it`;
      } else if (value instanceof PathError) return `column \`${s.ref.head}\` ${value.message} (mapped to \`${s.field}\`)`;
      else row[s.field] = value ?? undefined;
    }
    return this.interpret(row);
  }

  /** Checks a raw row into `this.values`; returns what is wrong, or undefined. */
  private interpret(row: Partial<RawRow>): string | undefined {
    const v = this.values;

    const at = row.at ?? undefined;
    if (at === undefined) return 'missing `at`';
    const atMs = typeof at === 'number' || typeof at === 'string' ? parseTimestamp(at, this.timeFormat, this.startMs) : undefined;
    if (atMs === undefined) return `bad \`at\` ${show(at)}: expected ${this.atExpected}`;
    v.atMs = atMs;

    const size = row.size ?? undefined;
    if (size === undefined) {
      v.size = DEFAULT_SIZE;
      v.dims = DEFAULT_DIMS;
    } else {
      if (typeof size !== 'string') return `bad \`size\` ${show(size)}: expected ${SIZE_EXPECTED}`;
      const key = size.trim();
      let dims = this.sizes.get(key);
      if (dims === undefined) {
        const parsed = parseSize(key);
        if (isUnitError(parsed)) return `bad \`size\` ${show(size)}: expected ${parsed.error}`;
        dims = Object.freeze(parsed);
        if (this.sizes.size < INTERN_LIMIT) this.sizes.set(key, dims);
      }
      v.size = key;
      v.dims = dims;
    }

    const steps = row.steps ?? undefined;
    if (steps === undefined) v.steps = DEFAULT_STEPS;
    else {
      const n = typeof steps === 'string' && DIGITS_RE.test(steps) ? Number(steps) : steps;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return `bad \`steps\` ${show(steps)}: expected a whole number >= 1`;
      if (n > MAX_STEPS) return `bad \`steps\` ${show(steps)}: expected a whole number from 1 to ${MAX_STEPS}`;
      v.steps = n;
    }

    const quality = this.optionalString(row.quality, 'quality');
    if (quality === false) return this.problem;
    v.quality = quality;

    const features = this.features(row.features ?? undefined);
    if (features === undefined) return this.problem;
    v.features = features;

    const urgency = row.urgency ?? undefined;
    if (urgency === undefined) v.urgency = 'interactive';
    else if (urgency === 'interactive' || urgency === 'batch') v.urgency = urgency;
    else return `bad \`urgency\` ${show(urgency)}: expected interactive or batch`;

    const deadline = row.deadline ?? undefined;
    if (deadline === undefined) v.deadlineMs = undefined;
    else {
      const ms = parseDurationMs(typeof deadline === 'string' ? (DIGITS_RE.test(deadline) ? Number(deadline) : deadline.trim()) : deadline);
      if (isUnitError(ms)) return `bad \`deadline\` ${show(deadline)}: expected ${ms.error} after \`at\``;
      v.deadlineMs = atMs + ms;
    }

    const project = this.optionalString(row.project, 'project');
    if (project === false) return this.problem;
    v.project = project ?? DEFAULT_PROJECT;

    const prompt = row.prompt ?? undefined;
    if (prompt !== undefined && typeof prompt !== 'string') return `bad \`prompt\` ${show(prompt)}: expected text`;
    v.prompt = prompt ?? '';
    const promptChars = row.promptChars ?? undefined;
    if (prompt === undefined && promptChars !== undefined) {
      const n = typeof promptChars === 'string' && DIGITS_RE.test(promptChars) ? Number(promptChars) : promptChars;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return `bad \`promptChars\` ${show(promptChars)}: expected a whole number >= 0`;
      v.promptChars = n;
    } else v.promptChars = v.prompt.length;

    const tier = this.optionalString(row.tier, 'tier');
    if (tier === false) return this.problem;
    v.tier = tier;

    const validate = row.validate ?? undefined;
    if (validate === undefined || typeof validate === 'boolean') v.validate = validate ?? false;
    else if (typeof validate === 'string' && /^\s*(true|1|yes)\s*$/i.test(validate)) v.validate = true;
    else if (typeof validate === 'string' && /^\s*(false|0|no)\s*$/i.test(validate)) v.validate = false;
    else return `bad \`validate\` ${show(validate)}: expected true or false`;

    if (!this.aggregated) return undefined;
    const count = row.count ?? undefined;
    if (count === undefined) v.count = 1;
    else {
      const n = typeof count === 'string' && DIGITS_RE.test(count) ? Number(count) : count;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return `bad \`count\` ${show(count)}: expected a whole number >= 0`;
      v.count = n;
    }
    const until = row.until ?? undefined;
    if (until === undefined) v.untilMs = atMs;
    else {
      const ms = typeof until === 'number' || typeof until === 'string' ? parseTimestamp(until, this.timeFormat, this.startMs) : undefined;
      if (ms === undefined) return `bad \`until\` ${show(until)}: expected ${this.atExpected}`;
      if (ms < atMs) return `bad \`until\` ${show(until)}: it is before \`at\``;
      v.untilMs = ms;
    }
    return undefined;
  }

  /** A trimmed optional string; false (with `problem` set) when it is not a string. */
  private optionalString(value: unknown, field: Field): string | undefined | false {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.problem = `bad \`${field}\` ${show(value)}: expected text`;
      return false;
    }
    const s = value.trim();
    return s === '' ? undefined : s;
  }

  /** The row's features as a shared frozen list; undefined (with `problem` set) when one is unknown. */
  private features(value: unknown): readonly Feature[] | undefined {
    if (value === undefined) return NO_FEATURES;
    let key: string;
    if (typeof value === 'string') key = value;
    else if (Array.isArray(value) && value.every((f) => typeof f === 'string')) key = value.join(';');
    else {
      this.problem = `bad \`features\` ${show(value)}: expected a list of features (${FEATURES.join(', ')})`;
      return undefined;
    }
    const known = this.featureLists.get(key);
    if (known !== undefined) return known;
    const list: Feature[] = [];
    for (const part of key.split(FEATURE_SEPARATOR_RE)) {
      const name = part.trim();
      if (name === '') continue;
      if (!(FEATURES as readonly string[]).includes(name)) {
        const near = suggest(name, FEATURES);
        this.problem = `unknown feature ${show(name)}; ${near === undefined ? `expected one of ${FEATURES.join(', ')}` : `did you mean "${near}"?`}`;
        return undefined;
      }
      list.push(name as Feature);
    }
    const frozen = list.length === 0 ? NO_FEATURES : Object.freeze(list);
    if (this.featureLists.size < INTERN_LIMIT) this.featureLists.set(key, frozen);
    return frozen;
  }
}
