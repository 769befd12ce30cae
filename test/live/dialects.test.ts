// The routing of the core over its dialects (src/live/dialect.ts, src/live/dialects/): which
// dialect a path belongs to, the 404 of a path no dialect matches and of a provider reached in
// another dialect, the 405 of a route asked with another method, and the journal record of a
// request each dialect parsed. The messages are compared whole: clients print them.
import { afterEach, describe, expect, it } from 'vitest';
import { LiveProviders } from '../../src/live/core.js';
import type { LiveRequest, LiveResponse } from '../../src/live/protocol.js';
import { scenarioFromObject } from '../../src/scenario/load.js';

const TIERS = { standard: { latency: { dist: 'fixed', value: '1s' } } };
const SCENARIO = scenarioFromObject({
  version: 1,
  name: 'dialects',
  seed: 5,
  start: '2026-06-01T12:00:00Z',
  providers: [
    { id: 'alpha', pricing: { model: 'per-image', price: 0.02 }, tiers: TIERS },
    { id: 'beta', dialect: 'async', pricing: { model: 'per-image', price: 0.04 }, tiers: TIERS },
  ],
  traffic: { arrivals: { process: 'poisson', rate: 1 }, mix: [{ name: 'a' }] },
});

const open: LiveProviders[] = [];
afterEach(async () => {
  for (const live of open.splice(0)) await live.close();
});

function make(): LiveProviders {
  let wall = 0;
  // Every read advances the fake wall clock 1 ms: journal latencies are then known exactly.
  const live = new LiveProviders(SCENARIO, { timeScale: 0.001, now: () => wall++, baseUrl: 'http://imgsim.test' });
  open.push(live);
  return live;
}

function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): LiveRequest {
  return { method, path, query: new URLSearchParams(), headers: { authorization: 'Bearer k', ...headers }, body };
}

/** The status, `allow` header and error message of a JSON answer. */
function errorOf(r: LiveResponse): { status: number; allow: string | undefined; code: unknown; message: unknown } {
  if (r.kind !== 'json') throw new Error(`expected a JSON answer, got ${r.kind}`);
  const body = r.body as { error?: { code?: unknown; message?: unknown } };
  return { status: r.status, allow: r.headers.allow, code: body.error?.code, message: body.error?.message };
}

describe('routing over the dialects', () => {
  it('answers a path no dialect matches 404, naming every dialect\'s routes', async () => {
    const live = make();
    const routes =
      'Provider routes are /{provider}/v1/images/generations, /{provider}/v1/images/edits, /{provider}/v1/predictions[/{id}[/cancel]], /{provider}/v1/models/{owner}/{name}/predictions and /{provider}/fal/proxy.';
    for (const path of ['/', '/alpha', '/alpha/v1/images', '/alpha/v1/images/generations/x', '/alpha/v2/images/generations', '/beta/v1/predictions/p/cancel/x', '/beta/fal/proxy/x', '/beta/v1/models/a/predictions']) {
      const e = errorOf(await live.handle(request('POST', path, {})));
      expect(e, path).toEqual({ status: 404, allow: undefined, code: 'not_found', message: `No route for POST ${path}. ${routes}` });
    }
  });

  it('sends a provider reached in another dialect to its own entry route', async () => {
    const live = make();
    const toAsync = 'Provider "beta" speaks the async dialect; use POST /beta/v1/predictions.';
    const toOpenAi = 'Provider "alpha" speaks the openai dialect; use POST /alpha/v1/images/generations.';
    const cases: [string, string][] = [
      ['/beta/v1/images/generations', toAsync],
      ['/beta/v1/images/edits', toAsync],
      ['/alpha/v1/predictions', toOpenAi],
      ['/alpha/v1/predictions/p1', toOpenAi],
      ['/alpha/v1/models/o/n/predictions', toOpenAi],
      ['/alpha/fal/proxy', toOpenAi],
    ];
    for (const [path, message] of cases) expect(errorOf(await live.handle(request('POST', path, {}))), path).toEqual({ status: 404, allow: undefined, code: 'not_found', message });
    const unknown = errorOf(await live.handle(request('POST', '/gamma/v1/images/generations', {})));
    expect(unknown).toEqual({ status: 404, allow: undefined, code: 'unknown_provider', message: 'Unknown provider "gamma"; providers: alpha, beta.' });
  });

  it('answers a route asked with another method 405 with the route\'s method in Allow', async () => {
    const live = make();
    const cases: [string, string, string][] = [
      ['GET', '/alpha/v1/images/generations', 'POST'],
      ['put', '/alpha/v1/images/edits', 'POST'],
      ['PUT', '/beta/v1/predictions', 'POST'],
      ['POST', '/beta/v1/predictions/p1', 'GET'],
      ['GET', '/beta/v1/predictions/p1/cancel', 'POST'],
      ['GET', '/beta/v1/models/o/n/predictions', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      expect(errorOf(await live.handle(request(method, path))), `${method} ${path}`).toEqual({
        status: 405,
        allow,
        code: 'method_not_allowed',
        message: `${method} is not allowed on ${path}; use ${allow}.`,
      });
    }
    // `GET /predictions` is the list, not a submission; fal's proxy takes any method (its target says what is asked).
    const list = await live.handle(request('get', '/beta/v1/predictions'));
    expect(list.kind === 'json' && list.status).toBe(200);
    const fal = errorOf(await live.handle(request('DELETE', '/beta/fal/proxy')));
    expect(fal.status).toBe(400);
    expect(fal.code).toBe('missing_target');
  });

  it('journals what each dialect parsed as one record, refused or run', async () => {
    const live = make();
    const refused = await live.handle(request('POST', '/alpha/v1/images/generations', { prompt: '' }, { 'x-imgsim-project': 'web' }));
    expect(errorOf(refused).status).toBe(400);
    const ok = await live.handle(request('POST', '/alpha/v1/images/generations', { prompt: 'a fox', n: 2 }));
    expect(ok.kind).toBe('json');
    const pred = await live.handle(request('POST', '/beta/v1/predictions', { input: { prompt: 'a fox' } }, { prefer: 'wait' }));
    expect(pred.kind === 'json' && pred.status).toBe(201);
    const res = await live.handle(request('GET', '/_imgsim/journal'));
    const entries = (res.kind === 'json' ? (res.body as { entries: Record<string, unknown>[] }).entries : []).map((e) => ({
      provider: e.provider,
      project: e.project,
      outcome: e.outcome,
      tier: e.tier,
      costUsd: e.costUsd,
      status: e.status,
      code: e.code,
      id: typeof e.id === 'string' ? e.id.split('_')[0] : e.id,
    }));
    expect(entries).toEqual([
      { provider: 'alpha', project: 'web', outcome: 'invalid-request', tier: undefined, costUsd: 0, status: 400, code: 'invalid_value', id: 'req' },
      { provider: 'alpha', project: 'default', outcome: 'success', tier: 'standard', costUsd: 0.04, status: 200, code: undefined, id: 'req' },
      { provider: 'beta', project: 'default', outcome: 'success', tier: 'standard', costUsd: 0.04, status: 201, code: undefined, id: 'pred' },
    ]);
    const ledger = live.ledgerSnapshot();
    expect(ledger.totals.requests).toBe(3);
    expect(ledger.totals.costUsd).toBeCloseTo(0.08, 12);
  });
});
