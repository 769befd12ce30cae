import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from '../../src/scenario/json-schema.js';
import { loadScenario } from '../../src/scenario/load.js';

const ROOT = path.join(import.meta.dirname, '../..');

describe('the scenario JSON Schema', () => {
  it('is checked in and current (regenerate with `npm run schema`)', () => {
    const onDisk = readFileSync(path.join(ROOT, 'schema/scenario.schema.json'), 'utf8');
    expect(JSON.parse(onDisk)).toEqual(scenarioJsonSchema());
  });

  it('is draft 2020-12 and rejects unknown keys at the top level', () => {
    const schema = scenarioJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties as object)).toEqual(
      expect.arrayContaining(['version', 'name', 'seed', 'start', 'duration', 'providers', 'traffic', 'strategies', 'policy', 'slo', 'budget', 'thresholds']),
    );
  });
});

describe('shipped scenarios', () => {
  const files = readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'));

  it('exist', () => {
    expect(files).toEqual(expect.arrayContaining(['quickstart.yaml', 'market-2026.yaml', 'list-prices-2025.yaml']));
  });

  it.each(files)('%s is valid and points editors at the schema', (file) => {
    const full = path.join(ROOT, 'scenarios', file);
    expect(readFileSync(full, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/scenario.schema.json');
    const s = loadScenario(full);
    expect(s.name).toBe(file.replace(/\.yaml$/, ''));
  });
});

describe('docs/scenario-reference.md', () => {
  /** Every property name the schema accepts, at any depth. */
  function propertyNames(node: unknown, out = new Set<string>()): Set<string> {
    if (Array.isArray(node)) for (const item of node) propertyNames(item, out);
    else if (node !== null && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      const props = record.properties;
      if (props !== null && typeof props === 'object') for (const name of Object.keys(props)) out.add(name);
      for (const value of Object.values(record)) propertyNames(value, out);
    }
    return out;
  }

  it('documents every key of the schema', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/scenario-reference.md'), 'utf8');
    // A key counts as documented when it appears as `name`, or inside an inline type such as
    // `{ keys: [...] }` or `{ cost, latency, errors }`.
    const documented = (name: string): boolean => new RegExp(`[\`{,]\\s*${name.replace('$', '\\$')}\\b`).test(doc);
    const missing = [...propertyNames(scenarioJsonSchema())].filter((name) => !documented(name));
    expect(missing).toEqual([]);
  });
});
