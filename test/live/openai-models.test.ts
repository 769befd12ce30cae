// The OpenAI dialect keyed by the request's `model`: which fields each model family knows, the
// errors OpenAI answers, the pinned model, and quality names mapped onto a provider's pricing.
// In-process (LiveProviders), so every case is a plain request and answer.
import { afterAll, describe, expect, it } from 'vitest';
import { LiveProviders } from '../../src/live/core.js';
import { familyOf, providerQuality } from '../../src/live/openai-models.js';
import type { LiveRequest, LiveResponse } from '../../src/live/protocol.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const TIERS = { standard: { latency: { dist: 'fixed', value: '1s' } } };
const live = new LiveProviders(
  scenarioFromObject({
    version: 1,
    name: 'openai-models',
    seed: 1,
    providers: [
      // No model: the request's decides. Priced standard/hd, so gpt-image qualities map onto them.
      { id: 'open', pricing: { model: 'per-image', price: 0.03, sizes: { '1024x1024': { standard: 0.03, hd: 0.06 } } }, tiers: TIERS },
      { id: 'pinned', model: 'dall-e-3', pricing: { model: 'per-image', price: 0.04 }, tiers: TIERS },
      { id: 'tokens', model: 'gpt-image-1', pricing: { model: 'per-token', inputPerMillion: 5, outputPerMillion: 40, outputTokens: { '1024x1024': { medium: 1056, low: 272 } } }, tiers: TIERS },
    ],
    traffic: { arrivals: { process: 'poisson', rate: 1 }, mix: [{ name: 'a' }] },
  }),
  { timeScale: 0.001, now: () => 0, baseUrl: 'http://imgsim.test' },
);
afterAll(() => live.close());

// Bodies are plain JSON read field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function send(provider: string, body: Record<string, unknown>): Promise<{ status: number; cost: number; body: any }> {
  const req: LiveRequest = { method: 'POST', path: `/${provider}/v1/images/generations`, query: new URLSearchParams(), headers: { authorization: 'Bearer k' }, body };
  const r: LiveResponse = await live.handle(req);
  if (r.kind !== 'json') throw new Error(`expected JSON, got ${r.kind}`);
  return { status: r.status, cost: Number(r.headers['x-imgsim-cost-usd']), body: r.body };
}

describe('OpenAI dialect keyed by the request model', () => {
  it.each([
    ['gpt-image-1', 'gpt-image'],
    ['gpt-image-1-mini', 'gpt-image'],
    ['gpt-image-1.5', 'gpt-image'],
    ['chatgpt-image-latest', 'gpt-image'],
    ['dall-e-3', 'dall-e-3'],
    ['dall-e-2', 'dall-e-2'],
    ['flux-pro-1.1', undefined],
  ])('tells the family of %s', (model, family) => {
    expect(familyOf(model)).toBe(family);
  });

  it.each([
    ['high', ['standard', 'hd'], 'hd'],
    ['low', ['standard', 'hd'], 'standard'],
    ['medium', ['standard', 'hd'], 'standard'],
    ['hd', ['low', 'medium', 'high'], 'high'],
    ['standard', ['low', 'medium', 'high'], 'medium'],
    ['high', ['low', 'high'], 'high'],
    ['ultra', ['standard', 'hd'], 'ultra'],
    ['high', undefined, 'high'],
  ])('prices quality %s at a provider offering %j as %s', (quality, offered, expected) => {
    expect(providerQuality(quality, offered)).toBe(expected);
  });

  it.each([
    ['an unknown field', 'open', { model: 'dall-e-3', prompt: 'x', foo: 1 }, 400, { param: 'foo', code: 'unknown_parameter', message: "Unknown parameter: 'foo'." }],
    ['an unknown field without model', 'open', { prompt: 'x', seed: 7 }, 400, { param: 'seed', code: 'unknown_parameter' }],
    ['response_format for gpt-image', 'open', { model: 'gpt-image-1', prompt: 'x', response_format: 'b64_json' }, 400, { param: 'response_format', code: 'unknown_parameter' }],
    ['style for gpt-image', 'open', { model: 'gpt-image-1.5', prompt: 'x', style: 'vivid' }, 400, { param: 'style', code: 'unknown_parameter' }],
    ['a dall-e quality for gpt-image', 'open', { model: 'gpt-image-1', prompt: 'x', quality: 'standard' }, 400, { param: 'quality', code: 'invalid_value' }],
    ['a 512x512 gpt-image-1', 'open', { model: 'gpt-image-1', prompt: 'x', size: '512x512' }, 400, { param: 'size', code: 'invalid_value' }],
    ['transparent jpeg', 'open', { model: 'gpt-image-1', prompt: 'x', background: 'transparent', output_format: 'jpeg' }, 400, { param: 'background' }],
    ['compression 101', 'open', { model: 'gpt-image-1', prompt: 'x', output_compression: 101 }, 400, { param: 'output_compression', code: 'integer_above_max_value' }],
    ['streaming', 'open', { model: 'gpt-image-1', prompt: 'x', stream: true }, 400, { param: 'stream', code: 'unsupported_value' }],
    ['dall-e-3 n = 2', 'open', { model: 'dall-e-3', prompt: 'x', n: 2 }, 400, { param: null, code: null, message: 'You must provide n=1 for this model.' }],
    ['dall-e-3 style bold', 'open', { model: 'dall-e-3', prompt: 'x', style: 'bold' }, 400, { param: 'style', code: 'invalid_value' }],
    ['dall-e-3 background', 'open', { model: 'dall-e-3', prompt: 'x', background: 'opaque' }, 400, { param: 'background', code: 'unknown_parameter' }],
    ['dall-e-2 quality', 'open', { model: 'dall-e-2', prompt: 'x', quality: 'standard' }, 400, { param: 'quality', code: 'unknown_parameter' }],
    ['dall-e-2 at 1792x1024', 'open', { model: 'dall-e-2', prompt: 'x', size: '1792x1024' }, 400, { param: null, code: null }],
    ['a model that is not a string', 'open', { model: 3, prompt: 'x' }, 400, { param: 'model', code: 'invalid_type' }],
    ['another model than the pinned one', 'pinned', { model: 'dall-e-2', prompt: 'x' }, 404, { param: null, code: 'model_not_found', message: 'The model `dall-e-2` does not exist or you do not have access to it.' }],
  ])('refuses %s as OpenAI does', async (_name, provider, body, status, error) => {
    const r = await send(provider, body);
    expect(r.status).toBe(status);
    expect(r.body.error).toMatchObject({ type: 'invalid_request_error', ...error });
    expect(r.cost).toBe(0);
  });

  it('takes the provider\'s model when the request names none or names the provider id', async () => {
    const none = await send('pinned', { prompt: 'a fox' });
    expect(none.body.data[0].revised_prompt).toBe('a fox');
    const byId = await send('pinned', { model: 'pinned', prompt: 'a fox', response_format: 'b64_json' });
    expect(byId.body.data[0]).toEqual({ b64_json: expect.any(String), revised_prompt: 'a fox' });
    // dall-e-3's n = 1 holds for a request without a model, too
    expect((await send('pinned', { prompt: 'a fox', n: 2 })).status).toBe(400);
  });

  it('keeps the generic dialect for a model of no OpenAI family', async () => {
    const r = await send('open', { model: 'flux-pro-1.1', prompt: 'x', n: 3, style: 'vivid', response_format: 'b64_json' });
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(3);
    expect(Object.keys(r.body).sort()).toEqual(['created', 'data']);
  });

  it('prices gpt-image `high` as the provider\'s `hd` and reports OpenAI\'s tokens for it', async () => {
    const r = await send('open', { model: 'gpt-image-1', prompt: 'abcd', quality: 'high' });
    expect(r.cost).toBe(0.06);
    expect(r.body).toMatchObject({ quality: 'high', size: '1024x1024', background: 'opaque', output_format: 'png' });
    // ⌈4 / 4⌉ = 1 prompt token; gpt-image-1 high at 1024x1024 = 4160 output tokens
    expect(r.body.usage).toEqual({ input_tokens: 1, output_tokens: 4160, total_tokens: 4161, input_tokens_details: { text_tokens: 1, image_tokens: 0 } });
    const auto = await send('open', { model: 'gpt-image-1', prompt: 'abcd', quality: 'auto' });
    // auto pays the first-listed quality (standard) and reports it as medium
    expect(auto.cost).toBe(0.03);
    expect(auto.body.quality).toBe('medium');
  });

  it('answers gpt-image requests at a per-token provider with the tokens it priced', async () => {
    const r = await send('tokens', { prompt: 'abcdefgh', quality: 'low', n: 2 });
    // 2 prompt tokens × $5/1M + 2 × 272 × $40/1M
    expect(r.cost).toBeCloseTo((2 * 5 + 2 * 272 * 40) / 1e6, 12);
    expect(r.body.usage).toMatchObject({ input_tokens: 2, output_tokens: 544 });
    expect(r.body.data[0].url).toBeUndefined();
  });
});
