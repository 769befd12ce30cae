/**
 * The gateway strategies end to end in the simulator: their configs as shipped, and a provider
 * outage seen through LiteLLM's cooldowns and Portkey's circuit breaker.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkGatewayConfigs } from '../../src/routing/strategy-refs.js';
import { loadScenario } from '../../src/scenario/load.js';
import { simulate } from '../../src/sim/run.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Two providers, `down` out for the 10 minutes from 00:05, and `up`; 10 requests a second for
 * 20 minutes; the strategies given, with their configs written beside the scenario.
 */
function outage(strategies: string, configs: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-gw-engine-'));
  for (const [name, text] of Object.entries(configs)) writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, 's.yaml');
  writeFileSync(
    file,
    `version: 1
name: outage
seed: 3
start: 2026-06-01T00:00:00Z
duration: 20m
providers:
  - id: down
    pricing: { model: per-image, price: 0.02 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
    capacity: { concurrency: 1000, queue: 1000 }
    availability: { base: 1, outages: [{ at: 5m, duration: 10m }] }
    failures: { errorLatency: { dist: fixed, value: 50ms } }
  - id: up
    pricing: { model: per-image, price: 0.04 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
    capacity: { concurrency: 1000, queue: 1000 }
traffic:
  arrivals: { process: uniform, rate: 10/s }
  mix: [{ name: i }]
strategies:
${strategies}
`,
  );
  return file;
}

describe('gateway strategies in the simulator', () => {
  it('ship configs for market-2026 that load, map every deployment and route every request', async () => {
    const scenario = loadScenario(path.join(ROOT, 'scenarios/market-2026.yaml'));
    checkGatewayConfigs(scenario);
    // 4 quiet night hours at 0.1 requests a second (x 0.5-0.65 for the hour): about 800 requests
    const report = await simulate(scenario, { durationMs: 4 * 3_600_000, strategies: ['litellm', 'portkey'] });
    for (const s of report.strategies) {
      expect(s.requests.total).toBeGreaterThan(500);
      expect(s.successRate).toBeGreaterThan(0.97);
    }
    // The Portkey config is JSON, as Portkey takes it.
    expect(() => JSON.parse(readFileSync(path.join(ROOT, 'scenarios/gateways/portkey.json'), 'utf8')) as unknown).not.toThrow();
  });

  it('LiteLLM cools the failing deployment down: few attempts reach it during the outage', async () => {
    const config = 'model_list:\n  - { model_name: img, litellm_params: { model: openai/down } }\n  - { model_name: img, litellm_params: { model: openai/up } }\n';
    const file = outage(
      `  - { use: litellm, name: cooled, config: ./cooled.yaml }
  - { use: litellm, name: uncooled, config: ./uncooled.yaml }`,
      { 'cooled.yaml': config, 'uncooled.yaml': `${config}router_settings: { disable_cooldowns: true }\n` },
    );
    const report = await simulate(loadScenario(file));
    const [cooled, uncooled] = report.strategies as [(typeof report.strategies)[0], (typeof report.strategies)[0]];
    // 10 min × 10/s = 6,000 requests meet the outage. Without cooldowns about half of them pick
    // `down` first (and retry at `up` at once); with them `down` sits out 5 s after each failure
    // that keeps its failure rate above 50%: about one attempt per 5 s, 120 in 10 minutes.
    expect(uncooled.providers.down!.outcomes.overloaded).toBeGreaterThan(2500);
    expect(cooled.providers.down!.outcomes.overloaded).toBeLessThan(300);
    // Each request tries 3 times (num_retries 2), each pick uniform over the two: without
    // cooldowns 1 in 8 of the outage's requests lands on `down` 3 times and fails: 750 ± 77 (3 sd).
    // With them `down` is rarely healthy, and almost all succeed.
    expect(uncooled.requests.failed).toBeGreaterThan(673);
    expect(uncooled.requests.failed).toBeLessThan(827);
    expect(cooled.requests.failed).toBeLessThan(30);
  });

  it('Portkey opens the circuit of the failing target and skips it until the cooldown is over', async () => {
    const target = (cb: string): string =>
      JSON.stringify({ strategy: { mode: 'fallback', ...(cb === '' ? {} : { cb_config: JSON.parse(cb) as object }) }, targets: [{ virtual_key: 'down' }, { virtual_key: 'up' }] });
    const file = outage(
      `  - { use: portkey, name: breaker, config: ./breaker.json }
  - { use: portkey, name: plain, config: ./plain.json }`,
      { 'breaker.json': target('{ "failure_threshold": 5, "cooldown_interval": 30000 }'), 'plain.json': target('') },
    );
    const report = await simulate(loadScenario(file));
    const [breaker, plain] = report.strategies as [(typeof report.strategies)[0], (typeof report.strategies)[0]];
    // Every one of the 6,000 requests tries `down` first without a breaker; with it, 6 failures
    // (more than 5) open the circuit for 30 s, then it closes with its counts reset: about 6
    // attempts per 30 s, 120 in 10 minutes.
    expect(plain.providers.down!.outcomes.overloaded).toBeGreaterThanOrEqual(5990);
    expect(breaker.providers.down!.outcomes.overloaded).toBeLessThan(200);
    expect(breaker.providers.down!.outcomes.overloaded).toBeGreaterThan(60);
    for (const s of [breaker, plain]) expect(s.successRate).toBe(1);
  });
});
