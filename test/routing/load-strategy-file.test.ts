import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStrategyFile } from '../../src/routing/load-strategy-file.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import { ImgsimError } from '../../src/scenario/errors.js';
import { ids, makeContext, makeRequest } from './_context.js';

const FIXTURES = path.join(import.meta.dirname, '../fixtures/strategies');
const fixture = (name: string): string => path.join(FIXTURES, name);

const PROVIDERS = [
  { id: 'a', price: 0.04, latencyMs: 5_000 },
  { id: 'b', price: 0.02, latencyMs: 9_000, features: [] },
  { id: 'c', price: 0.03, latencyMs: 3_000 },
];

async function rejection(p: Promise<unknown>): Promise<ImgsimError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ImgsimError);
    return err as ImgsimError;
  }
  throw new Error('expected an ImgsimError');
}

describe('loading strategy files', () => {
  it('loads a TypeScript file with no build step and passes its options', async () => {
    const factory = await loadStrategyFile(fixture('ewma-router.ts'));
    const ctx = makeContext({ providers: PROVIDERS });
    const s = factory({ alpha: 0.5 });
    expect(s.name).toBe('ewma-router(alpha=0.5)');
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['c', 'a', 'b']);
    // first sample 20 s, then 0.5 · 4 s + 0.5 · 20 s = 12 s: still slower than a (5 s) and b (9 s)
    s.observe!({ requestId: 1, provider: 'c', tier: 'standard', attempt: 1, kind: 'success', sentMs: 0, endedMs: 20_000, latencyMs: 20_000, costUsd: 0, hedge: false }, ctx);
    s.observe!({ requestId: 2, provider: 'c', tier: 'standard', attempt: 1, kind: 'success', sentMs: 0, endedMs: 4_000, latencyMs: 4_000, costUsd: 0, hedge: false }, ctx);
    expect(ids(s.route(makeRequest(), ctx))).toEqual(['a', 'b', 'c']);
  });

  it('loads JavaScript modules (.js and .mjs) whose factories build nested strategies', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-strategy-'));
    const mjs = path.join(dir, 'first-servable.mjs');
    copyFileSync(fixture('first-servable.js'), mjs);
    // The .mjs copy lives outside the repo: the lint config type-checks .mjs files it cannot parse.
    const ctx = makeContext({ providers: PROVIDERS });
    try {
      for (const file of [fixture('first-servable.js'), mjs]) {
        const factory = await loadStrategyFile(file);
        const files = new Map([['./first.mjs', factory]]);
        const s = buildStrategy({ file: './first.mjs', name: 'first', options: { then: 'cheapest' } }, { scenario: ctx.scenario, files });
        expect(s.name).toBe('first');
        // first servable is a (b lacks lora), then cheapest: c $0.03, a $0.04 (a already listed)
        expect(ids(s.route(makeRequest({ features: ['lora'] }), ctx))).toEqual(['a', 'c']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a file without a default export, naming the file and what it must export', async () => {
    const err = await rejection(loadStrategyFile(fixture('no-default.ts')));
    expect(err.code).toBe('invalid-strategy');
    expect(err.message).toContain('no-default.ts: it has no default export (it exports `strategy`)');
    expect(err.message).toContain('a strategy file must `export default` a factory');
  });

  it('rejects a factory that returns something that is not a strategy when it is called', async () => {
    const factory = await loadStrategyFile(fixture('junk.ts'));
    let caught: unknown;
    try {
      factory({});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ImgsimError);
    expect((caught as ImgsimError).code).toBe('invalid-strategy');
    expect((caught as ImgsimError).message).toMatch(/junk\.ts: the factory returned an object with keys nmae, rout, without a string `name` or a `route` function/);
  });

  it('rejects a factory that throws, with its message', async () => {
    const factory = await loadStrategyFile(fixture('throws.js'));
    expect(() => factory({})).toThrow(/throws\.js: its factory threw: missing option `target`/);
  });

  it('reports a missing file as file-not-found', async () => {
    const err = await rejection(loadStrategyFile(fixture('nope.ts')));
    expect(err.code).toBe('file-not-found');
  });
});
