/**
 * Trace replay (SPEC 2.5): one request a row, JSONL or CSV, streamed row by row so a
 * multi-gigabyte trace runs in constant memory. The engine pulls synchronously, so the file is
 * read with `readSync` in 64 KiB chunks and split into lines on bytes (a UTF-8 newline byte is
 * never part of a multi-byte character); a line longer than the buffer grows it.
 *
 * Row fields (all but `at` optional; unknown fields and columns are ignored):
 * - `at`: an ISO 8601 instant with a zone, or an offset from the start of the run: a number of
 *   ms (also as a digit string, as CSV writes it) or a duration string such as `"90s"`;
 * - `size` (`WxH`, default 1024x1024), `steps` (whole number >= 1, default 30), `quality`;
 * - `features`: a JSON array, or a string separated by `;` or `|` (CSV);
 * - `urgency` (interactive | batch, default interactive), `deadline` (a duration after `at`);
 * - `project` (default "default"), `prompt` (default empty; promptChars is its length),
 *   `promptChars` (used when a trace keeps lengths but not texts), `tier`, `validate` (bool;
 *   CSV: true/false, 1/0, yes/no).
 * JSONL and CSV accept the same spellings: a number may be a digit string and a list may be a
 * separated string in either. Empty CSV cells and JSON nulls mean "not given".
 *
 * CSV is RFC 4180 with a required header row: quoted fields may hold commas and doubled
 * quotes; quoted fields spanning several lines are not supported (one request a line). Rows
 * with fewer cells than the header leave the rest unset; extra cells are ignored.
 * Blank lines are ignored everywhere. Rows must be in non-decreasing `at` order; rows before
 * the start are skipped (counted in `rowsBeforeStart`) and the first row at or after the end
 * ends the stream ("a replayed trace also stops here").
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { ImageRequest } from '../model/request.js';
import { ImgsimError, suggest } from '../scenario/errors.js';
import type { ResolvedTrace } from '../scenario/resolve.js';
import { FEATURES, type Feature, type Urgency } from '../scenario/schema.js';
import { DURATION_EXPECTED, INSTANT_EXPECTED, SIZE_EXPECTED, isUnitError, parseAtMs, parseDurationMs, parseSize, type Size } from '../scenario/units.js';
import type { RequestSource } from './traffic.js';

/** Bytes read at a time (the buffer grows only for a single longer line). */
const CHUNK_BYTES = 64 * 1024;
/** Messages kept in `warnings` when bad rows are skipped; the rest are only counted. */
const MAX_WARNINGS = 10;
/** Distinct sizes and feature lists remembered, so repeated values share one parsed object. */
const INTERN_LIMIT = 256;
const DEFAULT_SIZE = '1024x1024';
const DEFAULT_STEPS = 30;
const DEFAULT_PROJECT = 'default';
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const DIGITS_RE = /^\s*\d+(?:\.\d+)?\s*$/;
const FEATURE_SEPARATOR_RE = /[;|]/;
const AT_EXPECTED = `${INSTANT_EXPECTED}, or milliseconds or ${DURATION_EXPECTED} after start`;

/** Fields a row may carry; anything else is ignored. */
const FIELDS = ['at', 'size', 'steps', 'quality', 'features', 'urgency', 'deadline', 'project', 'prompt', 'promptChars', 'tier', 'validate'] as const;
type Field = (typeof FIELDS)[number];
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
}

const NO_FEATURES: readonly Feature[] = Object.freeze([]);
const DEFAULT_DIMS: Size = Object.freeze({ width: 1024, height: 1024 });

/** Quotes a value for a message. */
function show(v: unknown): string {
  return typeof v === 'number' || typeof v === 'boolean' || v === undefined ? String(v) : JSON.stringify(v);
}

/**
 * Splits one CSV line into `out` (RFC 4180, single-line records).
 * @param line - the line without its newline
 * @param out - reused array the cells are written into
 * @returns the number of cells, or a message when the quoting is broken
 */
function splitCsv(line: string, out: string[]): number | string {
  let i = 0;
  let n = 0;
  for (;;) {
    if (line.charCodeAt(i) === QUOTE) {
      let value = '';
      let from = ++i;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return `unterminated quoted field ${n + 1} (quoted fields must close on the same line; multi-line fields are not supported)`;
        if (line.charCodeAt(q + 1) === QUOTE) {
          value += line.slice(from, q + 1); // a doubled quote stands for one
          i = from = q + 2;
          continue;
        }
        value += line.slice(from, q);
        i = q + 1;
        break;
      }
      out[n++] = value;
      if (i >= line.length) return n;
      if (line.charCodeAt(i) !== COMMA) return `unexpected text after the closing quote of field ${n}; a quote inside a quoted field is written twice ("")`;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out[n++] = line.slice(i);
        return n;
      }
      out[n++] = line.slice(i, c);
      i = c + 1;
    }
  }
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
  private fd: number | undefined;
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Unread bytes are buf[bufStart, bufEnd). */
  private bufStart = 0;
  private bufEnd = 0;
  /** Where to resume looking for a newline (bytes before it were already searched). */
  private scanFrom = 0;
  private eof = false;
  private lineNo = 0;
  private lastAtMs = -Infinity;
  private nextId = 0;
  private done = false;

  /** CSV: field of each column (undefined = ignored column); undefined until the header is read. */
  private columns: (Field | undefined)[] | undefined;
  private readonly cells: string[] = [];
  private readonly csvRow: RawRow = {
    at: undefined,
    size: undefined,
    steps: undefined,
    quality: undefined,
    features: undefined,
    urgency: undefined,
    deadline: undefined,
    project: undefined,
    prompt: undefined,
    promptChars: undefined,
    tier: undefined,
    validate: undefined,
  };
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
  };
  private readonly sizes = new Map<string, Size>([[DEFAULT_SIZE, DEFAULT_DIMS]]);
  private readonly featureLists = new Map<string, readonly Feature[]>();
  /** The message of the last field check that returned a failure marker. */
  private problem = '';

  /**
   * Opens the trace file.
   * @param trace - resolved trace: absolute file, format and bad-row handling
   * @param startMs - start of the run, epoch ms (numeric and duration `at` are offsets from it)
   * @param endMs - end of the run (exclusive), epoch ms; the first row at or after it ends the stream
   */
  constructor(trace: ResolvedTrace, startMs: number, endMs: number) {
    this.file = trace.file;
    this.format = trace.format;
    this.onBadRow = trace.onBadRow;
    this.startMs = startMs;
    this.endMs = endMs;
    try {
      this.fd = openSync(trace.file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ImgsimError('file-not-found', `${trace.file}: trace file not found (paths are relative to the scenario file)`);
      throw new ImgsimError('invalid-trace', `${trace.file}: cannot open the trace: ${(err as Error).message}`);
    }
  }

  /** Requests returned so far. */
  get emitted(): number {
    return this.nextId;
  }

  /** @returns the next request in the trace, or undefined at the end of the file or the run */
  next(): ImageRequest | undefined {
    if (this.done) return undefined;
    const v = this.values;
    for (;;) {
      const line = this.readLine();
      if (line === undefined) {
        this.close();
        return undefined;
      }
      if (line.trim() === '') continue;
      let problem: string | undefined;
      if (this.format === 'jsonl') problem = this.parseJsonLine(line);
      else if (this.columns === undefined) {
        this.readHeader(line);
        continue;
      } else problem = this.parseCsvLine(line);
      if (problem === undefined && v.atMs < this.lastAtMs) {
        problem = `out of order: \`at\` ${new Date(v.atMs).toISOString()} is earlier than the previous row's ${new Date(this.lastAtMs).toISOString()}; sort the trace by time`;
      }
      if (problem !== undefined) {
        this.badRow(problem);
        continue;
      }
      this.lastAtMs = v.atMs;
      if (v.atMs >= this.endMs) {
        this.close();
        return undefined;
      }
      if (v.atMs < this.startMs) {
        this.rowsBeforeStart++;
        continue;
      }
      return {
        id: this.nextId++,
        arrivalMs: v.atMs,
        className: 'trace',
        size: v.size,
        width: v.dims.width,
        height: v.dims.height,
        steps: v.steps,
        quality: v.quality,
        features: v.features,
        validate: v.validate,
        urgency: v.urgency,
        deadlineMs: v.deadlineMs,
        project: v.project,
        promptChars: v.promptChars,
        prompt: v.prompt,
        tier: v.tier,
      };
    }
  }

  /** Closes the file; later `next()` calls return undefined. Safe to call more than once. */
  close(): void {
    this.done = true;
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      closeSync(fd);
    }
  }

  private fail(message: string): never {
    this.close();
    throw new ImgsimError('invalid-trace', message);
  }

  private badRow(problem: string): void {
    const message = `${this.file}:${this.lineNo}: ${problem}`;
    if (this.onBadRow === 'fail') this.fail(message);
    this.skippedRows++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
  }

  /** The next line without its line ending, or undefined at the end of the file. */
  private readLine(): string | undefined {
    for (;;) {
      const buf = this.buf;
      const nl = buf.indexOf(NEWLINE, this.scanFrom);
      if (nl >= 0 && nl < this.bufEnd) return this.takeLine(nl, nl + 1);
      if (this.eof) return this.bufStart < this.bufEnd ? this.takeLine(this.bufEnd, this.bufEnd) : undefined;
      // Keep the partial line: move it to the front, growing the buffer if it fills it.
      if (this.bufStart > 0) {
        buf.copy(buf, 0, this.bufStart, this.bufEnd);
        this.bufEnd -= this.bufStart;
        this.bufStart = 0;
      }
      if (this.bufEnd === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, this.bufEnd);
        this.buf = bigger;
      }
      this.scanFrom = this.bufEnd;
      let n: number;
      try {
        n = readSync(this.fd!, this.buf, this.bufEnd, this.buf.length - this.bufEnd, null);
      } catch (err) {
        return this.fail(`${this.file}: cannot read the trace: ${(err as Error).message}`);
      }
      if (n === 0) this.eof = true;
      else {
        if (this.lineNo === 0 && this.bufEnd === 0 && n >= 3 && this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) {
          this.bufStart = 3; // UTF-8 byte order mark
          this.scanFrom = 3;
        }
        this.bufEnd += n;
      }
    }
  }

  /** Decodes buf[bufStart, end) as a line (dropping a trailing CR) and moves past `next`. */
  private takeLine(end: number, next: number): string {
    let stop = end;
    if (stop > this.bufStart && this.buf[stop - 1] === CARRIAGE_RETURN) stop--;
    const line = this.buf.toString('utf8', this.bufStart, stop);
    this.bufStart = next;
    this.scanFrom = next;
    this.lineNo++;
    return line;
  }

  private parseJsonLine(line: string): string | undefined {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      return `unparseable JSON: ${(err as Error).message}`;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return `expected a JSON object, got ${show(row)}`;
    return this.interpret(row);
  }

  private readHeader(line: string): void {
    const cells = this.cells;
    const n = splitCsv(line, cells);
    if (typeof n === 'string') this.fail(`${this.file}:${this.lineNo}: CSV header: ${n}`);
    const byName = new Map<string, Field>(FIELDS.map((f) => [f.toLowerCase(), f]));
    const columns: (Field | undefined)[] = [];
    for (let i = 0; i < n; i++) columns.push(byName.get(cells[i]!.trim().toLowerCase()));
    if (!columns.includes('at')) {
      this.fail(`${this.file}:${this.lineNo}: the CSV header has no \`at\` column; the first row must name the columns, e.g. "at,size,steps,prompt"`);
    }
    this.columns = columns;
  }

  private parseCsvLine(line: string): string | undefined {
    const n = splitCsv(line, this.cells);
    if (typeof n === 'string') return n;
    const row = this.csvRow;
    for (const f of FIELDS) row[f] = undefined;
    const columns = this.columns!;
    const count = Math.min(n, columns.length);
    for (let i = 0; i < count; i++) {
      const field = columns[i];
      const cell = this.cells[i]!;
      if (field !== undefined && cell !== '') row[field] = cell;
    }
    return this.interpret(row);
  }

  /** Checks a raw row into `this.values`; returns what is wrong, or undefined. */
  private interpret(row: Partial<RawRow>): string | undefined {
    const v = this.values;

    const at = row.at ?? undefined;
    if (at === undefined) return 'missing `at`';
    let atMs: number | undefined;
    if (typeof at === 'number') atMs = Number.isFinite(at) && at >= 0 ? this.startMs + at : undefined;
    else if (typeof at === 'string') {
      if (DIGITS_RE.test(at)) atMs = this.startMs + Number(at);
      else {
        const parsed = parseAtMs(at.trim(), this.startMs);
        atMs = isUnitError(parsed) ? undefined : parsed;
      }
    }
    if (atMs === undefined) return `bad \`at\` ${show(at)}: expected ${AT_EXPECTED}`;
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
        if (isUnitError(parsed)) return `bad \`size\` ${show(size)}: expected ${SIZE_EXPECTED}`;
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
      const ms = typeof deadline === 'string' && DIGITS_RE.test(deadline) ? Number(deadline) : parseDurationMs(typeof deadline === 'string' ? deadline.trim() : deadline);
      if (isUnitError(ms)) return `bad \`deadline\` ${show(deadline)}: expected ${DURATION_EXPECTED} after \`at\``;
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
