import { describe, expect, it } from 'vitest';
import { drawOutcome, failureTotal, type FailureProbabilities } from '../../src/model/failures.js';
import { rngFor } from '../../src/model/random.js';

// Dyadic probabilities so every cumulative boundary is exact in binary floating point:
// serverError [0, 1/16), timeout [1/16, 3/32), generative [3/32, 5/32), filtered [5/32, 3/16),
// connectionReset [3/16, 7/32), malformed [7/32, 1/4), success [1/4, 1).
const FAILURES: FailureProbabilities = {
  serverError: 1 / 16,
  timeout: 1 / 32,
  generative: 1 / 16,
  filtered: 1 / 32,
  connectionReset: 1 / 32,
  malformed: 1 / 32,
};
const EPS = 1e-12;

describe('drawOutcome', () => {
  it.each([
    [0, 'server-error'],
    [1 / 16 - EPS, 'server-error'],
    [1 / 16, 'timeout'],
    [3 / 32 - EPS, 'timeout'],
    [3 / 32, 'generative'],
    [5 / 32 - EPS, 'generative'],
    [5 / 32, 'filtered'],
    [3 / 16 - EPS, 'filtered'],
    [3 / 16, 'connection-reset'],
    [7 / 32 - EPS, 'connection-reset'],
    [7 / 32, 'server-error'], // malformed counts as a server error in simulated time
    [1 / 4 - EPS, 'server-error'],
    [1 / 4, 'success'],
    [1 - EPS, 'success'],
  ] as const)('maps u = %f to %s in simulated time', (u, expected) => {
    expect(drawOutcome(FAILURES, u)).toBe(expected);
  });

  it('returns malformed as its own kind in live mode', () => {
    expect(drawOutcome(FAILURES, 7 / 32, true)).toBe('malformed');
    expect(drawOutcome(FAILURES, 1 / 4 - EPS, true)).toBe('malformed');
    // Every other kind is the same in both modes.
    expect(drawOutcome(FAILURES, 0, true)).toBe('server-error');
    expect(drawOutcome(FAILURES, 3 / 16, true)).toBe('connection-reset');
    expect(drawOutcome(FAILURES, 1 / 4, true)).toBe('success');
  });

  it('always succeeds with no failure probabilities', () => {
    const none: FailureProbabilities = { serverError: 0, timeout: 0, generative: 0, filtered: 0, connectionReset: 0, malformed: 0 };
    expect(drawOutcome(none, 0)).toBe('success');
    expect(drawOutcome(none, 0.5)).toBe('success');
  });

  it('crowds out the kinds late in the order when probabilities sum above 1', () => {
    // serverError 0.7 + timeout 0.6: u in [0.7, 1) is a timeout, nothing is left for generative.
    const over: FailureProbabilities = { serverError: 0.7, timeout: 0.6, generative: 0.5, filtered: 0, connectionReset: 0, malformed: 0 };
    expect(drawOutcome(over, 0.69)).toBe('server-error');
    expect(drawOutcome(over, 0.99)).toBe('timeout');
  });

  it('draws each kind about as often as its probability', () => {
    // 200,000 draws: a kind with p = 1/16 has sd √(p(1−p)/n) ≈ 0.00054; allow 0.004.
    const rng = rngFor(9, 'failures-test');
    const counts = new Map<string, number>();
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const kind = drawOutcome(FAILURES, rng.next(), true);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const freq = (k: string): number => (counts.get(k) ?? 0) / n;
    expect(Math.abs(freq('server-error') - 1 / 16)).toBeLessThan(0.004);
    expect(Math.abs(freq('timeout') - 1 / 32)).toBeLessThan(0.004);
    expect(Math.abs(freq('generative') - 1 / 16)).toBeLessThan(0.004);
    expect(Math.abs(freq('filtered') - 1 / 32)).toBeLessThan(0.004);
    expect(Math.abs(freq('connection-reset') - 1 / 32)).toBeLessThan(0.004);
    expect(Math.abs(freq('malformed') - 1 / 32)).toBeLessThan(0.004);
    // success = 1 − 1/4 = 0.75
    expect(Math.abs(freq('success') - 0.75)).toBeLessThan(0.004);
  });
});

describe('failureTotal', () => {
  it('sums the six probabilities', () => {
    // 1/16 + 1/32 + 1/16 + 1/32 + 1/32 + 1/32 = 8/32 = 0.25
    expect(failureTotal(FAILURES)).toBe(0.25);
  });

  it('caps the total at 1', () => {
    expect(failureTotal({ serverError: 0.7, timeout: 0.6, generative: 0, filtered: 0, connectionReset: 0, malformed: 0 })).toBe(1);
  });
});
