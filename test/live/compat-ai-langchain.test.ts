// Compatibility: the Vercel AI SDK (`ai` + `@ai-sdk/openai`, `generateImage`) and LangChain's
// `DallEAPIWrapper` (`@langchain/openai`), unmodified, against `imgsim serve` on 127.0.0.1 and
// against the msw handlers. The AI SDK sends no `response_format` for gpt-image models and
// `b64_json` for dall-e; LangChain always sends `style`, `quality` and `response_format`.
import { createOpenAI } from '@ai-sdk/openai';
import { DallEAPIWrapper } from '@langchain/openai';
import { generateImage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_PNG, entryOf, expectPng, journal, mswTarget, promptTokensOf, serveTarget } from './_compat-openai.js';

describe.each([serveTarget(), mswTarget()])('ai + @ai-sdk/openai generateImage against $name', (target) => {
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  const provider = (id: string): ReturnType<typeof createOpenAI> => createOpenAI({ baseURL: `${target.base}/${id}/v1`, apiKey: 'test' });

  it('gpt-image-1: an image, OpenAI usage and the cost serve booked', async () => {
    const prompt = 'a paper crane on a desk';
    const result = await generateImage({
      model: provider('gpt').image('gpt-image-1'),
      prompt,
      size: '1536x1024',
      providerOptions: { openai: { quality: 'low' } },
      maxRetries: 0,
    });
    expect(result.images).toHaveLength(1);
    expect(result.image.mediaType).toBe('image/png');
    expectPng(result.image.uint8Array);
    const input = promptTokensOf(prompt);
    expect(result.usage).toMatchObject({ inputTokens: input, outputTokens: 400, totalTokens: input + 400 });
    const headers = result.calls[0]!.response.headers!;
    const cost = Number(headers['x-imgsim-cost-usd']);
    expect(cost).toBeCloseTo((input * 5 + 400 * 40) / 1e6, 12);
    const entry = await entryOf(target.base, headers['x-request-id'] ?? null);
    expect(entry.costUsd).toBe(cost);
    // What the SDK sent: no response_format for a gpt-image model.
    expect(entry.body).toEqual({ model: 'gpt-image-1', prompt, n: 1, size: '1536x1024', quality: 'low' });
  });

  it('dall-e-3: an image (the SDK asks for b64_json) and the revised prompt in provider metadata', async () => {
    const prompt = 'a lantern in fog';
    const result = await generateImage({ model: provider('dalle3').image('dall-e-3'), prompt, size: '1024x1792', providerOptions: { openai: { quality: 'hd', style: 'vivid' } }, maxRetries: 0 });
    expectPng(result.image.uint8Array);
    expect(result.calls[0]!.providerMetadata?.openai?.images).toEqual([expect.objectContaining({ revisedPrompt: prompt })]);
    const headers = result.calls[0]!.response.headers!;
    expect(Number(headers['x-imgsim-cost-usd'])).toBe(0.12);
    const entry = await entryOf(target.base, headers['x-request-id'] ?? null);
    expect(entry.body).toEqual({ model: 'dall-e-3', prompt, n: 1, size: '1024x1792', quality: 'hd', style: 'vivid', response_format: 'b64_json' });
  });

  it('gpt-image-1 edits: an image prompt goes to /images/edits as multipart', async () => {
    const result = await generateImage({ model: provider('gpt').image('gpt-image-1'), prompt: { text: 'make it blue', images: [UPLOAD_PNG] }, maxRetries: 0 });
    expectPng(result.image.uint8Array);
    const last = (await journal(target.base)).at(-1)!;
    expect(last).toMatchObject({ provider: 'gpt', outcome: 'success', body: { model: 'gpt-image-1', prompt: 'make it blue', n: '1' } });
    expect(last.body.image).toMatchObject({ file: true, type: 'image/png', size: UPLOAD_PNG.length });
  });
});

// The wrapper builds its own OpenAI client from apiKey, organization and baseUrl only: its retries
// and timeout are the SDK's defaults (2 retries, 10 min) and cannot be set through it.
describe.each([serveTarget(), mswTarget()])('@langchain/openai DallEAPIWrapper against $name', (target) => {
  beforeAll(() => target.start());
  afterAll(() => target.stop());

  it('dall-e-3 (its default): a url that serves a PNG, with style and quality as sent', async () => {
    const tool = new DallEAPIWrapper({ apiKey: 'test', baseUrl: `${target.base}/dalle3/v1` });
    const url: unknown = await tool.invoke('a lighthouse, charcoal sketch');
    expect(typeof url).toBe('string');
    const png = await fetch(url as string);
    expectPng(new Uint8Array(await png.arrayBuffer()));
    const last = (await journal(target.base)).at(-1)!;
    expect(last).toMatchObject({ provider: 'dalle3', outcome: 'success', costUsd: 0.04 });
    expect(last.body).toEqual({ model: 'dall-e-3', prompt: 'a lighthouse, charcoal sketch', n: 1, size: '1024x1024', response_format: 'url', style: 'vivid', quality: 'standard' });
  });

  it('dall-e-3 with responseFormat b64_json: the base64 PNG', async () => {
    const tool = new DallEAPIWrapper({ apiKey: 'test', baseUrl: `${target.base}/dalle3/v1`, responseFormat: 'b64_json', quality: 'hd' });
    const b64: unknown = await tool.invoke('a harbour at night');
    expectPng(Buffer.from(b64 as string, 'base64'));
    expect((await journal(target.base)).at(-1)).toMatchObject({ costUsd: 0.08, body: { quality: 'hd', response_format: 'b64_json' } });
  });

  it('dall-e-2 and gpt-image-1 fail as on OpenAI: the wrapper always sends quality, style and response_format', async () => {
    const dalle2 = new DallEAPIWrapper({ apiKey: 'test', baseUrl: `${target.base}/dalle2/v1`, model: 'dall-e-2', size: '256x256' });
    await expect(dalle2.invoke('a cat')).rejects.toMatchObject({ status: 400, code: 'unknown_parameter', param: 'quality' });
    const gpt = new DallEAPIWrapper({ apiKey: 'test', baseUrl: `${target.base}/gpt/v1`, model: 'gpt-image-1' });
    await expect(gpt.invoke('a cat')).rejects.toMatchObject({ status: 400, code: 'unknown_parameter', param: 'response_format' });
  });
});
