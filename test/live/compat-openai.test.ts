// Compatibility: the official `openai` SDK, unmodified, against `imgsim serve` on 127.0.0.1 and
// against the msw handlers. Each model family answers as OpenAI's Images API does for it, the
// cost in `x-imgsim-cost-usd` is the one the journal booked, and the SDK's own retries (429 with
// `retry-after-ms`, 500 with its backoff) show in serve's journal with their spacing.
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { COMPAT_SCENARIO, COMPAT_TIME_SCALE, UPLOAD_PNG, entryOf, expectPng, journal, mswTarget, promptTokensOf, serveTarget } from './_compat-openai.js';

/** The error body the SDK parsed from a rejected call. */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe.each([serveTarget(), mswTarget()])('openai SDK against $name', (target) => {
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  // Created per test, after msw is listening: the SDK picks up `fetch` when constructed.
  const client = (provider: string): OpenAI => new OpenAI({ apiKey: 'test', baseURL: `${target.base}/${provider}/v1`, maxRetries: 0, timeout: 5_000 });

  it('gpt-image-1: b64_json only, with usage, quality, size, background and output_format as OpenAI answers', async () => {
    const prompt = 'a lighthouse at dusk, watercolour';
    const { data: image, response } = await client('gpt')
      .images.generate({ model: 'gpt-image-1', prompt, quality: 'low', size: '1024x1024', background: 'transparent', output_format: 'webp' })
      .withResponse();
    expect(image.data).toHaveLength(1);
    expect(image.data![0]!.url).toBeUndefined();
    expectPng(Buffer.from(image.data![0]!.b64_json!, 'base64'));
    const input = promptTokensOf(prompt);
    expect(image.usage).toEqual({ input_tokens: input, output_tokens: 272, total_tokens: input + 272, input_tokens_details: { text_tokens: input, image_tokens: 0 } });
    expect(image).toMatchObject({ quality: 'low', size: '1024x1024', background: 'transparent', output_format: 'webp' });
    // input × $5/1M + 272 × $40/1M
    const cost = Number(response.headers.get('x-imgsim-cost-usd'));
    expect(cost).toBeCloseTo((input * 5 + 272 * 40) / 1e6, 12);
    const entry = await entryOf(target.base, response.headers.get('x-request-id'));
    expect(entry.costUsd).toBe(cost);
    expect(entry.body).toEqual({ model: 'gpt-image-1', prompt, quality: 'low', size: '1024x1024', background: 'transparent', output_format: 'webp' });
  });

  it('gpt-image-1: n up to 10, `auto` quality and size priced at the provider default', async () => {
    const { data: image, response } = await client('gpt').images.generate({ model: 'gpt-image-1', prompt: 'two foxes', n: 2, quality: 'auto', size: 'auto' }).withResponse();
    expect(image.data).toHaveLength(2);
    // auto: the provider's reference size and first-listed quality (medium, 1056 tokens)
    expect(image).toMatchObject({ quality: 'medium', size: '1024x1024', background: 'opaque', output_format: 'png' });
    expect(image.usage?.output_tokens).toBe(2 * 1056);
    const input = promptTokensOf('two foxes');
    expect(Number(response.headers.get('x-imgsim-cost-usd'))).toBeCloseTo((input * 5 + 2 * 1056 * 40) / 1e6, 12);
  });

  it('gpt-image-1 refuses response_format, style and dall-e qualities with OpenAI\'s errors', async () => {
    const rf = await apiError(client('gpt').images.generate({ model: 'gpt-image-1', prompt: 'x', response_format: 'b64_json' }));
    expect(rf.status).toBe(400);
    expect(rf.error).toEqual({ message: "Unknown parameter: 'response_format'.", type: 'invalid_request_error', param: 'response_format', code: 'unknown_parameter' });
    const style = await apiError(client('gpt').images.generate({ model: 'gpt-image-1', prompt: 'x', style: 'vivid' }));
    expect(style.code).toBe('unknown_parameter');
    const hd = await apiError(client('gpt').images.generate({ model: 'gpt-image-1', prompt: 'x', quality: 'hd' }));
    expect(hd.error).toMatchObject({ param: 'quality', code: 'invalid_value', message: "Invalid value: 'hd'. Supported values are: 'low', 'medium', 'high', and 'auto'." });
  });

  it('dall-e-3: a url by default with revised_prompt, hd and style priced from the size table', async () => {
    const prompt = 'a red fox in snow';
    const { data: image, response } = await client('dalle3').images.generate({ model: 'dall-e-3', prompt, quality: 'hd', style: 'natural', size: '1792x1024' }).withResponse();
    const item = image.data![0]!;
    expect(item.b64_json).toBeUndefined();
    expect(item.revised_prompt).toBe(prompt);
    expect(image.usage).toBeUndefined();
    const png = await fetch(item.url!);
    expect(png.headers.get('content-type')).toBe('image/png');
    expectPng(new Uint8Array(await png.arrayBuffer()));
    expect(Number(response.headers.get('x-imgsim-cost-usd'))).toBe(0.12);
    expect((await entryOf(target.base, response.headers.get('x-request-id'))).costUsd).toBe(0.12);
  });

  it('dall-e-3: b64_json when asked; n = 2 and 512x512 refused with OpenAI\'s bodies', async () => {
    const image = await client('dalle3').images.generate({ model: 'dall-e-3', prompt: 'a fox', response_format: 'b64_json' });
    expectPng(Buffer.from(image.data![0]!.b64_json!, 'base64'));
    expect(image.data![0]!.revised_prompt).toBe('a fox');
    const n2 = await apiError(client('dalle3').images.generate({ model: 'dall-e-3', prompt: 'a fox', n: 2 }));
    expect(n2.status).toBe(400);
    expect(n2.error).toEqual({ message: 'You must provide n=1 for this model.', type: 'invalid_request_error', param: null, code: null });
    const size = await apiError(client('dalle3').images.generate({ model: 'dall-e-3', prompt: 'a fox', size: '512x512' }));
    expect(size.error).toMatchObject({ code: 'invalid_size', message: 'The size is not supported by this model.' });
  });

  it('dall-e-2: n images at 512x512, url by default; quality is an unknown parameter', async () => {
    const { data: image, response } = await client('dalle2').images.generate({ model: 'dall-e-2', prompt: 'a cat', n: 3, size: '512x512' }).withResponse();
    expect(image.data).toHaveLength(3);
    expect(image.data!.every((d) => typeof d.url === 'string' && d.revised_prompt === undefined)).toBe(true);
    expect(Number(response.headers.get('x-imgsim-cost-usd'))).toBeCloseTo(3 * 0.018, 12);
    const quality = await apiError(client('dalle2').images.generate({ model: 'dall-e-2', prompt: 'a cat', quality: 'standard' }));
    expect(quality.error).toMatchObject({ param: 'quality', code: 'unknown_parameter' });
  });

  it('a provider pinned to one model answers 404 model_not_found for another', async () => {
    const err = await apiError(client('dalle3').images.generate({ model: 'gpt-image-1', prompt: 'x' }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.error).toEqual({ message: 'The model `gpt-image-1` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' });
  });

  it('a provider without a model takes the request\'s, mapping gpt-image `high` onto its `hd` price', async () => {
    const { data: image, response } = await client('open').images.generate({ model: 'gpt-image-1', prompt: 'a boat', quality: 'high' }).withResponse();
    expectPng(Buffer.from(image.data![0]!.b64_json!, 'base64'));
    expect(image.quality).toBe('high');
    expect(Number(response.headers.get('x-imgsim-cost-usd'))).toBe(0.06);
    const dalle = await client('open').images.generate({ model: 'dall-e-3', prompt: 'a boat', quality: 'standard' }).withResponse();
    expect(dalle.data.data![0]!.url).toMatch(/\/_imgsim\/images\/[0-9a-f]+\.png$/);
    expect(Number(dalle.response.headers.get('x-imgsim-cost-usd'))).toBe(0.03);
  });

  it('an unknown field is a 400 unknown_parameter, imgsim\'s own fields are accepted', async () => {
    const err = await apiError(client('open').images.generate({ model: 'dall-e-3', prompt: 'x', foo: 1 } as OpenAI.ImageGenerateParamsNonStreaming));
    expect(err.error).toEqual({ message: "Unknown parameter: 'foo'.", type: 'invalid_request_error', param: 'foo', code: 'unknown_parameter' });
    const ok = await client('open').images.generate({ prompt: 'x', steps: 20, tier: 'standard', validate: false, project: 'compat' } as OpenAI.ImageGenerateParamsNonStreaming);
    expect(ok.data).toHaveLength(1);
  });

  it('images.edit (multipart): gpt-image-1 answers b64_json priced with inpainting; dall-e-2 a url', async () => {
    const prompt = 'add a red hat';
    const { data: edited, response } = await client('gpt')
      .images.edit({ model: 'gpt-image-1', image: await toFile(UPLOAD_PNG, 'in.png', { type: 'image/png' }), prompt, quality: 'high', output_format: 'png' })
      .withResponse();
    expectPng(Buffer.from(edited.data![0]!.b64_json!, 'base64'));
    expect(edited).toMatchObject({ quality: 'high', output_format: 'png', size: '1024x1024' });
    // input × $5/1M + 4160 × $40/1M + $0.01 inpainting
    const cost = Number(response.headers.get('x-imgsim-cost-usd'));
    expect(cost).toBeCloseTo((promptTokensOf(prompt) * 5 + 4160 * 40) / 1e6 + 0.01, 12);
    const entry = await entryOf(target.base, response.headers.get('x-request-id'));
    expect(entry.costUsd).toBe(cost);
    expect(entry.body).toMatchObject({ model: 'gpt-image-1', prompt, quality: 'high', image: { file: true, name: 'in.png', type: 'image/png', size: UPLOAD_PNG.length } });

    const mask = await toFile(UPLOAD_PNG, 'mask.png', { type: 'image/png' });
    const { data: e2, response: r2 } = await client('dalle2')
      .images.edit({ model: 'dall-e-2', image: await toFile(UPLOAD_PNG, 'in.png', { type: 'image/png' }), mask, prompt, size: '256x256', n: 2 })
      .withResponse();
    expect(e2.data).toHaveLength(2);
    expect(typeof e2.data![0]!.url).toBe('string');
    expect(Number(r2.headers.get('x-imgsim-cost-usd'))).toBeCloseTo(2 * (0.016 + 0.005), 12);
    const rf = await apiError(client('gpt').images.edit({ model: 'gpt-image-1', image: await toFile(UPLOAD_PNG, 'in.png', { type: 'image/png' }), prompt, response_format: 'url' }));
    expect(rf.error).toMatchObject({ param: 'response_format', code: 'unknown_parameter' });
  });
});

describe('openai SDK retries against imgsim serve, read back from the journal', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startServer(COMPAT_SCENARIO, { port: 0, timeScale: COMPAT_TIME_SCALE });
  });
  afterAll(() => server.close());

  it('waits the retry-after-ms of a 429 and then succeeds', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/limited/v1`, maxRetries: 2, timeout: 5_000 });
    await client.images.generate({ prompt: 'first' });
    // The bucket is empty: 60 s simulated until the next token = 600 ms at time scale 0.01.
    await client.images.generate({ prompt: 'second' });
    const entries = (await journal(server.url)).filter((e) => e.provider === 'limited');
    expect(entries.map((e) => [e.body.prompt, e.outcome, e.status])).toEqual([
      ['first', 'success', 200],
      ['second', 'rate-limited', 429],
      ['second', 'success', 200],
    ]);
    const [first, limited, retried] = entries.map((e) => Date.parse(e.time));
    const refillMs = 60_000 * COMPAT_TIME_SCALE;
    // The retry comes when the token is back (retry-after-ms), not at the SDK's 0.5 s default backoff.
    expect(retried! - first!).toBeGreaterThanOrEqual(refillMs - 5);
    expect(retried! - limited!).toBeLessThan(refillMs + 600);
    expect(server.providers.ledgerSnapshot().providers.limited?.costUsd).toBeCloseTo(0.02, 12);
  });

  it('retries a 500 after its default backoff (0.375-0.5 s), then gives up with the error', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: `${server.url}/broken/v1`, maxRetries: 1, timeout: 5_000 });
    const err = await apiError(client.images.generate({ prompt: 'doomed' }));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    const entries = (await journal(server.url)).filter((e) => e.provider === 'broken');
    expect(entries.map((e) => [e.outcome, e.status])).toEqual([
      ['server-error', 500],
      ['server-error', 500],
    ]);
    // openai-node: 0.5 s × 2^0 × (1 − jitter), jitter in [0, 0.25)
    const gap = Date.parse(entries[1]!.time) - Date.parse(entries[0]!.time);
    expect(gap).toBeGreaterThanOrEqual(370);
    expect(gap).toBeLessThan(1200);
  });
});
