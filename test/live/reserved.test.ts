/**
 * Reserved capacity in live mode: the live provider asks the same rule as the simulator
 * (src/model/rules/reserved.ts). Three requests at one instant at a provider with 2 reserved
 * slots and a fixed 25 s service: the first two run on reserved slots at the marginal price, the
 * third overflows on demand at the on-demand price, or is refused with `overflow: none`.
 */
import { describe, expect, it } from 'vitest';
import { Account } from '../../src/model/account.js';
import { AvailabilityCurve } from '../../src/model/availability.js';
import { LiveProvider, type LiveAttemptResult, type LiveTimers } from '../../src/live/provider.js';
import type { QuoteRequest } from '../../src/model/pricing/types.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { reservedTrace, type ReservedInput } from '../_reserved.js';

/** Timers that run only when told to. */
function manualTimers(): LiveTimers & { runAll(): void } {
  let pending: (() => void)[] = [];
  return {
    set(fn) {
      pending.push(fn);
      return fn;
    },
    clear(handle) {
      pending = pending.filter((f) => f !== handle);
    },
    runAll() {
      while (pending.length > 0) {
        const now = pending;
        pending = [];
        for (const f of now) f();
      }
    },
  };
}

async function threeAtOnce(reserved: ReservedInput, images = 1): Promise<{ results: LiveAttemptResult[]; busyAfterSend: { reserved: number; onDemand: number } }> {
  const scenario = scenarioFromObject(reservedTrace(reserved));
  const spec = scenario.providers[0]!;
  const timers = manualTimers();
  const account = new Account(spec, scenario.startMs);
  const provider = new LiveProvider(spec, new AvailabilityCurve(spec.availability, 1, spec.id, scenario.startMs), () => account, { simNowMs: () => scenario.startMs, timeScale: 1, timers }, 1);
  const request: QuoteRequest = { size: '1024x1024', width: 1024, height: 1024, steps: 30, quality: undefined, features: [], validate: false, promptChars: 10, urgency: 'interactive' };
  const runs = [0, 1, 2].map((i) => provider.run({ request, n: images, tier: 'standard', atSimMs: scenario.startMs, drawKey: { requestId: i, visit: 0 } }));
  const busyAfterSend = { reserved: provider.reservedBusy, onDemand: provider.busy };
  timers.runAll();
  return { results: await Promise.all(runs), busyAfterSend };
}

describe('reserved capacity in live mode', () => {
  it('runs two requests on reserved slots at the marginal price and the third on demand', async () => {
    const { results, busyAfterSend } = await threeAtOnce({ slots: 2, feePerSlot: 100, perImage: 0.005 });
    expect(busyAfterSend).toEqual({ reserved: 2, onDemand: 1 });
    expect(results.map((r) => r.kind)).toEqual(['success', 'success', 'success']);
    expect(results.map((r) => r.costUsd)).toEqual([0.005, 0.005, 0.04]);
  });

  it('prices every image of a request: n = 3 on a reserved slot is 3 × $0.005', async () => {
    const { results } = await threeAtOnce({ slots: 2, feePerSlot: 100, perImage: 0.005 }, 3);
    expect(results[0]!.costUsd).toBeCloseTo(0.015, 12);
    expect(results[2]!.costUsd).toBeCloseTo(3 * 0.04, 12);
  });

  it('refuses the third as overloaded with overflow: none, unbilled', async () => {
    const { results, busyAfterSend } = await threeAtOnce({ slots: 2, feePerSlot: 100, overflow: 'none' });
    expect(busyAfterSend).toEqual({ reserved: 2, onDemand: 0 });
    expect(results.map((r) => r.kind)).toEqual(['success', 'success', 'overloaded']);
    expect(results.map((r) => r.costUsd)).toEqual([0, 0, 0]);
  });
});
