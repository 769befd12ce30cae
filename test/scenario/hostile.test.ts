import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { problems } from './_problems.js';
import { describe, expect, it } from 'vitest';
import { WebhookSender } from '../../src/live/webhook.js';
import { parseScenarioText } from '../../src/scenario/load.js';

const MINIMAL_TEXT = readFileSync(path.join(import.meta.dirname, '../fixtures/minimal.yaml'), 'utf8');
const BIN = new URL('../../bin/imgsim.js', import.meta.url).pathname;

describe('budget.webhook', () => {
  const withWebhook = (url: string): string => `${MINIMAL_TEXT}\nbudget: { limit: 10, webhook: ${JSON.stringify(url)} }\n`;
  const line = MINIMAL_TEXT.split('\n').length + 1;

  it.each(['file:///etc/passwd', 'ftp://example.com/x', 'javascript:alert(1)', 'data:text/plain,x', 'ws://127.0.0.1/x'])('refuses %s with its line', (url) => {
    expect(problems(withWebhook(url))).toEqual([expect.stringMatching(new RegExp(`^x\\.yaml:${line}:\\d+ budget\\.webhook: .*http:// or https://`))]);
  });

  it('WebhookSender, built by a library user, refuses a URL that is not http(s) too', () => {
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'not a url']) {
      expect(() => new WebhookSender(url)).toThrow(/webhook: expected an http:\/\/ or https:\/\/ URL/);
    }
    expect(new WebhookSender('https://hooks.example.com/x').url).toBe('https://hooks.example.com/x');
  });

  it('accepts http and https', () => {
    for (const url of ['http://127.0.0.1:9/hook', 'https://hooks.example.com/a?b=c']) {
      expect(parseScenarioText(withWebhook(url), 'x.yaml').budget?.webhook).toBe(url);
    }
  });
});

describe('deeply nested YAML', () => {
  it('is a located problem, not a stack overflow', () => {
    const out = problems(`${MINIMAL_TEXT}\nx: ${'['.repeat(10_000)}\n`);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^x\.yaml:\d+:\d+ YAML nested more than 100 levels deep/);
    expect(out[0]).not.toMatch(/call stack/i);
  });

  it('a closed deep nesting of maps is refused too', () => {
    const out = problems(`${MINIMAL_TEXT}\nx: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`);
    expect(out[0]).toMatch(/nested more than \d+ levels deep/);
  });

  it('imgsim validate exits 2 with the message and no stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'imgsim-deep-'));
    const file = path.join(dir, 'deep.yaml');
    writeFileSync(file, `${MINIMAL_TEXT}\nx: ${'['.repeat(10_000)}\n`);
    const r = spawnSync(process.execPath, [BIN, 'validate', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nested more than \d+ levels deep/);
    expect(r.stderr).not.toMatch(/call stack|internal error|\n {4}at /);
  });
});
