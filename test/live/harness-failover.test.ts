/**
 * Failover over real HTTP: a provider whose every answer is a destroyed connection, behind a
 * failover to a healthy one. 40 requests (uniform, 20/s for 2 s of simulated time): each first
 * attempt at `flaky` ends in `connection-reset`, then fails over to `steady` and succeeds.
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const TIME_SCALE = 0.1;

describe('runLive fails over when a provider resets its connections', () => {
  const scenario = scenarioFromObject(
    {
      version: 1,
      name: 'live-reset',
      seed: 5,
      start: '2026-06-01T00:00:00Z',
      duration: '2s',
      providers: [
        { id: 'flaky', pricing: { model: 'per-image', price: 0.01 }, tiers: { standard: { latency: { dist: 'fixed', value: '50ms' } } }, failures: { connectionReset: 1 } },
        { id: 'steady', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '50ms' } } } },
      ],
      traffic: { arrivals: { process: 'uniform', rate: '20/s' }, mix: [{ name: 'ref', project: 'app' }] },
      strategies: [{ use: 'failover', order: ['flaky', 'steady'] }],
    },
    path.join(tmpdir(), 'imgsim-live-reset.yaml'),
  );
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(scenario, { port: 0, timeScale: TIME_SCALE });
  });
  afterAll(async () => {
    await server.close();
  });

  it('recovers every request at the next provider and pays only the provider that answered', async () => {
    const report = await runLive(scenario, { serverUrl: server.url, timeScale: TIME_SCALE });
    const s = report.strategies[0]!;
    // 2 s × 20/s = 40 requests
    expect(s.requests.total).toBe(40);
    expect(s.requests.succeeded).toBe(40);
    expect(s.providers.flaky!.outcomes['connection-reset']).toBe(40);
    expect(s.attempts.failovers).toBe(40);
    expect(s.attempts.recovered).toBe(40);
    // connection resets are not billed (billing.connectionReset defaults to false): 40 × $0.04
    expect(s.cost.total).toBeCloseTo(40 * 0.04, 9);
    expect(report.mode).toBe('live');
  });
});
