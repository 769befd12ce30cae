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
