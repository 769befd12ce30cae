// The admin surface (`/_imgsim/*`) of `imgsim serve` and of the msw handlers: cross-origin
// writes refused (issue 15, defect 4: a cross-site form post wiped the ledger), a Host check
// against DNS rebinding, and an admin key, separate from the provider keys, once the scenario
// sets `auth.keys`.
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { createHandlers } from '../../src/live/msw.js';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText, scenarioFromObject } from '../../src/scenario/load.js';
import { liveScenario } from './_live-scenario.js';
import { rawRequest } from './_raw-request.js';

const OPEN = liveScenario('admin-open', [{ id: 'lumen', price: 0.04, latency: '10ms' }]);
const KEYED = `${liveScenario('admin-keyed', [{ id: 'lumen', price: 0.04, latency: '10ms' }])}auth: { keys: [provider-key] }\n`;
const ADMIN_KEY = 'admin-secret';

type Answer = Awaited<ReturnType<typeof rawRequest>>;

/** A request that may set `Host` and `Origin`, which fetch cannot. */
function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return rawRequest(url, opts);
}

/** One provider request, billed $0.04. */
async function generate(url: string, key: string): Promise<void> {
  const res = await fetch(`${url}/lumen/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024', response_format: 'b64_json' }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

function errorOf(a: Answer): { message: string; type: string; code: string; param: unknown } {
  return (JSON.parse(a.body) as { error: { message: string; type: string; code: string; param: unknown } }).error;
}

describe('serve without auth.keys: no key needed, cross-origin writes refused', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startServer(parseScenarioText(OPEN), { timeScale: 0.01 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses the cross-site form post of the report with 403 in OpenAI error shape, and keeps the ledger', async () => {
    await generate(server.url, 'anything');
    const before = server.providers.ledgerSnapshot().totals;
    expect(before.requests).toBe(1);
    // curl -X POST -H 'Origin: http://evil.example' -H 'content-type: text/plain' --data x …/_imgsim/reset
    const evil = await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body: 'x' });
    expect(evil.status).toBe(403);
    expect(evil.headers['content-type']).toMatch(/^application\/json/);
    expect(errorOf(evil)).toMatchObject({ type: 'invalid_request_error', code: 'cross_origin_request', param: null });
    expect(errorOf(evil).message).toContain('http://evil.example');
    // A cross-origin JSON post (what a page could send after a CORS preflight) is refused too.
    const evilJson = await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{}' });
    expect(evilJson.status).toBe(403);
    // `Origin: null` (a sandboxed frame, a data: URL) is no origin of ours either.
    expect((await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { origin: 'null', 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    expect(server.providers.ledgerSnapshot().totals).toEqual(before);
  });

  it('refuses a write that is not JSON with 415, whatever its origin', async () => {
    await generate(server.url, 'anything');
    const before = server.providers.ledgerSnapshot().totals.requests;
    const plain = await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(plain.status).toBe(415);
    expect(errorOf(plain)).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_media_type' });
    const form = await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(form.status).toBe(415);
    expect((await send(`${server.url}/_imgsim/reset`, { method: 'POST' })).status).toBe(415);
    expect(server.providers.ledgerSnapshot().totals.requests).toBe(before);
  });

  it('accepts a JSON reset without Origin or from its own origin', async () => {
    await generate(server.url, 'anything');
    const bare = await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    expect(bare.status).toBe(200);
    expect(server.providers.ledgerSnapshot().totals.requests).toBe(0);
    await generate(server.url, 'anything');
    const own = await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { origin: server.url, 'content-type': 'application/json; charset=utf-8' }, body: '{}' });
    expect(own.status).toBe(200);
    expect(server.providers.ledgerSnapshot().totals.requests).toBe(0);
  });

  it('answers admin reads to loopback names and IP literals only (DNS rebinding)', async () => {
    const port = String(server.port);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, '10.1.2.3', 'localhost']) {
      expect((await send(`${server.url}/_imgsim/ledger`, { headers: { host } })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, 'rebind.attacker.test', `localhost.evil.example:${port}`]) {
      const a = await send(`${server.url}/_imgsim/ledger`, { headers: { host } });
      expect(a.status, host).toBe(403);
      expect(errorOf(a)).toMatchObject({ type: 'invalid_request_error', code: 'host_not_allowed' });
    }
    for (const path of ['journal', 'metrics', '']) {
      expect((await send(`${server.url}/_imgsim/${path}`, { headers: { host: `evil.example:${port}` } })).status, path).toBe(403);
    }
    // A rebinding page cannot reset either.
    expect((await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { host: `evil.example:${port}`, 'content-type': 'application/json' } })).status).toBe(403);
    // health (readiness probes) and the generated images (clients download them) stay open.
    expect((await send(`${server.url}/_imgsim/health`, { headers: { host: `evil.example:${port}` } })).status).toBe(200);
  });

  it('answers admin reads to a name given with allowedHosts', async () => {
    const named = await startServer(parseScenarioText(OPEN), { timeScale: 0.01, allowedHosts: ['imgsim.internal'] });
    try {
      expect((await send(`${named.url}/_imgsim/ledger`, { headers: { host: `imgsim.internal:${named.port}` } })).status).toBe(200);
      expect((await send(`${named.url}/_imgsim/ledger`, { headers: { host: 'other.internal' } })).status).toBe(403);
    } finally {
      await named.close();
    }
  });
});

describe('serve with auth.keys: the admin surface needs the admin key', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startServer(parseScenarioText(KEYED), { timeScale: 0.01, adminKey: ADMIN_KEY });
  });
  afterAll(async () => {
    await server.close();
  });

  it('refuses ledger, journal, metrics and dashboard without it, or with a provider key', async () => {
    await generate(server.url, 'provider-key');
    for (const path of ['ledger', 'journal', 'metrics', '']) {
      for (const headers of [{}, { authorization: 'Bearer provider-key' }, { authorization: 'Bearer wrong' }] as Record<string, string>[]) {
        const a = await send(`${server.url}/_imgsim/${path}`, { headers });
        expect(a.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(errorOf(a)).toMatchObject({ type: 'authentication_error', code: 'invalid_admin_key' });
        // The journal's prompts do not leak in the refusal.
        expect(a.body).not.toContain('lighthouse');
      }
    }
  });

  it('answers them with the admin key, as a bearer key (and the dashboard page with ?key=)', async () => {
    const auth = { authorization: `Bearer ${ADMIN_KEY}` };
    for (const path of ['ledger', 'journal', 'metrics', '']) {
      expect((await send(`${server.url}/_imgsim/${path}`, { headers: auth })).status, path).toBe(200);
    }
    expect((await send(`${server.url}/_imgsim/?key=${ADMIN_KEY}`)).status).toBe(200);
    expect((await send(`${server.url}/_imgsim/?key=wrong`)).status).toBe(401);
    // The key in the query opens the page only, not the data.
    expect((await send(`${server.url}/_imgsim/ledger?key=${ADMIN_KEY}`)).status).toBe(401);
  });

  it('resets only with the admin key, and still only same-origin JSON', async () => {
    await generate(server.url, 'provider-key');
    const json = { 'content-type': 'application/json' };
    expect((await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { ...json, authorization: 'Bearer provider-key' } })).status).toBe(401);
    expect((await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { ...json, authorization: `Bearer ${ADMIN_KEY}`, origin: 'http://evil.example' } })).status).toBe(403);
    expect(server.providers.ledgerSnapshot().totals.requests).toBeGreaterThan(0);
    expect((await send(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { ...json, authorization: `Bearer ${ADMIN_KEY}` } })).status).toBe(200);
    expect(server.providers.ledgerSnapshot().totals.requests).toBe(0);
  });

  it('keeps health open for readiness probes', async () => {
    expect((await send(`${server.url}/_imgsim/health`)).status).toBe(200);
  });

  it('is closed, saying how to open it, when no admin key is configured', async () => {
    const locked = await startServer(parseScenarioText(KEYED), { timeScale: 0.01 });
    try {
      const a = await send(`${locked.url}/_imgsim/ledger`, { headers: { authorization: 'Bearer provider-key' } });
      expect(a.status).toBe(401);
      expect(errorOf(a).message).toContain('--admin-key');
      expect((await send(`${locked.url}/_imgsim/health`)).status).toBe(200);
    } finally {
      await locked.close();
    }
  });
});

describe('msw handlers: the same keys and write rules (no Host or Origin: nothing outside the process reaches them)', () => {
  const BASE = 'https://imgsim-admin.test';
  const scenario = scenarioFromObject({
    version: 1,
    name: 'admin-msw',
    auth: { keys: ['provider-key'] },
    providers: [{ id: 'lumen', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '10ms' } } } }],
    traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'a' }] },
  });
  let mock: ReturnType<typeof setupServer>;
  beforeAll(async () => {
    mock = setupServer(...(await createHandlers(scenario, { baseUrl: BASE, timeScale: 0.01, adminKey: ADMIN_KEY })));
    mock.listen({ onUnhandledRequest: 'error' });
  });
  afterAll(() => {
    mock.close();
  });

  it('needs the admin key and a JSON reset', async () => {
    await generate(BASE, 'provider-key');
    expect((await fetch(`${BASE}/_imgsim/ledger`, { headers: { authorization: 'Bearer provider-key' } })).status).toBe(401);
    const ledger = await fetch(`${BASE}/_imgsim/ledger`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(ledger.status).toBe(200);
    expect(((await ledger.json()) as { totals: { requests: number } }).totals.requests).toBe(1);
    expect((await fetch(`${BASE}/_imgsim/reset`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    expect((await fetch(`${BASE}/_imgsim/reset`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
  });
});

describe('the live harness against a serve with auth.keys', () => {
  // The harness's provider key is `imgsim`; 10 requests to lumen at $0.04 = $0.40.
  const scenario = parseScenarioText(`${liveScenario('admin-harness', [{ id: 'lumen', price: 0.04, latency: '10ms' }])}duration: 10s\nauth: { keys: [imgsim] }\n`);

  it('resets and reads the ledger with the admin key, and cannot without it', async () => {
    const server = await startServer(scenario, { timeScale: 0.01, adminKey: ADMIN_KEY });
    try {
      const report = await runLive(scenario, { serverUrl: server.url, timeScale: 0.01, requests: 10, adminKey: ADMIN_KEY, warmup: false });
      const s = report.strategies[0]!;
      expect(s.requests.succeeded).toBe(10);
      expect(s.cost.total).toBeCloseTo(0.4, 9);
      expect(server.providers.ledgerSnapshot().totals.costUsd).toBeCloseTo(0.4, 9);
      // With the provider key only, the first admin call (the reset) is refused, clearly.
      await expect(runLive(scenario, { serverUrl: server.url, timeScale: 0.01, requests: 10, warmup: false })).rejects.toThrow(/_imgsim\/reset answered 401: The admin endpoints need the admin key.*--admin-key/);
      expect(server.providers.ledgerSnapshot().totals.costUsd).toBeCloseTo(0.4, 9);
    } finally {
      await server.close();
    }
  });
});
