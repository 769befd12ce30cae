/**
 * Terminal output helpers: the only place besides the commands that writes to the terminal.
 */
import { ImgsimError, formatProblem } from '../scenario/errors.js';

/** Exit codes (docs/contract.md §4). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Prints an error without a stack trace and returns the exit code it maps to.
 * @param err - anything thrown
 * @returns 2 for every imgsim error and for unexpected ones
 */
export function reportError(err: unknown): number {
  if (err instanceof ImgsimError) {
    if (err.problems.length > 0) {
      for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
      if (err.problems.length > 1) process.stderr.write(`${err.problems.length} problems\n`);
    } else {
      process.stderr.write(`imgsim: ${err.message}\n`);
    }
    return EXIT.usage;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`imgsim: internal error: ${message}\n(set IMGSIM_DEBUG=1 for a stack trace, and please report it)\n`);
  if (process.env.IMGSIM_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT.usage;
}

