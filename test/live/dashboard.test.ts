import { describe, expect, it } from 'vitest';
import { DASHBOARD_HTML } from '../../src/live/dashboard.js';
import { LiveProviders } from '../../src/live/core.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

interface Row {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface PageHelpers {
  parse(text: string): Row[];
  sum(rows: Row[], name: string, by: string): Record<string, number>;
  quantile(rows: Row[], provider: string, q: number): string;
}

/** The page's own script, with its timer loop removed, evaluated to reach its helpers. */
function pageHelpers(): PageHelpers {
  const script = DASHBOARD_HTML.split('<script>')[1]!.split('</script>')[0]!.replace('tick(); setInterval(tick, 1000);', '');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('fetch', 'document', 'location', `${script}; return { parse, sum, quantile };`)(undefined, undefined, { search: '' }) as PageHelpers;
}

/** One provider at $0.04 an image, 3 s fixed latency. */
const ONE_PROVIDER = {
  version: 1,
  name: 'dash',
  providers: [{ id: 'lumen', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '3s' } } } }],
  traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'a' }] },
};

describe('the live dashboard', () => {
  it('reads the same numbers as /_imgsim/metrics: spend per provider and project, requests, outcomes', async () => {
    const providers = new LiveProviders(
      scenarioFromObject(ONE_PROVIDER),
      { timeScale: 0.01 },
    );
    const post = (project: string) =>
      providers.handle({
        method: 'POST',
        path: '/lumen/v1/images/generations',
        query: new URLSearchParams(),
        headers: { authorization: 'Bearer k', 'content-type': 'application/json', 'x-imgsim-project': project },
        body: { prompt: 'a lighthouse', size: '1024x1024' },
      });
    await Promise.all([post('app'), post('app'), post('catalog')]);
    const metrics = await providers.handle({ method: 'GET', path: '/_imgsim/metrics', query: new URLSearchParams(), headers: {}, body: undefined });
    expect(metrics.kind).toBe('raw');
    const text = (metrics as { body: string }).body;
    const page = pageHelpers();
    const rows = page.parse(text);
    // 3 requests × $0.04: 2 for app, 1 for catalog
    expect(page.sum(rows, 'imgsim_requests_total', 'provider')).toEqual({ lumen: 3 });
    expect(page.sum(rows, 'imgsim_requests_total', 'outcome')).toEqual({ success: 3 });
    const byProject = page.sum(rows, 'imgsim_cost_usd_total', 'project');
    expect(byProject.app).toBeCloseTo(0.08, 12);
    expect(byProject.catalog).toBeCloseTo(0.04, 12);
    // Every emulated latency is 3 s (30 ms of wall time, read back as wall / timeScale, so a late
    // timer adds a little): all three fall in the (2 s, 5 s] bucket, up to 20 ms late.
    expect(page.quantile(rows, 'lumen', 0.5)).toBe('≤5s');
    expect(page.quantile(rows, 'lumen', 0.99)).toBe('≤5s');
    expect(page.quantile(rows, 'other', 0.5)).toBe('—');
    await providers.close();
  });

  it('reads latency quantiles from cumulative histogram buckets, per provider', () => {
    // lumen: 10 requests, cumulative counts 1 (≤1 s), 3 (≤2 s), 9 (≤5 s), 10 (+Inf); rows out of
    // order, and another provider's rows that must not count. The qth quantile is the first
    // bucket holding at least q × 10 requests.
    const text = [
      'imgsim_latency_seconds_bucket{provider="lumen",le="5"} 9',
      'imgsim_latency_seconds_bucket{provider="lumen",le="+Inf"} 10',
      'imgsim_latency_seconds_bucket{provider="lumen",le="1"} 1',
      'imgsim_latency_seconds_bucket{provider="lumen",le="2"} 3',
      'imgsim_latency_seconds_bucket{provider="other",le="1"} 50',
      'imgsim_latency_seconds_bucket{provider="other",le="+Inf"} 50',
    ].join('\n');
    const page = pageHelpers();
    const rows = page.parse(text);
    expect([0.1, 0.25, 0.3, 0.5, 0.9, 0.95].map((q) => page.quantile(rows, 'lumen', q))).toEqual(['≤1s', '≤2s', '≤2s', '≤5s', '≤5s', '>5s']);
    expect(page.quantile(rows, 'other', 0.99)).toBe('≤1s');
    expect(page.quantile(rows, 'nobody', 0.5)).toBe('—');
  });

  it('reads escaped label values back as they were sent', () => {
    const rows = pageHelpers().parse('imgsim_cost_usd_total{provider="p",project="say \\"hi\\" \\\\ bye\\n"} 0.5');
    expect(rows).toEqual([{ name: 'imgsim_cost_usd_total', labels: { provider: 'p', project: 'say "hi" \\ bye\n' }, value: 0.5 }]);
  });

  it('is served at /_imgsim/ as HTML', async () => {
    const providers = new LiveProviders(
      scenarioFromObject(ONE_PROVIDER),
    );
    const page = await providers.handle({ method: 'GET', path: '/_imgsim/', query: new URLSearchParams(), headers: {}, body: undefined });
    expect(page).toMatchObject({ kind: 'raw', status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } });
    // Data goes in as text only (issue 15: a project name in innerHTML ran as script).
    expect((page as { body: string }).body).not.toContain('innerHTML');
    await providers.close();
  });
});
