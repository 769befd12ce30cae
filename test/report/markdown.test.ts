import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { makeOneUrgencyReport, withStrategy } from './_fixture.js';

/** The cells of the Markdown table row that starts with `first`, under the heading `section`. */
function row(md: string, section: string, first: string): string[] {
  const body = md.slice(md.indexOf(`## ${section}\n`));
  const line = body.split('\n').find((l) => l.startsWith(`| ${first} `));
  if (line === undefined) throw new Error(`no row ${first} in ${section}`);
  return line
    .slice(2, -2)
    .split(' | ')
    .map((c) => c.trim());
}

describe('renderMarkdown', () => {
  const md = renderMarkdown(makeOneUrgencyReport(), { scenarioFile: 'scenarios/quickstart.yaml' });

  it('opens with the scenario, seed and window', () => {
    expect(md.startsWith('# imgsim report: quickstart\n')).toBe(true);
    expect(md).toContain('- Scenario: `quickstart` from `scenarios/quickstart.yaml`');
    expect(md).toContain('- Seed: 42');
    expect(md).toContain('- Window: 2026-06-01T00:00:00.000Z → 2026-06-02T00:00:00.000Z (1d)');
  });

  it('has the strategy columns in order', () => {
    expect(row(md, 'Strategies', 'strategy')).toEqual([
      'strategy', 'requests', 'success rate', 'cost total', 'cost per image', 'wasted',
      'p50', 'p95', 'p99', 'failovers', 'SLO attainment', 'goodput (/s)', 'budget alerts',
    ]);
  });

  it('writes each strategy row with human units and bolds the best value per column', () => {
    // cheapest: lowest cost total and per image; wasted $0.8 ties with primary-backup.
    // goodput 900 / 86,400 = 0.0104/s.
    expect(row(md, 'Strategies', 'cheapest')).toEqual([
      'cheapest', '1,000', '98%', '**$39.20**', '**$0.04**', '**$0.8**', '7.9s', '16.5s', '21s', '20', '90%', '0.0104', '50% 80%',
    ]);
    // fastest: best success rate, latency, attainment and goodput (990 / 86,400 = 0.0115/s).
    expect(row(md, 'Strategies', 'fastest')).toEqual([
      'fastest', '1,000', '**99.5%**', '$59.70', '$0.06', '$0.9', '**1.2s**', '**2.1s**', '**2.9s**', '10', '**99%**', '**0.0115**',
      '50% 80%; catalog: 80%',
    ]);
    expect(row(md, 'Strategies', 'primary-backup')).toEqual([
      'primary-backup', '1,000', '99%', '$44.55', '$0.045', '**$0.8**', '8s', '15s', '20s', '40', '95%', '0.011', '—',
    ]);
  });

  it('does not bold a column where every strategy shows the same value, nor a lone strategy', () => {
    const report = makeOneUrgencyReport();
    const same = { ...report, strategies: report.strategies.map((s) => ({ ...s, successRate: 1 })) };
    expect(row(renderMarkdown(same), 'Strategies', 'fastest')[2]).toBe('100%');
    const lone = { ...report, strategies: report.strategies.slice(1, 2) };
    expect(renderMarkdown(lone)).not.toContain('**$');
  });

  it('does not count latency or cost per image of a strategy without successes as best', () => {
    const report = withStrategy(makeOneUrgencyReport(), 'cheapest', {
      requests: { total: 1000, succeeded: 0, failed: 1000, rejected: 0, deferred: 0 },
      successRate: 0,
      cost: { total: 5, perSucceeded: 0, wasted: 5, byProvider: {}, byProject: {} },
      latencyMs: { mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 },
    });
    const text = renderMarkdown(report);
    expect(row(text, 'Strategies', 'cheapest').slice(4, 9)).toEqual(['—', '$5.00', '—', '—', '—']);
    // the best per image is now primary-backup's $0.045
    expect(row(text, 'Strategies', 'primary-backup')[4]).toBe('**$0.045**');
    expect(row(text, 'Strategies', 'fastest')[6]).toBe('**1.2s**');
  });

  it('shows each provider\'s share of attempts and of cost per strategy', () => {
    expect(row(md, 'Provider shares', 'strategy')).toEqual(['strategy', 'lumen', 'pixelforge']);
    // cheapest: attempts 900 / 1050 = 85.71%, cost 35.2 / 39.2 = 89.8%
    expect(row(md, 'Provider shares', 'cheapest')).toEqual(['cheapest', '85.71% / 89.8%', '14.29% / 10.2%']);
    // primary-backup: 40 / 1040 = 3.85%, 2.55 / 44.55 = 5.72%
    expect(row(md, 'Provider shares', 'primary-backup')[2]).toBe('3.85% / 5.72%');
  });

  it('breaks outcomes down per provider, kinds in the contract order', () => {
    expect(row(md, 'Outcomes by provider', 'strategy')).toEqual([
      'strategy', 'provider', 'attempts', 'succeeded', 'cost', 'success', 'server-error', 'timeout', 'generative', 'rate-limited', 'overloaded',
    ]);
    expect(row(md, 'Outcomes by provider', 'cheapest')).toEqual(['cheapest', 'lumen', '900', '880', '$35.20', '880', '12', '0', '8', '0', '0']);
  });

  it('lists credits per account when there are any', () => {
    expect(row(md, 'Credits', 'fastest')).toEqual(['fastest', 'pixelforge', '1,000', '800', '0', '$20.00', '$0.00', '10']);
    const report = makeOneUrgencyReport();
    const noCredits = { ...report, strategies: report.strategies.map((s) => ({ ...s, credits: {} })) };
    expect(renderMarkdown(noCredits)).not.toContain('## Credits');
  });

  it('marks thresholds with ✓ and ✗', () => {
    expect(row(md, 'Thresholds', '✗')).toEqual(['✗', 'cheapest', 'latencyMs.p95 = 16,500 > 10,000']);
    expect(md).toContain('| ✓   | fastest        | successRate = 0.995 >= 0.97     |');
    expect(md).toContain('**2 of 6 failed.**');
  });

  it('escapes pipes in names and is deterministic', () => {
    const piped = withStrategy(makeOneUrgencyReport(), 'fastest', { name: 'a|b' });
    expect(renderMarkdown(piped)).toContain('| a\\|b ');
    expect(renderMarkdown(makeOneUrgencyReport(), { scenarioFile: 'scenarios/quickstart.yaml' })).toBe(md);
    expect(md.endsWith('\n')).toBe(true);
  });
});

describe('renderMarkdown with the oracle', () => {
  const base = makeOneUrgencyReport();
  const bounds: Record<string, number> = { cheapest: 34, fastest: 35, 'primary-backup': 34.5 };
  const report = {
    ...base,
    strategies: base.strategies.map((s) => ({ ...s, regret: { usd: s.cost.total - 40, ratio: s.cost.total / 40 - 1, lowerBound: bounds[s.name]! } })),
    oracle: {
      cost: 40,
      unconstrainedCost: 35,
      requests: { total: 1000, withinSlo: 990, late: 5, unserved: 5 },
      unconstrained: { withinSlo: 995, late: 5, unservable: 0 },
    },
  };
  const md = renderMarkdown(report);

  it('adds the regret column to the strategy table, not bolded (it ranks like cost total)', () => {
    const header = row(md, 'Strategies', 'strategy');
    expect(header.indexOf('regret')).toBe(header.indexOf('wasted') + 1);
    expect(row(md, 'Strategies', 'cheapest')[6]).toBe('−2%');
  });

  it('has an Oracle section before Credits: the plan, the bound, and each strategy against them', () => {
    expect(md.indexOf('## Oracle')).toBeGreaterThan(md.indexOf('## Outcomes by provider'));
    expect(md.indexOf('## Oracle')).toBeLessThan(md.indexOf('## Credits'));
    expect(md).toContain('- Plan (capacity-aware, greedy): $40.00 for 1,000 requests: 990 within SLO, 5 late, 5 unserved.');
    expect(md).toContain('- Lower bound (capacity ignored): $35.00; the draws allow 995 within SLO, 5 late, 0 unservable.');
    // cheapest: 39.2 − 40 = −$0.8, −2%; bound $34: 39.2 / 34 − 1 = +15.29%.
    expect(row(md, 'Oracle', 'cheapest')).toEqual(['cheapest', '$39.20', '−$0.8', '−2%', '$34.00', '+15.29%']);
    // fastest: 59.7 − 40 = $19.70, +49.25%; bound $35: 59.7 / 35 − 1 = +70.57%.
    expect(row(md, 'Oracle', 'fastest')).toEqual(['fastest', '$59.70', '$19.70', '+49.25%', '$35.00', '+70.57%']);
  });

  it('has no Oracle section without the oracle', () => {
    expect(renderMarkdown(base)).not.toContain('## Oracle');
  });
});
