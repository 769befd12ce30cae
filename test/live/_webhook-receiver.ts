// A webhook receiver on 127.0.0.1 for the budget-alert tests, and a poll-until helper.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running receiver: its URL and the posts it got. */
export interface Receiver {
  readonly url: string;
  readonly posts: { status: number; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

/**
 * Starts a webhook receiver on 127.0.0.1.
 * @param answer - status to answer the nth post with (0-based), or 'hang' to never answer
 */
export async function receiver(answer: (n: number) => number | 'hang'): Promise<Receiver> {
  const posts: Receiver['posts'] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const status = answer(posts.length);
      posts.push({ status: status === 'hang' ? 0 : status, body: JSON.parse(raw) as Record<string, unknown> });
      if (status !== 'hang') res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    posts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * Waits until a condition holds.
 * @param cond - polled every 20 ms
 * @param timeoutMs - gives up (throws) after this
 */
export async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
