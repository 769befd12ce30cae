// Live-mode benchmarks (node bench/live.js [--src] [--connections N] [--duration S]):
// 1. throughput: autocannon against `imgsim serve` with zero emulated latency vs a bare
//    node:http server answering a JSON body of the same size, both on 127.0.0.1 in their own
//    child process, same connections and duration; prints both requests/s and the ratio
//    (target >= 85%);
// 2. latency accuracy: 5,000 requests open at once against a provider with a fixed 200 ms
//    emulated latency; prints the measured p50/p99/max and the p99 error (target <= 5 ms).
// By default it loads the compiled dist/ (npm run build); --src loads src/ through jiti.
// Numbers vary with machine load; run on a quiet machine.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon');
const argv = process.argv.slice(2);
const useSrc = argv.includes('--src');
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
};
const CONNECTIONS = opt('--connections', 100);
const DURATION_S = opt('--duration', 5);
const OPEN_REQUESTS = opt('--open', 5000);
const EMULATED_MS = opt('--latency', 5000);
const RATE = opt('--rate', OPEN_REQUESTS / (EMULATED_MS / 1000));
const OPEN_LOOP_S = opt('--open-seconds', 10);

const BODY = JSON.stringify({ model: 'zero', prompt: 'a lighthouse at dusk', size: '1024x1024', n: 1, response_format: 'b64_json' });

function scenarioText(latency) {
  return `version: 1
name: bench-live
seed: 1
start: 2026-06-01T00:00:00Z
duration: 1h
providers:
  - id: zero
    pricing: { model: per-image, price: 0.01 }
    tiers:
      standard: { latency: ${latency} }
    capacity: { concurrency: 100000, queue: 100000 }
traffic:
  arrivals: { process: uniform, rate: 1/s }
  mix:
    - { name: ref, size: 1024x1024, steps: 30 }
strategies: [cheapest]
`;
}

async function loadLib() {
  if (useSrc) {
    const { createJiti } = await import('jiti');
    const jiti = createJiti(import.meta.url);
    const { startServer } = await jiti.import(fileURLToPath(new URL('../src/live/server.ts', import.meta.url)));
    const { parseScenarioText } = await jiti.import(fileURLToPath(new URL('../src/scenario/load.ts', import.meta.url)));
    return { startServer, parseScenarioText };
  }
  const { startServer } = await import('../dist/live/server.js');
  const { parseScenarioText } = await import('../dist/scenario/load.js');
  return { startServer, parseScenarioText };
}

// --- child processes: one server each ------------------------------------------------------

if (argv[0] === '--child') {
  const kind = argv[1];
  if (kind === 'bare' || kind === 'bare-delay') {
    // bare-delay answers after EMULATED_MS: the floor any server's latency accuracy can reach
    // with this client on this machine.
    const delayMs = kind === 'bare-delay' ? EMULATED_MS : 0;
    const size = Number(argv[2]);
    const pad = 'A'.repeat(Math.max(0, size - JSON.stringify({ created: 0, data: [{ b64_json: '' }] }).length));
    const payload = Buffer.from(JSON.stringify({ created: 0, data: [{ b64_json: pad }] }));
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const answer = () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length });
          res.end(payload);
        };
        if (delayMs > 0) setTimeout(answer, delayMs);
        else answer();
      });
    });
    server.keepAliveTimeout = 5000;
    server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
      process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
    });
  } else {
    const latency = kind === 'imgsim-zero' ? '{ dist: fixed, value: 0 }' : `{ dist: fixed, value: ${EMULATED_MS}ms }`;
    const { startServer, parseScenarioText } = await loadLib();
    const server = await startServer(parseScenarioText(scenarioText(latency), 'bench-live.yaml'), { port: 0, host: '127.0.0.1', journalSize: 100 });
    process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  }
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  await main();
}

function startChild(...args) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args, ...(useSrc ? ['--src'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve({ url: JSON.parse(buf.slice(0, nl)).url, stop: () => child.stdin.end() });
    });
    child.on('exit', (code) => reject(new Error(`child ${args[0]} exited with ${code}`)));
  });
}

function cannon(url, extra) {
  const opts = {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer imgsim' },
    body: BODY,
    connections: CONNECTIONS,
    // autocannon is bounded by `amount` when given, else by `duration`.
    ...(extra.amount === undefined ? { duration: DURATION_S } : {}),
    ...extra,
  };
  return autocannon(opts);
}

async function main() {
  // 1. Throughput.
  const imgsim = await startChild('imgsim-zero');
  const endpoint = `${imgsim.url}/zero/v1/images/generations`;
  const sample = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer imgsim' }, body: BODY });
  const sampleText = await sample.text();
  if (sample.status !== 200) throw new Error(`imgsim answered ${sample.status}: ${sampleText}`);
  const bare = await startChild('bare', String(sampleText.length));
  // Warm both up, then measure.
  await cannon(endpoint, { duration: 1 });
  await cannon(bare.url, { duration: 1 });
  const a = await cannon(endpoint, {});
  const b = await cannon(bare.url, {});
  const rps = (r) => r.requests.total / r.duration;
  process.stdout.write(`throughput (${CONNECTIONS} connections, ${DURATION_S} s, body ${sampleText.length} B)\n`);
  process.stdout.write(`  imgsim serve (zero latency)  ${rps(a).toFixed(0)} req/s  p50 ${a.latency.p50} ms  p99 ${a.latency.p99} ms  non-2xx ${a.non2xx}\n`);
  process.stdout.write(`  bare node:http               ${rps(b).toFixed(0)} req/s  p50 ${b.latency.p50} ms  p99 ${b.latency.p99} ms  non-2xx ${b.non2xx}\n`);
  process.stdout.write(`  ratio                        ${((100 * rps(a)) / rps(b)).toFixed(1)}%  (target >= 85%)\n`);
  imgsim.stop();
  bare.stop();

  // 2. Latency accuracy. 5,000 requests open at once, by Little's law: open = rate × latency,
  // so a fixed EMULATED_MS latency and RATE requests/s, sent open loop (each at its intended
  // time, latency measured from that time), keep RATE × EMULATED_MS / 1000 open. A burst of
  // 5,000 at one instant would measure the client's own queue, not the server (see calibration).
  const fixed = await startChild('imgsim-fixed');
  const r = await openLoop(`${fixed.url}/zero/v1/images/generations`);
  fixed.stop();
  const floor = await startChild('bare-delay', String(sampleText.length));
  const f = await openLoop(floor.url);
  floor.stop();
  process.stdout.write(`latency accuracy (open loop ${RATE}/s × ${EMULATED_MS} ms emulated = ${(RATE * EMULATED_MS) / 1000} open; peak open ${r.peakOpen})\n`);
  process.stdout.write(`  imgsim serve     p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms  max ${r.max.toFixed(1)} ms  (${r.n} answers, non-2xx ${r.non2xx}, errors ${r.errors})\n`);
  process.stdout.write(`  p99 error        ${(r.p99 - EMULATED_MS).toFixed(1)} ms  (target <= 5 ms)\n`);
  process.stdout.write(`  calibration, bare node:http + setTimeout(${EMULATED_MS}): p50 ${f.p50.toFixed(1)} ms  p99 ${f.p99.toFixed(1)} ms  (p99 error ${(f.p99 - EMULATED_MS).toFixed(1)} ms; peak open ${f.peakOpen})\n`);
}

/** Sends RATE requests/s for OPEN_LOOP_S s open loop over keep-alive sockets; latency from the intended send time. */
async function openLoop(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const target = new URL(url);
  const total = Math.round(RATE * OPEN_LOOP_S);
  const latencies = new Float64Array(total);
  let n = 0;
  let open = 0;
  let peakOpen = 0;
  let non2xx = 0;
  let errors = 0;
  const send = (intended) =>
    new Promise((resolve) => {
      open++;
      if (open > peakOpen) peakOpen = open;
      const req = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: 'Bearer imgsim', 'content-length': Buffer.byteLength(BODY) } },
        (res) => {
          if (res.statusCode !== 200) non2xx++;
          res.resume();
          res.on('end', () => {
            latencies[n++] = performance.now() - intended;
            open--;
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        open--;
        resolve();
      });
      req.end(BODY);
    });
  const pending = [];
  const t0 = performance.now() + 50;
  for (let i = 0; i < total; i++) {
    const intended = t0 + (i * 1000) / RATE;
    const wait = intended - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(intended));
  }
  await Promise.all(pending);
  agent.destroy();
  const sorted = Array.from(latencies.subarray(0, n)).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { n, p50: q(0.5), p99: q(0.99), max: sorted[sorted.length - 1] ?? NaN, peakOpen, non2xx, errors };
}
