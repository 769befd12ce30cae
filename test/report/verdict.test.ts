/**
 * The verdict (src/report/verdict.ts): every sentence computed from the report, checked here
 * against the fixture's figures by hand; and the per-urgency summary columns.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderSummaryTable, summaryColumns } from '../../src/report/summary-table.js';
import { verdict } from '../../src/report/verdict.js';
import type { Report } from '../../src/metrics/report-types.js';
import { makeOneUrgencyReport, makeReport, withStrategy } from './_fixture.js';

/** The fixture with fastest (99%) and primary-backup (96%) meeting the interactive 95% target, cheapest (90%) not. */
function meeting(): Report {
  let r = makeReport();
  r = withStrategy(r, 'fastest', { slo: { ...r.strategies[1]!.slo, byUrgency: { interactive: { requests: 1000, attained: 990, attainment: 0.99 } } } });
  return withStrategy(r, 'primary-backup', { slo: { ...r.strategies[2]!.slo, byUrgency: { interactive: { requests: 1000, attained: 960, attainment: 0.96 } } } });
}

describe('verdict', () => {
  it('names the cheapest strategy meeting each class SLO, against the next, and the cheapest overall', () => {
    const [interactive, overall] = verdict(meeting());
    // $59.70 − $44.55 = $15.15, 15.15 / 59.70 = 25.38%.
    expect(interactive).toBe(
      '**Interactive** (SLO: 95% within 10s): 2 of 3 strategies meet it; the cheapest is `primary-backup` at $44.55 (96%), $15.15 (25.38%) less than the next, `fastest` ($59.70).',
    );
    expect(overall).toBe('The cheapest strategy overall, `cheapest` ($39.20), reaches 90% of interactive requests within the SLO.');
  });

  it('says when no strategy meets a class SLO, and which comes closest', () => {
    const lines = verdict(makeReport());
    expect(lines[0]).toBe('**Interactive** (SLO: 95% within 10s): no strategy meets it; the closest is `cheapest` at 90%, costing $39.20.');
    expect(lines[1]).toBe('**Batch** (SLO: 95% done by their deadline (12h unless the class sets one)): no strategy meets it; the closest is `cheapest` at 90%, costing $39.20.');
  });

  it('names the Pareto frontier of cost against the interactive p95, never a pooled p95', () => {
    const lines = verdict(meeting());
    // Only cheapest has an interactive p95 (14 s; its pooled p95 is 16.5 s).
    expect(lines).toContain('**Pareto frontier** of cost against interactive p95: `cheapest` ($39.20, 14s). Every other strategy pays more for a slower interactive p95 than one of these.');
  });

  it('projects a run shorter than the budget period to the whole period', () => {
    const lines = verdict(makeReport());
    // 1 day of a 30-day period: × 30. cheapest $1,176, primary-backup $1,336.50, fastest $1,791,
    // all over $100; fastest reaches it on day ⌈100 / 1,791 × 30⌉ = ⌈1.68⌉ = 2.
    expect(lines).toContain(
      '**Budget** ($100.00 per 30d; the run covers 1d, so its spend is projected to the period): 3 of 3 strategies would exceed it, `fastest` first, on day 2 ($1,791.00 at its rate); none stays within it.',
    );
    expect(lines.at(-1)).toBe('**Credits** at `pixelforge`: 0 of 200 ($0.00) expired unused.');
  });

  it('tells the deferral story: batch cost of a deferring strategy against the cheapest that does not defer', () => {
    let r = makeReport();
    r = withStrategy(r, 'fastest', { requests: { ...r.strategies[1]!.requests, deferred: 250 }, cost: { ...r.strategies[1]!.cost, byUrgency: { interactive: 52.8, batch: 6.9 } } });
    // cheapest pays $9.20 for batch work at once; fastest $6.90 after deferring: 25% less.
    expect(verdict(r)).toContain('**Deferral**: `fastest` deferred 250 requests and paid $6.90 for batch work (25% less); against `cheapest`, the cheapest that sends batch work at once ($9.20).');
  });

  it('measures deferral against the cheapest that meets the batch SLO, not one that paid less by serving less', () => {
    let r = makeReport();
    r = withStrategy(r, 'fastest', { requests: { ...r.strategies[1]!.requests, deferred: 250 }, cost: { ...r.strategies[1]!.cost, byUrgency: { interactive: 52.8, batch: 6.9 } } });
    // cheapest pays $9.20 for batch work but gets only 90% of it done in time (target 95%);
    // primary-backup pays $10.00 and gets 290 / 300 = 96.67%: the yardstick. 1 − 6.90 / 10.00 = 31%.
    const pb = r.strategies[2]!;
    r = withStrategy(r, 'primary-backup', {
      cost: { ...pb.cost, byUrgency: { interactive: 34.55, batch: 10 } },
      slo: { ...pb.slo, byUrgency: { batch: { requests: 300, attained: 290, attainment: 290 / 300 } } },
    });
    expect(verdict(r)).toContain(
      '**Deferral**: `fastest` deferred 250 requests and paid $6.90 for batch work (31% less); against `primary-backup`, the cheapest that sends batch work at once and meets the batch SLO ($10.00).',
    );
  });

  it('over a whole period of a budget that only alerts, says who kept spending and who refused work itself', () => {
    let r = makeReport();
    r = { ...r, window: { ...r.window, end: '2026-07-01T00:00:00.000Z' }, budget: { ...r.budget!, onExhausted: 'allow' } };
    const c = r.strategies[0]!;
    r = withStrategy(r, 'cheapest', { budget: { ...c.budget, alerts: [...c.budget.alerts, { threshold: 1, at: '2026-06-20T00:00:00.000Z', period: 0 }] } });
    // fastest plays a budget guard: 40 requests refused for the budget, its project cap 12 more; no 100% alert.
    r = withStrategy(r, 'fastest', { failures: { timeout: 5, budget: 40, 'budget:catalog': 12 } });
    expect(verdict(r)).toContain(
      '**Budget** ($100.00 per 30d, alerts only: `onExhausted: allow`): 1 of 3 strategies reached the limit in some period and kept spending; `fastest` refused 52 requests to stay within it.',
    );
    // Nobody reached it and nobody refused: the plain sentence, as with `reject`.
    const quiet = withStrategy(withStrategy(r, 'cheapest', { budget: c.budget }), 'fastest', { failures: { timeout: 5 } });
    expect(verdict(quiet)).toContain('**Budget** ($100.00 per 30d): 0 of 3 strategies reached the limit in some period.');
  });

  it('opens report.md', () => {
    const md = renderMarkdown(meeting());
    expect(md.indexOf('## Verdict')).toBeLessThan(md.indexOf('## Strategies'));
    expect(md).toContain('- **Interactive** (SLO: 95% within 10s): 2 of 3');
  });
});

describe('the summary columns', () => {
  it('show latency and SLO per urgency when a report has several, never pooled', () => {
    const titles = summaryColumns(makeReport()).map((c) => c.title);
    expect(titles).toEqual([
      'strategy', 'requests', 'success rate', 'cost total', 'cost per image', 'wasted',
      'interactive p50', 'interactive p95', 'interactive p99', 'interactive SLO', 'batch p95', 'batch SLO',
      'failovers', 'goodput (/s)', 'budget alerts',
    ]);
    const cheapest = makeReport().strategies[0]!;
    const cell = (title: string): string => summaryColumns(makeReport()).find((c) => c.title === title)!.cell(cheapest);
    // Its interactive p95 (14 s), not the pooled 16.5 s; batch latency has no value (no batch success recorded).
    expect([cell('interactive p95'), cell('interactive SLO'), cell('batch p95'), cell('batch SLO')]).toEqual(['14s', '90%', '—', '90%']);
  });

  it('keep the pooled columns for a report of one class (they are that class)', () => {
    expect(summaryColumns(makeOneUrgencyReport()).map((c) => c.title)).toContain('p95');
  });
});

describe('the terminal per class and project', () => {
  it('prints cost · SLO attainment per traffic class and per project under the summary', () => {
    const text = renderSummaryTable(makeReport());
    const lines = text.split('\n');
    const at = lines.indexOf('cost · SLO attainment by traffic class');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^strategy +app +nightly$/);
    // cheapest: app $30 at 630 / 700 = 90%, nightly $9.20 at 270 / 300 = 90%; the others have no per-class figures.
    expect(lines[at + 3]).toMatch(/^cheapest +\$30\.00 · 90% +\$9\.20 · 90%$/);
    expect(lines[at + 4]).toMatch(/^fastest +— +—$/);
    const p = lines.indexOf('cost · SLO attainment by project');
    expect(lines[p + 3]).toMatch(/^cheapest +\$30\.00 · 90% +\$9\.20 · 90%$/);
    // No per-class figures: no such tables.
    expect(renderSummaryTable(makeOneUrgencyReport())).not.toContain('cost · SLO attainment by');
  });
});
