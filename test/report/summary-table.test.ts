import { describe, expect, it } from 'vitest';
import { formatAlerts, formatThresholdResult, renderSummaryTable } from '../../src/report/summary-table.js';
import { makeReport } from './_fixture.js';

describe('renderSummaryTable', () => {
  const text = renderSummaryTable(makeReport());
  const lines = text.split('\n');

  it('prints the main columns as an aligned plain-text table', () => {
    expect(lines[0]).toMatch(/^strategy +requests +success rate +cost total +cost per image +wasted +p50 +p95 +p99 +failovers +SLO attainment +goodput \(\/s\) +budget alerts$/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    expect(lines[2]).toMatch(/^cheapest +1,000 +98% +\$39\.20 +\$0\.04 +\$0\.8 +7\.9s +16\.5s +21s +20 +90% +0\.0104 +50% 80%$/);
    expect(lines[4]).toMatch(/^primary-backup +1,000 +99% +\$44\.55 +\$0\.045 +\$0\.8 +8s +15s +20s +40 +95% +0\.011 +—$/);
    expect(text).not.toContain('**');
    expect(text).not.toContain('\u001b['); // no colours
  });

  it('right-aligns numbers: each column ends at the same place in every row', () => {
    const table = lines.slice(0, 5);
    // "cost total" is right-aligned: its cells end where its header ends.
    const end = lines[0]!.indexOf('cost total') + 'cost total'.length;
    // ($39.20, $59.70, $44.55 all end in the header's last column.)
    for (const l of table.slice(1)) {
      expect(l[end - 1]).toMatch(/[0-9-]/);
      expect(l[end]).toBe(' ');
    }
  });

  it('adds one line per failed threshold', () => {
    expect(lines.slice(5)).toEqual(['', '✗ cheapest latencyMs.p95 = 16,500 > 10,000', '✗ primary-backup latencyMs.p95 = 15,000 > 10,000', '']);
  });

  it('says so when every threshold passed', () => {
    const report = makeReport();
    const passing = { ...report, strategies: report.strategies.map((s) => ({ ...s, thresholds: s.thresholds.filter((t) => t.ok) })) };
    expect(renderSummaryTable(passing).trimEnd().split('\n').at(-1)).toBe('✓ all 4 thresholds passed');
    const none = { ...report, strategies: report.strategies.map((s) => ({ ...s, thresholds: [] })) };
    expect(renderSummaryTable(none).trimEnd().split('\n')).toHaveLength(5);
  });
});

describe('formatThresholdResult', () => {
  it.each([
    [{ metric: 'latencyMs.p95', limit: 10_000, kind: 'max', value: 12_345, ok: false }, 'latencyMs.p95 = 12,345 > 10,000'],
    [{ metric: 'latencyMs.p95', limit: 10_000, kind: 'max', value: 10_000, ok: true }, 'latencyMs.p95 = 10,000 <= 10,000'],
    [{ metric: 'successRate', limit: 0.99, kind: 'min', value: 0.985, ok: false }, 'successRate = 0.985 < 0.99'],
    [{ metric: 'cost.perSucceeded', limit: 0.05, kind: 'max', value: 0.0412345678, ok: true }, 'cost.perSucceeded = 0.0412346 <= 0.05'],
    [{ metric: 'cost.perSucceeded', limit: 0.05, kind: 'max', value: Number.NaN, ok: false }, 'cost.perSucceeded = n/a (must be <= 0.05)'],
  ] as const)('%o → %s', (t, want) => {
    expect(formatThresholdResult(t)).toBe(want);
  });
});

describe('formatAlerts', () => {
  it('groups by project and counts repeats over periods', () => {
    expect(formatAlerts([])).toBe('—');
    expect(
      formatAlerts([
        { threshold: 0.8, at: 'x', period: 0 },
        { threshold: 0.5, at: 'x', period: 0 },
        { threshold: 0.5, at: 'x', period: 1 },
        { threshold: 1, at: 'x', project: 'catalog', period: 0 },
        { threshold: 0.5, at: 'x', project: 'app', period: 0 },
      ]),
    ).toBe('50%×2 80%; app: 50%; catalog: 100%');
  });
});
