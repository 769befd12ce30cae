// `imgsim serve` as users run it: the compiled CLI in its own process (its server runs on a
// worker thread), stopped by a signal. vitest's globalSetup (test/_global-setup.ts) rebuilds dist/ when src/ is newer.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/imgsim.js');
const QUICKSTART = path.join(ROOT, 'scenarios/quickstart.yaml');

interface Exited {
  code: number | null;
  out: string;
  err: string;
}

function serve(...args: string[]): { child: ChildProcessWithoutNullStreams; firstLine: Promise<string>; exited: Promise<Exited> } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  let gotLine: (line: string) => void = () => undefined;
  const firstLine = new Promise<string>((resolve) => (gotLine = resolve));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const nl = out.indexOf('\n');
    if (nl >= 0) gotLine(out.slice(0, nl));
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<Exited>((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
  return { child, firstLine, exited };
}

// Each test starts Node processes: generous timeouts, as a loaded CI machine may take seconds to start one.
describe('imgsim serve (the CLI process)', { timeout: 30_000 }, () => {
  it('serves until SIGTERM, then finishes in-flight requests and prints the ledger, exit 0', async () => {
    // At 0.1 an answer takes a few hundred wall ms: long enough to signal while one is in flight.
    const { child, firstLine, exited } = serve(QUICKSTART, '--port', '0', '--time-scale', '0.1');
    const base = /(http:\/\/127\.0\.0\.1:\d+)\/(\S+)\/v1/.exec(await firstLine);
    expect(base).not.toBeNull();
    const [, url, provider] = base!;
    const res = await fetch(`${url}/${provider}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024' }),
    });
    expect(res.status).toBe(200);
    const cost = Number(res.headers.get('x-imgsim-cost-usd'));
    // A request still waiting for its emulated latency when the signal comes is finished, not dropped.
    const inFlight = fetch(`${url}/${provider}/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a second lighthouse', size: '1024x1024' }),
    });
    // Signal only once the server holds it (on a loaded machine a fixed sleep may be too short).
    for (;;) {
      const health = (await (await fetch(`${url}/_imgsim/health`)).json()) as { inFlight: number };
      if (health.inFlight > 0) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    child.kill('SIGTERM');
    expect((await inFlight).status).toBe(200);
    const { code, out, err } = await exited;
    expect(code).toBe(0);
    expect(err).toContain('SIGTERM: finishing in-flight requests');
    expect(out).toContain(`ledger: 2 requests, $${(2 * cost).toFixed(4)} billed (success 2)`);
  });

  it('refuses a port that is taken, and a bad scenario, with exit 2 and no stack', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = String((blocker.address() as { port: number }).port);
    try {
      const taken = await serve(QUICKSTART, '--port', port).exited;
      expect(taken.code).toBe(2);
      expect(taken.err).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(taken.err).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
    const bad = await serve(path.join(ROOT, 'no-such.yaml')).exited;
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/no-such\.yaml/);
  });
  it('keeps as many journal entries as --journal asks, and refuses a bad one with exit 2', async () => {
    // Quickstart's first provider answers in simulated seconds: 0.001 keeps the five requests fast.
    const { child, firstLine, exited } = serve(QUICKSTART, '--port', '0', '--time-scale', '0.001', '--journal', '3', '--quiet');
    const base = /(http:\/\/127\.0\.0\.1:\d+)\/(\S+)\/v1/.exec(await firstLine);
    expect(base).not.toBeNull();
    const [, url, provider] = base!;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${url}/${provider}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `lighthouse ${i}`, size: '1024x1024' }),
      });
      expect(res.status).toBe(200);
    }
    const journal = (await (await fetch(`${url}/_imgsim/journal`)).json()) as { entries: { body: { prompt: string } }[] };
    // 5 requests, room for 3: the last three, oldest first.
    expect(journal.entries.map((e) => e.body.prompt)).toEqual(['lighthouse 2', 'lighthouse 3', 'lighthouse 4']);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
    const bad = await serve(QUICKSTART, '--port', '0', '--journal', 'lots').exited;
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--journal: expected a whole number >= 0, got "lots"');
  });

  it('guards /_imgsim/ with --admin-key once the scenario sets auth.keys, and answers --allowed-host names', async () => {
    const file = path.join(tmpdir(), `imgsim-serve-admin-${process.pid}.yaml`);
    writeFileSync(
      file,
      'version: 1\nname: serve-admin\nauth: { keys: [pk] }\nproviders:\n  - id: lumen\n    pricing: { model: per-image, price: 0.04 }\n    tiers: { standard: { latency: { dist: fixed, value: 10ms } } }\ntraffic: { arrivals: { rate: 1/s }, mix: [{ name: a }] }\n',
    );
    const { child, firstLine, exited } = serve(file, '--port', '0', '--quiet', '--time-scale', '0.01', '--admin-key', 'adm', '--allowed-host', 'imgsim.internal');
    const url = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(await firstLine)![1]!;
    const status = (path: string, headers: Record<string, string>, method = 'GET'): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request(`${url}${path}`, { method, headers, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await status('/_imgsim/ledger', { authorization: 'Bearer pk' })).toBe(401);
    expect(await status('/_imgsim/ledger', { authorization: 'Bearer adm' })).toBe(200);
    expect(await status('/_imgsim/ledger', { authorization: 'Bearer adm', host: 'imgsim.internal:8787' })).toBe(200);
    expect(await status('/_imgsim/ledger', { authorization: 'Bearer adm', host: 'evil.example' })).toBe(403);
    expect(await status('/_imgsim/reset', { authorization: 'Bearer adm', origin: 'http://evil.example', 'content-type': 'application/json' }, 'POST')).toBe(403);
    expect(await status('/_imgsim/health', {})).toBe(200);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
    const empty = await serve(file, '--port', '0', '--admin-key', '').exited;
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('--admin-key: expected a non-empty key');
  });
});
