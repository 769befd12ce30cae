/**
 * Scenario loading: YAML text in, a validated `ResolvedScenario` out, or one `ImgsimError`
 * listing every problem with its file, line, column and key path.
 */
import { readFileSync, statSync } from 'node:fs';
import { crossCheck } from './check.js';
import { ImgsimError } from './errors.js';
import { resolveScenario, type ResolvedScenario } from './resolve.js';
import { scenarioSchema, type Scenario } from './schema.js';
import { issueProblems, parseYamlSource, placeProblem, sortProblems, type YamlSource } from './yaml-source.js';

export { MAX_ALIAS_COUNT, issueProblems, parseYamlSource, placeProblem, type YamlSource } from './yaml-source.js';

/** Largest scenario file read (a scenario is configuration, not data: traces live apart). */
export const MAX_SCENARIO_BYTES = 2 * 1024 * 1024;

/**
 * Reads, validates and resolves a scenario file.
 * @param file - path to a `.yaml` scenario
 * @returns the resolved scenario
 * @throws ImgsimError with code `invalid-scenario` or `file-not-found`
 */
export function loadScenario(file: string): ResolvedScenario {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ImgsimError('file-not-found', `${file}: not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ImgsimError) throw err;
    throw new ImgsimError('file-not-found', `${file}: no such scenario file`);
  }
  if (size > MAX_SCENARIO_BYTES) {
    throw ImgsimError.scenario([
      { file, path: '', message: `is ${size} bytes; scenarios are limited to ${MAX_SCENARIO_BYTES} bytes (replay large traffic with traffic.trace)` },
    ]);
  }
  return parseScenarioText(readFileSync(file, 'utf8'), file);
}

/**
 * Validates and resolves scenario YAML text.
 * @param text - the YAML
 * @param file - name used in messages and as the base for relative paths
 * @returns the resolved scenario
 * @throws ImgsimError listing every problem
 */
export function parseScenarioText(text: string, file = '<inline>'): ResolvedScenario {
  if (text.length > MAX_SCENARIO_BYTES) {
    throw ImgsimError.scenario([{ file, path: '', message: `is over ${MAX_SCENARIO_BYTES} bytes; scenarios are limited to that size` }]);
  }
  const { data, source } = parseYamlSource(text, file);
  return validateScenario(data, source);
}



/**
 * Validates and resolves a scenario given as a plain object (the library API and msw handlers).
 * @param data - the scenario object, as YAML would parse
 * @param file - name used in messages and as the base for relative paths
 * @returns the resolved scenario
 * @throws ImgsimError listing every problem
 */
export function scenarioFromObject(data: unknown, file = '<inline>'): ResolvedScenario {
  return validateScenario(data, { file, doc: undefined, lines: undefined });
}

function validateScenario(data: unknown, source: YamlSource): ResolvedScenario {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw ImgsimError.scenario([{ file: source.file, line: 1, col: 1, path: '', message: 'expected a mapping with `version: 1`, `name`, `providers` and `traffic`' }]);
  }
  // Without zod's compiled fast path: a scenario is parsed once or twice per process, and
  // generating the code of each object schema (new Function) costs more than it saves.
  const parsed = scenarioSchema.safeParse(data, { reportInput: true, jitless: true });
  if (!parsed.success) {
    throw ImgsimError.scenario(issueProblems(parsed.error.issues, source));
  }
  const scenario: Scenario = parsed.data;
  const problems = crossCheck(scenario, source.file).map((p) => placeProblem(source, p.path, p.message));
  if (problems.length > 0) throw ImgsimError.scenario(sortProblems(problems));
  return resolveScenario(scenario, source.file);
}

