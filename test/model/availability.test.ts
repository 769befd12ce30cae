import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AvailabilityCurve, effectiveConcurrency, type AvailabilitySpec } from '../../src/model/availability.js';
import { rngFor } from '../../src/model/random.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const START = Date.parse('2026-06-01T00:00:00Z');

function spec(partial: Partial<AvailabilitySpec>): AvailabilitySpec {
  return { base: 1, outages: [], ...partial };
}

/** The instant of the minimum of `curve` over one day sampled each minute. */
function argminOverDay(curve: AvailabilityCurve, dayStartMs: number): { atMs: number; value: number } {
  let best = { atMs: dayStartMs, value: Infinity };
  for (let t = dayStartMs; t < dayStartMs + DAY; t += MINUTE) {
    const a = curve.at(t);
    if (a < best.value) best = { atMs: t, value: a };
  }
  return best;
}

describe('AvailabilityCurve', () => {
  it('stays within [0, 1] for any settings and time', () => {
    // Half-lives and mtbf from 1 min keep the cached grids small (zero values are tested below).
    const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Adelaide'];
    const arbSpec: fc.Arbitrary<AvailabilitySpec> = fc.record({
      base: fc.double({ min: 0, max: 1, noNaN: true }),
      diurnal: fc.option(
        fc.record({
          amplitude: fc.double({ min: 0, max: 1, noNaN: true }),
          trough: fc.integer({ min: 0, max: 1440 }),
          tz: fc.constantFrom(...zones),
        }),
        { nil: undefined },
      ),
      noise: fc.option(fc.record({ sd: fc.double({ min: 0, max: 2, noNaN: true }), halfLife: fc.integer({ min: MINUTE, max: DAY }) }), {
        nil: undefined,
      }),
      outages: fc.array(
        fc.tuple(fc.integer({ min: -DAY, max: 3 * DAY }), fc.integer({ min: 0, max: 6 * HOUR })).map(([at, d]) => ({
          startMs: START + at,
          endMs: START + at + d,
        })),
        { maxLength: 3 },
      ),
      randomOutages: fc.option(fc.record({ mtbf: fc.integer({ min: MINUTE, max: DAY }), mttr: fc.integer({ min: 0, max: 2 * HOUR }) }), {
        nil: undefined,
      }),
    });
    fc.assert(
      fc.property(arbSpec, fc.integer({ min: 0, max: 1000 }), fc.array(fc.integer({ min: -DAY, max: 2 * DAY }), { maxLength: 20, size: 'max' }), (s, seed, ts) => {
        const curve = new AvailabilityCurve(s, seed, 'lumen', START);
        return ts.every((t) => {
          const a = curve.at(START + t);
          return a >= 0 && a <= 1;
        });
      }),
      { numRuns: 150 },
    );
  });

  it('puts the minimum availability at the trough in the given zone', () => {
    // base 0.6, amplitude 0.3, trough 04:00 America/New_York.
    // June: EDT = UTC−4, so the trough is 08:00Z with a = 0.6 − 0.3 = 0.3; the peak 20:00Z, 0.9.
    const ny = new AvailabilityCurve(spec({ base: 0.6, diurnal: { amplitude: 0.3, trough: 240, tz: 'America/New_York' } }), 1, 'lumen', START);
    const june = Date.parse('2026-06-15T00:00:00Z');
    const min = argminOverDay(ny, june);
    expect(new Date(min.atMs).toISOString()).toBe('2026-06-15T08:00:00.000Z');
    expect(min.value).toBeCloseTo(0.3, 12);
    expect(ny.at(Date.parse('2026-06-15T20:00:00Z'))).toBeCloseTo(0.9, 12);
    // Six hours off the trough the cosine is 0: a = base = 0.6.
    expect(ny.at(Date.parse('2026-06-15T14:00:00Z'))).toBeCloseTo(0.6, 12);
    // January: EST = UTC−5, so the trough moves to 09:00Z.
    const jan = argminOverDay(ny, Date.parse('2026-01-15T00:00:00Z'));
    expect(new Date(jan.atMs).toISOString()).toBe('2026-01-15T09:00:00.000Z');
  });

  it('gives regions in different zones different curves', () => {
    const diurnal = (tz: string): AvailabilitySpec => spec({ base: 0.6, diurnal: { amplitude: 0.3, trough: 240, tz } });
    const utc = argminOverDay(new AvailabilityCurve(diurnal('UTC'), 1, 'a', START), Date.parse('2026-06-15T00:00:00Z'));
    const berlin = argminOverDay(new AvailabilityCurve(diurnal('Europe/Berlin'), 1, 'a', START), Date.parse('2026-06-15T00:00:00Z'));
    // 04:00 UTC, and 04:00 CEST = 02:00Z.
    expect(new Date(utc.atMs).toISOString()).toBe('2026-06-15T04:00:00.000Z');
    expect(new Date(berlin.atMs).toISOString()).toBe('2026-06-15T02:00:00.000Z');
  });

  it('drops to 0 inside a scheduled outage and only there', () => {
    // Outage [start + 1h, start + 1h30m).
    const outage = { startMs: START + HOUR, endMs: START + HOUR + 30 * MINUTE };
    const curve = new AvailabilityCurve(spec({ base: 0.9, outages: [outage] }), 1, 'lumen', START);
    expect(curve.at(outage.startMs - 1)).toBe(0.9);
    expect(curve.at(outage.startMs)).toBe(0);
    expect(curve.at(outage.startMs + 15 * MINUTE)).toBe(0);
    expect(curve.at(outage.endMs - 1)).toBe(0);
    expect(curve.at(outage.endMs)).toBe(0.9);
  });

  it('adds noise with the stated sd and autocorrelation 0.5 at a lag of one half-life', () => {
    // sd 0.05, half-life 10 min → grid step 1 min (halfLife / 10), φ = 2^(−1/10) = 0.933.
    // The autocorrelation at lag 10 steps = 10 min is φ^10 = 2^(−1) = 0.5.
    // 200,000 grid points with integrated autocorrelation time (1 + φ)/(1 − φ) ≈ 29 steps give
    // ~6,900 effective samples: the sd is known to ~1%, the lag-10 correlation to ~0.01.
    const base = 0.5; // far enough from 0 and 1 (10 sd) that clipping never acts
    const curve = new AvailabilityCurve(spec({ base, noise: { sd: 0.05, halfLife: 10 * MINUTE } }), 7, 'lumen', START);
    const n = 200_000;
    const xs = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      xs[i] = curve.at(START + i * MINUTE) - base;
      sum += xs[i]!;
    }
    const mean = sum / n;
    let variance = 0;
    let lagged = 0;
    for (let i = 0; i < n; i++) {
      const d = xs[i]! - mean;
      variance += d * d;
      if (i + 10 < n) lagged += d * (xs[i + 10]! - mean);
    }
    const sd = Math.sqrt(variance / n);
    const rho = lagged / variance;
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(sd - 0.05)).toBeLessThan(0.05 * 0.05);
    expect(Math.abs(rho - 0.5)).toBeLessThan(0.03);
  });

  it('interpolates the noise linearly between grid points', () => {
    // Grid step 1 min: halfway between two grid points the value is their average.
    const curve = new AvailabilityCurve(spec({ base: 0.5, noise: { sd: 0.05, halfLife: 10 * MINUTE } }), 7, 'lumen', START);
    const a = curve.at(START + 5 * MINUTE);
    const b = curve.at(START + 6 * MINUTE);
    expect(curve.at(START + 5.5 * MINUTE)).toBeCloseTo((a + b) / 2, 12);
  });

  it('gives the same value for the same (seed, id, t) whatever the query order', () => {
    const s = spec({
      base: 0.7,
      diurnal: { amplitude: 0.2, trough: 180, tz: 'Europe/Berlin' },
      noise: { sd: 0.1, halfLife: 5 * MINUTE },
      randomOutages: { mtbf: 2 * HOUR, mttr: 15 * MINUTE },
    });
    const rng = rngFor(3, 'times');
    const times = Array.from({ length: 500 }, () => START + Math.floor(rng.next() * 3 * DAY));
    const forward = new AvailabilityCurve(s, 42, 'lumen', START);
    const backward = new AvailabilityCurve(s, 42, 'lumen', START);
    const shuffled = new AvailabilityCurve(s, 42, 'lumen', START);
    const ascending = [...times].sort((x, y) => x - y);
    const expected = new Map(ascending.map((t) => [t, forward.at(t)]));
    for (const t of [...ascending].reverse()) expect(backward.at(t)).toBe(expected.get(t));
    for (const t of times) expect(shuffled.at(t)).toBe(expected.get(t));
    // Some of those times fall in random outages and some do not.
    expect([...expected.values()].some((a) => a === 0)).toBe(true);
    expect([...expected.values()].some((a) => a > 0)).toBe(true);
  });

  it('gives different providers different noise', () => {
    const s = spec({ base: 0.5, noise: { sd: 0.1, halfLife: 10 * MINUTE } });
    const lumen = new AvailabilityCurve(s, 42, 'lumen', START);
    const pixel = new AvailabilityCurve(s, 42, 'pixelforge', START);
    const again = new AvailabilityCurve(s, 42, 'lumen', START);
    const ts = [0, 7, 33, 120].map((m) => START + m * MINUTE);
    expect(ts.map((t) => pixel.at(t))).not.toEqual(ts.map((t) => lumen.at(t)));
    expect(ts.map((t) => again.at(t))).toEqual(ts.map((t) => lumen.at(t)));
  });

  it('holds noise and random outages at their start values before the start', () => {
    const s = spec({ base: 0.5, noise: { sd: 0.1, halfLife: 10 * MINUTE }, randomOutages: { mtbf: HOUR, mttr: 10 * MINUTE } });
    const curve = new AvailabilityCurve(s, 42, 'lumen', START);
    // The renewal process starts "up", so a(start) > 0.
    expect(curve.at(START)).toBeGreaterThan(0);
    expect(curve.at(START - HOUR)).toBe(curve.at(START));
  });

  it('is down about mttr / (mtbf + mttr) of the time with random outages', () => {
    // mtbf 1 h, mttr 10 min: 10 / 70 = 0.142857 of the time down. Over ~10,000 cycles
    // (700,000 min, sampled each minute) the fraction's sd is about 0.0017.
    const curve = new AvailabilityCurve(spec({ base: 1, randomOutages: { mtbf: HOUR, mttr: 10 * MINUTE } }), 5, 'lumen', START);
    const n = 700_000;
    let down = 0;
    for (let i = 0; i < n; i++) if (curve.at(START + i * MINUTE) === 0) down++;
    expect(down / n).toBeGreaterThan(0.142857 - 0.01);
    expect(down / n).toBeLessThan(0.142857 + 0.01);
  });

  it('forecasts the base and diurnal curve only, without noise or outages', () => {
    // base 0.6, amplitude 0.3, trough 04:00 UTC: at 04:00 the forecast is 0.3 and at 10:00 it is 0.6,
    // even inside an outage and with noise configured.
    const outage = { startMs: Date.parse('2026-06-02T09:00:00Z'), endMs: Date.parse('2026-06-02T11:00:00Z') };
    const curve = new AvailabilityCurve(
      spec({ base: 0.6, diurnal: { amplitude: 0.3, trough: 240, tz: 'UTC' }, noise: { sd: 0.2, halfLife: HOUR }, outages: [outage] }),
      1,
      'lumen',
      START,
    );
    expect(curve.expectedAt(Date.parse('2026-06-02T04:00:00Z'))).toBeCloseTo(0.3, 12);
    expect(curve.expectedAt(Date.parse('2026-06-02T10:00:00Z'))).toBeCloseTo(0.6, 12);
    expect(curve.at(Date.parse('2026-06-02T10:00:00Z'))).toBe(0);
  });

  it('draws independent noise at each grid point when the half-life is 0', () => {
    // halfLife 0 → φ = 0 and the step is the 1 s minimum: consecutive seconds are unrelated.
    const curve = new AvailabilityCurve(spec({ base: 0.5, noise: { sd: 0.1, halfLife: 0 } }), 1, 'lumen', START);
    const values = [0, 1, 2, 3].map((s) => curve.at(START + s * 1_000));
    expect(new Set(values).size).toBe(4);
    for (const a of values) expect(a).toBeGreaterThanOrEqual(0);
  });

  it('is always down when the mean time between failures is 0, and never when the repair time is 0', () => {
    expect(new AvailabilityCurve(spec({ randomOutages: { mtbf: 0, mttr: MINUTE } }), 1, 'a', START).at(START + HOUR)).toBe(0);
    expect(new AvailabilityCurve(spec({ randomOutages: { mtbf: MINUTE, mttr: 0 } }), 1, 'a', START).at(START + HOUR)).toBe(1);
  });
});

describe('effectiveConcurrency', () => {
  it.each([
    // ⌊64 × 0.5⌋ = 32
    [64, 0.5, 32],
    // ⌊10 × 0.99⌋ = 9
    [10, 0.99, 9],
    // ⌊64 × 0.01⌋ = 0, but at least 1 while a > 0
    [64, 0.01, 1],
    [64, 1, 64],
    [64, 0, 0],
  ])('gives %i slots at a = %f → %i', (concurrency, a, expected) => {
    expect(effectiveConcurrency(concurrency, a)).toBe(expected);
  });
});

describe('AvailabilityCurve.upperBound', () => {
  it('is at least a(t) everywhere in the span, and reaches the diurnal peak when the span holds it', () => {
    const zones = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'];
    fc.assert(
      fc.property(
        fc.record({
          base: fc.double({ min: 0, max: 1, noNaN: true }),
          amplitude: fc.double({ min: 0, max: 0.6, noNaN: true }),
          trough: fc.integer({ min: 0, max: 1439 }),
          tz: fc.constantFrom(...zones),
          sd: fc.constantFrom(0, 0.05, 0.2),
          halfLife: fc.integer({ min: MINUTE, max: 6 * HOUR }),
        }),
        fc.integer({ min: 0, max: 1000 }),
        // Runs that start in June, and just before the March and October clock changes (in
        // Europe, the US and Lord Howe's half-hour one); spans within ten days, up to 30 h long.
        fc.constantFrom(START, Date.parse('2026-03-27T00:00:00Z'), Date.parse('2026-10-23T00:00:00Z'), Date.parse('2026-04-03T00:00:00Z')),
        fc.integer({ min: -DAY, max: 10 * DAY }),
        fc.integer({ min: 0, max: 30 * HOUR }),
        (g, seed, runStart, from, length) => {
          const s = spec({ base: g.base, diurnal: { amplitude: g.amplitude, trough: g.trough, tz: g.tz }, ...(g.sd > 0 ? { noise: { sd: g.sd, halfLife: g.halfLife } } : {}) });
          const curve = new AvailabilityCurve(s, seed, 'p', runStart);
          const fromMs = runStart + from;
          const toMs = fromMs + length;
          const bound = curve.upperBound(fromMs, toMs);
          const step = Math.max(1000, length / 500);
          for (let t = fromMs; t <= toMs; t += step) if (curve.at(t) > bound + 1e-12) return false;
          return curve.at(toMs) <= bound + 1e-12 && bound <= 1 && bound >= 0;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is tight for a diurnal curve without noise: the peak if in the span, else the higher end', () => {
    // base 0.5, amplitude 0.3, trough 04:00 UTC: peak 0.8 at 16:00 UTC.
    const curve = new AvailabilityCurve(spec({ base: 0.5, diurnal: { amplitude: 0.3, trough: 240, tz: 'UTC' } }), 1, 'p', START);
    expect(curve.upperBound(START + 15 * HOUR, START + 17 * HOUR)).toBeCloseTo(0.8, 12);
    // 04:00–10:00: rising from the trough, highest at 10:00 where cos(π/2) = 0: a = 0.5.
    expect(curve.upperBound(START + 4 * HOUR, START + 10 * HOUR)).toBeCloseTo(0.5, 12);
    expect(curve.upperBound(START, START)).toBeCloseTo(curve.at(START), 12);
    expect(curve.upperBound(START, Infinity)).toBeCloseTo(0.8, 12);
  });

  it('is 1 for an unbounded span with noise, and ignores outages (they only lower a)', () => {
    const noisy = new AvailabilityCurve(spec({ base: 0.5, noise: { sd: 0.1, halfLife: HOUR } }), 1, 'p', START);
    expect(noisy.upperBound(START, Infinity)).toBe(1);
    const down = new AvailabilityCurve(spec({ base: 0.7, outages: [{ startMs: START, endMs: START + HOUR }] }), 1, 'p', START);
    expect(down.at(START + MINUTE)).toBe(0);
    expect(down.upperBound(START, START + 2 * MINUTE)).toBeCloseTo(0.7, 12);
  });
});
