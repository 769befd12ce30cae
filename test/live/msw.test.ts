import { setupServer } from 'msw/node';
import OpenAI from 'openai';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src/live/msw.js';

const QUICKSTART = path.join(import.meta.dirname, '../../scenarios/quickstart.yaml');
const BASE = 'https://imgsim.test';

const handlers = await createHandlers(QUICKSTART, { baseUrl: BASE, timeScale: 0.0001 });
const server = setupServer(...handlers);

beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' });
});
afterAll(() => {
  server.close();
});

describe('imgsim/msw: the providers as msw handlers', () => {
  it('answers the OpenAI SDK with an image, a cost header and the same ledger as serve', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: `${BASE}/pixelforge/v1`, maxRetries: 0 });
    const { data, response } = await client.images
      .generate({ model: 'dall-e-3', prompt: 'a lighthouse at dusk', size: '1024x1024', response_format: 'b64_json' })
      .withResponse();
    expect(response.status).toBe(200);
    const png = Buffer.from(data.data?.[0]?.b64_json ?? '', 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const costUsd = Number(response.headers.get('x-imgsim-cost-usd'));
    expect(costUsd).toBeGreaterThan(0);
    const ledger = (await (await fetch(`${BASE}/_imgsim/ledger`)).json()) as { providers: Record<string, { costUsd: number; requests: number }> };
    expect(ledger.providers.pixelforge?.costUsd).toBeCloseTo(costUsd, 12);
    expect(ledger.providers.pixelforge?.requests).toBe(1);
    expect(handlers.providers.ledgerSnapshot().providers.pixelforge?.requests).toBe(1);
  });

  it('gives OpenAI-style errors: a missing key is 401, an unknown provider 404', async () => {
    const noKey = await fetch(`${BASE}/pixelforge/v1/images/generations`, { method: 'POST', body: JSON.stringify({ prompt: 'x' }) });
    expect(noKey.status).toBe(401);
    expect(((await noKey.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
    const unknown = await fetch(`${BASE}/nobody/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
    });
    expect(unknown.status).toBe(404);
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await fetch(`${BASE}/pixelforge/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"prompt": ',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/JSON/i);
  });
});
