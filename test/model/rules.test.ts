/**
 * The provider model's rules (src/model/rules/): admission, the attempt draw, billing and SLO
 * membership, each checked against the contract's words (docs/scenario-reference.md
 * "Providers in simulated time", docs/contract.md §2.3) with values worked out by hand.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Account } from '../../src/model/account.js';
import { AvailabilityCurve } from '../../src/model/availability.js';
import type { ImageRequest } from '../../src/model/request.js';
import { admissionGate, answersWithoutSlot, placement, retryAfterMs } from '../../src/model/rules/admission.js';
import { billable, billableAbandoned, type BilledKind, type BillingRules } from '../../src/model/rules/billing.js';
import { AttemptDraws, type AttemptDraw } from '../../src/model/rules/draw.js';
import { interactiveBoundMs, sloDeadlineMs, withinSlo, type Slo } from '../../src/model/rules/slo.js';
import type { LiveFailureKind } from '../../src/model/failures.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import { ProviderRuntime } from '../../src/sim/provider-runtime.js';

const START = Date.parse('2026-06-01T00:00:00Z');

function provider(extra: Record<string, unknown>) {
  const s = scenarioFromObject(
    {
      version: 1,
      name: 'rules',
      seed: 5,
      start: '2026-06-01T00:00:00Z',
      duration: '1h',
      providers: [{ id: 'p', pricing: { model: 'per-image', price: 0.1 }, tiers: { standard: { latency: { dist: 'uniform', min: '1s', max: '3s' } } }, ...extra }],
      traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'a' }] },
    },
    path.resolve('test/fixtures/rules.yaml'),
  );
  return s.providers[0]!;
}

describe('admission', () => {
  it('refuses at a(t) = 0 as overloaded before taking a rate-limit token', () => {
    const account = new Account(provider({ rateLimit: { rpm: 60, burst: 1 } }), START);
    expect(admissionGate(account, 0, START)).toEqual({ kind: 'refused', outcome: 'overloaded', code: 'overloaded' });
    // The token is still there for the next attempt.
    expect(admissionGate(account, 1, START)).toEqual({ kind: 'open' });
  });

  it('refuses without a token, with Retry-After rounded up to whole seconds', () => {
    // 60 rpm, burst 1: one token a second.
    const account = new Account(provider({ rateLimit: { rpm: 60, burst: 1 } }), START);
    expect(admissionGate(account, 1, START).kind).toBe('open');
    expect(admissionGate(account, 1, START + 300)).toEqual({ kind: 'refused', outcome: 'rate-limited', code: 'rate_limit_exceeded', retryAfterMs: 1000 });
    expect(admissionGate(account, 1, START + 1000).kind).toBe('open');
    expect(retryAfterMs(1)).toBe(1000);
    expect(retryAfterMs(1000)).toBe(1000);
    expect(retryAfterMs(1001)).toBe(2000);
  });

  it('refuses a spent quota as rate-limited insufficient_quota, without Retry-After', () => {
    const account = new Account(provider({ quota: { limit: 0.2, period: '1h' } }), START);
    expect(admissionGate(account, 1, START).kind).toBe('open');
    account.addSpend(0.2, START);
    expect(admissionGate(account, 1, START + 1)).toEqual({ kind: 'refused', outcome: 'rate-limited', code: 'insufficient_quota' });
    // The next quota period opens again.
    expect(admissionGate(account, 1, START + 3_600_000).kind).toBe('open');
  });

  it('places work: a free slot of ⌊concurrency × a(t)⌋ (at least 1), else the queue, else overloaded', () => {
    expect(placement(3, 0, 4, 2, 1)).toBe('start');
    expect(placement(2, 0, 4, 2, 0.5)).toBe('queue'); // ⌊4 × 0.5⌋ = 2 slots, both busy
    expect(placement(0, 0, 4, 2, 0.1)).toBe('start'); // ⌊0.4⌋ = 0, but at least 1 while a > 0
    expect(placement(1, 0, 4, 2, 0.1)).toBe('queue');
    expect(placement(4, 1, 4, 2, 1)).toBe('queue');
    expect(placement(4, 2, 4, 2, 1)).toBe('overloaded');
    expect(placement(4, 0, 4, 0, 1)).toBe('overloaded');
  });

  it('answers server errors, filtered prompts and malformed bodies without a slot', () => {
    for (const k of ['server-error', 'filtered', 'malformed']) expect(answersWithoutSlot(k), k).toBe(true);
    for (const k of ['success', 'timeout', 'generative', 'connection-reset']) expect(answersWithoutSlot(k), k).toBe(false);
  });
});

describe('billing', () => {
  const none: BillingRules = { generative: false, filtered: false, serverError: false, timeout: false, connectionReset: false };
  const kinds: readonly BilledKind[] = ['success', 'server-error', 'timeout', 'generative', 'filtered', 'rate-limited', 'overloaded', 'connection-reset', 'malformed'];

  it('charges a success always, refusals never, each failure by its own switch', () => {
    const billedWith = (rules: BillingRules) => kinds.filter((k) => billable(k, rules));
    expect(billedWith(none)).toEqual(['success']);
    expect(billedWith({ ...none, generative: true })).toEqual(['success', 'generative']);
    expect(billedWith({ ...none, filtered: true })).toEqual(['success', 'filtered']);
    expect(billedWith({ ...none, timeout: true })).toEqual(['success', 'timeout']);
    expect(billedWith({ ...none, connectionReset: true })).toEqual(['success', 'connection-reset']);
    // A malformed body is a server error: billed with serverError, not otherwise.
    expect(billedWith({ ...none, serverError: true })).toEqual(['success', 'server-error', 'malformed']);
    expect(billedWith({ generative: true, filtered: true, serverError: true, timeout: true, connectionReset: true })).toEqual(kinds.filter((k) => k !== 'rate-limited' && k !== 'overloaded'));
  });

  it('charges work a client left per billing.timeout, a cancelled hedge loser as it was drawn', () => {
    expect(billableAbandoned('client-timeout', 'success', none)).toBe(false);
    expect(billableAbandoned('client-timeout', 'generative', { ...none, timeout: true })).toBe(true);
    expect(billableAbandoned('hedge-cancel', 'success', none)).toBe(true);
    expect(billableAbandoned('hedge-cancel', 'generative', none)).toBe(false);
    expect(billableAbandoned('hedge-cancel', 'generative', { ...none, generative: true })).toBe(true);
  });
});

describe('SLO membership', () => {
  const request = (over: Partial<ImageRequest>): ImageRequest => ({ id: 0, arrivalMs: START, urgency: 'interactive', ...over }) as ImageRequest;

  it('bounds interactive work by p95, else p99, p90, p50, else nothing', () => {
    expect(interactiveBoundMs({ interactive: { p50: 1000, p90: 2000, p95: 3000, p99: 4000 } })).toBe(3000);
    expect(interactiveBoundMs({ interactive: { p50: 1000, p90: 2000, p99: 4000 } })).toBe(4000);
    expect(interactiveBoundMs({ interactive: { p50: 1000, p90: 2000 } })).toBe(2000);
    expect(interactiveBoundMs({ interactive: { p50: 1000 } })).toBe(1000);
    expect(interactiveBoundMs({})).toBe(Infinity);
    const slo = { interactive: { p95: 3000 } } as Slo;
    expect(withinSlo(request({}), 3000, START + 3000, slo)).toBe(true);
    expect(withinSlo(request({}), 3001, START + 3001, slo)).toBe(false);
    expect(sloDeadlineMs(request({}), slo)).toBe(START + 3000);
  });

  it('bounds batch work by its own deadline, else arrival + slo.batch.deadline, and by slo.batch.p95 when set', () => {
    const slo = { batch: { deadline: 60_000, p95: 30_000 } } as Slo;
    const batch = request({ urgency: 'batch' });
    expect(withinSlo(batch, 30_000, START + 30_000, slo)).toBe(true);
    expect(withinSlo(batch, 30_001, START + 30_001, slo)).toBe(false); // past p95
    expect(sloDeadlineMs(batch, slo)).toBe(START + 30_000);
    const own = request({ urgency: 'batch', deadlineMs: START + 10_000 });
    expect(withinSlo(own, 10_001, START + 10_001, slo)).toBe(false); // past its own deadline
    expect(sloDeadlineMs(own, slo)).toBe(START + 10_000);
    const noP95 = { batch: { deadline: 60_000 } } as Slo;
    expect(withinSlo(batch, 59_000, START + 59_000, noP95)).toBe(true);
    expect(sloDeadlineMs(batch, noP95)).toBe(START + 60_000);
    expect(sloDeadlineMs(batch, {})).toBe(Infinity);
  });
});

describe('the attempt draw', () => {
  // Outcomes in order on [0, 1): serverError [0, .2), timeout [.2, .4), malformed [.4, .6), success.
  const p = provider({ failures: { serverError: 0.2, timeout: 0.2, malformed: 0.2, errorLatency: { dist: 'uniform', min: '10ms', max: '20ms' } } });
  const req = { steps: 30, width: 1024, height: 1024 };

  it('gives the simulator and live mode the same luck: a malformed draw is a server error to one, its own kind to the other, both fast', () => {
    const sim = new AttemptDraws(p, 9);
    const live = new AttemptDraws(p, 9);
    const a: AttemptDraw = { kind: 'success', ms: 0 };
    const b: AttemptDraw<LiveFailureKind | 'success'> = { kind: 'success', ms: 0 };
    const seen = new Set<string>();
    for (let id = 0; id < 400; id++) {
      sim.draw(id, 0, 0, req, a);
      live.drawLive(id, 0, 0, req, b);
      seen.add(b.kind);
      expect(a.ms).toBe(b.ms);
      expect(a.kind).toBe(b.kind === 'malformed' ? 'server-error' : b.kind);
      // Fast answers take the error latency; the rest a service time of the tier (1-3 s here).
      if (answersWithoutSlot(b.kind)) expect(b.ms >= 10 && b.ms <= 20).toBe(true);
      else expect(b.ms >= 1000 && b.ms <= 3000).toBe(true);
    }
    expect([...seen].sort()).toEqual(['malformed', 'server-error', 'success', 'timeout']);
  });

  it('keys draws by request and visit only: the same key gives the same draw whatever came before', () => {
    const d = new AttemptDraws(p, 9);
    const first: AttemptDraw = { kind: 'success', ms: 0 };
    const again: AttemptDraw = { kind: 'success', ms: 0 };
    d.draw(7, 1, 0, req, first);
    for (let id = 0; id < 50; id++) d.draw(id, 0, 0, req, again);
    d.draw(7, 1, 0, req, again);
    expect(again).toEqual(first);
    // A refused attempt's error latency is within errorLatency and the same for the same key.
    expect(d.refusedLatencyMs(7, 1)).toBe(d.refusedLatencyMs(7, 1));
    expect(d.refusedLatencyMs(7, 1)).toBeGreaterThanOrEqual(10);
    expect(d.refusedLatencyMs(7, 1)).toBeLessThanOrEqual(20);
  });

  it('is what the simulator\'s ProviderRuntime draws (stream provider/<id>)', () => {
    const account = new Account(p, START);
    const rt = new ProviderRuntime(p, new AvailabilityCurve(p.availability, 9, p.id, START), account, 9);
    const d = new AttemptDraws(p, 9);
    const a: AttemptDraw = { kind: 'success', ms: 0 };
    const b: AttemptDraw = { kind: 'success', ms: 0 };
    for (let id = 0; id < 50; id++) {
      rt.drawAttempt({ id, ...req } as ImageRequest, 2, 0, a);
      d.draw(id, 2, 0, req, b);
      expect(a).toEqual(b);
      expect(rt.refusedLatencyMs(id, 2)).toBe(d.refusedLatencyMs(id, 2));
    }
    // Another stream name is other luck.
    const other = new AttemptDraws(p, 9, 'live/p');
    let same = 0;
    for (let id = 0; id < 50; id++) {
      d.draw(id, 0, 0, req, a);
      other.draw(id, 0, 0, req, b);
      if (a.ms === b.ms) same++;
    }
    expect(same).toBe(0);
  });
});
