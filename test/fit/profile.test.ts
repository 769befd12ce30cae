import { describe, expect, it } from 'vitest';
import { findOutages, fitDiurnal, hourTest, type HourlyCounts, type TimedAttempt } from '../../src/fit/profile.js';

const T0 = Date.UTC(2026, 5, 1);
const MIN = 60_000;

function counts(attempts: number[], events: number[]): HourlyCounts {
  const a = new Float64Array(24);
  const e = new Float64Array(24);
  attempts.forEach((n, h) => (a[h] = n));
  events.forEach((n, h) => (e[h] = n));
  return { attempts: a, events: e };
}

describe('outages', () => {
  it('finds a run of minutes in which every attempt was turned away, from its first to the next answer', () => {
    // An attempt every 10 s for 2 h; overloaded from 60:05 to 90:05 (the first at 60:10).
    const attempts: TimedAttempt[] = [];
    for (let t = 0; t < 120 * MIN; t += 10_000) attempts.push({ startMs: T0 + t, overloaded: t > 60 * MIN + 5_000 && t < 90 * MIN + 5_000 });
    expect(findOutages(attempts)).toEqual([{ startMs: T0 + 60 * MIN + 10_000, endMs: T0 + 90 * MIN + 10_000 }]);
  });

  it('ignores overload mixed with answers, and minutes with fewer than three attempts', () => {
    const attempts: TimedAttempt[] = [];
    for (let t = 0; t < 30 * MIN; t += 10_000) attempts.push({ startMs: T0 + t, overloaded: (t / 10_000) % 2 === 0 });
    attempts.push({ startMs: T0 + 40 * MIN, overloaded: true }, { startMs: T0 + 40 * MIN + 1, overloaded: true });
    expect(findOutages(attempts)).toEqual([]);
  });
});

describe('the hour-of-day test', () => {
  it('matches a hand-worked 2 × 2 chi-square', () => {
    // hour 0: 10 of 100, hour 1: 30 of 100 → rate 0.2, expected 20 and 80 each:
    // χ² = 10²/20 + 10²/80 + 10²/20 + 10²/80 = 5 + 1.25 + 5 + 1.25 = 12.5, df 1,
    // p = P(χ²₁ > 12.5) = erfc(√6.25) = erfc(2.5) = 4.0695e-4.
    const t = hourTest(counts([100, 100], [10, 30]))!;
    expect(t.chiSquare).toBeCloseTo(12.5, 12);
    expect(t.df).toBe(1);
    expect(t.pValue).toBeCloseTo(4.0695e-4, 7);
    expect([t.highest, t.lowest]).toEqual([
      { hour: 1, rate: 0.3 },
      { hour: 0, rate: 0.1 },
    ]);
  });

  it('finds nothing when every hour has the same rate, and skips hours with too few attempts', () => {
    const t = hourTest(counts([200, 200, 200, 5], [10, 10, 10, 5]))!;
    expect([t.chiSquare, t.hours, t.pValue]).toEqual([0, 3, 1]);
    expect(hourTest(counts([200], [10]))).toBeUndefined();
  });
});

describe('the diurnal profile', () => {
  it('recovers base, amplitude and trough from an exact 24-hour cosine', () => {
    // share(h) = 0.9 − 0.1·cos(2π(h − 15)/24): lowest 0.8 at 15:00, highest 1.0 at 03:00
    const n = 1_000_000;
    const attempts = Array.from({ length: 24 }, () => n);
    const events = Array.from({ length: 24 }, (_, h) => n * (1 - (0.9 - 0.1 * Math.cos((2 * Math.PI * (h - 15)) / 24))));
    const d = fitDiurnal(counts(attempts, events))!;
    expect(d.base).toBeCloseTo(0.9, 9);
    expect(d.amplitude).toBeCloseTo(0.1, 9);
    expect(d.troughHours).toBeCloseTo(15, 9);
    expect(d.r2).toBeCloseTo(1, 9);
  });
});
