// The fast front of `imgsim serve` (src/live/_fast-http.ts): which requests it reads itself,
// that its answers are the bytes node:http would send, and that every connection it gives up
// on reaches node:http intact (split bodies, pipelining, slow clients, half-closes).
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_BODY_LIMIT, parseFastRequest } from '../../src/live/_fast-http.js';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { liveScenario } from './_live-scenario.js';

const SCENARIO = liveScenario('fast-front', [
  { id: 'quick', price: 0.01, latency: '1s' },
  { id: 'slow', price: 0.01, latency: '300s' },
  { id: 'stuck', price: 0.01, latency: '1s', more: ['failures: { timeout: 1 }'] },
]);

const HEADERS_TIMEOUT_MS = 400;
const KEEP_ALIVE_TIMEOUT_MS = 300;
const BODY = JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024', response_format: 'b64_json' });

/** A plain request: what an SDK sends. */
function plain(provider: string, body = BODY, extra = ''): string {
  return `POST /${provider}/v1/images/generations HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer test\r\ncontent-type: application/json\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** The same request with a chunked body, which only node:http reads. */
function chunked(provider: string, body = BODY): string {
  const size = Buffer.byteLength(body).toString(16);
  return `POST /${provider}/v1/images/generations HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer test\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${size}\r\n${body}\r\n0\r\n\r\n`;
}

let server: LiveServer;

beforeAll(async () => {
  server = await startServer(parseScenarioText(SCENARIO, 'fast-front.yaml'), {
    timeScale: 0.001,
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: 2 * HEADERS_TIMEOUT_MS,
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
  });
});

afterAll(async () => {
  await server.close();
});

/** A raw connection: write text whenever, read responses as they come, see when it closes. */
function connect(port = server.port): { socket: net.Socket; received: () => string; responses: (n: number) => Promise<string[]>; closed: Promise<number> } {
  const t0 = performance.now();
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  let wake: (() => void) | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (c: string) => {
    data += c;
    wake?.();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => {
    socket.on('close', () => {
      wake?.();
      resolve(performance.now() - t0);
    });
  });
  const responses = async (n: number): Promise<string[]> => {
    for (;;) {
      const parsed = splitResponses(data);
      if (parsed.length >= n || socket.destroyed) return parsed;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { socket, received: () => data, responses, closed };
}

/** Whole responses (content-length framed) in `data`. */
function splitResponses(data: string): string[] {
  const out: string[] = [];
  let at = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) return out;
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(data.slice(at, headEnd))?.[1] ?? 0);
    if (data.length < headEnd + 4 + length) return out;
    out.push(data.slice(at, headEnd + 4 + length));
    at = headEnd + 4 + length;
  }
}

/** A response with the values that differ between any two answers (request id, date, `created`) masked. */
function masked(response: string): string {
  return response
    .replace(/(x-request-id: )req_\w+/i, '$1*')
    .replace(/(\r\nDate: )[^\r]+/, '$1*')
    .replace(/"created":\d+/, '"created":*');
}

interface Entry {
  readonly outcome: string;
  readonly status: number | null;
  readonly body: { readonly prompt?: string };
}

/** The newest journal entry. */
async function newestEntry(): Promise<Entry | undefined> {
  return ((await (await fetch(`${server.url}/_imgsim/journal?limit=1`)).json()) as { entries: Entry[] }).entries[0];
}

describe('which requests the fast front reads itself', () => {
  const parse = (text: string): ReturnType<typeof parseFastRequest> => parseFastRequest(Buffer.from(text, 'latin1'), 0);

  it('reads a whole plain request: method, target, lower-cased headers with optional whitespace trimmed, body', () => {
    const text = 'POST /a/v1/images/generations?x=1 HTTP/1.1\r\nHost: h\r\nX-Thing: \t spaced out \t\r\ncontent-length: 2\r\n\r\n{}';
    const parsed = parse(text);
    expect(parsed).not.toBeTypeOf('string');
    if (typeof parsed === 'string') return;
    expect(parsed.req.method).toBe('POST');
    expect(parsed.req.target).toBe('/a/v1/images/generations?x=1');
    expect(parsed.req.headers).toEqual({ host: 'h', 'x-thing': 'spaced out', 'content-length': '2' });
    expect(parsed.req.body?.toString()).toBe('{}');
    expect(parsed.end).toBe(Buffer.byteLength(text));
  });

  it('reads a GET without a body, and stops at the end of the first of two requests', () => {
    const first = 'GET /_imgsim/health HTTP/1.1\r\nhost: h\r\n\r\n';
    const parsed = parse(first + first);
    expect(typeof parsed === 'string' ? parsed : parsed.end).toBe(first.length);
    if (typeof parsed !== 'string') expect(parsed.req.body).toBeUndefined();
  });

  it('waits for a request that has not arrived whole', () => {
    expect(parse('POST /a HTTP/1.1\r\nhost: h\r\ncontent-le')).toBe('incomplete');
    expect(parse('POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 10\r\n\r\n{"a":')).toBe('incomplete');
  });

  it.each([
    ['another method', 'PUT /a HTTP/1.1\r\nhost: h\r\n\r\n'],
    ['HEAD (no body in the answer)', 'HEAD /a HTTP/1.1\r\nhost: h\r\n\r\n'],
    ['HTTP/1.0', 'GET /a HTTP/1.0\r\nhost: h\r\n\r\n'],
    ['an absolute-form target', 'GET http://h/a HTTP/1.1\r\nhost: h\r\n\r\n'],
    ['a target with characters outside RFC 3986', 'GET /a{b} HTTP/1.1\r\nhost: h\r\n\r\n'],
    ['two spaces in the request line', 'GET  /a HTTP/1.1\r\nhost: h\r\n\r\n'],
    ['no host', 'GET /a HTTP/1.1\r\naccept: */*\r\n\r\n'],
    ['a space before the colon', 'GET /a HTTP/1.1\r\nhost : h\r\n\r\n'],
    ['a folded header line', 'GET /a HTTP/1.1\r\nhost: h\r\nx-a: 1\r\n  2\r\n\r\n'],
    ['a bare LF inside a value', 'GET /a HTTP/1.1\r\nhost: h\r\nx-a: 1\nx-b: 2\r\n\r\n'],
    ['a NUL in a value', 'GET /a HTTP/1.1\r\nhost: h\r\nx-a: 1\u00002\r\n\r\n'],
    ['a repeated header', 'GET /a HTTP/1.1\r\nhost: h\r\nx-a: 1\r\nX-A: 2\r\n\r\n'],
    ['__proto__ as a name', 'GET /a HTTP/1.1\r\nhost: h\r\n__proto__: 1\r\n\r\n'],
    ['transfer-encoding', 'POST /a HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a content-length with whitespace after it', 'POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 2\t\r\n\r\n{}'],
    ['a content-length that is not a number', 'POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 2, 2\r\n\r\n{}'],
    ['expect: 100-continue', 'POST /a HTTP/1.1\r\nhost: h\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n{}'],
    ['upgrade', 'GET /a HTTP/1.1\r\nhost: h\r\nconnection: upgrade\r\nupgrade: websocket\r\n\r\n'],
    ['connection: close', 'GET /a HTTP/1.1\r\nhost: h\r\nconnection: close\r\n\r\n'],
    ['a body over the fast limit', `POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: ${FAST_BODY_LIMIT + 1}\r\n\r\n`],
    ['a head over 16 KB', `GET /a HTTP/1.1\r\nhost: h\r\nx-a: ${'a'.repeat(17 * 1024)}\r\n\r\n`],
    ['a head over 16 KB that has not ended', `GET /a HTTP/1.1\r\nhost: h\r\nx-a: ${'a'.repeat(17 * 1024)}`],
  ])('leaves %s to node:http', (_, text) => {
    expect(parse(text)).toBe('unsupported');
  });

  it('accepts connection: keep-alive in any case', () => {
    expect(parse('GET /a HTTP/1.1\r\nhost: h\r\nConnection: Keep-Alive\r\n\r\n')).not.toBeTypeOf('string');
  });
});

describe('the fast front on a live server', () => {
  it('answers a plain request with the bytes node:http sends for the same request', async () => {
    const fast = connect();
    fast.socket.write(plain('quick'));
    const [viaFront] = await fast.responses(1);
    const slow = connect();
    slow.socket.write(chunked('quick'));
    const [viaNode] = await slow.responses(1);
    fast.socket.destroy();
    slow.socket.destroy();
    expect(viaFront).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(masked(viaFront!)).toBe(masked(viaNode!));
    // Date, then node:http's keep-alive headers, last.
    expect(viaFront).toMatch(/\r\nDate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=0\r\n\r\n/);
  });

  it('answers an error the same way too (401 without a key)', async () => {
    const body = JSON.stringify({ prompt: 'x' });
    const noKey = (text: string): string => text.replace('authorization: Bearer test\r\n', '');
    const fast = connect();
    fast.socket.write(noKey(plain('quick', body)));
    const slow = connect();
    slow.socket.write(noKey(chunked('quick', body)));
    const [viaFront] = await fast.responses(1);
    const [viaNode] = await slow.responses(1);
    fast.socket.destroy();
    slow.socket.destroy();
    expect(viaFront).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(masked(viaFront!)).toBe(masked(viaNode!));
  });

  it('answers pipelined requests in order, one after the other', async () => {
    const c = connect();
    c.socket.write(plain('quick', JSON.stringify({ prompt: 'one', size: '1024x1024' })) + 'GET /_imgsim/health HTTP/1.1\r\nhost: h\r\n\r\n' + plain('quick', JSON.stringify({ prompt: 'two', size: '1024x1024' })));
    const got = await c.responses(3);
    c.socket.destroy();
    expect(got.map((r) => r.slice(0, 15))).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    const ids = got.map((r) => /x-request-id: (req_\w+)/.exec(r)?.[1]);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBeUndefined();
    expect(ids[2]! > ids[0]!).toBe(true);
  });

  it('hands a body split across packets to node:http, which answers it', async () => {
    const text = plain('quick');
    const c = connect();
    c.socket.write(text.slice(0, text.length - 10));
    await new Promise((r) => setTimeout(r, 30));
    c.socket.write(text.slice(text.length - 10));
    const [res] = await c.responses(1);
    // A second request on the same connection, now node:http's.
    c.socket.write(plain('quick'));
    const both = await c.responses(2);
    c.socket.destroy();
    expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(JSON.parse(both[1]!.slice(both[1]!.indexOf('\r\n\r\n') + 4))).toHaveProperty('data');
  });

  it('times out a request left half-sent after a plain one on the same connection', async () => {
    const c = connect();
    c.socket.write(plain('quick'));
    await c.responses(1);
    c.socket.write('POST /quick/v1/images/generations HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-len');
    const wallMs = await c.closed;
    expect(c.received()).toMatch(/HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(wallMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
  });

  it('closes a keep-alive connection left idle', async () => {
    const c = connect();
    c.socket.write(plain('quick'));
    await c.responses(1);
    const t0 = performance.now();
    await c.closed;
    const idleMs = performance.now() - t0;
    expect(idleMs).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(idleMs).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 1000);
  });

  it('keeps a connection whose request is still being emulated open past the idle time', async () => {
    // Each answer takes 300 ms of wall time (300 s at timeScale 0.001), as long as the idle
    // timeout: the timer fires while a request is open and must not close the connection.
    const c = connect();
    c.socket.write(plain('slow'));
    c.socket.write(plain('slow'));
    const got = await c.responses(2);
    c.socket.destroy();
    expect(got.map((r) => r.slice(0, 15))).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
  });

  it('abandons the request of a client that half-closes before the answer, as node:http does', async () => {
    const c = connect();
    c.socket.end(plain('slow', JSON.stringify({ prompt: 'gone', size: '1024x1024' })));
    await c.closed;
    expect(c.received()).toBe('');
    const deadline = Date.now() + 2_000;
    let last: Entry | undefined;
    while (Date.now() < deadline) {
      last = await newestEntry();
      if (last?.body.prompt === 'gone') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(last).toMatchObject({ outcome: 'aborted', status: null, body: { prompt: 'gone' } });
  });
});

describe('graceful close of fast connections', () => {
  it('closes idle and hanging connections at once, and lets an open request finish with connection: close', async () => {
    const own = await startServer(parseScenarioText(SCENARIO, 'fast-front.yaml'), { timeScale: 0.001 });
    const idle = connect(own.port);
    idle.socket.write(plain('quick'));
    await idle.responses(1);
    const hanging = connect(own.port);
    hanging.socket.write(plain('stuck'));
    const open = connect(own.port);
    open.socket.write(plain('slow'));
    // The slow request is in flight; the stuck one was decided (never to be answered) after 1 ms.
    const deadline = Date.now() + 2_000;
    while (own.providers.inFlight() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(own.providers.inFlight()).toBe(1);
    await new Promise((r) => setTimeout(r, 20));

    const t0 = performance.now();
    const closed = own.close();
    await Promise.all([idle.closed, hanging.closed]);
    // Both went before the open request's 300 ms were over.
    expect(performance.now() - t0).toBeLessThan(250);
    expect(hanging.received()).toBe('');
    const [answer] = await open.responses(1);
    await open.closed;
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).not.toMatch(/keep-alive/i);
  });
});

describe('the fast front reads a request as node:http reads it', () => {
  /** What node:http's request handler saw, or its status when it refused the request. */
  interface Seen {
    readonly method?: string;
    readonly url?: string;
    readonly headers?: Record<string, string>;
    readonly body?: string;
    readonly refused?: number;
  }

  /** Sends `bytes` to a plain node:http server on a fresh connection and reports what its handler saw. */
  function nodeSees(port: number, bytes: Buffer): Promise<Seen> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      // The report is JSON, so UTF-8 (the request went out as bytes, latin1).
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => (data += c));
      socket.on('error', () => undefined);
      // node:http answers and closes (`connection: close`); one that waits for more bytes is cut off.
      const timer = setTimeout(() => socket.destroy(), 1_000);
      socket.on('close', () => {
        clearTimeout(timer);
        const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
        resolve(status === 200 ? (JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4)) as Seen) : { refused: status });
      });
      socket.write(bytes);
    });
  }

  /** mulberry32: a seeded stream, so the cases are the same on every run. */
  function stream(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const BASES = [
    'POST /p/v1/images/generations?x=1&y=%20 HTTP/1.1\r\nHost: 127.0.0.1:8787\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nX-Imgsim-Project: app\r\nContent-Length: 13\r\n\r\n{"prompt":"a"}',
    'GET /_imgsim/journal?limit=2 HTTP/1.1\r\nhost: h\r\nuser-agent: x/1.0\r\naccept: */*\r\nconnection: keep-alive\r\n\r\n',
  ];
  /** Bytes that parsers disagree about when they are out of place. */
  const TRICKY = [' ', '\t', '\xa0', '\x0b', ':', '\r', '\n', '\r\n', '\0', '\x7f', '\x80', '\xff', '"', '{', '#', '%', 'A', 'z', '0', '+', '-', '.', '/', '?', ',', ';', 'content-length: 0\r\n', 'Host: other\r\n', 'transfer-encoding: chunked\r\n', ' \r\n'];

  function mutate(base: string, next: () => number): string {
    const headEnd = base.indexOf('\r\n\r\n');
    let head = base.slice(0, headEnd);
    const body = base.slice(headEnd + 4);
    const edits = 1 + Math.floor(next() * 3);
    for (let i = 0; i < edits; i++) {
      const at = Math.floor(next() * (head.length + 1));
      const kind = next();
      if (kind < 0.5) head = head.slice(0, at) + TRICKY[Math.floor(next() * TRICKY.length)]! + head.slice(at);
      else if (kind < 0.75) head = head.slice(0, at) + head.slice(at + 1);
      else head = head.slice(0, at) + head.charAt(at).toUpperCase() + head.slice(at + 1);
    }
    return `${head}\r\n\r\n${body}`;
  }

  it('agrees with node:http on every mutated request it accepts (2,000 seeded cases)', async () => {
    const plainNode = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : (value ?? '');
        const seen = JSON.stringify({ method: req.method, url: req.url, headers, body });
        res.writeHead(200, { connection: 'close', 'content-length': Buffer.byteLength(seen) });
        res.end(seen);
      });
    });
    await new Promise<void>((resolve) => plainNode.listen(0, '127.0.0.1', resolve));
    const port = (plainNode.address() as net.AddressInfo).port;
    const next = stream(20261126);
    let accepted = 0;
    const disagreements: string[] = [];
    try {
      for (let i = 0; i < 2000; i++) {
        const text = mutate(BASES[i % BASES.length]!, next);
        const bytes = Buffer.from(text, 'latin1');
        const parsed = parseFastRequest(bytes, 0);
        if (typeof parsed === 'string') continue;
        accepted++;
        const seen = await nodeSees(port, bytes.subarray(0, parsed.end));
        const mine: Seen = { method: parsed.req.method, url: parsed.req.target, headers: parsed.req.headers, body: parsed.req.body?.toString('latin1') ?? '' };
        if (JSON.stringify(seen) !== JSON.stringify(mine)) disagreements.push(`${JSON.stringify(text)}\n  node: ${JSON.stringify(seen)}\n  fast: ${JSON.stringify(mine)}`);
      }
    } finally {
      await new Promise((resolve) => plainNode.close(resolve));
    }
    expect(disagreements).toEqual([]);
    // The mutations leave a fair share of requests plain, so the comparison means something.
    expect(accepted).toBeGreaterThan(500);
  });
});
