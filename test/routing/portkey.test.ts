/**
 * The `portkey` strategy, one Portkey gateway rule per test (docs/gateways.md names the source of
 * each): a config written here, a fake context, and requests whose attempts the test answers.
 */
import { describe, expect, it } from 'vitest';
import { makeRequest } from './_context.js';
import { always, byProvider, drive, gateway, writeConfig } from './_gateway.js';

const SEC = 1000;

/** A `portkey` strategy over a config given as an object. */
function portkey(config: object, seed = 42): ReturnType<typeof gateway> {
  return gateway({ use: 'portkey', config: writeConfig(JSON.stringify(config, null, 2), 'json') }, undefined, seed);
}

describe('portkey: reading the config', () => {
  it('maps targets by virtual_key, provider, custom_host (an imgsim serve URL) and override_params.model', () => {
    const { ctx, s } = portkey({
      strategy: { mode: 'fallback' },
      targets: [{ virtual_key: 'a' }, { provider: '@b', api_key: 'ignored' }, { custom_host: 'http://127.0.0.1:8787/c/v1', provider: 'openai' }, { override_params: { model: '@a/image-1' } }],
    });
    expect(drive(s, ctx, always('server-error')).sends).toEqual(['a', 'b', 'c', 'a']);
  });

  it('names the file, line, column and key of a target it cannot map, and lists the providers', () => {
    const config = writeConfig('{\n  "strategy": { "mode": "single" },\n  "targets": [\n    { "provider": "openai" }\n  ]\n}', 'json');
    expect(() => gateway({ use: 'portkey', config })).toThrow(/config-\d+\.json:4:5 targets\[0\]: cannot tell which provider .* one of: a, b, c/);
  });

  it('rejects what it does not emulate, naming the key', () => {
    const cache = writeConfig('{ "virtual_key": "a", "cache": { "mode": "simple" } }', 'json');
    expect(() => gateway({ use: 'portkey', config: cache })).toThrow(/:1:32 cache: not emulated: response caching/);
    const sample = writeConfig('{ "strategy": { "mode": "sample" }, "targets": [{ "virtual_key": "a" }] }', 'json');
    expect(() => gateway({ use: 'portkey', config: sample })).toThrow(/strategy\.mode: expected one of single, fallback, loadbalance, conditional/);
    const override = writeConfig('{ "virtual_key": "a", "override_params": { "size": "512x512" } }', 'json');
    expect(() => gateway({ use: 'portkey', config: override })).toThrow(/override_params\.size: not emulated/);
    const metadata = writeConfig(
      '{ "strategy": { "mode": "conditional", "conditions": [{ "query": { "metadata.user_tier": "pro" }, "then": "x" }] }, "targets": [{ "name": "x", "virtual_key": "a" }] }',
      'json',
    );
    expect(() => gateway({ use: 'portkey', config: metadata })).toThrow(/metadata\.user_tier: not emulated: imgsim requests carry metadata\.project/);
  });

  it('allows at most 5 retries', () => {
    const config = writeConfig('{ "virtual_key": "a", "retry": { "attempts": 6 } }', 'json');
    expect(() => gateway({ use: 'portkey', config })).toThrow(/retry\.attempts: expected at most 5/);
  });
});

describe('portkey: strategy modes', () => {
  it('single sends to the first target only', () => {
    const { ctx, s } = portkey({ strategy: { mode: 'single' }, targets: [{ virtual_key: 'b' }, { virtual_key: 'a' }] });
    const c = drive(s, ctx, always('server-error'));
    expect(c.sends).toEqual(['b']);
    expect(c.end).toBe('final');
  });

  it('fallback without on_status_codes moves on after any non-2xx answer, in order', () => {
    const { ctx, s } = portkey({ strategy: { mode: 'fallback' }, targets: [{ virtual_key: 'a' }, { virtual_key: 'b' }, { virtual_key: 'c' }] });
    expect(drive(s, ctx, byProvider({ a: 'filtered', b: 'overloaded' })).sends).toEqual(['a', 'b', 'c']);
    const all = drive(s, ctx, always('server-error'));
    expect(all.sends).toEqual(['a', 'b', 'c']);
    expect(all.end).toBe('exhausted');
  });

  it('fallback with on_status_codes moves on only for those codes', () => {
    const { ctx, s } = portkey({ strategy: { mode: 'fallback', on_status_codes: [429, 503] }, targets: [{ virtual_key: 'a' }, { virtual_key: 'b' }] });
    expect(drive(s, ctx, byProvider({ a: 'rate-limited' })).sends).toEqual(['a', 'b']);
    expect(drive(s, ctx, byProvider({ a: 'overloaded' })).sends).toEqual(['a', 'b']);
    // 500 is not listed: the answer is final.
    expect(drive(s, ctx, byProvider({ a: 'server-error' })).sends).toEqual(['a']);
  });

  it('loadbalance draws one target by weight (3:1 → 75% ± 3 sd over 4,000) and does not fail over', () => {
    const { ctx, s } = portkey({ strategy: { mode: 'loadbalance' }, targets: [{ virtual_key: 'a', weight: 3 }, { virtual_key: 'b' }] });
    let a = 0;
    for (let i = 0; i < 4000; i++) if (drive(s, ctx, always('success')).sends[0] === 'a') a++;
    // weight 3 against b's default 1; sd = sqrt(0.75 × 0.25 / 4000) = 0.0068
    expect(Math.abs(a / 4000 - 0.75)).toBeLessThan(0.021);
    expect(drive(s, ctx, always('server-error')).sends).toHaveLength(1);
  });

  it('conditional picks the target a query on metadata or params names, else default', () => {
    const { ctx, s } = portkey({
      strategy: {
        mode: 'conditional',
        conditions: [
          { query: { 'metadata.project': { $eq: 'catalog' } }, then: 'batch' },
          { query: { $or: [{ 'params.size': '1536x1024' }, { 'params.steps': { $gt: 40 } }] }, then: 'big' },
        ],
        default: 'fast',
      },
      targets: [
        { name: 'fast', virtual_key: 'a' },
        { name: 'batch', virtual_key: 'b' },
        { name: 'big', virtual_key: 'c' },
      ],
    });
    expect(drive(s, ctx, always('success'), makeRequest({ project: 'catalog' })).sends).toEqual(['b']);
    expect(drive(s, ctx, always('success'), makeRequest({ steps: 50 })).sends).toEqual(['c']);
    expect(drive(s, ctx, always('success'), makeRequest({ size: '1536x1024', width: 1536 })).sends).toEqual(['c']);
    expect(drive(s, ctx, always('success'), makeRequest()).sends).toEqual(['a']);
  });

  it('conditional without a match or a default fails the request before any attempt', () => {
    const { ctx, s } = portkey({
      strategy: { mode: 'conditional', conditions: [{ query: { 'metadata.urgency': 'batch' }, then: 'x' }] },
      targets: [{ name: 'x', virtual_key: 'a' }],
    });
    const c = drive(s, ctx, always('success'));
    expect(c.sends).toEqual([]);
    expect(c.end).toBe('final');
  });

  it('nests strategies: a loadbalance of fallbacks fails over within the slot drawn', () => {
    const { ctx, s } = portkey({
      strategy: { mode: 'loadbalance' },
      targets: [
        { weight: 1, strategy: { mode: 'fallback' }, targets: [{ virtual_key: 'a' }, { virtual_key: 'b' }] },
        { weight: 1, strategy: { mode: 'fallback' }, targets: [{ virtual_key: 'c' }, { virtual_key: 'b' }] },
      ],
    });
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add(drive(s, ctx, byProvider({ a: 'server-error', c: 'server-error' })).sends.join(','));
    expect(seen).toEqual(new Set(['a,b', 'c,b']));
  });
});

describe('portkey: retries', () => {
  it('retries `attempts` times on the default codes with waits of 1 s, 2 s, 4 s', () => {
    const { ctx, s } = portkey({ virtual_key: 'a', retry: { attempts: 3 } });
    const c = drive(s, ctx, always('server-error'));
    expect(c.sends).toEqual(['a', 'a', 'a', 'a']);
    expect(c.waits).toEqual([1000, 2000, 4000]);
    expect(c.end).toBe('exhausted');
    // 400 is not a default retry code
    expect(drive(s, ctx, always('filtered')).sends).toEqual(['a']);
  });

  it('retries only on on_status_codes when given', () => {
    const { ctx, s } = portkey({ virtual_key: 'a', retry: { attempts: 2, on_status_codes: [408] } });
    expect(drive(s, ctx, always('server-error')).sends).toEqual(['a']);
    expect(drive(s, ctx, always('timeout')).sends).toEqual(['a', 'a', 'a']);
  });

  it('with use_retry_after_headers waits a 429 Retry-After instead, then retries without backoff; a wait of 60 s or more ends the retries', () => {
    const { ctx, s } = portkey({ virtual_key: 'a', retry: { attempts: 3, use_retry_after_headers: true } });
    const c = drive(s, ctx, (_p, n) => (n === 1 ? { kind: 'rate-limited', retryAfterMs: 3 * SEC } : { kind: 'server-error' }));
    // 3 s (Retry-After), then the remaining backoff waits are 0.
    expect(c.waits).toEqual([3000]);
    expect(c.sends).toHaveLength(4);
    const long = drive(s, ctx, always('rate-limited', { retryAfterMs: 60 * SEC }));
    expect(long.sends).toEqual(['a']);
    expect(long.waits).toEqual([]);
    // Without the setting, a 429 is retried on the backoff schedule.
    const { ctx: ctx2, s: s2 } = portkey({ virtual_key: 'a', retry: { attempts: 1 } });
    expect(drive(s2, ctx2, always('rate-limited', { retryAfterMs: 5 * SEC })).waits).toEqual([1000]);
  });

  it('retries a dropped connection whatever on_status_codes lists (fetch throws), and answers 500 when the retries are over', () => {
    const { ctx, s } = portkey({ strategy: { mode: 'fallback', on_status_codes: [500] }, targets: [{ virtual_key: 'a', retry: { attempts: 2, on_status_codes: [503] } }, { virtual_key: 'b' }] });
    const c = drive(s, ctx, byProvider({ a: 'connection-reset' }));
    expect(c.sends).toEqual(['a', 'a', 'a', 'b']);
    expect(c.waits).toEqual([1000, 2000]);
    // A 500 is not in the target's retry codes: no retry, and the fallback moves on for it.
    expect(drive(s, ctx, byProvider({ a: 'server-error' })).sends).toEqual(['a', 'b']);
  });

  it('with use_retry_after_header (what 1.15.2 reads) a 429 with Retry-After is retried on the backoff schedule and ends as a 500', () => {
    const { ctx, s } = portkey({ strategy: { mode: 'fallback', on_status_codes: [500] }, targets: [{ virtual_key: 'a', retry: { attempts: 2, use_retry_after_header: true } }, { virtual_key: 'b' }] });
    const c = drive(s, ctx, byProvider({ a: { kind: 'rate-limited', retryAfterMs: 3 * SEC } }));
    // The Retry-After is not waited for (the handler throws first); the target's final answer is a
    // 500, on which this fallback moves on (it would stop on the 429 itself).
    expect(c.waits).toEqual([1000, 2000]);
    expect(c.sends).toEqual(['a', 'a', 'a', 'b']);
    // Without Retry-After the 429 is an ordinary retry code, and stays a 429: no fallback.
    expect(drive(s, ctx, byProvider({ a: 'rate-limited' })).sends).toEqual(['a', 'a', 'a']);
  });

  it('retries a target, then falls back; a target inherits retry and request_timeout from its strategy', () => {
    const { ctx, s } = portkey({
      strategy: { mode: 'fallback' },
      retry: { attempts: 1 },
      request_timeout: 4000,
      targets: [{ virtual_key: 'a' }, { virtual_key: 'b', request_timeout: 9000, retry: { attempts: 0 } }],
    });
    const c = drive(s, ctx, always('server-error'));
    expect(c.sends).toEqual(['a', 'a', 'b']);
    expect(c.steps.filter((st) => 'provider' in st).map((st) => 'provider' in st && st.timeoutMs)).toEqual([4000, 4000, 9000]);
  });
});

describe('portkey: explain', () => {
  it('follows the conditions the request meets, and shows open circuits', () => {
    const { ctx, s } = portkey({
      strategy: { mode: 'conditional', conditions: [{ query: { 'metadata.project': 'catalog' }, then: 'batch' }], default: 'main' },
      targets: [
        { name: 'batch', virtual_key: 'c' },
        { name: 'main', strategy: { mode: 'fallback', cb_config: { failure_threshold: 0, cooldown_interval: 30000 } }, targets: [{ virtual_key: 'a' }, { virtual_key: 'b' }] },
      ],
    });
    drive(s, ctx, byProvider({ a: 'overloaded' }));
    const why = s.explain!(makeRequest(), ctx);
    expect(why.summary).toMatch(/^the config decides at each attempt: conditional → main, fallback over 2 targets/);
    expect(why.candidates.find((c) => c.provider === 'a')!.reason).toMatch(/^target config\.targets\[1\]\.targets\[0\]: circuit open for /);
    expect(s.explain!(makeRequest({ project: 'catalog' }), ctx).summary).toMatch(/conditional → batch/);
  });
});

describe('portkey: circuit breaker', () => {
  const config = {
    strategy: { mode: 'fallback', cb_config: { failure_threshold: 2, cooldown_interval: 30000 } },
    targets: [{ virtual_key: 'a' }, { virtual_key: 'b' }],
  };

  it('opens after more than failure_threshold failures, skips the target for cooldown_interval, then closes', () => {
    const { ctx, s } = portkey(config);
    const fail = byProvider({ a: { kind: 'overloaded', latencyMs: 100 } });
    for (let i = 0; i < 3; i++) expect(drive(s, ctx, fail).sends).toEqual(['a', 'b']);
    // 3 > 2 failures: a's circuit is open
    expect(drive(s, ctx, fail).sends).toEqual(['b']);
    ctx.now += 30 * SEC;
    expect(drive(s, ctx, fail).sends).toEqual(['a', 'b']);
  });

  it('counts only status codes above 500 by default (a 500 is not a failure), or failure_status_codes', () => {
    const { ctx, s } = portkey(config);
    for (let i = 0; i < 5; i++) expect(drive(s, ctx, byProvider({ a: 'server-error' })).sends).toEqual(['a', 'b']);
    const listed = portkey({ ...config, strategy: { mode: 'fallback', cb_config: { failure_threshold: 1, cooldown_interval: 30000, failure_status_codes: [500] } } });
    drive(listed.s, listed.ctx, byProvider({ a: 'server-error' }));
    drive(listed.s, listed.ctx, byProvider({ a: 'server-error' }));
    expect(drive(listed.s, listed.ctx, byProvider({ a: 'server-error' })).sends).toEqual(['b']);
  });

  it('opens on failure_threshold_percentage once minimum_requests answers are in, and is bypassed when every target is open', () => {
    const { ctx, s } = portkey({
      strategy: { mode: 'fallback', cb_config: { failure_threshold_percentage: 50, minimum_requests: 4, cooldown_interval: 1000 } },
      targets: [{ virtual_key: 'a' }, { virtual_key: 'b' }],
    });
    // cooldown_interval is at least 30 s.
    drive(s, ctx, always('success', { latencyMs: 10 }));
    drive(s, ctx, always('success', { latencyMs: 10 }));
    // a: 2 successes, then 503s: 1/3, 2/4 (not > 50%), 3/5 > 50%
    for (let i = 0; i < 3; i++) drive(s, ctx, byProvider({ a: { kind: 'overloaded', latencyMs: 10 } }));
    expect(drive(s, ctx, always('success', { latencyMs: 10 })).sends).toEqual(['b']);
    ctx.now += 20 * SEC;
    expect(drive(s, ctx, always('success', { latencyMs: 10 })).sends).toEqual(['b']);
    ctx.now += 10 * SEC;
    expect(drive(s, ctx, always('success', { latencyMs: 10 })).sends).toEqual(['a']);
    // A strategy whose only target is open sends to it anyway.
    const alone = portkey({ strategy: { mode: 'fallback', cb_config: { failure_threshold: 0, cooldown_interval: 60000 } }, targets: [{ virtual_key: 'a' }] });
    expect(drive(alone.s, alone.ctx, always('overloaded')).sends).toEqual(['a']);
    expect(drive(alone.s, alone.ctx, always('overloaded')).sends).toEqual(['a']);
  });
});
