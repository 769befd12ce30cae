// An emulated latency longer than a Node timer can hold (2^31 − 1 ms, about 24.8 days) must
// not answer early: Node fires such a timer after 1 ms (issue 15: `steps: 1e10` answered in
// 2 ms). vitest's fake timers do the same as Node with an over-long delay, so this test would
// see the early answer; with the chained timers the answer comes when the month is over.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LiveProviders } from '../../src/live/core.js';
import { MAX_TIMER_MS } from '../../src/live/provider.js';
import type { LiveRequest, LiveResponse } from '../../src/live/protocol.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const DAY_MS = 86_400_000;

function make(latency: string): LiveProviders {
  const scenario = scenarioFromObject({
    version: 1,
    name: 'long',
    seed: 1,
    start: '2026-06-01T00:00:00Z',
    providers: [{ id: 'slow', pricing: { model: 'per-image', price: 0.04 }, tiers: { standard: { latency: { dist: 'fixed', value: latency } } } }],
    traffic: { arrivals: { process: 'poisson', rate: 1 }, mix: [{ name: 'a' }] },
  });
  return new LiveProviders(scenario, { timeScale: 1, now: () => Date.now() });
}

const REQUEST: LiveRequest = {
  method: 'POST',
  path: '/slow/v1/images/generations',
  query: new URLSearchParams(),
  headers: { authorization: 'Bearer k' },
  body: { prompt: 'a lighthouse' },
};

afterEach(() => {
  vi.useRealTimers();
});

describe('emulated latencies beyond what a Node timer holds', () => {
  it('a 30-day latency at time scale 1 answers after 30 days, not after 1 ms', async () => {
    vi.useFakeTimers();
    const live = make('30d');
    let answer: LiveResponse | undefined;
    void live.handle(REQUEST).then((r) => (answer = r));
    // 30 days is beyond one timer: 30 × 86,400,000 = 2,592,000,000 > 2,147,483,647.
    expect(30 * DAY_MS).toBeGreaterThan(MAX_TIMER_MS);
    await vi.advanceTimersByTimeAsync(10);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(30 * DAY_MS - MAX_TIMER_MS - 20);
    expect(answer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(20);
    expect(answer?.kind === 'json' ? answer.status : answer?.kind).toBe(200);
    await live.close();
  });

  it('closing the server while such a request waits answers it 503 at once and leaves no timer', async () => {
    vi.useFakeTimers();
    const live = make('100d');
    let answer: LiveResponse | undefined;
    void live.handle(REQUEST).then((r) => (answer = r));
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1);
    expect(answer).toBeUndefined();
    await live.close();
    await vi.advanceTimersByTimeAsync(0);
    expect(answer?.kind === 'json' ? answer.status : answer?.kind).toBe(503);
    expect(vi.getTimerCount()).toBe(0);
  });
});
