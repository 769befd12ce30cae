import { inflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveProviders, type LiveOptions } from '../../src/live/core.js';
import { crc32, pngForPrompt } from '../../src/live/png.js';
import type { LiveRequest, LiveResponse } from '../../src/live/protocol.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const TRAFFIC = { arrivals: { process: 'poisson', rate: 1 }, mix: [{ name: 'a' }] };

const ALPHA = {
  id: 'alpha',
  pricing: { model: 'per-step', base: 0.002, perStep: 0.001 },
  tiers: {
    standard: { latency: { dist: 'fixed', value: '2s' } },
    turbo: { latency: { dist: 'fixed', value: '400ms' }, priceMultiplier: 1.5 },
  },
  supports: { sizes: ['1024x1024', '1792x1024'] },
};
const GPT = {
  id: 'gpt',
  model: 'gpt-image-1',
  pricing: { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { low: 272, medium: 1056 } } },
  tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } },
};
const BETA = { id: 'beta', dialect: 'async', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } };

function scenario(providers: unknown[], extra: Record<string, unknown> = {}) {
  return scenarioFromObject({ version: 1, name: 'live', seed: 3, start: '2026-06-01T12:00:00Z', providers, traffic: TRAFFIC, ...extra });
}

const open: LiveProviders[] = [];
afterEach(async () => {
  for (const live of open.splice(0)) await live.close();
});

function make(providers: unknown[], opts: LiveOptions = {}, extra: Record<string, unknown> = {}): LiveProviders {
  const live = new LiveProviders(scenario(providers, extra), { timeScale: 0.001, now: () => 0, baseUrl: 'http://imgsim.test', ...opts });
  open.push(live);
  return live;
}

function post(path: string, body: unknown, headers: Record<string, string> = {}, more: Partial<LiveRequest> = {}): LiveRequest {
  return { method: 'POST', path, query: new URLSearchParams(), headers: { authorization: 'Bearer k1', ...headers }, body, ...more };
}

function get(path: string, query = '', headers: Record<string, string> = { authorization: 'Bearer k1' }): LiveRequest {
  return { method: 'GET', path, query: new URLSearchParams(query), headers, body: undefined };
}

// Response bodies are plain JSON read field by field; typing each shape would only restate the code.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyJson = any;

function json(r: LiveResponse): { status: number; headers: Record<string, string>; body: AnyJson } {
  if (r.kind !== 'json') throw new Error(`expected a JSON answer, got ${r.kind}`);
  return { status: r.status, headers: r.headers, body: r.body };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('LiveProviders: OpenAI dialect', () => {
  it('answers a url by default, with the cost header equal to the per-step price', async () => {
    const live = make([ALPHA]);
    const r = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'a red fox' })));
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(1);
    expect(r.body.data[0].url).toMatch(/^http:\/\/imgsim\.test\/_imgsim\/images\/[0-9a-f]{16}\.png$/);
    expect(r.body.usage).toBeUndefined();
    expect(typeof r.body.created).toBe('number');
    // 0.002 base + 30 reference steps × 0.001
    expect(Number(r.headers['x-imgsim-cost-usd'])).toBeCloseTo(0.032, 12);
    // An image carries the API's headers only; the journal has its provider, tier and outcome.
    expect(Object.keys(r.headers).filter((h) => /^x-imgsim-(outcome|tier|provider)$/.test(h))).toEqual([]);
    expect(json(await live.handle(get('/_imgsim/journal', '', {}))).body.entries.at(-1)).toMatchObject({ provider: 'alpha', tier: 'standard', outcome: 'success' });
    expect(r.headers['x-request-id']).toMatch(/^req_/);
    expect(r.headers['x-ratelimit-remaining-requests']).toBe('2147483647'); // no rateLimit: unlimited
    expect(live.ledgerSnapshot().providers.alpha!.costUsd).toBeCloseTo(0.032, 12);
  });

  it('bills each of n images at the tier price and answers b64_json when asked', async () => {
    const live = make([ALPHA]);
    const r = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p', n: 3, tier: 'turbo', steps: 40, response_format: 'b64_json' })));
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(3);
    expect(Buffer.from(r.body.data[0].b64_json, 'base64').subarray(1, 4).toString()).toBe('PNG');
    // (0.002 + 40 × 0.001) × 1.5 turbo × 3 images
    expect(Number(r.headers['x-imgsim-cost-usd'])).toBeCloseTo(0.042 * 1.5 * 3, 12);
    expect(live.ledgerSnapshot().totals.costUsd).toBeCloseTo(0.189, 12);
  });

  it('always answers b64_json for gpt-image models, with a usage block for per-token pricing', async () => {
    const live = make([GPT]);
    const prompt = 'x'.repeat(41); // ⌈41 / 4⌉ = 11 input tokens
    // gpt-image models refuse `response_format` by name, as OpenAI does (it was silently ignored before).
    const refused = json(await live.handle(post('/gpt/v1/images/generations', { prompt, response_format: 'url', quality: 'medium' })));
    expect(refused.status).toBe(400);
    expect(refused.body.error).toEqual({ message: "Unknown parameter: 'response_format'.", type: 'invalid_request_error', param: 'response_format', code: 'unknown_parameter' });
    const r = json(await live.handle(post('/gpt/v1/images/generations', { prompt, quality: 'medium' })));
    expect(r.status).toBe(200);
    // A PNG: the eight-byte signature 89 50 4E 47 0D 0A 1A 0A.
    expect([...Buffer.from(String(r.body.data[0].b64_json), 'base64').subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(r.body.data[0].url).toBeUndefined();
    expect(r.body.usage).toMatchObject({ input_tokens: 11, output_tokens: 1056, total_tokens: 1067 });
    // 11 × 5 / 1e6 + 1056 × 40 / 1e6
    expect(Number(r.headers['x-imgsim-cost-usd'])).toBeCloseTo((11 * 5 + 1056 * 40) / 1e6, 12);
  });

  it('sends image answers as exactly JSON.stringify of their body (url, b64_json, n > 1, usage, quality)', async () => {
    const live = make([ALPHA, GPT], { baseUrl: 'http://host.test:8/p"a\\th\u2028' });
    const bodies: unknown[] = [
      post('/alpha/v1/images/generations', { prompt: 'a red fox' }),
      post('/alpha/v1/images/generations', { prompt: 'a "quoted" fox \u2028', response_format: 'b64_json', n: 3 }),
      post('/alpha/v1/images/generations', { prompt: 'x', n: 2, response_format: 'url' }),
      post('/gpt/v1/images/generations', { prompt: 'abcd', n: 2, quality: 'low' }),
      post('/gpt/v1/images/generations', { prompt: 'abcd' }),
      post('/alpha/v1/images/generations', { model: 'dall-e-3', prompt: 'a "revised" fox', response_format: 'b64_json' }),
      post('/alpha/v1/images/generations', { model: 'dall-e-3', prompt: 'a fox' }),
    ];
    for (const req of bodies) {
      const r = await live.handle(req as LiveRequest);
      expect(r.kind).toBe('json');
      if (r.kind !== 'json') continue;
      expect(r.text).toBe(JSON.stringify(r.body));
      expect(JSON.parse(r.text!)).toEqual(r.body);
    }
  });

  it('counts the prompt tokens once for n images at a per-token provider', async () => {
    const live = make([GPT]);
    const r = json(await live.handle(post('/gpt/v1/images/generations', { prompt: 'abcd', n: 2, quality: 'low' })));
    // 1 input token, 2 × 272 output tokens
    expect(r.body.usage).toMatchObject({ input_tokens: 1, output_tokens: 544, total_tokens: 545 });
    expect(Number(r.headers['x-imgsim-cost-usd'])).toBeCloseTo((1 * 5 + 544 * 40) / 1e6, 12);
  });

  it.each([
    [{ prompt: '' }, 'prompt'],
    // White space only, Unicode spaces and line terminators included (what trim() removes).
    [{ prompt: ' \t\n\u00a0\u2003\u2028\ufeff' }, 'prompt'],
    [{ prompt: 'p', n: 11 }, 'n'],
    [{ prompt: 'p', n: 0 }, 'n'],
    [{ prompt: 'p', size: 'big' }, 'size'],
    [{ prompt: 'p', response_format: 'gif' }, 'response_format'],
    [{ prompt: 'p', features: ['wings'] }, 'features'],
    [{ prompt: 'p', validate: 'yes' }, 'validate'],
    [{ prompt: 'p', size: '512x512' }, 'size'],
    [{ prompt: 'p', tier: 'gold' }, 'tier'],
  ])('rejects %j with 400 naming the param', async (body, param) => {
    const live = make([ALPHA]);
    const r = json(await live.handle(post('/alpha/v1/images/generations', body)));
    expect(r.status).toBe(400);
    expect(r.body.error.type).toBe('invalid_request_error');
    expect(r.body.error.param).toBe(param);
  });

  it('answers an unsupported size with code unsupported_size', async () => {
    const live = make([ALPHA]);
    const r = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p', size: '512x512' })));
    expect(r.body.error.code).toBe('unsupported_size');
  });

  it('answers 401 without a key or with a key the scenario does not list', async () => {
    const live = make([ALPHA], {}, { auth: { keys: ['k1'] } });
    const none = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }, { authorization: '' })));
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    const wrong = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }, { authorization: 'Bearer k2' })));
    expect(wrong.status).toBe(401);
    expect(json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }))).status).toBe(200);
  });

  it('answers 404 for an unknown provider or path, 405 for a wrong method', async () => {
    const live = make([ALPHA, BETA]);
    const unknown = json(await live.handle(post('/nope/v1/images/generations', { prompt: 'p' })));
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('unknown_provider');
    expect(json(await live.handle(post('/alpha/v2/whatever', {}))).status).toBe(404);
    expect(json(await live.handle(post('/beta/v1/images/generations', { prompt: 'p' }))).status).toBe(404);
    const wrongMethod = json(await live.handle(get('/alpha/v1/images/generations')));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  it('answers 400 for malformed JSON and 413 for a body over the limit', async () => {
    const live = make([ALPHA]);
    const bad = json(await live.handle(post('/alpha/v1/images/generations', undefined, {}, { bodyError: 'malformed-json' })));
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const big = json(await live.handle(post('/alpha/v1/images/generations', undefined, {}, { bodyError: 'too-large' })));
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });
});

describe('LiveProviders: capacity and rate limits', () => {
  it('answers 429 with retry-after once the token bucket is empty', async () => {
    // burst 2 at 60 rpm: the third request at the same instant waits 1 simulated second for a token.
    const live = make([{ ...ALPHA, rateLimit: { rpm: 60, burst: 2 } }]);
    const first = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p', tier: 'turbo' })));
    expect(first.headers['x-ratelimit-limit-requests']).toBe('60');
    await live.handle(post('/alpha/v1/images/generations', { prompt: 'p', tier: 'turbo' }));
    const r = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' })));
    expect(r.status).toBe(429);
    expect(r.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    // 1000 simulated ms × time scale 0.001 = 1 wall ms; retry-after is whole seconds, at least 1
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers['retry-after-ms']).toBe('1');
    expect(r.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(r.headers['x-imgsim-cost-usd']).toBe('0');
  });

  it('answers 429 insufficient_quota without retry-after once the quota is spent', async () => {
    const live = make([{ ...ALPHA, quota: { limit: 0.05 } }]);
    await live.handle(post('/alpha/v1/images/generations', { prompt: 'p', n: 2 })); // 0.064 ≥ 0.05
    const r = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' })));
    expect(r.status).toBe(429);
    expect(r.body.error.code).toBe('insufficient_quota');
    expect(r.headers['retry-after']).toBeUndefined();
  });

  it('queues beyond the slots and answers 503 overloaded once the queue is full', async () => {
    const live = make([{ ...ALPHA, capacity: { concurrency: 1, queue: 1 } }]);
    const a = live.handle(post('/alpha/v1/images/generations', { prompt: 'a' }));
    const b = live.handle(post('/alpha/v1/images/generations', { prompt: 'b' }));
    const c = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'c' })));
    expect(c.status).toBe(503);
    expect(c.body.error).toMatchObject({ type: 'server_error', code: 'overloaded' });
    expect(json(await a).status).toBe(200);
    expect(json(await b).status).toBe(200);
  });

  it('drops a queued request whose client aborted, unbilled', async () => {
    const live = make([{ ...ALPHA, capacity: { concurrency: 1, queue: 4 } }]);
    const a = live.handle(post('/alpha/v1/images/generations', { prompt: 'a' }));
    const ctl = new AbortController();
    const b = live.handle(post('/alpha/v1/images/generations', { prompt: 'b' }, {}, { signal: ctl.signal }));
    ctl.abort();
    const rb = await b;
    expect(rb.kind === 'json' && rb.headers['x-imgsim-outcome']).toBe('aborted');
    await a;
    const ledger = live.ledgerSnapshot().providers.alpha!;
    expect(ledger.outcomes).toMatchObject({ success: 1, aborted: 1 });
    expect(ledger.costUsd).toBeCloseTo(0.032, 12);
  });

  it('keeps the slot of a running request whose client left and bills it per billing.timeout', async () => {
    const live = make([{ ...ALPHA, pricing: { ...ALPHA.pricing, billing: { timeout: true } } }]);
    const ctl = new AbortController();
    const pending = live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }, {}, { signal: ctl.signal }));
    ctl.abort();
    const metrics = await live.handle(get('/_imgsim/metrics', '', {}));
    expect(metrics.kind === 'raw' && String(metrics.body)).toContain('imgsim_in_flight{provider="alpha"} 1');
    const r = await pending;
    expect(r.kind === 'json' && r.headers['x-imgsim-outcome']).toBe('aborted');
    expect(live.ledgerSnapshot().providers.alpha!.costUsd).toBeCloseTo(0.032, 12);
  });

  it('answers 503 overloaded during an outage', async () => {
    const live = make([{ ...ALPHA, availability: { outages: [{ at: '2026-06-01T11:00:00Z', duration: '2h' }] } }]);
    const r = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' })));
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('overloaded');
  });
});

describe('LiveProviders: failure injection', () => {
  const failing = (failures: Record<string, number>) => make([{ ...ALPHA, failures }]);

  it('serverError: 1 answers 500 server_error, unbilled by default', async () => {
    const r = json(await failing({ serverError: 1 }).handle(post('/alpha/v1/images/generations', { prompt: 'p' })));
    expect(r.status).toBe(500);
    expect(r.body.error).toMatchObject({ type: 'server_error', code: 'server_error' });
    expect(r.headers['x-imgsim-cost-usd']).toBe('0');
  });

  it('filtered: 1 answers 400 content_policy_violation', async () => {
    const r = json(await failing({ filtered: 1 }).handle(post('/alpha/v1/images/generations', { prompt: 'p' })));
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('content_policy_violation');
  });

  it('generative: 1 answers 500 generation_failed and bills it', async () => {
    const r = json(await failing({ generative: 1 }).handle(post('/alpha/v1/images/generations', { prompt: 'p' })));
    expect(r.status).toBe(500);
    expect(r.body.error.code).toBe('generation_failed');
    expect(Number(r.headers['x-imgsim-cost-usd'])).toBeCloseTo(0.032, 12);
  });

  it('timeout: 1 hangs', async () => {
    const r = await failing({ timeout: 1 }).handle(post('/alpha/v1/images/generations', { prompt: 'p' }));
    expect(r.kind).toBe('hang');
  });

  it('connectionReset: 1 resets the connection', async () => {
    const r = await failing({ connectionReset: 1 }).handle(post('/alpha/v1/images/generations', { prompt: 'p' }));
    expect(r.kind).toBe('reset');
    if (r.kind === 'reset') expect(r.headers['x-imgsim-outcome']).toBe('connection-reset');
  });

  // A malformed answer is a server error sent as a broken 200 body (the client got no usable
  // image): billed per billing.serverError, as in simulated time (src/model/rules/billing.ts).
  it('malformed: 1 sends a 200 whose body JSON.parse rejects, unbilled by default (billing.serverError false)', async () => {
    const live = failing({ malformed: 1 });
    const r = await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }));
    expect(r.kind).toBe('malformed');
    if (r.kind !== 'malformed') return;
    expect(r.status).toBe(200);
    expect(() => JSON.parse(r.body)).toThrow();
    expect(r.headers['x-imgsim-cost-usd']).toBe('0');
    expect(live.ledgerSnapshot().providers.alpha!.costUsd).toBe(0);
  });

  it('malformed: 1 is billed the request\'s price with billing.serverError true', async () => {
    const live = make([{ ...ALPHA, failures: { malformed: 1 }, pricing: { ...ALPHA.pricing, billing: { serverError: true } } }]);
    const r = await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }));
    expect(r.kind).toBe('malformed');
    if (r.kind !== 'malformed') return;
    expect(r.status).toBe(200);
    expect(() => JSON.parse(r.body)).toThrow();
    // base 0.002 + 30 steps × 0.001
    expect(Number(r.headers['x-imgsim-cost-usd'])).toBeCloseTo(0.032, 12);
    expect(live.ledgerSnapshot().providers.alpha!.costUsd).toBeCloseTo(0.032, 12);
  });
});

describe('LiveProviders: async dialect', () => {
  it('submits a prediction, then polls it to succeeded with an output URL', async () => {
    const live = make([BETA]);
    const submitted = json(await live.handle(post('/beta/v1/predictions', { input: { prompt: 'a boat', num_outputs: 2 } })));
    expect(submitted.status).toBe(201);
    expect(['starting', 'processing']).toContain(submitted.body.status);
    const id: string = submitted.body.id;
    let body: AnyJson;
    for (let i = 0; i < 200; i++) {
      body = json(await live.handle(get(`/beta/v1/predictions/${id}`))).body;
      if (body.status === 'succeeded' || body.status === 'failed') break;
      await sleep(2);
    }
    expect(body.status).toBe('succeeded');
    expect(body.output).toHaveLength(2);
    expect(body.output[0]).toMatch(/\/_imgsim\/images\/[0-9a-f]{16}\.png$/);
    expect(live.ledgerSnapshot().providers.beta!.costUsd).toBeCloseTo(0.08, 12);
    expect(json(await live.handle(get('/beta/v1/predictions/pred_nope'))).status).toBe(404);
  });

  it('answers a rate-limited submission with 429 and creates no prediction', async () => {
    const live = make([{ ...BETA, rateLimit: { rpm: 60, burst: 1 } }]);
    expect(json(await live.handle(post('/beta/v1/predictions', { input: { prompt: 'p' } }))).status).toBe(201);
    const r = json(await live.handle(post('/beta/v1/predictions', { input: { prompt: 'p' } })));
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
  });

  // Replicate's `error` is a string: its client throws `Prediction failed: ${error}` (an object read "[object Object]").
  it('fails a prediction whose generation failed, with an error message', async () => {
    const live = make([{ ...BETA, failures: { serverError: 1 } }]);
    const { body } = json(await live.handle(post('/beta/v1/predictions', { input: { prompt: 'p' } })));
    await sleep(20);
    const polled = json(await live.handle(get(`/beta/v1/predictions/${body.id}`))).body;
    expect(polled.status).toBe('failed');
    expect(polled.error).toBe('The server had an error while processing your request.');
  });
});

describe('LiveProviders: admin', () => {
  it('keeps a journal with body, tier, outcome, cost, status and latency', async () => {
    const live = make([ALPHA], { journalSize: 2 });
    for (const prompt of ['one', 'two', 'three']) await live.handle(post('/alpha/v1/images/generations', { prompt }, { 'x-imgsim-project': 'web' }));
    const { body } = json(await live.handle(get('/_imgsim/journal', '', {})));
    expect(body.entries).toHaveLength(2);
    expect(body.entries[1]).toMatchObject({ provider: 'alpha', project: 'web', body: { prompt: 'three' }, tier: 'standard', outcome: 'success', status: 200 });
    expect(body.entries[1].costUsd).toBeCloseTo(0.032, 12);
    expect(body.entries[1].latencyMs).toBeGreaterThanOrEqual(0);
    expect(json(await live.handle(get('/_imgsim/journal', 'limit=1', {}))).body.entries).toHaveLength(1);
  });

  it('exposes Prometheus metrics', async () => {
    // A real clock here: the histogram reads measured latency (wall / time scale).
    const live = make([ALPHA], { timeScale: 0.01, now: () => performance.now() });
    await live.handle(post('/alpha/v1/images/generations', { prompt: 'p', project: 'app' }));
    const r = await live.handle(get('/_imgsim/metrics', '', {}));
    expect(r.kind).toBe('raw');
    if (r.kind !== 'raw') return;
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = String(r.body);
    expect(text).toContain('imgsim_requests_total{provider="alpha",outcome="success"} 1');
    expect(text).toMatch(/imgsim_cost_usd_total\{provider="alpha",project="app"\} 0\.032/);
    expect(text).toContain('imgsim_in_flight{provider="alpha"} 0');
    expect(text).toContain('imgsim_queue_length{provider="alpha"} 0');
    // 2 simulated seconds (20 ms of wall time, plus timer slack): not in le="1", in le="5"
    expect(text).toContain('imgsim_latency_seconds_bucket{provider="alpha",le="1"} 0');
    expect(text).toContain('imgsim_latency_seconds_bucket{provider="alpha",le="5"} 1');
    expect(text).toContain('imgsim_latency_seconds_bucket{provider="alpha",le="+Inf"} 1');
    expect(text).toContain('imgsim_latency_seconds_count{provider="alpha"} 1');
  });

  it('reports health and resets the ledger, journal and rate limiters', async () => {
    const live = make([{ ...ALPHA, rateLimit: { rpm: 60, burst: 1 } }]);
    expect(json(await live.handle(get('/_imgsim/health', '', {}))).body).toMatchObject({ status: 'ok', providers: ['alpha'] });
    await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }));
    expect(json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }))).status).toBe(429);
    expect(json(await live.handle(post('/_imgsim/reset', undefined, { 'content-type': 'application/json' }))).status).toBe(200);
    expect(live.ledgerSnapshot().totals.requests).toBe(0);
    expect(json(await live.handle(get('/_imgsim/journal', '', {}))).body.entries).toHaveLength(0);
    expect(json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }))).status).toBe(200);
    expect(json(await live.handle(get('/_imgsim/reset', '', {}))).status).toBe(405);
  });

  it('bills credits pricing at the bundle price per credit', async () => {
    const live = make([
      { id: 'cred', pricing: { model: 'credits', perImage: 2, bundles: [{ credits: 100, price: 10 }] }, tiers: { standard: { latency: { dist: 'fixed', value: '1s' } } } },
    ]);
    const r = json(await live.handle(post('/cred/v1/images/generations', { prompt: 'p' })));
    // 2 credits × $10 / 100 credits
    expect(Number(r.headers['x-imgsim-cost-usd'])).toBeCloseTo(0.2, 12);
    expect(live.ledgerSnapshot().providers.cred!.credits).toMatchObject({ bought: 100, used: 2, cash: 10 });
  });

  it('numbers request ids req_ + 10 zero-padded base-36 digits, one per request', async () => {
    const live = make([{ ...ALPHA, tiers: { standard: { latency: { dist: 'fixed', value: 0 } } } }]);
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(json(await live.handle(post('/alpha/v1/images/generations', { prompt: `p${i}` }))).headers['x-request-id']!);
    expect(ids.every((id) => /^req_[0-9a-z]{10}$/.test(id))).toBe(true);
    expect(ids.map((id) => parseInt(id.slice(4), 36))).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(ids[35]).toBe('req_0000000010');
  });

  it('answers every pending request 503 on close, after one in the middle left', async () => {
    const live = make([{ ...ALPHA, capacity: { concurrency: 1, queue: 8 } }]);
    const ctl = new AbortController();
    const first = live.handle(post('/alpha/v1/images/generations', { prompt: 'a' }));
    const middle = live.handle(post('/alpha/v1/images/generations', { prompt: 'b' }, {}, { signal: ctl.signal }));
    const last = live.handle(post('/alpha/v1/images/generations', { prompt: 'c' }));
    expect(live.inFlight()).toBe(3);
    ctl.abort();
    const m = await middle;
    expect(m.kind === 'json' && m.headers['x-imgsim-outcome']).toBe('aborted');
    expect(live.inFlight()).toBe(2);
    await live.close();
    for (const r of [json(await first), json(await last)]) {
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('server_shutting_down');
    }
    expect(live.inFlight()).toBe(0);
    expect(live.ledgerSnapshot().providers.alpha!.outcomes).toMatchObject({ aborted: 1, shutdown: 2 });
  });

  it('answers pending requests 503 server_shutting_down on close', async () => {
    const live = make([ALPHA]);
    const health = async (): Promise<unknown> => json(await live.handle(get('/_imgsim/health', '', {}))).body.inFlight;
    // The health request does not count itself.
    expect(await health()).toBe(0);
    const pending = live.handle(post('/alpha/v1/images/generations', { prompt: 'p' }));
    expect(live.inFlight()).toBe(1);
    expect(await health()).toBe(1);
    await live.close();
    const r = json(await pending);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('server_shutting_down');
    expect(live.inFlight()).toBe(0);
  });
});

describe('PNG images', () => {
  it('is a valid 8×8 RGB PNG', () => {
    const { bytes } = pngForPrompt('a lighthouse');
    const buf = Buffer.from(bytes);
    expect([...buf.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(buf.readUInt32BE(8)).toBe(13);
    expect(buf.subarray(12, 16).toString()).toBe('IHDR');
    expect(buf.readUInt32BE(16)).toBe(8);
    expect(buf.readUInt32BE(20)).toBe(8);
    expect(buf[24]).toBe(8); // bit depth
    expect(buf[25]).toBe(2); // RGB
    expect(buf.readUInt32BE(29)).toBe(crc32(buf.subarray(12, 29)));
    const idatLength = buf.readUInt32BE(33);
    expect(buf.subarray(37, 41).toString()).toBe('IDAT');
    // 8 rows of 1 filter byte + 8 × 3 colour bytes
    expect(inflateSync(buf.subarray(41, 41 + idatLength))).toHaveLength(8 * 25);
    expect(buf.subarray(buf.length - 8, buf.length - 4).toString()).toBe('IEND');
  });

  it('is the same for the same prompt and differs between prompts', () => {
    expect(pngForPrompt('cat').bytes).toEqual(pngForPrompt('cat').bytes);
    expect(pngForPrompt('cat').id).not.toBe(pngForPrompt('dog').id);
  });

  it('serves the image of a url answer', async () => {
    const live = make([ALPHA]);
    const r = json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'cat' })));
    const path = new URL(r.body.data[0].url).pathname;
    const img = await live.handle(get(path, '', {}));
    expect(img.kind).toBe('raw');
    if (img.kind === 'raw') {
      expect(img.headers['content-type']).toBe('image/png');
      expect(img.body).toEqual(pngForPrompt('cat').bytes);
    }
  });
});

describe('LiveProviders: discounts limited to a class of work (appliesTo)', () => {
  // The live clock starts at the scenario start, 12:00 UTC, inside an 11:00–13:00 batch-only window.
  const NOON_BATCH = { ...ALPHA, pricing: { ...ALPHA.pricing, offPeak: [{ from: '11:00', to: '13:00', discount: 0.3, appliesTo: 'batch' }] } };
  const cost = async (live: LiveProviders, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<number> =>
    Number(json(await live.handle(post('/alpha/v1/images/generations', { prompt: 'a red fox', ...body }, headers))).headers['x-imgsim-cost-usd']);

  it('bills batch work (the `urgency` field or the x-imgsim-urgency header) 0.032 × 0.7 = 0.0224, interactive 0.032', async () => {
    const live = make([NOON_BATCH]);
    expect(await cost(live, {})).toBeCloseTo(0.032, 12);
    expect(await cost(live, { urgency: 'interactive' })).toBeCloseTo(0.032, 12);
    expect(await cost(live, { urgency: 'batch' })).toBeCloseTo(0.0224, 12);
    expect(await cost(live, {}, { 'x-imgsim-urgency': 'batch' })).toBeCloseTo(0.0224, 12);
  });

  it('answers 400 for an unknown urgency', async () => {
    const r = json(await make([NOON_BATCH]).handle(post('/alpha/v1/images/generations', { prompt: 'a red fox', urgency: 'bulk' })));
    expect(r.status).toBe(400);
    expect(r.body.error.param).toBe('urgency');
  });
});
