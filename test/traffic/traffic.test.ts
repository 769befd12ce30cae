import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { ImageRequest } from '../../src/model/request.js';
import { localDayOfWeek, localMsOfDay } from '../../src/model/time.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ResolvedArrivals, ResolvedTraffic } from '../../src/scenario/resolve.js';
import { ArrivalStream, openTraffic, rateMultiplier } from '../../src/traffic/traffic.js';

type SyntheticTraffic = Extract<ResolvedTraffic, { kind: 'synthetic' }>;

const SEC = 1_000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** 2026-06-01T00:00:00Z, a Monday. */
const START = Date.UTC(2026, 5, 1);

const PROVIDER = {
  id: 'alpha',
  pricing: { model: 'per-image', price: 0.04 },
  tiers: { standard: { latency: { dist: 'fixed', value: '2s' } }, turbo: { latency: { dist: 'fixed', value: '1s' } } },
};

/** Traffic through the real schema and resolver, so the tests see what the engine sees. */
function synthetic(arrivals: Record<string, unknown>, mix: unknown[] = [{ name: 'only' }], start = '2026-06-01T00:00:00Z'): SyntheticTraffic {
  const s = scenarioFromObject({
    version: 1,
    name: 't',
    start,
    providers: [PROVIDER],
    traffic: { arrivals, mix },
  });
  if (s.traffic.kind !== 'synthetic') throw new Error('expected synthetic traffic');
  return s.traffic;
}

function stream(traffic: SyntheticTraffic, durationMs: number, seed = 42, startMs = START): ArrivalStream {
  return new ArrivalStream(traffic, seed, startMs, startMs + durationMs);
}

function pullAll(s: ArrivalStream): ImageRequest[] {
  const out: ImageRequest[] = [];
  for (let r = s.next(); r !== undefined; r = s.next()) out.push(r);
  return out;
}

/** Counts arrivals without keeping them; `bucket` maps a request to a bin index. */
function histogram(s: ArrivalStream, bins: number, bucket: (r: ImageRequest) => number): number[] {
  const counts = new Array<number>(bins).fill(0);
  for (let r = s.next(); r !== undefined; r = s.next()) counts[bucket(r)]!++;
  return counts;
}

/** Coefficient of variation (sd / mean) of the gaps between arrivals. */
function interArrivalCv(times: readonly number[]): number {
  const n = times.length - 1;
  let sum = 0;
  let sumSq = 0;
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    sum += gap;
    sumSq += gap * gap;
  }
  const mean = sum / n;
  return Math.sqrt(sumSq / n - mean * mean) / mean;
}

describe('rateMultiplier', () => {
  const diurnal = (tz: string): ResolvedArrivals =>
    synthetic({ rate: '1/s', pattern: { diurnal: { amplitude: 0.5, peak: '14:30', tz } } }).arrivals;

  it.each([
    // 14:30 EDT = 18:30 UTC: cos 0 → 1 + 0.5 = 1.5
    ['peak', Date.UTC(2026, 5, 1, 18, 30), 1.5],
    // 02:30 EDT: cos π → 1 − 0.5 = 0.5
    ['trough', Date.UTC(2026, 5, 1, 6, 30), 0.5],
    // 20:30 EDT, six hours after the peak: cos(π/2) = 0 → 1
    ['six hours after the peak', Date.UTC(2026, 6, 2, 0, 30), 1],
  ])('puts the diurnal %s at local time in the pattern tz', (_label, tMs, expected) => {
    expect(rateMultiplier(diurnal('America/New_York'), tMs, START)).toBeCloseTo(expected, 12);
  });

  it('applies the weekend multiplier on local Saturday and Sunday in the diurnal tz, else UTC', () => {
    const utc = synthetic({ rate: '1/s', pattern: { weekly: { weekend: 0.6 } } }).arrivals;
    const tokyo = synthetic({ rate: '1/s', pattern: { weekly: { weekend: 0.6 }, diurnal: { amplitude: 0, peak: '12:00', tz: 'Asia/Tokyo' } } })
      .arrivals;
    const fridayEvening = Date.UTC(2026, 5, 5, 16); // Fri 16:00 UTC = Sat 01:00 in Tokyo (UTC+9)
    const sundayLate = Date.UTC(2026, 5, 7, 16); // Sun 16:00 UTC = Mon 01:00 in Tokyo
    expect(rateMultiplier(utc, fridayEvening, START)).toBe(1);
    expect(rateMultiplier(tokyo, fridayEvening, START)).toBe(0.6);
    expect(rateMultiplier(utc, sundayLate, START)).toBe(0.6);
    expect(rateMultiplier(tokyo, sundayLate, START)).toBe(1);
  });

  it('compounds growth continuously: 15%/month is ×1.15 after 30 days and ×1.15^(1/2) after 15', () => {
    const a = synthetic({ rate: '1/s', pattern: { growth: '15%/month' } }).arrivals;
    expect(rateMultiplier(a, START, START)).toBe(1);
    expect(rateMultiplier(a, START + 30 * DAY, START)).toBeCloseTo(1.15, 12);
    expect(rateMultiplier(a, START + 15 * DAY, START)).toBeCloseTo(Math.sqrt(1.15), 12);
  });

  it('multiplies overlapping bursts inside their half-open spans', () => {
    const a = synthetic({
      rate: '1/s',
      pattern: {
        bursts: [
          { at: '1h', duration: '1h', multiplier: 4 },
          { at: '90m', duration: '1h', multiplier: 2 },
        ],
      },
    }).arrivals;
    expect(rateMultiplier(a, START + HOUR - 1, START)).toBe(1);
    expect(rateMultiplier(a, START + HOUR, START)).toBe(4);
    expect(rateMultiplier(a, START + 100 * MIN, START)).toBe(8); // 4 × 2 in the overlap
    expect(rateMultiplier(a, START + 2 * HOUR, START)).toBe(2); // the first burst ended
    expect(rateMultiplier(a, START + 150 * MIN, START)).toBe(1);
  });

  it('matches localMsOfDay and localDayOfWeek across daylight-saving changes', () => {
    const a = synthetic({
      rate: '1/s',
      pattern: { diurnal: { amplitude: 0.7, peak: '09:15', tz: 'Europe/Berlin' }, weekly: { weekend: 0.3 } },
    }).arrivals;
    const peakMs = (9 * 60 + 15) * MIN;
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2027, 0, 1) }), (tMs) => {
        const h = localMsOfDay('Europe/Berlin', tMs);
        const day = localDayOfWeek('Europe/Berlin', tMs);
        const expected = (1 + 0.7 * Math.cos((2 * Math.PI * (h - peakMs)) / DAY)) * (day === 0 || day === 6 ? 0.3 : 1);
        expect(rateMultiplier(a, tMs, START)).toBeCloseTo(expected, 12);
      }),
      { numRuns: 500 },
    );
  });
});

describe('Poisson arrivals', () => {
  it('arrive rate × duration times within 3 sd over a long window', () => {
    // 2/s for a day: mean 2 × 86,400 = 172,800, sd = √172,800 ≈ 415.7
    const n = pullAll(stream(synthetic({ rate: '2/s' }), DAY)).length;
    expect(Math.abs(n - 172_800)).toBeLessThan(3 * Math.sqrt(172_800));
  });

  it('have exponential gaps: coefficient of variation ≈ 1', () => {
    // n = 100,000 gaps; the CV of exponential samples has sd ≈ √(2/n) ≈ 0.0045
    const times = pullAll(stream(synthetic({ rate: '10/s' }), 10_000 * SEC)).map((r) => r.arrivalMs);
    expect(interArrivalCv(times)).toBeCloseTo(1, 1);
    expect(Math.abs(interArrivalCv(times) - 1)).toBeLessThan(0.0135);
  });

  it('put the most arrivals in the diurnal peak hour of the given tz, peak/trough ≈ (1+a)/(1−a)', () => {
    // amplitude 0.5, peak 14:30 New York: the 14:00–15:00 local hour is centred on the peak.
    // Expected hour counts ∝ 1 ± a·sinc where sinc = sin(π/24)/(π/24) = 0.99715 (the cosine
    // averaged over ±30 min), so peak/trough = 1.49857 / 0.50143 = 2.9886 ≈ (1+a)/(1−a) = 3.
    // 0.5/s × 10 days: peak hour ≈ 10 × 1800 × 1.4986 = 26,974, trough ≈ 9,026, so the ratio
    // has sd ≈ 2.99 × √(1/26,974 + 1/9,026) ≈ 0.036.
    const traffic = synthetic({ rate: '0.5/s', pattern: { diurnal: { amplitude: 0.5, peak: '14:30', tz: 'America/New_York' } } });
    const byLocalHour = new Array<number>(24).fill(0);
    // Circular mean of the time of day: the phase of Σ (cos θ, sin θ). For n ≈ 432,000
    // arrivals its sd is √(2/n)/a ≈ 0.0043 rad ≈ 1 minute.
    const local = { cos: 0, sin: 0 };
    const utc = { cos: 0, sin: 0 };
    const s = stream(traffic, 10 * DAY);
    for (let r = s.next(); r !== undefined; r = s.next()) {
      const localMs = localMsOfDay('America/New_York', r.arrivalMs);
      byLocalHour[Math.floor(localMs / HOUR)]!++;
      local.cos += Math.cos((2 * Math.PI * localMs) / DAY);
      local.sin += Math.sin((2 * Math.PI * localMs) / DAY);
      utc.cos += Math.cos((2 * Math.PI * r.arrivalMs) / DAY);
      utc.sin += Math.sin((2 * Math.PI * r.arrivalMs) / DAY);
    }
    const peakMinute = (acc: { cos: number; sin: number }): number => (((Math.atan2(acc.sin, acc.cos) / (2 * Math.PI)) * 1440 + 1440) % 1440);
    expect(Math.abs(peakMinute(local) - (14 * 60 + 30))).toBeLessThan(5);
    // The same arrivals peak at 18:30 UTC (EDT is UTC−4).
    expect(Math.abs(peakMinute(utc) - (18 * 60 + 30))).toBeLessThan(5);
    // The 14:00 hour beats every hour but its neighbours, which expect only 1.1% fewer
    // (1 + 0.5 × 0.9636 vs 1 + 0.5 × 0.99715) — too close to separate; hours 12 and 16 expect 4.4% fewer.
    const peakHour = byLocalHour.indexOf(Math.max(...byLocalHour));
    expect([13, 14, 15]).toContain(peakHour);
    for (let h = 0; h < 24; h++) if (Math.abs(h - 14) > 1) expect(byLocalHour[14]!).toBeGreaterThan(byLocalHour[h]!);
    const ratio = byLocalHour[14]! / byLocalHour[2]!;
    expect(Math.abs(ratio - 2.9886)).toBeLessThan(3 * 0.036);
  });

  it('scale weekend days by the weekend multiplier', () => {
    // 0.2/s for two weeks from a Monday: weekdays 10 × 17,280 = 172,800, weekends 4 × 10,368 = 41,472.
    // Per-day ratio sd ≈ 0.6 × √(1/41,472 + 1/172,800) ≈ 0.0033.
    const counts = histogram(stream(synthetic({ rate: '0.2/s', pattern: { weekly: { weekend: 0.6 } } }), 14 * DAY), 2, (r) => {
      const day = localDayOfWeek('UTC', r.arrivalMs);
      return day === 0 || day === 6 ? 1 : 0;
    });
    const ratio = counts[1]! / 4 / (counts[0]! / 10);
    expect(Math.abs(ratio - 0.6)).toBeLessThan(0.01);
  });

  it('grow 15%/month: the last day of 30 has ≈ 1.15× the arrivals of the first', () => {
    // Day k's expected count ∝ ∫ exp(g t) over the day, so last/first = exp(29 g days) =
    // 1.15^(29/30) = 1.1446. At 0.1/s the first day has ≈ 8,660 and the last ≈ 9,910:
    // ratio sd ≈ 1.1446 × √(1/8,660 + 1/9,910) ≈ 0.0168.
    const perDay = histogram(stream(synthetic({ rate: '0.1/s', pattern: { growth: '15%/month' } }), 30 * DAY), 30, (r) =>
      Math.floor((r.arrivalMs - START) / DAY),
    );
    expect(Math.abs(perDay[29]! / perDay[0]! - 1.1446)).toBeLessThan(3 * 0.0168);
  });

  it('multiply arrivals inside a burst by its multiplier and stop them in a zero burst', () => {
    // 1/s for 4 h with ×4 in 01:00–01:15 and ×0 in 03:00–03:30. Per 15-minute slot: 900
    // outside (sd 30), 3,600 inside the burst (sd 60).
    const traffic = synthetic({
      rate: '1/s',
      pattern: {
        bursts: [
          { at: '1h', duration: '15m', multiplier: 4 },
          { at: '3h', duration: '30m', multiplier: 0 },
        ],
      },
    });
    const perSlot = histogram(stream(traffic, 4 * HOUR), 16, (r) => Math.floor((r.arrivalMs - START) / (15 * MIN)));
    expect(Math.abs(perSlot[4]! - 3_600)).toBeLessThan(3 * 60);
    expect(Math.abs(perSlot[3]! - 900)).toBeLessThan(3 * 30);
    expect(Math.abs(perSlot[5]! - 900)).toBeLessThan(3 * 30);
    expect(perSlot[12]).toBe(0);
    expect(perSlot[13]).toBe(0);
    expect(Math.abs(perSlot[14]! - 900)).toBeLessThan(3 * 30);
  });

  it('follow rate × ∫ m(t) dt for a combined pattern (thinning with a piecewise bound is exact)', () => {
    // Friday to Sunday with strong growth (100%/day: many bound segments), overlapping bursts
    // and a zero burst. Expected count: Σ over minutes of rate × m(mid-minute) × 60 s (midpoint
    // rule; burst edges fall on minute boundaries), ≈ 0.2 × 86,400 × 7 / ln 2 × ~1.3 ≈ 230,000.
    const friday = Date.UTC(2026, 5, 5);
    const traffic = synthetic(
      {
        rate: '0.2/s',
        pattern: {
          diurnal: { amplitude: 0.8, peak: '03:00', tz: 'Asia/Kolkata' },
          weekly: { weekend: 1.5 },
          growth: '100%/day',
          bursts: [
            { at: '20h', duration: '2h', multiplier: 3 },
            { at: '21h', duration: '3h', multiplier: 2 },
            { at: '40h', duration: '1h', multiplier: 0 },
          ],
        },
      },
      undefined,
      '2026-06-05T00:00:00Z',
    );
    const durationMs = 3 * DAY;
    let expected = 0;
    for (let t = friday + MIN / 2; t < friday + durationMs; t += MIN) expected += 0.2 * rateMultiplier(traffic.arrivals, t, friday) * 60;
    const n = histogram(stream(traffic, durationMs, 7, friday), 1, () => 0)[0]!;
    expect(Math.abs(n - expected)).toBeLessThan(3 * Math.sqrt(expected));
  });

  it('keep ids sequential and arrivals ordered inside the window for any pattern', () => {
    fc.assert(
      fc.property(
        fc.record({
          amplitude: fc.double({ min: 0, max: 1, noNaN: true }),
          weekend: fc.double({ min: 0, max: 3, noNaN: true }),
          growth: fc.integer({ min: -50, max: 500 }),
          burstAtMin: fc.integer({ min: 0, max: 360 }),
          multiplier: fc.double({ min: 0, max: 10, noNaN: true }),
          process: fc.constantFrom('poisson', 'uniform'),
          seed: fc.nat(),
        }),
        (p) => {
          const traffic = synthetic({
            process: p.process,
            rate: '0.5/s',
            pattern: {
              diurnal: { amplitude: p.amplitude, peak: '12:00', tz: 'Australia/Sydney' },
              weekly: { weekend: p.weekend },
              growth: `${p.growth}%/day`,
              bursts: [{ at: p.burstAtMin * MIN, duration: '30m', multiplier: p.multiplier }],
            },
          });
          const all = pullAll(new ArrivalStream(traffic, p.seed, START, START + 6 * HOUR));
          // One expect per run: checking each of ~10,000 arrivals with expect is slow.
          const bad = all.findIndex((r, i) => r.id !== i || r.arrivalMs < (i === 0 ? START : all[i - 1]!.arrivalMs) || r.arrivalMs >= START + 6 * HOUR);
          expect(bad).toBe(-1);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('uniform arrivals', () => {
  it('are evenly spaced at 1/rate from the start: 1/s for 10 s is 0, 1, ..., 9 s', () => {
    const times = pullAll(stream(synthetic({ process: 'uniform', rate: '1/s' }), 10 * SEC)).map((r) => r.arrivalMs - START);
    expect(times).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => s * SEC));
  });

  it('have inter-arrival coefficient of variation 0 at a constant rate', () => {
    const times = pullAll(stream(synthetic({ process: 'uniform', rate: '7/s' }), 1_000 * SEC)).map((r) => r.arrivalMs);
    expect(times).toHaveLength(7_000);
    expect(interArrivalCv(times)).toBeLessThan(1e-6);
  });

  it('space by the rate at the current time: 15%/month makes the last day ≈ 1.1446× the first', () => {
    // Deterministic, so the tolerance is only the discretisation: 0.1/s is ≈ 8,660 a day.
    const perDay = histogram(stream(synthetic({ process: 'uniform', rate: '0.1/s', pattern: { growth: '15%/month' } }), 30 * DAY), 30, (r) =>
      Math.floor((r.arrivalMs - START) / DAY),
    );
    expect(perDay[29]! / perDay[0]!).toBeCloseTo(1.1446, 3);
  });

  it('send nothing while the rate is zero and resume after it', () => {
    const traffic = synthetic({ process: 'uniform', rate: '1/s', pattern: { bursts: [{ at: '10s', duration: '20s', multiplier: 0 }] } });
    const times = pullAll(stream(traffic, 40 * SEC)).map((r) => (r.arrivalMs - START) / SEC);
    expect(times).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
  });
});

describe('the request mix', () => {
  const MIX = [
    { name: 'interactive', weight: 0.7, size: '1024x1024', steps: 30, urgency: 'interactive', project: 'app', tier: 'turbo' },
    {
      name: 'catalog',
      weight: 0.2,
      size: '1792x1024',
      steps: { min: 30, max: 33 },
      quality: 'hd',
      features: ['controlnet', 'lora'],
      validate: true,
      urgency: 'batch',
      deadline: '12h',
      promptWords: { min: 3, max: 3 },
    },
    { name: 'retired', weight: 0, project: 'old' },
    { name: 'edits', weight: 0.1, size: '512x512', features: ['inpainting'] },
  ];
  const traffic = synthetic({ rate: '100/s' }, MIX);
  const requests = pullAll(stream(traffic, 1_000 * SEC));

  it('picks classes in proportion to their weights (chi-square, 2 df)', () => {
    const observed = new Map<string, number>();
    for (const r of requests) observed.set(r.className, (observed.get(r.className) ?? 0) + 1);
    expect(observed.has('retired')).toBe(false);
    const n = requests.length;
    let chi2 = 0;
    for (const [name, weight] of [['interactive', 0.7], ['catalog', 0.2], ['edits', 0.1]] as const) {
      const expected = n * weight;
      chi2 += (observed.get(name)! - expected) ** 2 / expected;
    }
    expect(chi2).toBeLessThan(13.82); // the 99.9% point of chi-square with 2 degrees of freedom
  });

  it('draws step ranges as uniform integers with both ends included', () => {
    const steps = requests.filter((r) => r.className === 'catalog').map((r) => r.steps);
    expect([...new Set(steps)].sort()).toEqual([30, 31, 32, 33]);
    for (const s of [30, 31, 32, 33]) expect(steps.filter((x) => x === s).length / steps.length).toBeCloseTo(0.25, 1);
  });

  it('copies the class attributes, with the deadline relative to arrival', () => {
    const catalog = requests.find((r) => r.className === 'catalog')!;
    expect(catalog).toMatchObject({
      size: '1792x1024',
      width: 1792,
      height: 1024,
      quality: 'hd',
      features: ['controlnet', 'lora'],
      validate: true,
      urgency: 'batch',
      deadlineMs: catalog.arrivalMs + 12 * HOUR,
    });
    const interactive = requests.find((r) => r.className === 'interactive')!;
    expect(interactive).toMatchObject({ width: 1024, height: 1024, steps: 30, urgency: 'interactive', project: 'app', tier: 'turbo', validate: false });
    expect(interactive.deadlineMs).toBeUndefined();
    expect(interactive.quality).toBeUndefined();
  });

  it("shares one frozen features array per class instead of copying it", () => {
    const catalogs = requests.filter((r) => r.className === 'catalog');
    expect(catalogs[0]!.features).toBe(catalogs[1]!.features);
    expect(Object.isFrozen(catalogs[0]!.features)).toBe(true);
  });

  it('gives prompts from the faker pool, sized by promptWords, with promptChars their length', () => {
    for (const r of requests.slice(0, 2_000)) {
      expect(r.promptChars).toBe(r.prompt!.length);
      const words = r.prompt!.split(' ').length;
      if (r.className === 'catalog') expect(words).toBe(3);
      else {
        // default 8–40 words (a faker word may itself hold a space, so allow a little over)
        expect(words).toBeGreaterThanOrEqual(8);
        expect(words).toBeLessThanOrEqual(45);
      }
    }
    expect(new Set(requests.map((r) => r.prompt)).size).toBeGreaterThan(300); // two pools of 256
  });

  it('gives classes without a project one of eight readable ones, project-1 to project-8', () => {
    const projects = new Set(requests.filter((r) => r.className === 'edits').map((r) => r.project));
    expect([...projects].sort()).toEqual(['project-1', 'project-2', 'project-3', 'project-4', 'project-5', 'project-6', 'project-7', 'project-8']);
  });
});

describe('determinism', () => {
  const traffic = synthetic(
    { rate: '5/s', pattern: { diurnal: { amplitude: 0.4, peak: '12:00', tz: 'UTC' }, bursts: [{ at: '10m', duration: '5m', multiplier: 3 }] } },
    [
      { name: 'a', weight: 2, steps: { min: 10, max: 50 } },
      { name: 'b', weight: 1 },
    ],
  );

  it('gives the same seed the same stream: ids, times, classes, steps, prompts, projects', () => {
    const first = pullAll(stream(traffic, HOUR, 9));
    const again = pullAll(stream(traffic, HOUR, 9));
    expect(first.length).toBeGreaterThan(10_000);
    expect(again).toEqual(first);
  });

  it('gives a different seed a different stream', () => {
    const a = pullAll(stream(traffic, 10 * MIN, 9));
    const b = pullAll(stream(traffic, 10 * MIN, 10));
    expect(b.map((r) => r.arrivalMs)).not.toEqual(a.map((r) => r.arrivalMs));
    expect(b.map((r) => r.prompt)).not.toEqual(a.map((r) => r.prompt));
    expect(b.map((r) => r.className)).not.toEqual(a.map((r) => r.className));
  });

  it('draws classes and prompts from their own streams, unaffected by the arrival process', () => {
    const poisson = pullAll(stream(traffic, 10 * MIN, 3)).slice(0, 1_000);
    const uniform = pullAll(stream({ ...traffic, arrivals: { ...traffic.arrivals, process: 'uniform', rate: 50 } }, 10 * MIN, 3)).slice(0, 1_000);
    const strip = (r: ImageRequest) => [r.className, r.steps, r.prompt, r.project];
    expect(uniform.map(strip)).toEqual(poisson.map(strip));
  });
});

describe('long runs', () => {
  it('pull a 1,000,000-request stream one request at a time', () => {
    // 1,000/s for 1,000 s: mean 1,000,000, sd 1,000. Nothing is kept, so memory stays flat.
    const s = stream(synthetic({ rate: '1000/s' }), 1_000 * SEC);
    let n = 0;
    let lastMs = -Infinity;
    for (let r = s.next(); r !== undefined; r = s.next()) {
      if (r.arrivalMs < lastMs) throw new Error('out of order');
      lastMs = r.arrivalMs;
      n++;
    }
    expect(s.emitted).toBe(n);
    expect(Math.abs(n - 1_000_000)).toBeLessThan(3 * 1_000);
    expect(s.next()).toBeUndefined();
  });

  it('ends at once for a zero rate', () => {
    expect(stream(synthetic({ rate: 0 }), DAY).next()).toBeUndefined();
  });

  it('opens synthetic traffic through openTraffic', () => {
    const source = openTraffic(synthetic({ rate: '1/s' }), 1, START, START + 10 * SEC);
    expect(source.next()?.id).toBe(0);
    source.close();
    expect(source.next()).toBeUndefined();
  });
});
