// Budgets enforced in live mode (`budget.onExhausted: reject`): a real `imgsim serve` on
// 127.0.0.1 and the msw handlers answer a request the budget refuses with the API's quota
// error (OpenAI's 429 `insufficient_quota`, Replicate's 402, fal's 403), by the simulator's rule
// (BudgetTracker.refusal), holding the price of requests in flight so the ledger never passes a
// limit by more than one request; alerts reach the webhook once per threshold and project; a new
// window and the admin reset admit again.
import { setupServer } from 'msw/node';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveProviders } from '../../src/live/core.js';
import type { LedgerSnapshot } from '../../src/live/ledger.js';
import { createHandlers } from '../../src/live/msw.js';
import type { LiveResponse } from '../../src/live/protocol.js';
import { startServer, type LiveServer } from '../../src/live/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { receiver, until, type Receiver } from './_webhook-receiver.js';

/** OpenAI's answer to an account out of quota, byte for byte. */
const OPENAI_QUOTA = {
  message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
  type: 'insufficient_quota',
  param: null,
  code: 'insufficient_quota',
};

/** $0.01 an image. */
const PRICE = 0.01;
/** Emulated latencies 1000× shorter: `latency` seconds are as many wall ms. */
const TIME_SCALE = 0.001;

/**
 * @param budget - the scenario's `budget` (flow YAML)
 * @param latency - the tiers' fixed latency
 * @returns a scenario of an OpenAI-dialect provider `lumen` and an async one `flux`, $0.01 an image each
 */
function scenario(budget: string, latency = '1s'): string {
  return `
version: 1
name: budget-enforce
providers:
  - id: lumen
    pricing: { model: per-image, price: ${PRICE} }
    tiers: { standard: { latency: { dist: fixed, value: ${latency} } } }
  - id: flux
    dialect: async
    model: fal-ai/flux/dev
    pricing: { model: per-image, price: ${PRICE} }
    tiers: { standard: { latency: { dist: fixed, value: ${latency} } } }
budget: ${budget}
traffic:
  arrivals: { process: poisson, rate: 1/s }
  mix:
    - { name: all, weight: 1, size: 1024x1024, steps: 30 }
`;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(text: string): Promise<LiveServer> {
  const server = await startServer(parseScenarioText(text, 'budget-enforce.yaml'), { timeScale: TIME_SCALE });
  cleanups.push(() => server.close());
  return server;
}

async function hook(): Promise<Receiver> {
  const h = await receiver(() => 200);
  cleanups.push(() => h.close());
  return h;
}

async function ledger(base: string): Promise<LedgerSnapshot> {
  return (await (await fetch(`${base}/_imgsim/ledger`)).json()) as LedgerSnapshot;
}

function openai(base: string, project?: string, maxRetries = 0): OpenAI {
  return new OpenAI({ apiKey: 'test', baseURL: `${base}/lumen/v1`, maxRetries, timeout: 5_000, ...(project === undefined ? {} : { defaultHeaders: { 'x-imgsim-project': project } }) });
}

/**
 * Generates images one at a time until the SDK throws.
 * @returns the images served and the error thrown
 */
async function generateUntilRefused(client: OpenAI, limit = 50): Promise<{ served: number; error: InstanceType<typeof OpenAI.APIError> }> {
  for (let served = 0; served < limit; served++) {
    try {
      await client.images.generate({ prompt: 'a lighthouse', size: '1024x1024' });
    } catch (err) {
      expect(err).toBeInstanceOf(OpenAI.APIError);
      return { served, error: err as InstanceType<typeof OpenAI.APIError> };
    }
  }
  throw new Error(`still served after ${limit} images`);
}

/** The alerts posted so far, as [project, threshold, period], sorted. */
function alertsOf(h: Receiver): [string | null, number, number][] {
  return h.posts.map((p) => [p.body.project as string | null, p.body.threshold as number, p.body.period as number] as [string | null, number, number]).sort((a, b) => String(a[0]).localeCompare(String(b[0])) || a[1] - b[1]);
}

function postGenerate(base: string, project = 'web'): Promise<Response> {
  return fetch(`${base}/lumen/v1/images/generations`, {
    method: 'POST',
    headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'a lighthouse', size: '1024x1024', project }),
  });
}

describe('imgsim serve enforces the budget', () => {
  it('serves the official openai client until the limit is spent, then throws insufficient_quota, retries included; one alert per threshold; the reset admits again', async () => {
    const h = await hook();
    const server = await serve(scenario(`{ limit: 0.1, alerts: [0.5, 0.8, 1.0], onExhausted: reject, webhook: ${JSON.stringify(h.url)} }`));

    const { served, error } = await generateUntilRefused(openai(server.url));
    // $0.10 at $0.01 an image: ten (the tenth reaches the limit exactly, float drift aside).
    expect(served).toBe(10);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.code).toBe('insufficient_quota');
    expect(error.type).toBe('insufficient_quota');
    expect(error.error).toEqual(OPENAI_QUOTA);
    expect(error.headers?.get('x-imgsim-reason')).toBe('budget');
    expect(error.headers?.get('x-imgsim-outcome')).toBe('rejected');

    // The SDK's own retries (2 by default) are refused too: three 429s in the journal for one call.
    const retried = await generateUntilRefused(openai(server.url, undefined, 2));
    expect(retried.served).toBe(0);
    expect(retried.error.code).toBe('insufficient_quota');

    const l = await ledger(server.url);
    expect(l.totals.costUsd).toBeLessThanOrEqual(0.1 + PRICE);
    expect(l.totals.costUsd).toBeCloseTo(0.1, 9);
    expect(l.totals.outcomes).toEqual({ success: 10, rejected: 4 });
    expect(l.budget?.spentUsd).toBeCloseTo(0.1, 9);
    expect(l.budget?.heldUsd).toBe(0);
    const journal = (await (await fetch(`${server.url}/_imgsim/journal`)).json()) as { entries: { outcome: string; code: string | null; status: number; costUsd: number }[] };
    expect(journal.entries.filter((e) => e.outcome === 'rejected').map((e) => [e.code, e.status, e.costUsd])).toEqual(Array.from({ length: 4 }, () => ['insufficient_quota', 429, 0]));

    await until(() => h.posts.length >= 3, 3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(alertsOf(h)).toEqual([
      [null, 0.5, 0],
      [null, 0.8, 0],
      [null, 1, 0],
    ]);

    // POST /_imgsim/reset forgets the spend: the window admits again.
    const reset = await fetch(`${server.url}/_imgsim/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(reset.status).toBe(200);
    expect((await generateUntilRefused(openai(server.url))).served).toBe(10);
  });

  it('holds the price of requests in flight: of 30 sent at once, only the 10 the limit pays for are admitted', async () => {
    // 200 s of emulated latency (200 ms of wall time): all 30 arrive before any is billed.
    const server = await serve(scenario('{ limit: 0.1, onExhausted: reject }', '200s'));
    const answers = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const res = await postGenerate(server.url);
        return { status: res.status, body: (await res.json()) as { error?: unknown } };
      }),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(20);
    for (const a of refused) expect(a).toEqual({ status: 429, body: { error: OPENAI_QUOTA } });
    const l = await ledger(server.url);
    // Never more than one request's price over the limit; here not even that.
    expect(l.totals.costUsd).toBeLessThanOrEqual(0.1 + PRICE);
    expect(l.totals.costUsd).toBeCloseTo(0.1, 9);
    expect(l.budget?.heldUsd).toBe(0);
  });

  it('refuses a capped project at its cap (budget:<project>) while others go on to the overall limit; alerts once per threshold and project', async () => {
    const h = await hook();
    const server = await serve(scenario(`{ limit: 0.1, perProject: { app: 0.03 }, alerts: [0.5, 0.8, 1.0], onExhausted: reject, webhook: ${JSON.stringify(h.url)} }`));

    const app = await generateUntilRefused(openai(server.url, 'app'));
    expect(app.served).toBe(3);
    expect(app.error.error).toEqual(OPENAI_QUOTA);
    expect(app.error.headers?.get('x-imgsim-reason')).toBe('budget:app');
    // The project in the body works as the header does.
    const res = await postGenerate(server.url, 'app');
    expect(res.status).toBe(429);
    expect(res.headers.get('x-imgsim-reason')).toBe('budget:app');

    const web = await generateUntilRefused(openai(server.url, 'web'));
    expect(web.served).toBe(7);
    expect(web.error.headers?.get('x-imgsim-reason')).toBe('budget');

    const l = await ledger(server.url);
    expect(l.providers.lumen?.costByProject.app).toBeCloseTo(0.03, 9);
    expect(l.totals.costUsd).toBeLessThanOrEqual(0.1 + PRICE);
    expect(l.budget?.projects).toEqual({ app: { spentUsd: expect.closeTo(0.03, 9) as number, limitUsd: 0.03 } });

    await until(() => h.posts.length >= 6, 3000);
    await new Promise((r) => setTimeout(r, 100));
    // Each threshold once, for the project's cap and for the overall limit, in window 0.
    expect(alertsOf(h)).toEqual(['app', null].flatMap((project) => [0.5, 0.8, 1].map((threshold) => [project, threshold, 0])));
  });

  it('answers Replicate\'s 402 "Insufficient credit" and fal\'s 403 "Exhausted balance" in the async dialect', async () => {
    const server = await serve(scenario('{ limit: 0.02, onExhausted: reject }', '100s'));
    const submit = (): Promise<Response> =>
      fetch(`${server.url}/flux/v1/predictions`, { method: 'POST', headers: { authorization: 'Bearer test', 'content-type': 'application/json' }, body: JSON.stringify({ input: { prompt: 'a fox' } }) });
    // Two predictions hold the $0.02 while they run: the third is refused before either is billed.
    expect((await submit()).status).toBe(201);
    expect((await submit()).status).toBe(201);
    const replicate = await submit();
    expect(replicate.status).toBe(402);
    expect(await replicate.json()).toEqual({
      title: 'Insufficient credit',
      detail: 'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait a few minutes before trying again.',
      status: 402,
      error: expect.objectContaining({ type: 'insufficient_quota', code: 'insufficient_quota' }) as unknown,
    });

    const fal = await fetch(`${server.url}/flux/fal/proxy`, {
      method: 'POST',
      headers: { authorization: 'Key test', 'content-type': 'application/json', 'x-fal-target-url': 'https://queue.fal.run/fal-ai/flux/dev' },
      body: JSON.stringify({ prompt: 'a fox' }),
    });
    expect(fal.status).toBe(403);
    expect(await fal.json()).toMatchObject({ detail: 'User is locked. Reason: Exhausted balance. Top up your balance at fal.ai/dashboard/billing.', error: { code: 'insufficient_quota' } });
    expect((await ledger(server.url)).totals.outcomes.rejected).toBe(2);
  });
});

describe('the msw handlers enforce the budget', () => {
  it('answer OpenAI\'s 429 once the limit is spent, hold the price of requests in flight, and alert per threshold', async () => {
    const base = 'https://imgsim.test';
    const h = await hook();
    const handlers = await createHandlers(parseScenarioText(scenario(`{ limit: 0.1, alerts: [0.5, 1.0], onExhausted: reject, webhook: ${JSON.stringify(h.url)} }`, '200s'), 'budget-msw.yaml'), {
      baseUrl: base,
      timeScale: TIME_SCALE,
    });
    // The webhook receiver is a real socket: let its posts through.
    const msw = setupServer(...handlers);
    msw.listen({ onUnhandledRequest: 'bypass' });
    cleanups.push(() => {
      msw.close();
      return handlers.providers.close();
    });

    const answers = await Promise.all(Array.from({ length: 25 }, () => postGenerate(base).then(async (r) => ({ status: r.status, body: (await r.json()) }))));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
    for (const a of answers.filter((x) => x.status !== 200)) expect(a).toEqual({ status: 429, body: { error: OPENAI_QUOTA } });
    // Once they are billed, one at a time: still refused.
    const after = await postGenerate(base);
    expect(after.status).toBe(429);
    const snapshot = handlers.providers.ledgerSnapshot();
    expect(snapshot.totals.costUsd).toBeLessThanOrEqual(0.1 + PRICE);
    expect(snapshot.totals.costUsd).toBeCloseTo(0.1, 9);
    expect(snapshot.totals.outcomes).toEqual({ success: 10, rejected: 16 });

    await until(() => h.posts.length >= 2, 3000);
    await new Promise((r) => setTimeout(r, 100));
    expect(alertsOf(h)).toEqual([
      [null, 0.5, 0],
      [null, 1, 0],
    ]);
  });
});

describe('budget windows in live mode', () => {
  it('admits again when a new period starts, and alerts again in it', async () => {
    // A wall clock the test moves: simulated time = start + wall / timeScale.
    let wall = 0;
    const live = new LiveProviders(parseScenarioText(scenario('{ limit: 0.03, period: 1h, alerts: [1.0], onExhausted: reject }'), 'budget-window.yaml'), { timeScale: TIME_SCALE, now: () => wall });
    cleanups.push(() => live.close());
    const generate = async (): Promise<number> => {
      const r: LiveResponse = await live.handle({
        method: 'POST',
        path: '/lumen/v1/images/generations',
        query: new URLSearchParams(),
        headers: { authorization: 'Bearer k' },
        body: { prompt: 'a fox', size: '1024x1024' },
      });
      return r.kind === 'json' ? r.status : 0;
    };
    const statuses = async (n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(await generate());
      return out;
    };
    expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    // Still the first hour (59 simulated minutes in): refused.
    wall = 59 * 60_000 * TIME_SCALE;
    expect(await statuses(1)).toEqual([429]);
    // The second hour: three more, then refused again.
    wall = 61 * 60_000 * TIME_SCALE;
    expect(await statuses(4)).toEqual([200, 200, 200, 429]);
    const budget = live.ledgerSnapshot().budget!;
    expect(budget.spentUsd).toBeCloseTo(0.03, 9);
    expect(budget.alerts.map((a) => [a.threshold, a.period])).toEqual([
      [1, 0],
      [1, 1],
    ]);
  });
});
