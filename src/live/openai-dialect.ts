/**
 * The OpenAI Images API dialect: the request fields of `POST /v1/images/generations` (plus
 * imgsim's `steps`, `features`, `tier`, `validate`, `project`), their validation, the success
 * body, and the OpenAI error body every live error uses.
 */
import { promptTokens } from '../model/request.js';
import { refusal, type CompiledPricing } from '../model/pricing/quote.js';
import type { QuoteRequest } from '../model/pricing/types.js';
import { FEATURES, type Feature } from '../scenario/schema.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import { parseSize } from '../scenario/units.js';
import { pngForPrompt } from './png.js';
import type { LiveFile, LiveHeaders, LiveResponse } from './protocol.js';

/** Most images one request may ask for (OpenAI's limit). */
export const MAX_IMAGES_PER_REQUEST = 10;

/** OpenAI error types. */
export type LiveErrorType = 'invalid_request_error' | 'authentication_error' | 'rate_limit_error' | 'server_error' | 'not_found_error';

/** An error answer before it becomes a response. */
export interface LiveError {
  readonly status: number;
  readonly type: LiveErrorType;
  readonly code: string;
  readonly message: string;
  readonly param?: string;
}

/**
 * An OpenAI-style error response `{ error: { message, type, code, param } }`.
 * @param e - the error
 * @param headers - headers to send
 * @returns the response
 */
export function errorResponse(e: LiveError, headers: LiveHeaders = {}): LiveResponse {
  return {
    kind: 'json',
    status: e.status,
    headers: { 'content-type': 'application/json', ...headers },
    body: { error: { message: e.message, type: e.type, code: e.code, param: e.param ?? null } },
  };
}

/**
 * A 400 `invalid_request_error`.
 * @param message - what is wrong and what to send instead
 * @param param - the request field at fault
 * @param code - the error code
 * @returns the error
 */
export function invalid(message: string, param?: string, code = 'invalid_value'): LiveError {
  return { status: 400, type: 'invalid_request_error', code, message, ...(param === undefined ? {} : { param }) };
}

/** A validated image request, whichever dialect it came in. */
export interface ParsedImageRequest {
  readonly prompt: string;
  /** The request as pricing reads it (one image). */
  readonly request: QuoteRequest;
  readonly n: number;
  readonly tier: string;
  readonly project: string;
  readonly responseFormat: 'url' | 'b64_json';
}

/** Field names that differ between dialects. */
export interface FieldNames {
  readonly n: readonly string[];
  readonly steps: readonly string[];
}

const OPENAI_FIELDS: FieldNames = { n: ['n'], steps: ['steps'] };
/** Empty or white space only: what `trim() === ''` tests (`\s` and trim share one set), without a new string. */
const BLANK_RE = /^\s*$/;

/** `parseSize` results by size string (a few sizes repeat on every request); bounded. */
const sizeCache = new Map<string, ReturnType<typeof parseSize>>();

/** {@link parseSize}, memoised per string (results are immutable). */
function parseSizeCached(size: unknown): ReturnType<typeof parseSize> {
  if (typeof size !== 'string') return parseSize(size);
  let parsed = sizeCache.get(size);
  if (parsed === undefined) {
    parsed = parseSize(size);
    if (sizeCache.size >= 256) sizeCache.clear();
    sizeCache.set(size, parsed);
  }
  return parsed;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(fields: Record<string, unknown>, names: readonly string[]): [string, unknown] {
  for (const name of names) if (fields[name] !== undefined) return [name, fields[name]];
  return [names[0]!, undefined];
}

/**
 * Whether a provider answers OpenAI image requests in `b64_json` only (the gpt-image models).
 * @param provider - the provider
 * @returns true for a `model` starting with `gpt-image`
 */
export function alwaysBase64(provider: ResolvedProvider): boolean {
  return provider.model?.startsWith('gpt-image') ?? false;
}

/**
 * Validates the fields of an image request against a provider.
 * @param fields - the request fields (OpenAI body, or a prediction's `input`)
 * @param compiled - the provider's compiled pricing
 * @param project - the project from the header, when sent
 * @param names - field names of the dialect
 * @returns the request, or the 400 to answer
 */
export function parseImageFields(
  fields: unknown,
  compiled: CompiledPricing,
  project: string | undefined,
  names: FieldNames = OPENAI_FIELDS,
): ParsedImageRequest | LiveError {
  if (!isRecord(fields)) return invalid('The request body must be a JSON object with at least a `prompt`.');
  const provider = compiled.provider;
  const { prompt } = fields;
  if (typeof prompt !== 'string' || BLANK_RE.test(prompt)) return invalid('`prompt` must be a non-empty string.', 'prompt');

  const [nName, nRaw] = pick(fields, names.n);
  const n = nRaw ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_IMAGES_PER_REQUEST) {
    return invalid(`\`${nName}\` must be an integer from 1 to ${MAX_IMAGES_PER_REQUEST}.`, nName);
  }

  let size = fields.size ?? 'auto';
  if (size === 'auto') size = provider.reference.size;
  const parsedSize = parseSizeCached(size);
  if (typeof size !== 'string' || !('width' in parsedSize)) {
    return invalid('`size` must be `WIDTHxHEIGHT` such as 1024x1024, or `auto`.', 'size');
  }

  let quality = fields.quality;
  if (quality === 'auto') quality = undefined;
  if (quality !== undefined && (typeof quality !== 'string' || quality === '')) return invalid('`quality` must be a string such as `standard` or `hd`.', 'quality');

  const responseFormat = fields.response_format;
  if (responseFormat !== undefined && responseFormat !== 'url' && responseFormat !== 'b64_json') {
    return invalid('`response_format` must be `url` or `b64_json`.', 'response_format');
  }

  const [stepsName, stepsRaw] = pick(fields, names.steps);
  const steps = stepsRaw ?? provider.reference.steps;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) return invalid(`\`${stepsName}\` must be a positive integer.`, stepsName);

  const featuresRaw = fields.features ?? [];
  if (!Array.isArray(featuresRaw) || !featuresRaw.every((f): f is Feature => (FEATURES as readonly unknown[]).includes(f))) {
    return invalid(`\`features\` must be an array of: ${FEATURES.join(', ')}.`, 'features');
  }

  const tier = fields.tier ?? provider.defaultTier;
  if (typeof tier !== 'string') return invalid('`tier` must be a string naming one of the provider\'s tiers.', 'tier');

  const validate = fields.validate ?? false;
  if (typeof validate !== 'boolean') return invalid('`validate` must be true or false.', 'validate');

  const proj = fields.project ?? project ?? 'default';
  if (typeof proj !== 'string' || proj === '') return invalid('`project` must be a non-empty string.', 'project');

  const request: QuoteRequest = {
    size,
    width: parsedSize.width,
    height: parsedSize.height,
    steps,
    ...(typeof quality === 'string' ? { quality } : {}),
    features: featuresRaw,
    validate,
    promptChars: prompt.length,
  };
  const refused = refusal(compiled, request, tier);
  if (refused !== undefined) {
    const param = refused.code === 'steps' ? stepsName : refused.code === 'feature' ? 'features' : refused.code;
    return invalid(refused.reason, param, `unsupported_${refused.code}`);
  }
  return {
    prompt,
    request,
    n,
    tier,
    project: proj,
    responseFormat: alwaysBase64(provider) ? 'b64_json' : (responseFormat ?? 'url'),
  };
}

/**
 * Parses an OpenAI `POST /v1/images/generations` body.
 * @param body - parsed JSON body
 * @param compiled - the provider's compiled pricing
 * @param project - from `x-imgsim-project`, when sent
 * @returns the request, or the 400 to answer
 */
export function parseOpenAiRequest(body: unknown, compiled: CompiledPricing, project: string | undefined): ParsedImageRequest | LiveError {
  return parseImageFields(body, compiled, project, OPENAI_FIELDS);
}

/** Image types the edits endpoint accepts, as OpenAI's does. */
const EDIT_IMAGE_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp'];

function isFile(v: unknown): v is LiveFile {
  return isRecord(v) && v.file === true;
}

/** A multipart text field that holds an integer, as a number (anything else is passed on for the usual 400). */
function intField(v: unknown): unknown {
  return typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
}

/**
 * Parses an OpenAI `POST /v1/images/edits` body (`multipart/form-data`, as the SDKs send it):
 * `image` (or `image[]`, one or more files), optional `mask`, `prompt`, and the generation
 * fields as text. An edit is priced as a generation with the `inpainting` feature (plus any
 * `features` named), so a provider that does not offer inpainting answers 400.
 * @param body - the form fields
 * @param compiled - the provider's compiled pricing
 * @param project - from `x-imgsim-project`, when sent
 * @returns the request, or the 400 to answer
 */
export function parseOpenAiEditRequest(body: unknown, compiled: CompiledPricing, project: string | undefined): ParsedImageRequest | LiveError {
  if (!isRecord(body)) return invalid('Image edits take a multipart/form-data body with an `image` file, a `prompt` and optionally a `mask` file.');
  const images = [body.image, body['image[]']].flat().filter((v) => v !== undefined);
  if (images.length === 0) return invalid('`image` is required: the image to edit, as a file part.', 'image');
  for (const image of images) {
    if (!isFile(image)) return invalid('`image` must be a file part (PNG, JPEG or WebP), not text.', 'image');
    if (!EDIT_IMAGE_TYPES.includes(image.type)) return invalid(`\`image\` must be PNG, JPEG or WebP; got ${image.type === '' ? 'no content type' : image.type}.`, 'image');
    if (image.size === 0) return invalid('`image` is an empty file.', 'image');
  }
  const mask = body.mask;
  if (mask !== undefined && (!isFile(mask) || mask.type !== 'image/png')) return invalid('`mask` must be a PNG file part.', 'mask');
  const extra = [body.features, body['features[]']].flat().filter((v) => v !== undefined && v !== 'inpainting');
  const fields: Record<string, unknown> = {
    prompt: body.prompt,
    n: intField(body.n),
    size: body.size,
    quality: body.quality,
    response_format: body.response_format,
    steps: intField(body.steps),
    tier: body.tier,
    project: body.project,
    features: ['inpainting', ...extra],
  };
  return parseImageFields(fields, compiled, project, OPENAI_FIELDS);
}

/** `usage` of per-token providers. */
export interface ImageUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly total_tokens: number;
  readonly input_tokens_details: { readonly text_tokens: number; readonly image_tokens: number };
}

/**
 * The token usage of a request at a per-token provider.
 * @param provider - the provider
 * @param req - the request
 * @returns the usage, or undefined when the provider does not price by token
 */
export function usageFor(provider: ResolvedProvider, req: ParsedImageRequest): ImageUsage | undefined {
  const pricing = provider.pricing;
  if (pricing.model !== 'per-token') return undefined;
  const table = pricing.outputTokens[req.request.size] ?? {};
  const quality = req.request.quality ?? Object.keys(table)[0];
  const perImage = quality === undefined ? 0 : (table[quality] ?? 0);
  const input = promptTokens(req.request.promptChars);
  const output = perImage * req.n;
  return { input_tokens: input, output_tokens: output, total_tokens: input + output, input_tokens_details: { text_tokens: input, image_tokens: 0 } };
}

/**
 * The image entries of a success body: the prompt's PNG as base64 or as a URL.
 * @param req - the request
 * @param baseUrl - where `GET /_imgsim/images/<id>.png` is served
 * @returns one entry per image
 */
export function imageData(req: ParsedImageRequest, baseUrl: string): ({ b64_json: string } | { url: string })[] {
  const png = pngForPrompt(req.prompt);
  const out: ({ b64_json: string } | { url: string })[] = [];
  if (req.responseFormat === 'b64_json') for (let i = 0; i < req.n; i++) out.push({ b64_json: png.base64 });
  else {
    const url = `${baseUrl}/_imgsim/images/${png.id}.png`;
    for (let i = 0; i < req.n; i++) out.push({ url });
  }
  return out;
}

/**
 * The OpenAI success body.
 * @param provider - the provider
 * @param req - the request
 * @param createdS - unix seconds
 * @param baseUrl - for `url` answers
 * @returns the body
 */
export function openAiSuccessBody(provider: ResolvedProvider, req: ParsedImageRequest, createdS: number, baseUrl: string): Record<string, unknown> {
  const body: Record<string, unknown> = { created: createdS, data: imageData(req, baseUrl) };
  if (alwaysBase64(provider)) {
    body.output_format = 'png';
    body.size = req.request.size;
    if (req.request.quality !== undefined) body.quality = req.request.quality;
  }
  const usage = usageFor(provider, req);
  if (usage !== undefined) body.usage = usage;
  return body;
}

/**
 * `JSON.stringify(body)` of a body from {@link openAiSuccessBody}, written field by field: it
 * runs for every image answered, and base64 needs no escaping. Same text, byte for byte.
 * @param body - a success body, as {@link openAiSuccessBody} builds it
 * @returns its JSON text
 */
export function openAiSuccessJson(body: Record<string, unknown>): string {
  const data = body.data as ({ b64_json: string } | { url: string })[];
  const created = body.created;
  // A finite number's JSON text is its String() (JSON.stringify costs more for the same bytes).
  let out = `{"created":${typeof created === 'number' && Number.isFinite(created) ? String(created) : JSON.stringify(created)},"data":[`;
  for (let i = 0; i < data.length; i++) {
    const d = data[i]!;
    if (i > 0) out += ',';
    // Base64 is [A-Za-z0-9+/=]: nothing to escape. A URL may hold anything the base URL does.
    out += 'b64_json' in d ? `{"b64_json":"${d.b64_json}"}` : `{"url":${JSON.stringify(d.url)}}`;
  }
  out += ']';
  for (const key in body) {
    if (key === 'created' || key === 'data') continue;
    const value = body[key];
    if (value !== undefined) out += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return `${out}}`;
}

/**
 * A malformed body: the JSON text cut in half (no prefix of an object's JSON text parses).
 * @param body - the body that should have been sent
 * @returns invalid JSON text
 */
export function truncatedJson(body: unknown): string {
  const text = JSON.stringify(body);
  return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
}
