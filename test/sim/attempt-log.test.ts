/**
 * The attempt log (`onAttempt`, `imgsim run --attempts-log`): every attempt that reached a
 * provider, once, with what the client saw and what it was billed in the end.
 */
import { describe, expect, it } from 'vitest';
import { formatAttemptLine, statusOf, type AttemptRecord } from '../../src/metrics/attempt-log.js';
import type { Report } from '../../src/metrics/report-types.js';
import { serializeReport } from '../../src/report/json.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { simulate } from '../../src/sim/run.js';

/** Two providers, failures of every simulated kind, a hedge and billed timeouts. */
const SCENARIO = scenarioFromObject({
  version: 1,
  name: 'log',
  seed: 3,
  start: '2026-06-01T00:00:00Z',
  duration: '20m',
  providers: [
    {
      id: 'alpha',
      pricing: { model: 'per-step', perStep: 0.001, billing: { timeout: true } },
      tiers: { standard: { latency: { dist: 'lognormal', median: '2s', p99: '6s' } } },
      capacity: { concurrency: 4, queue: 2 },
      rateLimit: { rpm: 60 },
      failures: { serverError: 0.05, timeout: 0.03, generative: 0.04, filtered: 0.02 },
    },
    {
      id: 'beta',
      pricing: { model: 'per-image', price: 0.04 },
      tiers: { standard: { latency: { dist: 'gamma', mean: '3s', sd: '1s' } } },
      failures: { serverError: 0.02 },
    },
  ],
  traffic: { arrivals: { rate: '2/s' }, mix: [{ name: 'a', steps: { min: 20, max: 40 } }] },
  strategies: ['cheapest', { use: 'hedged', base: { use: 'failover', order: ['alpha', 'beta'] }, delay: '2500ms' }],
  policy: { timeout: '8s' },
});

let run: Promise<{ records: AttemptRecord[]; report: Report }> | undefined;
/** One logged run, shared by the tests (records are copied: the engine reuses its record). */
function logged(): Promise<{ records: AttemptRecord[]; report: Report }> {
  run ??= (async () => {
    const records: AttemptRecord[] = [];
    const report = await simulate(SCENARIO, { onAttempt: (r) => records.push({ ...r }) });
    return { records, report };
  })();
  return run;
}

describe('the attempt log', () => {
  it('holds every attempt the report counts, once, per strategy and provider and outcome', async () => {
    const { records, report } = await logged();
    for (const s of report.strategies) {
      const mine = records.filter((r) => r.strategy === s.name);
      for (const [id, p] of Object.entries(s.providers)) {
        const at = mine.filter((r) => r.provider === id);
        expect(at).toHaveLength(p.attempts);
        for (const [kind, n] of Object.entries(p.outcomes)) expect(at.filter((r) => r.outcome === kind)).toHaveLength(n);
      }
      // (request, attempt number) names each attempt once
      expect(new Set(mine.map((r) => `${r.requestId}/${r.attempt}`)).size).toBe(mine.length);
    }
    // the scenario exercises what it should: every kind, hedge losers and 429s
    const kinds = new Set(records.map((r) => r.outcome));
    for (const k of ['success', 'server-error', 'timeout', 'generative', 'filtered', 'rate-limited', 'cancelled']) expect(kinds).toContain(k);
  });

  it('bills each attempt what the report bills, billed timeouts and hedge losers included', async () => {
    const { records, report } = await logged();
    for (const s of report.strategies) {
      for (const [id, p] of Object.entries(s.providers)) {
        const sum = records.filter((r) => r.strategy === s.name && r.provider === id).reduce((a, r) => a + r.costUsd, 0);
        expect(sum).toBeCloseTo(p.cost, 9);
      }
    }
    // billing.timeout is true at alpha: its timeouts are billed (when the work ends) and logged so
    const timeouts = records.filter((r) => r.provider === 'alpha' && r.outcome === 'timeout');
    expect(timeouts.some((r) => r.costUsd > 0)).toBe(true);
    // a per-step price: cost = 0.001 × steps for every billed attempt at alpha
    for (const r of records.filter((q) => q.provider === 'alpha' && q.costUsd > 0)) expect(r.costUsd).toBeCloseTo(0.001 * r.steps, 12);
  });

  it('times each attempt from sending to the answer the client got', async () => {
    const { records } = await logged();
    for (const r of records) {
      expect(r.latencyMs).toBeGreaterThanOrEqual(0);
      if (r.outcome === 'timeout') expect(r.latencyMs).toBeCloseTo(8_000, 6); // policy.timeout
      if (r.outcome === 'server-error') expect(r.latencyMs).toBe(200); // DEFAULT_ERROR_LATENCY_MS
    }
  });

  it('changes nothing in the report', async () => {
    const { report } = await logged();
    expect(serializeReport(report)).toBe(serializeReport(await simulate(SCENARIO)));
  });

  it('writes one JSON line per attempt with the HTTP status serve would send', () => {
    const line = formatAttemptLine({
      strategy: 'cheapest',
      requestId: 7,
      attempt: 2,
      provider: 'alpha',
      tier: 'standard',
      startMs: Date.UTC(2026, 5, 1, 0, 0, 1, 500),
      latencyMs: 2_000.123_456,
      outcome: 'generative',
      code: undefined,
      costUsd: 0.03,
      size: '1024x1024',
      steps: 30,
      quality: 'hd',
      features: ['controlnet'],
      project: 'app',
      hedge: false,
    });
    expect(line).toBe(
      '{"provider":"alpha","tier":"standard","start":"2026-06-01T00:00:01.500Z","latencyMs":2000.123,"outcome":"generative","status":500,"costUsd":0.03,"size":"1024x1024","steps":30,"quality":"hd","features":["controlnet"],"project":"app","strategy":"cheapest","request":7,"attempt":2}',
    );
    expect(['success', 'filtered', 'rate-limited', 'overloaded', 'timeout', 'cancelled'].map((k) => statusOf(k as AttemptRecord['outcome']))).toEqual([200, 400, 429, 503, null, null]);
  });
});
