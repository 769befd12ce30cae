import { describe, expect, it } from 'vitest';
import { RunCollector, type RequestTags } from '../../src/metrics/collector.js';
import { LatencyHistogram } from '../../src/metrics/histogram.js';

const START = Date.UTC(2026, 5, 1);
const END = START + 3_600_000;

const interactiveApp: RequestTags = { urgency: 'interactive', className: 'chat', project: 'app' };
const batchCatalog: RequestTags = { urgency: 'batch', className: 'nightly', project: 'catalog' };
// Joins later and shares the project `app` (and the urgency) of the first class.
const interactiveAppTwo: RequestTags = { urgency: 'interactive', className: 'editor', project: 'app' };

function histogramOf(values: readonly number[]) {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h.summary();
}

describe('RunCollector groups', () => {
  it('keeps each group its own latencies while classes share no urgency or project, and after one joins', () => {
    const c = new RunCollector(['alpha'], START, END);
    // Latencies per class, recorded as requests end: chat 100, 300, 700; nightly 5,000, 9,000;
    // then editor (project app, urgency interactive) 20,000 and 40,000; then chat 1,100.
    c.finish('succeeded', interactiveApp, 100, true, 'success', START + 1);
    c.finish('succeeded', batchCatalog, 5_000, true, 'success', START + 2);
    c.finish('succeeded', interactiveApp, 300, true, 'success', START + 3);
    c.finish('failed', interactiveApp, 0, false, 'server-error', START + 4);
    c.finish('succeeded', batchCatalog, 9_000, false, 'success', START + 5);
    c.finish('succeeded', interactiveApp, 700, true, 'success', START + 6);
    c.finish('succeeded', interactiveAppTwo, 20_000, false, 'success', START + 7);
    c.finish('succeeded', interactiveAppTwo, 40_000, false, 'success', START + 8);
    c.finish('succeeded', interactiveApp, 1_100, true, 'success', START + 9);
    const r = c.toReport('cheapest', END - START);

    // Each class holds only its own requests ...
    expect(r.latencyByClass!['chat']).toEqual(histogramOf([100, 300, 700, 1_100]));
    expect(r.latencyByClass!['nightly']).toEqual(histogramOf([5_000, 9_000]));
    expect(r.latencyByClass!['editor']).toEqual(histogramOf([20_000, 40_000]));
    // ... each project and urgency the union of its classes' requests.
    expect(r.latencyByProject!['app']).toEqual(histogramOf([100, 300, 700, 20_000, 40_000, 1_100]));
    expect(r.latencyByProject!['catalog']).toEqual(histogramOf([5_000, 9_000]));
    expect(r.latencyByUrgency['interactive']).toEqual(histogramOf([100, 300, 700, 20_000, 40_000, 1_100]));
    expect(r.latencyByUrgency['batch']).toEqual(histogramOf([5_000, 9_000]));
    expect(r.latencyMs).toEqual(histogramOf([100, 300, 700, 20_000, 40_000, 1_100, 5_000, 9_000]));
    // Counts: chat 5 requests (4 succeeded, all 4 within SLO), editor 2 (none within), app 7.
    expect(r.slo.byClass!['chat']).toEqual({ urgency: 'interactive', requests: 5, attained: 4, attainment: 4 / 5 });
    expect(r.slo.byClass!['editor']).toEqual({ urgency: 'interactive', requests: 2, attained: 0, attainment: 0 });
    expect(r.slo.byProject!['app']).toEqual({ requests: 7, attained: 4, attainment: 4 / 7 });
    expect(r.slo.byUrgency['batch']).toEqual({ requests: 2, attained: 1, attainment: 1 / 2 });
  });

  it('bills a cost to the request groups looked up once as to the tags', () => {
    const c = new RunCollector(['alpha', 'beta'], START, END);
    const groups = c.groupsOf(interactiveApp);
    expect(c.groupsOf({ ...interactiveApp })).toBe(groups);
    c.charge(0, groups, 0.25, false, START + 10);
    c.cost(1, interactiveApp, 0.5, true, START + 3_600_000 + 1);
    c.cost(1, { project: 'app' }, 0.125, false, START + 20);
    c.cost(0, undefined, 1, true, START + 30);
    const r = c.toReport('cheapest', END - START);
    // 0.25 + 0.5 + 0.125 + 1; the second after the window (drained); 0.5 + 1 wasted.
    expect(r.cost.total).toBe(1.875);
    expect(r.cost.wasted).toBe(1.5);
    expect(r.cost.byProvider).toEqual({ alpha: 1.25, beta: 0.625 });
    expect(r.cost.byProject).toEqual({ app: 0.875 });
    expect(r.cost.byClass).toEqual({ chat: 0.75 });
    expect(r.cost.byUrgency).toEqual({ interactive: 0.75 });
    expect(r.drained).toEqual({ requests: 0, cost: 0.5 });
    // Hour buckets: 0.25 + 0.125 + 1 in the first hour, 0.5 in the second.
    expect(r.costByHour).toEqual([1.375, 0.5]);
  });
});
