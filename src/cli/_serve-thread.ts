/**
 * Runs `imgsim serve`'s server on a worker thread with a small young generation.
 *
 * Why: a mock provider holds thousands of requests open for seconds, so nearly everything a
 * request allocates survives V8's minor GCs. With the default young generation (semi-spaces
 * growing to 16 MB) each scavenge copies megabytes of survivors and stops the server for
 * 10-25 ms, and every answer due in that pause is written late: the emulated latency's p99
 * error went past 5 ms at 5,000 open requests. Semi-spaces of 4 MB (8 MB of young generation)
 * keep that p99 at 3-4 ms, the same as 2 MB semi-spaces, and under zero-latency load they need
 * half the scavenges of 2 MB (530 instead of 1,100 per 200k requests, 0.6 µs less GC per
 * request). A thread is the one place a running process can choose that (`resourceLimits`),
 * without re-spawning itself.
 */
import { Worker } from 'node:worker_threads';
import type { LedgerSnapshot } from '../live/ledger.js';

/** Young generation of the server thread, MB (V8 makes two 4 MB semi-spaces of it; 6 MB gives 2 MB, 16 MB gives 8 MB). */
export const SERVE_YOUNG_GENERATION_MB = 8;

/** What the worker needs to start the server. */
export interface ServeWorkerData {
  readonly file: string;
  readonly port: number;
  readonly host: string;
  readonly timeScale: number;
  /** Requests the journal keeps (`--journal`). */
  readonly journalSize: number;
  /** The admin key (`--admin-key`). */
  readonly adminKey?: string;
  /** More names the admin endpoints answer to (`--allowed-host`). */
  readonly allowedHosts?: readonly string[];
  /** The thread's V8 old-generation limit, MB (`--max-heap`); V8's default when absent. */
  readonly maxHeapMb?: number;
}

/** How often the thread reports its ledger to the main thread when it changed, ms. */
export const LEDGER_REPORT_MS = 250;

/** Messages from the worker. */
export type ServeWorkerReply =
  | { readonly kind: 'listening'; readonly url: string }
  | { readonly kind: 'failed'; readonly code: string | undefined; readonly message: string }
  | { readonly kind: 'ledger'; readonly ledger: LedgerSnapshot }
  | { readonly kind: 'closed'; readonly ledger: LedgerSnapshot };

/** The last ledger the thread reported, and when it came. */
export interface ReportedLedger {
  readonly ledger: LedgerSnapshot;
  /** Wall epoch ms of the report. */
  readonly atMs: number;
}

/** A server running on its own thread. */
export interface ServerThread {
  readonly url: string;
  /**
   * Closes the server gracefully and returns its ledger; the thread then exits.
   * @throws when the thread died (see {@link died})
   */
  close(): Promise<LedgerSnapshot>;
  /** Resolves with the reason when the thread ends without being asked to (out of memory, an uncaught error). */
  readonly died: Promise<Error>;
  /** The latest ledger the thread reported (every {@link LEDGER_REPORT_MS} while it changes); undefined before the first. */
  lastLedger(): ReportedLedger | undefined;
}

/** A start failure of the server (e.g. the port is taken), with the errno code. */
export class ServeStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Starts the server of a scenario file on a worker thread.
 * @param data - scenario file (already validated), port, host, time scale
 * @param onLedger - receives every ledger the thread reports
 * @returns the running server once it listens
 */
export function startServerThread(data: ServeWorkerData, onLedger?: (reported: ReportedLedger) => void): Promise<ServerThread> {
  const worker = new Worker(new URL('./_serve-worker.js', import.meta.url), {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: SERVE_YOUNG_GENERATION_MB, ...(data.maxHeapMb === undefined ? {} : { maxOldGenerationSizeMb: data.maxHeapMb }) },
  });
  // Every reply but ledger reports, in order; an `error` (an exception escaped the thread) ends all waits.
  const replies: ServeWorkerReply[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let latest: ReportedLedger | undefined;
  let closing = false;
  let reportDeath: (err: Error) => void = () => undefined;
  const died = new Promise<Error>((resolve) => (reportDeath = resolve));
  const fail = (err: Error): void => {
    failure ??= err;
    if (!closing) reportDeath(failure);
    wake?.();
  };
  worker.on('message', (m: ServeWorkerReply) => {
    if (m.kind === 'ledger' || m.kind === 'closed') latest = { ledger: m.ledger, atMs: Date.now() };
    if (m.kind === 'ledger') {
      onLedger?.(latest!);
      return;
    }
    replies.push(m);
    wake?.();
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    fail(new Error(`the server thread exited (code ${code})`));
  });
  const next = async (): Promise<ServeWorkerReply> => {
    for (;;) {
      const m = replies.shift();
      if (m !== undefined) return m;
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return next().then((first) => {
    if (first.kind === 'failed') throw new ServeStartError(first.message, first.code);
    if (first.kind !== 'listening') throw new Error(`unexpected message from the server thread: ${first.kind}`);
    return {
      url: first.url,
      died,
      lastLedger: () => latest,
      close: async () => {
        if (failure !== undefined) throw failure;
        worker.postMessage('close');
        const last = await next();
        if (last.kind !== 'closed') throw new Error(`unexpected message from the server thread: ${last.kind}`);
        closing = true;
        return last.ledger;
      },
    };
  });
}
