/**
 * A progress bar for long runs: on a TTY only, never on a pipe, in CI or with --quiet.
 */
import { formatDuration } from '../scenario/units.js';

/** Something that can show progress. */
export interface Progress {
  /** Shows how far the work is, as a fraction in [0, 1], with a label. */
  update(fraction: number, label: string): void;
  /** Clears the bar. */
  done(): void;
}

const SILENT: Progress = { update: () => undefined, done: () => undefined };
const WIDTH = 24;
/** Redraw at most this often, ms. */
const REDRAW_MS = 100;

/**
 * A progress bar on stderr when it is a TTY and not in CI; otherwise one that prints nothing.
 * @param quiet - the user asked for no output
 * @returns the progress reporter
 */
export function createProgress(quiet: boolean): Progress {
  const stream = process.stderr;
  if (quiet || !stream.isTTY || process.env.CI) return SILENT;
  const started = performance.now();
  let last = 0;
  return {
    update(fraction, label) {
      const now = performance.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      const f = Math.min(1, Math.max(0, fraction));
      const filled = Math.round(f * WIDTH);
      const elapsed = now - started;
      const eta = f > 0.01 ? formatDuration((elapsed * (1 - f)) / f) : '…';
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${label} ETA ${eta}\x1b[K`);
    },
    done() {
      if (last > 0) stream.write('\r\x1b[K');
    },
  };
}
