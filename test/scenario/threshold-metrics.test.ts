/**
 * Thresholds on any number of a strategy's report (metric-paths.ts): per-class paths are
 * accepted and gate a run; an unknown path is a located error naming the nearest valid ones;
 * a count or a cost absent from its record reads 0.
 */
import { describe, expect, it } from 'vitest';
import { parseScenarioText, scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { readMetric } from '../../src/metrics/thresholds.js';
import { simulate } from '../../src/sim/run.js';
import { makeReport } from '../report/_fixture.js';

const YAML = (thresholds: string): string => `version: 1
name: t
seed: 1
start: 2026-06-01T00:00:00Z
duration: 1h
providers:
  - { id: p, pricing: { model: per-image, price: 0.02 }, tiers: { standard: { latency: { dist: fixed, value: 1s } } } }
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix: [{ name: app, project: web }, { name: nightly, urgency: batch, deadline: 6h, project: catalog }]
strategies: [cheapest]
thresholds:
${thresholds}`;

function problems(thresholds: string): string {
  try {
    parseScenarioText(YAML(thresholds), 'gate.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('threshold metrics', () => {
  it.each([
    'latencyByUrgency.interactive.p95',
    'slo.byUrgency.interactive.attainment',
    'slo.byClass.nightly.attainment',
    'cost.byProject.catalog',
    'cost.byClass.app',
    'cost.byUrgency.batch',
    'latencyByProject.web.p99',
    'providers.p.outcomes.timeout',
    'failures.budget',
    'drained.cost',
    'latencyMs.p95',
  ])('accepts %s', (metric) => {
    expect(problems(`  - { metric: ${metric}, max: 1 }`)).toBe('');
  });

  it('refuses an unknown path at its line and column, naming the nearest valid ones', () => {
    const message = problems(`  - { metric: latencyByUrgency.interactive.p59, max: 10000 }\n  - { metric: cost.byClass.nightli, max: 10 }`);
    expect(message).toContain(
      'gate.yaml:13:15 thresholds[0].metric: unknown metric `latencyByUrgency.interactive.p59`: not a number in a strategy\'s report; nearest: `latencyByUrgency.interactive.p50`, `latencyByUrgency.interactive.p99`, `latencyByUrgency.interactive.p90`',
    );
    expect(message).toContain('gate.yaml:14:15 thresholds[1].metric: unknown metric `cost.byClass.nightli`');
    expect(message).toContain('nearest: `cost.byClass.nightly`');
    // A class, a provider or a field that does not exist.
    for (const bad of ['cost.byClass.hero', 'providers.q.attempts', 'latencyByUrgency.interactive', 'costByHour']) {
      expect(problems(`  - { metric: ${bad}, max: 1 }`)).toMatch(/unknown metric/);
    }
  });

  it('gates a run on a class: the interactive p95 alone', async () => {
    const input: ScenarioInput = {
      version: 1,
      name: 't',
      seed: 1,
      start: '2026-06-01T00:00:00Z',
      duration: '10m',
      providers: [{ id: 'p', pricing: { model: 'per-image', price: 0.02 }, tiers: { standard: { latency: { dist: 'fixed', value: '3s' } } } }],
      traffic: { arrivals: { process: 'uniform', rate: '1/s' }, mix: [{ name: 'app' }] },
      strategies: ['cheapest'],
      thresholds: [
        { metric: 'latencyByUrgency.interactive.p95', max: 2999 },
        { metric: 'slo.byUrgency.interactive.attainment', min: 1 },
        { metric: 'cost.byClass.app', max: 600 * 0.02 + 1e-9 },
        { metric: 'failures.timeout', max: 0 },
      ],
      slo: { interactive: { p95: '5s' } },
    };
    const report = await simulate(scenarioFromObject(input), { oracle: false });
    // Every request takes exactly 3 s: p95 = 3,000 ms > 2,999; all within 5 s; 600 × $0.02; no timeouts (absent: 0).
    expect(report.strategies[0]!.thresholds.map((t) => [t.metric, t.value, t.ok])).toEqual([
      ['latencyByUrgency.interactive.p95', 3000, false],
      ['slo.byUrgency.interactive.attainment', 1, true],
      ['cost.byClass.app', expect.closeTo(12, 9), true],
      ['failures.timeout', 0, true],
    ]);
  });
});

describe('readMetric', () => {
  it('reads 0 for a count or cost its record does not list, NaN for a missing group', () => {
    const s = makeReport().strategies[0]!;
    expect(readMetric(s, 'failures.timeout')).toBe(0);
    expect(readMetric(s, 'cost.byProject.nobody')).toBe(0);
    expect(readMetric(s, 'providers.lumen.outcomes.filtered')).toBe(0);
    expect(readMetric(s, 'providers.nobody.outcomes.filtered')).toBeNaN();
    expect(readMetric(s, 'latencyByUrgency.batch.p95')).toBeNaN();
    expect(readMetric(s, 'cost.byClass.nightly')).toBe(9.2);
  });
});
