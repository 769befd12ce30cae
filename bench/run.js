// npm run bench: micro-benchmarks of the hot paths (tinybench) and the end-to-end figure:
// simulated requests per second for bench/million.yaml (one million requests, three
// providers, failover), best of several runs, with and without the hindsight oracle, plus
// peak memory for 30 simulated days at 10 requests per second (in a child process, so its
// peak RSS is its own). Then the many-in-flight case, bench/inflight.yaml (1,000 requests/s,
// lognormal 2-4 s medians, ~3,500 attempts in flight, `cheapest` with retries): in-process with
// and without the oracle, and end to end through `imgsim run` with default flags (a fresh
// process per run: startup, the oracle and the report included).
// Numbers vary with machine load; run on a quiet machine and compare best-of figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { loadScenario, parseScenarioText } from '../dist/index.js';
import { simulate } from '../dist/sim/run.js';
import { EventHeap } from '../dist/sim/heap.js';
import { makeSampler } from '../dist/model/latency.js';
import { rngFor } from '../dist/model/random.js';
import { compilePricing, price } from '../dist/model/pricing/quote.js';
import { ArrivalStream } from '../dist/traffic/traffic.js';
import { AvailabilityCurve } from '../dist/model/availability.js';
import { ProviderHandle } from '../dist/routing/provider-view.js';
import { BudgetTracker } from '../dist/routing/budget.js';
import { buildStrategy } from '../dist/routing/strategies/registry.js';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const args = new Set(process.argv.slice(2));

if (args.has('--memory-child')) {
  // 30 days at 10 requests per second, one strategy: about 26 million requests. The engine
  // alone: the oracle keeps one byte per request and strategy, which is not flat by design.
  const s = parseScenarioText(MEMORY_SCENARIO(), 'memory.yaml');
  const t0 = performance.now();
  const report = await simulate(s, { oracle: false });
  const ms = performance.now() - t0;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ requests: report.strategies[0].requests.total, ms, maxRssMb }));
  process.exit(0);
}

async function micro() {
  const bench = new Bench({ time: 400 });
  const heap = new EventHeap();
  const rng = rngFor(1, 'bench');
  for (let i = 0; i < 10_000; i++) heap.push(rng.next() * 1e6, 1, i);
  bench.add('heap push+pop (10k events in heap)', () => {
    heap.push(heap.peekTime() + rng.next() * 1000, 1, 0);
    heap.pop();
  });
  const lognormal = makeSampler({ dist: 'lognormal', median: 8000, p99: 20000 });
  const gamma = makeSampler({ dist: 'gamma', mean: 3000, sd: 1000 });
  bench.add('latency sample (lognormal)', () => lognormal.sample(rng));
  bench.add('latency sample (gamma)', () => gamma.sample(rng));
  const market = loadScenario(here('../scenarios/market-2026.yaml'));
  const compiled = market.providers.map((p) => compilePricing(p));
  const request = { size: '1024x1024', width: 1024, height: 1024, steps: 40, features: [], validate: false, promptChars: 120 };
  const opts = { atMs: market.startMs + 3 * 3_600_000, availability: 0.4 };
  bench.add(`price, fast path (${compiled.length} providers)`, () => {
    let sum = 0;
    for (const c of compiled) sum += price(c, request, opts);
    return sum;
  });
  const million = loadScenario(here('./million.yaml'));
  const stream = () => new ArrivalStream(million.traffic, million.seed, million.startMs, million.startMs + 1e12);
  let arrivals = stream();
  bench.add('traffic: next synthetic request', () => {
    if (arrivals.next() === undefined) arrivals = stream();
  });
  // Routing: a strategy ranking the seven market-2026 providers for one request, as the engine
  // calls it (provider views price at the context's clock).
  const clock = { now: market.startMs + 3 * 3_600_000 };
  const handles = market.providers.map(
    (p) =>
      new ProviderHandle(p, clock, new AvailabilityCurve(p.availability, market.seed, p.id, market.startMs), {
        queued: () => 0,
        slots: () => p.capacity.concurrency,
        creditsLeft: () => undefined,
        creditValueUsd: () => undefined,
      }, market.policy),
  );
  const ctx = {
    get now() {
      return clock.now;
    },
    providers: handles,
    provider: (id) => handles.find((h) => h.id === id),
    budget: new BudgetTracker(market.budget, market.startMs),
    slo: market.slo,
    policy: market.policy,
    startMs: market.startMs,
    endMs: market.endMs,
    rng: rngFor(1, 'bench-route'),
  };
  const routed = { ...request, id: 1, arrivalMs: clock.now, className: 'bench', urgency: 'interactive', project: 'app' };
  for (const name of ['cheapest', 'failover', 'slo-aware', 'score']) {
    const strategy = buildStrategy(name, { scenario: market, files: new Map() });
    bench.add(`route: ${name} over ${handles.length} providers`, () => strategy.route(routed, ctx));
  }
  await bench.run();
  console.table(bench.table());
}

/**
 * Best of `runs` in-process runs of one scenario: the engine alone, then with the hindsight
 * oracle (one more pass over the traffic), in alternating rounds so that machine load hits both alike.
 * @param s - the loaded scenario
 * @param runs - rounds
 * @param onRound - called after each round with (round, requests, ms, withOracleMs)
 * @returns { best, bestWithOracle, requests }
 */
async function bestInProcess(s, runs, onRound = () => {}) {
  let best = Infinity;
  let bestWithOracle = Infinity;
  let requests = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const report = await simulate(s, { oracle: false });
    const ms = performance.now() - t0;
    requests = report.strategies[0].requests.total;
    best = Math.min(best, ms);
    const t1 = performance.now();
    await simulate(s);
    const withOracleMs = performance.now() - t1;
    bestWithOracle = Math.min(bestWithOracle, withOracleMs);
    onRound(i, requests, ms, withOracleMs);
  }
  return { best, bestWithOracle, requests };
}

async function endToEnd(runs) {
  const { best, bestWithOracle, requests } = await bestInProcess(loadScenario(here('./million.yaml')), runs, (i, requests, ms, withOracleMs) => {
    console.log(
      `  run ${i + 1}: ${requests.toLocaleString('en-US')} requests in ${ms.toFixed(0)} ms = ${Math.round(requests / (ms / 1000)).toLocaleString('en-US')} req/s; with the oracle ${withOracleMs.toFixed(0)} ms`,
    );
  });
  console.log(`end to end (bench/million.yaml, failover over 3 providers): best ${Math.round(requests / (best / 1000)).toLocaleString('en-US')} simulated requests/s`);
  console.log(`  with the hindsight oracle: best ${bestWithOracle.toFixed(0)} ms vs ${best.toFixed(0)} ms, +${((bestWithOracle / best - 1) * 100).toFixed(0)}%`);
}

/**
 * The many-in-flight case: best of `runs` in-process (engine alone, then with the oracle), and
 * best of `runs` end to end, `imgsim run bench/inflight.yaml --quiet` in a child process.
 * @param runs - rounds
 */
async function inflight(runs) {
  const file = here('./inflight.yaml');
  const s = loadScenario(file);
  const { best, bestWithOracle, requests } = await bestInProcess(s, runs);
  const rate = (ms) => Math.round(requests / (ms / 1000)).toLocaleString('en-US');
  console.log(`in-flight case (bench/inflight.yaml, ${requests.toLocaleString('en-US')} requests, cheapest over 3 providers, ~3,500 in flight):`);
  console.log(`  in-process: best ${rate(best)} simulated requests/s (${best.toFixed(0)} ms); with the oracle ${rate(bestWithOracle)}/s (${bestWithOracle.toFixed(0)} ms)`);
  const out = mkdtempSync(path.join(tmpdir(), 'imgsim-bench-'));
  const cli = here('../bin/imgsim.js');
  let bestCli = Infinity;
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const child = spawnSync(process.execPath, [cli, 'run', file, '--quiet', '--out', out], { encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (child.status !== 0) throw new Error(`imgsim run bench/inflight.yaml failed: ${child.stderr}`);
      bestCli = Math.min(bestCli, ms);
      console.log(`  imgsim run, run ${i + 1}: ${ms.toFixed(0)} ms`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(`  end to end (imgsim run, default flags: startup, oracle and report included): best ${rate(bestCli)} simulated requests/s (${bestCli.toFixed(0)} ms)`);
}

function memory() {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--memory-child'], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`memory run failed: ${child.stderr}`);
  const { requests, ms, maxRssMb } = JSON.parse(child.stdout);
  console.log(
    `30 simulated days at 10/s: ${requests.toLocaleString('en-US')} requests in ${(ms / 1000).toFixed(1)} s, peak RSS ${maxRssMb.toFixed(0)} MB`,
  );
}

function MEMORY_SCENARIO() {
  return `
version: 1
name: memory
seed: 3
start: 2026-06-01T00:00:00Z
duration: 30d
providers:
  - id: alpha
    pricing: { model: per-step, perStep: 0.001, offPeak: [{ from: "02:00", to: "06:00", discount: 0.3 }] }
    tiers: { standard: { latency: { dist: lognormal, median: 4s, p99: 12s } } }
    capacity: { concurrency: 64, queue: 64 }
    availability: { base: 0.8, diurnal: { amplitude: 0.15, trough: "15:00" }, noise: { sd: 0.05, halfLife: 30m } }
    failures: { serverError: 0.02 }
  - id: beta
    pricing: { model: credits, perImage: 1, bundles: [{ credits: 100000, price: 900, expiresAfter: 30d }] }
    tiers: { standard: { latency: { dist: gamma, mean: 3s, sd: 1s } } }
    failures: { generative: 0.01 }
  - id: gamma
    pricing: { model: per-image, price: 0.04 }
    tiers: { standard: { latency: { dist: exponential, mean: 2s } } }
traffic:
  arrivals: { rate: 10/s, pattern: { diurnal: { amplitude: 0.3, peak: "14:00" } } }
  mix:
    - { name: interactive, weight: 0.8, project: app }
    - { name: batch, weight: 0.2, urgency: batch, deadline: 12h, project: catalog }
strategies:
  - { use: failover, order: [alpha, beta, gamma] }
`;
}

// End to end first, in a fresh process: the micro-benchmarks feed the JIT other shapes.
// --inflight-only: just the many-in-flight case.
const runs = args.has('--quick') ? 1 : 5;
if (!args.has('--inflight-only')) await endToEnd(runs);
if (!args.has('--no-inflight')) await inflight(runs);
if (!args.has('--e2e-only') && !args.has('--inflight-only')) await micro();
if (!args.has('--no-memory') && !args.has('--inflight-only')) memory();
