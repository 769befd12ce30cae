/**
 * A simulated Portkey gateway drops what the real one drops (issue 14, item 5): the open-source
 * gateway 1.15.2 forwards an image request's OpenAI fields only, so imgsim's `steps`,
 * `features`, `tier`, `validate` and `project` reach the provider only as the `x-imgsim-*`
 * headers its `forward_headers` names. Priced as the provider sees it:
 * 50 steps × $0.0008 + ControlNet $0.004 = $0.044 when forwarded; the provider's 30 reference
 * steps and no ControlNet, $0.024, when not.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import { FIELD_HEADERS, forwardedRequest } from '../../src/routing/forwarded.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';
import { makeRequest } from './_context.js';
import { controlnetParts } from '../_controlnet.js';

const DIR = tmpdir();
const FILE = path.join(DIR, 'imgsim-gateway-forwarding.yaml');
const ALL = Object.values(FIELD_HEADERS);

function config(name: string, body: object): string {
  const file = path.join(DIR, `imgsim-forwarding-${name}-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

function scenario(portkeyConfig: string): ScenarioInput {
  return {
    version: 1,
    name: 'gateway-forwarding',
    seed: 2,
    start: '2026-06-01T00:00:00Z',
    duration: '1s',
    ...controlnetParts('100ms'),
    strategies: [{ use: 'portkey', config: portkeyConfig }],
  };
}

describe('forwardedRequest', () => {
  const request = makeRequest({ steps: 50, features: ['controlnet'], validate: true, project: 'app', tier: 'turbo' });

  it('resets every imgsim field whose header the gateway does not forward to the provider default', () => {
    const sent = forwardedRequest(request, 30, new Set());
    expect(sent).toMatchObject({ id: request.id, size: request.size, steps: 30, features: [], validate: false, project: 'default' });
    expect(sent.tier).toBeUndefined();
  });

  it('keeps what it forwards, and the request itself when it forwards everything', () => {
    expect(forwardedRequest(request, 30, new Set(['x-imgsim-steps']))).toMatchObject({ steps: 50, features: [], project: 'default' });
    expect(forwardedRequest(request, 30, new Set(ALL))).toBe(request);
  });
});

describe('portkey in simulated time', () => {
  it('prices a 50-step ControlNet request at the reference steps without forward_headers', async () => {
    const s = scenarioFromObject(scenario(config('bare', { provider: 'openai', api_key: 'k', custom_host: 'http://127.0.0.1:8787/solo/v1' })), FILE);
    const report = await simulate(s);
    const r = report.strategies[0]!;
    expect(r.requests.succeeded).toBe(10);
    expect(r.cost.perSucceeded).toBeCloseTo(0.024, 9);
    expect(r.cost.byProject).toEqual({ default: expect.closeTo(0.24, 9) as number });
  });

  it('prices it in full when forward_headers (here inherited from the strategy node) names the x-imgsim-* headers', async () => {
    const s = scenarioFromObject(
      scenario(config('forward', { strategy: { mode: 'fallback' }, forward_headers: ALL, targets: [{ provider: 'openai', api_key: 'k', custom_host: 'http://127.0.0.1:8787/solo/v1' }] })),
      FILE,
    );
    const r = (await simulate(s)).strategies[0]!;
    expect(r.cost.perSucceeded).toBeCloseTo(0.044, 9);
    expect(r.cost.byProject).toEqual({ app: expect.closeTo(0.44, 9) as number });
  });

  it('live, the harness sends what the gateway would forward, and serve bills what the simulator does', async () => {
    const s = scenarioFromObject(scenario(config('live', { provider: 'openai', api_key: 'k', custom_host: 'http://127.0.0.1:8787/solo/v1' })), FILE);
    const server = await startServer(s, { port: 0, timeScale: 0.1 });
    try {
      const live = await runLive(s, { serverUrl: server.url, timeScale: 0.1, requests: 5, warmup: false });
      expect(live.strategies[0]!.cost.total).toBeCloseTo(5 * 0.024, 9);
    } finally {
      await server.close();
    }
  });
});
