/**
 * The `litellm` strategy, one LiteLLM Router rule per test (docs/gateways.md names the source of
 * each): a config written here, a fake context, and requests whose attempts the test answers.
 */
import { describe, expect, it } from 'vitest';
import { ImgsimError } from '../../src/scenario/errors.js';
import { makeRequest } from './_context.js';
import { always, answer, byProvider, drive, gateway, start, writeConfig } from './_gateway.js';

const SEC = 1000;

/** A Router config with deployments a, b, c in one group `img`, and the given router settings. */
function router(settings: string, deployments = ['a', 'b', 'c'], params = ''): string {
  const list = deployments.map((p) => `  - model_name: img\n    litellm_params: { model: openai/${p}${params} }`).join('\n');
  return writeConfig(`model_list:\n${list}\n${settings}\n`);
}

/** Runs requests until one is sent to `provider` first, and times that attempt out (the others succeed). */
function timeOut(s: ReturnType<typeof gateway>['s'], ctx: ReturnType<typeof gateway>['ctx'], provider: string): void {
  for (let guard = 0; guard < 200; guard++) {
    const c = drive(s, ctx, (p, n) => ({ kind: p === provider && n === 1 ? 'timeout' : 'success', latencyMs: 10 }));
    if (c.sends[0] === provider) return;
  }
  throw new Error(`${provider} was never picked`);
}

/** Counts how often each provider is picked first over `n` successful requests. */
function firstPicks(config: string, n: number, seed = 42): Record<string, number> {
  const { ctx, s } = gateway({ use: 'litellm', config, models: [] }, undefined, seed);
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const c = drive(s, ctx, always('success'));
    counts[c.sends[0]!] = (counts[c.sends[0]!] ?? 0) + 1;
  }
  return counts;
}

describe('litellm: reading the config', () => {
  it('maps deployments by model_info.id, by api_base (an imgsim serve URL) and by model name', () => {
    const config = writeConfig(`
model_list:
  - model_name: img
    litellm_params: { model: openai/dall-e-3, api_key: sk-ignored }
    model_info: { id: a, mode: image_generation }
  - model_name: img
    litellm_params: { model: openai/whatever, api_base: "http://127.0.0.1:8787/b/v1" }
  - model_name: img
    litellm_params: { model: openai/c }
`);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    const d = s.route(makeRequest(), ctx);
    expect('candidates' in d && d.candidates.map((c) => c.provider)).toEqual(['a', 'b', 'c']);
  });

  it('names the file, line, column and key of a deployment it cannot map, and lists the providers', () => {
    const config = writeConfig('model_list:\n  - model_name: img\n    litellm_params: { model: openai/dall-e-3 }\n');
    expect(() => gateway({ use: 'litellm', config, models: [] })).toThrow(/config-\d+\.yaml:2:5 model_list\[0\]: cannot tell which provider .* one of: a, b, c/);
  });

  it('rejects a setting it does not emulate, naming the key, and ignores credentials', () => {
    const config = writeConfig(
      'model_list:\n  - model_name: img\n    litellm_params: { model: openai/a, api_key: x, max_parallel_requests: 4 }\nrouter_settings:\n  redis_host: localhost\n',
    );
    expect(() => gateway({ use: 'litellm', config, models: [] })).toThrow(/:3:75 model_list\[0\]\.litellm_params\.max_parallel_requests: not emulated: a per-deployment concurrency semaphore/);
  });

  it('reports an unknown key with the nearest valid one, and an unknown fallback group', () => {
    const config = writeConfig('model_list:\n  - model_name: img\n    litellm_params: { model: openai/a }\nrouter_settings:\n  num_retires: 2\n  fallbacks: [{ img: [other] }]\n');
    let err: unknown;
    try {
      gateway({ use: 'litellm', config, models: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImgsimError);
    expect((err as ImgsimError).message).toMatch(/router_settings\.num_retires: unknown key `num_retires`; did you mean `num_retries`\?/);
  });

  it('refuses a model group the config does not have', () => {
    const config = router('');
    expect(() => gateway({ use: 'litellm', config, model: 'video', models: [] })).toThrow(/model "video" is not a model group .* it has img/);
  });
});

describe('litellm: routing strategies', () => {
  it('simple-shuffle picks by `weight` (3:1 → 75% ± 3 sd over 4,000 requests)', () => {
    const config = writeConfig('model_list:\n  - { model_name: img, litellm_params: { model: openai/a, weight: 3 } }\n  - { model_name: img, litellm_params: { model: openai/b, weight: 1 } }\n');
    const counts = firstPicks(config, 4000);
    // sd = sqrt(0.75 × 0.25 / 4000) = 0.0068; 3 sd = 0.021
    expect(Math.abs(counts.a! / 4000 - 0.75)).toBeLessThan(0.021);
  });

  it('simple-shuffle falls back to `rpm` as the weight, and reads only the first deployment to decide', () => {
    const byRpm = writeConfig('model_list:\n  - { model_name: img, litellm_params: { model: openai/a, rpm: 900 } }\n  - { model_name: img, litellm_params: { model: openai/b, rpm: 100 } }\n');
    const counts = firstPicks(byRpm, 4000);
    // 900 / 1000 = 0.9; sd = sqrt(0.09 / 4000) = 0.0047
    expect(Math.abs(counts.a! / 4000 - 0.9)).toBeLessThan(0.015);
    // The first deployment has no weight: weights are not used at all, the pick is uniform.
    const secondOnly = writeConfig('model_list:\n  - { model_name: img, litellm_params: { model: openai/a } }\n  - { model_name: img, litellm_params: { model: openai/b, weight: 9 } }\n');
    const uniform = firstPicks(secondOnly, 4000);
    expect(Math.abs(uniform.a! / 4000 - 0.5)).toBeLessThan(0.024);
  });

  it('least-busy picks the deployment with the fewest requests in flight', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: router('routing_strategy: least-busy'), models: [] });
    const r1 = start(s, ctx);
    const r2 = start(s, ctx);
    const r3 = start(s, ctx);
    // All at 0: the first in order; then the next least busy.
    expect([r1.step, r2.step, r3.step].map((st) => 'provider' in st && st.provider)).toEqual(['a', 'b', 'c']);
    answer(s, ctx, r2, { kind: 'success' });
    expect(start(s, ctx).step).toMatchObject({ provider: 'b' });
  });

  it('usage-based-routing sticks to the first deployment until its RPM + 1 reaches its rpm, then moves on', () => {
    const config = writeConfig(
      'model_list:\n  - { model_name: img, litellm_params: { model: openai/a, rpm: 3 } }\n  - { model_name: img, litellm_params: { model: openai/b, rpm: 3 } }\nrouting_strategy: usage-based-routing\n',
    );
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    // Successes at a this minute: 0, 1, then 2 (2 + 1 >= 3: a is full), so the third goes to b.
    const picks = [0, 1, 2, 3].map(() => drive(s, ctx, always('success', { latencyMs: 1 })).sends[0]);
    expect(picks).toEqual(['a', 'a', 'b', 'b']);
    ctx.now += 60 * SEC; // a new minute: usage starts again
    expect(drive(s, ctx, always('success', { latencyMs: 1 })).sends[0]).toBe('a');
  });

  it('usage-based-routing-v2 answers 429 itself for a deployment over its rpm this minute, and retries elsewhere', () => {
    const config = writeConfig(
      'model_list:\n  - { model_name: img, litellm_params: { model: openai/a, rpm: 1 } }\n  - { model_name: img, litellm_params: { model: openai/b, rpm: 1 } }\nrouting_strategy: usage-based-routing-v2\nnum_retries: 5\n',
    );
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    const first = drive(s, ctx, always('success', { latencyMs: 1 }));
    const second = drive(s, ctx, always('success', { latencyMs: 1 }));
    // One call each this minute: the second request lands on the other deployment (a refused
    // pick is retried at once while another deployment is healthy).
    expect(new Set([first.sends[0], second.sends[0]])).toEqual(new Set(['a', 'b']));
    expect(second.waits).toEqual([]);
    // Both used up: a third request finds every pick refused and fails without an attempt.
    const third = drive(s, ctx, always('success'));
    expect(third.sends).toEqual([]);
  });

  it('latency-based-routing only avoids timeouts: image latencies are timedeltas its average skips', () => {
    const config = router('routing_strategy: latency-based-routing', ['a', 'b']);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    // a is slow (9 s), b fast (1 s): both average 0, so the pick stays uniform.
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const c = drive(s, ctx, (p) => ({ kind: 'success', latencyMs: p === 'a' ? 9 * SEC : SEC }));
      counts[c.sends[0]!] = (counts[c.sends[0]!] ?? 0) + 1;
    }
    expect(counts.a! / 400).toBeGreaterThan(0.4);
    // One timeout at a records a 1,000 s penalty: a is avoided while it is in the list.
    timeOut(s, ctx, 'a');
    expect(new Set(Array.from({ length: 40 }, () => drive(s, ctx, always('success')).sends[0]))).toEqual(new Set(['b']));
  });

  it('latency-based-routing forgets its latency lists `ttl` after the first write', () => {
    const config = router('routing_strategy: latency-based-routing\nrouting_strategy_args: { ttl: 120 }', ['a', 'b']);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    const start = ctx.now;
    timeOut(s, ctx, 'a');
    expect(new Set(Array.from({ length: 20 }, () => drive(s, ctx, always('success', { latencyMs: 10 })).sends[0]))).toEqual(new Set(['b']));
    // 120 s after the map's first write it is gone with the penalty: a is picked again.
    ctx.now = start + 121 * SEC;
    expect(new Set(Array.from({ length: 40 }, () => drive(s, ctx, always('success', { latencyMs: 10 })).sends[0]))).toEqual(new Set(['a', 'b']));
  });

  it('latency-based-routing picks at random within lowest_latency_buffer of the lowest average', () => {
    const config = router('routing_strategy: latency-based-routing\nrouting_strategy_args: { lowest_latency_buffer: 1 }', ['a', 'b']);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    // Give both deployments a timeout penalty: a 1,000 over 2 entries (500), b 1,000 over 3 (333).
    for (const p of ['a', 'b']) {
      for (let guard = 0; guard < 100; guard++) {
        const c = drive(s, ctx, (q) => ({ kind: q === p ? 'timeout' : 'success', latencyMs: 1 }));
        if (c.sends.includes(p)) break;
      }
    }
    // With a buffer of 100% both are within 2 × the lowest: both are still picked.
    const picks = new Set(Array.from({ length: 60 }, () => drive(s, ctx, always('success', { latencyMs: 1 })).sends[0]));
    expect(picks).toEqual(new Set(['a', 'b']));
  });

  it('cost-based-routing picks the lowest input + output cost per token; a deployment without costs counts $5 + $5', () => {
    const config = writeConfig(`
model_list:
  - { model_name: img, litellm_params: { model: openai/a } }
  - { model_name: img, litellm_params: { model: openai/b, input_cost_per_token: 0.000001, output_cost_per_token: 0.00003 } }
  - { model_name: img, litellm_params: { model: openai/c, input_cost_per_token: 0.000002, output_cost_per_token: 0.00003 } }
routing_strategy: cost-based-routing
`);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    expect([0, 1, 2].map(() => drive(s, ctx, always('success')).sends[0])).toEqual(['b', 'b', 'b']);
  });
});

describe('litellm: retries', () => {
  it('retries at once while another deployment of the group is healthy, up to num_retries', () => {
    const config = router('num_retries: 2\ndisable_cooldowns: true');
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    const c = drive(s, ctx, always('server-error'));
    // The first call and 2 retries, no wait between (other deployments are healthy), then the
    // retries are exhausted.
    expect(c.sends).toHaveLength(3);
    expect(c.waits).toEqual([]);
    expect(c.end).toBe('exhausted');
  });

  it('backs off exponentially with jitter in a single-deployment group: 0.5 s, 0.5 s, 1 s (× 0.75-1), then fails', () => {
    const config = router('num_retries: 2', ['a']);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    const c = drive(s, ctx, always('server-error'));
    expect(c.sends).toEqual(['a', 'a', 'a']);
    // Before the first retry: 0.5 s × 2^0; after each failed retry k (remaining = 2, 1): 0.5 × 2^0, 0.5 × 2^1.
    expect(c.waits).toHaveLength(3);
    const [w0, w1, w2] = c.waits as [number, number, number];
    for (const [w, d] of [[w0, 500], [w1, 500], [w2, 1000]] as const) {
      expect(w).toBeGreaterThanOrEqual(d * 0.75);
      expect(w).toBeLessThanOrEqual(d);
    }
  });

  it('follows a 429 Retry-After (when up to 60 s) instead of the backoff, reading the first failure', () => {
    const config = router('num_retries: 2', ['a']);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    const c = drive(s, ctx, (_p, n) => (n === 1 ? { kind: 'rate-limited', retryAfterMs: 3 * SEC } : { kind: 'server-error' }));
    expect(c.waits).toEqual([3000, 3000, 3000]);
  });

  it('does not retry a refused or unsupported request (a 400)', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: router('num_retries: 3\nfallbacks: [{ img: [img] }]'), models: [] });
    expect(drive(s, ctx, always('filtered')).sends).toHaveLength(1);
    const unsupported = drive(s, ctx, always('filtered', { code: 'unsupported_size' }));
    expect(unsupported.sends).toHaveLength(1);
    expect(unsupported.end).toBe('final');
  });

  it('takes the count from retry_policy for the kind of error', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: router('num_retries: 1\ndisable_cooldowns: true\nretry_policy: { RateLimitErrorRetries: 4 }'), models: [] });
    expect(drive(s, ctx, always('rate-limited')).sends).toHaveLength(5);
    expect(drive(s, ctx, always('server-error')).sends).toHaveLength(2);
  });
});

describe('litellm: fallbacks', () => {
  const groups = writeConfig(`
model_list:
  - { model_name: g1, litellm_params: { model: openai/a } }
  - { model_name: g2, litellm_params: { model: openai/b } }
  - { model_name: g3, litellm_params: { model: openai/c } }
router_settings:
  num_retries: 0
  fallbacks: [{ g1: [g2, g3] }]
  content_policy_fallbacks: [{ g1: [g3] }]
`);

  it('falls back to the groups listed, in order, after the retries', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: groups, model: 'g1', models: [] });
    expect(drive(s, ctx, byProvider({ a: 'server-error', b: 'server-error' })).sends).toEqual(['a', 'b', 'c']);
    expect(drive(s, ctx, byProvider({ a: 'server-error' })).sends).toEqual(['a', 'b']);
  });

  it('sends a refused prompt to content_policy_fallbacks instead', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: groups, model: 'g1', models: [] });
    expect(drive(s, ctx, byProvider({ a: 'filtered' })).sends).toEqual(['a', 'c']);
  });

  it('uses the `*` entry, to which default_fallbacks are added, for groups without their own', () => {
    const config = writeConfig(`
model_list:
  - { model_name: g1, litellm_params: { model: openai/a } }
  - { model_name: g2, litellm_params: { model: openai/b } }
  - { model_name: g3, litellm_params: { model: openai/c } }
router_settings:
  num_retries: 0
  fallbacks: [{ g1: [g2] }]
  default_fallbacks: [g3]
`);
    const { ctx, s } = gateway({ use: 'litellm', config, model: 'g1', models: [] });
    // g1 → g2 (its own entry); g2 fails → g2 has no entry: the `*` entry, g3.
    expect(drive(s, ctx, always('server-error')).sends).toEqual(['a', 'b', 'c']);
  });

  it('follows fallbacks of fallbacks up to max_fallbacks deep', () => {
    const chain = (max: number): string =>
      writeConfig(`
model_list:
  - { model_name: g1, litellm_params: { model: openai/a } }
  - { model_name: g2, litellm_params: { model: openai/b } }
  - { model_name: g3, litellm_params: { model: openai/c } }
router_settings:
  num_retries: 0
  max_fallbacks: ${max}
  fallbacks: [{ g1: [g2] }, { g2: [g3] }]
`);
    const deep = gateway({ use: 'litellm', config: chain(5), model: 'g1', models: [] });
    expect(drive(deep.s, deep.ctx, always('server-error')).sends).toEqual(['a', 'b', 'c']);
    const shallow = gateway({ use: 'litellm', config: chain(1), model: 'g1', models: [] });
    expect(drive(shallow.s, shallow.ctx, always('server-error')).sends).toEqual(['a', 'b']);
  });

  it('resolves model_group_alias names', () => {
    const config = writeConfig('model_list:\n  - { model_name: g1, litellm_params: { model: openai/b } }\nmodel_group_alias: { images: g1 }\n');
    const { ctx, s } = gateway({ use: 'litellm', config, model: 'images', models: [] });
    expect(drive(s, ctx, always('success')).sends).toEqual(['b']);
  });

  it('picks the group per request with `models` rules', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: groups, model: 'g1', models: [{ when: { urgency: 'batch' }, model: 'g3' }] });
    expect(drive(s, ctx, always('success'), makeRequest({ urgency: 'batch' })).sends).toEqual(['c']);
    expect(drive(s, ctx, always('success')).sends).toEqual(['a']);
  });
});

describe('litellm: cooldowns', () => {
  /**
   * least-busy over a and b, one request at a time: a (first in its dict) takes every request
   * while it is healthy; while a cools down the least busy is not healthy, and a random healthy
   * one, b, is picked.
   */
  function ordered(settings: string): string {
    return writeConfig(`
model_list:
  - { model_name: img, litellm_params: { model: openai/a } }
  - { model_name: img, litellm_params: { model: openai/b } }
router_settings:
  routing_strategy: least-busy
  num_retries: 0
${settings}
`);
  }

  it('cools a deployment down after more than allowed_fails failures, for cooldown_time, then takes it back', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: ordered('  allowed_fails: 1\n  cooldown_time: 30'), models: [] });
    const fail = byProvider({ a: { kind: 'server-error', latencyMs: 100 } });
    expect(drive(s, ctx, fail).sends).toEqual(['a']); // 1 failure: allowed
    expect(drive(s, ctx, fail).sends).toEqual(['a']); // 2 > 1: a cools down for 30 s
    expect(drive(s, ctx, fail).sends).toEqual(['b']);
    ctx.now += 30 * SEC;
    expect(drive(s, ctx, fail).sends).toEqual(['a']);
  });

  it('counts allowed_fails within cooldown_time of the first: failures further apart never cool it down', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: ordered('  allowed_fails: 1\n  cooldown_time: 30'), models: [] });
    for (let i = 0; i < 4; i++) {
      expect(drive(s, ctx, byProvider({ a: 'server-error' })).sends).toEqual(['a']);
      ctx.now += 31 * SEC;
    }
  });

  it('without allowed_fails: cools down on a 429, and on more than 50% failures once 5 calls are in this minute (5 s)', () => {
    const { ctx, s } = gateway({ use: 'litellm', config: ordered(''), models: [] });
    expect(drive(s, ctx, byProvider({ a: 'rate-limited' })).sends).toEqual(['a']);
    expect(drive(s, ctx, always('success')).sends).toEqual(['b']);
    ctx.now += 5 * SEC;
    // Failure rate: 2 successes, then failures 1/3, 2/4 (not > 50%), 3/5 > 50% with 5 calls.
    const sends: string[] = [];
    for (const kind of ['success', 'server-error', 'server-error', 'server-error'] as const) sends.push(...drive(s, ctx, always(kind, { latencyMs: 10 })).sends);
    expect(sends).toEqual(['a', 'a', 'a', 'a']);
    expect(drive(s, ctx, always('success', { latencyMs: 10 })).sends).toEqual(['b']);
  });

  it('never cools a single-deployment group down on its failure rate or a 429', () => {
    const config = router('num_retries: 0', ['a']);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    for (let i = 0; i < 8; i++) expect(drive(s, ctx, always(i % 2 === 0 ? 'rate-limited' : 'server-error', { latencyMs: 10 })).sends).toEqual(['a']);
  });
});

describe('litellm: explain', () => {
  it('names the model group and each deployment\'s state, cooldowns included', () => {
    const config = writeConfig('model_list:\n  - { model_name: img, litellm_params: { model: openai/a, weight: 2 } }\n  - { model_name: img, litellm_params: { model: openai/b, weight: 1 } }\nnum_retries: 0\n');
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    for (let i = 0; i < 40; i++) drive(s, ctx, byProvider({ a: 'rate-limited' }));
    const why = s.explain!(makeRequest(), ctx);
    const d = why.decision;
    if (!('candidates' in d)) throw new Error(`expected candidates, got ${JSON.stringify(d)}`);
    expect(d.plan).toBeDefined();
    // model_list[0] (a) is cooling down: the plan's first attempt goes to the one healthy deployment.
    expect(d.plan!.next(undefined, ctx)).toMatchObject({ provider: 'b' });
    expect(why.summary).toMatch(/^model group img: simple-shuffle picks one of 1\/2 healthy deployments at each attempt, then up to 0 retries and fallbacks to none/);
    expect(why.candidates.map((c) => c.reason)).toEqual([expect.stringMatching(/^deployment model_list\[0\]: cooling down for /), 'deployment model_list[1]: healthy, weight 1']);
  });
});

describe('litellm: budgets', () => {
  it('filters deployments whose provider spent its provider_budget_config budget in the period', () => {
    const config = writeConfig(`
model_list:
  - { model_name: img, litellm_params: { model: openai/a } }
  - { model_name: img, litellm_params: { model: together_ai/b } }
router_settings:
  routing_strategy: least-busy
  provider_budget_config: { openai: { budget_limit: 0.1, time_period: 1d } }
`);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    // $0.04 a success at openai: after 3 ($0.12 >= $0.10), openai's deployments are filtered out.
    const picks = [0, 1, 2, 3].map(() => drive(s, ctx, always('success')).sends[0]);
    expect(picks).toEqual(['a', 'a', 'a', 'b']);
    ctx.now += 24 * 3600 * SEC; // a new period
    expect(drive(s, ctx, always('success')).sends[0]).toBe('a');
  });

  it('filters a deployment over its own max_budget for budget_duration', () => {
    const config = writeConfig(`
model_list:
  - { model_name: img, litellm_params: { model: openai/a, max_budget: 0.05, budget_duration: 1h } }
  - { model_name: img, litellm_params: { model: openai/b } }
router_settings:
  routing_strategy: least-busy
`);
    const { ctx, s } = gateway({ use: 'litellm', config, models: [] });
    // $0.04 a success: after 2 ($0.08 >= $0.05) a is out until the hour from its first spend is over.
    expect([0, 1, 2].map(() => drive(s, ctx, always('success')).sends[0])).toEqual(['a', 'a', 'b']);
    ctx.now += 3600 * SEC;
    expect(drive(s, ctx, always('success')).sends[0]).toBe('a');
  });
});
