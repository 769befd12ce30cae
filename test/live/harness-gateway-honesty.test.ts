/**
 * The live harness through a gateway, honestly (issue 14, item 5): a gateway's own 400 is a
 * client error, not a content-policy refusal; warm-up requests never reach a measured pass;
 * `--time-scale` below 1 with a target warns and leaves the gateway its own (unscaled) waits;
 * the request's pricing fields travel in headers a gateway can forward.
 *
 * The "gateways" here are small node:http servers on 127.0.0.1 port 0 that behave as the real
 * Portkey 1.15.2 does in the one respect each test needs (its 400 body for a missing config
 * header is copied from `@portkey-ai/gateway/build/start-server.js`).
 */
import http from 'node:http';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { outcomeOfAnswer } from '../../src/live/_http.js';
import { withFieldHeaders } from '../../src/live/imgsim-headers.js';
import { runLive } from '../../src/live/harness.js';
import type { LedgerSnapshot } from '../../src/live/ledger.js';
import { startServer } from '../../src/live/server.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { controlnetParts } from '../_controlnet.js';

const FILE = path.join(tmpdir(), 'imgsim-live-honesty.yaml');

function oneProvider(latency: string, more: Partial<ScenarioInput> = {}): ScenarioInput {
  return {
    version: 1,
    name: 'live-honesty',
    seed: 5,
    start: '2026-06-01T00:00:00Z',
    duration: '1s',
    providers: [
      {
        id: 'solo',
        pricing: { model: 'per-image', price: 0.01 },
        tiers: { standard: { latency: { dist: 'fixed', value: latency } } },
        capacity: { concurrency: 1000, queue: 1000 },
      },
    ],
    traffic: { arrivals: { process: 'uniform', rate: '10/s' }, mix: [{ name: 'ref', project: 'app' }] },
    strategies: ['cheapest'],
    ...more,
  };
}

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void | Promise<void>;

/** A loopback HTTP server that reads each request's body and hands it to `handle`. */
async function fakeGateway(handle: Handler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void Promise.resolve(handle(req, Buffer.concat(chunks).toString('utf8'), res)).catch(() => {
        res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

describe('outcomeOfAnswer', () => {
  const policy = JSON.stringify({ error: { message: 'Your request was rejected by the safety system.', type: 'invalid_request_error', param: 'prompt', code: 'content_policy_violation' } });
  const portkey = JSON.stringify({ status: 'failure', message: 'Either x-portkey-config or x-portkey-provider header is required' });

  it('reads a 400 by its body: content policy is filtered, anything else a client error', () => {
    expect(outcomeOfAnswer(400, null, policy)).toBe('filtered');
    expect(outcomeOfAnswer(400, null, JSON.stringify({ error: { code: 'moderation_blocked', message: 'blocked' } }))).toBe('filtered');
    expect(outcomeOfAnswer(400, null, portkey)).toBe('client-error');
    expect(outcomeOfAnswer(400, null, 'not json')).toBe('client-error');
    expect(outcomeOfAnswer(401, null, '{}')).toBe('client-error');
    expect(outcomeOfAnswer(404, null, JSON.stringify({ error: { code: 'model_not_found' } }))).toBe('client-error');
  });

  it("keeps serve's own answers as they were (its header decides)", () => {
    expect(outcomeOfAnswer(400, 'filtered', policy)).toBe('filtered');
    expect(outcomeOfAnswer(500, 'generative', '{}')).toBe('generative');
    expect(outcomeOfAnswer(400, 'invalid-request', JSON.stringify({ error: { code: 'unsupported_size' } }))).toBe('filtered');
    expect(outcomeOfAnswer(429, null, '{}')).toBe('rate-limited');
    expect(outcomeOfAnswer(503, null, '{}')).toBe('overloaded');
    expect(outcomeOfAnswer(504, null, '{}')).toBe('timeout');
    expect(outcomeOfAnswer(502, null, '{}')).toBe('server-error');
    expect(outcomeOfAnswer(200, null, '{}')).toBe('success');
  });
});

describe('runLive through a gateway', () => {
  it("books a gateway's own 400 as client-error, apart from filtered, and does not retry it", async () => {
    const scenario = scenarioFromObject(oneProvider('100ms'), FILE);
    const server = await startServer(scenario, { port: 0, timeScale: 0.1 });
    let sent = 0;
    const gateway = await fakeGateway((_req, _body, res) => {
      sent++;
      json(res, 400, { status: 'failure', message: 'Either x-portkey-config or x-portkey-provider header is required' });
    });
    try {
      const report = await runLive(scenario, { serverUrl: server.url, target: gateway.url, timeScale: 0.1, requests: 5, warmup: false });
      const s = report.strategies[0]!;
      expect(s.requests.failed).toBe(5);
      expect(s.failures).toEqual({ 'client-error': 5 });
      // Not retried, and serve (whose ledger counts the providers' attempts) never saw one.
      expect(sent).toBe(5);
      expect(s.providers.solo!.outcomes).toEqual({});
    } finally {
      await gateway.close();
      await server.close();
    }
  });

  it("still books a content-policy 400 that lost serve's headers on the way as filtered", async () => {
    const scenario = scenarioFromObject(oneProvider('100ms'), FILE);
    const server = await startServer(scenario, { port: 0, timeScale: 0.1 });
    const gateway = await fakeGateway((_req, _body, res) => {
      json(res, 400, { error: { message: 'Your request was rejected by the safety system.', type: 'invalid_request_error', param: 'prompt', code: 'content_policy_violation' } });
    });
    try {
      const report = await runLive(scenario, { serverUrl: server.url, target: gateway.url, timeScale: 0.1, requests: 3, warmup: false });
      expect(report.strategies[0]!.failures).toEqual({ filtered: 3 });
    } finally {
      await gateway.close();
      await server.close();
    }
  });
});

describe('runLive without a target', () => {
  it("counts a provider's 404 as client-error in its outcomes, not as a server error", async () => {
    // A stand-in for serve: admin routes that work, and an OpenAI 404 for every model.
    const scenario = scenarioFromObject(oneProvider('100ms'), FILE);
    const fake = await fakeGateway((req, _body, res) => {
      if (req.url === '/_imgsim/reset') json(res, 200, { status: 'reset' });
      else if (req.url === '/_imgsim/ledger') json(res, 200, { providers: {}, totals: { costUsd: 0, requests: 0, outcomes: {} } });
      else json(res, 404, { error: { message: 'The model `solo` does not exist.', type: 'invalid_request_error', param: null, code: 'model_not_found' } });
    });
    try {
      const report = await runLive(scenario, { serverUrl: fake.url, timeScale: 0.1, requests: 3, warmup: false });
      const s = report.strategies[0]!;
      expect(s.providers.solo!.outcomes).toEqual({ 'client-error': 3 });
      expect(s.failures).toEqual({ 'client-error': 3 });
      expect(s.attempts.total).toBe(3);
    } finally {
      await fake.close();
    }
  });
});

describe('runLive warm-up', () => {
  it('lets no warm-up request reach the measured pass, even one cut off before serve answered it', async () => {
    // 1.2 s of latency at time scale 1: every warm-up request is cut off at 1 s and serve
    // finishes it (and books it) 200 ms later, after the last round.
    const scenario = scenarioFromObject(oneProvider('1200ms'), FILE);
    const server = await startServer(scenario, { port: 0, timeScale: 1 });
    try {
      const report = await runLive(scenario, { serverUrl: server.url, timeScale: 1, requests: 1 });
      const ledger = (await (await fetch(`${server.url}/_imgsim/ledger`)).json()) as LedgerSnapshot;
      expect(report.strategies[0]!.requests.total).toBe(1);
      expect(ledger.totals.requests).toBe(1);
      expect(report.strategies[0]!.cost.total).toBeCloseTo(0.01, 9);
    } finally {
      await server.close();
    }
  });
});

describe('runLive with a time scale below 1 and a target', () => {
  it("warns, and gives the gateway's own unscaled waits the unscaled client timeout", async () => {
    // The gateway waits 300 ms of wall time (its own backoff, which no time scale shrinks)
    // before it forwards; the policy's 10 s timeout is 100 ms of wall time at 0.01.
    const scenario = scenarioFromObject(oneProvider('1s', { policy: { timeout: '10s' } }), FILE);
    const server = await startServer(scenario, { port: 0, timeScale: 0.01 });
    const gateway = await fakeGateway(async (_req, body, res) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const model = (JSON.parse(body) as { model: string }).model;
      const up = await fetch(`${server.url}/${model}/v1/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body });
      res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
    });
    const warnings: string[] = [];
    try {
      const report = await runLive(scenario, {
        serverUrl: server.url,
        target: gateway.url,
        timeScale: 0.01,
        requests: 4,
        warmup: false,
        onWarning: (m) => warnings.push(m),
      });
      const s = report.strategies[0]!;
      expect(s.requests.succeeded).toBe(4);
      expect(warnings.some((m) => m.includes('time scale') && m.includes('gateway'))).toBe(true);
    } finally {
      await gateway.close();
      await server.close();
    }
  });
});

/** Portkey 1.15.2's image-generation body: only these fields reach the provider. */
const PORTKEY_KEPT = ['prompt', 'model', 'n', 'quality', 'response_format', 'size', 'style', 'user'];

/** 50 steps at $0.0008 plus ControlNet's $0.004: $0.044; the provider's 30 reference steps without it: $0.024. */
function controlnetScenario(): ScenarioInput {
  return {
    ...oneProvider('100ms'),
    ...controlnetParts('100ms'),
  };
}

describe('imgsim fields through a gateway that drops them from the body', () => {
  it('serve reads steps, features, tier and validate from x-imgsim-* headers where the body lacks them', () => {
    const headers = { 'x-imgsim-steps': '50', 'x-imgsim-features': 'controlnet, lora', 'x-imgsim-tier': 'turbo', 'x-imgsim-validate': 'true' };
    expect(withFieldHeaders({ prompt: 'p' }, headers)).toEqual({ prompt: 'p', steps: 50, features: ['controlnet', 'lora'], tier: 'turbo', validate: true });
    // The body wins; a value that is not a number stays text for the body's validation to refuse.
    expect(withFieldHeaders({ prompt: 'p', steps: 20 }, { 'x-imgsim-steps': '50' })).toEqual({ prompt: 'p', steps: 20 });
    expect(withFieldHeaders({ prompt: 'p' }, { 'x-imgsim-steps': 'many' })).toEqual({ prompt: 'p', steps: 'many' });
    const body = { prompt: 'p' };
    expect(withFieldHeaders(body, {})).toBe(body);
  });

  it('prices a 50-step ControlNet request the same through the gateway as direct, and books its project', async () => {
    const scenario = scenarioFromObject(controlnetScenario(), FILE);
    const server = await startServer(scenario, { port: 0, timeScale: 0.1 });
    const bodies: Record<string, unknown>[] = [];
    // Like Portkey with `forward_headers: [x-imgsim-steps, ...]`: OpenAI fields in the body, x-imgsim-* headers forwarded.
    const gateway = await fakeGateway(async (req, text, res) => {
      const body = JSON.parse(text) as Record<string, unknown>;
      const kept = Object.fromEntries(Object.entries(body).filter(([k]) => PORTKEY_KEPT.includes(k)));
      const headers: Record<string, string> = { 'content-type': 'application/json', authorization: 'Bearer k' };
      for (const [name, value] of Object.entries(req.headers)) if (name.startsWith('x-imgsim-') && typeof value === 'string') headers[name] = value;
      const up = await fetch(`${server.url}/${String(body.model)}/v1/images/generations`, { method: 'POST', headers, body: JSON.stringify(kept) });
      bodies.push(kept);
      res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
    });
    try {
      const direct = await runLive(scenario, { serverUrl: server.url, timeScale: 0.1, requests: 4, warmup: false });
      const through = await runLive(scenario, { serverUrl: server.url, target: gateway.url, timeScale: 0.1, requests: 4, warmup: false });
      expect(bodies).toHaveLength(4);
      expect(bodies[0]).not.toHaveProperty('steps');
      expect(direct.strategies[0]!.cost.total).toBeCloseTo(4 * 0.044, 9);
      expect(through.strategies[0]!.cost.total).toBeCloseTo(4 * 0.044, 9);
      expect(through.strategies[0]!.cost.byProject).toEqual({ app: expect.closeTo(4 * 0.044, 9) as number });
    } finally {
      await gateway.close();
      await server.close();
    }
  });
});
