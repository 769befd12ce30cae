/**
 * A pool of worker threads (node:worker_threads, no library) that simulate whole runs. Each
 * thread loads the scenario's strategy files once, then takes one task at a time; the pool hands
 * the next task to whichever thread is free and stores each result at its task's position, so
 * the results are the same for any number of threads. Threads answer with a run's compact
 * summary as JSON text, which keeps what crosses threads small.
 */
import { Worker } from 'node:worker_threads';
import { ImgsimError, type ErrorCode } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { inlineExecutor, type RunExecutor, type RunTask } from './monte-carlo.js';
import type { RunSummary } from './summary.js';

/** What a worker thread starts with. */
export interface WorkerInit {
  readonly scenario: ResolvedScenario;
}

/** Messages to a worker thread. */
export type WorkerRequest = { readonly kind: 'task'; readonly id: number; readonly task: RunTask } | { readonly kind: 'close' };

/** Messages from a worker thread. */
export type WorkerReply =
  | { readonly kind: 'progress'; readonly id: number; readonly fraction: number; readonly heapMb: number }
  | { readonly kind: 'done'; readonly id: number; readonly summary: string; readonly heapMb: number }
  | { readonly kind: 'failed'; readonly id: number; readonly code: ErrorCode | undefined; readonly message: string };

/** What one thread did. */
export interface ThreadStats {
  readonly runs: number;
  /** Peak V8 heap of the thread (committed heap plus external memory), MB. */
  readonly peakHeapMb: number;
}

/** Options of {@link createWorkerPool}. */
export interface PoolOptions {
  /** Threads to start (at least 1). */
  readonly threads: number;
  /** Caps each thread's old generation, MB (a thread past it fails the forecast). */
  readonly maxOldGenerationSizeMb?: number;
}

/** A {@link RunExecutor} on worker threads, with per-thread statistics. */
export interface WorkerPool extends RunExecutor {
  /** Runs and peak heap of each thread so far. */
  stats(): ThreadStats[];
}

interface Slot {
  readonly worker: Worker;
  busy: number;
  runs: number;
  peakHeapMb: number;
  exited: boolean;
}

/**
 * Starts a pool of worker threads for a scenario. The worker entry is the compiled
 * `_worker.js` beside this module, so the pool runs from dist/ (as the CLI does).
 * @param scenario - the resolved scenario (cloned into each thread)
 * @param opts - thread count and memory cap
 * @returns the pool; close it when done
 */
export function createWorkerPool(scenario: ResolvedScenario, opts: PoolOptions): WorkerPool {
  const init: WorkerInit = { scenario };
  let failure: Error | undefined;
  let onEvent: (() => void) | undefined;
  const replies: { slot: Slot; reply: WorkerReply }[] = [];
  const slots: Slot[] = Array.from({ length: Math.max(1, opts.threads) }, () => {
    const worker = new Worker(new URL('./_worker.js', import.meta.url), {
      workerData: init,
      ...(opts.maxOldGenerationSizeMb === undefined ? {} : { resourceLimits: { maxOldGenerationSizeMb: opts.maxOldGenerationSizeMb } }),
    });
    const slot: Slot = { worker, busy: -1, runs: 0, peakHeapMb: 0, exited: false };
    worker.on('message', (reply: WorkerReply) => {
      replies.push({ slot, reply });
      onEvent?.();
    });
    worker.on('error', (err) => {
      failure ??= err;
      onEvent?.();
    });
    worker.on('exit', (code) => {
      slot.exited = true;
      if (slot.busy >= 0) failure ??= new Error(`a forecast worker thread exited (code ${code}) during a run`);
      onEvent?.();
    });
    return slot;
  });
  let running = false;

  return {
    threads: slots.length,
    async run(tasks: readonly RunTask[], onProgress?: (fraction: number) => void): Promise<RunSummary[]> {
      if (running) throw new Error('the worker pool runs one batch at a time');
      running = true;
      try {
        const results = new Array<RunSummary | undefined>(tasks.length);
        const fractions = new Float64Array(tasks.length);
        let next = 0;
        let done = 0;
        const dispatch = (): void => {
          for (const slot of slots) {
            if (slot.busy >= 0 || slot.exited || next >= tasks.length) continue;
            slot.busy = next;
            const request: WorkerRequest = { kind: 'task', id: next, task: tasks[next]! };
            slot.worker.postMessage(request);
            next++;
          }
        };
        dispatch();
        while (done < tasks.length) {
          if (failure) throw failure;
          const item = replies.shift();
          if (item === undefined) {
            await new Promise<void>((resolve) => (onEvent = resolve));
            onEvent = undefined;
            continue;
          }
          const { slot, reply } = item;
          if (reply.kind === 'failed') {
            slot.busy = -1;
            throw reply.code === undefined ? new Error(reply.message) : new ImgsimError(reply.code, reply.message);
          }
          slot.peakHeapMb = Math.max(slot.peakHeapMb, reply.heapMb);
          if (reply.kind === 'progress') {
            fractions[reply.id] = reply.fraction;
          } else {
            results[reply.id] = JSON.parse(reply.summary) as RunSummary;
            fractions[reply.id] = 1;
            slot.busy = -1;
            slot.runs++;
            done++;
            dispatch();
          }
          if (onProgress) {
            let sum = 0;
            for (const f of fractions) sum += f;
            onProgress(sum / tasks.length);
          }
        }
        return results as RunSummary[];
      } finally {
        running = false;
      }
    },
    stats: () => slots.map((s) => ({ runs: s.runs, peakHeapMb: s.peakHeapMb })),
    async close(): Promise<void> {
      await Promise.all(
        slots.map(async (slot) => {
          if (slot.exited) return;
          const exited = new Promise<void>((resolve) => slot.worker.once('exit', () => { resolve(); }));
          // A thread busy with a run (after a failure elsewhere) is stopped, not waited for.
          if (slot.busy >= 0) await slot.worker.terminate();
          else slot.worker.postMessage({ kind: 'close' } satisfies WorkerRequest);
          await exited;
        }),
      );
    },
  };
}

/**
 * An executor: worker threads, or this thread when `threads` is 0.
 * @param scenario - the resolved scenario
 * @param threads - worker threads (0: simulate on this thread)
 * @returns the executor; close it when done
 */
export function createExecutor(scenario: ResolvedScenario, threads: number): RunExecutor {
  return threads === 0 ? inlineExecutor(scenario) : createWorkerPool(scenario, { threads });
}
