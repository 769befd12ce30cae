/**
 * Metric paths read from the report schema (src/metrics/metric-paths.ts): every number of a
 * strategy's report, records expanded to the scenario's names.
 */
import { describe, expect, it } from 'vitest';
import { isMetricPath, metricPaths } from '../../src/metrics/metric-paths.js';
import { strategyReportSchema } from '../../src/metrics/report-schema.js';
import { makeReport } from '../report/_fixture.js';
import { readMetric } from '../../src/metrics/thresholds.js';

describe('metricPaths', () => {
  const paths = metricPaths(strategyReportSchema, { 'cost.byProvider': ['a', 'b'], providers: ['a', 'b'], 'providers.*.outcomes': ['success', 'timeout'], 'cost.byProject': 'any' });
  it('lists every numeric field, records by their keys or *', () => {
    expect(paths.slice(0, 6)).toEqual(['requests.total', 'requests.succeeded', 'requests.failed', 'requests.rejected', 'requests.deferred', 'successRate']);
    expect(paths).toContain('cost.byProvider.a');
    expect(paths).toContain('cost.byProject.*');
    expect(paths).toContain('providers.b.outcomes.timeout');
    expect(paths).toContain('providers.a.peakQueue');
    expect(paths).toContain('latencyByUrgency.interactive.p95');
    expect(paths).toContain('slo.byUrgency.batch.attained');
    // Arrays and strings are not metrics.
    expect(paths.some((p) => p.startsWith('costByHour') || p.startsWith('thresholds') || p === 'name' || p.startsWith('budget.alerts'))).toBe(false);
  });
  it('every listed path reads a number from a report', () => {
    const s = makeReport().strategies[0]!;
    for (const p of paths.filter((x) => !x.includes('*') && x.startsWith('latencyMs'))) expect(readMetric(s, p)).toEqual(expect.any(Number));
  });
  it('matches * against one key', () => {
    expect(isMetricPath(paths, 'cost.byProject.app')).toBe(true);
    expect(isMetricPath(paths, 'cost.byProject.app.x')).toBe(false);
    expect(isMetricPath(paths, 'cost.byProvider.c')).toBe(false);
    expect(isMetricPath(paths, 'latencyMs.p95')).toBe(true);
  });
});
