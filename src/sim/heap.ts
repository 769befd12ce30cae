/**
 * The event queue of the simulator: a binary min-heap on (time, sequence) kept in parallel
 * typed arrays, so pushing and popping an event allocates nothing once the arrays have grown.
 * The sequence number breaks ties in insertion order, which keeps runs deterministic.
 */

const INITIAL_CAPACITY = 1_024;

/** A min-heap of events: (time ms, kind, ref) with FIFO order among equal times. */
export class EventHeap {
  private times = new Float64Array(INITIAL_CAPACITY);
  private seqs = new Float64Array(INITIAL_CAPACITY);
  private kinds = new Uint8Array(INITIAL_CAPACITY);
  private refs = new Int32Array(INITIAL_CAPACITY);
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
    return this.n > 0 ? this.times[0]! : Infinity;
  }

  /** Sequence number of the next event (its place among equal times), or Infinity when empty. */
  peekSeq(): number {
    return this.n > 0 ? this.seqs[0]! : Infinity;
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
    if (this.n === this.times.length) this.grow();
    const seq = this.seq++;
    let i = this.n++;
    // Sift up: move parents down until the slot for the new event is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = this.times[parent]!;
      // Sequence numbers only break ties, which are rare; they are read and compared at every
      // step all the same, so that optimized code has type feedback for the test and is not
      // thrown away at the first tie of a run.
      const parentFirst = this.seqs[parent]! < seq;
      if (pt < timeMs || (pt === timeMs && parentFirst)) break;
      this.move(parent, i);
      i = parent;
    }
    this.times[i] = timeMs;
    this.seqs[i] = seq;
    this.kinds[i] = kind;
    this.refs[i] = ref;
  }

  /**
   * Removes the earliest event and exposes it in `time`, `kind` and `ref`.
   * @returns false when the heap was empty
   */
  pop(): boolean {
    if (this.n === 0) return false;
    this.time = this.times[0]!;
    this.kind = this.kinds[0]!;
    this.ref = this.refs[0]!;
    const last = --this.n;
    if (last === 0) return true;
    const t = this.times[last]!;
    const s = this.seqs[last]!;
    const k = this.kinds[last]!;
    const r = this.refs[last]!;
    let i = 0;
    // Sift down the former last event from the root.
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      const right = child + 1;
      if (right < last) {
        const ct = this.times[child]!;
        const rt = this.times[right]!;
        // As in `push`: the tie test is taken at every step.
        const rightFirst = this.seqs[right]! < this.seqs[child]!;
        if (rt < ct || (rt === ct && rightFirst)) child = right;
      }
      const ct = this.times[child]!;
      const lastFirst = s < this.seqs[child]!;
      if (t < ct || (t === ct && lastFirst)) break;
      this.move(child, i);
      i = child;
    }
    this.times[i] = t;
    this.seqs[i] = s;
    this.kinds[i] = k;
    this.refs[i] = r;
    return true;
  }

  /** Empties the heap, keeping its arrays. */
  clear(): void {
    this.n = 0;
    this.seq = 0;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from]!;
    this.seqs[to] = this.seqs[from]!;
    this.kinds[to] = this.kinds[from]!;
    this.refs[to] = this.refs[from]!;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    this.times = times;
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const kinds = new Uint8Array(cap);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const refs = new Int32Array(cap);
    refs.set(this.refs);
    this.refs = refs;
  }
}
