/**
 * A synchronous, streaming line reader for large text files (traces, attempt logs): the file is
 * read with `readSync` in 64 KiB chunks and split into lines on bytes (a UTF-8 newline byte is
 * never part of a multi-byte character); a line longer than the buffer grows it. A UTF-8 byte
 * order mark is dropped, and so is the CR of a CRLF line ending.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { ImgsimError, type ErrorCode } from '../scenario/errors.js';

/** Bytes read at a time (the buffer grows only for a single longer line). */
const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

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
  ) {
    this.file = file;
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
      if (nl >= 0 && nl < this.bufEnd) return this.takeLine(nl, nl + 1);
      if (this.eof || this.fd === undefined) return this.bufStart < this.bufEnd ? this.takeLine(this.bufEnd, this.bufEnd) : undefined;
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
        n = readSync(this.fd, this.buf, this.bufEnd, this.buf.length - this.bufEnd, null);
      } catch (err) {
        this.close();
        throw new ImgsimError(this.errorCode, `${this.file}: cannot read the ${this.what}: ${(err as Error).message}`);
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
}
