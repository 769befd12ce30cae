import { describe, expect, it } from 'vitest';
import { FAMILIES, digamma, fitFamily, fitLatency, trigamma, type Family } from '../../src/fit/distributions.js';
import { ksDistance } from '../../src/fit/ks.js';
import { sampleQuantile, sortSamples, type SortedSamples } from '../../src/fit/samples.js';
import { makeSampler } from '../../src/model/latency.js';
import { rngFor } from '../../src/model/random.js';
import type { LatencySpec } from '../../src/scenario/schema.js';

/** n draws from a spec, sorted. */
function draw(spec: LatencySpec, n: number, seed = 1): SortedSamples {
  const s = makeSampler(spec);
  const rng = rngFor(seed, `fit-test/${spec.dist}`);
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = s.sample(rng);
  return sortSamples(xs);
}

function close(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * rel);
}

/** One spec per family, each clearly of its own shape. */
const TRUTH: Readonly<Record<Family, LatencySpec>> = {
  fixed: { dist: 'fixed', value: 1500 },
  exponential: { dist: 'exponential', mean: 2000 },
  uniform: { dist: 'uniform', min: 100, max: 400 },
  normal: { dist: 'normal', mean: 5000, sd: 1000 },
  lognormal: { dist: 'lognormal', median: 6000, p99: 15000 },
  gamma: { dist: 'gamma', mean: 3000, sd: 2000 }, // shape (3000/2000)² = 2.25
};

describe('the Kolmogorov–Smirnov distance', () => {
  it('matches a hand-worked example: 1, 2, 3 against uniform(0, 4)', () => {
    // F = x/4 = 0.25, 0.5, 0.75. Above: 1/3 − 0.25, 2/3 − 0.5, 1 − 0.75 → max 0.25.
    // Below: 0.25 − 0, 0.5 − 1/3, 0.75 − 2/3 → max 0.25. D = 0.25.
    expect(ksDistance(sortSamples([3, 1, 2]), (x) => x / 4)).toBeCloseTo(0.25, 15);
  });

  it('matches a hand-worked example: 0.5, 1, 2 against exponential(mean 1)', () => {
    // F = 1 − e^−x = 0.3935, 0.6321, 0.8647. Above: 1/3 − 0.3935 < 0, 2/3 − 0.6321 = 0.0346,
    // 1 − 0.8647 = 0.1353. Below: 0.3935 − 0, 0.6321 − 1/3 = 0.2988, 0.8647 − 2/3 = 0.1980.
    // D = 0.3935 = 1 − e^−0.5, at the first sample.
    expect(ksDistance(sortSamples([0.5, 1, 2]), (x) => 1 - Math.exp(-x))).toBeCloseTo(1 - Math.exp(-0.5), 15);
  });

  it('is 0 for no sample gap and 1 for a distribution far away', () => {
    expect(ksDistance(sortSamples([5]), (x) => (x < 5 ? 0 : 0.5))).toBe(0.5);
    expect(ksDistance(sortSamples([1, 2, 3]), () => 0)).toBe(1);
  });
});

describe('special functions', () => {
  it.each([
    [1, -0.5772156649015329], // −γ
    [0.5, -1.9635100260214235], // −γ − 2 ln 2
    [10, 2.251752589066721],
  ])('digamma(%d)', (x, value) => {
    close(digamma(x), value, 1e-12);
  });

  it.each([
    [1, Math.PI ** 2 / 6],
    [0.5, Math.PI ** 2 / 2],
    [10, 0.10516633568168575],
  ])('trigamma(%d)', (x, value) => {
    close(trigamma(x), value, 1e-10);
  });
});

describe('fitting each family to its own samples (20,000 draws)', () => {
  it('fixed: the value itself, and only when every sample is it', () => {
    expect(fitFamily('fixed', sortSamples([200, 200, 200]))).toEqual({ dist: 'fixed', value: 200 });
    expect(fitFamily('fixed', sortSamples([200, 201]))).toBeUndefined();
  });

  it('uniform: the ends, widened by one sample gap', () => {
    // min − r/(n−1) and max + r/(n−1) for samples 1, 2, 3, 4: r = 3, gap 1 → [0, 5].
    expect(fitFamily('uniform', sortSamples([1, 2, 3, 4]))).toEqual({ dist: 'uniform', min: 0, max: 5 });
    const spec = fitFamily('uniform', draw(TRUTH.uniform, 20_000));
    if (spec?.dist !== 'uniform') throw new Error('expected uniform');
    close(spec.min, 100, 0.002);
    close(spec.max, 400, 0.002);
  });

  it('exponential: the mean', () => {
    const spec = fitFamily('exponential', draw(TRUTH.exponential, 20_000));
    if (spec?.dist !== 'exponential') throw new Error('expected exponential');
    close(spec.mean, 2000, 0.02); // sd of the mean: 2000/√20000 = 14 ms = 0.7%
  });

  it('normal: mean and sd', () => {
    const spec = fitFamily('normal', draw(TRUTH.normal, 20_000));
    if (spec?.dist !== 'normal') throw new Error('expected normal');
    close(spec.mean, 5000, 0.005);
    close(spec.sd, 1000, 0.02);
  });

  it('lognormal: median and p99 (MLE of ln x)', () => {
    const spec = fitFamily('lognormal', draw(TRUTH.lognormal, 20_000));
    if (spec?.dist !== 'lognormal') throw new Error('expected lognormal');
    close(spec.median, 6000, 0.01);
    close(spec.p99, 15000, 0.02);
  });

  it('gamma: mean and sd (MLE of the shape by Newton steps)', () => {
    const spec = fitFamily('gamma', draw(TRUTH.gamma, 20_000));
    if (spec?.dist !== 'gamma') throw new Error('expected gamma');
    close(spec.mean, 3000, 0.02);
    close(spec.sd, 2000, 0.03);
  });

  it('declines what a family cannot describe', () => {
    expect(fitFamily('lognormal', sortSamples([0, 1, 2]))).toBeUndefined(); // ln 0
    expect(fitFamily('gamma', sortSamples([0, 1, 2]))).toBeUndefined();
    expect(fitFamily('normal', sortSamples([3, 3]))).toBeUndefined(); // sd 0
    expect(fitFamily('exponential', sortSamples([1]))).toBeUndefined(); // one sample
  });
});

describe('choosing the family', () => {
  it.each(FAMILIES)('picks %s for 3,000 draws from a %s', (family) => {
    const fit = fitLatency(draw(TRUTH[family], 3_000, 7));
    expect(fit?.best.family).toBe(family);
  });

  it('prefers the exponential to a gamma of shape ≈ 1 that fits as well (fewer parameters)', () => {
    const fit = fitLatency(draw({ dist: 'exponential', mean: 1000 }, 3_000, 3))!;
    const gamma = fit.candidates.find((c) => c.family === 'gamma')!;
    expect(gamma.ks).toBeLessThan(fit.best.ks + 0.5 / Math.sqrt(3_000));
    expect(fit.best.family).toBe('exponential');
  });

  it('reports observed quantiles beside the fitted ones', () => {
    const xs = draw(TRUTH.lognormal, 5_000, 9);
    const fit = fitLatency(xs)!;
    expect(fit.observed).toEqual([0.5, 0.9, 0.95, 0.99].map((p) => sampleQuantile(xs, p)));
    close(fit.best.sampler.quantile(0.5), fit.observed[0]!, 0.03);
    close(fit.best.sampler.quantile(0.99), fit.observed[3]!, 0.05);
  });

  it('interpolates sample quantiles between order statistics (type 7)', () => {
    const xs = sortSamples([10, 20, 30, 40]);
    // h = (n − 1) p = 3 × 0.5 = 1.5: halfway between 20 and 30
    expect(sampleQuantile(xs, 0.5)).toBe(25);
    expect(sampleQuantile(xs, 1)).toBe(40);
  });
});
