/**
 * The real Portkey gateway (@portkey-ai/gateway, open source, unmodified) in front of
 * `imgsim serve`, driven by the live harness with `target` and `x-portkey-config`, against the
 * same config simulated by the `portkey` strategy: the project's proof that a simulated gateway
 * predicts the real one.
 *
 * (a) Accounting: the live report, serve's ledger and serve's journal agree exactly (attempts
 *     and outcomes per provider, retries + failovers, successes, cost).
 * (b) Fidelity: provider shares, retries, failovers, success rate and cost per image of the
 *     real gateway agree with `simulate()` of the same config within four standard errors.
 *
 * Tolerances. Every compared figure is a sum over the N requests of the real pass of a
 * per-request value Y in [0, m] (m = 1 for a share, a failover or a success: binomial; m = 2
 * for retries, at most two per request here). Requests are independent (serve draws each
 * attempt's outcome independently; the gateway's loadbalance draws Math.random per request), so
 * Var(ΣY) = N·Var(Y) and Var(Y) = E[Y²] − E[Y]² ≤ m·E[Y] − E[Y]² (as Y² ≤ m·Y), equality for
 * m = 1. E[Y] is estimated from the simulator over N_SIM = 50·N requests, whose own error,
 * scaled to N, adds N²·Var(Y)/N_SIM. The bound is 4·sqrt(N·Var + N²·Var/N_SIM), with Var
 * floored at 1/N so that a figure the simulator never saw vary (100% success) still allows
 * about four requests either way: a correct
 * emulation fails it with probability below 1e-4 per figure (normal approximation). Cost per
 * image: only successes bill here (asserted exactly), so it is $0.01 + $0.03·f with f the
 * share of successes served by `steady`, binomial over the S successes.
 *
 * Time. Portkey's retry backoff (1 s, 2 s) is wall time, so serve and harness run at time
 * scale 1 with 40 ms answers: each pass is N / 100 per s plus the longest retry chain (3 s).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLive } from '../../src/live/harness.js';
import type { JournalEntry, LedgerSnapshot } from '../../src/live/ledger.js';
import { startServer } from '../../src/live/server.js';
import type { StrategyReport } from '../../src/metrics/report-types.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import type { ResolvedScenario } from '../../src/scenario/resolve.js';
import { simulate } from '../../src/sim/run.js';
import { startPortkeyGateway, type PortkeyGateway } from './_portkey-gateway.js';

/** Requests per real pass. */
const N = 400;
/** Simulated requests per strategy. */
const N_SIM = 50 * N;
/** Arrivals per second (uniform). */
const RATE = 100;
const PRICES = { flaky: 0.01, steady: 0.04 } as const;

const fixed = (value: string) => ({ dist: 'fixed', value });
const PROVIDERS = [
  // flaky: 65% success, 20% HTTP 500, 15% dropped connections (fetch throws in the gateway).
  { id: 'flaky', pricing: { model: 'per-image', price: PRICES.flaky }, tiers: { standard: { latency: fixed('40ms') } }, capacity: { concurrency: 1000, queue: 1000 }, failures: { serverError: 0.2, connectionReset: 0.15, errorLatency: fixed('10ms') } },
  { id: 'steady', pricing: { model: 'per-image', price: PRICES.steady }, tiers: { standard: { latency: fixed('40ms') } }, capacity: { concurrency: 1000, queue: 1000 } },
  // limited: one request per 10 s; a 429 carries Retry-After.
  { id: 'limited', pricing: { model: 'per-image', price: 0.02 }, tiers: { standard: { latency: fixed('40ms') } }, rateLimit: { rpm: 6, burst: 1 } },
];

/** Four standard errors of a count over n requests of a per-request value in [0, m] with mean mu (see the header). */
function tolerance(mu: number, m: number, n: number): number {
  const v = Math.max(m * mu - mu * mu, 1 / n);
  return 4 * Math.sqrt(n * v + (n * n * v) / N_SIM);
}

async function journalOf(url: string): Promise<JournalEntry[]> {
  const res = await fetch(`${url}/_imgsim/journal`, { headers: { authorization: 'Bearer imgsim' } });
  return ((await res.json()) as { entries: JournalEntry[] }).entries;
}

async function ledgerOf(url: string): Promise<LedgerSnapshot> {
  const res = await fetch(`${url}/_imgsim/ledger`, { headers: { authorization: 'Bearer imgsim' } });
  return (await res.json()) as LedgerSnapshot;
}

describe('the real Portkey gateway in front of imgsim serve', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-portkey-'));
  let server: Awaited<ReturnType<typeof startServer>>;
  let gateway: PortkeyGateway;
  let scenario: ResolvedScenario;
  const configs: Record<string, string> = {};

  beforeAll(async () => {
    const base = { version: 1, name: 'portkey-conformance', seed: 11, start: '2026-06-01T00:00:00Z', duration: '1h', providers: PROVIDERS };
    const traffic = { arrivals: { process: 'uniform', rate: `${RATE}/s` }, mix: [{ name: 'ref', project: 'app' }] };
    server = await startServer(scenarioFromObject({ ...base, traffic }, path.join(dir, 'serve.yaml')), { port: 0, timeScale: 1, journalSize: 10 * N });
    gateway = await startPortkeyGateway();
    const target = (id: string, more: object = {}) => ({ provider: 'openai', api_key: 'x', custom_host: `${server.url}/${id}/v1`, ...more });
    // fallback: flaky retried twice on 503 only (its 500s are not retried, its dropped
    // connections are: the gateway retries a thrown fetch whatever on_status_codes says), then steady.
    configs.fallback = JSON.stringify({
      strategy: { mode: 'fallback' },
      targets: [target('flaky', { retry: { attempts: 2, on_status_codes: [503] } }), target('steady')],
    });
    // loadbalance 1:3; flaky retried once on 500; a request drawn to flaky can fail.
    configs.loadbalance = JSON.stringify({
      strategy: { mode: 'loadbalance' },
      targets: [target('flaky', { weight: 1, retry: { attempts: 1, on_status_codes: [500] } }), target('steady', { weight: 3 })],
    });
    for (const [name, text] of Object.entries(configs)) writeFileSync(path.join(dir, `${name}.json`), text);
    scenario = scenarioFromObject(
      {
        ...base,
        traffic,
        // The harness sends each request once, to the gateway: the gateway does the routing.
        policy: { maxAttempts: 1 },
        // The fallback config as the scenario's header (an object, sent as JSON); the other
        // pass overrides it with the `headers` option.
        live: { headers: { 'X-Portkey-Config': JSON.parse(configs.fallback) as object } },
        strategies: [{ use: 'failover', name: 'via-gateway', order: ['flaky', 'steady'] }, ...Object.keys(configs).map((name) => ({ use: 'portkey', name, config: `./${name}.json` }))],
      },
      path.join(dir, 'portkey-conformance.yaml'),
    );
  }, 30_000);
  afterAll(async () => {
    // Either may be missing when beforeAll failed.
    await (gateway as PortkeyGateway | undefined)?.close();
    await (server as typeof server | undefined)?.close();
  });

  /** The real gateway's pass with a config, with serve's ledger and journal right after it. */
  async function realPass(name: string): Promise<{ real: StrategyReport; ledger: LedgerSnapshot; journal: JournalEntry[]; warnings: string[] }> {
    const warnings: string[] = [];
    const report = await runLive(scenario, {
      serverUrl: server.url,
      target: gateway.url,
      // The other config as a config file reads, on several lines (sent on one).
      ...(name === 'fallback' ? {} : { headers: { 'x-portkey-config': JSON.stringify(JSON.parse(configs[name]!), null, 2) } }),
      strategies: ['via-gateway'],
      requests: N,
      // Warm-up requests go to serve directly and only help latency, which is not compared here.
      warmup: false,
      onWarning: (m) => warnings.push(m),
    });
    return { real: report.strategies[0]!, ledger: await ledgerOf(server.url), journal: await journalOf(server.url), warnings };
  }

  /** (a): the live report, the ledger and the journal agree exactly. */
  function expectAccounted(real: StrategyReport, ledger: LedgerSnapshot, journal: JournalEntry[]): void {
    expect(real.requests.total).toBe(N);
    expect(journal.length).toBe(ledger.totals.requests);
    expect(real.attempts.total).toBe(ledger.totals.requests);
    for (const id of Object.keys(PRICES) as (keyof typeof PRICES)[]) {
      const entries = journal.filter((e) => e.provider === id);
      const l = ledger.providers[id]!;
      expect(real.providers[id]!.attempts).toBe(l.requests);
      expect(entries.length).toBe(l.requests);
      expect(real.providers[id]!.outcomes.success ?? 0).toBe(l.outcomes.success ?? 0);
      expect(real.providers[id]!.cost).toBeCloseTo(l.costUsd, 9);
      // Only successes bill: the cost is the price times the successes.
      expect(l.costUsd).toBeCloseTo(PRICES[id] * (l.outcomes.success ?? 0), 9);
    }
    // Every request reached a provider; each further provider request is a retry or a failover.
    expect(real.attempts.retries + real.attempts.failovers).toBe(journal.length - N);
    // The journal's successes are the gateway's successful answers: one per succeeded request.
    expect(journal.filter((e) => e.outcome === 'success').length).toBe(real.requests.succeeded);
    // Every entry carries the harness's tag, one tag per request.
    expect(new Set(journal.map((e) => (e.body as { user?: string }).user?.split('.')[0])).size).toBe(N);
    expect(real.cost.total).toBeCloseTo(ledger.totals.costUsd, 9);
  }

  /**
   * (b): the real pass against the simulated one, per request.
   * @returns the figures compared, one line each (printed for docs/gateways.md)
   */
  function expectFaithful(real: StrategyReport, sim: StrategyReport, maxRetries: number): string[] {
    const nSim = sim.requests.total;
    const per = (x: number) => x / nSim;
    const lines: string[] = [];
    const close = (got: number, mu: number, m: number, what: string) => {
      const line = `${what}: real ${got}, simulated ${(N * mu).toFixed(1)} ± ${tolerance(mu, m, N).toFixed(1)}`;
      lines.push(line);
      expect(Math.abs(got - N * mu), line).toBeLessThanOrEqual(tolerance(mu, m, N));
    };
    for (const id of Object.keys(PRICES)) close(real.providers[id]!.outcomes.success ?? 0, per(sim.providers[id]!.outcomes.success ?? 0), 1, `${id} successes`);
    close(real.attempts.retries, per(sim.attempts.retries), maxRetries, 'retries');
    close(real.attempts.failovers, per(sim.attempts.failovers), 1, 'failovers');
    close(real.requests.succeeded, per(sim.requests.succeeded), 1, 'successes');
    // Cost per image: $0.01 + $0.03·f, f binomial over the real successes.
    const f = (sim.providers.steady!.outcomes.success ?? 0) / sim.requests.succeeded;
    const tol = 4 * (PRICES.steady - PRICES.flaky) * Math.sqrt((f * (1 - f)) / real.requests.succeeded + (f * (1 - f)) / sim.requests.succeeded);
    lines.push(`cost per image: real $${real.cost.perSucceeded.toFixed(6)}, simulated $${sim.cost.perSucceeded.toFixed(6)} ± $${tol.toFixed(6)}`);
    expect(Math.abs(real.cost.perSucceeded - sim.cost.perSucceeded), lines[lines.length - 1]).toBeLessThanOrEqual(tol);
    return lines;
  }

  it('fallback with retry: every request accounted for, and the simulation predicts it', async () => {
    const { real, ledger, journal, warnings } = await realPass('fallback');
    expect(warnings).toEqual([]);
    expectAccounted(real, ledger, journal);
    // The 15% dropped connections were retried (on_status_codes lists only 503).
    expect(real.attempts.retries).toBeGreaterThan(0);
    const sim = (await simulate(scenario, { strategies: ['fallback'], durationMs: (N_SIM / RATE) * 1000 })).strategies[0]!;
    expect(sim.requests.total).toBe(N_SIM);
    console.log(`portkey fallback:\n  ${expectFaithful(real, sim, 2).join('\n  ')}`);
  }, 60_000);

  it('loadbalance by weight with retry: every request accounted for, and the simulation predicts it', async () => {
    const { real, ledger, journal, warnings } = await realPass('loadbalance');
    expect(warnings).toEqual([]);
    expectAccounted(real, ledger, journal);
    const sim = (await simulate(scenario, { strategies: ['loadbalance'], durationMs: (N_SIM / RATE) * 1000 })).strategies[0]!;
    const lines = expectFaithful(real, sim, 1);
    // Shares of first attempts: 1:3 by weight (a request's first provider request).
    const firstAtFlaky = new Set<string>();
    const seen = new Set<string>();
    for (const e of journal) {
      const tag = (e.body as { user?: string }).user!.split('.')[0]!;
      if (seen.has(tag)) continue;
      seen.add(tag);
      if (e.provider === 'flaky') firstAtFlaky.add(tag);
    }
    expect(Math.abs(firstAtFlaky.size - N * 0.25)).toBeLessThanOrEqual(tolerance(0.25, 1, N));
    console.log(`portkey loadbalance:\n  ${lines.join('\n  ')}\n  first attempts at flaky: ${firstAtFlaky.size} of ${N} (weight 1:3)`);
  }, 60_000);

  it('refuses a header value HTTP cannot carry before sending anything (fetch would throw: a dropped connection)', async () => {
    const run = (value: string) => runLive(scenario, { serverUrl: server.url, target: gateway.url, strategies: ['via-gateway'], requests: 1, warmup: false, headers: { 'x-note': value } });
    await expect(run('two\nlines')).rejects.toThrow(/header x-note: a header value cannot hold a line break/);
    await expect(run('snow \u2603')).rejects.toThrow(/header x-note: holds characters an HTTP header cannot carry/);
  });

  it('1.15.2 reads use_retry_after_header (a 429 with Retry-After ends as a 500 after the backoff), not use_retry_after_headers', async () => {
    const limited = (retry: object) =>
      JSON.stringify({
        strategy: { mode: 'fallback', on_status_codes: [500] },
        targets: [{ provider: 'openai', api_key: 'x', custom_host: `${server.url}/limited/v1`, retry: { attempts: 1, ...retry } }, { provider: 'openai', api_key: 'x', custom_host: `${server.url}/steady/v1` }],
      });
    const providersOf = async () => (await journalOf(server.url)).map((e) => `${e.provider} ${String(e.status)}`);
    await fetch(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { authorization: 'Bearer imgsim', 'content-type': 'application/json' } });
    // The one token of `limited` goes to a direct request; the next 10 s are 429s.
    expect(await post(`${server.url}/limited`)).toBe(200);
    // Singular: the handler throws on the Retry-After, the throw is retried after 1 s, and the
    // target answers 500 in the end, so the fallback (on 500 only) moves on to steady.
    let t0 = performance.now();
    expect(await post(gateway.url, { 'x-portkey-config': limited({ use_retry_after_header: true }) })).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(await providersOf()).toEqual(['limited 200', 'limited 429', 'limited 429', 'steady 200']);
    // Plural (Portkey's docs): dropped by the config schema; the 429 is retried after the 1 s
    // backoff (not the ~9 s Retry-After) and is the answer (429 is not a fallback code here).
    t0 = performance.now();
    expect(await post(gateway.url, { 'x-portkey-config': limited({ use_retry_after_headers: true }) })).toBe(429);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect((await providersOf()).slice(4)).toEqual(['limited 429', 'limited 429']);
    // The emulation does the same (test/routing/portkey.test.ts drives it attempt by attempt).
  }, 30_000);
});

/** Sends one image request, returns its status. */
async function post(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/v1/images/generations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer imgsim', ...headers },
    body: JSON.stringify({ model: 'limited', prompt: 'a lighthouse at dusk', size: '1024x1024', n: 1, response_format: 'b64_json' }),
  });
  await res.arrayBuffer();
  return res.status;
}
