/**
 * The gateway strategies over real HTTP: their plans (retries, waits, fallbacks, a 400 for a
 * request a provider cannot serve) run in the live harness as in the simulator. 20 requests
 * (uniform, 10/s for 2 s of simulated time) at a 10× time scale.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const TIME_SCALE = 0.1;

describe('gateway strategies in live mode', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-live-gw-'));
  writeFileSync(
    path.join(dir, 'litellm.yaml'),
    `model_list:
  - { model_name: primary, litellm_params: { model: openai/flaky } }
  - { model_name: backup, litellm_params: { model: openai/steady } }
router_settings:
  num_retries: 1
  fallbacks: [{ primary: [backup] }]
`,
  );
  writeFileSync(
    path.join(dir, 'portkey.json'),
    JSON.stringify({
      strategy: { mode: 'fallback' },
      targets: [{ virtual_key: 'small' }, { virtual_key: 'flaky', retry: { attempts: 1 } }, { virtual_key: 'steady' }],
    }),
  );
  const fixed = { standard: { latency: { dist: 'fixed', value: '50ms' } } };
  const scenario = scenarioFromObject(
    {
      version: 1,
      name: 'live-gateways',
      seed: 5,
      start: '2026-06-01T00:00:00Z',
      duration: '2s',
      providers: [
        { id: 'flaky', pricing: { model: 'per-image', price: 0.01 }, tiers: fixed, failures: { serverError: 1, errorLatency: { dist: 'fixed', value: '20ms' } } },
        { id: 'small', pricing: { model: 'per-image', price: 0.01 }, tiers: fixed, supports: { sizes: ['512x512'] } },
        { id: 'steady', pricing: { model: 'per-image', price: 0.04 }, tiers: fixed },
      ],
      traffic: { arrivals: { process: 'uniform', rate: '10/s' }, mix: [{ name: 'ref', project: 'app' }] },
      strategies: [
        { use: 'litellm', config: './litellm.yaml' },
        { use: 'portkey', config: './portkey.json' },
      ],
    },
    path.join(dir, 'live-gateways.yaml'),
  );
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(scenario, { port: 0, timeScale: TIME_SCALE });
  });
  afterAll(async () => {
    await server.close();
  });

  it('retries, waits and falls back as the configs say', async () => {
    const report = await runLive(scenario, { serverUrl: server.url, timeScale: TIME_SCALE, warmup: false });
    const [litellm, portkey] = report.strategies;
    // LiteLLM: flaky, flaky again after a backoff (its group has one deployment), then the backup group.
    expect(litellm!.requests.succeeded).toBe(20);
    expect(litellm!.providers.flaky!.attempts).toBe(40);
    expect(litellm!.attempts).toMatchObject({ total: 60, retries: 20, failovers: 20 });
    // LiteLLM waits 0.5 s × (0.75-1) before the retry: at least 375 ms of simulated time.
    expect(litellm!.latencyMs.p50).toBeGreaterThanOrEqual(375 + 50);
    // Portkey: small refuses 1024x1024 (400: the fallback moves on), flaky is retried once after 1 s, then steady.
    expect(portkey!.requests.succeeded).toBe(20);
    expect(portkey!.providers.small!.outcomes.filtered).toBe(20);
    expect(portkey!.providers.flaky!.attempts).toBe(40);
    expect(portkey!.latencyMs.p50).toBeGreaterThanOrEqual(1000);
    // Only steady bills: 20 × $0.04 each
    expect(portkey!.cost.total).toBeCloseTo(20 * 0.04, 9);
  });
});
