/**
 * Forecasts per urgency class: each class's p95, SLO attainment and cost over the runs, side by
 * side in the tables, never one percentile over classes with different deadlines. The runs'
 * figures are checked against the runs' own per-class figures, one by one.
 */
import { describe, expect, it } from 'vitest';
import { aggregateForecast } from '../../src/forecast/aggregate.js';
import { inlineExecutor, simulateRuns } from '../../src/forecast/monte-carlo.js';
import { forecastParameters } from '../../src/forecast/parameters.js';
import { strategyRows } from '../../src/forecast/table.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const scenario = scenarioFromObject({
  version: 1,
  name: 'classes',
  seed: 3,
  start: '2026-06-01T00:00:00Z',
  duration: '1h',
  providers: [{ id: 'p', pricing: { model: 'per-image', price: 0.02 }, tiers: { standard: { latency: { dist: 'fixed', value: '2s' } } } }],
  traffic: {
    arrivals: { process: 'poisson', rate: '1/s' },
    mix: [
      { name: 'app', weight: 3 },
      { name: 'nightly', weight: 1, urgency: 'batch', deadline: '6h', size: '1024x1024', steps: 60 },
    ],
  },
  slo: { interactive: { p95: '5s' } },
  strategies: ['cheapest'],
});

describe('a forecast per urgency', () => {
  it('spreads each class over the runs, and the table shows them apart', async () => {
    const params = forecastParameters(scenario, { seed: 9, runs: 4, horizonMs: 3_600_000 });
    const executor = inlineExecutor(scenario);
    let runs;
    try {
      runs = await simulateRuns(params, executor);
    } finally {
      await executor.close();
    }
    const f = aggregateForecast(params, runs);
    const s = f.strategies[0]!;
    // A fixed 2 s service time, scaled linearly with steps: 2 s for app, 4 s for the 60-step batch class.
    expect(s.byUrgency.interactive!.latencyP95Ms.p50).toBe(2000);
    expect(s.byUrgency.batch!.latencyP95Ms.p50).toBe(4000);
    expect(s.byUrgency.interactive!.sloAttainment.mean).toBe(1);
    // Each run's class costs add up to its total.
    const perRun = runs.map((r) => r.strategies[0]!);
    for (const r of perRun) expect(r.byUrgency.interactive!.costUsd + r.byUrgency.batch!.costUsd).toBeCloseTo(r.costUsd, 9);
    const header = strategyRows(f).header;
    expect(header).toContain('interactive p95 P50');
    expect(header).toContain('batch SLO P50');
    expect(header).not.toContain('p95 latency P50');
    expect(strategyRows(f).rows[0]!.slice(7, 11)).toEqual(['2 s', '100%', '4 s', '100%']);
    // Per traffic class (and project: classes without one draw project-1 ... project-8), each
    // run's class costs are the spread's samples.
    expect(Object.keys(s.byClass)).toEqual(['app', 'nightly']);
    const nightly = perRun.map((r) => r.byClass.nightly!.costUsd).sort((a, b) => a - b);
    expect(s.byClass.nightly!.cost.mean).toBeCloseTo(nightly.reduce((a, b) => a + b, 0) / nightly.length, 9);
    expect(s.byClass.app!.sloAttainment.mean).toBe(1);
    expect(Object.keys(s.byProject)).toEqual(expect.arrayContaining(['project-1', 'project-8']));
  });
});
