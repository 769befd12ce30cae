// Budget alerts in live mode: a real `imgsim serve` on 127.0.0.1 bills requests, fires the
// scenario's alerts on the simulated clock and POSTs them to a real node:http receiver; the
// sender itself is checked with an injected fetch.
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { WebhookSender, type WebhookFetch } from '../../src/live/webhook.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { receiver, until } from './_webhook-receiver.js';

/** $0.01 per image against a $0.10 budget that alerts only (`allow`): alerts at $0.05 (5th), $0.08 (8th) and $0.10 (10th image); the 11th is served. */
function scenario(webhook: string): string {
  return `
version: 1
name: budget-live
providers:
  - id: lumen
    pricing: { model: per-image, price: 0.01 }
    tiers:
      standard: { latency: { dist: fixed, value: 1s } }
budget: { limit: 0.1, alerts: [0.5, 0.8, 1.0], onExhausted: allow, webhook: ${JSON.stringify(webhook)} }
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix:
    - { name: all, weight: 1, size: 1024x1024, steps: 30 }
`;
}

async function generate(server: LiveServer): Promise<{ status: number; wallMs: number }> {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/lumen/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024' }),
  });
  await res.arrayBuffer();
  return { status: res.status, wallMs: performance.now() - t0 };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('budget alerts over a webhook', () => {
  it('posts one event per threshold, in order, retrying a failed delivery', async () => {
    // The first post is refused (500), every later one accepted.
    const hook = await receiver((n) => (n === 0 ? 500 : 200));
    cleanups.push(() => hook.close());
    const server = await startServer(parseScenarioText(scenario(hook.url), 'budget-live.yaml'), { timeScale: 0.001 });
    cleanups.push(() => server.close());

    for (let i = 0; i < 11; i++) expect((await generate(server)).status).toBe(200);
    // 0.5 fails, is retried after 0.5 s, then 0.8 and 1.0 follow: 4 posts.
    await until(() => hook.posts.length >= 4, 5000);
    await new Promise((r) => setTimeout(r, 100));

    expect(hook.posts.map((p) => [p.body.threshold, p.status])).toEqual([
      [0.5, 500],
      [0.5, 200],
      [0.8, 200],
      [1, 200],
    ]);
    const delivered = hook.posts.filter((p) => p.status === 200).map((p) => p.body);
    // Spend when each fired: 5, 8 and 10 images at $0.01.
    const spent = [0.05, 0.08, 0.1];
    delivered.forEach((e, i) => {
      expect(e).toMatchObject({ type: 'budget.alert', scenario: 'budget-live', project: null, period: 0, limitUsd: 0.1 });
      expect(e.spentUsd).toBeCloseTo(spent[i]!, 9);
      expect(e.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });
    const ats = delivered.map((e) => Date.parse(String(e.at)));
    expect(ats).toEqual([...ats].sort((a, b) => a - b));

    const ledger = (await (await fetch(`${server.url}/_imgsim/ledger`)).json()) as { totals: { requests: number }; budget: { spentUsd: number; limitUsd: number; alerts: { threshold: number; at: string; period: number; project?: string }[] } };
    expect(ledger.totals.requests).toBe(11);
    expect(ledger.budget.spentUsd).toBeCloseTo(0.11, 9);
    expect(ledger.budget.limitUsd).toBe(0.1);
    expect(ledger.budget.alerts.map((a) => a.threshold)).toEqual([0.5, 0.8, 1]);
    expect(ledger.budget.alerts.map((a) => a.at)).toEqual(delivered.map((e) => e.at));
    expect(ledger.budget.alerts.every((a) => a.period === 0 && a.project === undefined)).toBe(true);

    const metrics = await (await fetch(`${server.url}/_imgsim/metrics`)).text();
    expect(metrics).toContain('imgsim_webhook_failures_total 1\n');
    expect(metrics).toContain('imgsim_webhook_events_total{result="delivered"} 3\n');
  });

  it('never slows requests down when the receiver never answers, and close() stops the retries', async () => {
    const hook = await receiver(() => 'hang');
    cleanups.push(() => hook.close());
    const server = await startServer(parseScenarioText(scenario(hook.url), 'budget-hang.yaml'), { timeScale: 0.001 });
    let closed = false;
    cleanups.push(async () => {
      if (!closed) await server.close();
    });

    const t0 = performance.now();
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await generate(server));
    const totalMs = performance.now() - t0;
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // 11 requests of 1 ms emulated latency each; the stuck webhook must not show in them.
    expect(Math.max(...answers.map((a) => a.wallMs))).toBeLessThan(500);
    expect(totalMs).toBeLessThan(2000);
    await until(() => hook.posts.length === 1, 2000);

    // The first try times out after 2 s and is counted; its retry would go 0.5 s later.
    const metrics = async (): Promise<string> => (await fetch(`${server.url}/_imgsim/metrics`)).text();
    let text = await metrics();
    while (!text.includes('imgsim_webhook_failures_total 1\n') && performance.now() - t0 < 4000) text = await metrics();
    expect(text, text).toContain('imgsim_webhook_failures_total 1\n');

    const c0 = performance.now();
    await server.close();
    closed = true;
    expect(performance.now() - c0).toBeLessThan(1000);
    const seen = hook.posts.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(hook.posts.length).toBe(seen);
  });
});

describe('WebhookSender', () => {
  const event = (n: number) => ({ n });

  it('tries 5 times with growing waits, counts every failure and never throws', async () => {
    const tries: number[] = [];
    const failing: WebhookFetch = () => {
      tries.push(performance.now());
      return Promise.reject(new Error('connection refused'));
    };
    const sender = new WebhookSender('http://127.0.0.1:9/hook', { fetch: failing, backoffMs: [10, 20, 40, 80] });
    sender.send(event(1));
    await sender.idle();
    expect(tries).toHaveLength(5);
    expect(sender.stats()).toEqual({ delivered: 0, failures: 5, dropped: 1 });
    // Gaps of 10, 20, 40 and 80 ms (timers fire no earlier than asked; allow 2 ms of clock slop).
    const gaps = tries.slice(1).map((t, i) => t - tries[i]!);
    [10, 20, 40, 80].forEach((ms, i) => expect(gaps[i]).toBeGreaterThanOrEqual(ms - 2));
  });

  it('delivers events one at a time in the order they were sent', async () => {
    const bodies: string[] = [];
    let calls = 0;
    const flaky: WebhookFetch = (_url, init) => {
      calls++;
      // Every other try fails, so each event needs a retry.
      if (calls % 2 === 1) return Promise.resolve({ ok: false, status: 503 });
      bodies.push(init.body);
      return Promise.resolve({ ok: true, status: 204 });
    };
    const sender = new WebhookSender('http://127.0.0.1:9/hook', { fetch: flaky, backoffMs: [1, 1, 1, 1] });
    for (let i = 0; i < 5; i++) sender.send(event(i));
    await sender.idle();
    expect(bodies.map((b) => (JSON.parse(b) as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
    expect(sender.stats()).toEqual({ delivered: 5, failures: 5, dropped: 0 });
  });

  it('aborts a try that outlives its timeout', async () => {
    const hanging: WebhookFetch = (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal.addEventListener('abort', () => {
          reject(new Error('aborted'));
        });
      });
    const sender = new WebhookSender('http://127.0.0.1:9/hook', { fetch: hanging, backoffMs: [1], timeoutMs: 30 });
    const t0 = performance.now();
    sender.send(event(1));
    await sender.idle();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(sender.stats()).toEqual({ delivered: 0, failures: 2, dropped: 1 });
  });

  it('stops pending retries on close()', async () => {
    let calls = 0;
    const failing: WebhookFetch = () => {
      calls++;
      return Promise.resolve({ ok: false, status: 500 });
    };
    const sender = new WebhookSender('http://127.0.0.1:9/hook', { fetch: failing, backoffMs: [10_000] });
    sender.send(event(1));
    sender.send(event(2));
    await until(() => sender.stats().failures === 1, 1000);
    const t0 = performance.now();
    sender.close();
    await sender.idle();
    expect(performance.now() - t0).toBeLessThan(100);
    expect(calls).toBe(1);
    expect(sender.stats()).toEqual({ delivered: 0, failures: 1, dropped: 2 });
    sender.send(event(3));
    expect(sender.stats().dropped).toBe(3);
  });
});
