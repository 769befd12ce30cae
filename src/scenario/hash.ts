/**
 * Content hashes of a resolved scenario, stable across checkouts: absolute paths are left out
 * (a trace is named relative to the scenario folder), so the same file in two places hashes the same.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ResolvedScenario } from './resolve.js';

/** 16 hex digits of the SHA-256 of a value's JSON. */
function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** The scenario without its folder and file, its trace named relative to its folder. */
function portable(scenario: ResolvedScenario): Omit<ResolvedScenario, 'dir' | 'file'> & { file: undefined } {
  const { dir, ...withFile } = scenario;
  const rest = { ...withFile, file: undefined };
  const traffic =
    rest.traffic.kind === 'trace' ? { ...rest.traffic, trace: { ...rest.traffic.trace, file: path.relative(dir, rest.traffic.trace.file).split(path.sep).join('/') } } : rest.traffic;
  return { ...rest, traffic };
}

/**
 * A hash of everything a scenario says (a forecast's identity: shards merge only when equal).
 * @param scenario - the resolved scenario
 * @returns 16 hex digits
 */
export function scenarioHash(scenario: ResolvedScenario): string {
  return hashJson(portable(scenario));
}

/**
 * A hash of the world a report's strategies ran in: providers, traffic, SLO, budget, policy,
 * gateways, and every other setting, but not the scenario's name, its strategies and
 * thresholds (what is under test and how it is judged), its seed or its window (which reports
 * carry and `compare` checks on their own). Two reports with the same `scenarioHash`, seed and
 * window saw the same requests and the same provider luck, so their figures compare.
 * @param scenario - the resolved scenario (overrides applied)
 * @returns 16 hex digits
 */
export function worldHash(scenario: ResolvedScenario): string {
  // JSON leaves out keys whose value is undefined.
  const under = { name: undefined, strategies: undefined, thresholds: undefined, seed: undefined, start: undefined, duration: undefined, startMs: undefined, durationMs: undefined, endMs: undefined };
  return hashJson({ ...portable(scenario), ...under });
}
