// Request values are bounded and finite (issue 15, defect 2): steps, sizes and n beyond the
// documented limits are refused with each dialect's 400/422 body, so no price, latency or
// ledger total can become Infinity; the reproduction is the curl against
// scenarios/replay-litellm.yaml, over a real socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { loadScenario, parseScenarioText } from '../../src/scenario/load.js';
import { MAX_SIDE_PX, MAX_STEPS } from '../../src/scenario/limits.js';

// Response bodies are plain JSON read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyJson = any;

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; cost: string | null; body: AnyJson }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: 'Bearer x', 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, cost: res.headers.get('x-imgsim-cost-usd'), body: await res.json() };
}

describe('the issue reproduction: flux-schnell of replay-litellm', () => {
  let server: LiveServer;
  // flux-schnell: lognormal median 2 s for 4 steps at 1024x1024, so the largest request takes
  // 2 s × (10000 / 4) × 256 = 1.28e6 s; at 1e-7 that is 0.128 s of wall time.
  beforeAll(async () => {
    server = await startServer(loadScenario('scenarios/replay-litellm.yaml'), { timeScale: 1e-7 });
  });
  afterAll(async () => {
    await server.close();
  });
  const gen = (): string => `${server.url}/flux-schnell/v1/images/generations`;

  it('refuses size 999999x999999 with steps 1e308 (the curl of the issue) with an OpenAI 400', async () => {
    // The body exactly as curl -d sends it (1e308 is a JSON number).
    const r = await post(gen(), '{"prompt":"a","size":"999999x999999","steps":1e308}');
    expect(r.status).toBe(400);
    expect(Number(r.cost ?? '0')).toBe(0);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param: 'size' });
    expect(r.body.error.message).toContain(String(MAX_SIDE_PX));
  });

  it.each([
    ['1e308', 1e308],
    ['1e10', 1e10],
    [`${MAX_STEPS + 1}`, MAX_STEPS + 1],
  ])('refuses steps %s with param steps and integer_above_max_value', async (_label, steps) => {
    const r = await post(gen(), { prompt: 'a', steps });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param: 'steps', code: 'integer_above_max_value' });
    expect(r.body.error.message).toContain(`<= ${MAX_STEPS}`);
  });

  it.each([`${MAX_SIDE_PX + 1}x1024`, `1024x${MAX_SIDE_PX + 1}`, '999999x1'])('refuses size %s', async (size) => {
    const r = await post(gen(), { prompt: 'a', size });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param: 'size' });
  });

  it('serves the largest request allowed at a finite price, and the ledger adds up', async () => {
    // Per megapixel, 4 steps included: 0.0027 × (16384² / 1e6) × (10000 / 4) = 0.0027 × 268.435456 × 2500
    const r = await post(gen(), { prompt: 'a', size: `${MAX_SIDE_PX}x${MAX_SIDE_PX}`, steps: MAX_STEPS, response_format: 'b64_json' });
    // flux-schnell fails 5% of requests by design (seed fixed): either way the cost is finite.
    expect([200, 500]).toContain(r.status);
    const cost = Number(r.cost ?? '0');
    expect(Number.isFinite(cost)).toBe(true);
    if (r.status === 200) expect(cost).toBeCloseTo(0.0027 * 268.435456 * 2500, 6);
    const ledger = (await (await fetch(`${server.url}/_imgsim/ledger`)).json()) as AnyJson;
    expect(ledger.totals.costUsd).toBeCloseTo(cost, 9);
  });

  it.each([[0], [11], [1e308], [1.5]])('refuses n %s (OpenAI: 1 to 10)', async (n) => {
    const r = await post(gen(), { prompt: 'a', n });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', param: 'n' });
  });
});

const SCENARIO = `version: 1
name: bounds
seed: 1
providers:
  - id: rep
    dialect: async
    model: black-forest-labs/flux-dev
    pricing: { model: per-step, perStep: 0.001 }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
  - id: paint
    pricing: { model: per-image, price: 0.02 }
    tiers: { standard: { latency: { dist: fixed, value: 1s } } }
    supports: { features: [inpainting] }
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix: [{ name: all }]
`;

describe('the other dialects refuse the same values in their own error bodies', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startServer(parseScenarioText(SCENARIO, 'bounds.yaml'), { timeScale: 0.001 });
  });
  afterAll(async () => {
    await server.close();
  });

  it.each([
    ['num_inference_steps', { num_inference_steps: 1e308 }, 'input.num_inference_steps'],
    ['width', { width: MAX_SIDE_PX + 1, height: 512 }, 'input.width'],
    ['height', { width: 512, height: 1e21 }, 'input.height'],
    ['num_outputs', { num_outputs: 1e9 }, 'input.num_outputs'],
  ])('Replicate predictions: %s out of range is a 422 naming the field', async (_name, input, field) => {
    const r = await post(`${server.url}/rep/v1/predictions`, { input: { prompt: 'a', ...input } });
    expect(r.status).toBe(422);
    expect(r.body.invalid_fields[0].field).toBe(field);
  });

  it.each([
    ['num_inference_steps', { num_inference_steps: MAX_STEPS + 1 }, 'num_inference_steps'],
    ['image_size', { image_size: { width: 1e6, height: 512 } }, 'width'],
  ])('fal queue: %s out of range is a 422', async (_name, input, param) => {
    const r = await post(`${server.url}/rep/fal/proxy`, { prompt: 'a', ...input }, {
      authorization: 'Key id:secret',
      'x-fal-target-url': 'https://queue.fal.run/black-forest-labs/flux-dev',
    });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toContain(param);
  });

  it('image edits: a steps text part beyond the limit is a 400 with param steps', async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' }), 'in.png');
    form.append('prompt', 'a');
    form.append('steps', '99999999999999999999');
    const res = await fetch(`${server.url}/paint/v1/images/edits`, { method: 'POST', headers: { authorization: 'Bearer x' }, body: form });
    expect(res.status).toBe(400);
    const body = (await res.json()) as AnyJson;
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: 'steps', code: 'integer_above_max_value' });
  });

  it('a request within the limits is still served', async () => {
    const r = await post(`${server.url}/rep/v1/predictions`, { input: { prompt: 'a', num_inference_steps: 50, width: 512, height: 512 } }, { prefer: 'wait' });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('succeeded');
  });
});
