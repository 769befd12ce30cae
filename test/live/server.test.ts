// `imgsim serve` over real sockets: a real node:http server on 127.0.0.1 (ephemeral port) and
// the official `openai` SDK as the client, so the wire format is checked by the code that
// applications actually run.
import http from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { liveScenario } from './_live-scenario.js';
import { rawRequest } from './_raw-request.js';

/** A healthy provider, one whose connections always reset and one that never answers. */
const SCENARIO = liveScenario('live-server', [
  { id: 'lumen', price: 0.04, latency: '1s' },
  { id: 'flaky', price: 0.01, latency: '1s', more: ['failures: { connectionReset: 1 }'] },
  { id: 'stuck', price: 0.01, latency: '1s', more: ['failures: { timeout: 1 }'] },
]);

/**
 * A rate-limited provider. The token bucket refills on the simulated clock, so at timeScale
 * 0.001 60 rpm would be one token per wall millisecond: this one runs at timeScale 1.
 */
const LIMITED_SCENARIO = liveScenario('live-limited', [{ id: 'limited', price: 0.02, latency: '10ms', more: ['rateLimit: { rpm: 60, burst: 1 }'] }]);

/**
 * One provider that takes 20 s per image (at timeScale 0.02, 400 ms of wall time), and one
 * that never answers.
 */
const SLOW_SCENARIO = liveScenario('live-slow', [
  { id: 'slow', price: 0.04, latency: '20s' },
  { id: 'stuck', price: 0.01, latency: '1s', more: ['failures: { timeout: 1 }'] },
]);

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const AUTH = { authorization: 'Bearer test', 'content-type': 'application/json' };

let server: LiveServer;

function client(provider: string, url = server.url): OpenAI {
  return new OpenAI({ apiKey: 'test', baseURL: `${url}/${provider}/v1`, maxRetries: 0, timeout: 5_000 });
}

async function ledger(): Promise<unknown> {
  const res = await fetch(`${server.url}/_imgsim/ledger`);
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  server = await startServer(parseScenarioText(SCENARIO, 'live-server.yaml'), { port: 0, timeScale: 0.001 });
});

afterAll(async () => {
  await server.close();
});

describe('imgsim serve with the OpenAI SDK', () => {
  it('listens on an ephemeral loopback port', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('returns a PNG as b64_json', async () => {
    const image = await client('lumen').images.generate({ model: 'dall-e-3', prompt: 'a lighthouse at dusk', size: '1024x1024', response_format: 'b64_json' });
    const b64 = image.data?.[0]?.b64_json;
    expect(b64).toBeTypeOf('string');
    expect(Buffer.from(b64 ?? '', 'base64').subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it('returns a URL that serves the PNG', async () => {
    const image = await client('lumen').images.generate({ model: 'dall-e-3', prompt: 'a lighthouse at dawn', size: '1024x1024', response_format: 'url' });
    const url = image.data?.[0]?.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const png = await fetch(url ?? '');
    expect(png.status).toBe(200);
    expect(Buffer.from(await png.arrayBuffer()).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it('bills what x-imgsim-cost-usd says, and the ledger adds it up', async () => {
    await fetch(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    const { data, response } = await client('lumen')
      .images.generate({ model: 'dall-e-3', prompt: 'a red fox', size: '1024x1024', response_format: 'b64_json' })
      .withResponse();
    expect(data.data).toHaveLength(1);
    const costUsd = Number(response.headers.get('x-imgsim-cost-usd'));
    // per-image pricing at $0.04, one image
    expect(costUsd).toBeCloseTo(0.04, 10);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(ledgerCostUsd(await ledger(), 'lumen')).toBeCloseTo(costUsd, 10);
  });

  it('answers 429 with retry-after past the burst, surfaced as RateLimitError', async () => {
    const limitedServer = await startServer(parseScenarioText(LIMITED_SCENARIO, 'live-limited.yaml'), { port: 0, timeScale: 1 });
    try {
      const limited = client('limited', limitedServer.url);
      await limited.images.generate({ model: 'dall-e-3', prompt: 'one', size: '1024x1024', response_format: 'b64_json' });
      const err: unknown = await limited.images.generate({ model: 'dall-e-3', prompt: 'two', size: '1024x1024', response_format: 'b64_json' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      const rateLimited = err as InstanceType<typeof OpenAI.RateLimitError>;
      expect(rateLimited.status).toBe(429);
      // 60 rpm refills one token a second, and the first request took 10 ms of it: about 1 s to wait
      const retryAfterS = Number(rateLimited.headers.get('retry-after'));
      expect(retryAfterS).toBeGreaterThan(0);
      expect(retryAfterS).toBeLessThanOrEqual(1);
    } finally {
      await limitedServer.close();
    }
  });

  it('turns a connection reset into an APIConnectionError', async () => {
    const err: unknown = await client('flaky')
      .images.generate({ model: 'dall-e-3', prompt: 'x', size: '1024x1024', response_format: 'b64_json' })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('holds a timed-out request open until the client gives up', async () => {
    const stuck = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/stuck/v1`, maxRetries: 0, timeout: 200 });
    const err: unknown = await stuck.images.generate({ model: 'dall-e-3', prompt: 'x', size: '1024x1024', response_format: 'b64_json' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });
});

describe('imgsim serve over raw HTTP', () => {
  it('answers malformed JSON with 400 and an OpenAI error body', async () => {
    const res = await fetch(`${server.url}/lumen/v1/images/generations`, { method: 'POST', headers: AUTH, body: '{"model": "dall-e-3", "prompt": ' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { error: { message: unknown; type: unknown; code: unknown } };
    expect(body.error.message).toBeTypeOf('string');
    expect(body.error).toHaveProperty('type');
    expect(body.error).toHaveProperty('code');
  });

  it('answers a request without a key with 401', async () => {
    const res = await fetch(`${server.url}/lumen/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'dall-e-3', prompt: 'x' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: object }).error).toHaveProperty('message');
  });

  it('answers an unknown provider with 404', async () => {
    const res = await fetch(`${server.url}/nobody/v1/images/generations`, { method: 'POST', headers: AUTH, body: JSON.stringify({ model: 'dall-e-3', prompt: 'x' }) });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: object }).error).toHaveProperty('message');
  });

  it('answers 413 at once when content-length announces more than 10 MB', async () => {
    const started = Date.now();
    // 11 MB announced, 2 bytes sent: the answer must not wait for the rest
    const res = await rawRequest(`${server.url}/lumen/v1/images/generations`, {
      method: 'POST',
      headers: { ...AUTH, 'content-length': 11 * 1024 * 1024 },
      body: '{"',
      end: false,
    });
    expect(res.status).toBe(413);
    expect((JSON.parse(res.body) as { error: object }).error).toHaveProperty('message');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('answers 413 when a chunked body grows past 10 MB', async () => {
    const chunk = 'x'.repeat(1024 * 1024);
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/lumen/v1/images/generations`, { method: 'POST', headers: AUTH, agent: false }, (r) => {
        resolve(r.statusCode ?? 0);
        r.resume();
        req.destroy();
      });
      // The server may close while we are still writing; the status is what counts.
      req.on('error', (e) => {
        reject(e);
      });
      let sent = 0;
      const pump = (): void => {
        while (sent < 12 && req.write(chunk)) sent++;
        if (sent < 12) req.once('drain', pump);
      };
      pump();
    });
    expect(res).toBe(413);
  });

  it('reads the query of a path it has already seen, and the path again without it', async () => {
    const journal = async (target: string): Promise<number> => {
      const res = await fetch(`${server.url}${target}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { entries: unknown[] }).entries.length;
    };
    await client('lumen').images.generate({ model: 'dall-e-3', prompt: 'split one', size: '1024x1024', response_format: 'b64_json' });
    await client('lumen').images.generate({ model: 'dall-e-3', prompt: 'split two', size: '1024x1024', response_format: 'b64_json' });
    const all = await journal('/_imgsim/journal');
    expect(all).toBeGreaterThanOrEqual(2);
    expect(await journal('/_imgsim/journal?limit=1')).toBe(1);
    expect(await journal('/_imgsim/journal')).toBe(all);
    expect(await journal('/_imgsim/journal?limit=2')).toBe(2);
  });

  it('serves the admin health endpoint', async () => {
    const res = await fetch(`${server.url}/_imgsim/health`);
    expect(res.status).toBe(200);
  });
});

describe('graceful close', () => {
  it('lets an in-flight request finish and refuses new connections', async () => {
    const slow = await startServer(parseScenarioText(SLOW_SCENARIO, 'live-slow.yaml'), { port: 0, timeScale: 0.02 });
    const pending = rawRequest(`${slow.url}/slow/v1/images/generations`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ model: 'dall-e-3', prompt: 'slow', size: '1024x1024', response_format: 'b64_json' }),
    });
    // Wait until the server holds the request.
    const deadline = Date.now() + 2_000;
    while (slow.providers.inFlight() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(slow.providers.inFlight()).toBe(1);

    const closed = slow.close();
    await expect(rawRequest(`${slow.url}/_imgsim/health`, {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const res = await pending;
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { data: unknown[] }).data).toHaveLength(1);
    await closed;
    await expect(rawRequest(`${slow.url}/_imgsim/health`, {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('drops requests that would never be answered instead of waiting out the grace period', async () => {
    const slow = await startServer(parseScenarioText(SLOW_SCENARIO, 'live-slow.yaml'), { port: 0, timeScale: 0.02 });
    const outcome = rawRequest(`${slow.url}/stuck/v1/images/generations`, {
      method: 'POST',
      headers: AUTH,
      body: JSON.stringify({ model: 'dall-e-3', prompt: 'stuck', size: '1024x1024' }),
    }).then(
      () => 'answered',
      (e: unknown) => (e as { code?: string }).code,
    );
    // Give the request a moment to reach the server and be held.
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await slow.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await outcome).toBe('ECONNRESET');
  });
});

/** The billed cost of one provider in the `GET /_imgsim/ledger` body. */
function ledgerCostUsd(body: unknown, provider: string): number {
  const providers = (body as { providers: Record<string, { costUsd?: number; cost?: number }> }).providers;
  const entry = providers[provider];
  return entry?.costUsd ?? entry?.cost ?? Number.NaN;
}
