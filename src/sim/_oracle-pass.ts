/**
 * The oracle's thread's work (see oracle-thread.ts; loaded by its entry, _oracle-worker.ts): reads
 * the run's traffic again and runs the hindsight oracle, taking each strategy's service levels in
 * request order as the main thread hands them over, and answers with the oracle's result.
 * Internal: only the entry imports it.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { availabilityCurves } from '../model/availability.js';
import { LEVEL_MASK, SERVICE_NONE, type ServiceLevel, type ServiceLevels } from '../metrics/service-log.js';
import { ImgsimError } from '../scenario/errors.js';
import { RingProducer, TrafficRing } from '../traffic/ring.js';
import { ArrivalStream, openTraffic, type RequestSource } from '../traffic/traffic.js';
import { runOracle } from './oracle.js';
import type { LevelsMessage, OracleThreadInit, OracleThreadReply } from './oracle-thread.js';

const parent = parentPort;
if (parent === null) throw new Error('_oracle-pass runs only on the oracle\'s thread');
const init = workerData as OracleThreadInit;
const signal = new Int32Array(init.signal);

/** The main thread gave up (its run failed): this thread stops where it is. */
class Aborted extends Error {}

/** One log's levels as they arrive: chunks in id order, the oldest dropped once read past. */
class RemoteLevels implements ServiceLevels {
  private from = 0;
  private entries: Uint8Array = new Uint8Array(0);
  private readonly queue: { from: number; entries: Uint8Array }[] = [];
  ended = false;

  push(from: number, entries: Uint8Array): void {
    this.queue.push({ from, entries });
  }

  at(requestId: number): ServiceLevel {
    for (;;) {
      if (this.reach(requestId)) return (this.entries[requestId - this.from]! & LEVEL_MASK) as ServiceLevel;
      // Everything sent was read, and the run is over: this request got nothing.
      if (this.ended) return SERVICE_NONE;
      waitForMessage();
    }
  }

  /** Whether {@link at} would answer without waiting (reads what has come meanwhile). */
  ready(requestId: number): boolean {
    for (;;) {
      if (this.reach(requestId) || this.ended) return true;
      if (!takeMessage()) return false;
    }
  }

  /** Moves on to the chunk holding the request, among those come; @returns whether it has come */
  private reach(requestId: number): boolean {
    for (;;) {
      const k = requestId - this.from;
      if (k >= 0 && k < this.entries.length) return true;
      const next = this.queue.shift();
      if (next === undefined) return false;
      this.from = next.from;
      this.entries = next.entries;
    }
  }
}

const logs = Array.from({ length: init.logs }, () => new RemoteLevels());

/** Draws the main thread's traffic into the ring while there is room (synthetic traffic only). */
const producer = (() => {
  const { scenario, ring } = init;
  const traffic = scenario.traffic;
  if (ring === undefined || traffic.kind !== 'synthetic') return undefined;
  return new RingProducer(new TrafficRing(ring), () => new ArrivalStream(traffic, scenario.seed, scenario.startMs, scenario.endMs));
})();

/** The oracle tops up the ring once per 1024 requests it reads (a mask). */
const FILL_EVERY = 0x3ff;

/** The oracle's own requests, topping up the ring every so often as it reads them. */
class FillingSource implements RequestSource {
  private n = 0;
  constructor(
    private readonly inner: RequestSource,
    private readonly ring: RingProducer,
  ) {}

  next(): ReturnType<RequestSource['next']> {
    if ((++this.n & FILL_EVERY) === 0) this.ring.fill();
    return this.inner.next();
  }

  close(): void {
    this.inner.close();
  }
}

/** Files a message the main thread has sent, if any; @returns whether there was one */
function takeMessage(): boolean {
  const received = receiveMessageOnPort(init.port);
  if (received === undefined) return false;
  const m = received.message as LevelsMessage;
  if (m.kind === 'abort') throw new Aborted();
  if (m.kind === 'end') logs[m.log]!.ended = true;
  else logs[m.log]!.push(m.from, m.entries);
  return true;
}

/** Blocks until the main thread sends something, and files it. */
function waitForMessage(): void {
  for (;;) {
    const seen = Atomics.load(signal, 0);
    if (takeMessage()) return;
    producer?.fill();
    Atomics.wait(signal, 0, seen);
  }
}

const reply = (message: OracleThreadReply): void => {
  parent.postMessage(message);
};

try {
  const scenario = init.scenario;
  producer?.fill();
  const own = openTraffic(scenario.traffic, scenario.seed, scenario.startMs, scenario.endMs);
  const source = producer ? new FillingSource(own, producer) : own;
  try {
    let last = 0;
    const run = runOracle(scenario, availabilityCurves(scenario), source, {
      logs,
      ready: (id) => logs.every((log) => log.ready(id)),
      onProgress: (fraction) => {
        if (fraction - last < 0.01) return;
        last = fraction;
        reply({ kind: 'progress', fraction });
      },
    });
    reply({ kind: 'done', run });
  } finally {
    source.close();
  }
} catch (err) {
  if (!(err instanceof Aborted)) {
    reply({ kind: 'failed', code: err instanceof ImgsimError ? err.code : undefined, message: err instanceof Error ? err.message : String(err) });
  }
}
init.port.close();
