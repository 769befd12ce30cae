/**
 * fal's queue API as a second face of the async dialect's predictions, for the official
 * `@fal-ai/client` configured with `proxyUrl: { url: '{server}/{provider}/fal/proxy', when:
 * 'always' }`: the client sends every request to the proxy URL with the fal URL it meant in
 * `x-fal-target-url` (its documented proxy protocol), and `Authorization: Key <key>`. Served:
 * `POST queue.fal.run/{app}` (submit), `GET .../requests/{id}/status`, `GET .../requests/{id}`
 * (result), `PUT .../requests/{id}/cancel`, and `POST fal.run/{app}` (run and wait).
 */
import type { CompiledPricing } from '../model/pricing/quote.js';
import { imageFieldsOf, isFinal, predictionOutput, type Prediction, type PredictionRequest } from './async-dialect.js';
import { parseImageFields, type LiveError } from './openai-dialect.js';
import type { LiveHeaders, LiveResponse } from './protocol.js';

/** The header fal's proxy protocol carries the real target in. */
export const FAL_TARGET_HEADER = 'x-fal-target-url';

/** What a proxied fal request asks for. */
export type FalTarget =
  | { readonly op: 'submit'; readonly app: string }
  | { readonly op: 'run'; readonly app: string }
  | { readonly op: 'status' | 'result' | 'cancel'; readonly app: string; readonly requestId: string; readonly logs: boolean };

/** fal's `image_size` names (FLUX endpoints). */
const FAL_SIZES: Readonly<Record<string, string>> = {
  square_hd: '1024x1024',
  square: '512x512',
  portrait_4_3: '768x1024',
  portrait_16_9: '576x1024',
  landscape_4_3: '1024x768',
  landscape_16_9: '1024x576',
};

/** The HTTP method each operation takes, as the client sends it. */
const METHODS: Readonly<Record<FalTarget['op'], string>> = { submit: 'POST', run: 'POST', status: 'GET', result: 'GET', cancel: 'PUT' };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function falError(status: number, code: string, message: string, param?: string): LiveError {
  return { status, type: status === 401 ? 'authentication_error' : status >= 500 ? 'server_error' : 'invalid_request_error', code, message, ...(param === undefined ? {} : { param }) };
}

/**
 * Reads the target of a proxied request: `https://queue.fal.run/{app}[/requests/{id}[/status|/cancel]]`
 * or `https://fal.run/{app}`.
 * @param target - the `x-fal-target-url` header
 * @param method - the request's method
 * @returns the operation, or the error to answer
 */
export function parseFalTarget(target: string | undefined, method: string): FalTarget | LiveError {
  if (target === undefined || target === '') return falError(400, 'missing_target', `fal proxy requests carry the fal URL in \`${FAL_TARGET_HEADER}\`; configure the client with proxyUrl: { url, when: 'always' }.`);
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return falError(400, 'invalid_target', `\`${FAL_TARGET_HEADER}\` must be an absolute fal URL, got "${target}".`);
  }
  const segs = url.pathname.split('/').filter((s) => s !== '');
  const k = segs.indexOf('requests');
  let op: FalTarget;
  if (url.host === 'fal.run' && segs.length >= 2) op = { op: 'run', app: segs.join('/') };
  else if (url.host !== 'queue.fal.run' || segs.length < 2) return falError(400, 'invalid_target', `imgsim serves fal's queue (queue.fal.run/{app}) and fal.run/{app}; got ${url.host}${url.pathname}.`);
  else if (k < 0) op = { op: 'submit', app: segs.join('/') };
  else {
    const [requestId, ...rest] = segs.slice(k + 1);
    const sub = rest.join('/');
    const kind = sub === '' ? 'result' : sub === 'status' ? 'status' : sub === 'cancel' ? 'cancel' : undefined;
    if (requestId === undefined || kind === undefined || k < 2) {
      return falError(400, 'unsupported_target', `imgsim serves fal's requests/{id}, requests/{id}/status and requests/{id}/cancel (status streaming is not emulated: poll); got ${url.pathname}.`);
    }
    op = { op: kind, app: segs.slice(0, k).join('/'), requestId, logs: url.searchParams.get('logs') === '1' };
  }
  const allow = METHODS[op.op];
  if (method.toUpperCase() !== allow) return falError(405, 'method_not_allowed', `${method} is not allowed for a fal ${op.op}; use ${allow}.`);
  return op;
}

/**
 * Parses a fal submission (the input is the body): `prompt`, `image_size` (a name or
 * `{ width, height }`), `num_images`, `num_inference_steps`, and imgsim's fields. An app other
 * than the provider's `model` (when that names a fal app, `owner/...`) is a 404.
 * @param body - parsed JSON body
 * @param compiled - the provider's compiled pricing
 * @param project - from `x-imgsim-project`, when sent
 * @param app - the fal app id from the target URL
 * @returns the submission, or the error to answer
 */
export function parseFalRequest(body: unknown, compiled: CompiledPricing, project: string | undefined, app: string): PredictionRequest | LiveError {
  const pinned = compiled.provider.model;
  if (pinned !== undefined && /^[\w.-]+\/\S+$/.test(pinned) && pinned !== app) return falError(404, 'app_not_found', `Application "${app}" not found at this provider (it serves ${pinned}).`);
  if (!isRecord(body)) return falError(422, 'invalid_input', 'The request body must be a JSON object with at least a `prompt`.', 'prompt');
  const { image_size: imageSize, ...rest } = body;
  const input: Record<string, unknown> = { ...rest };
  if (typeof imageSize === 'string') {
    const size = FAL_SIZES[imageSize];
    if (size === undefined) return falError(422, 'invalid_input', `\`image_size\` must be one of ${Object.keys(FAL_SIZES).join(', ')} or { width, height }.`, 'image_size');
    input.size = size;
  } else if (isRecord(imageSize)) {
    input.width = imageSize.width;
    input.height = imageSize.height;
  } else if (imageSize !== undefined) return falError(422, 'invalid_input', '`image_size` must be a size name or { width, height }.', 'image_size');
  const picked = imageFieldsOf({ ...input, ...(rest.num_images === undefined ? {} : { n: rest.num_images }) });
  if ('status' in picked) return picked;
  const parsed = parseImageFields(picked.fields, compiled, project, { n: ['n'], steps: ['num_inference_steps', 'steps'] });
  if ('status' in parsed) return { ...parsed, status: 422, ...(parsed.param === 'n' ? { param: 'num_images', message: parsed.message.replace('`n`', '`num_images`') } : {}) };
  return { parsed: { ...parsed, responseFormat: 'url' }, input: body, model: app, version: null, singleOutput: false };
}

/**
 * An error in fal's shape: `{ detail }` (a 422's `detail` is FastAPI's list of
 * `{ loc, msg, type }`, which the client's `ValidationError.fieldErrors` reads), with imgsim's
 * OpenAI-style `error` object beside.
 * @param e - the error
 * @param headers - headers to send
 * @returns the response
 */
export function falErrorResponse(e: LiveError, headers: LiveHeaders = {}): LiveResponse {
  const detail = e.status === 422 ? [{ loc: ['body', e.param ?? 'prompt'], msg: e.message, type: e.code }] : e.message;
  return { kind: 'json', status: e.status, headers: { 'content-type': 'application/json', ...headers }, body: { detail, error: { message: e.message, type: e.type, code: e.code, param: e.param ?? null } } };
}

/** fal's status and response URLs name the app's `owner/alias` only. */
function requestUrl(app: string, id: string): string {
  return `https://queue.fal.run/${app.split('/').slice(0, 2).join('/')}/requests/${id}`;
}

/**
 * The answer to a queue submission.
 * @param p - the prediction
 * @returns `{ status: 'IN_QUEUE', request_id, response_url, status_url, cancel_url, queue_position }`
 */
export function falSubmitBody(p: Prediction): Record<string, unknown> {
  const url = requestUrl(p.model, p.id);
  return { status: 'IN_QUEUE', request_id: p.id, response_url: url, status_url: `${url}/status`, cancel_url: `${url}/cancel`, queue_position: 0 };
}

/**
 * The answer to a status poll: 202 `IN_QUEUE` / `IN_PROGRESS`, 200 `COMPLETED` (a failed or
 * canceled request is `COMPLETED` too, with its `error`; its result answers the error).
 * @param p - the prediction
 * @param logs - whether the client asked for logs
 * @returns status and body
 */
export function falStatus(p: Prediction, logs: boolean): { status: number; body: Record<string, unknown> } {
  const base = { request_id: p.id, response_url: requestUrl(p.model, p.id), logs: logs ? [] : null };
  if (p.status === 'starting') return { status: 202, body: { status: 'IN_QUEUE', queue_position: 0, ...base } };
  if (p.status === 'processing') return { status: 202, body: { status: 'IN_PROGRESS', ...base } };
  const body: Record<string, unknown> = { status: 'COMPLETED', ...base, metrics: p.predictTimeS === undefined ? {} : { inference_time: p.predictTimeS } };
  if (p.status !== 'succeeded') body.error = p.error?.message ?? 'The request was cancelled.';
  return { status: 200, body };
}

/**
 * The answer to a result request: the FLUX endpoints' body for a success
 * (`{ images: [{ url, width, height, content_type }], timings, seed, has_nsfw_concepts, prompt }`),
 * the error for a failure, 400 while the request is not done.
 * @param p - the prediction
 * @param baseUrl - where images are served
 * @param headers - headers to send
 * @returns the response
 */
export function falResultResponse(p: Prediction, baseUrl: string, headers: LiveHeaders): LiveResponse {
  if (!isFinal(p.status)) return falErrorResponse(falError(400, 'in_progress', 'Request is still in progress.'), headers);
  if (p.status === 'canceled') return falErrorResponse(falError(400, 'canceled', 'The request was cancelled.'), headers);
  if (p.status === 'failed') return falErrorResponse(p.error ?? falError(500, 'server_error', 'The request failed.'), headers);
  const { width, height } = p.parsed.request;
  const images = (p.output ?? predictionOutput(p.parsed, baseUrl)).map((url) => ({ url, width, height, content_type: 'image/png' }));
  const seed = typeof p.input.seed === 'number' ? p.input.seed : 0;
  const body = { images, timings: { inference: p.predictTimeS ?? 0 }, seed, has_nsfw_concepts: images.map(() => false), prompt: p.parsed.prompt };
  return { kind: 'json', status: 200, headers: { 'content-type': 'application/json', ...headers }, body };
}
