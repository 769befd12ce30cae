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
});
