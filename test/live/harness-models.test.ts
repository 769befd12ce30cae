/**
 * The live harness against providers that pin an OpenAI model. Serve answers as OpenAI does for
 * the model (gpt-image: `b64_json` only, and a 400 for any `response_format`), so the harness
 * must send what every model accepts: no `response_format`, the answer read as url or b64.
 *
 * Arithmetic: uniform arrivals at 20/s for 1 s of simulated time = 20 requests per strategy,
 * each the reference request, no failures: `cheapest` sends all 20 to `image` ($0.02 each) =
 * $0.40 and `dalle-first` sends all 20 to `dalle` ($0.04 each) = $0.80, every one a success.
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';

const TIME_SCALE = 0.1;

const pinned: ScenarioInput = {
  version: 1,
  name: 'live-models',
  seed: 5,
  start: '2026-06-01T00:00:00Z',
  duration: '1s',
  providers: [
    { id: 'image', model: 'gpt-image-1', pricing: { model: 'per-image', price: 0.02 }, tiers: { standard: { latency: { dist: 'fixed', value: '100ms' } } } },
    { id: 'dalle', model: 'dall-e-3', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '100ms' } } } },
  ],
  traffic: { arrivals: { process: 'uniform', rate: '20/s' }, mix: [{ name: 'ref', project: 'app' }] },
  strategies: ['cheapest', { use: 'failover', name: 'dalle-first', order: ['dalle', 'image'] }],
};

describe('runLive against providers that pin an OpenAI model', () => {
  const scenario = scenarioFromObject(pinned, path.join(tmpdir(), 'imgsim-live-models.yaml'));
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(scenario, { port: 0, timeScale: TIME_SCALE });
  });
  afterAll(async () => {
    await server.close();
  });

  it('gets an image from a gpt-image and a dall-e-3 provider on every request', async () => {
    const report = await runLive(scenario, { serverUrl: server.url, timeScale: TIME_SCALE });
    const [cheapest, dalleFirst] = report.strategies;
    expect(cheapest?.requests).toMatchObject({ total: 20, succeeded: 20, failed: 0 });
    expect(cheapest?.providers.image?.succeeded).toBe(20);
    expect(cheapest?.cost.total).toBeCloseTo(20 * 0.02, 10);
    expect(dalleFirst?.requests).toMatchObject({ total: 20, succeeded: 20, failed: 0 });
    expect(dalleFirst?.providers.dalle?.succeeded).toBe(20);
    expect(dalleFirst?.cost.total).toBeCloseTo(20 * 0.04, 10);
  });
});
