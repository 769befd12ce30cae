import { describe, expect, it } from 'vitest';
import {
  COMPARE_METRICS,
  DEFAULT_TOLERANCES,
  compareReports,
  parseTolerances,
  serializeComparison,
  type Comparison,
  type MetricCheck,
} from '../../src/report/compare.js';
import { formatChange, formatDelta, renderComparisonMarkdown, renderComparisonText } from '../../src/report/compare-render.js';
import type { Report, StrategyReport } from '../../src/metrics/report-types.js';
import { makeReport, withStrategy } from './_fixture.js';
import { ImgsimError } from '../../src/scenario/errors.js';

function strategy(r: Report, name: string): StrategyReport {
  return r.strategies.find((s) => s.name === name)!;
}

function check(c: Comparison, name: string, metric: string): MetricCheck {
  const s = c.strategies.find((x) => x.name === name);
  const m = s?.checks.find((x) => x.metric === metric);
  if (m === undefined) throw new Error(`no check ${name} ${metric}`);
  return m;
}

/** The fixture with one strategy's cost patched. */
function withCost(r: Report, name: string, cost: Partial<StrategyReport['cost']>): Report {
  return withStrategy(r, name, { cost: { ...strategy(r, name).cost, ...cost } });
}

describe('compareReports', () => {
  it('finds nothing to report when a report is compared with itself', () => {
    const c = compareReports(makeReport(), makeReport());
    // 3 strategies × 8 metrics
    // 3 strategies × 8 metrics + cheapest's 20 per group (fastest and primary-backup have none)
    expect(c.counts).toEqual({ checks: 44, ok: 44, improved: 0, regressed: 0, missing: 0 });
    expect(c.failed).toBe(false);
    expect(c.warnings).toEqual([]);
    expect(c.added).toEqual([]);
    expect(c.removed).toEqual([]);
    expect(check(c, 'cheapest', 'cost')).toMatchObject({ baseline: 39.2, current: 39.2, delta: 0, relative: 0, verdict: 'ok' });
  });

  it('compares every metric the brief names, each with a direction', () => {
    expect(COMPARE_METRICS.map((m) => [m.name, m.path, m.better])).toEqual([
      ['cost', 'cost.total', 'lower'],
      ['per-image', 'cost.perSucceeded', 'lower'],
      ['wasted', 'cost.wasted', 'lower'],
      ['p50', 'latencyMs.p50', 'lower'],
      ['p95', 'latencyMs.p95', 'lower'],
      ['p99', 'latencyMs.p99', 'lower'],
      ['success', 'successRate', 'higher'],
      ['slo', 'slo.attainment', 'higher'],
    ]);
    for (const m of COMPARE_METRICS) expect(DEFAULT_TOLERANCES[m.name]).toBeDefined();
  });

  it('fails on a cost 10% higher than the baseline with a 2% tolerance, naming strategy and metric', () => {
    const base = makeReport();
    // 39.2 × 1.1 = 43.12
    const current = withCost(base, 'cheapest', { total: 43.12 });
    const c = compareReports(base, current, { tolerances: parseTolerances(['cost=2%']) });
    expect(c.failed).toBe(true);
    expect(c.counts.regressed).toBe(1);
    const cost = check(c, 'cheapest', 'cost');
    // delta 43.12 − 39.2 = 3.92; relative 3.92 / 39.2 = 0.1 > 0.02
    expect(cost).toMatchObject({ verdict: 'regressed', delta: 3.92, relative: 0.1, tolerance: { kind: 'relative', value: 0.02 } });
    expect(renderComparisonText(c)).toContain('✗ cheapest cost +10% (+$3.92), tolerance 2%');
  });

  it.each([
    // [cost, verdict] against 39.2 with the default 1%: the bound is 0.392
    [39.2 * 1.005, 'ok'],
    [39.2 + 0.392, 'ok'], // exactly at the tolerance is not beyond it
    [39.2 * 1.015, 'regressed'],
    [39.2 * 0.995, 'ok'],
    [39.2 * 0.985, 'improved'],
  ] as const)('cost %d against 39.2 with the default 1%% tolerance is %s', (total, verdict) => {
    const c = compareReports(makeReport(), withCost(makeReport(), 'cheapest', { total }));
    expect(check(c, 'cheapest', 'cost').verdict).toBe(verdict);
  });

  it('never fails on improvements, whichever way the metric points', () => {
    const base = makeReport();
    const s = strategy(base, 'fastest');
    const current = withStrategy(base, 'fastest', {
      cost: { ...s.cost, total: 50, perSucceeded: 0.05, wasted: 0.1 },
      latencyMs: { ...s.latencyMs, p50: 600, p95: 1000, p99: 1500 },
      successRate: 1,
      slo: { ...s.slo, attainment: 1 },
    });
    const c = compareReports(base, current, { tolerances: parseTolerances(['all=0%', 'success=0pp', 'slo=0pp']) });
    expect(c.failed).toBe(false);
    // The 8 overall metrics improved; its two projects' costs were not changed.
    expect(c.strategies.find((x) => x.name === 'fastest')!.checks.map((x) => x.verdict)).toEqual([...Array<string>(8).fill('improved'), 'ok', 'ok']);
  });

  it('judges rates in percentage points: success down 0.2pp fails the default 0.1pp, 0.05pp does not', () => {
    const base = makeReport();
    const down = (rate: number): Comparison => compareReports(base, withStrategy(base, 'fastest', { successRate: rate }));
    // 0.995 → 0.993: −0.2pp
    expect(check(down(0.993), 'fastest', 'success')).toMatchObject({ verdict: 'regressed', delta: -0.002 });
    // 0.995 → 0.9945: −0.05pp
    expect(check(down(0.9945), 'fastest', 'success').verdict).toBe('ok');
    // A 1% relative tolerance on a rate: 1% of 0.995 = 0.00995, so −0.2pp is fine.
    const relative = compareReports(base, withStrategy(base, 'fastest', { successRate: 0.993 }), { tolerances: parseTolerances(['success=1%']) });
    expect(check(relative, 'fastest', 'success').verdict).toBe('ok');
  });

  it('reports strategies added and removed: a missing one fails, an added one only with strict', () => {
    const base = makeReport();
    const added: Report = { ...base, strategies: [...base.strategies, { ...strategy(base, 'cheapest'), name: 'newcomer' }] };
    const c = compareReports(base, added);
    expect(c.added).toEqual(['newcomer']);
    expect(c.removed).toEqual([]);
    expect(c.failed).toBe(false);
    expect(renderComparisonText(c)).toContain('added (only in the current report, not a failure; --strict makes it one): newcomer');
    expect(renderComparisonText(c)).toMatch(/✓ no regressions \(44 checks/);
    const strict = compareReports(base, added, { strict: true });
    expect(strict.failed).toBe(true);
    expect(renderComparisonText(strict)).toContain('✗ strategies added (--strict)');
    // A strategy the current report lost is a failure, strict or not: the gate cannot pass a
    // regression by dropping the strategy that regressed.
    const lost: Report = { ...base, strategies: base.strategies.filter((s) => s.name !== 'fastest') };
    const l = compareReports(base, lost);
    expect(l.removed).toEqual(['fastest']);
    expect(l.strategies.map((s) => s.name)).toEqual(['cheapest', 'primary-backup']);
    expect(l.failed).toBe(true);
    const text = renderComparisonText(l);
    expect(text).toContain('missing (only in the baseline: the current report lost it, a failure): fastest');
    expect(text).toMatch(/✗ a strategy is missing from the current report \(34 checks/);
  });

  it('handles a zero baseline: any rise beyond a relative tolerance regresses, with no relative change', () => {
    const base = withCost(makeReport(), 'fastest', { wasted: 0 });
    const rose = compareReports(base, withCost(base, 'fastest', { wasted: 0.5 }));
    expect(check(rose, 'fastest', 'wasted')).toMatchObject({ baseline: 0, current: 0.5, delta: 0.5, relative: null, verdict: 'regressed' });
    expect(check(rose, 'fastest', 'wasted').note).toMatch(/baseline was 0/);
    expect(formatChange(null)).toBe('—');
    // 0 → 0: ok, relative 0
    expect(check(compareReports(base, base), 'fastest', 'wasted')).toMatchObject({ delta: 0, relative: 0, verdict: 'ok' });
    // An absolute tolerance lets a little waste through: 0.5 <= 1
    const loose = compareReports(base, withCost(base, 'fastest', { wasted: 0.5 }), { tolerances: parseTolerances(['wasted=$1']) });
    expect(check(loose, 'fastest', 'wasted').verdict).toBe('ok');
    expect(JSON.parse(serializeComparison(rose)).strategies[1].checks[2].relative).toBeNull();
  });

  it('handles NaN and missing values: a missing baseline is not a failure, a lost current value is', () => {
    const base = makeReport();
    const s = strategy(base, 'cheapest');
    const nanBase = withStrategy(base, 'cheapest', { latencyMs: { ...s.latencyMs, p95: NaN } });
    const fromNothing = compareReports(nanBase, base);
    expect(check(fromNothing, 'cheapest', 'p95')).toMatchObject({ baseline: null, current: 16_500, verdict: 'missing', note: 'no value in the baseline' });
    expect(fromNothing.failed).toBe(false);
    expect(fromNothing.counts.missing).toBe(1);

    const lost = compareReports(base, nanBase);
    expect(check(lost, 'cheapest', 'p95')).toMatchObject({ baseline: 16_500, current: null, delta: null, verdict: 'regressed' });
    expect(lost.failed).toBe(true);

    const both = compareReports(nanBase, nanBase);
    expect(check(both, 'cheapest', 'p95')).toMatchObject({ verdict: 'missing', note: 'no value in either report' });
    expect(both.failed).toBe(false);
    // The table says so in the metric's row, and the verdict line counts it as missing, not failed.
    const md = renderComparisonMarkdown(both);
    expect(md).toMatch(/\| cheapest +\| p95 +\|[^\n]*missing \(no value in either report\)/);
    expect(md).toMatch(/✓ no regressions \(\d+ checks: .*, [1-9]\d* missing\)/);
  });

  it('does not mistake the zeros of a run where nothing succeeded for an improvement', () => {
    const base = makeReport();
    const s = strategy(base, 'fastest');
    const none = withStrategy(base, 'fastest', {
      requests: { ...s.requests, succeeded: 0, failed: 1000 },
      successRate: 0,
      cost: { ...s.cost, perSucceeded: 0 },
      latencyMs: { mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 },
    });
    const c = compareReports(base, none);
    expect(check(c, 'fastest', 'p95')).toMatchObject({ current: null, verdict: 'regressed', note: 'no value in the current report (nothing succeeded)' });
    expect(check(c, 'fastest', 'per-image').verdict).toBe('regressed');
    expect(check(c, 'fastest', 'success').verdict).toBe('regressed');
    // Nothing succeeded in either: latency is missing on both sides, not a regression.
    expect(check(compareReports(none, none), 'fastest', 'p95').verdict).toBe('missing');
  });

  it('refuses reports of different scenarios, seeds or windows (exit 2) unless allowed; then the reasons head the warnings', () => {
    const base = makeReport();
    const cases: [Partial<Report>, RegExp][] = [
      [{ scenarioHash: 'fedcba9876543210' }, /different scenarios \("quickstart" hash 0123456789abcdef, "quickstart" hash fedcba9876543210\)/],
      [{ seed: 7 }, /different seeds \(42 and 7\)/],
      [{ window: { ...base.window, end: '2026-06-03T00:00:00.000Z' } }, /windows differ/],
    ];
    for (const [patch, reason] of cases) {
      const other: Report = { ...base, ...patch };
      let thrown: unknown;
      try {
        compareReports(base, other);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ImgsimError);
      expect((thrown as ImgsimError).code).toBe('invalid-report');
      expect((thrown as ImgsimError).message).toMatch(reason);
      expect((thrown as ImgsimError).message).toMatch(/--allow-different/);
      const allowed = compareReports(base, other, { allowDifferent: true });
      expect(allowed.warnings[0]).toMatch(reason);
      expect(renderComparisonText(allowed).split('\n')[2]).toMatch(reason);
    }
  });

  it('compares reports of the same content under another name, with a warning; older reports by name', () => {
    const base = makeReport();
    const renamed = compareReports(base, { ...base, scenario: 'renamed' });
    expect(renamed.warnings).toEqual([expect.stringMatching(/different names \("quickstart" and "renamed"\) but the same content/)]);
    const old: Report = { ...base, scenarioHash: undefined };
    expect(compareReports(old, base).warnings).toEqual([expect.stringMatching(/^the baseline has no scenario hash/)]);
    expect(() => compareReports(old, { ...base, scenario: 'market' })).toThrow(/different scenarios \("quickstart" and "market"\)/);
  });

  it('warns on other imgsim versions and on live mode', () => {
    const base = makeReport();
    expect(compareReports(base, { ...base, imgsim: '1.1.0' }).warnings).toEqual([expect.stringMatching(/different imgsim versions \(1\.0\.0 and 1\.1\.0\)/)]);
    const live = compareReports(base, { ...base, mode: 'live' });
    expect(live.warnings).toEqual([expect.stringMatching(/^the current report was measured in live mode: .*repeated runs/)]);
    expect(live.failed).toBe(false);
    expect(renderComparisonText(live)).toMatch(/^warning: the current report was measured in live mode/m);
  });
});

describe('parseTolerances', () => {
  it.each([
    ['cost=2%', 'cost', { kind: 'relative', value: 0.02, text: '2%' }],
    ['success=0.5pp', 'success', { kind: 'absolute', value: 0.005, text: '0.5pp' }],
    ['slo=1pp', 'slo', { kind: 'absolute', value: 0.01, text: '1pp' }],
    ['p95=250ms', 'p95', { kind: 'absolute', value: 250, text: '250ms' }],
    ['p99=1.5s', 'p99', { kind: 'absolute', value: 1500, text: '1.5s' }],
    ['per-image=$0.001', 'per-image', { kind: 'absolute', value: 0.001, text: '$0.001' }],
    ['cost.total=3%', 'cost', { kind: 'relative', value: 0.03, text: '3%' }],
    ['latencyMs.p50=0%', 'p50', { kind: 'relative', value: 0, text: '0%' }],
  ] as const)('reads %s', (spec, name, tolerance) => {
    expect(parseTolerances([spec])[name]).toEqual(tolerance);
  });

  it('applies groups, and later entries win', () => {
    const t = parseTolerances(['latency=10%,p99=20%', ' cost = 2% , ']);
    expect(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.text]))).toEqual({ p50: '10%', p95: '10%', p99: '20%', cost: '2%' });
    expect(Object.keys(parseTolerances(['all=0%']))).toEqual(COMPARE_METRICS.map((m) => m.name));
  });

  it.each([
    ['cost', /expected name=value/],
    ['cost=', /expected name=value/],
    ['=2%', /expected name=value/],
    ['cost=2', /--tolerance cost=2: expected a percentage of the baseline \(5%\) or an absolute cost tolerance in dollars/],
    ['cost=-2%', /expected a percentage/],
    ['cost=2pp', /dollars/],
    ['success=2ms', /percentage points/],
    ['p95=5', /a duration/],
    ['all=0.5pp', /cost tolerance/],
    ['cots=2%', /unknown metric "cots"; did you mean "cost"\?/],
    ['latncy=5%', /did you mean "latency"\?/],
    ['frobnicate=5%', /unknown metric "frobnicate"\. Metrics: cost, per-image/],
  ])('refuses %s', (spec, message) => {
    expect(() => parseTolerances([spec])).toThrow(message);
    try {
      parseTolerances([spec]);
    } catch (err) {
      expect(err).toMatchObject({ name: 'ImgsimError', code: 'invalid-argument' });
    }
  });
});

describe('printing a comparison', () => {
  it.each([
    ['usd', 3.92, '+$3.92'],
    ['usd', -0.005, '−$0.005'],
    ['ms', 1650, '+1.65s'],
    ['ms', -250, '−250ms'],
    ['fraction', -0.002, '−0.2pp'],
    ['fraction', 0.00001, '+<0.01pp'],
    ['fraction', 0, '0'],
    ['usd', null, '—'],
  ] as const)('formats a %s delta of %s as %s', (unit, x, text) => {
    expect(formatDelta(unit, x)).toBe(text);
  });

  it('prints one aligned row per strategy and metric, and a verdict line', () => {
    const base = makeReport();
    const c = compareReports(base, withCost(base, 'cheapest', { total: 43.12 }), { tolerances: parseTolerances(['cost=2%']) });
    const lines = renderComparisonText(c, { baselineLabel: 'base.json', currentLabel: 'cur.json' }).split('\n');
    expect(lines[0]).toBe('baseline: base.json (quickstart, seed 42, sim, imgsim 1.0.0)');
    expect(lines[3]).toMatch(/^strategy +metric +baseline +current +delta +change +tolerance +verdict$/);
    expect(lines[5]).toMatch(/^cheapest +cost +\$39\.20 +\$43\.12 +\+\$3\.92 +\+10% +2% +✗ regressed$/);
    // p95 of each strategy, and cheapest's interactive p95 (per urgency rows are always listed);
    // its class and project checks are ok, so they are counted under the table, not listed.
    expect(lines.filter((l) => / p95 /.test(l))).toHaveLength(4);
    expect(lines.filter((l) => /^cheapest +p95 interactive /.test(l))).toHaveLength(1);
    expect(lines).toContain('13 per-class and per-project checks ok, not listed (compare.json has every check)');
    expect(lines.at(-2)).toBe('✗ 1 regression (44 checks: 43 ok, 0 improved, 1 regressed)');
  });

  it('writes Markdown with the regressions in bold, as a document or as a report.md section', () => {
    const base = makeReport();
    const c = compareReports(base, withCost(base, 'cheapest', { total: 43.12 }), { tolerances: parseTolerances(['cost=2%']) });
    const md = renderComparisonMarkdown(c, { baselineLabel: 'b.json' });
    expect(md.startsWith('# imgsim comparison: quickstart\n')).toBe(true);
    expect(md).toContain('- Baseline: `b.json` (quickstart, seed 42, sim, imgsim 1.0.0)');
    expect(md).toMatch(/^\| \*\*cheapest\*\* +\| \*\*cost\*\* +\| +\*\*\$39\.20\*\* \|/m);
    expect(md).toContain('**✗ 1 regression');
    expect(renderComparisonMarkdown(c, { headingLevel: 2 }).startsWith('## Comparison with the baseline\n')).toBe(true);
    expect(renderComparisonMarkdown(c)).toBe(renderComparisonMarkdown(c));
  });
});
