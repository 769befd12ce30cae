// The official `replicate` client (v1), unmodified, against the async dialect: over real
// sockets (`imgsim serve` on 127.0.0.1, ephemeral port) and in-process through the msw handlers.
// Its base URL is `{server}/{provider}/v1`; everything else is the client's own behaviour.
import Replicate, { type Prediction } from 'replicate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseScenarioText } from '../../src/scenario/load.js';
import { costOf as ledgerCost, inProcess, MSW_BASE, rejection, served } from './_compat-async.js';
import { journal as readJournal, expectPng } from './_compat-openai.js';
import { liveScenario } from './_live-scenario.js';

const ASYNC = ['dialect: async', 'latencyScaling: none'];
/** At timeScale 0.01 a 2 s service time is 20 ms of wall time. */
const TIME_SCALE = 0.01;
const SCENARIO = parseScenarioText(liveScenario('compat-replicate', [
  { id: 'flux', price: 0.003, latency: '2s', more: [...ASYNC, 'model: black-forest-labs/flux-schnell'] },
  { id: 'pro', price: 0.04, latency: '2s', more: [...ASYNC, 'model: black-forest-labs/flux-1.1-pro', 'supports: { sizes: [1024x1024, 1344x768] }'] },
  // One slot, 30 s a prediction (300 ms of wall time): the second waits `starting` in the queue.
  { id: 'single', price: 0.01, latency: '30s', more: [...ASYNC, 'capacity: { concurrency: 1, queue: 8 }'] },
  { id: 'broken', price: 0.02, latency: '2s', more: [...ASYNC, 'failures: { generative: 1 }'] },
  { id: 'crashy', price: 0.02, latency: '2s', more: [...ASYNC, 'failures: { serverError: 1 }'] },
  { id: 'stuck', price: 0.02, latency: '2s', more: [...ASYNC, 'failures: { timeout: 1 }'] },
  { id: 'garbled', price: 0.02, latency: '2s', more: [...ASYNC, 'failures: { malformed: 1 }'] },
]), 'compat-replicate.yaml');

/** The client's `fetch`, recording each call (method and URL) and changing nothing. */
function recordingFetch(calls: string[]): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    calls.push(`${init?.method ?? 'GET'} ${url}`);
    return fetch(input, init);
  };
}

/** An `ApiError`'s status and parsed body (the client keeps the Response, its body already read into the message). */
function apiError(e: unknown): { status: number; message: string } {
  expect(e).toBeInstanceOf(Error);
  const err = e as Error & { name: string; response?: Response };
  expect(err.name).toBe('ApiError');
  return { status: err.response?.status ?? 0, message: err.message };
}

describe('replicate client against imgsim serve', () => {
  const server = served(SCENARIO, TIME_SCALE);
  const client = (provider: string, more: Partial<ConstructorParameters<typeof Replicate>[0]> = {}): Replicate =>
    new Replicate({ auth: 'test-key', baseUrl: `${server.url}/${provider}/v1`, ...more });
  const journal = () => readJournal(server.url);
  const costOf = (provider: string) => ledgerCost(server.url, provider);

  beforeAll(() => server.start());
  afterAll(() => server.stop());

  it('creates an official-model prediction, waits for it, and the output URLs serve PNGs billed as the ledger says', async () => {
    const replicate = client('flux');
    const created = await replicate.predictions.create({ model: 'black-forest-labs/flux-schnell', input: { prompt: 'a lighthouse', num_outputs: 2, aspect_ratio: '16:9', seed: 7 } });
    expect(created).toMatchObject({ model: 'black-forest-labs/flux-schnell', version: 'hidden', input: { prompt: 'a lighthouse', num_outputs: 2, aspect_ratio: '16:9', seed: 7 }, output: null, error: null });
    expect(['starting', 'processing']).toContain(created.status);
    expect(created.urls.get).toBe(`${server.url}/flux/v1/predictions/${created.id}`);
    expect(created.urls.cancel).toBe(`${server.url}/flux/v1/predictions/${created.id}/cancel`);

    const done = await replicate.wait(created, { interval: 10 });
    expect(done.status).toBe('succeeded');
    const output = done.output as string[];
    expect(output).toHaveLength(2);
    for (const url of output) {
      expect(url.startsWith(`${server.url}/_imgsim/images/`)).toBe(true);
      expectPng(new Uint8Array(await (await fetch(url)).arrayBuffer()));
    }
    // 2 simulated seconds of service (20 ms of wall time, plus timer lag: loose above, for a loaded machine)
    expect(done.metrics?.predict_time).toBeGreaterThanOrEqual(1.9);
    expect(done.metrics?.predict_time).toBeLessThan(100);
    const entry = (await journal()).find((e) => e.id === created.id);
    // two images at $0.003
    expect(entry).toMatchObject({ provider: 'flux', outcome: 'success', status: 201 });
    expect(entry?.costUsd).toBeCloseTo(0.006, 12);
    expect(await costOf('flux')).toBeCloseTo(0.006, 12);
  });

  it('goes starting → processing → succeeded, as polled through predictions.get', async () => {
    const replicate = client('single');
    const first = await replicate.predictions.create({ version: 'imgsim/single:v1', input: { prompt: 'first' } });
    const second = await replicate.predictions.create({ version: 'imgsim/single:v1', input: { prompt: 'second' } });
    expect(second.status).toBe('starting');
    const seen: string[] = [second.status];
    let p: Prediction = second;
    for (let i = 0; i < 400 && p.status !== 'succeeded' && p.status !== 'failed'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      p = await replicate.predictions.get(second.id);
      if (seen.at(-1) !== p.status) seen.push(p.status);
    }
    expect(seen).toEqual(['starting', 'processing', 'succeeded']);
    expect(p).toMatchObject({ model: 'imgsim/single', version: 'v1' });
    expect(Date.parse(p.started_at ?? '')).toBeLessThanOrEqual(Date.parse(p.completed_at ?? ''));
    expect((await replicate.wait(first, { interval: 10 })).status).toBe('succeeded');
  });

  it('runs a model with run(): one POST held by Prefer: wait, output URLs as strings (http: is not wrapped in FileOutput)', async () => {
    const calls: string[] = [];
    const replicate = client('flux', { fetch: recordingFetch(calls) });
    const output = (await replicate.run('black-forest-labs/flux-schnell', { input: { prompt: 'a boat' } })) as unknown[];
    expect(calls).toEqual([`POST ${server.url}/flux/v1/models/black-forest-labs/flux-schnell/predictions`]);
    expect(output).toHaveLength(1);
    expect(typeof output[0]).toBe('string');
    expectPng(new Uint8Array(await (await fetch(output[0] as string)).arrayBuffer()));
  });

  it('answers one URL, not an array, for a model whose output is one file (flux-1.1-pro), run by version', async () => {
    const output = await client('pro').run('black-forest-labs/flux-1.1-pro:0123abcd', { input: { prompt: 'a kite', aspect_ratio: '1:1' } });
    expect(typeof output).toBe('string');
    expect(output).toMatch(new RegExp(`^${server.url}/_imgsim/images/[0-9a-f]{16}\\.png$`));
    const err = apiError(await rejection(client('pro').predictions.create({ model: 'black-forest-labs/flux-1.1-pro', input: { prompt: 'two kites', num_outputs: 2 } })));
    expect(err.status).toBe(422);
    // aspect_ratio 21:9 is FLUX's 1536x640, a size this provider does not offer (16:9, 1344x768, it does)
    const wide = apiError(await rejection(client('pro').predictions.create({ model: 'black-forest-labs/flux-1.1-pro', input: { prompt: 'wide', aspect_ratio: '21:9' } })));
    expect(wide.status).toBe(422);
    expect(wide.message).toContain('1536x640');
    expect((await client('pro').predictions.create({ model: 'black-forest-labs/flux-1.1-pro', input: { prompt: 'wide', aspect_ratio: '16:9' } })).status).not.toBe('failed');
  });

  it('holds a Prefer: wait=1 submission for about a second when the prediction cannot finish, then answers it processing', async () => {
    const started = performance.now();
    const p = await client('stuck').predictions.create({ version: 'v1', input: { prompt: 'never' }, wait: 1 });
    const heldMs = performance.now() - started;
    expect(p.status).toBe('processing');
    expect(heldMs).toBeGreaterThanOrEqual(950);
    expect(heldMs).toBeLessThan(3000);
    const canceled = await client('stuck').predictions.cancel(p.id);
    expect(canceled.status).toBe('canceled');
  });

  it('surfaces failed generations as a rejected run and a failed prediction, billed as the scenario says', async () => {
    const costBefore = await costOf('broken');
    const err = await rejection(client('broken').run('acme/broken', { input: { prompt: 'p' } }));
    expect((err as Error).message).toBe('Prediction failed: Image generation failed; the result was unusable.');
    // generative failures bill by default: one image at $0.02
    expect((await costOf('broken')) - costBefore).toBeCloseTo(0.02, 12);

    const crashed = await client('crashy').predictions.create({ version: 'v1', input: { prompt: 'p' } });
    const waited = await rejection(client('crashy').wait(crashed, { interval: 10 }));
    expect((waited as Error).message).toBe('Prediction failed: The server had an error while processing your request.');
    const polled = await client('crashy').predictions.get(crashed.id);
    expect(polled).toMatchObject({ status: 'failed', output: null, error: 'The server had an error while processing your request.' });
    const entry = (await journal()).find((e) => e.id === crashed.id);
    // server errors do not bill by default
    expect(entry).toMatchObject({ outcome: 'server-error', costUsd: 0 });
  });

  it('delivers a malformed failure as a truncated body, which the client fails to parse; billed as a server error (unbilled by default)', async () => {
    const before = await costOf('garbled');
    const err = await rejection(client('garbled').run('acme/garbled', { input: { prompt: 'p' } }));
    expect(err).toBeInstanceOf(SyntaxError);
    expect(await costOf('garbled')).toBe(before);
  });

  it('lists the provider\'s predictions newest first', async () => {
    const replicate = client('crashy');
    const a = await replicate.predictions.create({ version: 'v1', input: { prompt: 'a' } });
    const b = await replicate.predictions.create({ version: 'v1', input: { prompt: 'b' } });
    const pages: Prediction[][] = [];
    for await (const page of replicate.paginate(() => replicate.predictions.list())) pages.push(page);
    expect(pages).toHaveLength(1);
    const ids = pages[0]!.map((p) => p.id);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect(ids.indexOf(b.id)).toBe(0);
  });

  it('cancels a queued prediction: canceled, never run, not billed', async () => {
    const replicate = client('single');
    const blocker = await replicate.predictions.create({ version: 'v1', input: { prompt: 'blocker' } });
    const queued = await replicate.predictions.create({ version: 'v1', input: { prompt: 'queued' } });
    expect(queued.status).toBe('starting');
    const canceled = await replicate.predictions.cancel(queued.id);
    expect(canceled).toMatchObject({ id: queued.id, status: 'canceled', output: null });
    expect(canceled.completed_at).not.toBeNull();
    expect((await replicate.wait(queued)).status).toBe('canceled');
    await replicate.wait(blocker, { interval: 10 });
    const entries = await journal();
    expect(entries.find((e) => e.id === queued.id)).toMatchObject({ outcome: 'aborted', costUsd: 0 });
    expect(entries.find((e) => e.id === blocker.id)?.costUsd).toBeCloseTo(0.01, 12);
  });

  it('answers errors in Replicate\'s shape: 401 without a key, 404 for an unknown id or another model, 422 for bad input', async () => {
    // An empty `auth` falls back to REPLICATE_API_TOKEN: empty too, so no Authorization header at all.
    vi.stubEnv('REPLICATE_API_TOKEN', '');
    const noKey = apiError(await rejection(new Replicate({ auth: '', baseUrl: `${server.url}/flux/v1` }).predictions.get('pred_x')));
    vi.unstubAllEnvs();
    expect(noKey.status).toBe(401);
    const noKeyBody = (await (await fetch(`${server.url}/flux/v1/predictions/pred_x`)).json()) as Record<string, unknown>;
    expect(noKeyBody).toMatchObject({ title: 'Unauthenticated', status: 401 });

    const unknown = apiError(await rejection(client('flux').predictions.get('pred_nope')));
    expect(unknown.status).toBe(404);
    expect(unknown.message).toContain('"title":"Not found"');

    const otherModel = apiError(await rejection(client('flux').predictions.create({ model: 'stability-ai/sdxl', input: { prompt: 'p' } })));
    expect(otherModel.status).toBe(404);

    const invalid = apiError(await rejection(client('flux').predictions.create({ version: 'v1', input: { prompt: '' } })));
    expect(invalid.status).toBe(422);
    const body = JSON.parse(invalid.message.slice(invalid.message.indexOf('{'), invalid.message.lastIndexOf('}') + 1)) as Record<string, unknown>;
    expect(body).toMatchObject({ title: 'Input validation failed', status: 422, detail: '`prompt` must be a non-empty string.', invalid_fields: [{ field: 'input.prompt' }] });
  });
});

describe('replicate client against the msw handlers (in-process)', () => {
  const BASE = MSW_BASE;
  const msw = inProcess(SCENARIO, TIME_SCALE);
  beforeAll(() => msw.start());
  afterAll(() => {
    msw.stop();
  });

  it('runs a model to FileOutput objects whose blob() is the PNG, billed in the ledger', async () => {
    // Constructed after listen(): the client keeps the global fetch msw patched.
    const replicate = new Replicate({ auth: 'test-key', baseUrl: `${BASE}/flux/v1` });
    const output = (await replicate.run('black-forest-labs/flux-schnell', { input: { prompt: 'a harbour', num_outputs: 2 } })) as { blob(): Promise<Blob>; url(): URL }[];
    expect(output).toHaveLength(2);
    for (const file of output) {
      expect(file.url().href.startsWith(`${BASE}/_imgsim/images/`)).toBe(true);
      const blob = await file.blob();
      expectPng(new Uint8Array(await blob.arrayBuffer()));
    }
    expect(msw.handlers?.providers.ledgerSnapshot().providers.flux?.costUsd).toBeCloseTo(0.006, 12);
  });

  it('reports a failed prediction through wait() and a 404 through ApiError', async () => {
    const replicate = new Replicate({ auth: 'test-key', baseUrl: `${BASE}/broken/v1` });
    const p = await replicate.predictions.create({ version: 'v1', input: { prompt: 'p' } });
    expect(((await rejection(replicate.wait(p, { interval: 10 }))) as Error).message).toBe('Prediction failed: Image generation failed; the result was unusable.');
    expect(apiError(await rejection(replicate.predictions.get('pred_nope'))).status).toBe(404);
  });
});
