// `imgsim serve` against clients that misbehave or pile up: slow headers, half-sent bodies and
// 2,000 requests held open at once, all over real sockets on 127.0.0.1.
import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { liveScenario } from './_live-scenario.js';

/**
 * `slow` takes 2,000 s per image: 2 s of wall time at timeScale 0.001, with room for 2,000
 * requests at once (every one holds a slot, none waits in the queue).
 */
const SCENARIO = liveScenario('robustness', [
  { id: 'quick', price: 0.01, latency: '1s' },
  { id: 'slow', price: 0.01, latency: '2000s', more: ['capacity: { concurrency: 2000, queue: 0 }'] },
]);

/** Short enough for a test, long enough that a healthy request never trips them. */
const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
const BODY = JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024' });

let server: LiveServer;
const onUnhandled = vi.fn();

beforeAll(async () => {
  server = await startServer(parseScenarioText(SCENARIO, 'robustness.yaml'), {
    timeScale: 0.001,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  onUnhandled.mockClear();
  process.on('unhandledRejection', onUnhandled);
});

afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(onUnhandled).not.toHaveBeenCalled();
});

/** Opens a raw socket, writes `text`, and resolves with everything read until the server closes it. */
function rawClient(text: string): { done: Promise<{ data: string; wallMs: number }>; socket: net.Socket } {
  const t0 = performance.now();
  const socket = net.connect(server.port, '127.0.0.1');
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (data += c));
  socket.write(text);
  const done = new Promise<{ data: string; wallMs: number }>((resolve) => {
    socket.on('close', () => {
      resolve({ data, wallMs: performance.now() - t0 });
    });
    socket.on('error', () => undefined);
  });
  return { done, socket };
}

/**
 * One image request on its own connection: without an agent (`connection: close`, node:http
 * reads it), or through a keep-alive agent with no socket limit (the fast front reads it);
 * either way 2,000 of them at once are 2,000 sockets.
 */
function generate(provider: string, agent: http.Agent | false = false): Promise<{ status: number; wallMs: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${server.url}/${provider}/v1/images/generations`,
      { method: 'POST', agent, headers: { authorization: 'Bearer test', 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, wallMs: performance.now() - t0 });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

describe('imgsim serve under misbehaving clients', () => {
  it('cuts off a client that sends its headers slowly while serving others promptly', async () => {
    // Part of a request line, then nothing.
    const slow = rawClient('POST /quick/v1/images/gen');
    const others = [];
    for (let i = 0; i < 5; i++) others.push(await generate('quick'));
    expect(others.every((r) => r.status === 200 && r.wallMs < 250)).toBe(true);
    const { data, wallMs } = await slow.done;
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    // Cut off after the headers timeout (500 ms), swept every 125 ms.
    expect(wallMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(wallMs).toBeLessThan(HEADERS_TIMEOUT_MS + 1000);
  });

  it('times out a request whose body never arrives in full', async () => {
    const head = `POST /quick/v1/images/generations HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer test\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n`;
    const half = rawClient(head + '{"prompt":"a li');
    const ok = await generate('quick');
    expect(ok.status).toBe(200);
    const { data, wallMs } = await half.done;
    expect(data).toMatch(/^HTTP\/1\.1 408 /);
    expect(wallMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(wallMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
    // The request never reached the provider model: nothing billed, nothing journaled for it.
    const ledger = (await (await fetch(`${server.url}/_imgsim/ledger`)).json()) as { providers: Record<string, { requests: number }> };
    expect(ledger.providers.quick?.requests).toBe(6);
  });

  it.each([
    ['connection: close', false],
    ['keep-alive', true],
  ] as const)('holds 2,000 concurrent requests (%s) and then answers every one, with bounded heap growth', async (label, keepAlive) => {
    const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: Infinity }) : false;
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const all = Array.from({ length: 2000 }, () => generate('slow', agent));
    let answered = 0;
    for (const p of all) void p.then(() => answered++);

    // All 2,000 reach the provider and hold a slot before the first one is answered (2 s).
    const countBusy = async (): Promise<number> => {
      const text = await (await fetch(`${server.url}/_imgsim/metrics`)).text();
      return Number(/imgsim_in_flight\{provider="slow"\} (\d+)/.exec(text)?.[1] ?? -1);
    };
    let busy = await countBusy();
    while (busy < 2000 && performance.now() - t0 < 1800) busy = await countBusy();
    expect(busy).toBe(2000);
    expect(answered).toBe(0);

    const results = await Promise.all(all);
    const wallMs = performance.now() - t0;
    expect(results.every((r) => r.status === 200)).toBe(true);
    // 2 s of emulated latency each, all in parallel.
    expect(Math.min(...results.map((r) => r.wallMs))).toBeGreaterThanOrEqual(1900);
    expect(wallMs).toBeLessThan(8000);
    if (agent !== false) agent.destroy();
    const growthMb = (process.memoryUsage().heapUsed - before) / 1e6;
    expect(growthMb).toBeLessThan(200);
    console.log(`2000 held requests (${label}): ${Math.round(wallMs)} ms wall, heap growth ${growthMb.toFixed(1)} MB`);
  }, 10_000);
});
