// Regenerates schema/scenario.schema.json from the zod schema (npm run schema).
// test/scenario/json-schema.test.ts fails when the checked-in file is stale.
import { writeFileSync } from 'node:fs';
import { scenarioJsonSchema } from '../src/scenario/json-schema.js';

const target = new URL('../schema/scenario.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
