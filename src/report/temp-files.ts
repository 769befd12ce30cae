/**
 * The temp files that atomic writes keep open (`.<name>.<pid>[.<n>].tmp` beside their target):
 * a registry the CLI empties when it is interrupted (SIGINT, SIGTERM), and the clean-up of temp
 * files that a killed process (SIGKILL, a crash) left behind, done at the next write to the same
 * target. The library never touches process signals; only the CLI does.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const open = new Set<string>();
let onOpen: (() => void) | undefined;

/**
 * Sets the function called whenever a temp file is registered (the CLI installs its signal
 * handlers then, so a command that writes nothing keeps the default, immediate Ctrl-C).
 * @param hook - the function, or undefined to remove it
 */
export function setTempFileHook(hook: (() => void) | undefined): void {
  onOpen = hook;
}

/**
 * Records a temp file as being written by this process.
 * @param file - its path
 */
export function registerTempFile(file: string): void {
  open.add(file);
  onOpen?.();
}

/**
 * Forgets a temp file (renamed over its target, or removed).
 * @param file - its path
 */
export function releaseTempFile(file: string): void {
  open.delete(file);
}

/**
 * Removes every temp file this process is writing, ignoring errors: for the CLI's signal
 * handlers, right before the process exits.
 * @returns how many were removed
 */
export function removeOpenTempFiles(): number {
  let removed = 0;
  for (const file of open) {
    try {
      unlinkSync(file);
      removed++;
    } catch {
      // already gone, or not removable: nothing more can be done on the way out
    }
  }
  open.clear();
  return removed;
}

/**
 * Removes the temp files of earlier writes to a target whose process is gone (killed before it
 * could clean up): `.<name>.<pid>.tmp` and `.<name>.<pid>.<n>.tmp` where `<pid>` is not a live
 * process. Temp files of live processes, and of this one, are left alone. Errors are ignored:
 * this is housekeeping, never a reason for a write to fail.
 * @param target - the file about to be written
 * @returns the paths removed
 */
export function removeStaleTempFiles(target: string): string[] {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const match = /^(\d+)(?:\.\d+)?\.tmp$/.exec(name.slice(prefix.length));
    const pid = match ? Number(match[1]) : NaN;
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    const file = join(dir, name);
    try {
      unlinkSync(file);
      removed.push(file);
    } catch {
      // removed meanwhile by someone else, or not ours to remove
    }
  }
  return removed;
}

/** Whether a process exists (EPERM: it exists but belongs to another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
