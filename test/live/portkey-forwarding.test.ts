/**
 * imgsim's own request fields through the real Portkey gateway 1.15.2 (open source, unmodified,
 * a child process on a loopback port): its image route forwards the body's OpenAI fields only,
 * and of the request's headers only those its config's `forward_headers` names. `imgsim live
 * --target` sends `steps`, `features`, `validate`, `tier` and `project` as `x-imgsim-*` headers
 * too, so with `forward_headers` a 50-step ControlNet request costs what it costs direct
 * ($0.0008 × 50 + $0.004 = $0.044) and is booked to its project; without, serve prices the
 * provider's 30 reference steps ($0.024) for project `default`. `simulate()` of the same config
 * says the same in both cases.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import { FIELD_HEADERS } from '../../src/routing/forwarded.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';
import { startPortkeyGateway, type PortkeyGateway } from './_portkey-gateway.js';
import { controlnetParts } from '../_controlnet.js';

const DIR = mkdtempSync(path.join(tmpdir(), 'imgsim-portkey-forwarding-'));
const FILE = path.join(DIR, 'scenario.yaml');
const REQUESTS = 5;

function scenario(config: string): ScenarioInput {
  return {
    version: 1,
    name: 'portkey-forwarding',
    seed: 4,
    start: '2026-06-01T00:00:00Z',
    duration: '1s',
    ...controlnetParts('40ms'),
    policy: { maxAttempts: 1 },
    strategies: [{ use: 'portkey', config }],
  };
}

describe('imgsim fields through the real Portkey gateway', () => {
  let gateway: PortkeyGateway;
  beforeAll(async () => {
    gateway = await startPortkeyGateway();
  });
  afterAll(async () => {
    await gateway.close();
  });

  for (const forward of [false, true]) {
    it(forward ? 'with forward_headers: priced in full and booked to its project, as simulated' : 'without forward_headers: priced at the reference steps for project default, as simulated', async () => {
      // The port in custom_host is filled in once serve listens (the simulator reads only the path).
      const placeholder = path.join(DIR, 'placeholder.json');
      writeFileSync(placeholder, JSON.stringify({ provider: 'openai', api_key: 'imgsim', custom_host: 'http://127.0.0.1:8787/solo/v1' }));
      const server = await startServer(scenarioFromObject(scenario(placeholder), FILE), { port: 0, timeScale: 1 });
      try {
        const config = {
          provider: 'openai',
          api_key: 'imgsim',
          custom_host: `${server.url}/solo/v1`,
          ...(forward ? { forward_headers: Object.values(FIELD_HEADERS) } : {}),
        };
        const configFile = path.join(DIR, `portkey-${String(forward)}.json`);
        writeFileSync(configFile, JSON.stringify(config));
        const s = scenarioFromObject(scenario(configFile), FILE);
        const live = await runLive(s, { serverUrl: server.url, target: gateway.url, headers: { 'x-portkey-config': JSON.stringify(config) }, timeScale: 1, requests: REQUESTS, warmup: false });
        const sim = await simulate(s);
        const perImage = forward ? 0.044 : 0.024;
        const project = forward ? 'app' : 'default';
        const l = live.strategies[0]!;
        expect(l.requests.succeeded).toBe(REQUESTS);
        expect(l.cost.total).toBeCloseTo(REQUESTS * perImage, 9);
        expect(Object.keys(l.cost.byProject)).toEqual([project]);
        const r = sim.strategies[0]!;
        expect(r.cost.perSucceeded).toBeCloseTo(perImage, 9);
        expect(Object.keys(r.cost.byProject)).toEqual([project]);
      } finally {
        await server.close();
      }
    });
  }
});
