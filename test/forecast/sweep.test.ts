/**
 * The rate sweep against queueing theory: a provider with a fixed service time L and c slots
 * serves at most c / L requests a second; beyond it the queue grows without bound and the SLO
 * breaks within the probe. Below it (an M/D/c queue) waits stay short until the load is close
 * to 1: at 95% of capacity with c = 20 the Erlang C probability of waiting is about 0.6 and the
 * mean wait C / (c/L − λ) / 2 ≈ 0.6 / 2 / 2 = 0.15 s, well inside a 1 s SLO bound, so the
 * sustainable rate lies between ~0.9 and 1 times c / L (plus the bisection tolerance).
 */
import { describe, expect, it } from 'vitest';
import { inlineExecutor } from '../../src/forecast/monte-carlo.js';
import { parseSweepSpec, sloTargets, sweepRates } from '../../src/forecast/sweep.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { isUnitError, parseRatePerSec } from '../../src/scenario/units.js';

function queueScenario() {
  return scenarioFromObject({
    version: 1,
    name: 'mdc',
    seed: 11,
    start: '2026-06-01T00:00:00Z',
    duration: '2m',
    providers: [
      // c = 20 slots of fixed 500 ms: c / L = 40/s.
      { id: 'slots', pricing: { model: 'per-image', price: 0.01 }, tiers: { standard: { latency: { dist: 'fixed', value: '500ms' } } }, capacity: { concurrency: 20, queue: 100_000 } },
      // 1,200 requests a minute = 20/s; a 429 is final with one attempt.
      {
        id: 'limited',
        pricing: { model: 'per-image', price: 0.02 },
        tiers: { standard: { latency: { dist: 'fixed', value: '500ms' } } },
        capacity: { concurrency: 1000, queue: 0 },
        rateLimit: { rpm: 1200 },
      },
    ],
    traffic: { arrivals: { process: 'poisson', rate: '10/s' }, mix: [{ name: 'app' }] },
    strategies: [
      { use: 'failover', name: 'slots-only', order: ['slots'] },
      { use: 'failover', name: 'limited-only', order: ['limited'] },
    ],
    policy: { timeout: '10m', maxAttempts: 1 },
    slo: { interactive: { p95: '1s' } },
  });
}

const rate = (t: string): number | undefined => {
  const r = parseRatePerSec(t);
  return isUnitError(r) ? undefined : r;
};

describe('rate sweep', () => {
  it('finds the saturation point of fixed-latency slots (c / L) and of a rate limit (rpm / 60), and who saturates', async () => {
    const s = queueScenario();
    const result = await sweepRates(s, inlineExecutor(s), {
      fromPerSec: 5,
      toPerSec: 80,
      probeRuns: 2,
      probeHorizonMs: 120_000,
      seed: s.seed,
      strategies: ['slots-only', 'limited-only'],
    });
    expect(result.tolerancePerSec).toBeCloseTo(0.02 * 75, 12);
    const [slots, limited] = result.strategies;
    // 40/s capacity; bisection stops within 1.5/s.
    expect(slots!.sustainableRatePerSec).toBeGreaterThan(0.88 * 40);
    expect(slots!.sustainableRatePerSec).toBeLessThan(40 + 1.5);
    expect(slots!.saturates).toMatchObject({ provider: 'slots', by: 'slots' });
    expect(slots!.saturates!.utilisation).toBeGreaterThan(0.9);
    // 20/s allowed (a 100-token burst lets short bursts above it through).
    expect(limited!.sustainableRatePerSec).toBeGreaterThan(0.9 * 20);
    expect(limited!.sustainableRatePerSec).toBeLessThan(20 + 1.5);
    expect(limited!.saturates).toMatchObject({ provider: 'limited', by: 'rate-limit' });
    // The bracket ends within the tolerance: the lowest failing probe is just above.
    const failing = limited!.probes.find((p) => !p.meetsSlo)!;
    expect(failing.ratePerSec - limited!.sustainableRatePerSec!).toBeLessThanOrEqual(result.tolerancePerSec);
  });

  it('says when even the lowest rate misses the SLO, or the highest still meets it', async () => {
    const s = queueScenario();
    const result = await sweepRates(s, inlineExecutor(s), {
      fromPerSec: 50,
      toPerSec: 60,
      probeRuns: 1,
      probeHorizonMs: 60_000,
      seed: 1,
      strategies: ['slots-only'],
    });
    expect(result.strategies[0]).toMatchObject({ sustainableRatePerSec: null, aboveRange: false });
    expect(result.strategies[0]!.probes).toHaveLength(2);
    const low = await sweepRates(s, inlineExecutor(s), { fromPerSec: 1, toPerSec: 2, probeRuns: 1, probeHorizonMs: 60_000, seed: 1, strategies: ['slots-only'] });
    expect(low.strategies[0]).toMatchObject({ sustainableRatePerSec: 2, aboveRange: true });
  });

  it('takes the attainment target from the SLO percentile', () => {
    expect(sloTargets(queueScenario())).toEqual({ interactive: 0.95, batch: 0.95 });
    expect(sloTargets(queueScenario(), 0.9)).toEqual({ interactive: 0.9, batch: 0.9 });
  });

  it.each(['rate=10/s', 'rate=x..20/s', 'qps=1..2', 'rate=20/s..10/s', 'rate=0..10/s'])('refuses --sweep %s with a clear message', (spec) => {
    expect(() => parseSweepSpec(spec, rate)).toThrow(/--sweep: /);
  });

  it('parses rates in scenario units', () => {
    expect(parseSweepSpec('rate=10/s..1200/m', rate)).toEqual({ fromPerSec: 10, toPerSec: 20 });
  });
});
