/**
 * The scenario parameters `imgsim forecast --sweep <path>=v1,v2,...` can set, and how: a
 * provider's reserved slots or fee per slot (buy reserved or stay on demand?) and its on-demand
 * concurrency. A run task names the parameter and its value; {@link withParameter} makes the
 * scenario that run simulates.
 */
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedProvider, ResolvedScenario } from '../scenario/resolve.js';

/** A swept parameter's key under `providers.<id>.`. */
export type SweepKey = 'reserved.slots' | 'reserved.feePerSlot' | 'capacity.concurrency';

/** What each key accepts, and whether the provider must have a reservation. */
const KEYS: Readonly<Record<SweepKey, { readonly min: number; readonly whole: boolean; readonly what: string; readonly reserved: boolean }>> = {
  'reserved.slots': { min: 0, whole: true, what: 'whole numbers >= 0', reserved: true },
  'reserved.feePerSlot': { min: 0, whole: false, what: 'amounts in USD >= 0', reserved: true },
  'capacity.concurrency': { min: 1, whole: true, what: 'whole numbers >= 1', reserved: false },
};

/** The paths a sweep accepts besides `rate=A..B`, for messages and docs. */
export const SWEEPABLE_PATHS: readonly string[] = Object.keys(KEYS).map((k) => `providers.<id>.${k}`);

/** One parameter value a run is simulated with. */
export interface ParameterValue {
  /** `providers.<id>.<key>`. */
  readonly path: string;
  readonly value: number;
}

/** A parsed `--sweep providers.<id>.<key>=v1,v2,...`. */
export interface ParameterSweepSpec {
  readonly path: string;
  readonly provider: string;
  readonly key: SweepKey;
  /** The values, in the order given. */
  readonly values: readonly number[];
}

const PATH_RE = /^providers\.([^.=\s]+)\.([A-Za-z.]+)$/;

/**
 * Whether a --sweep value names a parameter (not `rate=`).
 * @param spec - the --sweep value
 * @returns true for `providers.…=…`
 */
export function isParameterSweep(spec: string): boolean {
  return spec.trim().startsWith('providers.');
}

/**
 * Parses `providers.<id>.<key>=v1,v2,...` and checks it against the scenario.
 * @param spec - the --sweep value
 * @param scenario - the resolved scenario (its providers)
 * @returns the sweep
 * @throws ImgsimError (invalid-argument) naming what is wrong
 */
export function parseParameterSweep(spec: string, scenario: ResolvedScenario): ParameterSweepSpec {
  const eq = spec.indexOf('=');
  const usage = `--sweep: expected rate=A..B or a parameter and its values, such as providers.<id>.reserved.slots=0,4,8,16 (sweepable: ${SWEEPABLE_PATHS.join(', ')}); got "${spec}"`;
  if (eq < 0) throw new ImgsimError('invalid-argument', usage);
  const path = spec.slice(0, eq).trim();
  const m = PATH_RE.exec(path);
  if (!m || !(m[2]! in KEYS)) throw new ImgsimError('invalid-argument', usage);
  const provider = m[1]!;
  const key = m[2] as SweepKey;
  const rule = KEYS[key];
  const p = scenario.providers.find((x) => x.id === provider);
  if (p === undefined) {
    throw new ImgsimError('invalid-argument', `--sweep ${path}: no provider "${provider}" in ${scenario.file}; providers are ${scenario.providers.map((x) => x.id).join(', ')}`);
  }
  if (rule.reserved && p.reserved === undefined) {
    throw new ImgsimError('invalid-argument', `--sweep ${path}: provider "${provider}" has no \`reserved\` block; give it one (its slots, feePerSlot and period) to sweep it`);
  }
  const texts = spec.slice(eq + 1).split(',').map((t) => t.trim());
  const values = texts.map(Number);
  const bad = texts.findIndex((t, i) => t === '' || !Number.isFinite(values[i]) || values[i]! < rule.min || (rule.whole && !Number.isInteger(values[i])));
  if (bad >= 0) throw new ImgsimError('invalid-argument', `--sweep ${path}: expected a comma-separated list of ${rule.what}; got "${texts[bad]}"`);
  if (new Set(values).size !== values.length) throw new ImgsimError('invalid-argument', `--sweep ${path}: a value is listed twice`);
  return { path, provider, key, values };
}

/**
 * The scenario with one provider parameter set.
 * @param scenario - the resolved scenario
 * @param parameter - the path and its value (checked by {@link parseParameterSweep})
 * @returns the scenario to simulate (the provider replaced by a copy; the rest shared)
 */
export function withParameter(scenario: ResolvedScenario, parameter: ParameterValue): ResolvedScenario {
  const m = PATH_RE.exec(parameter.path);
  const key = m?.[2] as SweepKey | undefined;
  const set = (p: ResolvedProvider): ResolvedProvider => {
    const v = parameter.value;
    if (key === 'capacity.concurrency') return { ...p, capacity: { ...p.capacity, concurrency: v } };
    if (p.reserved === undefined) throw new ImgsimError('invalid-argument', `--sweep ${parameter.path}: provider "${p.id}" has no \`reserved\` block`);
    return { ...p, reserved: key === 'reserved.slots' ? { ...p.reserved, slots: v } : { ...p.reserved, feePerSlot: v } };
  };
  return { ...scenario, providers: scenario.providers.map((p) => (p.id === m?.[1] ? set(p) : p)) };
}
