/**
 * imgsim's request fields as headers. A gateway forwards an OpenAI Images request's OpenAI
 * fields and drops the rest (Portkey 1.15.2 keeps `prompt, model, n, quality, response_format,
 * size, style, user`), but it can forward headers (Portkey's `forward_headers`, LiteLLM's
 * `forward_client_headers_to_llm_api`). So `imgsim live --target` sends `steps`, `features`,
 * `tier`, `validate` and (for batch work) `urgency` as `x-imgsim-*` headers too (`project` as `x-imgsim-project`, read where
 * the body is parsed), and serve reads them where the body lacks the field.
 */

import { FIELD_HEADERS as ALL_FIELD_HEADERS } from '../routing/forwarded.js';

/** The header of each imgsim field serve reads here when the body lacks it (`project` is read by the dialects). */
export const FIELD_HEADERS = {
  steps: ALL_FIELD_HEADERS.steps,
  features: ALL_FIELD_HEADERS.features,
  tier: ALL_FIELD_HEADERS.tier,
  validate: ALL_FIELD_HEADERS.validate,
  urgency: 'x-imgsim-urgency',
} as const;

/** The header that carries the request's project. */
export const PROJECT_HEADER = ALL_FIELD_HEADERS.project;

type Field = keyof typeof FIELD_HEADERS;
const FIELDS = Object.keys(FIELD_HEADERS) as Field[];

/**
 * A JSON body with the imgsim fields it lacks taken from their headers: `x-imgsim-steps: 50`,
 * `x-imgsim-features: controlnet,lora`, `x-imgsim-tier: turbo`, `x-imgsim-validate: true`. The
 * body wins where it has the field. A value that does not read as its type is passed on as text,
 * so the body's validation answers it with its usual 400.
 * @param body - the parsed JSON body
 * @param headers - the request headers, by lower-case name
 * @returns the body itself when no header adds anything, else a shallow copy with the fields added
 */
export function withFieldHeaders(body: unknown, headers: Readonly<Record<string, string | undefined>>): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const fields = body as Readonly<Record<string, unknown>>;
  let out: Record<string, unknown> | undefined;
  for (const field of FIELDS) {
    const value = headers[FIELD_HEADERS[field]];
    if (value === undefined || fields[field] !== undefined) continue;
    out ??= { ...fields };
    out[field] = fieldOfHeader(field, value.trim());
  }
  return out ?? body;
}

function fieldOfHeader(field: Field, value: string): unknown {
  switch (field) {
    case 'steps':
      return /^\d{1,9}$/.test(value) ? Number(value) : value;
    case 'features':
      return value === '' ? [] : value.split(',').map((f) => f.trim());
    case 'validate':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

/**
 * The `x-imgsim-*` headers of a request's imgsim fields, for a gateway to forward.
 * @param request - the fields
 * @param request.steps - diffusion steps
 * @param request.features - features asked for
 * @param request.tier - latency tier
 * @param request.validate - the validate flag
 * @param request.urgency - the urgency (a header only for batch work)
 * @param request.project - the project
 * @returns the headers, by lower-case name (no `features` header for none, no `project` header for an empty one)
 */
export function fieldHeaders(request: { steps: number; features: readonly string[]; tier: string; validate: boolean; urgency: string; project: string }): Record<string, string> {
  const headers: Record<string, string> = {
    [FIELD_HEADERS.steps]: String(request.steps),
    [FIELD_HEADERS.tier]: request.tier,
    [FIELD_HEADERS.validate]: String(request.validate),
  };
  if (request.project !== '') headers[PROJECT_HEADER] = request.project;
  if (request.urgency !== 'interactive') headers[FIELD_HEADERS.urgency] = request.urgency;
  if (request.features.length > 0) headers[FIELD_HEADERS.features] = request.features.join(',');
  return headers;
}
