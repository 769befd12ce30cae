import { describe, expect, it } from 'vitest';
import { EventHeap } from '../../src/sim/heap.js';
import { Rng } from '../../src/model/random.js';

describe('EventHeap', () => {
  it('pops events by time, equal times in insertion order, across pushes between pops and growth', () => {
    const rng = new Rng(1, 2, 3, 4);
    const heap = new EventHeap();
    // The reference: every event pushed, with its insertion number; popped = the least (time, seq).
    const waiting: { time: number; seq: number; kind: number; ref: number }[] = [];
    let seq = 0;
    const popped: string[] = [];
    const expected: string[] = [];
    for (let step = 0; step < 20_000; step++) {
      if (waiting.length === 0 || rng.next() < 0.55) {
        // Few distinct times, so ties are common.
        const time = Math.floor(rng.next() * 50);
        const kind = rng.int(10);
        const ref = rng.int(1_000_000);
        heap.push(time, kind, ref);
        waiting.push({ time, seq: seq++, kind, ref });
      } else {
        expect(heap.pop()).toBe(true);
        popped.push(`${heap.time}/${heap.kind}/${heap.ref}`);
        let best = 0;
        for (let i = 1; i < waiting.length; i++) {
          const w = waiting[i]!;
          const b = waiting[best]!;
          if (w.time < b.time || (w.time === b.time && w.seq < b.seq)) best = i;
        }
        const [e] = waiting.splice(best, 1);
        expected.push(`${e!.time}/${e!.kind}/${e!.ref}`);
      }
      expect(heap.size).toBe(waiting.length);
    }
    expect(popped).toEqual(expected);
  });

  it('reports the next time and sequence, and Infinity when empty', () => {
    const heap = new EventHeap();
    expect(heap.peekTime()).toBe(Infinity);
    expect(heap.peekSeq()).toBe(Infinity);
    expect(heap.pop()).toBe(false);
    heap.push(5, 1, 2);
    const seq = heap.takeSeq();
    heap.push(3, 4, 7);
    expect(heap.peekTime()).toBe(3);
    expect(heap.peekSeq()).toBe(seq + 1);
    expect(heap.pop()).toBe(true);
    expect([heap.time, heap.kind, heap.ref]).toEqual([3, 4, 7]);
  });

  it('gives the order of a heap on (time, sequence) for every spacing: epoch times, bursts, a year ahead, pushes before the last pop, growth and shrinking', () => {
    const rng = new Rng(5, 6, 7, 8);
    const heap = new EventHeap();
    const ref = new ReferenceHeap();
    const EPOCH = Date.UTC(2026, 5, 1);
    let now = EPOCH;
    const got: number[] = [];
    const want: number[] = [];
    const check = (): void => {
      if (ref.size === 0) return;
      got.push(heap.size, heap.peekTime(), heap.peekSeq());
      want.push(ref.size, ref.peekTime(), ref.peekSeq());
      heap.pop();
      const [time, kind, r] = ref.pop();
      got.push(heap.time, heap.kind, heap.ref);
      want.push(time, kind, r);
      now = time;
    };
    const push = (time: number): void => {
      const kind = rng.int(16);
      const r = rng.int(1 << 20);
      heap.push(time, kind, r);
      ref.push(time, kind, r);
    };
    for (let phase = 0; phase < 6; phase++) {
      // Grow to tens of thousands of events of one spacing, then drain most of them.
      const spacing = [0.37, 3_000, 1, 86_400_000, 0.001, 40][phase]!;
      for (let i = 0; i < 30_000; i++) {
        const pick = rng.next();
        if (pick < 0.05) push(now + 400 * 86_400_000 * rng.next()); // far ahead
        else if (pick < 0.1) push(now - 1_000 * rng.next()); // before the last pop (the oracle's queue does this)
        else if (pick < 0.2) push(now + 5 * spacing); // a burst of equal times
        else push(now + spacing * 100 * rng.next());
        // A look at the next event between pushes (as the engine's loop does), then maybe a pop.
        if (rng.next() < 0.3 && ref.size > 0) {
          got.push(heap.peekTime(), heap.peekSeq());
          want.push(ref.peekTime(), ref.peekSeq());
        }
        if (rng.next() < 0.3) check();
      }
      while (ref.size > 500 * phase) check();
    }
    while (ref.size > 0) check();
    expect(heap.pop()).toBe(false);
    expect(got.length).toBe(want.length);
    expect(got.length).toBeGreaterThan(600_000);
    // One comparison; a mismatch shows the numbers around it.
    const first = got.findIndex((v, i) => v !== want[i]);
    expect(first === -1 ? 'same' : `at ${first}: ${got.slice(first - 3, first + 6).join()} vs ${want.slice(first - 3, first + 6).join()}`).toBe('same');
  });

  it('rejects what it cannot hold: a ref of 2^27, a kind of 16, a time that is not finite', () => {
    const heap = new EventHeap();
    expect(() => heap.push(1, 0, 2 ** 27)).toThrow(RangeError);
    expect(() => heap.push(1, 16, 0)).toThrow(RangeError);
    expect(() => heap.push(Number.NaN, 0, 0)).toThrow(RangeError);
    expect(() => heap.push(Infinity, 0, 0)).toThrow(RangeError);
    expect(heap.size).toBe(0);
  });
});

/** The reference: a binary heap on (time, sequence), written for clarity. */
class ReferenceHeap {
  private items: { time: number; seq: number; kind: number; ref: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items[0]!.time;
  }

  peekSeq(): number {
    return this.items[0]!.seq;
  }

  push(time: number, kind: number, ref: number): void {
    const items = this.items;
    items.push({ time, seq: this.seq++, kind, ref });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): [number, number, number] {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        let least = i;
        for (const c of [2 * i + 1, 2 * i + 2]) if (c < items.length && before(items[c]!, items[least]!)) least = c;
        if (least === i) break;
        [items[i], items[least]] = [items[least]!, items[i]!];
        i = least;
      }
    }
    return [top.time, top.kind, top.ref];
  }
}

function before(a: { time: number; seq: number }, b: { time: number; seq: number }): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
