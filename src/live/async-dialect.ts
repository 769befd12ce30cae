/**
 * The async (submit and poll) dialect, shaped like Replicate's predictions API so that the
 * official `replicate` client works against it unmodified (base URL `{server}/{provider}/v1`):
 * `POST /predictions` (`{ version?, input }`), `POST /models/{owner}/{name}/predictions`,
 * `GET /predictions/{id}`, `POST /predictions/{id}/cancel`, `Prefer: wait[=N]`. A prediction is
 * `starting` (queued), `processing` (holding a slot), then `succeeded` with `output` (an array of
 * image URLs, or one URL for the models that answer one file), `failed` with an `error` string,
 * or `canceled`. Errors carry Replicate's `{ title, detail, status }` beside imgsim's OpenAI-style
 * `error` object. fal's queue API is a second face of the same predictions (fal-queue.ts).
 */
import type { CompiledPricing } from '../model/pricing/quote.js';
import { MAX_SIDE_PX } from '../scenario/limits.js';
import { imageData, parseImageFields, type LiveError, type ParsedImageRequest } from './openai-dialect.js';
import type { LiveHeaders, LiveResponse } from './protocol.js';

/** Predictions kept for polling; beyond this the oldest finished ones are forgotten. */
export const MAX_PREDICTIONS = 10_000;

/** Longest `Prefer: wait` hold, seconds (Replicate's default and maximum). */
export const MAX_WAIT_S = 60;

/** A prediction's state (Replicate's names). */
export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled';

/** A submission, validated: the image request plus what the prediction echoes. */
export interface PredictionRequest {
  readonly parsed: ParsedImageRequest;
  /** The `input` as the client sent it (Replicate echoes it). */
  readonly input: Record<string, unknown>;
  /** `owner/name` (or the provider's `model`, else its id). */
  readonly model: string;
  /** The version id; `hidden` for an official model run by name; null when none was named. */
  readonly version: string | null;
  /** The model answers one URL rather than an array. */
  readonly singleOutput: boolean;
}

/** One prediction as the server keeps it. */
export interface Prediction extends PredictionRequest {
  readonly id: string;
  readonly provider: string;
  /** Wall ISO time of submission. */
  readonly createdAt: string;
  status: PredictionStatus;
  startedAt: string | undefined;
  completedAt: string | undefined;
  /** Simulated seconds between start and completion (Replicate's `metrics.predict_time`). */
  predictTimeS: number | undefined;
  /** Simulated seconds between submission and completion (`metrics.total_time`). */
  totalTimeS: number | undefined;
  output: string[] | undefined;
  error: LiveError | undefined;
  /** A misbehaviour the next poll after completion shows once (connection reset, malformed body). */
  pendingFault: 'reset' | 'malformed' | undefined;
  costUsd: number;
  /** Aborted by a cancel: a queued prediction is dropped, a running one keeps its slot. */
  readonly controller: AbortController;
  /** The provider will never answer (a `timeout` failure): it stays `processing`. */
  stalled: boolean;
  /** Called once when the prediction reaches a final state or stalls (held `Prefer: wait` requests and fal runs). */
  waiters: (() => void)[];
}

/** A finished prediction: nothing more will change (but its cost, set when the provider answers). */
export function isFinal(status: PredictionStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

/**
 * Replicate models known to answer a single file URL rather than an array (their `output`
 * schema is one `uri`); every other model answers an array of `num_outputs` URLs.
 */
const SINGLE_OUTPUT_RE = /^(black-forest-labs\/flux-(pro|1\.1-pro|1\.1-pro-ultra|kontext-[a-z]+)|ideogram-ai\/|recraft-ai\/|google\/imagen-)/;

/** `aspect_ratio` → size, as FLUX on Replicate maps them (about one megapixel). */
const ASPECT_SIZES: Readonly<Record<string, string>> = {
  '1:1': '1024x1024',
  '16:9': '1344x768',
  '21:9': '1536x640',
  '3:2': '1216x832',
  '2:3': '832x1216',
  '4:5': '896x1088',
  '5:4': '1088x896',
  '3:4': '896x1152',
  '4:3': '1152x896',
  '9:16': '768x1344',
  '9:21': '640x1536',
};

/** A Replicate model id `owner/name`. */
const MODEL_ID_RE = /^[\w.-]+\/[\w.-]+$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The imgsim fields a prediction's input may carry (others are model inputs imgsim ignores, as Replicate ignores inputs a model does not declare). */
const IMAGE_FIELDS = ['prompt', 'size', 'quality', 'features', 'tier', 'validate', 'urgency', 'project', 'num_outputs', 'n', 'num_inference_steps', 'steps'] as const;

/**
 * The imgsim request fields of a prediction's input: `width` + `height` or `aspect_ratio` become
 * `size`; model inputs imgsim does not price (`seed`, `output_format`, `guidance`, ...) are left out.
 * @param input - the prediction's input
 * @returns `{ fields }`, or the error to answer
 */
export function imageFieldsOf(input: Record<string, unknown>): { readonly fields: Record<string, unknown> } | LiveError {
  const fields: Record<string, unknown> = {};
  for (const name of IMAGE_FIELDS) if (input[name] !== undefined) fields[name] = input[name];
  const ratio = input.aspect_ratio;
  if (fields.size === undefined && ratio !== undefined && ratio !== 'custom') {
    const size = typeof ratio === 'string' ? ASPECT_SIZES[ratio] : undefined;
    if (size === undefined) return validation(`\`aspect_ratio\` must be one of ${Object.keys(ASPECT_SIZES).join(', ')} or custom.`, 'aspect_ratio');
    fields.size = size;
  }
  if (fields.size === undefined && (input.width !== undefined || input.height !== undefined)) {
    const { width, height } = input;
    if (!Number.isInteger(width) || !Number.isInteger(height)) return validation('`width` and `height` must both be integers.', 'width');
    for (const [name, side] of [['width', width], ['height', height]] as const) {
      if ((side as number) < 1 || (side as number) > MAX_SIDE_PX) return validation(`\`${name}\` must be from 1 to ${MAX_SIDE_PX} px; got ${String(side)}.`, name);
    }
    fields.size = `${String(width)}x${String(height)}`;
  }
  return { fields };
}

function validation(message: string, param: string): LiveError {
  return { status: 422, type: 'invalid_request_error', code: 'invalid_input', message, param };
}

function notFoundModel(model: string): LiveError {
  return { status: 404, type: 'invalid_request_error', code: 'model_not_found', message: `The model "${model}" does not exist at this provider.` };
}

/**
 * Which model and version a submission names: the route's `owner/name` (an official model:
 * version `hidden`), else `version` (`owner/name:id`, `owner/name`, or a bare version id), else
 * the provider's `model`. A provider whose `model` is an `owner/name` id refuses other models (404).
 * @param body - the submission body
 * @param routeModel - `owner/name` from `/models/{owner}/{name}/predictions`
 * @param provider - the provider's `model` and id
 * @param provider.model - the provider's `model`, when set
 * @param provider.id - the provider's id
 * @returns model and version, or the error to answer
 */
export function modelOf(body: Record<string, unknown>, routeModel: string | undefined, provider: { readonly model?: string | undefined; readonly id: string }): { model: string; version: string | null } | LiveError {
  const pinned = provider.model !== undefined && MODEL_ID_RE.test(provider.model) ? provider.model : undefined;
  let model: string | undefined;
  let version: string | null = null;
  if (routeModel !== undefined) {
    model = routeModel;
    version = 'hidden';
  } else if (body.version !== undefined) {
    if (typeof body.version !== 'string' || body.version === '') return validation('`version` must be a version id, `owner/name` or `owner/name:version`.', 'version');
    const m = /^([^/:]+\/[^/:]+)(?::(.+))?$/.exec(body.version);
    if (m === null) version = body.version;
    else {
      model = m[1]!;
      version = m[2] ?? 'hidden';
    }
  }
  if (model !== undefined && pinned !== undefined && model !== pinned) return notFoundModel(model);
  return { model: model ?? provider.model ?? provider.id, version };
}

/**
 * Parses a prediction submission: `{ version?, input: {...} }` (or, as imgsim always accepted,
 * the fields at the top level); Replicate's `num_outputs`, `num_inference_steps`, `width` +
 * `height` and `aspect_ratio` beside imgsim's names. Invalid input is a 422, as Replicate answers.
 * @param body - parsed JSON body
 * @param compiled - the provider's compiled pricing
 * @param project - from `x-imgsim-project`, when sent
 * @param routeModel - `owner/name` when submitted to `/models/{owner}/{name}/predictions`
 * @returns the submission, or the error to answer
 */
export function parsePredictionRequest(body: unknown, compiled: CompiledPricing, project: string | undefined, routeModel?: string): PredictionRequest | LiveError {
  if (!isRecord(body)) return validation('The request body must be a JSON object: `{ "input": { "prompt": "..." } }`.', 'input');
  const input = 'input' in body ? body.input : body;
  if (!isRecord(input)) return validation('`input` must be an object with at least a `prompt`.', 'input');
  const named = modelOf(body, routeModel, compiled.provider);
  if ('status' in named) return named;
  const picked = imageFieldsOf(input);
  if ('status' in picked) return picked;
  const parsed = parseImageFields(picked.fields, compiled, project, { n: ['num_outputs', 'n'], steps: ['num_inference_steps', 'steps'] });
  if ('status' in parsed) return { ...parsed, status: 422 };
  const singleOutput = SINGLE_OUTPUT_RE.test(named.model);
  if (singleOutput && parsed.n > 1) return validation(`${named.model} answers one image per prediction; leave \`num_outputs\` out.`, 'num_outputs');
  return { parsed: { ...parsed, responseFormat: 'url' }, input, model: named.model, version: named.version, singleOutput };
}

/**
 * `Prefer: wait` (60 s) or `Prefer: wait=N` (N seconds, 1 to 60), as Replicate reads it.
 * @param header - the `prefer` header
 * @returns wall ms to hold the submission, or undefined without the preference
 */
export function preferWaitMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  for (const pref of header.split(',')) {
    const m = /^\s*wait\s*(?:=\s*"?(\d+)"?)?\s*$/i.exec(pref);
    if (m === null) continue;
    const s = m[1] === undefined ? MAX_WAIT_S : Math.min(MAX_WAIT_S, Math.max(1, Number(m[1])));
    return s * 1000;
  }
  return undefined;
}

/**
 * The JSON of a prediction, as Replicate answers it.
 * @param p - the prediction
 * @param baseUrl - where the server is reachable, for the absolute `urls`
 * @returns the body
 */
export function predictionBody(p: Prediction, baseUrl: string): Record<string, unknown> {
  const self = `${baseUrl}/${p.provider}/v1/predictions/${p.id}`;
  const output = p.status === 'succeeded' && p.output !== undefined ? (p.singleOutput ? (p.output[0] ?? null) : p.output) : null;
  return {
    id: p.id,
    model: p.model,
    version: p.version,
    input: p.input,
    logs: '',
    output,
    data_removed: false,
    error: p.error === undefined ? null : p.error.message,
    status: p.status,
    source: 'api',
    created_at: p.createdAt,
    started_at: p.startedAt ?? null,
    completed_at: p.completedAt ?? null,
    urls: { get: self, cancel: `${self}/cancel` },
    metrics: p.predictTimeS === undefined ? {} : { predict_time: p.predictTimeS, total_time: p.totalTimeS },
  };
}

/** Replicate's error titles by status. */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Unauthenticated',
  402: 'Insufficient credit',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  422: 'Input validation failed',
  429: 'Request was throttled',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/**
 * An error in Replicate's shape `{ title, detail, status }` (what the client prints in its
 * `ApiError`), with `invalid_fields` on a 422 and imgsim's OpenAI-style `error` object beside.
 * @param e - the error
 * @param headers - headers to send
 * @returns the response
 */
export function replicateErrorResponse(e: LiveError, headers: LiveHeaders = {}): LiveResponse {
  const body: Record<string, unknown> = { title: TITLES[e.status] ?? 'Error', detail: e.message, status: e.status };
  if (e.status === 422) body.invalid_fields = [{ type: e.code, field: `input.${e.param ?? ''}`.replace(/\.$/, ''), description: e.message }];
  body.error = { message: e.message, type: e.type, code: e.code, param: e.param ?? null };
  return { kind: 'json', status: e.status, headers: { 'content-type': 'application/json', ...headers }, body };
}

/**
 * The output URLs of a succeeded prediction.
 * @param req - the request
 * @param baseUrl - where images are served
 * @returns one URL per image
 */
export function predictionOutput(req: ParsedImageRequest, baseUrl: string): string[] {
  return imageData({ ...req, responseFormat: 'url' }, baseUrl).map((d) => ('url' in d ? d.url : ''));
}
