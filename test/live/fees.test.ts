/**
 * A gateway's fees in a live pass (`imgsim live`, the harness against a real `imgsim serve` on
 * 127.0.0.1): the same rule as the simulator (GatewayFeeAccount, src/model/pricing/fees.ts), so
 * the same scenario bills the same fees in both modes.
 *
 * Scenario arithmetic: uniform arrivals at 100/s for 1 s of simulated time = 100 requests of the
 * reference request (1024x1024, 30 steps) to one provider at $0.01 per image, fixed 100 ms, no
 * failures. The gateway charges:
 * - markup 5%: 100 × 0.05 × $0.01 = $0.05;
 * - perGeneration $0.001: 100 × $0.001 = $0.10;
 * - monthly $49: one started month = $49;
 * - creditPurchase (top-ups of $1, 5.5%, $0.80 minimum): the balance pays 100 × ($0.01 + $0.0005
 *   + $0.001) = $1.15, which takes 2 top-ups, each max(5.5% × $1, $0.80) = $0.80: $1.60.
 * Fees $0.05 + $0.10 + $49 + $1.60 = $50.75, on $1.00 of provider bills.
 */
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';

const TIME_SCALE = 0.1;
const EXACT = 12;

const viaGateway: ScenarioInput = {
  version: 1,
  name: 'live-fees',
  seed: 5,
  start: '2026-06-01T00:00:00Z',
  duration: '1s',
  providers: [
    {
      id: 'alpha',
      pricing: { model: 'per-image', price: 0.01 },
      tiers: { standard: { latency: { dist: 'fixed', value: '100ms' } } },
      capacity: { concurrency: 1000, queue: 1000 },
    },
  ],
  traffic: { arrivals: { process: 'uniform', rate: '100/s' }, mix: [{ name: 'ref', project: 'app' }] },
  strategies: [
    { use: 'cheapest', name: 'direct' },
    { use: 'cheapest', name: 'gateway', fees: { markup: '5%', perGeneration: 0.001, monthly: 49, creditPurchase: { percent: '5.5%', minimum: 0.8, topUp: 1 } } },
  ],
};

describe('imgsim live charges a gateway fees as the simulator does', () => {
  const scenario = scenarioFromObject(viaGateway, path.join(tmpdir(), 'imgsim-live-fees.yaml'));
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(scenario, { port: 0, timeScale: TIME_SCALE });
  });
  afterAll(async () => {
    await server.close();
  });

  it('bills markup, per generation, the month and the top-ups: $50.75 on $1.00, equal to simulate()', async () => {
    const live = await runLive(scenario, { serverUrl: server.url, timeScale: TIME_SCALE, warmup: false });
    const sim = await simulate(scenario, { oracle: false });
    const [direct, gateway] = live.strategies;
    expect(direct!.requests.succeeded).toBe(100);
    expect(direct!.cost.total).toBeCloseTo(1, EXACT);
    expect(direct!.cost).not.toHaveProperty('fees');
    expect(gateway!.requests.succeeded).toBe(100);
    expect(gateway!.cost.byProvider.alpha).toBeCloseTo(1, EXACT);
    expect(gateway!.cost.fees).toEqual({
      total: expect.closeTo(50.75, EXACT),
      markup: expect.closeTo(0.05, EXACT),
      perGeneration: expect.closeTo(0.1, EXACT),
      perMillionTokens: 0,
      monthly: 49,
      creditPurchase: expect.closeTo(1.6, EXACT),
    });
    expect(gateway!.cost.total).toBeCloseTo(51.75, EXACT);
    // Per-bill fees follow the request's project; the month and the top-ups are the account's.
    const simGateway = sim.strategies.find((s) => s.name === 'gateway')!;
    expect(gateway!.cost.fees).toEqual(simGateway.cost.fees);
    expect(gateway!.cost.total).toBeCloseTo(simGateway.cost.total, EXACT);
    expect(gateway!.cost.byProject).toEqual(simGateway.cost.byProject);
  });
});
