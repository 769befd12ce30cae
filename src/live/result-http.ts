/**
 * How a provider model's result reads over HTTP, the same in every dialect: the error of an
 * answer that is not a success, and the rate-limit headers (`x-ratelimit-*`, `retry-after`).
 *
 * Retry-After: the bucket's wait is simulated time; it is sent as wall time (wait × timeScale)
 * in `retry-after-ms` (exact, read first by the OpenAI SDKs) and in `retry-after` as whole
 * seconds, at least 1, as HTTP requires an integer.
 */
import type { LiveError } from './openai-dialect.js';
import type { LiveAttemptResult, RateLimitState } from './provider.js';

/**
 * `x-ratelimit-remaining-requests` without a rate limit: docs/contract.md §6 names the header on
 * every answer, so an unlimited account reports the largest 32-bit count instead of omitting it.
 */
const UNLIMITED_REMAINING = '2147483647';

/** `x-ratelimit-reset-requests` in OpenAI's style: `120ms`, `1.5s`. */
function formatResetMs(ms: number): string {
  return ms < 1000 ? `${Math.ceil(ms)}ms` : `${Number((ms / 1000).toFixed(3))}s`;
}

/**
 * The `x-ratelimit-*` headers of an account's bucket.
 * @param rl - the bucket now, or undefined when the account has no rate limit
 * @returns the headers
 */
export function rateLimitHeaders(rl: RateLimitState | undefined): Record<string, string> {
  if (rl === undefined) return { 'x-ratelimit-remaining-requests': UNLIMITED_REMAINING };
  return {
    'x-ratelimit-limit-requests': String(rl.limit),
    'x-ratelimit-remaining-requests': String(rl.remaining),
    'x-ratelimit-reset-requests': formatResetMs(rl.resetMs),
  };
}

/**
 * The HTTP error of a provider answer that is not a success.
 * @param r - the provider's result
 * @returns the error to answer
 */
export function errorFor(r: LiveAttemptResult): LiveError {
  switch (r.kind) {
    case 'rate-limited':
      return r.code === 'insufficient_quota'
        ? { status: 429, type: 'rate_limit_error', code: 'insufficient_quota', message: 'You exceeded your current quota for this period; wait for the next period or raise `quota.limit`.' }
        : { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests; retry after the time in the Retry-After header.' };
    case 'overloaded':
      return { status: 503, type: 'server_error', code: 'overloaded', message: 'The engine is currently overloaded; please try again later.' };
    case 'filtered':
      return { status: 400, type: 'invalid_request_error', code: 'content_policy_violation', message: 'Your request was rejected by the safety system.', param: 'prompt' };
    case 'generative':
      return { status: 500, type: 'server_error', code: 'generation_failed', message: 'Image generation failed; the result was unusable.' };
    case 'shutdown':
      return SHUTTING_DOWN;
    default:
      return { status: 500, type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.' };
  }
}

/** Which API's words a budget refusal takes. */
export type BudgetFace = 'openai' | 'replicate' | 'fal';

/**
 * The quota error of a request the budget refused (`budget.onExhausted: reject`), as each API
 * answers an account out of money: OpenAI's 429 `insufficient_quota` (the SDKs throw
 * `RateLimitError` with `code` and `type` `insufficient_quota`), Replicate's 402 "Insufficient
 * credit" (`{ title, detail, status }`; its client throws `ApiError`) and fal's 403 "User is
 * locked. Reason: Exhausted balance." (`{ detail }`; `ApiError` with status 403). The Replicate
 * and fal bodies also carry imgsim's `error` object, `code` `insufficient_quota`.
 */
export const BUDGET_EXHAUSTED: Readonly<Record<BudgetFace, LiveError>> = {
  openai: {
    status: 429,
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
  },
  replicate: {
    status: 402,
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    message: 'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait a few minutes before trying again.',
  },
  fal: { status: 403, type: 'insufficient_quota', code: 'insufficient_quota', message: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.' },
};

/**
 * The headers of a budget refusal: the request's own, the outcome `rejected` and its reason
 * (`x-imgsim-reason`: `budget` or `budget:<project>`), no cost, and the account's rate limit.
 * @param base - `x-request-id`, `x-imgsim-provider` (and the face's own)
 * @param tier - the request's tier
 * @param reason - the budget's reason
 * @param rl - the account's bucket now
 * @returns the headers
 */
export function budgetRefusalHeaders(base: Readonly<Record<string, string>>, tier: string, reason: string, rl: RateLimitState | undefined): Record<string, string> {
  return { ...base, 'x-imgsim-tier': tier, 'x-imgsim-outcome': 'rejected', 'x-imgsim-reason': reason, 'x-imgsim-cost-usd': '0', ...rateLimitHeaders(rl) };
}

/** The 503 of a request the server will not serve because it is closing. */
export const SHUTTING_DOWN: LiveError = { status: 503, type: 'server_error', code: 'server_shutting_down', message: 'The server is shutting down; retry elsewhere.' };

/**
 * Adds the rate-limit headers of an answer (`x-ratelimit-*`, and `retry-after` in whole seconds
 * with the exact `retry-after-ms` on a 429) to headers built in place.
 * @param headers - the answer's headers so far
 * @param result - the provider's result
 * @returns the same headers object
 */
export function limitHeaders(headers: Record<string, string>, result: LiveAttemptResult): Record<string, string> {
  const rl = result.rateLimit;
  if (rl === undefined) headers['x-ratelimit-remaining-requests'] = UNLIMITED_REMAINING;
  else {
    headers['x-ratelimit-limit-requests'] = String(rl.limit);
    headers['x-ratelimit-remaining-requests'] = String(rl.remaining);
    headers['x-ratelimit-reset-requests'] = formatResetMs(rl.resetMs);
  }
  if (result.retryAfterMs !== undefined) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.ceil(result.retryAfterMs));
  }
  return headers;
}
