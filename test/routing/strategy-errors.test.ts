/**
 * A strategy file's own errors are reported as the strategy's (issue 15, defect 6): what its
 * `route`/`observe` throws, a decision that is not one (undefined, null, a Promise, a malformed
 * plan, an unknown provider or tier, a string, a shape of its own, an unreachable instant), and a
 * top-level await that never settles — each an `invalid-strategy` error (exit 2) naming the
 * strategy and its file, with a stack into the file where it threw.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStrategyFile } from '../../src/routing/load-strategy-file.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';

const FIXTURES = path.resolve('test/fixtures/strategies');
const MISBEHAVING = path.join(FIXTURES, 'misbehaving.ts');

/** Ten requests a second for ten seconds to one provider, `lumen` (tier `standard`), routed by the fixture in `mode`. */
function scenario(mode: string): ScenarioInput {
  return {
    version: 1,
    name: 'strategy-errors',
    seed: 1,
    start: '2026-06-01T00:00:00Z',
    duration: '10s',
    providers: [{ id: 'lumen', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } }],
    traffic: { arrivals: { process: 'uniform', rate: '10/s' }, mix: [{ name: 'ref' }] },
    strategies: [{ file: MISBEHAVING, options: { mode } }],
  };
}

/** Runs the scenario and returns the error it fails with. */
async function failure(mode: string): Promise<ImgsimError> {
  const err: unknown = await simulate(scenarioFromObject(scenario(mode), path.join(FIXTURES, 'scenario.yaml'))).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImgsimError);
  return err as ImgsimError;
}

describe('a strategy file that breaks the contract', () => {
  it.each([
    ['throw', /route threw Error: boom in route\n\s+at explode \(.*misbehaving\.ts:\d+:\d+\)/],
    ['observe-throws', /observe threw TypeError: boom in observe\n\s+at .*misbehaving\.ts:\d+:\d+/],
    ['undefined', /route returned undefined for request 0; expected \{ candidates/],
    ['null', /route returned null for request 0/],
    ['promise', /route returned a Promise for request 0; route must return its decision synchronously/],
    ['malformed-plan', /route returned a plan that is an object with keys next, without a next\(failed, ctx\) function/],
    ['unknown-provider', /candidates\[0\]\.provider = the string "nowhere", which is not a provider of the scenario \(lumen\)/],
    ['unknown-tier', /candidates\[0\]\.tier = the string "warp", which is not a tier of lumen \(standard\)/],
    ['string', /candidates\[0\] = the string "lumen", not \{ provider, tier\? \}/],
    ['shape', /route returned an object with keys go for request 0/],
    ['defer-infinity', /deferUntil = the number Infinity, not an instant/],
    ['defer-nan', /deferUntil = the number NaN, not an instant/],
  ])('mode %s is an invalid-strategy error naming the strategy and its file', async (mode, message) => {
    const err = await failure(mode);
    expect(err.code).toBe('invalid-strategy');
    expect(err.message).toContain(`strategy "misbehaving" (test/fixtures/strategies/misbehaving.ts): `);
    expect(err.message).toMatch(message);
  });

  it('a well-behaved mode of the same file runs', async () => {
    const report = await simulate(scenarioFromObject(scenario('fine'), path.join(FIXTURES, 'scenario.yaml')));
    expect(report.strategies[0]!.requests.total).toBe(100);
    expect(report.strategies[0]!.requests.succeeded).toBe(100);
  });

  it('an endless loop in route is ended by the watchdog, naming the strategy, its file and route', async () => {
    const started = performance.now();
    const err: unknown = await simulate(scenarioFromObject(scenario('loop'), path.join(FIXTURES, 'scenario.yaml')), { strategyTimeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).code).toBe('invalid-strategy');
    expect((err as ImgsimError).message).toContain('strategy "misbehaving" (test/fixtures/strategies/misbehaving.ts): route did not return within 300 ms');
    // Polled every 50 ms: ended within a second of wall time, not hung.
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('a top-level await that never settles is a timeout error naming the file', async () => {
    const file = path.join(FIXTURES, 'never-settles.js');
    const err: unknown = await loadStrategyFile(file, { timeoutMs: 200 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).code).toBe('invalid-strategy');
    expect((err as ImgsimError).message).toContain(`${file}: it did not finish loading within 200 ms`);
  });
});
