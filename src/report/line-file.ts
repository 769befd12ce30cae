/**
 * A large text file written line by line (the attempt log): buffered, synchronous (the engine
 * runs synchronously), and atomic like every report file: lines go to a temp file beside the
 * target that is renamed over it on {@link LineFileWriter.close}, or removed on
 * {@link LineFileWriter.abort}. The open temp file is in the registry of `temp-files.ts` (the CLI
 * removes it when interrupted); temp files of killed runs are removed when the next one starts.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { registerTempFile, releaseTempFile, removeStaleTempFiles } from './temp-files.js';

/** Bytes buffered before a write. */
const FLUSH_BYTES = 1 << 20;

/** Writes lines to a file that appears, whole, when closed. */
export class LineFileWriter {
  /** Lines written so far. */
  lines = 0;
  private readonly temp: string;
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;

  /**
   * Creates the folder and the temp file.
   * @param path - the file to write
   */
  constructor(readonly path: string) {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    removeStaleTempFiles(path);
    this.temp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
    // Registered before it exists: the CLI's signal handlers are in place by the time anyone
    // can see the file (a signal in between would end the process and leave it behind).
    registerTempFile(this.temp);
    try {
      this.fd = openSync(this.temp, 'w');
    } catch (err) {
      releaseTempFile(this.temp);
      throw err;
    }
  }

  /**
   * Adds one line (a newline is appended).
   * @param line - the line, without a newline
   */
  write(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    this.lines++;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
  }

  /** Writes what is buffered, syncs, and renames the temp file over the target. */
  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
    renameSync(this.temp, this.path);
    releaseTempFile(this.temp);
  }

  /** Drops the temp file (after a failed run); the target is left as it was. */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.temp);
    } catch {
      // already gone: nothing to clean up
    }
    releaseTempFile(this.temp);
  }

  private flush(): void {
    if (this.pending.length === 0 || this.fd === undefined) return;
    const bytes = Buffer.from(`${this.pending.join('\n')}\n`, 'utf8');
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    this.pending = [];
    this.pendingBytes = 0;
  }
}
