/**
 * The event queue of the simulator: a min-heap on (time, sequence) kept in one typed array, so
 * pushing and popping an event allocates nothing once the array has grown. The sequence number
 * breaks ties in insertion order, which keeps runs deterministic: (time, sequence) is a total
 * order, so events come out in the one order it defines, whatever the heap's shape.
 *
 * The heap is 4-ary and each event's four fields (time, sequence, kind, ref) lie side by side:
 * with thousands of events waiting, a pop is bound by cache misses, and this way each level
 * down reads one or two cache lines (the four children together) instead of one per field and
 * child, over half as many levels as a binary heap.
 */

const INITIAL_CAPACITY = 1_024;
/** Fields per event in the array: time, sequence, kind, ref. */
const STRIDE = 4;
const TIME = 0;
const SEQ = 1;
const KIND = 2;
const REF = 3;
/** Children per node. */
const ARITY = 4;

/** A min-heap of events: (time ms, kind, ref) with FIFO order among equal times. */
export class EventHeap {
  /** Event i's fields at i × STRIDE + TIME, SEQ, KIND, REF. */
  private events = new Float64Array(INITIAL_CAPACITY * STRIDE);
  private n = 0;
  private seq = 0;

  /** Kind of the event last popped. */
  kind = 0;
  /** Ref of the event last popped (an index into the engine's tables). */
  ref = 0;
  /** Time of the event last popped, ms. */
  time = 0;

  /** Events waiting. */
  get size(): number {
    return this.n;
  }

  /** Time of the next event, or Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.events[TIME]! : Infinity;
  }

  /** Sequence number of the next event (its place among equal times), or Infinity when empty. */
  peekSeq(): number {
    return this.n > 0 ? this.events[SEQ]! : Infinity;
  }

  /**
   * Takes the next sequence number without pushing: for events kept outside the heap that must
   * still fall in insertion order among the heap's events at equal times.
   * @returns the sequence number, as `push` would have given it
   */
  takeSeq(): number {
    return this.seq++;
  }

  /**
   * Adds an event.
   * @param timeMs - when it happens
   * @param kind - event kind (a small integer)
   * @param ref - what it is about (an index)
   */
  push(timeMs: number, kind: number, ref: number): void {
    if (this.n * STRIDE === this.events.length) this.grow();
    const e = this.events;
    const seq = this.seq++;
    let i = this.n++;
    // Sift up: move parents down until the slot for the new event is found.
    while (i > 0) {
      const parent = ((i - 1) / ARITY) | 0;
      const at = parent * STRIDE;
      const pt = e[at + TIME]!;
      if (pt < timeMs || (pt === timeMs && e[at + SEQ]! < seq)) break;
      this.move(at, i * STRIDE);
      i = parent;
    }
    const to = i * STRIDE;
    e[to + TIME] = timeMs;
    e[to + SEQ] = seq;
    e[to + KIND] = kind;
    e[to + REF] = ref;
  }

  /**
   * Removes the earliest event and exposes it in `time`, `kind` and `ref`.
   * @returns false when the heap was empty
   */
  pop(): boolean {
    if (this.n === 0) return false;
    const e = this.events;
    this.time = e[TIME]!;
    this.kind = e[KIND]! | 0;
    this.ref = e[REF]! | 0;
    const last = --this.n;
    if (last === 0) return true;
    const from = last * STRIDE;
    const t = e[from + TIME]!;
    const s = e[from + SEQ]!;
    const k = e[from + KIND]!;
    const r = e[from + REF]!;
    let i = 0;
    // Sift down the former last event from the root: the earliest child moves up while it is
    // earlier than that event.
    for (;;) {
      const first = ARITY * i + 1;
      if (first >= last) break;
      const end = Math.min(first + ARITY, last);
      let child = first;
      let ct = e[first * STRIDE + TIME]!;
      for (let c = first + 1; c < end; c++) {
        const at = c * STRIDE;
        const time = e[at + TIME]!;
        if (time < ct || (time === ct && e[at + SEQ]! < e[child * STRIDE + SEQ]!)) {
          child = c;
          ct = time;
        }
      }
      if (t < ct || (t === ct && s < e[child * STRIDE + SEQ]!)) break;
      this.move(child * STRIDE, i * STRIDE);
      i = child;
    }
    const to = i * STRIDE;
    e[to + TIME] = t;
    e[to + SEQ] = s;
    e[to + KIND] = k;
    e[to + REF] = r;
    return true;
  }

  /** Empties the heap, keeping its array. */
  clear(): void {
    this.n = 0;
    this.seq = 0;
  }

  /** Copies the event at offset `from` to offset `to` (offsets into the array, not indices). */
  private move(from: number, to: number): void {
    const e = this.events;
    e[to + TIME] = e[from + TIME]!;
    e[to + SEQ] = e[from + SEQ]!;
    e[to + KIND] = e[from + KIND]!;
    e[to + REF] = e[from + REF]!;
  }

  private grow(): void {
    const events = new Float64Array(this.events.length * 2);
    events.set(this.events);
    this.events = events;
  }
}
