/**
 * `imgsim schema`: prints the scenario JSON Schema.
 */
import { scenarioJsonSchema } from '../scenario/json-schema.js';
import { parseCommandArgs } from './args.js';
import { EXIT } from './output.js';

/** Usage text. */
export const SCHEMA_USAGE = `Usage: imgsim schema

Prints the JSON Schema (draft 2020-12) of the scenario format, for editors:
put "# yaml-language-server: $schema=<path>/scenario.schema.json" at the top of a scenario.`;

/**
 * Runs the command.
 * @param argv - arguments after `schema`
 * @returns the exit code
 */
export function schemaCommand(argv: string[]): number {
  const { values } = parseCommandArgs('schema', argv, {});
  if (values.help) {
    process.stdout.write(`${SCHEMA_USAGE}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
  return EXIT.ok;
}
