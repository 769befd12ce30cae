/**
 * The Monte Carlo forecast on small scenarios built here, run on this thread (the worker pool
 * runs the same per-run function; test/cli/forecast.test.ts checks it from dist/). Expected
 * values are worked out in the comments.
 */
import { describe, expect, it } from 'vitest';
import { forecast } from '../../src/forecast/forecast.js';
import { prepareRuns, simulateRun } from '../../src/forecast/monte-carlo.js';
import { runSeed } from '../../src/forecast/parameters.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';

type ProviderInput = ScenarioInput['providers'][number];

function scenario(over: Partial<ScenarioInput>, providers: ProviderInput[]) {
  return scenarioFromObject({
    version: 1,
    name: 'mc',
    seed: 5,
    start: '2026-06-01T00:00:00Z',
    duration: '1h',
    providers,
    traffic: { arrivals: { process: 'poisson', rate: '1/s' }, mix: [{ name: 'app' }] },
    strategies: ['cheapest'],
    ...over,
  });
}

/** $0.04 an image, fixed 2 s, room for everything, no failures. */
const FLAT: ProviderInput = {
  id: 'flat',
  pricing: { model: 'per-image', price: 0.04 },
  tiers: { standard: { latency: { dist: 'fixed', value: '2s' } } },
  capacity: { concurrency: 1000, queue: 1000 },
};

describe('forecast: Monte Carlo over seeds', () => {
  it('matches the normal approximation of a Poisson cost: P50 and P90 of price × N, N ~ Poisson(λT)', async () => {
    // λ = 1/s, T = 400 s: N ~ Poisson(400), so cost = 0.04 N with mean 0.04 × 400 = 16 and
    // sd 0.04 × √400 = 0.8. Normal approximation: P50 = 16, P90 = 16 + 1.2816 × 0.8 = 17.025.
    // Sampling error over n = 400 runs: sd of the sample median ≈ 1.2533 × 0.8 / √400 = 0.050;
    // sd of the sample P90 ≈ √(0.9 × 0.1 / 400) / φ(1.2816) × 0.8 = 0.015 / 0.1755 × 0.8 = 0.068.
    // Model error of the approximation: the Poisson median is λ + 1/3 (+0.013 in dollars), the
    // skew 1/√λ = 0.05 moves P90 by (z² − 1)/6 × 0.05 × 0.8 = +0.004, counts step by $0.04.
    // Tolerance: 4 sampling sd plus the model error: P50 ± 0.22, P90 ± 0.32, mean ± 4 × 0.04.
    const runs = 400;
    const f = await forecast(scenario({}, [FLAT]), { runs, horizonMs: 400_000 });
    const s = f.strategies[0]!;
    expect(f.runs).toBe(runs);
    expect(s.cost.mean).toBeGreaterThan(16 - 0.16);
    expect(s.cost.mean).toBeLessThan(16 + 0.16);
    expect(Math.abs(s.cost.p50 - 16)).toBeLessThan(0.22);
    expect(Math.abs(s.cost.p90 - (16 + 1.2816 * 0.8))).toBeLessThan(0.32);
    // sd of the sample sd ≈ 0.8 / √(2 × 400) = 0.028
    expect(Math.abs(s.cost.sd - 0.8)).toBeLessThan(4 * 0.028);
    // No failures, a flat price: every image costs exactly $0.04 in every run.
    expect(s.costPerImage.min).toBeCloseTo(0.04, 12);
    expect(s.costPerImage.max).toBeCloseTo(0.04, 12);
    expect(s.successRate.min).toBe(1);
    expect(s.requests.mean).toBeCloseTo(s.cost.mean / 0.04, 6);
  });

  it('derives each run’s seed from the base seed and the run index only', async () => {
    const s = scenario({}, [FLAT]);
    const setup = await prepareRuns(s);
    const task = { runIndex: 3, seed: runSeed(5, 3), durationMs: 60_000, strategies: ['cheapest'] };
    const a = simulateRun(setup, task);
    const b = simulateRun(setup, task);
    expect(a).toEqual(b);
    expect(runSeed(5, 3)).not.toBe(runSeed(5, 4));
    expect(runSeed(5, 3)).not.toBe(runSeed(6, 3));
    const f1 = await forecast(s, { runs: 3, horizonMs: 60_000 });
    const f2 = await forecast(s, { runs: 3, horizonMs: 60_000, seed: 6 });
    expect(f1.strategies[0]!.cost).not.toEqual(f2.strategies[0]!.cost);
  });

  it('finds the day the budget runs out: $1,440 a day against $5,000 reaches it on day 4 in every run', async () => {
    // Uniform arrivals at 1/min at $1 an image: $1,440 a day. $5,000 is reached after
    // 5000 / 1440 = 3.47 days, on day 4 (hour 83: 3 × 1440 = 4320, then 680 more minutes).
    const s = scenario(
      {
        traffic: { arrivals: { process: 'uniform', rate: '1/m' }, mix: [{ name: 'app' }] },
        budget: { limit: 5000, period: '30d', onExhausted: 'allow' },
      },
      [{ ...FLAT, pricing: { model: 'per-image', price: 1 } }],
    );
    const f = await forecast(s, { runs: 2, horizonMs: 7 * 86_400_000 });
    const st = f.strategies[0]!;
    expect(st.budget).toEqual({ limit: 5000, period: '30d', exceedProbability: 1, runsExceeding: 2, exceedDay: { mean: 4, p50: 4 } });
    // Cumulative spend by the end of each day (the last requests finish 2 s after the end and
    // count on day 7).
    expect(st.spendByDay.p50).toEqual([1440, 2880, 4320, 5760, 7200, 8640, 10080]);
    expect(f.horizon).toMatchObject({ duration: '7d', days: 7, end: '2026-06-08T00:00:00.000Z' });
  });

  it('counts no exceedance when spend stays under the limit, and stops spending at the limit under `reject`', async () => {
    const base = {
      traffic: { arrivals: { process: 'uniform' as const, rate: '1/m' }, mix: [{ name: 'app' }] },
    };
    const under = await forecast(scenario({ ...base, budget: { limit: 20_000 } }, [{ ...FLAT, pricing: { model: 'per-image', price: 1 } }]), {
      runs: 1,
      horizonMs: 7 * 86_400_000,
    });
    expect(under.strategies[0]!.budget).toMatchObject({ exceedProbability: 0, runsExceeding: 0, exceedDay: null });
    const reject = await forecast(scenario({ ...base, budget: { limit: 5000, onExhausted: 'reject' } }, [{ ...FLAT, pricing: { model: 'per-image', price: 1 } }]), {
      runs: 1,
      horizonMs: 7 * 86_400_000,
    });
    const st = reject.strategies[0]!;
    expect(st.budget?.exceedDay).toEqual({ mean: 4, p50: 4 });
    // Rejected from the 5,000th image on: spend stays at the limit from day 4.
    expect(st.spendByDay.p50.slice(3)).toEqual([5000, 5000, 5000, 5000]);
    expect(st.cost.mean).toBe(5000);
  });

  it('reports peak concurrency, utilisation and rate-limit headroom per provider', async () => {
    // Uniform 2/s, fixed 2 s: 4 in flight at once; 2/s = 120 a minute against rpm 600:
    // headroom 1 − 120/600 = 0.8. Slot time 2 s × 2/s over 10 slots = 40% utilisation.
    const s = scenario({ traffic: { arrivals: { process: 'uniform', rate: '2/s' }, mix: [{ name: 'app' }] } }, [
      { ...FLAT, capacity: { concurrency: 10, queue: 10 }, rateLimit: { rpm: 600 } },
    ]);
    const f = await forecast(s, { runs: 2, horizonMs: 600_000 });
    const p = f.strategies[0]!.providers.flat!;
    expect(p.peakInFlight.p90).toBe(4);
    expect(p.peakQueue.max).toBe(0);
    expect(p.peakRequestsPerMinute.p90).toBe(120);
    expect(p.rpm).toBe(600);
    expect(p.rateLimitHeadroom).toBeCloseTo(0.8, 12);
    expect(p.rateLimitedShare).toBe(0);
    expect(p.utilisation).toBeCloseTo(0.4, 12);
  });

  it('refuses zero runs with a clear message', async () => {
    await expect(forecast(scenario({}, [FLAT]), { runs: 0 })).rejects.toThrow(/runs: expected a whole number >= 1/);
  });
});
