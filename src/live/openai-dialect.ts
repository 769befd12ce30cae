/**
 * The OpenAI Images API dialect: the request fields of `POST /v1/images/generations` (plus
 * imgsim's `steps`, `features`, `tier`, `validate`, `project`), their validation, the success
 * body, and the OpenAI error body every live error uses. What depends on the request's `model`
 * (gpt-image, dall-e-3, dall-e-2) lives in openai-models.ts.
 */
import { promptTokens } from '../model/request.js';
import { refusal, type CompiledPricing } from '../model/pricing/quote.js';
import type { QuoteRequest } from '../model/pricing/types.js';
import { FEATURES, type Feature } from '../scenario/schema.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import { MAX_SIDE_PX, MAX_STEPS } from '../scenario/limits.js';
import { isUnitError, parseSize, SIZE_TOO_LARGE } from '../scenario/units.js';
import { applyModelRules, gptImageOutputTokens, type OpenAiShape } from './openai-models.js';
import { pngForPrompt } from './png.js';
import type { LiveFile, LiveHeaders, LiveResponse } from './protocol.js';

/** Most images one request may ask for (OpenAI's limit). */
export const MAX_IMAGES_PER_REQUEST = 10;

/** OpenAI error types. */
export type LiveErrorType = 'invalid_request_error' | 'authentication_error' | 'rate_limit_error' | 'insufficient_quota' | 'server_error' | 'not_found_error';

/** An error answer before it becomes a response. */
export interface LiveError {
  readonly status: number;
  readonly type: LiveErrorType;
  /** The error's code, as the body sends it and the journal records it. */
  readonly code: string;
  /** Set where OpenAI's body says `code: null` (dall-e-3 with `n` > 1): `code` is then for the journal only. */
  readonly bodyCode?: null;
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
    body: { error: { message: e.message, type: e.type, code: e.bodyCode === null ? null : e.code, param: e.param ?? null } },
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
  /** The answer's shape for a request to an OpenAI model (openai-models.ts); undefined: generic. */
  readonly openai?: OpenAiShape;
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
 * Validates the fields of an image request against a provider.
 * @param fields - the request fields (OpenAI body, or a prediction's `input`)
 * @param compiled - the provider's compiled pricing
 * @param project - the project from the header, when sent
 * @param names - field names of the dialect
 * @param shape - the answer's shape when the request is for an OpenAI model (gpt-image: always `b64_json`)
 * @returns the request, or the 400 to answer
 */
export function parseImageFields(
  fields: unknown,
  compiled: CompiledPricing,
  project: string | undefined,
  names: FieldNames = OPENAI_FIELDS,
  shape?: OpenAiShape,
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
    if (typeof size === 'string' && isUnitError(parsedSize) && parsedSize.error === SIZE_TOO_LARGE) {
      return invalid(`\`size\` ${size} is too large: each side may be at most ${MAX_SIDE_PX} px (imgsim's limit).`, 'size', 'size_above_max_value');
    }
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
  if (steps > MAX_STEPS) {
    // OpenAI's wording for an integer above a field's maximum (openai-models.ts intRangeError).
    return invalid(`Invalid '${stepsName}': integer above maximum value. Expected a value <= ${MAX_STEPS}, but got ${String(steps)} instead.`, stepsName, 'integer_above_max_value');
  }

  const featuresRaw = fields.features ?? [];
  if (!Array.isArray(featuresRaw) || !featuresRaw.every((f): f is Feature => (FEATURES as readonly unknown[]).includes(f))) {
    return invalid(`\`features\` must be an array of: ${FEATURES.join(', ')}.`, 'features');
  }

  const tier = fields.tier ?? provider.defaultTier;
  if (typeof tier !== 'string') return invalid('`tier` must be a string naming one of the provider\'s tiers.', 'tier');

  const validate = fields.validate ?? false;
  if (typeof validate !== 'boolean') return invalid('`validate` must be true or false.', 'validate');

  // Off-peak windows and bundles limited by `appliesTo` read it; an imgsim extension like `validate`.
  const urgency = fields.urgency ?? 'interactive';
  if (urgency !== 'interactive' && urgency !== 'batch') return invalid('`urgency` must be `interactive` or `batch`.', 'urgency');

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
    urgency,
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
    responseFormat: shape?.family === 'gpt-image' ? 'b64_json' : (responseFormat ?? 'url'),
    ...(shape === undefined ? {} : { openai: shape }),
  };
}

/**
 * Parses an OpenAI `POST /v1/images/generations` body under the rules of its `model`
 * (openai-models.ts): unknown fields, model-specific fields and values, the pinned model.
 * @param body - parsed JSON body
 * @param compiled - the provider's compiled pricing
 * @param project - from `x-imgsim-project`, when sent
 * @returns the request, or the 400 (404 for another model than the provider's) to answer
 */
export function parseOpenAiRequest(body: unknown, compiled: CompiledPricing, project: string | undefined): ParsedImageRequest | LiveError {
  if (!isRecord(body)) return invalid('The request body must be a JSON object with at least a `prompt`.');
  const ruled = applyModelRules(body, compiled.provider, 'generations');
  if ('status' in ruled) return ruled;
  return parseImageFields(ruled.fields, compiled, project, OPENAI_FIELDS, ruled.shape);
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

/** A multipart text field that holds `true` or `false`, as a boolean. */
function boolField(v: unknown): unknown {
  return v === 'true' ? true : v === 'false' ? false : v;
}

/** Form fields whose text is an integer or a boolean (multipart has only strings). */
const INT_PARTS = ['n', 'steps', 'output_compression', 'partial_images'] as const;
const BOOL_PARTS = ['validate', 'stream'] as const;

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
  const typed: Record<string, unknown> = { ...body };
  for (const name of INT_PARTS) if (name in typed) typed[name] = intField(typed[name]);
  for (const name of BOOL_PARTS) if (name in typed) typed[name] = boolField(typed[name]);
  const ruled = applyModelRules(typed, compiled.provider, 'edits');
  if ('status' in ruled) return ruled;
  const f = ruled.fields;
  const extra = [f.features, f['features[]']].flat().filter((v) => v !== undefined && v !== 'inpainting');
  const fields: Record<string, unknown> = {
    prompt: f.prompt,
    n: f.n,
    size: f.size,
    quality: f.quality,
    response_format: f.response_format,
    steps: f.steps,
    tier: f.tier,
    validate: f.validate,
    urgency: f.urgency,
    project: f.project,
    features: ['inpainting', ...extra],
  };
  return parseImageFields(fields, compiled, project, OPENAI_FIELDS, ruled.shape);
}

/** `usage` of per-token providers. */
export interface ImageUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly total_tokens: number;
  readonly input_tokens_details: { readonly text_tokens: number; readonly image_tokens: number };
}

/**
 * The token usage of a request: at a per-token provider the tokens it priced; for a gpt-image
 * request elsewhere, the tokens OpenAI's table gives for its size and quality (cost still comes
 * from the provider's pricing).
 * @param provider - the provider
 * @param req - the request
 * @returns the usage, or undefined when neither applies
 */
export function usageFor(provider: ResolvedProvider, req: ParsedImageRequest): ImageUsage | undefined {
  const pricing = provider.pricing;
  let perImage: number;
  if (pricing.model === 'per-token') {
    const table = pricing.outputTokens[req.request.size] ?? {};
    const quality = req.request.quality ?? Object.keys(table)[0];
    perImage = quality === undefined ? 0 : (table[quality] ?? 0);
  } else if (req.openai?.family === 'gpt-image') {
    perImage = gptImageOutputTokens(req.request.size, req.request.width, req.request.height, req.openai.quality);
  } else return undefined;
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
export function imageData(req: ParsedImageRequest, baseUrl: string): ImageEntry[] {
  const png = pngForPrompt(req.prompt);
  const out: ImageEntry[] = [];
  // dall-e-3 rewrites every prompt and says how; the mock's rewrite is the prompt itself.
  const revised = req.openai?.family === 'dall-e-3' ? { revised_prompt: req.prompt } : undefined;
  if (req.responseFormat === 'b64_json') for (let i = 0; i < req.n; i++) out.push({ b64_json: png.base64, ...revised });
  else {
    const url = `${baseUrl}/_imgsim/images/${png.id}.png`;
    for (let i = 0; i < req.n; i++) out.push({ url, ...revised });
  }
  return out;
}

/** One image of a success body (`revised_prompt` for dall-e-3). */
export type ImageEntry = ({ b64_json: string } | { url: string }) & { revised_prompt?: string };

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
  const shape = req.openai;
  if (shape?.family === 'gpt-image') {
    body.background = shape.background;
    body.output_format = shape.outputFormat;
    body.quality = shape.quality;
    body.size = req.request.size;
  }
  // OpenAI reports usage for gpt-image only; a generic provider priced by token reports it too.
  if (shape === undefined || shape.family === 'gpt-image') {
    const usage = usageFor(provider, req);
    if (usage !== undefined) body.usage = usage;
  }
  return body;
}

/**
 * `JSON.stringify(body)` of a body from {@link openAiSuccessBody}, written field by field: it
 * runs for every image answered, and base64 needs no escaping. Same text, byte for byte.
 * @param body - a success body, as {@link openAiSuccessBody} builds it
 * @returns its JSON text
 */
export function openAiSuccessJson(body: Record<string, unknown>): string {
  const data = body.data as ImageEntry[];
  const created = body.created;
  // A finite number's JSON text is its String() (JSON.stringify costs more for the same bytes).
  let out = `{"created":${typeof created === 'number' && Number.isFinite(created) ? String(created) : JSON.stringify(created)},"data":[`;
  for (let i = 0; i < data.length; i++) {
    const d = data[i]!;
    if (i > 0) out += ',';
    // Base64 is [A-Za-z0-9+/=]: nothing to escape. A URL may hold anything the base URL does.
    out += 'b64_json' in d ? `{"b64_json":"${d.b64_json}"` : `{"url":${JSON.stringify(d.url)}`;
    out += d.revised_prompt === undefined ? '}' : `,"revised_prompt":${JSON.stringify(d.revised_prompt)}}`;
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
