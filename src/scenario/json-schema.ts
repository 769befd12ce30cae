/**
 * The JSON Schema (draft 2020-12) of the scenario format, generated from the zod schema so
 * editors can complete and check scenarios. Never edited by hand.
 */
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

/** Where the published schema lives, relative to a scenario in `scenarios/`. */
export const SCHEMA_ID = 'https://imgsim.dev/schema/scenario.schema.json';

/**
 * Generates the scenario JSON Schema.
 * @returns a draft 2020-12 JSON Schema object describing scenario input (durations, rates,
 *   sizes as written, defaults as written)
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: SCHEMA_ID,
    title: 'imgsim scenario',
    description: 'An imgsim scenario (version 1): providers, traffic, strategies, policy, SLO, budget and thresholds. See docs/scenario-reference.md.',
    ...schema,
  };
}
