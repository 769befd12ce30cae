/**
 * The event queue of the simulator: a calendar queue (R. Brown, "Calendar queues", CACM 1988)
 * on (time, sequence), in typed arrays, so pushing and popping an event allocates nothing once
 * the arrays have grown. The sequence number breaks ties in insertion order, which keeps runs
 * deterministic: events come out in exactly the order of a heap on (time, sequence).
 *
 * Time is cut into days of `width` ms; day d goes to bucket d mod `buckets` (a year is one pass
 * over the buckets), each bucket a list sorted by (time, sequence). The earliest event is found
 * by walking the buckets from the current day: the first bucket whose head falls on the day
 * being looked at holds it. With a width near the spacing of the events at the front of the
 * queue, that walk and the sorted insertions take a few steps: O(1) per event, where a binary
 * heap of the ~4,000 answers in flight of bench/inflight.yaml moved each pop down 12 levels with
 * a branch the processor could not predict at each (about 3× slower there). The buckets double or
 * halve as the number of events does, and the width is measured again then, or as soon as walks
 * or insertions grow long (a change in the traffic's density; when measuring again does not help,
 * as with spacings no one width suits, it looks less and less often). Its worst case, every event
 * in one bucket, is a sorted list; a burst of equal times is appended in O(1) all the same.
 */

const INITIAL_NODES = 1_024;
const MIN_BUCKETS = 16;
/** Kinds take the low bits of a node's packed (ref, kind) word. */
const KIND_BITS = 4;
const KIND_MASK = (1 << KIND_BITS) - 1;
/** Refs above this do not fit beside a kind in an Int32. */
const MAX_REF = 2 ** (31 - KIND_BITS) - 1;
/** Events sampled from the front of the queue to measure their spacing. */
const SAMPLE = 64;
/** Days per event at the front (Brown's factor: a few events a bucket at most). */
const SPREAD = 3;
/** Steps (empty days walked, list nodes passed) per operation above which the width is measured again. */
const MAX_STEPS_PER_OP = 6;
/** Operations between two looks at the steps taken. */
const CHECK_EVERY = 4_096;

/** A queue of events: (time ms, kind, ref) with FIFO order among equal times. */
export class EventHeap {
  // Nodes: one per event, in parallel arrays; free ones are chained through `next`.
  private times = new Float64Array(INITIAL_NODES);
  private seqs = new Float64Array(INITIAL_NODES);
  /** The day of each node's time (`floor(time / width)`), an integer held exactly in a double. */
  private days = new Float64Array(INITIAL_NODES);
  /** ref << KIND_BITS | kind. */
  private words = new Int32Array(INITIAL_NODES);
  /** The next node in its bucket (or in the free list), -1 at the end. */
  private next = new Int32Array(INITIAL_NODES);
  private free = -1;
  private used = 0;

  /** The first node of each bucket, -1 when empty. */
  private heads = new Int32Array(MIN_BUCKETS).fill(-1);
  /** The last node of each bucket (a burst of equal times is appended, not walked), -1 when empty. */
  private tails = new Int32Array(MIN_BUCKETS).fill(-1);
  private mask = MIN_BUCKETS - 1;
  private width = 1;
  /** No event's day is before `day`, whose bucket is `cur`. */
  private day = 0;
  private cur = 0;
  /** The earliest node when known (found by `peek`), else -1. */
  private min = -1;

  private n = 0;
  private seq = 0;
  /** Steps taken since the last look, and operations. */
  private steps = 0;
  private ops = 0;
  /** Operations between two looks; doubled each time a look measured the width again to no avail. */
  private checkEvery = CHECK_EVERY;

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
    return this.n > 0 ? this.times[this.first()]! : Infinity;
  }

  /** Sequence number of the next event (its place among equal times), or Infinity when empty. */
  peekSeq(): number {
    return this.n > 0 ? this.seqs[this.first()]! : Infinity;
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
   * @param timeMs - when it happens (a finite number)
   * @param kind - event kind (a small integer, below 16)
   * @param ref - what it is about (an index, below 2^27)
   */
  push(timeMs: number, kind: number, ref: number): void {
    if (!(ref <= MAX_REF && kind <= KIND_MASK && Number.isFinite(timeMs))) throw new RangeError(`event (time ${timeMs}, kind ${kind}, ref ${ref}) out of range`);
    let k = this.free;
    if (k >= 0) this.free = this.next[k]!;
    else {
      if (this.used === this.times.length) this.growNodes();
      k = this.used++;
    }
    const seq = this.seq++;
    this.times[k] = timeMs;
    this.seqs[k] = seq;
    this.words[k] = (ref << KIND_BITS) | kind;
    const day = Math.floor(timeMs / this.width);
    this.days[k] = day;
    if (this.n === 0 || day < this.day) {
      // The walk starts at the earliest day an event has.
      this.day = day;
      this.cur = day & this.mask;
    }
    this.insert(k);
    this.n++;
    const min = this.min;
    if (min >= 0 && timeMs < this.times[min]!) this.min = k; // equal times: the older one stays first
    if (this.n > 2 * (this.mask + 1)) this.rebuild(2 * (this.mask + 1));
    else this.check();
  }

  /**
   * Removes the earliest event and exposes it in `time`, `kind` and `ref`.
   * @returns false when the heap was empty
   */
  pop(): boolean {
    if (this.n === 0) return false;
    const k = this.first();
    // The earliest node is the head of its bucket (buckets are sorted), and nothing is before its day.
    const day = this.days[k]!;
    const b = day & this.mask;
    this.heads[b] = this.next[k]!;
    if (this.tails[b] === k) this.tails[b] = -1;
    this.day = day;
    this.cur = b;
    this.min = -1;
    this.time = this.times[k]!;
    const word = this.words[k]!;
    this.kind = word & KIND_MASK;
    this.ref = word >> KIND_BITS;
    this.next[k] = this.free;
    this.free = k;
    this.n--;
    const buckets = this.mask + 1;
    // Halved only well below the size it doubled at: a queue whose size swings (bursts, a day's
    // traffic) would otherwise rebuild at every swing.
    if (buckets > MIN_BUCKETS && this.n < buckets / 8) this.rebuild(buckets / 2);
    else this.check();
    return true;
  }

  /** Empties the heap, keeping its arrays. */
  clear(): void {
    this.heads.fill(-1);
    this.tails.fill(-1);
    this.free = -1;
    this.used = 0;
    this.n = 0;
    this.seq = 0;
    this.min = -1;
  }

  /**
   * Inserts node `k` in its bucket, after every node before it in (time, sequence). Nodes come
   * in sequence order (`push`, and `rebuild` sorts them), so a node at or after the bucket's
   * last time is appended.
   */
  private insert(k: number): void {
    const times = this.times;
    const next = this.next;
    const t = times[k]!;
    const b = this.days[k]! & this.mask;
    next[k] = -1;
    const tail = this.tails[b]!;
    if (tail < 0) {
      this.heads[b] = k;
      this.tails[b] = k;
      return;
    }
    if (times[tail]! <= t) {
      next[tail] = k;
      this.tails[b] = k;
      return;
    }
    let prev = -1;
    let at = this.heads[b]!;
    // Equal times keep their order: `k` has the highest sequence number yet (stops before `tail`).
    while (times[at]! <= t) {
      prev = at;
      at = next[at]!;
      this.steps++;
    }
    next[k] = at;
    if (prev < 0) this.heads[b] = k;
    else next[prev] = k;
  }

  /** The earliest node (n > 0): walks the days from `day`, or looks at every bucket after a year without one. */
  private first(): number {
    if (this.min >= 0) return this.min;
    const heads = this.heads;
    const days = this.days;
    const mask = this.mask;
    let b = this.cur;
    let day = this.day;
    for (let walked = 0; walked <= mask; walked++) {
      const k = heads[b]!;
      if (k >= 0 && days[k] === day) {
        this.steps += walked;
        this.cur = b;
        this.day = day;
        this.min = k;
        return k;
      }
      b = (b + 1) & mask;
      day++;
    }
    // Every event is a year or more ahead: the earliest bucket head is the earliest event.
    this.steps += mask + 1;
    let best = -1;
    for (let i = 0; i <= mask; i++) {
      const k = heads[i]!;
      if (k >= 0 && (best < 0 || this.times[k]! < this.times[best]! || (this.times[k] === this.times[best] && this.seqs[k]! < this.seqs[best]!))) best = k;
    }
    this.day = days[best]!;
    this.cur = this.day & mask;
    this.min = best;
    return best;
  }

  /**
   * Counts an operation; every `checkEvery` operations, measures the width again when walks and
   * insertions have grown long. Every field it reads and writes is touched on every call, the
   * rare look included: optimized code that had never seen the look happen had no type
   * feedback for it and was thrown away, with every caller that inlined `push` or `pop`, when
   * the first look came (4,096 operations in, just after the loop was optimized).
   */
  private check(): void {
    const ops = this.ops + 1;
    const look = ops >= this.checkEvery;
    const long = this.steps > MAX_STEPS_PER_OP * ops;
    this.ops = look ? 0 : ops;
    this.steps = look ? 0 : this.steps;
    if (look && long) this.measureAgain();
  }

  /** Measures the width again; looks half as often from then on (rebuild starts the count over). */
  private measureAgain(): void {
    const every = this.checkEvery;
    this.rebuild(this.mask + 1);
    this.checkEvery = 2 * every;
  }

  /**
   * Spreads the events over `buckets` buckets of a width measured on the earliest of them:
   * {@link SPREAD} × their mean spacing.
   * @param buckets - a power of two
   */
  private rebuild(buckets: number): void {
    const nodes = new Int32Array(this.n);
    let m = 0;
    for (let b = 0; b <= this.mask; b++) for (let k = this.heads[b]!; k >= 0; k = this.next[k]!) nodes[m++] = k;
    this.width = this.measureWidth(nodes);
    this.heads = new Int32Array(buckets).fill(-1);
    this.tails = new Int32Array(buckets).fill(-1);
    this.mask = buckets - 1;
    let first = -1;
    for (let i = 0; i < m; i++) {
      const k = nodes[i]!;
      this.days[k] = Math.floor(this.times[k]! / this.width);
      if (first < 0 || this.days[k] < this.days[first]!) first = k;
    }
    // In sequence order, so each insertion goes after equal times as `push` does.
    nodes.sort((a, b) => this.seqs[a]! - this.seqs[b]!);
    for (let i = 0; i < m; i++) this.insert(nodes[i]!);
    if (first >= 0) {
      this.day = this.days[first]!;
      this.cur = this.day & this.mask;
    }
    this.min = -1;
    this.ops = 0;
    this.steps = 0;
    this.checkEvery = CHECK_EVERY;
  }

  /** {@link SPREAD} × the mean spacing of the earliest {@link SAMPLE} times of `nodes`: at least 1 ms, at most a day. */
  private measureWidth(nodes: Int32Array): number {
    const times = Float64Array.from(nodes, (k) => this.times[k]!).sort();
    const count = Math.min(times.length, SAMPLE);
    if (count < 2) return 1;
    const span = times[count - 1]! - times[0]!;
    // Equal times (a burst) would give 0: a day of at least one ms, and at most a day of the clock.
    return Math.min(Math.max((SPREAD * span) / (count - 1), 1), 86_400_000);
  }

  private growNodes(): void {
    const cap = this.times.length * 2;
    this.times = grown(this.times, new Float64Array(cap));
    this.seqs = grown(this.seqs, new Float64Array(cap));
    this.days = grown(this.days, new Float64Array(cap));
    this.words = grown(this.words, new Int32Array(cap));
    this.next = grown(this.next, new Int32Array(cap));
  }
}

/** Copies `from` into the larger `to`; @returns `to` */
function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
