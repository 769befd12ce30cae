/**
 * How a logged attempt's outcome is read: from an outcome column (imgsim's kinds, or common
 * spellings), an error code, or an HTTP status, in that order of precedence. The mapping is
 * documented in docs/fit.md.
 */
import { OUTCOME_KINDS, type OutcomeKind } from '../scenario/schema.js';

/**
 * What a logged attempt was: an outcome kind, `cancelled` (a hedge loser or a client that hung
 * up: no answer to judge), or `client-error` (the request's own fault: 401, 404, 413, ...;
 * neither the provider's failure nor its success).
 */
export type FitOutcome = OutcomeKind | 'cancelled' | 'client-error';

const OUTCOME_WORDS: Readonly<Record<string, FitOutcome>> = {
  ...Object.fromEntries(OUTCOME_KINDS.map((k) => [k, k])),
  cancelled: 'cancelled',
  canceled: 'cancelled',
  ok: 'success',
  succeeded: 'success',
  successful: 'success',
  completed: 'success',
  complete: 'success',
  done: 'success',
  'server_error': 'server-error',
  'internal_error': 'server-error',
  'timed_out': 'timeout',
  'timed-out': 'timeout',
  'deadline_exceeded': 'timeout',
  'generation_failed': 'generative',
  'content_policy_violation': 'filtered',
  'content_filter': 'filtered',
  'moderation_blocked': 'filtered',
  blocked: 'filtered',
  nsfw: 'filtered',
  'rate_limited': 'rate-limited',
  'rate_limit_exceeded': 'rate-limited',
  'insufficient_quota': 'rate-limited',
  throttled: 'rate-limited',
  'server_overloaded': 'overloaded',
  'engine_overloaded': 'overloaded',
  unavailable: 'overloaded',
  'connection_reset': 'connection-reset',
  econnreset: 'connection-reset',
  'client_closed_request': 'cancelled',
};

/** Words that say only "it failed"; the status or code says how. */
const GENERIC_FAILURE = new Set(['failure', 'failed', 'error', 'fail']);

/**
 * Reads an HTTP status: 2xx success; 400 and 451 filtered (image APIs answer a content-policy
 * rejection with 400); 408, 504 and 524 timeout; 429 rate-limited; 499 cancelled; 503 and 529
 * overloaded; other 5xx server-error; other 4xx client-error.
 * @param status - the status code
 * @returns the outcome, or undefined for a status that is not an HTTP status
 */
export function outcomeOfStatus(status: number): FitOutcome | undefined {
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (status < 300) return 'success';
  if (status === 400 || status === 451) return 'filtered';
  if (status === 408 || status === 504 || status === 524) return 'timeout';
  if (status === 429) return 'rate-limited';
  if (status === 499) return 'cancelled';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server-error';
  return status >= 400 ? 'client-error' : 'success';
}

/** Normalises a word: lower case, trimmed, spaces as underscores. */
function word(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  const w = v.trim().toLowerCase().replace(/\s+/g, '_');
  return w === '' ? undefined : w;
}

/**
 * Classifies one logged attempt.
 * @param outcome - the outcome column's value, if any
 * @param status - the HTTP status column's value, if any (a number or a digit string)
 * @param code - the error code column's value, if any
 * @returns the outcome; with nothing to go on, `success` (a log that records no failures);
 *   undefined for an outcome word it does not know, with no status or code to decide
 */
export function classifyOutcome(outcome: unknown, status: unknown, code: unknown): FitOutcome | undefined {
  const o = word(outcome);
  if (o !== undefined && !GENERIC_FAILURE.has(o)) {
    const known = OUTCOME_WORDS[o];
    if (known !== undefined) return known;
    if (/^\d{3}$/.test(o)) return outcomeOfStatus(Number(o)) ?? 'server-error';
  }
  const c = word(code);
  if (c !== undefined) {
    const known = OUTCOME_WORDS[c];
    if (known !== undefined) return known;
    if (/^\d{3}$/.test(c)) {
      const byCode = outcomeOfStatus(Number(c));
      if (byCode !== undefined) return byCode;
    }
  }
  const s = typeof status === 'number' ? status : typeof status === 'string' && /^\s*\d{3}\s*$/.test(status) ? Number(status) : undefined;
  if (s !== undefined) {
    const byStatus = outcomeOfStatus(s);
    if (byStatus !== undefined && !(byStatus === 'success' && o !== undefined && GENERIC_FAILURE.has(o))) return byStatus;
  }
  if (o !== undefined && GENERIC_FAILURE.has(o)) return 'server-error';
  return o === undefined ? 'success' : undefined;
}

/** The outcome words {@link classifyOutcome} knows, for messages. */
export const KNOWN_OUTCOME_WORDS: readonly string[] = [...Object.keys(OUTCOME_WORDS), ...GENERIC_FAILURE];
