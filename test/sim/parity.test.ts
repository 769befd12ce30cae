/**
 * Parity of the two clocks (issue 16): the same scenario, seed and traffic through the simulator
 * (`simulate` with an attempt log) and through the live provider code path (`LiveProvider`,
 * driven by a virtual clock: no sockets, no wall time) give the same outcome, the same bill and
 * the same answer time for every attempt, and the same totals per provider and credits account.
 *
 * The live side replays the simulator's attempts: each is sent at its logged instant with the
 * simulator's draw key (request id, visit to the provider) and abandoned at the policy's
 * timeout, as the simulated client abandons it. Everything the provider decides (admission,
 * rate limit, quota, queue, outcome, service time, price, billing) is computed by each side on
 * its own, so a rule changed on one side alone shows up here.
 *
 * Where the two cannot agree by construction, the scenario stays clear (docs/contract.md §2.3,
 * docs/scenario-reference.md "Live mode and simulated time"): a(t) is constant (the simulator
 * re-reads slots on a 60 s tick, live mode when a slot frees or, stalled, every simulated
 * minute); error latencies are shorter than the timeout (the simulator answers a fast failure at
 * min(error latency, timeout) with its kind, live mode's client has left by then); latencies are
 * continuous, so no two events share an instant (each side orders ties its own way).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveProviders } from '../../src/live/core.js';
import { LiveProvider, type LiveAttemptResult, type LiveTimers } from '../../src/live/provider.js';
import type { AttemptRecord } from '../../src/metrics/attempt-log.js';
import { Account } from '../../src/model/account.js';
import { AvailabilityCurve } from '../../src/model/availability.js';
import type { ImageRequest } from '../../src/model/request.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ResolvedScenario } from '../../src/scenario/resolve.js';
import { simulate } from '../../src/sim/run.js';
import { openTraffic } from '../../src/traffic/traffic.js';

const errorLatency = { dist: 'uniform', min: '50ms', max: '400ms' } as const;

/** Rules exercised: every failure kind (malformed billed as a server error), a rate limit, a small queue that fills, a quota, credits, compute-time pricing, timeouts. */
const SCENARIO = scenarioFromObject(
  {
    version: 1,
    name: 'parity',
    seed: 11,
    start: '2026-06-01T00:00:00Z',
    duration: '8m',
    providers: [
      {
        id: 'alpha',
        pricing: { model: 'per-step', base: 0.002, perStep: 0.001, billing: { serverError: true, timeout: true, filtered: true } },
        tiers: { standard: { latency: { dist: 'lognormal', median: '3s', p99: '14s' } } },
        capacity: { concurrency: 2, queue: 2 },
        rateLimit: { rpm: 60, burst: 3 },
        failures: { serverError: 0.04, timeout: 0.05, generative: 0.04, filtered: 0.03, connectionReset: 0.03, malformed: 0.06, errorLatency },
      },
      {
        id: 'beta',
        pricing: { model: 'compute-time', perSecond: 0.002, billing: { connectionReset: true } },
        tiers: { standard: { latency: { dist: 'gamma', mean: '4s', sd: '2s' } } },
        capacity: { concurrency: 3, queue: 1 },
        quota: { limit: 0.5, period: '1h' },
        failures: { serverError: 0.03, malformed: 0.05, timeout: 0.03, errorLatency },
      },
      {
        id: 'gamma',
        pricing: { model: 'credits', perImage: 3, bundles: [{ credits: 50, price: 0.9 }] },
        tiers: { standard: { latency: { dist: 'uniform', min: '1s', max: '9s' } } },
        capacity: { concurrency: 2, queue: 3 },
        failures: { generative: 0.05, malformed: 0.04, errorLatency },
      },
    ],
    traffic: { arrivals: { rate: '1/s' }, mix: [{ name: 'a', steps: { min: 20, max: 40 } }] },
    strategies: [{ use: 'failover', order: ['alpha', 'beta', 'gamma'] }],
    policy: { timeout: '8s', maxAttempts: 4, backoff: { initial: '300ms', max: '2s' } },
  },
  path.resolve('test/fixtures/parity.yaml'),
);

/** A clock the test advances: timers fire in time order, ties in the order they were set. */
class VirtualClock implements LiveTimers {
  now: number;
  private seq = 0;
  private readonly due: { at: number; seq: number; fn: () => void; live: boolean }[] = [];

  constructor(startMs: number) {
    this.now = startMs;
  }

  set(fn: () => void, wallMs: number): unknown {
    const t = { at: this.now + wallMs, seq: this.seq++, fn, live: true };
    this.due.push(t);
    return t;
  }

  clear(handle: unknown): void {
    (handle as { live: boolean }).live = false;
  }

  /** Runs every timer, earliest first (timers set while running included). */
  run(): void {
    for (;;) {
      let next = -1;
      for (let i = 0; i < this.due.length; i++) {
        const t = this.due[i]!;
        if (next < 0 || t.at < this.due[next]!.at || (t.at === this.due[next]!.at && t.seq < this.due[next]!.seq)) next = i;
      }
      if (next < 0) return;
      const [t] = this.due.splice(next, 1);
      if (!t!.live) continue;
      this.now = t!.at;
      t!.fn();
    }
  }
}

/** What the client of an attempt saw, in the simulator's terms. */
interface Seen {
  readonly key: string;
  readonly provider: string;
  readonly outcome: string;
  readonly costUsd: number;
  /** Send to answer, ms; undefined for a timeout (the live client has left). */
  readonly latencyMs: number | undefined;
}

function simSeen(r: AttemptRecord): Seen {
  return { key: `${r.requestId}/${r.attempt}`, provider: r.provider, outcome: r.outcome, costUsd: r.costUsd, latencyMs: r.outcome === 'timeout' ? undefined : r.latencyMs };
}

/** Live outcome → what the simulated client records: a client that left saw a timeout; a malformed body is a server error. */
function liveOutcome(kind: LiveAttemptResult['kind']): string {
  if (kind === 'aborted') return 'timeout';
  if (kind === 'malformed') return 'server-error';
  return kind;
}

/** Replays the simulator's attempts through one `LiveProvider` per provider. */
function replay(s: ResolvedScenario, records: readonly AttemptRecord[]): { seen: Seen[]; accounts: Map<string, Account>; malformed: number } {
  const clock = new VirtualClock(s.startMs);
  const accounts = new Map<string, Account>();
  const providers = new Map<string, LiveProvider>();
  for (const p of s.providers) {
    if (!accounts.has(p.account)) accounts.set(p.account, new Account(p, s.startMs));
    const curve = new AvailabilityCurve(p.availability, s.seed, p.id, s.startMs);
    providers.set(p.id, new LiveProvider(p, curve, () => accounts.get(p.account)!, { simNowMs: () => clock.now, timeScale: 1, timers: clock }, s.seed));
  }
  const requests = new Map<number, ImageRequest>();
  const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
  for (let r = source.next(); r !== undefined; r = source.next()) requests.set(r.id, r);
  source.close();

  const ordered = [...records].sort((a, b) => a.startMs - b.startMs || a.requestId - b.requestId || a.attempt - b.attempt);
  const visits = new Map<string, number>();
  const seen: Seen[] = [];
  let malformed = 0;
  for (const r of ordered) {
    const visitKey = `${r.requestId}/${r.provider}`;
    const visit = visits.get(visitKey) ?? 0;
    visits.set(visitKey, visit + 1);
    clock.set(() => {
      const client = new AbortController();
      const gone = clock.set(() => {
        client.abort();
      }, s.policy.timeout);
      const sentMs = clock.now;
      providers.get(r.provider)!.runWith(
        { request: requests.get(r.requestId)!, n: 1, tier: r.tier, signal: client.signal, atSimMs: sentMs, drawKey: { requestId: r.requestId, visit } },
        (result) => {
          clock.clear(gone);
          if (result.kind === 'malformed' && result.costUsd > 0) malformed++;
          const outcome = liveOutcome(result.kind);
          seen.push({ key: `${r.requestId}/${r.attempt}`, provider: r.provider, outcome, costUsd: result.costUsd, latencyMs: outcome === 'timeout' ? undefined : clock.now - sentMs });
        },
      );
    }, r.startMs - s.startMs);
  }
  clock.run();
  return { seen, accounts, malformed };
}

describe('parity of the simulator and the live provider', () => {
  it('gives every attempt the same outcome, bill and answer time, and every provider and credits account the same totals', async () => {
    const records: AttemptRecord[] = [];
    const report = await simulate(SCENARIO, { oracle: false, onAttempt: (r) => records.push({ ...r }) });
    const { seen, accounts, malformed } = replay(SCENARIO, records);

    const byKey = (a: Seen, b: Seen): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    const sim = records.map(simSeen).sort(byKey);
    const live = [...seen].sort(byKey);
    expect(live.length).toBe(sim.length);
    for (let i = 0; i < sim.length; i++) {
      const a = sim[i]!;
      const b = live[i]!;
      expect({ key: b.key, provider: b.provider, outcome: b.outcome }, `attempt ${a.key} at ${a.provider}`).toEqual({ key: a.key, provider: a.provider, outcome: a.outcome });
      expect(b.costUsd, `cost of attempt ${a.key} (${a.outcome} at ${a.provider})`).toBeCloseTo(a.costUsd, 12);
      if (a.latencyMs !== undefined) expect(b.latencyMs, `latency of attempt ${a.key} (${a.outcome} at ${a.provider})`).toBeCloseTo(a.latencyMs, 6);
    }

    const strategy = report.strategies[0]!;
    for (const p of SCENARIO.providers) {
      const liveCost = live.filter((x) => x.provider === p.id).reduce((sum, x) => sum + x.costUsd, 0);
      expect(liveCost, `cost at ${p.id}`).toBeCloseTo(strategy.providers[p.id]!.cost, 9);
    }
    const credits = accounts.get('gamma')!.ledger!.summary();
    expect({ bought: credits.bought, used: credits.used, cash: credits.cash }).toEqual({
      bought: strategy.credits.gamma!.bought,
      used: strategy.credits.gamma!.used,
      cash: strategy.credits.gamma!.cash,
    });

    // The scenario exercises the rules it is meant to: each of these happened at least once.
    const count = (f: (r: AttemptRecord) => boolean): number => records.filter(f).length;
    expect(count((r) => r.outcome === 'overloaded'), 'a full queue').toBeGreaterThan(0);
    expect(count((r) => r.outcome === 'rate-limited' && r.code === undefined), 'a rate limit').toBeGreaterThan(0);
    expect(count((r) => r.code === 'insufficient_quota'), 'a spent quota').toBeGreaterThan(0);
    expect(count((r) => r.outcome === 'timeout' && r.costUsd > 0), 'a billed timeout').toBeGreaterThan(0);
    expect(count((r) => r.outcome === 'timeout' && r.costUsd === 0), 'an unbilled timeout').toBeGreaterThan(0);
    for (const kind of ['success', 'server-error', 'generative', 'filtered', 'connection-reset']) expect(count((r) => r.outcome === kind), kind).toBeGreaterThan(0);
    expect(count((r) => r.provider === 'alpha' && r.outcome === 'server-error' && r.costUsd > 0), 'billed server errors (malformed among them)').toBeGreaterThan(0);
    expect(malformed, 'billed malformed answers (live)').toBeGreaterThan(0);
    expect(credits.used).toBeGreaterThan(0);
  });
});

/**
 * The budget (`onExhausted: reject`) as both modes apply it: one request a minute, each answered
 * before the next arrives, two projects (one capped), windows of 30 minutes. The simulator
 * refuses by `BudgetTracker.refusal` when it routes a request; `imgsim serve`'s core
 * (`LiveProviders`, on the virtual clock) refuses by the same rule when the request arrives,
 * holding the price of a request in flight — no request is in flight at an arrival here, so the
 * two must refuse exactly the same requests for the same reasons.
 */
const BUDGET_SCENARIO = scenarioFromObject(
  {
    version: 1,
    name: 'parity-budget',
    seed: 5,
    start: '2026-06-01T00:00:00Z',
    duration: '2h',
    providers: [{ id: 'lumen', pricing: { model: 'per-image', price: 0.01 }, tiers: { standard: { latency: { dist: 'fixed', value: '5s' } } } }],
    traffic: {
      arrivals: { process: 'uniform', rate: '1/m' },
      mix: [
        { name: 'app', weight: 1, size: '1024x1024', steps: 30, project: 'app' },
        { name: 'web', weight: 2, size: '1024x1024', steps: 30, project: 'web' },
      ],
    },
    policy: { timeout: '30s' },
    budget: { limit: 0.25, period: '30m', perProject: { app: 0.05 }, onExhausted: 'reject' },
  },
  path.resolve('test/fixtures/parity-budget.yaml'),
);

describe('parity of the simulator and live mode on the budget', () => {
  it('refuses the same requests for the same reasons, window after window', async () => {
    const s = BUDGET_SCENARIO;
    const attempted = new Set<number>();
    const report = await simulate(s, { oracle: false, onAttempt: (r) => attempted.add(r.requestId) });
    const simFailures = report.strategies[0]!.failures;

    const clock = new VirtualClock(s.startMs);
    const live = new LiveProviders(s, { timeScale: 1, now: () => clock.now, timers: clock });
    const served = new Set<number>();
    const reasons = new Map<string, number>();
    const source = openTraffic(s.traffic, s.seed, s.startMs, s.endMs);
    let total = 0;
    for (let r = source.next(); r !== undefined; r = source.next()) {
      const request = r;
      total++;
      clock.set(() => {
        const req = { method: 'POST', path: '/lumen/v1/images/generations', query: new URLSearchParams(), headers: { authorization: 'Bearer k' }, body: { prompt: 'x', size: request.size, steps: request.steps, project: request.project } };
        live.respond(
          req,
          (answer) => {
            if (answer.kind !== 'json') throw new Error(`request ${request.id}: ${answer.kind}`);
            if (answer.status === 200) served.add(request.id);
            else {
              const reason = answer.headers['x-imgsim-reason'] ?? `status ${answer.status}`;
              reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
            }
          },
          (err: unknown) => {
            throw err;
          },
        );
      }, request.arrivalMs - s.startMs);
    }
    source.close();
    clock.run();

    expect(served.size + [...reasons.values()].reduce((a, b) => a + b, 0)).toBe(total);
    expect([...served].sort((a, b) => a - b)).toEqual([...attempted].sort((a, b) => a - b));
    expect(Object.fromEntries(reasons)).toEqual({ budget: simFailures.budget, 'budget:app': simFailures['budget:app'] });
    // The scenario exercises what it is meant to: both refusals, in more than one window.
    expect(simFailures.budget).toBeGreaterThan(0);
    expect(simFailures['budget:app']).toBeGreaterThan(0);
    expect(live.ledgerSnapshot().budget?.heldUsd).toBe(0);
    await live.close();
  });
});
