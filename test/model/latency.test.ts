import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LatencySpec } from '../../src/scenario/schema.js';
import { Z_99, makeSampler, normalCdf, normalQuantile, serviceScale } from '../../src/model/latency.js';
import { rngFor } from '../../src/model/random.js';

const N = 200_000;

interface Row {
  name: string;
  spec: LatencySpec;
  mean: number;
  sd: number;
  median: number;
  p99: number;
  /** Relative tolerance for the sampled statistics. */
  tol: number;
}

// Hand-computed expectations (ms).
const ROWS: Row[] = [
  // fixed: every statistic is the value.
  { name: 'fixed 500', spec: { dist: 'fixed', value: 500 }, mean: 500, sd: 0, median: 500, p99: 500, tol: 0 },
  // uniform [1000, 3000]: mean = median = 2000, sd = 2000/√12 = 577.35, p99 = 1000 + 0.99 × 2000 = 2980.
  { name: 'uniform 1-3s', spec: { dist: 'uniform', min: 1000, max: 3000 }, mean: 2000, sd: 577.35, median: 2000, p99: 2980, tol: 0.01 },
  // exponential mean 2000: sd 2000, median = 2000 ln 2 = 1386.29, p99 = 2000 ln 100 = 9210.34.
  { name: 'exponential 2s', spec: { dist: 'exponential', mean: 2000 }, mean: 2000, sd: 2000, median: 1386.29, p99: 9210.34, tol: 0.02 },
  // normal (1000, 200): truncation at 0 is 5 sd away (mass 2.9e-7), so mean = median = 1000,
  // p99 = 1000 + 200 × 2.32635 = 1465.27.
  { name: 'normal 1s ± 200ms', spec: { dist: 'normal', mean: 1000, sd: 200 }, mean: 1000, sd: 200, median: 1000, p99: 1465.27, tol: 0.01 },
  // normal (100, 100) truncated at 0: α = −1, Φ(−1) = 0.158655, φ(−1) = 0.241971, λ = φ/(1 − Φ) = 0.287600.
  // mean = 100 + 100 × 0.241971 / 0.841345 = 128.76;
  // median = 100 + 100 × Φ⁻¹(0.158655 + 0.5 × 0.841345) = 100 + 100 × Φ⁻¹(0.579328) = 100 + 100 × 0.200174 = 120.017;
  // p99 = 100 + 100 × Φ⁻¹(0.158655 + 0.99 × 0.841345) = 100 + 100 × Φ⁻¹(0.991587) = 100 + 100 × 2.390468 = 339.047;
  // sd² = 100² × (1 + αλ − λ²) = 100² × (1 − 0.287600 − 0.082714) → sd = 79.35.
  { name: 'normal truncated at 0', spec: { dist: 'normal', mean: 100, sd: 100 }, mean: 128.76, sd: 79.35, median: 120.017, p99: 339.047, tol: 0.02 },
  // lognormal median 8000, p99 20000: sigma = ln(2.5)/2.326348 = 0.393875,
  // mean = 8000 × exp(sigma²/2) = 8000 × exp(0.077569) = 8645.25,
  // sd = mean × √(exp(sigma²) − 1) = 8645.25 × √0.167827 = 3541.6.
  { name: 'lognormal 8s / 20s', spec: { dist: 'lognormal', median: 8000, p99: 20000 }, mean: 8645.25, sd: 3541.6, median: 8000, p99: 20000, tol: 0.02 },
  // gamma mean 3000 sd 1000: shape k = 9, scale 333.33. Gamma(9, 1) = chi²(18)/2, whose median
  // is 17.3379/2 = 8.66895 and p99 is 34.8053/2 = 17.40265 (chi² tables):
  // median = 8.66895 × 333.33 = 2889.65, p99 = 17.40265 × 333.33 = 5800.88.
  { name: 'gamma 3s ± 1s', spec: { dist: 'gamma', mean: 3000, sd: 1000 }, mean: 3000, sd: 1000, median: 2889.65, p99: 5800.88, tol: 0.02 },
  // gamma mean 1000 sd 2000: shape (1000/2000)² = 0.25 < 1 (the boost path), scale 2000²/1000 = 4000.
  // Gamma(0.25, 1) has no table value at hand; median 0.0436738 and p99 2.433885 are from
  // scipy.stats.gamma(0.25), so median = 174.695 and p99 = 9735.54.
  { name: 'gamma shape 1/4', spec: { dist: 'gamma', mean: 1000, sd: 2000 }, mean: 1000, sd: 2000, median: 174.695, p99: 9735.54, tol: 0.04 },
];

function sorted(values: Float64Array): Float64Array {
  return values.slice().sort();
}

function quantileOf(sortedValues: Float64Array, p: number): number {
  return sortedValues[Math.min(sortedValues.length - 1, Math.floor(p * sortedValues.length))]!;
}

function expectClose(actual: number, expected: number, relTol: number, absTol = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * relTol + absTol);
}

describe('latency samplers', () => {
  it.each(ROWS)('$name: reports the stated mean, median and p99', ({ spec, mean, median, p99 }) => {
    const s = makeSampler(spec);
    // Closed forms agree with the hand-computed values to the precision they were written.
    expectClose(s.mean, mean, 1e-4);
    expectClose(s.median, median, 1e-4);
    expectClose(s.quantile(0.99), p99, 1e-4);
  });

  it.each(ROWS)('$name: draws match the stated statistics over 200k samples', ({ name, spec, mean, sd, median, p99, tol }) => {
    const s = makeSampler(spec);
    const rng = rngFor(11, `latency-test/${name}`);
    const xs = new Float64Array(N);
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < N; i++) {
      const x = s.sample(rng);
      xs[i] = x;
      sum += x;
      sumSq += x * x;
    }
    const m = sum / N;
    const sampleSd = Math.sqrt(Math.max(0, sumSq / N - m * m));
    const ys = sorted(xs);
    expectClose(m, mean, tol);
    expectClose(sampleSd, sd, tol * 2, 1e-6);
    expectClose(quantileOf(ys, 0.5), median, tol);
    expectClose(quantileOf(ys, 0.99), p99, tol);
    expectClose(quantileOf(ys, 0.9), s.quantile(0.9), tol);
  });

  it.each(ROWS)('$name: cdf inverts quantile', ({ spec }) => {
    const s = makeSampler(spec);
    if (spec.dist === 'fixed') {
      // A point mass: 0 below the value, 1 from it on.
      expect([s.cdf(s.median - 1e-9), s.cdf(s.median)]).toEqual([0, 1]);
      return;
    }
    for (const p of [0.01, 0.1, 0.5, 0.9, 0.99]) expectClose(s.cdf(s.quantile(p)), p, 1e-6);
    expect(s.cdf(-1)).toBe(0);
  });

  it('draws finite values >= 0 for any parameters', () => {
    // Durations from 0 and 1 µs up to 1e8 ms (28 h): beyond any latency a scenario would state.
    const ms = fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 1e8, noNaN: true }));
    const spec: fc.Arbitrary<LatencySpec> = fc.oneof(
      ms.map((value) => ({ dist: 'fixed' as const, value })),
      fc.tuple(ms, ms).map(([min, max]) => ({ dist: 'uniform' as const, min, max })),
      ms.map((mean) => ({ dist: 'exponential' as const, mean })),
      fc.tuple(ms, ms).map(([mean, sd]) => ({ dist: 'normal' as const, mean, sd })),
      fc.tuple(ms, ms).map(([median, p99]) => ({ dist: 'lognormal' as const, median, p99 })),
      fc.tuple(ms, ms).map(([mean, sd]) => ({ dist: 'gamma' as const, mean, sd })),
    );
    fc.assert(
      fc.property(spec, fc.integer({ min: 0, max: 2 ** 31 }), (sp, seed) => {
        const s = makeSampler(sp);
        const rng = rngFor(seed, 'latency-property');
        for (let i = 0; i < 20; i++) {
          const x = s.sample(rng);
          if (!(Number.isFinite(x) && x >= 0)) return false;
        }
        return Number.isFinite(s.mean) && s.mean >= 0 && Number.isFinite(s.median) && s.median >= 0;
      }),
      { numRuns: 300 },
    );
  });

  it('puts the lognormal median exactly at quantile(0.5) and the p99 at quantile(0.99)', () => {
    const s = makeSampler({ dist: 'lognormal', median: 1200, p99: 2000 });
    expect(s.quantile(0.5)).toBe(1200);
    expect(s.median).toBe(1200);
    expectClose(s.quantile(0.99), 2000, 1e-8);
  });

  it('treats a lognormal with p99 <= median as fixed at the median', () => {
    const s = makeSampler({ dist: 'lognormal', median: 800, p99: 500 });
    expect(s.sample(rngFor(1, 'x'))).toBe(800);
    expect(s.quantile(0.99)).toBe(800);
    expect(s.mean).toBe(800);
  });

  it('falls back to a fixed value for degenerate parameters', () => {
    const rng = rngFor(1, 'degenerate');
    expect(makeSampler({ dist: 'normal', mean: 700, sd: 0 }).sample(rng)).toBe(700);
    expect(makeSampler({ dist: 'gamma', mean: 700, sd: 0 }).sample(rng)).toBe(700);
    expect(makeSampler({ dist: 'exponential', mean: 0 }).sample(rng)).toBe(0);
    // shape = (6.6e-170 / 5e-324)² overflows to Infinity: treated as fixed at the mean.
    expect(makeSampler({ dist: 'gamma', mean: 6.6e-170, sd: 5e-324 }).sample(rng)).toBe(6.6e-170);
    // min > max is read as [max, min].
    const u = makeSampler({ dist: 'uniform', min: 300, max: 100 });
    expect([u.quantile(0), u.quantile(1)]).toEqual([100, 300]);
  });

  it('reads quantile bounds at p = 0 and p = 1', () => {
    expect(makeSampler({ dist: 'uniform', min: 100, max: 300 }).quantile(0)).toBe(100);
    expect(makeSampler({ dist: 'uniform', min: 100, max: 300 }).quantile(1)).toBe(300);
    expect(makeSampler({ dist: 'exponential', mean: 100 }).quantile(1)).toBe(Infinity);
    expect(makeSampler({ dist: 'gamma', mean: 100, sd: 50 }).quantile(0)).toBe(0);
  });

  it('inverts the gamma CDF for small and large shapes', () => {
    // Gamma(1, θ) is Exp(θ): median θ ln 2. mean 500, sd 500 → k = 1, θ = 500 → 346.574.
    expectClose(makeSampler({ dist: 'gamma', mean: 500, sd: 500 }).median, 500 * Math.LN2, 1e-8);
    // mean 1000, sd √2,000,000 = 1414.21 → k = 0.5, θ = 2000; Gamma(0.5, 1) = chi²(1)/2 and the
    // median of chi²(1) is 0.454936 (tables), so median = 0.454936 / 2 × 2000 = 454.936.
    expectClose(makeSampler({ dist: 'gamma', mean: 1000, sd: Math.sqrt(2_000_000) }).median, 454.936, 1e-5);
    // Huge shape, k = (1000/1)² = 1e6 (the Wilson–Hilferty path): median ≈ mean × (1 − 1/(3k)) = 999.99967.
    expectClose(makeSampler({ dist: 'gamma', mean: 1000, sd: 1 }).median, 999.99967, 1e-8);
  });

  it('matches the normal quantile to z(0.99) and inverts the normal CDF', () => {
    expectClose(normalQuantile(0.99), Z_99, 1e-9);
    expectClose(normalQuantile(0.01), -Z_99, 1e-9);
    expect(normalQuantile(0.5)).toBe(0);
    for (const p of [1e-6, 0.01, 0.2, 0.5, 0.8, 0.975, 0.999999]) {
      // Acklam: relative error 1.15e-9 in z, so about z² × 1.15e-9 relative in the tail probability.
      expect(Math.abs(normalCdf(normalQuantile(p)) - p)).toBeLessThan(1e-7 * Math.min(p, 1 - p));
    }
  });
});

describe('serviceScale', () => {
  const provider = {
    latencyScaling: 'linear' as const,
    reference: { size: '1024x1024', steps: 30 },
    referenceSize: { width: 1024, height: 1024 },
  };

  it('scales service time by steps × pixels over the reference', () => {
    // (60 × 1792 × 1024) / (30 × 1024 × 1024) = 2 × 1.75 = 3.5
    expect(serviceScale(provider, 60, 1792, 1024)).toBe(3.5);
    // (15 × 512 × 512) / (30 × 1024 × 1024) = 0.5 × 0.25 = 0.125
    expect(serviceScale(provider, 15, 512, 512)).toBe(0.125);
    expect(serviceScale(provider, 30, 1024, 1024)).toBe(1);
  });

  it('ignores the request shape when scaling is none', () => {
    expect(serviceScale({ ...provider, latencyScaling: 'none' }, 60, 1792, 1024)).toBe(1);
  });
});
