/** Test helper: the located problems of a scenario text the loader must reject. */
import { expect } from 'vitest';
import { ImgsimError, formatProblem } from '../../src/scenario/errors.js';
import { parseScenarioText } from '../../src/scenario/load.js';

/**
 * The formatted problems (`file:line:col key.path: message`) of a scenario text that must be rejected.
 * @param text - the scenario's YAML
 * @param file - the name the problems are located in
 * @returns one line per problem
 */
export function problems(text: string, file = 'x.yaml'): string[] {
  try {
    parseScenarioText(text, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ImgsimError);
    return (err as ImgsimError).problems.map(formatProblem);
  }
  throw new Error('expected the scenario to be rejected');
}
