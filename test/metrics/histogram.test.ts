import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyHistogram } from '../../src/metrics/histogram.js';

function histogramOf(values: readonly number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

/** Nearest rank over a sorted copy: the ⌈p/100 × n⌉-th smallest value (at least the 1st). */
function nearestRank(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100));
  return sorted[rank - 1]!;
}

describe('LatencyHistogram', () => {
  it('reports zeros when empty', () => {
    const h = new LatencyHistogram();
    expect(h.count).toBe(0);
    expect([h.mean, h.min, h.max, h.percentile(50), h.percentile(100)]).toEqual([0, 0, 0, 0, 0]);
    expect(h.summary()).toEqual({ mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
  });

  it('gives exact nearest-rank percentiles of 1..100 ms', () => {
    // Shuffled on purpose: order of recording must not matter.
    const values = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1);
    const h = histogramOf(values);
    // Nearest rank: p50 → the ⌈0.50 × 100⌉ = 50th value = 50 ms, and so on.
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(90)).toBe(90);
    expect(h.percentile(95)).toBe(95);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(100)).toBe(100);
    expect(h.percentile(0)).toBe(1);
    // ⌈0.505 × 100⌉ = 51 (not rounded to the nearest)
    expect(h.percentile(50.5)).toBe(51);
    // ⌈0.001 × 100⌉ = 1
    expect(h.percentile(0.1)).toBe(1);
    // mean = 5050 / 100
    expect(h.summary()).toEqual({ mean: 50.5, p50: 50, p90: 90, p95: 95, p99: 99, max: 100 });
  });

  it('does not let float noise in p push the rank up', () => {
    // 2.2 × 1500 / 100 = 33.00000000000001 in floating point; the rank is 33, not 34.
    expect(histogramOf(Array.from({ length: 1500 }, (_, i) => i + 1)).percentile(2.2)).toBe(33);
    // 4.4 × 750 / 100 = 33.00000000000001 as well.
    expect(histogramOf(Array.from({ length: 750 }, (_, i) => i + 1)).percentile(4.4)).toBe(33);
  });

  it('gives a constant value at every percentile, small or large', () => {
    for (const v of [0, 1, 250, 16_383, 16_385, 1_234_567.5, 50_000_000, 200_000_000]) {
      const h = histogramOf([v, v, v, v, v]);
      for (const p of [0, 1, 50, 90, 99, 99.99, 100]) expect(h.percentile(p)).toBe(v);
      expect(h.summary()).toEqual({ mean: v, p50: v, p90: v, p95: v, p99: v, max: v });
    }
  });

  it('rounds to the ms below 16,384 ms but keeps min, max and mean exact', () => {
    const h = histogramOf([10.2, 10.4, 11.6, 20.5]);
    // 10.2 and 10.4 fall in bucket 10; 11.6 in 12; 20.5 in 21 (Math.round rounds .5 up).
    expect(h.percentile(50)).toBe(10.2); // bucket 10, kept within [min, max] = [10.2, 20.5]
    expect(h.percentile(75)).toBe(12);
    expect(h.percentile(99)).toBe(20.5); // bucket 21 is above the exact max
    expect(h.min).toBe(10.2);
    expect(h.max).toBe(20.5);
    // (10.2 + 10.4 + 11.6 + 20.5) / 4 = 52.7 / 4
    expect(h.mean).toBeCloseTo(13.175, 12);
  });

  it('records negative and NaN values as 0', () => {
    const h = histogramOf([-5, Number.NaN, 4]);
    expect(h.count).toBe(3);
    expect(h.min).toBe(0);
    expect(h.percentile(50)).toBe(0);
    expect(h.mean).toBeCloseTo(4 / 3, 12);
  });

  it('keeps large values within 1/8192 relative error', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16_384, max: 2 ** 27 - 1 }), fc.integer({ min: 16_384, max: 2 ** 27 - 1 }), (a, b) => {
        const h = histogramOf([a, b]);
        const lo = Math.min(a, b);
        const p50 = h.percentile(50);
        expect(p50).toBeLessThanOrEqual(lo);
        expect((lo - p50) / lo).toBeLessThan(1 / 8192);
      }),
    );
    // 1 hour = 3,600,000 ms lies in [2^21, 2^22), where buckets are 2^21 / 8192 = 256 ms wide:
    // 3,600,100 → sub-bucket ⌊(3,600,100 − 2,097,152) / 256⌋ = 5870 → [2,097,152 + 5870 × 256, +256)
    // = [3,599,872, 3,600,128).
    expect(histogramOf([3_600_100, 3_700_000]).percentile(50)).toBe(3_600_100); // clamped up to the exact min
    expect(histogramOf([1, 3_600_100, 3_700_000]).percentile(50)).toBe(3_599_872);
  });

  it.each([
    // [value, the lowest value of its bucket]: 1 ms buckets below 2^14, then 2 ms in [2^14, 2^15),
    // 4 ms in [2^15, 2^16), ..., 2^13 ms in [2^26, 2^27).
    [16_383, 16_383],
    [16_384, 16_384],
    [16_385, 16_384],
    [16_386, 16_386],
    [32_767, 32_766],
    [32_768, 32_768],
    [32_771, 32_768],
    [32_772, 32_772],
    [2 ** 27 - 1, 2 ** 27 - 2 ** 13],
  ])('puts %i in the bucket starting at %i', (v, low) => {
    // 0 and a large value around v keep the [min, max] clamp out of the way.
    expect(histogramOf([0, v, 2 ** 28]).percentile(50)).toBe(low);
  });

  it('clamps values above the top into an overflow bucket but keeps the exact max', () => {
    // The top is 2^27 ms ≈ 37.3 h.
    const h = histogramOf([1, 2 ** 27 + 5, 3e9]);
    expect(h.max).toBe(3e9);
    expect(h.percentile(100)).toBe(3e9);
    expect(h.percentile(60)).toBe(2 ** 27); // the overflow bucket's lowest value
    expect(h.mean).toBeCloseTo((1 + 2 ** 27 + 5 + 3e9) / 3, 3);
  });

  it('merging equals recording both', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 5e6, noNaN: true }), { maxLength: 60, size: 'max' }),
        fc.array(fc.double({ min: 0, max: 5e6, noNaN: true }), { maxLength: 60, size: 'max' }),
        (xs, ys) => {
          const merged = histogramOf(xs);
          merged.merge(histogramOf(ys));
          const both = histogramOf([...xs, ...ys]);
          expect(merged.count).toBe(both.count);
          expect(merged.min).toBe(both.min);
          expect(merged.max).toBe(both.max);
          expect(merged.mean).toBeCloseTo(both.mean, 6);
          // Percentiles come from counts alone, so they match exactly; the means only to rounding.
          const pick = (h: LatencyHistogram): number[] => [h.percentile(0), h.percentile(50), h.percentile(90), h.percentile(99), h.max];
          expect(pick(merged)).toEqual(pick(both));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('forgets everything on reset', () => {
    const h = histogramOf([5, 50_000, 7]);
    h.reset();
    expect(h.summary()).toEqual({ mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
    h.record(3);
    expect(h.summary()).toEqual({ mean: 3, p50: 3, p90: 3, p95: 3, p99: 3, max: 3 });
  });

  it('rejects a percentile outside [0, 100]', () => {
    const h = histogramOf([1]);
    expect(() => h.percentile(101)).toThrow(RangeError);
    expect(() => h.percentile(-1)).toThrow(RangeError);
    expect(() => h.percentile(Number.NaN)).toThrow(RangeError);
  });

  it('is exact against a sorted array for integer ms below 16,384', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 16_383 }), { minLength: 1, maxLength: 200, size: 'max' }), fc.integer({ min: 0, max: 100 }), (xs, p) => {
        expect(histogramOf(xs).percentile(p)).toBe(nearestRank(xs, p));
      }),
    );
  });

  it('is monotone in p and stays within [min, max]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 3e8, noNaN: true }), { minLength: 1, maxLength: 100, size: 'max' }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (xs, p, q) => {
          const h = histogramOf(xs);
          const [lo, hi] = p <= q ? [p, q] : [q, p];
          expect(h.percentile(lo)).toBeLessThanOrEqual(h.percentile(hi));
          expect(h.percentile(lo)).toBeGreaterThanOrEqual(h.min);
          expect(h.percentile(hi)).toBeLessThanOrEqual(h.max);
        },
      ),
    );
  });
  describe('cdf', () => {
    it('is empty when nothing was recorded', () => {
      expect(new LatencyHistogram().cdf()).toEqual([]);
    });

    it('samples 1..100 ms at every quarter, the tail and the exact max', () => {
      const h = histogramOf(Array.from({ length: 100 }, (_, i) => i + 1));
      // Ranks: 1 (the min), ⌈k/4 × 100⌉ = 25, 50, 75, 100, and the tail ⌈99%⌉ = 99, ⌈99.5%⌉ = 100,
      // ⌈99.9%⌉ = 100; the max's bucket is the exact max with fraction 1.
      expect(h.cdf(4)).toEqual([
        [1, 0.01],
        [25, 0.25],
        [50, 0.5],
        [75, 0.75],
        [99, 0.99],
        [100, 1],
      ]);
    });

    it('agrees with the percentiles and increases in both coordinates', () => {
      fc.assert(
        fc.property(fc.array(fc.double({ min: 0, max: 200_000, noNaN: true }), { minLength: 1, maxLength: 300, size: 'max' }), (values) => {
          const h = histogramOf(values);
          const points = h.cdf();
          expect(points.length).toBeLessThanOrEqual(64 + 3 + 2);
          expect(points.at(-1)).toEqual([h.max, 1]);
          for (let i = 1; i < points.length; i++) {
            expect(points[i]![0]).toBeGreaterThan(points[i - 1]![0]);
            expect(points[i]![1]).toBeGreaterThan(points[i - 1]![1]);
          }
          // Each point's value is a percentile: the one whose rank is its fraction × count.
          for (const [ms, fraction] of points.slice(0, -1)) {
            const below = values.filter((v) => Math.round(v) < Math.round(ms)).length;
            expect(fraction).toBeGreaterThan(below / values.length);
          }
          // The first point is the min's bucket, unless every value shares the max's bucket.
          if (points.length > 1) expect(points[0]![0]).toBe(h.percentile(0));
        }),
        { numRuns: 100 },
      );
    });

    it('gives about 70 points for a large run, the same ones every time', () => {
      const values = Array.from({ length: 20_000 }, (_, i) => 500 + ((i * 7919) % 30_000) * 1.37);
      const points = histogramOf(values).cdf();
      expect(points.length).toBeGreaterThanOrEqual(60);
      expect(points.length).toBeLessThanOrEqual(70);
      expect(histogramOf([...values].reverse()).cdf()).toEqual(points);
    });
  });
});
