/**
 * The per-decision watchdog: a strategy file's `route`, `observe`, `explain` or `plan.next` that
 * does not return within a limit (default 5 s of wall time) ends the run with an error naming the
 * strategy, its file and the function, instead of hanging forever.
 *
 * Why this design: strategy code runs synchronously on the simulator's thread, and nothing on
 * that thread can run while it loops, so the watch must come from another thread and must be
 * able to interrupt JavaScript. Node offers one supported way to interrupt running JavaScript on
 * its own thread: `vm`'s `breakOnSigint`, which turns a SIGINT into an exception in the script.
 * So:
 * - the guard of a strategy file (`strategy-guard.ts`) marks every call into the strategy's code
 *   in a SharedArrayBuffer (a call counter and a busy flag: two atomic stores a call, no clock);
 * - a small watcher thread (a worker, started with the first strategy file; the wall clock is
 *   read there, never in `sim/`) sees a call busy for longer than the limit, flags it and sends
 *   the process SIGINT;
 * - {@link runWatched} runs a whole simulation under `vm` with `breakOnSigint` (one `vm` call a
 *   run, not one a decision: a timeout per call would cost ~0.1 ms each), so that SIGINT ends it
 *   at once, and reports the flagged call as the strategy's `invalid-strategy` error.
 * A Ctrl-C during such a run is told apart by the flag and passed on to the process's own SIGINT
 * handling. Calls are marked only inside `runWatched`, where a SIGINT can interrupt them: the live
 * harness and `imgsim explain` call strategies between awaits and are not watched this way.
 */
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';
import { strategyError, type StrategySource } from './strategy-guard.js';

/** The default limit for one call into a strategy file's code, ms of wall time. */
export const DEFAULT_STRATEGY_TIMEOUT_MS = 5_000;

// Shared with the watcher: [calls so far, state (0 idle, 1 busy, 2 fired), limit ms (0: off)].
const CALLS = 0;
const STATE = 1;
const LIMIT = 2;
const BUSY = 1;
const FIRED = 2;
const shared = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
Atomics.store(shared, LIMIT, DEFAULT_STRATEGY_TIMEOUT_MS);

/** What is running now, innermost last (a file strategy may call another through `env.build`). */
const running: { src: StrategySource; fn: string }[] = [];
let watcher: Worker | undefined;
/** Inside {@link runWatched}: only there can a SIGINT interrupt strategy code, so only there are calls marked. */
let watching = false;

/** The watcher thread's code: polls the shared counters every 50 ms (CommonJS, run with `eval`). */
const WATCHER_SOURCE = `
const { workerData } = require('node:worker_threads');
const shared = new Int32Array(workerData);
let seen = -1;
let since = 0;
setInterval(() => {
  const calls = Atomics.load(shared, ${CALLS});
  const limit = Atomics.load(shared, ${LIMIT});
  if (Atomics.load(shared, ${STATE}) !== ${BUSY} || calls !== seen || limit <= 0) {
    seen = calls;
    since = Date.now();
    return;
  }
  if (Date.now() - since >= limit) {
    Atomics.store(shared, ${STATE}, ${FIRED});
    seen = -1;
    process.kill(process.pid, 'SIGINT');
  }
}, 50);
`;

/**
 * Sets the limit for one call into a strategy file's code.
 * @param timeoutMs - ms of wall time; 0 turns the watchdog off
 */
export function setStrategyTimeout(timeoutMs: number): void {
  Atomics.store(shared, LIMIT, Math.max(0, Math.min(2 ** 31 - 1, Math.round(timeoutMs))));
}

/** Starts the watcher thread, once (called when a strategy file's strategy is made). */
export function armWatchdog(): void {
  if (watcher !== undefined) return;
  watcher = new Worker(WATCHER_SOURCE, { eval: true, workerData: shared.buffer });
  watcher.unref();
}

/**
 * Marks the start of a call into a strategy's code.
 * @param src - the strategy and its file
 * @param fn - the function called
 */
export function enterStrategy(src: StrategySource, fn: string): void {
  running.push({ src, fn });
  if (running.length === 1 && watching) {
    Atomics.add(shared, CALLS, 1);
    Atomics.store(shared, STATE, BUSY);
  }
}

/** Marks the end of the call begun by the last {@link enterStrategy}. */
export function leaveStrategy(): void {
  running.pop();
  if (running.length === 0) Atomics.store(shared, STATE, 0);
}

/**
 * Runs a synchronous piece of work (a simulation) so that the watchdog can end a strategy call in
 * it that does not return. Without strategy files it just calls `work`.
 * @param work - the work
 * @returns what it returns
 * @throws ImgsimError (`invalid-strategy`) when the watchdog ended a strategy call
 */
export function runWatched<T>(work: () => T): T {
  if (watcher === undefined || Atomics.load(shared, LIMIT) <= 0) return work();
  const context = vm.createContext({ work, result: undefined as T | undefined });
  watching = true;
  try {
    new vm.Script('result = work()').runInContext(context, { breakOnSigint: true });
    return context.result as T;
  } catch (err) {
    if ((err as { code?: unknown } | null)?.code !== 'ERR_SCRIPT_EXECUTION_INTERRUPTED') throw err;
    const fired = Atomics.load(shared, STATE) === FIRED;
    const top = running.at(-1);
    running.length = 0;
    Atomics.store(shared, STATE, 0);
    if (!fired || top === undefined) {
      // A real Ctrl-C: hand it on to the process's own SIGINT handling.
      process.kill(process.pid, 'SIGINT');
      throw err;
    }
    throw strategyError(
      top.src,
      `${top.fn} did not return within ${Atomics.load(shared, LIMIT)} ms (an endless loop?); the watchdog stopped the run (raise the limit with --strategy-timeout, 0 turns it off)`,
    );
  } finally {
    watching = false;
    Atomics.store(shared, STATE, 0);
  }
}
