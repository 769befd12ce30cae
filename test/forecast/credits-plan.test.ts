/**
 * Credits planning on a crafted account whose best purchase can be worked out by hand.
 *
 * Bundles: `payg` (listed first, so top-ups buy it) 1,000 credits for $30 ($0.03 a credit),
 * never expiring; `prepaid` 1,000 credits for $10 ($0.01), expiring after 30 days. Traffic:
 * uniform arrivals at 80 a day for 30 days = 2,400 images of 1 credit each, the same in every
 * run. Prepaid credits bought at the start expire at the end of the 30-day horizon; they are
 * spent first (earliest expiry first); payg top-ups left over carry on and are not counted.
 *
 * k prepaid bundles up front cost 10k, plus $0.03 for every credit beyond 1,000k:
 *   k = 0: 0.03 × 2400 = 72      k = 1: 10 + 0.03 × 1400 = 52     k = 2: 20 + 0.03 × 400 = 32
 *   k = 3: 30 (600 credits, $6, expire)                            k = 4: 40 (1,600 expire)
 * so the best is 3 prepaid bundles, 600 credits expected to expire, $42 cheaper than the
 * scenario's own plan (auto top-ups only: $72). Buying payg up front never changes the cost.
 */
import { describe, expect, it } from 'vitest';
import { planCredits } from '../../src/forecast/credits-plan.js';
import { forecast } from '../../src/forecast/forecast.js';
import type { CreditsPricing } from '../../src/scenario/resolve.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const BUNDLES = [
  { name: 'payg', credits: 1000, price: 30 },
  { name: 'prepaid', credits: 1000, price: 10, expiresAfter: '30d' },
];

function creditsScenario() {
  return scenarioFromObject({
    version: 1,
    name: 'credits-plan',
    seed: 1,
    start: '2026-06-01T00:00:00Z',
    duration: '30d',
    providers: [
      {
        id: 'mill',
        pricing: { model: 'credits', perImage: 1, bundles: BUNDLES },
        tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } },
      },
    ],
    traffic: { arrivals: { process: 'uniform', rate: '80/d' }, mix: [{ name: 'app' }] },
    strategies: ['cheapest'],
  });
}

describe('credits planning', () => {
  it('buys the bundle count with the lowest expected cost, worked out by hand', async () => {
    const f = await forecast(creditsScenario(), { runs: 2 });
    const c = f.strategies[0]!.credits.mill!;
    expect(c.simulated.used).toBe(2400);
    expect(c.bundlesToBuy).toEqual([{ bundle: 'prepaid', count: 3 }]);
    expect(c.expectedExpiredCredits).toBeCloseTo(600, 9);
    expect(c.plan.best.expectedCostUsd).toBeCloseTo(30, 9);
    expect(c.plan.best.expectedExpiredUsd).toBeCloseTo(6, 9);
    expect(c.plan.best.expectedTopUps).toBe(0);
    expect(c.plan.current.expectedCostUsd).toBeCloseTo(72, 9);
    expect(c.plan.current.upfront).toEqual([]);
    expect(c.plan.savingUsd).toBeCloseTo(42, 9);
    expect(c.plan.curve.map((p) => Math.round(p.expectedCostUsd * 1e9) / 1e9)).toEqual([72, 52, 32, 30, 40]);
    // The simulation itself bought 3 payg bundles by top-up ($90 cash) and consumed $72 of them.
    expect(c.simulated.cash).toBe(90);
    expect(c.simulated.bundles).toBe(3);
  });

  it('takes the newsvendor quantile when consumption varies between runs', () => {
    // Runs consume 1,500, 2,500 and 3,500 credits (in hour 0). A prepaid bundle saves up to $20
    // where it is used up (0.03 − 0.01 per credit × 1000) and loses $10 where it expires unused:
    // the newsvendor trade-off. Expected cost by hand:
    //   k = 2: runs 20 + 0, 20 + 15, 20 + 45 → mean (20 + 35 + 65) / 3 = 40
    //   k = 3: 30, 30, 30 + 15 → 35          k = 4: 40, 40, 40 → 40
    // (k = 1: 10 + 15, 10 + 45, 10 + 75 → 55; k = 0: 45, 75, 105 → 75), so k = 3.
    const pricing = creditsScenario().providers[0]!.pricing as CreditsPricing;
    const start = Date.UTC(2026, 5, 1);
    const plan = planCredits(pricing, [[1500], [2500], [3500]], start, start + 30 * 86_400_000);
    expect(plan.best.upfront).toEqual([{ bundle: 'prepaid', count: 3 }]);
    expect(plan.best.expectedCostUsd).toBeCloseTo(35, 9);
    // Waste: 1,500 credits in the first run, 500 in the second, none in the third → 2000 / 3.
    expect(plan.best.expectedExpiredCredits).toBeCloseTo(2000 / 3, 9);
    expect(plan.curve.slice(0, 5).map((p) => Math.round(p.expectedCostUsd * 1e9) / 1e9)).toEqual([75, 55, 40, 35, 40]);
  });

  it('buys nothing up front when nothing is consumed', () => {
    const pricing = creditsScenario().providers[0]!.pricing as CreditsPricing;
    const plan = planCredits(pricing, [[], []], 0, 86_400_000);
    expect(plan.best).toMatchObject({ upfront: [], expectedCostUsd: 0, expectedExpiredCredits: 0 });
  });
});
