/**
 * What reaches a provider through a gateway. A gateway forwards an OpenAI Images request's
 * OpenAI fields (`prompt`, `model`, `n`, `quality`, `response_format`, `size`, `style`, `user`
 * for Portkey 1.15.2) and drops imgsim's own (`steps`, `features`, `tier`, `validate`,
 * `project`); those reach `imgsim serve` only as the `x-imgsim-*` headers `imgsim live` also
 * sends, where the gateway forwards them. A field that reaches serve by neither way takes the
 * provider's default, and the attempt is priced so.
 */
import type { ImageRequest } from '../model/request.js';

/** The header that carries each imgsim field of a request (serve reads it where the body lacks the field). */
export const FIELD_HEADERS = {
  steps: 'x-imgsim-steps',
  features: 'x-imgsim-features',
  tier: 'x-imgsim-tier',
  validate: 'x-imgsim-validate',
  project: 'x-imgsim-project',
} as const;

/**
 * The request as a provider receives it through a gateway that forwards these headers: each
 * imgsim field whose header is not among them is the provider's default (its reference steps,
 * no features, no validation, project `default`, the provider's default tier).
 * @param request - the request as the client sent it
 * @param referenceSteps - the provider's reference steps (what serve assumes without `steps`)
 * @param forwarded - the header names the gateway forwards, lower case
 * @returns the request itself when every field gets through, else a copy with the same `id`
 */
export function forwardedRequest(request: ImageRequest, referenceSteps: number, forwarded: ReadonlySet<string>): ImageRequest {
  const keeps = (field: keyof typeof FIELD_HEADERS): boolean => forwarded.has(FIELD_HEADERS[field]);
  const steps = keeps('steps') ? request.steps : referenceSteps;
  const features = keeps('features') ? request.features : [];
  const validate = keeps('validate') && request.validate;
  const project = keeps('project') ? request.project : 'default';
  const tierKept = keeps('tier') || request.tier === undefined;
  if (steps === request.steps && features.length === request.features.length && validate === request.validate && project === request.project && tierKept) return request;
  const { tier, ...rest } = request;
  return { ...rest, steps, features, validate, project, ...(tierKept && tier !== undefined ? { tier } : {}) };
}
