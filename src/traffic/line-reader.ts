/**
 * A synchronous, streaming line reader for large text files (traces, attempt logs): the file is
 * read with `readSync` in 64 KiB chunks and split into lines on bytes (a UTF-8 newline byte is
 * never part of a multi-byte character); a line longer than the buffer grows it, up to a limit
 * ({@link MAX_LINE_BYTES} by default): the bytes of a longer line are discarded up to the next
 * newline, never held, and the line is reported (an error, or a bad row for the caller to skip).
 * A UTF-8 byte order mark is dropped, and so is the CR of a CRLF line ending.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ImgsimError, type ErrorCode } from '../scenario/errors.js';

/** Bytes read at a time (the buffer grows only for a single longer line). */
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The longest line read by default, in bytes (1 MiB): a trace row or a logged attempt is far shorter. */
export const MAX_LINE_BYTES = 1 << 20;

/** Options of {@link LineReader}. */
export interface LineReaderOptions {
  /** The longest line, in bytes without its line ending (default {@link MAX_LINE_BYTES}). */
  readonly maxLineBytes?: number;
  /**
   * Called for each line over the limit, with `lineNo` at that line and a message such as
   * "line of 2000000 bytes is longer than the 1 MiB a trace line may have"; the reader then goes
   * on at the next line. Without it, such a line throws `errorCode` with the file and line.
   */
  readonly onOverlong?: (problem: string) => void;
}

/** Reads a file line by line, in constant memory. */
export class LineReader {
  /** The file (as given). */
  readonly file: string;
  /** 1-based number of the line last returned (0 before the first). */
  lineNo = 0;

  private fd: number | undefined;
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Unread bytes are buf[bufStart, bufEnd). */
  private bufStart = 0;
  private bufEnd = 0;
  /** Where to resume looking for a newline (bytes before it were already searched). */
  private scanFrom = 0;
  private eof = false;
  private readonly maxLineBytes: number;

  /**
   * Opens the file.
   * @param file - path to read
   * @param what - what the file is, for messages ("trace", "attempt log")
   * @param errorCode - the `ImgsimError` code for a file that cannot be read
   * @param hint - appended to the not-found message
   * @throws ImgsimError `file-not-found` or `errorCode`
   */
  constructor(
    file: string,
    private readonly what: string,
    private readonly errorCode: ErrorCode,
    hint = '',
    private readonly opts: LineReaderOptions = {},
  ) {
    this.file = file;
    this.maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
    try {
      this.fd = openSync(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ImgsimError('file-not-found', `${file}: ${what} file not found${hint}`);
      throw new ImgsimError(errorCode, `${file}: cannot open the ${what}: ${(err as Error).message}`);
    }
  }

  /** @returns the next line without its line ending, or undefined at the end of the file */
  next(): string | undefined {
    for (;;) {
      const buf = this.buf;
      const nl = buf.indexOf(NEWLINE, this.scanFrom);
      if (nl >= 0 && nl < this.bufEnd) {
        const line = this.takeLine(nl, nl + 1);
        if (line !== undefined) return line;
        continue;
      }
      if (this.eof || this.fd === undefined) {
        if (this.bufStart >= this.bufEnd) return undefined;
        const line = this.takeLine(this.bufEnd, this.bufEnd);
        if (line !== undefined) return line;
        continue;
      }
      // Keep the partial line: move it to the front, growing the buffer if it fills it.
      if (this.bufStart > 0) {
        buf.copy(buf, 0, this.bufStart, this.bufEnd);
        this.bufEnd -= this.bufStart;
        this.bufStart = 0;
      }
      if (this.bufEnd > this.maxLineBytes) {
        this.skipLongLine();
        continue;
      }
      if (this.bufEnd === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, this.bufEnd);
        this.buf = bigger;
      }
      this.scanFrom = this.bufEnd;
      const n = this.read(this.bufEnd);
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

  /** Closes the file; buffered lines are dropped. Safe to call more than once. */
  close(): void {
    this.bufStart = this.bufEnd;
    this.eof = true;
    if (this.fd !== undefined) {
      const fd = this.fd;
      this.fd = undefined;
      closeSync(fd);
    }
  }

  /**
   * Decodes buf[bufStart, end) as a line (dropping a trailing CR) and moves past `next`.
   * @returns the line, or undefined when it is over the limit (reported)
   */
  private takeLine(end: number, next: number): string | undefined {
    let stop = end;
    if (stop > this.bufStart && this.buf[stop - 1] === CARRIAGE_RETURN) stop--;
    const bytes = stop - this.bufStart;
    const line = bytes > this.maxLineBytes ? undefined : this.buf.toString('utf8', this.bufStart, stop);
    this.bufStart = next;
    this.scanFrom = next;
    this.lineNo++;
    if (line === undefined) this.overlong(bytes);
    return line;
  }

  /**
   * The buffer holds the start of a line over the limit: reads on, discarding, to its newline
   * (or the end of the file), leaves the bytes after it in the buffer, and reports the line.
   */
  private skipLongLine(): void {
    let bytes = this.bufEnd;
    this.bufStart = this.bufEnd = this.scanFrom = 0;
    for (;;) {
      const n = this.read(0);
      const nl = this.buf.indexOf(NEWLINE, 0);
      if (n === 0 || (nl >= 0 && nl < n)) {
        const end = n === 0 ? 0 : nl;
        bytes += end - (end > 0 && this.buf[end - 1] === CARRIAGE_RETURN ? 1 : 0);
        if (n === 0) this.eof = true;
        else {
          this.bufStart = this.scanFrom = nl + 1;
          this.bufEnd = n;
        }
        this.lineNo++;
        this.overlong(bytes);
        return;
      }
      bytes += n;
    }
  }

  /** Reads into buf from `at` to its end; closes the file and throws on a read error. */
  private read(at: number): number {
    if (this.fd === undefined) return 0;
    try {
      return readSync(this.fd, this.buf, at, this.buf.length - at, null);
    } catch (err) {
      this.close();
      throw new ImgsimError(this.errorCode, `${this.file}: cannot read the ${this.what}: ${(err as Error).message}`);
    }
  }

  private overlong(bytes: number): void {
    const max = this.maxLineBytes;
    const limit = max % (1 << 20) === 0 ? `${max / (1 << 20)} MiB` : `${max} bytes`;
    const article = /^[aeiou]/i.test(this.what) ? 'an' : 'a';
    const problem = `line of ${bytes} bytes is longer than the ${limit} ${article} ${this.what} line may have`;
    if (this.opts.onOverlong) this.opts.onOverlong(problem);
    else {
      this.close();
      throw new ImgsimError(this.errorCode, `${this.file}:${this.lineNo}: ${problem}`);
    }
  }
}
