// Soak of `imgsim serve` under hostile input (npm run bench:soak, or node bench/soak.js
// [--requests N] [--seconds S] [--concurrency C] [--oversized-every K]):
// starts `bin/imgsim.js serve` (from dist/: npm run build first) on 127.0.0.1, port 0, with
// provider keys and an admin key, and sends N requests (default 100,000; stops issuing after S
// seconds, default 480) from C connections (default 32), mixing normal image requests with
// the hostile inputs of issue 15: 9.4 MB `[{},...]` bodies (one request in K, default 2000),
// `steps: 1e308` and `1e10`, a 999999x999999 size, `n: 1e9`, malformed JSON, unknown fields,
// hostile and ever-new project names, missing and wrong keys, a cross-origin POST to
// /_imgsim/reset and a keyless read of the journal.
// Checks, printed at the end (exit 1 when one fails):
// - the ledger's `totals.costUsd` (GET /_imgsim/ledger with the admin key) equals the sum of
//   the `x-imgsim-cost-usd` headers received, and every header is a finite number;
// - the server is still up;
// - its RSS (/proc/<pid>/status, sampled every second) is flat: the last sample is within 20%
//   of the sample taken once 10% of the requests were answered (the warm-up).
// Figures vary with machine load; this is a bench, not a test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : dflt;
};
const REQUESTS = opt('--requests', 100_000);
const SECONDS = opt('--seconds', 480);
const CONCURRENCY = opt('--concurrency', 32);
const OVERSIZED_EVERY = opt('--oversized-every', 2000);
const FLAT_TOLERANCE = 0.2;
const PROVIDER_KEY = 'soak-key';
const ADMIN_KEY = 'soak-admin';

const BIN = fileURLToPath(new URL('../bin/imgsim.js', import.meta.url));
const SCENARIO = `version: 1
name: soak
seed: 1
start: 2026-06-01T00:00:00Z
duration: 1h
auth: { keys: [${PROVIDER_KEY}] }
providers:
  - id: steps
    reference: { size: 1024x1024, steps: 30 }
    pricing: { model: per-step, base: 0.002, perStep: 0.001 }
    tiers:
      standard: { latency: { dist: fixed, value: 20ms } }
    capacity: { concurrency: 100000, queue: 100000 }
  - id: mpix
    pricing: { model: per-megapixel, perMegapixel: 0.01, includedSteps: 30 }
    tiers:
      standard: { latency: { dist: fixed, value: 20ms } }
    capacity: { concurrency: 100000, queue: 100000 }
traffic:
  arrivals: { process: uniform, rate: 1/s }
  mix:
    - { name: ref, size: 1024x1024, steps: 30 }
strategies: [cheapest]
`;

// --- the server -----------------------------------------------------------------------------

function startServe(file) {
  const help = spawnSyncText([BIN, 'serve', '--help']);
  const adminArgs = help.includes('--admin-key') ? ['--admin-key', ADMIN_KEY] : [];
  const child = spawn(process.execPath, [BIN, 'serve', file, '--port', '0', '--quiet', ...adminArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\/mpix\/v1/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then((e) => reject(new Error(`serve exited before listening (${JSON.stringify(e)}): ${err}`)));
  });
  return { child, ready, exited, output: () => ({ out, err }), adminKey: adminArgs.length > 0 ? ADMIN_KEY : undefined };
}

function spawnSyncText(args) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`;
}

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

// --- the requests ---------------------------------------------------------------------------

const OVERSIZED = Buffer.from(`[${'{},'.repeat(3.3e6)}{}]`);
const BIG_UNKNOWN = JSON.stringify({ deep: Array.from({ length: 500 }, (_, i) => ({ k: i, v: 'x'.repeat(10) })) });
const HOSTILE_PROJECT = `<img src=x onerror=fetch('/_imgsim/reset',{method:'POST'})>`;
const SIZES = ['1024x1024', '512x512', '1536x1024', '768x1344'];

/** The i-th request: its kind, method, path, headers and body. */
function requestFor(i) {
  const provider = i % 2 === 0 ? 'steps' : 'mpix';
  const route = `/${provider}/v1/images/generations`;
  const auth = { authorization: `Bearer ${PROVIDER_KEY}`, 'content-type': 'application/json' };
  const normal = (extra = {}) => JSON.stringify({ model: provider, prompt: `soak ${i}`, size: SIZES[i % SIZES.length], steps: 20 + (i % 31), n: 1, project: `team-${i % 5}`, ...extra });
  if (OVERSIZED_EVERY > 0 && i % OVERSIZED_EVERY === OVERSIZED_EVERY - 1) return { kind: 'oversized 9.4 MB body', path: route, headers: auth, body: OVERSIZED };
  const b = i % 100;
  if (b < 55 || b >= 97) return { kind: 'normal', path: route, headers: auth, body: normal() };
  if (b < 60) return { kind: 'hostile project name', path: route, headers: auth, body: normal({ project: HOSTILE_PROJECT }) };
  if (b < 65) return { kind: 'new project name', path: route, headers: auth, body: normal({ project: `p-${i}` }) };
  if (b < 68) return { kind: 'steps 1e308', path: route, headers: auth, body: normal({ steps: 1e308 }) };
  if (b < 70) return { kind: 'steps 1e10', path: route, headers: auth, body: normal({ steps: 1e10 }) };
  if (b < 73) return { kind: 'size 999999x999999', path: route, headers: auth, body: normal({ size: '999999x999999' }) };
  if (b < 75) return { kind: 'n 1e9', path: route, headers: auth, body: normal({ n: 1e9 }) };
  if (b < 80) return { kind: 'malformed JSON', path: route, headers: auth, body: `{"prompt": "soak ${i}", "size":` };
  if (b < 85) return { kind: 'unknown fields', path: route, headers: auth, body: normal({ zzz: BIG_UNKNOWN, __proto__x: { polluted: true } }) };
  if (b < 90) return { kind: 'missing auth', path: route, headers: { 'content-type': 'application/json' }, body: normal() };
  if (b < 93) return { kind: 'wrong key', path: route, headers: { ...auth, authorization: 'Bearer nope' }, body: normal() };
  if (b < 95) return { kind: 'JSON array body', path: route, headers: auth, body: '[{},{}]' };
  if (b < 96) return { kind: 'cross-origin reset', path: '/_imgsim/reset', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body: 'x' };
  return { kind: 'keyless journal read', method: 'GET', path: '/_imgsim/journal', headers: {} };
}

function send(agent, port, r) {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, agent, method: r.method ?? 'POST', path: r.path, headers: r.body === undefined ? r.headers : { ...r.headers, 'content-length': Buffer.byteLength(r.body) }, timeout: 30_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, cost: res.headers['x-imgsim-cost-usd'] }));
        res.on('error', (e) => resolve({ status: `error ${e.code ?? e.message}` }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: `error ${e.code ?? e.message}` }));
    if (r.body !== undefined) req.end(r.body);
    else req.end();
  });
}

async function getJson(port, p, key) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: res.ok ? await res.json() : await res.text() };
}

// --- the soak -------------------------------------------------------------------------------

const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-soak-'));
const file = path.join(dir, 'soak.yaml');
writeFileSync(file, SCENARIO);
const serve = startServe(file);
const port = await serve.ready;
const pid = serve.child.pid;
let alive = true;
void serve.exited.then(() => (alive = false));

const samples = [];
const startedAt = Date.now();
const sampler = setInterval(() => {
  const mb = rssMb(pid);
  if (mb !== undefined) samples.push({ t: (Date.now() - startedAt) / 1000, mb, done });
}, 1000);
let warmRss;
const firstRss = rssMb(pid);

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
let next = 0;
let done = 0;
let costSum = 0;
let costHeaders = 0;
const nonFinite = [];
const byKind = new Map();
const deadline = startedAt + SECONDS * 1000;
async function worker() {
  while (next < REQUESTS && Date.now() < deadline && alive) {
    const i = next++;
    const r = requestFor(i);
    const res = await send(agent, port, r);
    done++;
    if (warmRss === undefined && done >= REQUESTS / 10) warmRss = rssMb(pid);
    const counts = byKind.get(r.kind) ?? new Map();
    byKind.set(r.kind, counts);
    counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
    if (res.cost !== undefined) {
      const c = Number(res.cost);
      costHeaders++;
      if (Number.isFinite(c)) costSum += c;
      else if (nonFinite.length < 5) nonFinite.push(`${r.kind}: ${res.cost}`);
      else nonFinite.push('');
    }
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
const elapsed = (Date.now() - startedAt) / 1000;
clearInterval(sampler);
agent.destroy();
const lastRss = rssMb(pid);

// The ledger, read with the admin key.
let ledger;
if (alive) {
  try {
    ledger = await getJson(port, '/_imgsim/ledger', serve.adminKey);
  } catch (e) {
    ledger = { status: `error ${e.message}` };
  }
}
serve.child.kill('SIGTERM');
const exit = await Promise.race([serve.exited, new Promise((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10_000))]);
if (typeof exit === 'string') serve.child.kill('SIGKILL');

// --- the report -----------------------------------------------------------------------------

const f = (mb) => (mb === undefined ? 'n/a' : `${mb.toFixed(1)} MB`);
const peakRss = Math.max(...samples.map((s) => s.mb), firstRss ?? 0, lastRss ?? 0);
const totalCost = ledger?.status === 200 ? ledger.body?.totals?.costUsd : undefined;
const ledgerEqual = typeof totalCost === 'number' && Math.abs(totalCost - costSum) <= 1e-6 + 1e-9 * Math.abs(costSum);
const flat = warmRss !== undefined && lastRss !== undefined && lastRss <= warmRss * (1 + FLAT_TOLERANCE);

console.log(`imgsim serve soak: ${done} requests in ${elapsed.toFixed(1)} s (${(done / elapsed).toFixed(0)} req/s), ${CONCURRENCY} connections, node ${process.version}`);
console.log('\nstatus by kind of request:');
for (const [kind, counts] of [...byKind].sort((a, b) => a[0].localeCompare(b[0]))) {
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  console.log(`  ${kind.padEnd(24)} ${String(n).padStart(6)}  ${[...counts].map(([s, c]) => `${s}: ${c}`).join(', ')}`);
}
console.log(`\ncost headers: ${costHeaders}, sum $${costSum.toFixed(6)}${nonFinite.length > 0 ? `; ${nonFinite.length} NOT FINITE (${nonFinite.filter(Boolean).join('; ')})` : ''}`);
console.log(`ledger totals.costUsd: ${totalCost === undefined ? `unavailable (${ledger === undefined ? 'server down' : `${ledger.status} ${String(ledger.body).slice(0, 200)}`})` : `$${Number(totalCost).toFixed(6)}`} -> ${ledgerEqual ? 'EQUAL to the sum of the headers' : 'NOT equal'}`);
console.log(`RSS of serve: first ${f(firstRss)}, after warm-up (10% of requests) ${f(warmRss)}, peak ${f(peakRss)}, last ${f(lastRss)} -> ${flat ? 'flat' : 'NOT flat'} (last within ${FLAT_TOLERANCE * 100}% of warm-up)`);
const quartiles = [0.25, 0.5, 0.75, 1].map((q) => samples[Math.min(samples.length - 1, Math.floor(q * (samples.length - 1)))]).filter(Boolean);
console.log(`RSS over time: ${quartiles.map((s) => `${s.t.toFixed(0)} s ${s.mb.toFixed(0)} MB (${s.done} done)`).join(', ')}`);
const stayedUp = ledger !== undefined;
console.log(`server: ${stayedUp ? 'stayed up for the whole soak' : 'DIED during the soak'}; exit after SIGTERM: ${JSON.stringify(exit)}`);
const { out, err } = serve.output();
const ledgerLine = out.split('\n').find((l) => l.startsWith('ledger:'));
if (ledgerLine) console.log(`serve printed: ${ledgerLine}`);
if (err.trim() !== '') console.log(`serve stderr (last 500 chars): ${err.trim().slice(-500)}`);
process.exitCode = ledgerEqual && flat && nonFinite.length === 0 && done > 0 && stayedUp ? 0 : 1;
