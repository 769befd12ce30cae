/**
 * Synthetic traffic drawn on another thread: a ring of columns in shared memory, which the
 * hindsight oracle's thread fills (it reads the same traffic anyway) and the main thread's run
 * takes its requests from, building each from its draws (class, steps, prompt and project
 * indices, arrival) instead of drawing them: cheaper, and the same requests, since both threads
 * draw them with the same {@link ArrivalStream}.
 *
 * The main thread never waits for the ring. Its own stream draws whatever the ring does not hold
 * yet (at the start, before the other thread is up, or when it falls behind): the ring keeps,
 * with every batch, the stream's state after it, so the main thread's stream takes up the draws
 * where the ring stops; and it takes from the ring again once the ring is ahead.
 *
 * One pass at a time: each strategy's run asks for a pass (its index), which restarts the
 * producer's stream. The producer never overwrites what the consumer has not taken: it writes up
 * to `consumed + RING_ENTRIES`, `consumed` being what the consumer last published (at most what
 * it has taken).
 */
import type { ImageRequest } from '../model/request.js';
import { type ArrivalStream, type RequestSource, STREAM_STATE_LENGTH } from './traffic.js';

/** Requests the ring holds. */
export const RING_ENTRIES = 1 << 16;
/** Requests written (and published) together; the consumer publishes what it took as often. */
const BATCH = 1 << 10;
/** Saved stream states: one per batch, kept two rings' worth (never overwritten before read). */
const STATES = (2 * RING_ENTRIES) / BATCH;
/** The consumer wakes the producer each time it has taken this many more. */
const WAKE_EVERY = RING_ENTRIES / 4;
/** Ids past this do not fit the header's counters: the producer stops there. */
const MAX_ID = 0x7fff_ffff - RING_ENTRIES;

// Header counters (Int32, read and written with Atomics).
/** The pass the consumer wants (the strategy run's index). */
const H_WANTED = 0;
/** The pass the ring holds. */
const H_PASS = 1;
/** Requests of the pass written so far. */
const H_WRITTEN = 2;
/** Requests of the pass the consumer has taken (published every batch). */
const H_CONSUMED = 3;
/** The pass's number of requests once its stream has ended, else -1. */
const H_END = 4;
const HEADER_BYTES = 32;

/** The ring's columns over one SharedArrayBuffer (made by {@link TrafficRing.create}, shared with the other thread). */
export class TrafficRing {
  readonly header: Int32Array;
  readonly arrivalMs: Float64Array;
  /** Stream states, {@link STREAM_STATE_LENGTH} numbers per batch. */
  readonly states: Float64Array;
  readonly classIndex: Int32Array;
  /**
   * Whole numbers (at most `MAX_STEPS`), kept as such: a request built from a float column had
   * its steps stored as a double, a new shape for request objects, which threw away the optimized
   * code reading them once the main thread went from its own draws to the ring's.
   */
  readonly steps: Int32Array;
  readonly promptIndex: Int32Array;
  readonly projectIndex: Int32Array;

  /** @param buffer - from {@link TrafficRing.create} (on either thread) */
  constructor(readonly buffer: SharedArrayBuffer) {
    let at = 0;
    const take = (bytes: number): number => {
      const from = at;
      at += bytes;
      return from;
    };
    this.header = new Int32Array(buffer, take(HEADER_BYTES), HEADER_BYTES / 4);
    this.arrivalMs = new Float64Array(buffer, take(8 * RING_ENTRIES), RING_ENTRIES);
    this.states = new Float64Array(buffer, take(8 * STATES * STREAM_STATE_LENGTH), STATES * STREAM_STATE_LENGTH);
    this.classIndex = new Int32Array(buffer, take(4 * RING_ENTRIES), RING_ENTRIES);
    this.steps = new Int32Array(buffer, take(4 * RING_ENTRIES), RING_ENTRIES);
    this.promptIndex = new Int32Array(buffer, take(4 * RING_ENTRIES), RING_ENTRIES);
    this.projectIndex = new Int32Array(buffer, take(4 * RING_ENTRIES), RING_ENTRIES);
  }

  /** @returns a new, empty ring */
  static create(): TrafficRing {
    const bytes = HEADER_BYTES + (8 + 4 + 4 + 4 + 4) * RING_ENTRIES + 8 * STATES * STREAM_STATE_LENGTH;
    const ring = new TrafficRing(new SharedArrayBuffer(bytes));
    ring.header[H_PASS] = -1;
    ring.header[H_END] = -1;
    return ring;
  }
}

/** The producer's side: draws each pass the consumer asks for into the ring, as room allows. */
export class RingProducer {
  private stream: ArrivalStream | undefined;
  private pass = -1;
  private written = 0;
  private ended = false;

  /**
   * @param ring - the shared ring
   * @param open - opens a fresh stream of the run's traffic (the same the consumer opens)
   */
  constructor(
    private readonly ring: TrafficRing,
    private readonly open: () => ArrivalStream,
  ) {}

  /** Writes whole batches while there is room (cheap when there is none); call it often. */
  fill(): void {
    const h = this.ring.header;
    const wanted = Atomics.load(h, H_WANTED);
    if (wanted !== this.pass) this.restart(wanted);
    if (this.ended) return;
    while (this.written + BATCH <= Atomics.load(h, H_CONSUMED) + RING_ENTRIES) {
      if (!this.writeBatch()) return;
    }
  }

  private restart(pass: number): void {
    const h = this.ring.header;
    this.stream?.close();
    this.stream = this.open();
    this.pass = pass;
    this.written = 0;
    this.ended = false;
    // The consumer reads the pass first: the counters below are this pass's by then.
    Atomics.store(h, H_END, -1);
    Atomics.store(h, H_WRITTEN, 0);
    Atomics.store(h, H_PASS, pass);
  }

  /** @returns whether there is more to write */
  private writeBatch(): boolean {
    const ring = this.ring;
    const stream = this.stream!;
    let n = this.written;
    const stop = n + BATCH;
    let streamEnded = false;
    for (; n < stop; n++) {
      const arrivalMs = stream.advance();
      if (arrivalMs < 0) {
        streamEnded = true;
        break;
      }
      const k = n & (RING_ENTRIES - 1);
      ring.arrivalMs[k] = arrivalMs;
      ring.classIndex[k] = stream.drawnClass;
      ring.steps[k] = stream.drawnSteps;
      ring.promptIndex[k] = stream.drawnPrompt;
      ring.projectIndex[k] = stream.drawnProject;
    }
    this.written = n;
    this.ended = streamEnded || n >= MAX_ID;
    // The end first: a consumer that sees the last count sees the end with it.
    if (streamEnded) Atomics.store(ring.header, H_END, n);
    else stream.save(ring.states, ((n / BATCH) % STATES) * STREAM_STATE_LENGTH);
    Atomics.store(ring.header, H_WRITTEN, n);
    return !this.ended;
  }
}

/**
 * The consumer's side: a {@link RequestSource} over one pass of the ring, its own stream drawing
 * whatever the ring does not hold (the same requests as that stream alone would give).
 */
export class RingSource implements RequestSource {
  private readonly ring: TrafficRing;
  /** Requests taken so far (the next one's id). */
  private taken = 0;
  /** Requests the ring was last seen to hold. */
  private written = 0;
  /** While drawing on this thread: when to look at the ring again (once a batch). */
  private lookAt = 0;
  private wokeAt = 0;
  private done = false;

  /**
   * Asks the producer for this pass (it starts over): call once per pass, in pass order.
   * @param ring - the shared ring
   * @param pass - the pass, counting from 0 (a strategy run's index)
   * @param stream - a fresh stream of the same traffic (draws what the ring does not hold)
   * @param wake - wakes the producer (the consumer has made room)
   */
  constructor(
    ring: TrafficRing,
    private readonly pass: number,
    private readonly stream: ArrivalStream,
    private readonly wake: () => void,
  ) {
    this.ring = ring;
    Atomics.store(ring.header, H_CONSUMED, 0);
    Atomics.store(ring.header, H_WANTED, pass);
    // Publishes "none taken" and wakes the producer through `take`, so its rare branches (once a
    // batch, once a quarter ring) have run before optimized code inlines it (see `next`).
    this.wokeAt = -WAKE_EVERY;
    this.take(-1);
  }

  /** @returns the next request in arrival order, or undefined once the window has ended */
  next(): ImageRequest | undefined {
    const id = this.taken;
    const own = id >= this.written && (id < this.lookAt || !this.refresh(id));
    const drawnMs = own ? this.drawOwn(id) : 0;
    if (drawnMs < 0) return undefined;
    // One path for both sources, each read on every call (the ring's slot stale while drawing
    // here, the stream's last draws old while reading the ring): optimized code has type
    // feedback for both whichever the run began with, and is not thrown away, with the event
    // loop that inlined it, when the run moves from its own draws to the ring. The ring's slot
    // is read after `refresh`, which saw it written.
    const ring = this.ring;
    const stream = this.stream;
    const k = id & (RING_ENTRIES - 1);
    const ringMs = ring.arrivalMs[k]!;
    const ringClass = ring.classIndex[k]!;
    const ringSteps = ring.steps[k]!;
    const ringPrompt = ring.promptIndex[k]!;
    const ringProject = ring.projectIndex[k]!;
    const ownClass = stream.drawnClass;
    const ownSteps = stream.drawnSteps;
    const ownPrompt = stream.drawnPrompt;
    const ownProject = stream.drawnProject;
    const request = stream.build(
      id,
      own ? drawnMs : ringMs,
      own ? ownClass : ringClass,
      own ? ownSteps : ringSteps,
      own ? ownPrompt : ringPrompt,
      own ? ownProject : ringProject,
    );
    // Taken (and maybe published) once read: the producer may write over it from then on.
    this.take(id);
    return request;
  }

  /** Reads how far the ring is written; @returns whether it holds `id` (if not, looks again at the next batch) */
  private refresh(id: number): boolean {
    const h = this.ring.header;
    if (Atomics.load(h, H_PASS) === this.pass) this.written = Atomics.load(h, H_WRITTEN);
    if (id < this.written) return true;
    this.lookAt = id - (id % BATCH) + BATCH;
    return false;
  }

  /**
   * The ring does not hold `id`: the own stream draws it (its draws in `drawnClass`...), from the
   * ring's last state if it was behind.
   * @returns its arrival, epoch ms, or -1 once the window has ended
   */
  private drawOwn(id: number): number {
    if (this.done) return -1;
    const stream = this.stream;
    if (stream.emitted !== id) {
      // The ring gave every request up to id - 1, and stops at a batch boundary (or its end).
      const h = this.ring.header;
      const end = Atomics.load(h, H_PASS) === this.pass ? Atomics.load(h, H_END) : -1;
      if (end >= 0 && id >= end) {
        this.done = true;
        return -1;
      }
      const at = ((id / BATCH) % STATES) * STREAM_STATE_LENGTH;
      if (id % BATCH !== 0 || this.ring.states[at] !== id) throw new Error(`traffic ring: no saved state for request ${id}`);
      stream.restore(this.ring.states, at);
    }
    const arrivalMs = stream.advance();
    if (arrivalMs < 0) this.done = true;
    return arrivalMs;
  }

  private take(id: number): void {
    const taken = id + 1;
    // Read on every call, as in `next`: the first batch boundary found optimized code without it.
    const wokeAt = this.wokeAt;
    this.taken = taken;
    if ((taken & (BATCH - 1)) !== 0) return;
    Atomics.store(this.ring.header, H_CONSUMED, taken);
    if (taken - wokeAt >= WAKE_EVERY) {
      this.wokeAt = taken;
      this.wake();
    }
  }

  /** Closes the own stream; the ring is the caller's. */
  close(): void {
    this.done = true;
    this.stream.close();
  }
}
