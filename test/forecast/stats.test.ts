import { describe, expect, it } from 'vitest';
import { percentile, sortSamples, spread } from '../../src/forecast/stats.js';

describe('percentiles over runs', () => {
  it.each([
    // type 7: h = (n − 1) p / 100 over [10, 20, 30, 40, 50]
    [0, 10],
    [50, 30], // h = 2
    [90, 46], // h = 3.6: 40 + 0.6 × 10
    [99, 49.6], // h = 3.96
    [100, 50],
  ])('p%d of 10..50 is %d (linear between order statistics)', (p, expected) => {
    expect(percentile(sortSamples([50, 20, 40, 10, 30]), p)).toBeCloseTo(expected, 12);
  });

  it('gives a single run its own value for every percentile, with sd 0', () => {
    expect(spread([7])).toEqual({ mean: 7, p50: 7, p90: 7, p99: 7, p10: 7, min: 7, max: 7, sd: 0 });
  });

  it('computes the sample standard deviation (n − 1)', () => {
    // mean 5; squares 9 + 1 + 1 + 9 = 20; 20 / 3
    expect(spread([2, 4, 6, 8]).sd).toBeCloseTo(Math.sqrt(20 / 3), 12);
  });
});
