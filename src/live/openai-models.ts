/**
 * The OpenAI image models as the real Images API tells them apart: the request's `model` picks
 * a family (`gpt-image-*`, `dall-e-3`, `dall-e-2`), and the family decides which fields are
 * known, which values are valid, and the shape of the answer. Error bodies follow what OpenAI
 * answers (messages and codes as measured by users of the API; sources in docs/compatibility.md):
 * an unknown field is `400 unknown_parameter`, `dall-e-3` with `n > 1` is `You must provide n=1
 * for this model.`, a model other than the one a provider pins is `404 model_not_found`.
 *
 * A request without `model` (or naming the provider's id) takes the provider's `model`; a model
 * of no OpenAI family (an Imagen, a Flux) gets the generic dialect: every field accepted,
 * `url` unless `b64_json` is asked for.
 */
import type { ResolvedProvider } from '../scenario/resolve.js';
import type { LiveError } from './openai-dialect.js';

/** The OpenAI image model families. */
export type OpenAiFamily = 'gpt-image' | 'dall-e-3' | 'dall-e-2';

/** The two OpenAI image endpoints. */
export type OpenAiEndpoint = 'generations' | 'edits';

/** What the answer of a request for an OpenAI model looks like (from the request and the model). */
export interface OpenAiShape {
  readonly family: OpenAiFamily;
  /** gpt-image: the quality the answer reports (`low|medium|high`). */
  readonly quality: string | undefined;
  /** gpt-image: `transparent` or `opaque`. */
  readonly background: 'transparent' | 'opaque' | undefined;
  /** gpt-image: `png`, `jpeg` or `webp` (the bytes are always PNG: see docs/compatibility.md). */
  readonly outputFormat: string | undefined;
}

/** The request fields after the model's rules: what the generic parser reads, plus the shape. */
export interface ModelFields {
  /** The fields for `parseImageFields` (quality mapped onto the provider's names). */
  readonly fields: Readonly<Record<string, unknown>>;
  /** The answer's shape, or undefined for the generic dialect. */
  readonly shape: OpenAiShape | undefined;
}

/** imgsim's own request fields, accepted by every model. */
const IMGSIM_FIELDS = ['steps', 'features', 'tier', 'validate', 'urgency', 'project'] as const;

/** Fields the OpenAI Images API knows, by endpoint (openai SDK 6 `ImageGenerateParams`/`ImageEditParams`). */
const KNOWN_FIELDS: Readonly<Record<OpenAiEndpoint, ReadonlySet<string>>> = {
  generations: new Set([
    'prompt', 'model', 'n', 'size', 'quality', 'response_format', 'style', 'user', 'background', 'moderation',
    'output_compression', 'output_format', 'partial_images', 'stream', 'safety_identifier', ...IMGSIM_FIELDS,
  ]),
  edits: new Set([
    'image', 'image[]', 'mask', 'prompt', 'model', 'n', 'size', 'quality', 'response_format', 'user', 'background',
    'input_fidelity', 'moderation', 'output_compression', 'output_format', 'partial_images', 'stream', 'safety_identifier',
    'features[]', ...IMGSIM_FIELDS,
  ]),
};

/** Fields only the gpt-image models know. */
const GPT_IMAGE_ONLY = ['background', 'moderation', 'output_compression', 'output_format', 'partial_images', 'stream', 'input_fidelity'] as const;

/** Fields each family answers `unknown_parameter` for although the endpoint knows them. */
const NOT_FOR_FAMILY: Readonly<Record<OpenAiFamily, readonly string[]>> = {
  // "Unknown parameter: 'response_format'." (vercel/ai#6102 and many more), `style` likewise.
  'gpt-image': ['response_format', 'style'],
  'dall-e-3': GPT_IMAGE_ONLY,
  // dall-e-2 refuses `quality` (even `standard`) and `style` by name (langchain-community#177).
  'dall-e-2': ['quality', 'style', ...GPT_IMAGE_ONLY],
};

/** Sizes by model (OpenAI's lists); gpt-image-2 and later take any `WIDTHxHEIGHT`. */
const DALL_E_3_SIZES = ['1024x1024', '1792x1024', '1024x1792'];
const DALL_E_2_SIZES = ['256x256', '512x512', '1024x1024'];
const GPT_IMAGE_1_SIZES = ['1024x1024', '1024x1536', '1536x1024', 'auto'];

/** Quality names of the other family that price the same (gpt-image `high` ~ dall-e `hd`). */
const QUALITY_EQUIVALENTS: Readonly<Record<string, string>> = { low: 'standard', medium: 'standard', high: 'hd', standard: 'medium', hd: 'high' };

/**
 * The family of a model name.
 * @param model - a model name (`gpt-image-1`, `dall-e-3`, `chatgpt-image-latest`, ...)
 * @returns its family, or undefined for a model OpenAI does not serve
 */
export function familyOf(model: string | undefined): OpenAiFamily | undefined {
  if (model === undefined) return undefined;
  if (model.startsWith('gpt-image-') || model.startsWith('chatgpt-image-')) return 'gpt-image';
  if (model === 'dall-e-3') return 'dall-e-3';
  if (model === 'dall-e-2') return 'dall-e-2';
  return undefined;
}

/** An OpenAI error; `code` null where OpenAI's body has none (`journalCode` then names it in the journal). */
function err(message: string, param: string | null, code: string | null, status = 400, journalCode = 'invalid_value'): LiveError {
  return { status, type: 'invalid_request_error', code: code ?? journalCode, ...(code === null ? { bodyCode: null } : {}), message, ...(param === null ? {} : { param }) };
}

/** OpenAI's list wording: `'a', 'b', and 'c'`; `'a' and 'b'`. */
function quoteList(values: readonly string[]): string {
  const q = values.map((v) => `'${v}'`);
  if (q.length <= 2) return q.join(' and ');
  return `${q.slice(0, -1).join(', ')}, and ${q[q.length - 1]!}`;
}

/** JSON type names as OpenAI's type errors write them. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a decimal number';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  return 'an object';
}

function enumError(field: string, value: unknown, allowed: readonly string[]): LiveError | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return err(`Invalid type for '${field}': expected one of ${allowed.map((v) => `'${v}'`).join(', ')}, but got ${typeName(value)} instead.`, field, 'invalid_type');
  if (allowed.includes(value)) return undefined;
  return err(`Invalid value: '${value}'. Supported values are: ${quoteList(allowed)}.`, field, 'invalid_value');
}

function intRangeError(field: string, value: unknown, min: number, max: number): LiveError | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) return err(`Invalid type for '${field}': expected an integer, but got ${typeName(value)} instead.`, field, 'invalid_type');
  if (value < min) return err(`Invalid '${field}': integer below minimum value. Expected a value >= ${min}, but got ${value} instead.`, field, 'integer_below_min_value');
  if (value > max) return err(`Invalid '${field}': integer above maximum value. Expected a value <= ${max}, but got ${value} instead.`, field, 'integer_above_max_value');
  return undefined;
}

/**
 * The qualities a provider prices or offers, first = its default.
 * @param provider - the provider
 * @param size - the request's size (a per-size table lists qualities per size)
 * @returns the names, or undefined when quality does not matter to the provider
 */
export function offeredQualities(provider: ResolvedProvider, size: string): readonly string[] | undefined {
  if (provider.supports.qualities !== undefined) return provider.supports.qualities;
  const pricing = provider.pricing;
  if (pricing.model === 'per-token') return Object.keys(pricing.outputTokens[size] ?? {});
  if (pricing.model === 'per-image') {
    const entry = pricing.sizes?.[size];
    if (typeof entry === 'object') return Object.keys(entry);
  }
  return pricing.quality === undefined ? undefined : Object.keys(pricing.quality);
}

/**
 * A request's quality in the provider's names: the same name when the provider has it, else the
 * equivalent of the other OpenAI family (`low`/`medium` → `standard`, `high` → `hd`, `standard`
 * → `medium`, `hd` → `high`), else unchanged (the provider then refuses it by name).
 * @param quality - the requested quality
 * @param offered - the provider's qualities, when it has any
 * @returns the name pricing reads
 */
export function providerQuality(quality: string, offered: readonly string[] | undefined): string {
  if (offered === undefined || offered.includes(quality)) return quality;
  const equivalent = QUALITY_EQUIVALENTS[quality];
  return equivalent !== undefined && offered.includes(equivalent) ? equivalent : quality;
}

/** The gpt-image name of the quality a provider priced (`standard` → `medium`, `hd` → `high`). */
function gptQuality(priced: string | undefined): string {
  if (priced === 'low' || priced === 'medium' || priced === 'high') return priced;
  if (priced === 'hd') return 'high';
  return 'medium';
}

/**
 * The model a request runs: its `model`, or the provider's when it names none or names the
 * provider's id; 404 `model_not_found` when the provider pins another model.
 * @param body - the request fields
 * @param provider - the provider
 * @returns the model name (undefined when neither names one), or the error
 */
export function requestModel(body: Readonly<Record<string, unknown>>, provider: ResolvedProvider): { model: string | undefined } | LiveError {
  const raw = body.model;
  if (raw === undefined || raw === null) return { model: provider.model };
  if (typeof raw !== 'string') return err(`Invalid type for 'model': expected a string, but got ${typeName(raw)} instead.`, 'model', 'invalid_type');
  if (raw === provider.id) return { model: provider.model ?? raw };
  if (provider.model !== undefined && raw !== provider.model) {
    return err(`The model \`${raw}\` does not exist or you do not have access to it.`, null, 'model_not_found', 404);
  }
  return { model: raw };
}

/**
 * Applies the rules of the request's model: unknown fields, family-specific fields and values,
 * sizes and `n`; maps the quality onto the provider's names.
 * @param body - the request fields (JSON body, or the text parts of a multipart form)
 * @param provider - the provider
 * @param endpoint - generations or edits
 * @returns the fields to parse and the answer's shape, or the error OpenAI would answer
 */
export function applyModelRules(body: Readonly<Record<string, unknown>>, provider: ResolvedProvider, endpoint: OpenAiEndpoint): ModelFields | LiveError {
  const known = KNOWN_FIELDS[endpoint];
  for (const key in body) {
    if (!known.has(key)) return err(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
  }
  const resolved = requestModel(body, provider);
  if ('status' in resolved) return resolved;
  if (typeof body.user !== 'string' && body.user !== undefined) return err(`Invalid type for 'user': expected a string, but got ${typeName(body.user)} instead.`, 'user', 'invalid_type');
  const family = familyOf(resolved.model);
  // The generic dialect reads the body as it is (no copy: this runs for every request).
  if (family === undefined) return { fields: body, shape: undefined };
  const fields: Record<string, unknown> = { ...body };

  for (const key of NOT_FOR_FAMILY[family]) {
    if (key in body) return err(`Unknown parameter: '${key}'.`, key, 'unknown_parameter');
  }
  if (endpoint === 'edits' && family === 'dall-e-3') {
    return err('Image edits are not available for dall-e-3; use dall-e-2 or a gpt-image model.', 'model', 'invalid_value');
  }
  const size = body.size ?? undefined;
  if (family === 'dall-e-3') return dallE3(body, fields, provider, size);
  if (family === 'dall-e-2') {
    if (typeof size === 'string' && !DALL_E_2_SIZES.includes(size)) return err(`'${size}' is not one of ['256x256', '512x512', '1024x1024'] - 'size'`, null, null, 400, 'invalid_size');
    return { fields, shape: { family, quality: undefined, background: undefined, outputFormat: undefined } };
  }
  return gptImage(body, fields, provider, resolved.model ?? '', size);
}

function dallE3(body: Readonly<Record<string, unknown>>, fields: Record<string, unknown>, provider: ResolvedProvider, size: unknown): ModelFields | LiveError {
  // `n` beyond 1 has its own message, code and param null (measured).
  if (typeof body.n === 'number' && body.n !== 1) return err('You must provide n=1 for this model.', null, null, 400, 'invalid_n');
  if (typeof size === 'string' && !DALL_E_3_SIZES.includes(size)) return err('The size is not supported by this model.', null, 'invalid_size');
  const bad = enumError('quality', body.quality, ['standard', 'hd', 'auto']) ?? enumError('style', body.style, ['vivid', 'natural']);
  if (bad !== undefined) return bad;
  setQuality(fields, body.quality, provider, typeof size === 'string' ? size : provider.reference.size);
  return { fields, shape: { family: 'dall-e-3', quality: undefined, background: undefined, outputFormat: undefined } };
}

function gptImage(body: Readonly<Record<string, unknown>>, fields: Record<string, unknown>, provider: ResolvedProvider, model: string, size: unknown): ModelFields | LiveError {
  const fixedSizes = /^gpt-image-1(\.|-|$)/.test(model);
  if (fixedSizes && typeof size === 'string' && !GPT_IMAGE_1_SIZES.includes(size)) return enumError('size', size, GPT_IMAGE_1_SIZES)!;
  const bad =
    enumError('quality', body.quality, ['low', 'medium', 'high', 'auto']) ??
    enumError('background', body.background, ['transparent', 'opaque', 'auto']) ??
    enumError('output_format', body.output_format, ['png', 'webp', 'jpeg']) ??
    enumError('moderation', body.moderation, ['auto', 'low']) ??
    (body.input_fidelity === undefined ? undefined : enumError('input_fidelity', body.input_fidelity, ['high', 'low'])) ??
    intRangeError('output_compression', body.output_compression, 0, 100) ??
    intRangeError('partial_images', body.partial_images, 0, 3);
  if (bad !== undefined) return bad;
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean' && body.stream !== 'true' && body.stream !== 'false') {
    return err(`Invalid type for 'stream': expected a boolean, but got ${typeName(body.stream)} instead.`, 'stream', 'invalid_type');
  }
  if (body.stream === true || body.stream === 'true') {
    // An imgsim limit, not OpenAI's: said plainly rather than answered as if not streamed.
    return err('imgsim serve does not stream image events (partial images); send `stream: false` or leave it out.', 'stream', 'unsupported_value');
  }
  const outputFormat = typeof body.output_format === 'string' ? body.output_format : 'png';
  if (body.background === 'transparent' && outputFormat === 'jpeg') {
    return err('Transparent background requires output_format to be png or webp.', 'background', 'invalid_value');
  }
  const usedSize = typeof size === 'string' && size !== 'auto' ? size : provider.reference.size;
  const priced = setQuality(fields, body.quality, provider, usedSize);
  return {
    fields,
    shape: {
      family: 'gpt-image',
      quality: typeof body.quality === 'string' && body.quality !== 'auto' ? body.quality : gptQuality(priced),
      background: body.background === 'transparent' ? 'transparent' : 'opaque',
      outputFormat,
    },
  };
}

/** Puts the provider's name of the requested quality in `fields`; returns the quality priced. */
function setQuality(fields: Record<string, unknown>, quality: unknown, provider: ResolvedProvider, size: string): string | undefined {
  const offered = offeredQualities(provider, size);
  if (typeof quality !== 'string' || quality === 'auto') {
    delete fields.quality;
    return offered?.[0];
  }
  const mapped = providerQuality(quality, offered);
  fields.quality = mapped;
  return mapped;
}

/** gpt-image-1 output tokens per image by size and quality (OpenAI's published table). */
const GPT_IMAGE_OUTPUT_TOKENS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  '1024x1024': { low: 272, medium: 1056, high: 4160 },
  '1024x1536': { low: 408, medium: 1584, high: 6240 },
  '1536x1024': { low: 400, medium: 1568, high: 6208 },
};

/**
 * The output tokens OpenAI reports for one gpt-image image, for `usage` at a provider that does
 * not price by token: the published table, scaled by pixels from 1024x1024 for other sizes.
 * @param size - the image size
 * @param width - its width, px
 * @param height - its height, px
 * @param quality - `low`, `medium` or `high`
 * @returns tokens per image
 */
export function gptImageOutputTokens(size: string, width: number, height: number, quality: string | undefined): number {
  const q = quality ?? 'medium';
  const row = GPT_IMAGE_OUTPUT_TOKENS[size];
  const exact = row?.[q];
  if (exact !== undefined) return exact;
  const square = GPT_IMAGE_OUTPUT_TOKENS['1024x1024']![q] ?? GPT_IMAGE_OUTPUT_TOKENS['1024x1024']!.medium!;
  return Math.round((square * width * height) / (1024 * 1024));
}
