import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/metrics/report-types.js';
import { formatAlerts, formatThresholdResult, renderSummaryTable, signedPercent } from '../../src/report/summary-table.js';
import { makeOneUrgencyReport } from './_fixture.js';

describe('renderSummaryTable', () => {
  const text = renderSummaryTable(makeOneUrgencyReport());
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
    const report = makeOneUrgencyReport();
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

/** The fixture with an oracle: plan $40, bound $35; regret = cost − 40, ratio = cost / 40 − 1. */
function withOracle(): Report {
  const report = makeOneUrgencyReport();
  const bounds: Record<string, number> = { cheapest: 34, fastest: 35, 'primary-backup': 34.5 };
  return {
    ...report,
    strategies: report.strategies.map((s) => ({
      ...s,
      regret: { usd: s.cost.total - 40, ratio: s.cost.total / 40 - 1, lowerBound: bounds[s.name]! },
    })),
    oracle: {
      cost: 40,
      unconstrainedCost: 35,
      requests: { total: 1000, withinSlo: 990, late: 5, unserved: 5 },
      unconstrained: { withinSlo: 995, late: 5, unservable: 0 },
    },
  };
}

describe('renderSummaryTable with the oracle', () => {
  const text = renderSummaryTable(withOracle());
  const lines = text.split('\n');

  it('adds a regret column after wasted: cost / oracle − 1, signed', () => {
    expect(lines[0]).toMatch(/ wasted +regret +p50 /);
    // 39.2 / 40 − 1 = −2%; 59.7 / 40 − 1 = +49.25%; 44.55 / 40 − 1 = +11.375% → +11.38%.
    expect(lines[2]).toMatch(/^cheapest .* \$0\.8 +−2% +7\.9s /);
    expect(lines[3]).toMatch(/^fastest .* \$0\.9 +\+49\.25% +1\.2s /);
    expect(lines[4]).toMatch(/^primary-backup .* \$0\.8 +\+11\.38% +8s /);
  });

  it('prints a line on the oracle under the table', () => {
    expect(lines[5]).toBe('');
    expect(lines[6]).toBe('oracle: $40.00 for 990 of 1,000 requests within SLO (5 late, 5 unserved); lower bound $35.00');
  });

  it('has no regret column or oracle line without the oracle', () => {
    const plain = renderSummaryTable(makeOneUrgencyReport());
    expect(plain).not.toContain('regret');
    expect(plain).not.toContain('oracle');
  });
});

describe('signedPercent', () => {
  it.each([
    [0.125, '+12.5%'],
    [-0.0033, '−0.33%'],
    [0, '0%'],
    [1e-7, '+<0.01%'],
    [Infinity, 'n/a'],
  ])('%s → %s', (x, text) => {
    expect(signedPercent(x)).toBe(text);
  });
});
