import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DrawSource, Rng, drawSourceFor, hashString, mix32, rngFor, streamKey } from '../../src/model/random.js';

function take(rng: Rng, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(rng.next());
  return out;
}

/** Pearson correlation of two equal-length samples. */
function correlation(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}

describe('hashing', () => {
  it('hashes strings to unsigned 32-bit integers, deterministically', () => {
    expect(hashString('latency/lumen')).toBe(hashString('latency/lumen'));
    expect(hashString('latency/lumen')).not.toBe(hashString('latency/lumem'));
    fc.assert(
      fc.property(fc.string(), (s) => {
        const h = hashString(s);
        return Number.isInteger(h) && h >= 0 && h < 2 ** 32;
      }),
    );
  });

  it('flips about half the output bits of mix32 when one input bit flips', () => {
    // Avalanche: over 32 bit positions × 200 inputs, the mean flipped-bit count should be ~16.
    let flips = 0;
    let trials = 0;
    const rng = rngFor(7, 'avalanche');
    for (let i = 0; i < 200; i++) {
      const a = rng.nextU32();
      const b = rng.nextU32();
      const base = mix32(a, b);
      for (let bit = 0; bit < 32; bit++) {
        flips += popcount(base ^ mix32(a ^ (1 << bit), b));
        flips += popcount(base ^ mix32(a, b ^ (1 << bit)));
        trials += 2;
      }
    }
    expect(flips / trials).toBeGreaterThan(15.5);
    expect(flips / trials).toBeLessThan(16.5);
    expect(mix32(1, 2)).not.toBe(mix32(2, 1));
  });
});

describe('Rng', () => {
  it('repeats the same sequence for the same seed', () => {
    expect(take(rngFor(42, 'latency/lumen'), 100)).toEqual(take(rngFor(42, 'latency/lumen'), 100));
    const a = new Rng(1, 2, 3, 4);
    const first = take(a, 10);
    a.reseed(1, 2, 3, 4);
    expect(take(a, 10)).toEqual(first);
  });

  it('is sfc32 as published, its first 12 outputs discarded after seeding', () => {
    // sfc32 as bryc's PRNG collection gives it (the form JavaScript projects copy), returning
    // the 32-bit word: the sequence a reseed gives must not move, or every scenario's numbers would.
    function* sfc32(a: number, b: number, c: number, d: number): Generator<number> {
      for (;;) {
        a |= 0;
        b |= 0;
        c |= 0;
        d |= 0;
        const t = (((a + b) | 0) + d) | 0;
        d = (d + 1) | 0;
        a = b ^ (b >>> 9);
        b = (c + (c << 3)) | 0;
        c = (c << 21) | (c >>> 11);
        c = (c + t) | 0;
        yield t >>> 0;
      }
    }
    const seeds: [number, number, number, number][] = [
      [1, 2, 3, 4],
      [0, 0, 0, 1],
      [0xdead_beef, 0x1234_5678, 0x9e37_79b9, 0x7f4a_7c15],
    ];
    for (const seed of seeds) {
      const reference = sfc32(...seed);
      for (let i = 0; i < 12; i++) reference.next();
      const expected = Array.from({ length: 50 }, () => reference.next().value as number);
      const rng = new Rng(0, 0, 0, 0).reseed(...seed);
      expect(Array.from({ length: 50 }, () => rng.nextU32())).toEqual(expected);
    }
  });

  it('gives different sequences for different seeds and names', () => {
    const base = take(rngFor(42, 'latency/lumen'), 20);
    expect(take(rngFor(43, 'latency/lumen'), 20)).not.toEqual(base);
    expect(take(rngFor(42, 'latency/pixelforge'), 20)).not.toEqual(base);
    // Seeds above 2^32 still count: 2^32 + 42 folds its high word in.
    expect(take(rngFor(2 ** 32 + 42, 'latency/lumen'), 20)).not.toEqual(base);
  });

  it('draws next() in [0, 1) and int(n) in [0, n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 1000 }), (seed, n) => {
        const rng = rngFor(seed, 'range');
        for (let i = 0; i < 50; i++) {
          const u = rng.next();
          if (!(u >= 0 && u < 1)) return false;
          const k = rng.int(n);
          if (!(Number.isInteger(k) && k >= 0 && k < n)) return false;
        }
        return true;
      }),
    );
  });

  it('spreads next() evenly over ten bins (chi-square)', () => {
    // 100,000 draws, 10 bins, 10,000 expected per bin; chi-square has 9 degrees of freedom,
    // mean 9 and P(chi2 > 40) < 1e-5, so 40 is a generous bound.
    const rng = rngFor(1, 'uniformity');
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) bins[Math.floor(rng.next() * 10)]!++;
    const expected = n / 10;
    const chi2 = bins.reduce((acc, o) => acc + ((o - expected) ** 2) / expected, 0);
    expect(chi2).toBeLessThan(40);
  });

  it('draws standard normals with mean 0 and sd 1', () => {
    // n = 100,000: the sample mean has sd 1/√n ≈ 0.0032, the sample sd about 0.0022.
    const rng = rngFor(3, 'normal');
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    const sd = Math.sqrt(sumSq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(sd - 1)).toBeLessThan(0.015);
  });

  it('draws exponentials with the requested mean', () => {
    // Exp(250): mean 250, sd 250; over 100,000 draws the mean's sd is 250/√1e5 ≈ 0.8.
    const rng = rngFor(5, 'exponential');
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += rng.exponential(250);
    expect(sum / 100_000).toBeCloseTo(250, -1);
  });

  it('forgets the cached normal spare on reseed', () => {
    const a = new Rng(9, 9, 9, 9);
    const first = a.normal();
    a.reseed(9, 9, 9, 9);
    expect(a.normal()).toBe(first);
  });
});

describe('named streams', () => {
  it('derives a stream key from the seed and the name only', () => {
    expect(streamKey(42, 'latency/lumen')).toBe(streamKey(42, 'latency/lumen'));
    expect(streamKey(42, 'latency/lumen')).not.toBe(streamKey(42, 'latency/pixelforge'));
    expect(streamKey(42, 'latency/lumen')).not.toBe(streamKey(41, 'latency/lumen'));
  });

  it('leaves one stream unchanged when another is created or consumed', () => {
    const alone = take(rngFor(42, 'latency/lumen'), 50);
    const other = rngFor(42, 'latency/new-provider');
    const lumen = rngFor(42, 'latency/lumen');
    const interleaved: number[] = [];
    for (let i = 0; i < 50; i++) {
      take(other, 3);
      interleaved.push(lumen.next());
    }
    expect(interleaved).toEqual(alone);
  });

  it('gives uncorrelated sequences for different names', () => {
    // 20,000 pairs: the correlation of independent streams has sd 1/√20000 ≈ 0.007.
    const a = take(rngFor(42, 'latency/lumen'), 20_000);
    const b = take(rngFor(42, 'latency/pixelforge'), 20_000);
    expect(Math.abs(correlation(a, b))).toBeLessThan(0.03);
  });
});

describe('DrawSource (common random numbers)', () => {
  it('gives the same draws for the same (request, attempt) whatever was drawn before', () => {
    const source = drawSourceFor(42, 'latency/lumen');
    const first = take(source.at(17, 1), 5);
    take(source.at(3, 0), 100);
    take(source.at(18, 1), 7);
    expect(take(source.at(17, 1), 5)).toEqual(first);
    // A second source on the same stream agrees.
    expect(take(new DrawSource(streamKey(42, 'latency/lumen')).at(17, 1), 5)).toEqual(first);
  });

  it('reuses one generator object', () => {
    const source = drawSourceFor(1, 'failures/lumen');
    expect(source.at(1, 0)).toBe(source.at(2, 0));
  });

  it('gives different draws for different requests, attempts and streams', () => {
    const source = drawSourceFor(42, 'latency/lumen');
    const base = source.at(17, 1).next();
    expect(source.at(18, 1).next()).not.toBe(base);
    expect(source.at(17, 2).next()).not.toBe(base);
    expect(source.at(17 + 2 ** 32, 1).next()).not.toBe(base);
    expect(drawSourceFor(42, 'latency/pixelforge').at(17, 1).next()).not.toBe(base);
  });

  it('spreads first draws of consecutive requests evenly (chi-square)', () => {
    // First draw of requests 0..99,999 at attempt 0: same bound as for a sequential stream.
    const source = drawSourceFor(2, 'failures/lumen');
    const bins = new Array<number>(10).fill(0);
    const n = 100_000;
    for (let r = 0; r < n; r++) bins[Math.floor(source.at(r, 0).next() * 10)]!++;
    const chi2 = bins.reduce((acc, o) => acc + ((o - n / 10) ** 2) / (n / 10), 0);
    expect(chi2).toBeLessThan(40);
  });
});
