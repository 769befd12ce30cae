/**
 * The hindsight oracle on a second thread, beside the strategies' runs. The oracle's pass reads
 * the traffic again and prices every request (oracle.ts); it needs each strategy's service log
 * only to sum that strategy's lower bound, in request order. So the thread starts with the
 * strategies, reads the same traffic from the same seed, and takes each log's levels as they
 * become final (ServiceLog `flush`), waiting when it gets ahead; its figures are the same bytes
 * as the pass on the main thread (same code, same order of every sum). A run then costs about
 * the longer of the two passes instead of their sum, on a machine with a core to spare.
 *
 * Protocol: levels go over a MessageChannel that the thread reads synchronously
 * (`receiveMessageOnPort`); a shared counter bumped after each message lets it sleep
 * (`Atomics.wait`) when nothing is there. The thread answers on its parent port.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ServiceLogSink } from '../metrics/service-log.js';
import { ImgsimError, type ErrorCode } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { RingSource, TrafficRing } from '../traffic/ring.js';
import { ArrivalStream, type RequestSource } from '../traffic/traffic.js';
import type { OracleRun } from './oracle.js';

/** Expected requests from which a run's oracle gets its own thread (below, its start-up costs more than it saves). */
export const ORACLE_THREAD_MIN_REQUESTS = 100_000;
/** A trace at least this large (bytes) counts as large enough for the thread. */
const ORACLE_THREAD_MIN_TRACE_BYTES = 8_000_000;

/** What the thread starts with. */
export interface OracleThreadInit {
  readonly scenario: ResolvedScenario;
  /** Number of service logs (one per strategy run). */
  readonly logs: number;
  /** Where the levels come (read synchronously). */
  readonly port: MessagePort;
  /** Int32 counter, bumped after every message on `port` (and when the main thread has taken traffic from the ring). */
  readonly signal: SharedArrayBuffer;
  /** The {@link TrafficRing} the thread draws the main thread's synthetic traffic into. */
  readonly ring: SharedArrayBuffer | undefined;
}

/** Messages on the levels port. */
export type LevelsMessage =
  | { readonly kind: 'levels'; readonly log: number; readonly from: number; readonly entries: Uint8Array }
  | { readonly kind: 'end'; readonly log: number }
  | { readonly kind: 'abort' };

/** Messages from the thread. */
export type OracleThreadReply =
  | { readonly kind: 'progress'; readonly fraction: number }
  | { readonly kind: 'done'; readonly run: OracleRun }
  | { readonly kind: 'failed'; readonly code: ErrorCode | undefined; readonly message: string };

/** The compiled worker entry beside this module (absent when running from the TypeScript sources). */
const ENTRY = new URL('./_oracle-worker.js', import.meta.url);

/**
 * Whether a run is large enough for the oracle's thread: synthetic traffic expected to bring at
 * least {@link ORACLE_THREAD_MIN_REQUESTS} requests at its base rate, or a large trace.
 * @param scenario - the scenario as run
 * @param traceBytes - the trace file's size, for replayed traffic
 * @returns true when the thread pays for itself
 */
export function oracleThreadPays(scenario: ResolvedScenario, traceBytes: number | undefined): boolean {
  const traffic = scenario.traffic;
  if (traffic.kind === 'trace') return (traceBytes ?? 0) >= ORACLE_THREAD_MIN_TRACE_BYTES;
  return traffic.arrivals.rate * (scenario.durationMs / 1000) >= ORACLE_THREAD_MIN_REQUESTS;
}

/** The oracle running on its own thread; feed it each log ({@link sink}, {@link end}), then await {@link result}. */
export class OracleThread {
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private settled = false;
  private readonly done: Promise<OracleRun>;
  private progress: ((fraction: number) => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    port: MessagePort,
    signal: SharedArrayBuffer,
    private readonly ring: TrafficRing | undefined,
  ) {
    this.port = port;
    this.signal = new Int32Array(signal);
    this.done = new Promise<OracleRun>((resolve, reject) => {
      worker.on('message', (reply: OracleThreadReply) => {
        if (reply.kind === 'progress') this.progress?.(reply.fraction);
        else if (reply.kind === 'done') resolve(reply.run);
        else reject(reply.code === undefined ? new Error(reply.message) : new ImgsimError(reply.code, reply.message));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        reject(new Error(`the oracle's thread exited (code ${code}) before its result`));
      });
    });
    // Until the result is awaited, a failure waits here (no unhandled rejection).
    this.done.catch(() => undefined);
  }

  /**
   * Starts the thread, or returns undefined when its compiled entry is not there (the package
   * run from its TypeScript sources, as in its own unit tests): the caller runs the oracle inline.
   * @param scenario - the scenario as run (overrides applied)
   * @param logs - how many service logs will come
   * @returns the thread, or undefined
   */
  static start(scenario: ResolvedScenario, logs: number): OracleThread | undefined {
    if (!existsSync(fileURLToPath(ENTRY))) return undefined;
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const ring = scenario.traffic.kind === 'synthetic' ? TrafficRing.create() : undefined;
    const init: OracleThreadInit = { scenario, logs, port: port2, signal, ring: ring?.buffer };
    const worker = new Worker(ENTRY, { workerData: init, transferList: [port2] });
    worker.unref();
    return new OracleThread(worker, port1, signal, ring);
  }

  /**
   * One strategy run's requests: its synthetic traffic drawn by the thread (see ring.ts), else
   * the source as it is. Call once per run, in run order.
   * @param log - the run's index (its log's)
   * @param source - a fresh source of the run's traffic
   * @returns a source of the same requests
   */
  traffic(log: number, source: RequestSource): RequestSource {
    if (this.ring === undefined || !(source instanceof ArrivalStream)) return source;
    return new RingSource(this.ring, log, source, () => {
      this.poke();
    });
  }

  /**
   * The sink of one strategy's service log.
   * @param log - the log's index (the strategy's, in run order)
   * @returns a {@link ServiceLogSink} that hands final levels to the thread
   */
  sink(log: number): ServiceLogSink {
    return (from, entries) => {
      // Copied, not transferred: detaching an ArrayBuffer (a transfer does) breaks V8's "no
      // buffer was ever detached" assumption for the whole isolate, and every optimized function
      // that reads a typed array, the event loop's included, was thrown away at the first flush.
      this.send({ kind: 'levels', log, from, entries });
    };
  }

  /**
   * The log's run is over (after its `close`): ids not sent got nothing.
   * @param log - the log's index
   */
  end(log: number): void {
    this.send({ kind: 'end', log });
  }

  /**
   * Waits for the oracle's result.
   * @param onProgress - the thread's progress, fraction of the window done
   * @returns the same figures as `runOracle` on this thread
   */
  async result(onProgress?: (fraction: number) => void): Promise<OracleRun> {
    this.progress = onProgress;
    try {
      return await this.done;
    } finally {
      this.stop();
    }
  }

  /** Stops the thread (at once; a run that failed need not wait for it). */
  stop(): void {
    if (this.settled) return;
    this.settled = true;
    this.send({ kind: 'abort' });
    this.port.close();
    void this.worker.terminate();
  }

  private send(message: LevelsMessage, transfer: ArrayBuffer[] = []): void {
    if (this.settled) return;
    this.port.postMessage(message, transfer);
    this.poke();
  }

  /** Wakes the thread (a message, or room in the ring). */
  private poke(): void {
    Atomics.add(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
  }
}
