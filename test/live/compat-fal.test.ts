// The official `@fal-ai/client` (v1), unmodified, against the async dialect's fal face. The client
// is pointed at serve with its documented proxy setting, `proxyUrl: { url, when: 'always' }`: it
// then sends every request to that URL with the fal URL it meant in `x-fal-target-url`.
import { ApiError, ValidationError, createFalClient, type FalClient } from '@fal-ai/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { costOf as ledgerCost, inProcess, MSW_BASE, rejection, served } from './_compat-async.js';
import { expectPng } from './_compat-openai.js';

/** $0.025 a megapixel; at timeScale 0.01 a 2 s service time is 20 ms of wall time. */
const SCENARIO = parseScenarioText(
  `version: 1
name: compat-fal
seed: 1
providers:
  - id: flux
    dialect: async
    model: fal-ai/flux/dev
    pricing: { model: per-megapixel, perMegapixel: 0.025, includedSteps: 50 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
    latencyScaling: none
  - id: single
    dialect: async
    model: fal-ai/flux/dev
    pricing: { model: per-image, price: 0.01 }
    tiers: { standard: { latency: { dist: fixed, value: 30s } } }
    capacity: { concurrency: 1, queue: 8 }
  - id: broken
    dialect: async
    model: fal-ai/flux/dev
    pricing: { model: per-image, price: 0.02 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
    failures: { generative: 1 }
  - id: stuck
    dialect: async
    pricing: { model: per-image, price: 0.02 }
    tiers: { standard: { latency: { dist: fixed, value: 2s } } }
    failures: { timeout: 1 }
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix: [{ name: all, weight: 1 }]
`,
  'compat-fal.yaml',
);
const TIME_SCALE = 0.01;
const APP = 'fal-ai/flux/dev';
/** landscape_4_3 is 1024x768: 0.786432 MP × $0.025. */
const LANDSCAPE_PRICE = 0.786432 * 0.025;

interface FluxOutput {
  images: { url: string; width: number; height: number; content_type: string }[];
  prompt: string;
}

describe('@fal-ai/client queue against imgsim serve (proxyUrl)', () => {
  const server = served(SCENARIO, TIME_SCALE);
  const fal = (provider: string, withKey = true): FalClient =>
    createFalClient({ ...(withKey ? { credentials: 'key-id:key-secret' } : {}), proxyUrl: { url: `${server.url}/${provider}/fal/proxy`, when: 'always' } });
  const costOf = (provider: string) => ledgerCost(server.url, provider);

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('subscribe(): submits, polls the status to COMPLETED and reads the result; images are PNGs billed by the megapixel', async () => {
    const statuses: string[] = [];
    const result = await fal('flux').subscribe(APP, {
      input: { prompt: 'a lighthouse', image_size: 'landscape_4_3', num_images: 2, seed: 5 },
      pollInterval: 5,
      onQueueUpdate: (u) => {
        if (statuses.at(-1) !== u.status) statuses.push(u.status);
      },
    });
    expect(statuses.at(-1)).toBe('COMPLETED');
    expect(statuses.every((s) => ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED'].includes(s))).toBe(true);
    const data = result.data as FluxOutput;
    expect(result.requestId).toMatch(/^pred_/);
    expect(data.prompt).toBe('a lighthouse');
    expect(data.images).toHaveLength(2);
    for (const image of data.images) {
      expect(image).toMatchObject({ width: 1024, height: 768, content_type: 'image/png' });
      expectPng(new Uint8Array(await (await fetch(image.url)).arrayBuffer()));
    }
    expect(await costOf('flux')).toBeCloseTo(2 * LANDSCAPE_PRICE, 12);
  });

  it('queue.submit, queue.status and queue.result by request id', async () => {
    const client = fal('flux');
    const { request_id: requestId } = await client.queue.submit(APP, { input: { prompt: 'a boat', image_size: { width: 512, height: 512 } } });
    let status = await client.queue.status(APP, { requestId, logs: true });
    for (let i = 0; i < 200 && status.status !== 'COMPLETED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      status = await client.queue.status(APP, { requestId, logs: true });
    }
    expect(status.status).toBe('COMPLETED');
    const result = await client.queue.result(APP, { requestId });
    expect(result.requestId).toBe(requestId);
    expect((result.data as FluxOutput).images[0]).toMatchObject({ width: 512, height: 512 });
  });

  it('run(): fal.run holds the request until the image is ready', async () => {
    const result = await fal('flux').run(APP, { input: { prompt: 'a kite' } });
    expect((result.data as FluxOutput).images).toHaveLength(1);
  });

  it('run() of a request the provider never answers hangs until the client gives up', async () => {
    const started = performance.now();
    const err = await rejection(fal('stuck').run(APP, { input: { prompt: 'never' }, abortSignal: AbortSignal.timeout(300) }));
    expect((err as Error).name).toBe('TimeoutError');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('cancels a queued request; its result is then an error', async () => {
    const client = fal('single');
    const blocker = await client.queue.submit(APP, { input: { prompt: 'blocker' } });
    const queued = await client.queue.submit(APP, { input: { prompt: 'queued' } });
    expect((await client.queue.status(APP, { requestId: queued.request_id })).status).toBe('IN_QUEUE');
    await client.queue.cancel(APP, { requestId: queued.request_id });
    expect((await client.queue.status(APP, { requestId: queued.request_id })).status).toBe('COMPLETED');
    const err = await rejection(client.queue.result(APP, { requestId: queued.request_id }));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError<unknown>).status).toBe(400);
    await client.queue.cancel(APP, { requestId: blocker.request_id });
  });

  it('surfaces a failed generation as an ApiError from subscribe(), billed as the scenario says', async () => {
    const before = await costOf('broken');
    const err = await rejection(fal('broken').subscribe(APP, { input: { prompt: 'p' }, pollInterval: 5 }));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError<{ detail: string }>).status).toBe(500);
    expect((err as ApiError<{ detail: string }>).body.detail).toBe('Image generation failed; the result was unusable.');
    // generative failures bill by default: $0.02
    expect((await costOf('broken')) - before).toBeCloseTo(0.02, 12);
  });

  it('answers 422 as a ValidationError with field errors, 401 without a key, 404 for another app', async () => {
    const invalid = await rejection(fal('flux').queue.submit(APP, { input: { prompt: '' } }));
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).getFieldErrors('prompt')[0]?.msg).toBe('`prompt` must be a non-empty string.');

    // Without `credentials` the client reads FAL_KEY: empty, so it sends no Authorization header.
    vi.stubEnv('FAL_KEY', '');
    const noKey = await rejection(fal('flux', false).queue.submit(APP, { input: { prompt: 'p' } }));
    vi.unstubAllEnvs();
    expect((noKey as ApiError<{ detail: string }>).status).toBe(401);
    expect((noKey as ApiError<{ detail: string }>).body.detail).toContain('Authorization: Key <key>');

    const otherApp = await rejection(fal('flux').queue.submit('fal-ai/flux/schnell', { input: { prompt: 'p' } }));
    expect((otherApp as ApiError<unknown>).status).toBe(404);
  });
});

describe('fal proxy route: bad requests get clear errors', () => {
  const server = served(SCENARIO, TIME_SCALE);
  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it.each([
    ['no target header', {}, 'POST', 400, 'x-fal-target-url'],
    ['a host that is not fal', { 'x-fal-target-url': 'https://example.com/fal-ai/flux/dev' }, 'POST', 400, 'queue.fal.run'],
    ['status streaming', { 'x-fal-target-url': 'https://queue.fal.run/fal-ai/flux/requests/pred_1/status/stream' }, 'GET', 400, 'poll'],
    ['a submit with GET', { 'x-fal-target-url': 'https://queue.fal.run/fal-ai/flux/dev' }, 'GET', 405, 'use POST'],
  ])('%s', async (_name, target, method, status, says) => {
    const res = await fetch(`${server.url}/flux/fal/proxy`, { method, headers: { authorization: 'Key k', 'content-type': 'application/json', ...target }, ...(method === 'POST' ? { body: '{"prompt":"p"}' } : {}) });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { detail: string }).detail).toContain(says);
  });
});

describe('@fal-ai/client against the msw handlers (in-process)', () => {
  const BASE = MSW_BASE;
  const msw = inProcess(SCENARIO, TIME_SCALE);
  beforeAll(() => msw.start());
  afterAll(() => {
    msw.stop();
  });

  it('subscribe() returns the images, and the ledger bills them', async () => {
    const client = createFalClient({ credentials: 'k', proxyUrl: { url: `${BASE}/flux/fal/proxy`, when: 'always' } });
    const result = await client.subscribe(APP, { input: { prompt: 'a harbour', image_size: 'landscape_4_3' }, pollInterval: 5 });
    const image = (result.data as FluxOutput).images[0]!;
    expectPng(new Uint8Array(await (await fetch(image.url)).arrayBuffer()));
    expect(msw.handlers?.providers.ledgerSnapshot().providers.flux?.costUsd).toBeCloseTo(LANDSCAPE_PRICE, 12);
  });
});
