/**
 * The hindsight oracle's booking of a provider's slots (see oracle.ts): a FIFO multi-server
 * queue over planned work, kept as two min-heaps of bare times. Only the times matter (which
 * piece of work ends first is never asked), so the heaps hold plain numbers in one typed array:
 * no sequence numbers, kinds or refs, nothing allocated per booking once the arrays have grown.
 */

/** Held work that finds a provider down (a(t) = 0) looks again this much later, ms (the engine's tick). */
export const OUTAGE_RETRY_MS = 60_000;

/** A binary min-heap of times, ms, in a growable Float64Array. */
export class TimeHeap {
  private items = new Float64Array(256);
  /** Times held. */
  size = 0;

  /** @returns the earliest time (undefined behaviour when empty: check `size`) */
  peek(): number {
    return this.items[0]!;
  }

  /** @param t - a time to add */
  push(t: number): void {
    if (this.size === this.items.length) {
      const bigger = new Float64Array(this.items.length * 2);
      bigger.set(this.items);
      this.items = bigger;
    }
    const a = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = a[parent]!;
      if (pt <= t) break;
      a[i] = pt;
      i = parent;
    }
    a[i] = t;
  }

  /** @returns the earliest time, removed (the heap must not be empty) */
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = --this.size;
    if (last > 0) this.siftDown(a[last]!, last);
    return top;
  }

  /**
   * Replaces the earliest time with `t` (one sift instead of a pop and a push).
   * @param t - the time to add (the heap must not be empty)
   */
  replaceTop(t: number): void {
    this.siftDown(t, this.size);
  }

  /** Places `t` from the root down among the first `n` entries. */
  private siftDown(t: number, n: number): void {
    const a = this.items;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && a[right]! < a[child]!) child = right;
      const ct = a[child]!;
      if (t <= ct) break;
      a[i] = ct;
      i = child;
    }
    a[i] = t;
  }
}

/**
 * A provider's slots as the plan books them: a FIFO multi-server queue. Every piece of planned
 * work holds a slot from its start to its end; work sent while all usable slots are booked
 * starts when enough of them end (the k-th earliest end, k = booked − usable + 1: the usable
 * count may have dropped with a(t)), if the queue has room.
 */
export class SlotBook {
  /** When each booked piece of work ends (only those ending after the last look). */
  private readonly ends = new TimeHeap();
  /** When each planned piece of work still waiting starts. */
  private readonly waiting = new TimeHeap();
  /** The k earliest ends, when `startAt` had to look past the first (usable slots dropped). */
  private popped = new Float64Array(16);
  /** Ends to take off at commit (set by the last `startAt`). */
  private k = 0;
  /** After `startAt` refused: when to ask again (a(t) back, or a place in the queue). */
  retryAtMs = Number.NaN;

  /** @param queueLimit - `capacity.queue` */
  constructor(private readonly queueLimit: number) {}

  /**
   * When work sent now would start.
   * @param nowMs - send time (non-decreasing across calls)
   * @param slots - usable slots now
   * @returns the start, epoch ms; NaN when refused (no slot, or the queue is full)
   */
  startAt(nowMs: number, slots: number): number {
    if (slots <= 0) {
      this.retryAtMs = nowMs + OUTAGE_RETRY_MS;
      return Number.NaN;
    }
    const ends = this.ends;
    while (ends.size > 0 && ends.peek() <= nowMs) ends.pop();
    const waiting = this.waiting;
    while (waiting.size > 0 && waiting.peek() <= nowMs) waiting.pop();
    const booked = ends.size;
    if (booked < slots) {
      this.k = 0;
      return nowMs;
    }
    if (waiting.size >= this.queueLimit) {
      // The queue has room again when its first piece of work starts.
      this.retryAtMs = waiting.size > 0 ? waiting.peek() : ends.peek();
      return Number.NaN;
    }
    const k = booked - slots + 1;
    this.k = k;
    // Usually one slot is short: the earliest end, read in place.
    if (k === 1) return ends.peek();
    if (this.popped.length < k) this.popped = new Float64Array(Math.max(k, 2 * this.popped.length));
    const popped = this.popped;
    for (let i = 0; i < k; i++) popped[i] = ends.pop();
    for (let i = 0; i < k; i++) ends.push(popped[i]!);
    return popped[k - 1]!;
  }

  /**
   * Books work right after {@link SlotBook.startAt} said when it starts.
   * @param nowMs - send time
   * @param startMs - what `startAt` returned
   * @param endMs - start + service time
   */
  commit(nowMs: number, startMs: number, endMs: number): void {
    const ends = this.ends;
    const k = this.k;
    // The k-th earliest end frees the slot this work takes; the earlier ones stay booked.
    if (k === 0) ends.push(endMs);
    else if (k === 1) ends.replaceTop(endMs);
    else {
      for (let i = 0; i < k; i++) ends.pop();
      for (let i = 0; i < k - 1; i++) ends.push(this.popped[i]!);
      ends.push(endMs);
    }
    if (startMs > nowMs) this.waiting.push(startMs);
  }
}
