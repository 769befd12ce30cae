/**
 * Atomic file writes: a reader (CI, a dashboard, `imgsim compare`) sees the old file or the new
 * one, never half of one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { registerTempFile, releaseTempFile, removeStaleTempFiles } from './temp-files.js';

// Distinguishes temp files of concurrent writes from one process (several reports at once).
let tempCounter = 0;

/**
 * Writes a file atomically: creates its folder, writes a temp file beside it
 * (`.<name>.<pid>.<counter>.tmp`), fsyncs it and renames it over the target. On failure the temp
 * file is removed, the target is left as it was, and the error is rethrown. Temp files that a
 * killed process left beside the target are removed first (see `temp-files.ts`).
 * @param path - the file to write
 * @param data - its new content (strings as UTF-8)
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  removeStaleTempFiles(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${tempCounter++}.tmp`);
  let fd: number | undefined;
  try {
    registerTempFile(temp); // before the file exists, as in line-file.ts
    fd = openSync(temp, 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd);
    removeQuietly(temp);
    throw err;
  } finally {
    releaseTempFile(temp);
  }
  syncDir(dir);
}

// The cleanup helpers run while another error is on its way out; that error is the one to report.
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already failing: the original error is rethrown by the caller
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // ENOENT when the temp file was never created; anything else is secondary to the original error
  }
}

/** Makes the rename itself durable on POSIX; directories cannot be opened for fsync on Windows. */
function syncDir(dir: string): void {
  if (process.platform === 'win32') return;
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory (EINVAL); the file is written and renamed
    // already, so this only loses crash durability, not correctness.
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}
