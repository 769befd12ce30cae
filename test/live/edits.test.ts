// POST /v1/images/edits: multipart uploads from the official `openai` SDK, over a real socket
// (`imgsim serve`) and through the msw handlers. An edit is priced as a generation with the
// `inpainting` feature, so its cost can be checked by hand.
import { setupServer } from 'msw/node';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers } from '../../src/live/msw.js';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';

/** `painter` charges $0.04 an image plus $0.01 for inpainting; `plain` offers no inpainting. */
const SCENARIO = parseScenarioText(
  `
version: 1
name: live-edits
providers:
  - id: painter
    model: dall-e-2
    pricing: { model: per-image, price: 0.04, features: { inpainting: { add: 0.01 } } }
    tiers:
      standard: { latency: { dist: fixed, value: 1s } }
  - id: plain
    pricing: { model: per-image, price: 0.02 }
    tiers:
      standard: { latency: { dist: fixed, value: 1s } }
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix:
    - { name: all, weight: 1, size: 1024x1024, steps: 30 }
`,
  'edits.yaml',
);

/** A 1x1 PNG is enough: the mock reads an upload's name, type and size, never its pixels. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

interface JournalEntry {
  provider: string;
  outcome: string;
  costUsd: number;
  body: Record<string, unknown>;
}

async function journal(base: string): Promise<JournalEntry[]> {
  return ((await (await fetch(`${base}/_imgsim/journal`)).json()) as { entries: JournalEntry[] }).entries;
}

/** Cases both transports must pass, given where the providers are. */
function editCases(base: () => string): void {
  const client = (provider: string): OpenAI => new OpenAI({ apiKey: 'test', baseURL: `${base()}/${provider}/v1`, maxRetries: 0, timeout: 5_000 });

  it('edits with image and mask: n images, priced price + inpainting each, journaled without the bytes', async () => {
    const { data, response } = await client('painter')
      .images.edit({
        image: await toFile(PNG, 'room.png', { type: 'image/png' }),
        mask: await toFile(PNG, 'mask.png', { type: 'image/png' }),
        prompt: 'a window where the wall is',
        n: 2,
        size: '1024x1024',
        response_format: 'b64_json',
      })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.data).toHaveLength(2);
    expect(Buffer.from(data.data?.[0]?.b64_json ?? '', 'base64').subarray(1, 4).toString()).toBe('PNG');
    // 2 × (0.04 + 0.01), exact.
    expect(Number(response.headers.get('x-imgsim-cost-usd'))).toBeCloseTo(0.1, 12);
    const entry = (await journal(base())).at(-1)!;
    expect(entry).toMatchObject({ provider: 'painter', outcome: 'success' });
    expect(entry.costUsd).toBeCloseTo(0.1, 12);
    expect(entry.body.image).toEqual({ file: true, name: 'room.png', type: 'image/png', size: PNG.length });
    expect(entry.body.mask).toEqual({ file: true, name: 'mask.png', type: 'image/png', size: PNG.length });
    expect(entry.body.n).toBe('2');
  });

  it('answers dall-e style URLs by default', async () => {
    const res = await client('painter').images.edit({ image: await toFile(PNG, 'a.png', { type: 'image/png' }), prompt: 'make it dusk' });
    expect(res.data?.[0]?.url).toMatch(/\/_imgsim\/images\/[0-9a-f]+\.png$/);
  });

  it('refuses an edit at a provider without inpainting with 400 unsupported_feature', async () => {
    const err = await client('plain')
      .images.edit({ image: await toFile(PNG, 'a.png', { type: 'image/png' }), prompt: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('unsupported_feature');
  });

  it('says what is wrong with an upload: no image, text for a file, a JPEG mask, a broken body', async () => {
    const post = (body: FormData | string, contentType?: string): Promise<Response> =>
      fetch(`${base()}/painter/v1/images/edits`, { method: 'POST', headers: { authorization: 'Bearer k', ...(contentType ? { 'content-type': contentType } : {}) }, body });
    const noImage = new FormData();
    noImage.append('prompt', 'x');
    const textImage = new FormData();
    textImage.append('prompt', 'x');
    textImage.append('image', 'not a file');
    const jpegMask = new FormData();
    jpegMask.append('prompt', 'x');
    jpegMask.append('image', new Blob([PNG], { type: 'image/png' }), 'a.png');
    jpegMask.append('mask', new Blob([PNG], { type: 'image/jpeg' }), 'm.jpg');
    const cases: [Response, string, string][] = [
      [await post(noImage), 'image', 'invalid_value'],
      [await post(textImage), 'image', 'invalid_value'],
      [await post(jpegMask), 'mask', 'invalid_value'],
    ];
    for (const [res, param, code] of cases) {
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { param: string; code: string } }).error).toMatchObject({ param, code });
    }
    const broken = await post('--nope\r\nnot multipart', 'multipart/form-data; boundary=xyz');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('invalid_multipart');
  });
}

describe('POST /{provider}/v1/images/edits over imgsim serve', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startServer(SCENARIO, { port: 0, timeScale: 0.001 });
  });
  afterAll(async () => {
    await server.close();
  });
  editCases(() => server.url);
});

describe('POST /{provider}/v1/images/edits through the msw handlers', () => {
  const BASE = 'https://edits.imgsim.test';
  let msw: ReturnType<typeof setupServer>;
  beforeAll(async () => {
    msw = setupServer(...(await createHandlers(SCENARIO, { baseUrl: BASE, timeScale: 0.001 })));
    msw.listen({ onUnhandledRequest: 'bypass' });
  });
  afterAll(() => {
    msw.close();
  });
  editCases(() => BASE);
});
