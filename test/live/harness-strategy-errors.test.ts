/**
 * The live harness checks a strategy file's decisions as the simulator does (issue 15, defect
 * 6; one check, `checkDecision`): an unknown provider, a Promise, a `route` that throws — each
 * ends `runLive` with the strategy's `invalid-strategy` error, not with silent failures.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';

const TIME_SCALE = 0.1;
const FIXTURES = path.resolve('test/fixtures/strategies');

/** Five requests (uniform, 10/s for 0.5 s of simulated time) to `lumen`, routed by the fixture in `mode`. */
function scenario(mode: string): ScenarioInput {
  return {
    version: 1,
    name: 'live-strategy-errors',
    seed: 1,
    start: '2026-06-01T00:00:00Z',
    duration: '500ms',
    providers: [{ id: 'lumen', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '50ms' } } } }],
    traffic: { arrivals: { process: 'uniform', rate: '10/s' }, mix: [{ name: 'ref' }] },
    strategies: [{ file: path.join(FIXTURES, 'misbehaving.ts'), options: { mode } }],
  };
}

describe('runLive with a strategy file that breaks the contract', () => {
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(scenarioFromObject(scenario('fine'), path.join(FIXTURES, 'live.yaml')), { port: 0, timeScale: TIME_SCALE });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['unknown-provider', /candidates\[0\]\.provider = the string "nowhere", which is not a provider of the scenario \(lumen\)/],
    ['promise', /route returned a Promise/],
    ['throw', /route threw Error: boom in route\n\s+at explode \(.*misbehaving\.ts:\d+:\d+\)/],
    ['observe-throws', /observe threw TypeError: boom in observe/],
  ])('mode %s ends the run with the strategy\'s error', async (mode, message) => {
    const err: unknown = await runLive(scenarioFromObject(scenario(mode), path.join(FIXTURES, 'live.yaml')), { serverUrl: server.url, timeScale: TIME_SCALE }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).code).toBe('invalid-strategy');
    expect((err as ImgsimError).message).toContain(`strategy "misbehaving" (test/fixtures/strategies/misbehaving.ts): `);
    expect((err as ImgsimError).message).toMatch(message);
  });

  it('a well-behaved mode of the same file runs every request', async () => {
    const report = await runLive(scenarioFromObject(scenario('fine'), path.join(FIXTURES, 'live.yaml')), { serverUrl: server.url, timeScale: TIME_SCALE });
    expect(report.strategies[0]!.requests).toMatchObject({ total: 5, succeeded: 5 });
  });
});
