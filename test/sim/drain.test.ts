/**
 * The drain: a run goes on past its window until every request that arrived in it has ended,
 * so `deferral` can defer batch work to a cheap window after the end, and what ends or is billed
 * after it is reported apart (`drained`) while still in the totals. Counts worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';

/**
 * 24 h from midnight, one batch request a minute (1,440) with a 30 h deadline, one provider
 * 50% cheaper from 02:00 to 06:00 UTC, answering in 1 s.
 */
const scenario: ScenarioInput = {
  version: 1,
  name: 'drain',
  seed: 5,
  start: '2026-06-01T00:00:00Z',
  duration: '24h',
  providers: [
    {
      id: 'p',
      pricing: { model: 'per-image', price: 0.02, offPeak: [{ from: '02:00', to: '06:00', tz: 'UTC', discount: 0.5 }] },
      tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } },
      capacity: { concurrency: 1000, queue: 1000 },
    },
  ],
  traffic: { arrivals: { process: 'uniform', rate: '1/min' }, mix: [{ name: 'nightly', urgency: 'batch', deadline: '30h', project: 'catalog' }] },
  strategies: [{ use: 'deferral', checkEvery: '15m' }],
};

describe('a run that drains', () => {
  it('defers batch work to the cheap window after the end, bills it, and reports it apart', async () => {
    const report = await simulate(scenarioFromObject(scenario), { oracle: false });
    const s = report.strategies[0]!;
    // Arrivals at 00:00, 00:01, ..., 23:59. Those before 02:00 (120) wait for 02:00 today;
    // 02:00-05:59 (240) are cheap now; from 06:00 on (1,080) the next cheap window, tomorrow
    // 02:00-06:00, is before their deadline (arrival + 30 h), so they wait for it: before the
    // drain they could not wait past the window and paid full price.
    expect(s.requests).toMatchObject({ total: 1440, succeeded: 1440, deferred: 1200 });
    // The 1,080 all end tomorrow; the 120 early ones spread over every cheap instant in reach,
    // today's and tomorrow's (their deadline, 30 h on, is past tomorrow's 06:00), so some drain too.
    expect(s.drained!.requests).toBeGreaterThan(1080);
    expect(s.drained!.requests).toBeLessThan(1080 + 120);
    expect(s.drained!.cost).toBeCloseTo(s.drained!.requests * 0.01, 9);
    // Every image at the off-peak price, and all of it in the totals, in the batch class.
    expect(s.cost.total).toBeCloseTo(1440 * 0.01, 9);
    expect(s.cost.byUrgency?.batch).toBeCloseTo(1440 * 0.01, 9);
    expect(s.cost.byClass?.nightly).toBeCloseTo(1440 * 0.01, 9);
    expect(s.slo.byUrgency.batch).toEqual({ requests: 1440, attained: 1440, attainment: 1 });
    // The window is the window: the report still says 24 h.
    expect(report.window).toEqual({ start: '2026-06-01T00:00:00.000Z', end: '2026-06-02T00:00:00.000Z' });
  });

  it('reports nothing drained when all work ends inside the window', async () => {
    const report = await simulate(scenarioFromObject({ ...scenario, strategies: ['cheapest'] }), { oracle: false });
    const s = report.strategies[0]!;
    // The last arrival, 23:59, is answered a second later: inside the window.
    expect(s.drained).toEqual({ requests: 0, cost: 0 });
    expect(s.requests.deferred).toBe(0);
    // Full price outside 02:00-06:00: 1,200 × $0.02 + 240 × $0.01.
    expect(s.cost.total).toBeCloseTo(1200 * 0.02 + 240 * 0.01, 9);
  });
});
