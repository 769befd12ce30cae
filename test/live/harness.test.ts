/**
 * The live harness against a real `imgsim serve` on 127.0.0.1 (port 0), with real fetch.
 *
 * Scenario arithmetic: uniform arrivals at 100/s for 2 s of simulated time = 200 requests, each
 * the reference request (1024x1024, 30 steps), so every price is the provider's flat price:
 * - alpha: $0.01 per image, fixed 200 ms; beta: $0.04 per image, fixed 100 ms; no failures;
 * - `cheapest` sends all 200 to alpha: 200 × 0.01 = $2.00;
 * - `beta-first` (failover [beta, alpha]) sends all 200 to beta: 200 × 0.04 = $8.00.
 * At timeScale 0.1 a pass takes about 2 s × 0.1 = 200 ms of wall time.
 */
import http from 'node:http';
import path from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import { startServer } from '../../src/live/server.js';
import type { AttemptOutcome } from '../../src/routing/strategy.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ScenarioInput } from '../../src/scenario/schema.js';
import { simulate } from '../../src/sim/run.js';

const TIME_SCALE = 0.1;
const HEDGE_TIME_SCALE = 0.5;
const FILE = path.join(tmpdir(), 'imgsim-live-test.yaml');

const twoProviders: ScenarioInput = {
  version: 1,
  name: 'live-harness',
  seed: 3,
  start: '2026-06-01T00:00:00Z',
  duration: '2s',
  providers: [
    {
      id: 'alpha',
      pricing: { model: 'per-image', price: 0.01 },
      tiers: { standard: { latency: { dist: 'fixed', value: '200ms' } } },
      capacity: { concurrency: 1000, queue: 1000 },
    },
    {
      id: 'beta',
      pricing: { model: 'per-image', price: 0.04 },
      tiers: { standard: { latency: { dist: 'fixed', value: '100ms' } } },
      capacity: { concurrency: 1000, queue: 1000 },
    },
  ],
  traffic: { arrivals: { process: 'uniform', rate: '100/s' }, mix: [{ name: 'ref', project: 'app' }] },
  strategies: ['cheapest', { use: 'failover', name: 'beta-first', order: ['beta', 'alpha'] }],
};

describe('runLive against imgsim serve', () => {
  const scenario = scenarioFromObject(twoProviders, FILE);
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(scenario, { port: 0, timeScale: TIME_SCALE });
  });
  afterAll(async () => {
    await server.close();
  });

  it('accounts for every request, costs what the ledger billed, and agrees with simulate()', async () => {
    const live = await runLive(scenario, { serverUrl: server.url, timeScale: TIME_SCALE, requests: 200 });
    expect(live.mode).toBe('live');
    expect(live.scenario).toBe('live-harness');
    expect(live.strategies.map((s) => s.name)).toEqual(['cheapest', 'beta-first']);
    for (const s of live.strategies) {
      expect(s.requests.total).toBe(200);
      expect(s.requests.succeeded + s.requests.failed + s.requests.rejected).toBe(200);
      expect(s.requests.succeeded).toBe(200);
      const perProvider = Object.values(s.providers).reduce((n, p) => n + p.attempts, 0);
      expect(perProvider).toBe(s.attempts.total);
      // Latency runs from the intended send time: never below the emulated service time.
      expect(s.latencyMs.p50).toBeGreaterThanOrEqual(s.name === 'cheapest' ? 200 : 100);
    }

    // The ledger holds the last pass (it is reset before each): beta-first, 200 × $0.04.
    const ledger = (await (await fetch(`${server.url}/_imgsim/ledger`)).json()) as { totals: { costUsd: number } };
    const last = live.strategies[1]!;
    expect(last.cost.total).toBeCloseTo(ledger.totals.costUsd, 9);
    expect(last.cost.total).toBeCloseTo(8, 9);

    const sim = await simulate(scenario);
    const byCost = (r: typeof live): string[] => [...r.strategies].sort((a, b) => a.cost.total - b.cost.total).map((s) => s.name);
    expect(byCost(live)).toEqual(byCost(sim));
    for (const s of sim.strategies) {
      const l = live.strategies.find((x) => x.name === s.name)!;
      expect(Math.abs(l.cost.total - s.cost.total) / s.cost.total).toBeLessThan(0.02);
    }
  });

  it('hedges: after 100 ms the fast provider wins and the slow attempt is cancelled', async () => {
    // cheapest ranks alpha first, here slowed to 3 s; the hedge goes to beta at 100 ms and
    // answers at 100 + 100 = 200 ms, well before alpha's 3 s (280 ms of wall time to spare:
    // room for a cold in-process server), so every request ends at beta and every alpha
    // attempt is cancelled.
    const [alpha, beta] = twoProviders.providers;
    const hedged = scenarioFromObject(
      {
        ...twoProviders,
        providers: [{ ...alpha!, tiers: { standard: { latency: { dist: 'fixed', value: '3s' } } } }, beta!],
        // 20/s = 200 wall requests/s: each cancelled loser costs its connection (an aborted
        // fetch closes the socket), so hedging at 100/s saturated a 2-core box.
        traffic: { arrivals: { process: 'uniform', rate: '20/s' }, mix: [{ name: 'ref', project: 'app' }] },
        strategies: [{ use: 'hedged', base: 'cheapest', delay: '100ms' }],
      },
      FILE,
    );
    // Its own server: the server's providers must be the scenario's.
    // Slower than the other tests: alpha's 3 s is 1.5 s of wall time, so even a loaded machine
    // that stalls the event loop for a second cannot let alpha answer before the hedge is sent.
    const own = await startServer(hedged, { port: 0, timeScale: HEDGE_TIME_SCALE });
    let live;
    let ledger: { totals: { costUsd: number } };
    try {
      live = await runLive(hedged, { serverUrl: own.url, timeScale: HEDGE_TIME_SCALE, requests: 40 });
      ledger = (await (await fetch(`${own.url}/_imgsim/ledger`)).json()) as { totals: { costUsd: number } };
    } finally {
      await own.close();
    }
    const s = live.strategies[0]!;
    expect(s.requests.succeeded).toBe(40);
    expect(s.attempts.hedges).toBe(40);
    expect(s.providers.beta!.succeeded).toBe(40);
    expect(s.providers.alpha!.outcomes.cancelled).toBe(40);
    // Hedge delay + beta = 200 ms; without the hedge every answer would take alpha's 3 s. The
    // upper bound is alpha's latency, not 200 ms plus a margin: wall-clock delays on a loaded
    // machine are multiplied by 1 / HEDGE_TIME_SCALE in simulated time.
    expect(s.latencyMs.p50).toBeGreaterThanOrEqual(200);
    expect(s.latencyMs.p50).toBeLessThan(3000);
    expect(s.cost.total).toBeCloseTo(ledger.totals.costUsd, 9);
  });

  it('sends everything to a gateway target with model = the candidate, costed from the ledger', async () => {
    // A minimal gateway: /v1/images/generations forwarded to the provider named by `model`.
    const gateway = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const model = (JSON.parse(body) as { model: string }).model;
        fetch(`${server.url}/${model}/v1/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer imgsim' }, body })
          .then(async (up) => {
            res.writeHead(up.status, { 'content-type': 'application/json' });
            res.end(await up.text());
          })
          .catch(() => res.destroy());
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const port = (gateway.address() as { port: number }).port;
    try {
      const live = await runLive(scenario, { serverUrl: server.url, target: `http://127.0.0.1:${port}`, timeScale: TIME_SCALE, requests: 100 });
      const [cheapest, betaFirst] = live.strategies;
      // The gateway forwards no cost header: the cost is the ledger's, 100 × $0.01 and 100 × $0.04.
      expect(cheapest!.cost.total).toBeCloseTo(1, 9);
      expect(betaFirst!.cost.total).toBeCloseTo(4, 9);
      expect(betaFirst!.cost.byProject).toEqual({ app: expect.closeTo(4, 9) });
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  });

  it('rejects arrivals beyond the concurrency limit as client-overload, still counted', async () => {
    // 100/s with 200 ms answers keeps about 20 open; a limit of 5 turns most arrivals away.
    const live = await runLive(scenario, { serverUrl: server.url, timeScale: TIME_SCALE, requests: 100, strategies: ['cheapest'], concurrencyLimit: 5 });
    const s = live.strategies[0]!;
    expect(s.requests.total).toBe(100);
    expect(s.requests.rejected).toBeGreaterThan(50);
    expect(s.failures['client-overload']).toBe(s.requests.rejected);
    expect(s.requests.succeeded + s.requests.rejected).toBe(100);
  });

  it('runs one pass per named strategy and stops at `requests`', async () => {
    const live = await runLive(scenario, { serverUrl: server.url, timeScale: TIME_SCALE, requests: 50, strategies: ['cheapest'] });
    expect(live.strategies).toHaveLength(1);
    expect(live.strategies[0]!.requests.total).toBe(50);
    // 50 requests at 100/s: the 51st would have arrived 500 ms in.
    expect(live.window.end).toBe('2026-06-01T00:00:00.500Z');
    expect(live.strategies[0]!.cost.total).toBeCloseTo(50 * 0.01, 9);
  });
});

describe('runLive and rate limits', () => {
  // One provider at 60 rpm with a burst of 1: a token a simulated second; 5 requests a second
  // for 4 s, so most first attempts get a 429 with Retry-After and are retried at the same
  // provider no earlier than it asked.
  const limited = scenarioFromObject(
    {
      version: 1,
      name: 'live-429',
      seed: 5,
      start: '2026-06-01T00:00:00Z',
      duration: '4s',
      providers: [
        {
          id: 'gamma',
          pricing: { model: 'per-image', price: 0.02 },
          tiers: { standard: { latency: { dist: 'fixed', value: '50ms' } } },
          rateLimit: { rpm: 60, burst: 1 },
          failures: { errorLatency: { dist: 'fixed', value: '20ms' } },
        },
      ],
      traffic: { arrivals: { process: 'uniform', rate: '5/s' }, mix: [{ name: 'ref', project: 'app' }] },
      strategies: ['cheapest'],
      policy: { maxAttempts: 8, backoff: { initial: '10ms', max: '20ms', jitter: false }, timeout: '30s' },
    },
    FILE,
  );
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer(limited, { port: 0, timeScale: TIME_SCALE });
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends the retry after a 429 no earlier than its Retry-After', async () => {
    const outcomes: AttemptOutcome[] = [];
    const report = await runLive(limited, {
      serverUrl: server.url,
      timeScale: TIME_SCALE,
      onAttempt: (o) => outcomes.push(o),
    });
    const s = report.strategies[0]!;
    expect(s.requests.total).toBe(20);
    expect(s.providers.gamma!.outcomes['rate-limited']).toBeGreaterThan(0);
    expect(s.attempts.recovered).toBeGreaterThan(0);
    const byRequest = new Map<number, AttemptOutcome[]>();
    for (const o of outcomes) byRequest.set(o.requestId, [...(byRequest.get(o.requestId) ?? []), o]);
    let checked = 0;
    for (const attempts of byRequest.values()) {
      attempts.sort((a, b) => a.attempt - b.attempt);
      for (let i = 1; i < attempts.length; i++) {
        const prev = attempts[i - 1]!;
        if (prev.kind !== 'rate-limited' || prev.retryAfterMs === undefined) continue;
        // Retry-After arrives as wall ms (retry-after-ms) and is turned back into simulated ms.
        expect(attempts[i]!.sentMs).toBeGreaterThanOrEqual(prev.endedMs + prev.retryAfterMs - 1e-6);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
