/**
 * The async (submit and poll) dialect, shaped like Replicate's predictions:
 * `POST /{provider}/v1/predictions` with `{ input: { prompt, ... } }` (or the fields at the top
 * level) answers 201 `{ id, status: 'starting' }`; `GET /{provider}/v1/predictions/{id}` answers
 * `starting` (queued), `processing` (holding a slot), `succeeded` with `output: [url]`, or
 * `failed` with an OpenAI-style `error` object.
 */
import type { CompiledPricing } from '../model/pricing/quote.js';
import { imageData, parseImageFields, type LiveError, type ParsedImageRequest } from './openai-dialect.js';

/** Predictions kept for polling; beyond this the oldest finished ones are forgotten. */
export const MAX_PREDICTIONS = 10_000;

/** A prediction's state. */
export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed';

/** One prediction as the server keeps it. */
export interface Prediction {
  readonly id: string;
  readonly provider: string;
  readonly request: ParsedImageRequest;
  /** Wall ISO time of submission. */
  readonly createdAt: string;
  status: PredictionStatus;
  startedAt: string | undefined;
  completedAt: string | undefined;
  output: string[] | undefined;
  error: { readonly message: string; readonly type: string; readonly code: string } | undefined;
  /** A misbehaviour the next poll after completion shows once (connection reset, malformed body). */
  pendingFault: 'reset' | 'malformed' | undefined;
  costUsd: number;
}

/**
 * Parses a prediction submission: `{ input: {...} }` or the fields at the top level; accepts
 * Replicate's `num_outputs`, `num_inference_steps`, `width` + `height` beside imgsim's names.
 * Predictions always answer with URLs.
 * @param body - parsed JSON body
 * @param compiled - the provider's compiled pricing
 * @param project - from `x-imgsim-project`, when sent
 * @returns the request, or the 400 to answer
 */
export function parsePredictionRequest(body: unknown, compiled: CompiledPricing, project: string | undefined): ParsedImageRequest | LiveError {
  let fields: unknown = body;
  if (typeof body === 'object' && body !== null && 'input' in body) fields = (body).input;
  if (typeof fields === 'object' && fields !== null && !Array.isArray(fields)) {
    const f = fields as Record<string, unknown>;
    if (f.size === undefined && typeof f.width === 'number' && typeof f.height === 'number') fields = { ...f, size: `${f.width}x${f.height}` };
    const rest = { ...(fields as Record<string, unknown>) };
    delete rest.width;
    delete rest.height;
    delete rest.response_format;
    fields = rest;
  }
  const parsed = parseImageFields(fields, compiled, project, { n: ['num_outputs', 'n'], steps: ['num_inference_steps', 'steps'] });
  return 'status' in parsed ? parsed : { ...parsed, responseFormat: 'url' };
}

/**
 * The JSON of a prediction, as a poll returns it.
 * @param p - the prediction
 * @param baseUrl - for the `urls.get` link
 * @returns the body
 */
export function predictionBody(p: Prediction, baseUrl: string): Record<string, unknown> {
  return {
    id: p.id,
    status: p.status,
    input: { prompt: p.request.prompt, size: p.request.request.size, n: p.request.n, tier: p.request.tier },
    created_at: p.createdAt,
    started_at: p.startedAt ?? null,
    completed_at: p.completedAt ?? null,
    output: p.output ?? null,
    error: p.error ?? null,
    urls: { get: `${baseUrl}/${p.provider}/v1/predictions/${p.id}` },
  };
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
