import { describe, expect, it } from 'vitest';
import { evaluateThresholds, readMetric, thresholdsFailed } from '../../src/metrics/thresholds.js';
import { makeReport, withStrategy } from '../report/_fixture.js';

const strategies = makeReport().strategies;

describe('evaluateThresholds', () => {
  it('applies a threshold without a strategy to every strategy', () => {
    const out = evaluateThresholds([{ metric: 'cost.perSucceeded', max: 0.05 }], strategies);
    expect([...out.keys()]).toEqual(['cheapest', 'fastest', 'primary-backup']);
    // per image: cheapest 0.04, fastest 0.06, primary-backup 0.045
    expect(out.get('cheapest')).toEqual([{ metric: 'cost.perSucceeded', limit: 0.05, kind: 'max', value: 0.04, ok: true }]);
    expect(out.get('fastest')).toEqual([{ metric: 'cost.perSucceeded', limit: 0.05, kind: 'max', value: 0.06, ok: false }]);
    expect(out.get('primary-backup')?.[0]?.ok).toBe(true);
  });

  it('applies a threshold naming a strategy to that strategy only', () => {
    const out = evaluateThresholds([{ metric: 'latencyMs.p95', max: 10_000, strategy: 'cheapest' }], strategies);
    expect(out.get('cheapest')).toEqual([{ metric: 'latencyMs.p95', limit: 10_000, kind: 'max', value: 16_500, ok: false }]);
    expect(out.get('fastest')).toEqual([]);
    expect(out.get('primary-backup')).toEqual([]);
  });

  it('gives no result for a strategy that was not run', () => {
    const out = evaluateThresholds([{ metric: 'successRate', min: 0.9, strategy: 'not-run' }], strategies);
    expect([...out.values()].flat()).toEqual([]);
  });

  it.each([
    // [bound, value, ok]: max is met at equality, min too.
    ['max', 0.98, true],
    ['max', 0.97, false],
    ['min', 0.98, true],
    ['min', 0.99, false],
  ] as const)('%s %s against successRate 0.98 → ok %s', (kind, limit, ok) => {
    const out = evaluateThresholds([{ metric: 'successRate', [kind]: limit, strategy: 'cheapest' }], strategies);
    expect(out.get('cheapest')).toEqual([{ metric: 'successRate', limit, kind, value: 0.98, ok }]);
  });

  it('gives two results, max first, for a threshold with both bounds', () => {
    const out = evaluateThresholds([{ metric: 'slo.attainment', min: 0.95, max: 0.999, strategy: 'fastest' }], strategies);
    expect(out.get('fastest')).toEqual([
      { metric: 'slo.attainment', limit: 0.999, kind: 'max', value: 0.99, ok: true },
      { metric: 'slo.attainment', limit: 0.95, kind: 'min', value: 0.99, ok: true },
    ]);
  });

  it('fails both a max and a min on a NaN value', () => {
    const nan = withStrategy(makeReport(), 'cheapest', { cost: { ...strategies[0]!.cost, perSucceeded: Number.NaN } }).strategies;
    const out = evaluateThresholds([{ metric: 'cost.perSucceeded', max: 1, min: 0, strategy: 'cheapest' }], nan);
    expect(out.get('cheapest')?.map((r) => r.ok)).toEqual([false, false]);
  });

  it('keeps threshold order within a strategy', () => {
    const out = evaluateThresholds(
      [
        { metric: 'requests.total', min: 1 },
        { metric: 'budget.spent', max: 50 },
        { metric: 'attempts.failovers', max: 30 },
      ],
      strategies,
    );
    expect(out.get('cheapest')?.map((r) => [r.metric, r.ok])).toEqual([
      ['requests.total', true],
      ['budget.spent', true], // 39.2 <= 50
      ['attempts.failovers', true], // 20 <= 30
    ]);
    expect(out.get('fastest')?.map((r) => r.ok)).toEqual([true, false, true]); // spent 59.7 > 50
  });
});

describe('readMetric', () => {
  it('reads numbers by dotted path and NaN for anything else', () => {
    const s = strategies[0]!;
    expect(readMetric(s, 'latencyMs.p95')).toBe(16_500);
    expect(readMetric(s, 'slo.goodput')).toBeCloseTo(900 / 86_400, 15);
    expect(readMetric(s, 'providers.lumen.attempts')).toBe(900);
    expect(readMetric(s, 'latencyMs')).toBeNaN(); // an object, not a number
    expect(readMetric(s, 'name')).toBeNaN();
    expect(readMetric(s, 'cost.nope')).toBeNaN();
    expect(readMetric(s, 'cost.total.deeper')).toBeNaN();
    expect(readMetric(s, 'toString')).toBeNaN(); // not an own field
  });
});

describe('thresholdsFailed', () => {
  it('is true when any result is not ok', () => {
    expect(thresholdsFailed(makeReport())).toBe(true);
  });

  it('is false when every result is ok, or there are none', () => {
    const report = makeReport();
    const passing = { ...report, strategies: report.strategies.map((s) => ({ ...s, thresholds: s.thresholds.filter((t) => t.ok) })) };
    expect(thresholdsFailed(passing)).toBe(false);
    expect(thresholdsFailed({ ...report, strategies: report.strategies.map((s) => ({ ...s, thresholds: [] })) })).toBe(false);
  });
});
