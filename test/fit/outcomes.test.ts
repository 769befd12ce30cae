import { describe, expect, it } from 'vitest';
import { classifyOutcome, outcomeOfStatus } from '../../src/fit/outcomes.js';

describe('reading outcomes', () => {
  it.each([
    // [outcome, status, code, read as]
    ['success', 200, undefined, 'success'],
    ['generative', 500, 'generation_failed', 'generative'], // imgsim's own kinds win
    [undefined, 500, 'generation_failed', 'generative'], // then the code
    [undefined, 400, 'content_policy_violation', 'filtered'],
    [undefined, 429, undefined, 'rate-limited'],
    [undefined, '503', undefined, 'overloaded'],
    [undefined, 504, undefined, 'timeout'],
    [undefined, 502, undefined, 'server-error'],
    [undefined, 401, undefined, 'client-error'],
    [undefined, 499, undefined, 'cancelled'],
    ['failure', '500', undefined, 'server-error'], // LiteLLM: status failure, error_code 500
    ['failure', '400', undefined, 'filtered'],
    ['failure', undefined, undefined, 'server-error'],
    ['Succeeded', undefined, undefined, 'success'],
    [undefined, undefined, undefined, 'success'], // a log that records no failures
    ['sparkles', undefined, undefined, undefined], // unknown, nothing else to go on
    ['sparkles', 429, undefined, 'rate-limited'],
  ])('outcome %j, status %j, code %j → %s', (outcome, status, code, kind) => {
    expect(classifyOutcome(outcome, status, code)).toBe(kind);
  });

  it('maps every HTTP status class', () => {
    expect([201, 451, 408, 524, 529, 599, 404, 99].map(outcomeOfStatus)).toEqual(['success', 'filtered', 'timeout', 'timeout', 'overloaded', 'server-error', 'client-error', undefined]);
  });
});
