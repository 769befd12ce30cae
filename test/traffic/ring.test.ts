/**
 * Synthetic traffic through the shared ring (src/traffic/ring.ts): whatever the producer has
 * written when, the consumer gives the very requests its stream alone gives (ids, arrivals,
 * classes, steps, prompts, projects), pass after pass; and a stream carries on from a saved state
 * with the same draws. The producer runs on this thread here, driven between the consumer's pulls.
 */
import { describe, expect, it } from 'vitest';
import type { ImageRequest } from '../../src/model/request.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ResolvedTraffic } from '../../src/scenario/resolve.js';
import { RING_ENTRIES, RingProducer, RingSource, TrafficRing } from '../../src/traffic/ring.js';
import { ArrivalStream, STREAM_STATE_LENGTH } from '../../src/traffic/traffic.js';

type SyntheticTraffic = Extract<ResolvedTraffic, { kind: 'synthetic' }>;

const START = Date.UTC(2026, 6, 4); // a Saturday: the weekend factor is in play
const SEED = 11;

/** Bursty, diurnal, growing traffic with a weighted mix: every kind of stream state moves. */
function traffic(rate: string): SyntheticTraffic {
  const s = scenarioFromObject({
    version: 1,
    name: 'ring',
    start: '2026-07-04T00:00:00Z',
    providers: [{ id: 'p', pricing: { model: 'per-image', price: 0.01 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } }],
    traffic: {
      arrivals: {
        process: 'poisson',
        rate,
        pattern: { diurnal: { amplitude: 0.6, peak: '15:00', tz: 'Europe/Berlin' }, weekly: { weekend: 0.5 }, growth: '10%/day', bursts: [{ at: '2026-07-04T00:01:00Z', duration: '30s', multiplier: 4 }] },
      },
      mix: [
        { name: 'a', weight: 0.5, steps: { min: 10, max: 50 }, promptWords: { min: 3, max: 9 } },
        { name: 'b', weight: 0.3, project: 'fixed', urgency: 'batch', deadline: '1h' },
        { name: 'c', weight: 0.2, size: '512x512', steps: 4 },
      ],
    },
  });
  if (s.traffic.kind !== 'synthetic') throw new Error('expected synthetic traffic');
  return s.traffic;
}

const open = (t: SyntheticTraffic, durationMs: number) => () => new ArrivalStream(t, SEED, START, START + durationMs);

/** Every request of one fresh stream. */
function all(stream: ArrivalStream): ImageRequest[] {
  return pullAll(() => stream.next());
}

/** The same requests, field for field (the first that differs is shown whole). */
function expectSame(actual: readonly ImageRequest[], expected: readonly ImageRequest[]): void {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (JSON.stringify(actual[i]) !== JSON.stringify(expected[i])) expect(actual[i]).toEqual(expected[i]);
  }
  expect(actual.length).toBe(expected.length);
}

function pullAll(next: () => ImageRequest | undefined, each: (taken: number) => void = () => undefined): ImageRequest[] {
  const out: ImageRequest[] = [];
  for (;;) {
    each(out.length);
    const r = next();
    if (r === undefined) return out;
    out.push(r);
  }
}

describe('an ArrivalStream saved and restored', () => {
  it('carries on with the same requests in a fresh stream', () => {
    const t = traffic('50/s');
    const reference = all(open(t, 120_000)());
    expect(reference.length).toBeGreaterThan(0);
    const first = open(t, 120_000)();
    for (let i = 0; i < 2_000; i++) first.next();
    const state = new Float64Array(STREAM_STATE_LENGTH + 3);
    first.save(state, 3);
    const second = open(t, 120_000)();
    second.restore(state, 3);
    expect(second.emitted).toBe(2_000);
    const rest = all(second);
    expectSame(rest, reference.slice(2_000));
  });
});

describe('a RingSource gives the stream’s own requests', () => {
  const t = traffic('3000/s');
  const durationMs = 200_000; // ~1.8e5 requests: several rings' worth
  const reference = all(open(t, durationMs)());

  /**
   * Runs one pass with the producer filling at the pulls `fillAt` says, and when woken if
   * `onWake` (at once: it may write over what was taken just then).
   */
  function pass(fillAt: (taken: number) => boolean, onWake = false): ImageRequest[] {
    const ring = TrafficRing.create();
    const producer = new RingProducer(new TrafficRing(ring.buffer), open(t, durationMs));
    const source = new RingSource(ring, 0, open(t, durationMs)(), () => {
      if (onWake) producer.fill();
    });
    const out = pullAll(
      () => source.next(),
      (taken) => {
        if (fillAt(taken)) producer.fill();
      },
    );
    source.close();
    return out;
  }

  it('has enough requests to go round the ring', () => {
    expect(reference.length).toBeGreaterThan(2 * RING_ENTRIES);
  });
  it('when the producer never writes (all drawn here)', () => {
    expectSame(pass(() => false), reference);
  });
  it('when the producer keeps ahead all along', () => {
    expectSame(pass(() => true), reference);
  });
  it('when the producer fills only when woken', () => {
    expectSame(pass(() => false, true), reference);
  });
  it('when the producer starts late, then keeps ahead', () => {
    expectSame(pass((n) => n >= 50_000), reference);
  });
  it('when the ring runs dry now and then (the stream takes up from the saved state)', () => {
    // Fills only at a few points: the consumer empties the ring between them and draws itself.
    expectSame(pass((n) => n === 0 || n === 70_000 || n === 150_001), reference);
  });
  it('when the producer fills at odd moments', () => {
    expectSame(pass((n) => n % 9_973 === 17, true), reference);
  });

  it('pass after pass, each from its first request', () => {
    const ring = TrafficRing.create();
    const producer = new RingProducer(new TrafficRing(ring.buffer), open(t, durationMs));
    for (let p = 0; p < 3; p++) {
      const source = new RingSource(ring, p, open(t, durationMs)(), () => {
        producer.fill();
      });
      // The first pass finds the ring empty at first; later ones find the last pass's requests there.
      const out = pullAll(
        () => source.next(),
        (n) => {
          if (n % 5_000 === 0) producer.fill();
        },
      );
      expectSame(out, reference);
    }
  });

  it('ends with the window, when the ring holds the end', () => {
    const short = open(t, 3_000);
    const expected = all(short());
    const ring = TrafficRing.create();
    const producer = new RingProducer(ring, short);
    producer.fill();
    const source = new RingSource(ring, 0, short(), () => undefined);
    producer.fill();
    expect(pullAll(() => source.next())).toEqual(expected);
    expect(source.next()).toBeUndefined();
  });
});
