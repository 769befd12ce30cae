/**
 * Argument parsing for the CLI commands, on node:util parseArgs, with usage errors as
 * `ImgsimError('invalid-argument')` (exit code 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ImgsimError } from '../scenario/errors.js';
import { FEATURES, URGENCIES, type Feature, type Urgency } from '../scenario/schema-parts.js';
import { MAX_STEPS } from '../scenario/limits.js';
import { isUnitError, parseDurationMs, parseInstantMs, parseSize, SIZE_TOO_LARGE, type Size } from '../scenario/units.js';

/** The `--tolerance` help shared by `compare` and `run --baseline`. */
export const TOLERANCE_HELP = `  --tolerance LIST    how far each metric may move the wrong way, e.g. cost=2%,p95=5%,success=0.5pp
                      metrics: cost, per-image, wasted, p50, p95, p99, success, slo (or
                      latency = p50,p95,p99, all = every metric); values: 5% of the baseline,
                      or absolute: $0.50 (money), 250ms (latency), 0.5pp (rates)
                      defaults: money 1%, latency 5%, success and slo 0.1pp`;

/** Options every command understands. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

/** What {@link parseCommandArgs} returns: typed option values and positionals. */
export type ParsedCommandArgs<O extends NonNullable<ParseArgsConfig['options']>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & O; allowPositionals: true; strict: true }>
>;

/**
 * Parses a command's arguments strictly.
 * @param command - the command name, for messages
 * @param argv - the arguments after the command name
 * @param options - the command's own options
 * @returns parsed values and positionals
 * @throws ImgsimError on an unknown option or a missing value
 */
export function parseCommandArgs<O extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: O): ParsedCommandArgs<O> {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ImgsimError('invalid-argument', `imgsim ${command}: ${message.replace(/\. To specify a positional.*$/s, '')}. See \`imgsim ${command} --help\`.`);
  }
}

/**
 * Parses a whole number option.
 * @param name - option name for messages
 * @param value - the raw value, if given
 * @param min - smallest allowed value
 * @returns the number, or undefined when not given
 */
export function intOption(name: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ImgsimError('invalid-argument', `--${name}: expected a whole number >= ${min}, got "${value}"`);
  return n;
}

/** `--steps N`: a whole number from 1 to {@link MAX_STEPS}. */
function stepsOption(value: string): number {
  const n = intOption('steps', value, 1)!;
  if (n > MAX_STEPS) throw new ImgsimError('invalid-argument', `--steps: expected a whole number from 1 to ${MAX_STEPS}, got "${value}"`);
  return n;
}

/**
 * Parses `--size WxH`.
 * @param value - the raw value
 * @returns the size
 */
export function sizeOption(value: string): Size {
  const size = parseSize(value);
  if (isUnitError(size)) throw new ImgsimError('invalid-argument', `--size: expected ${size.error === SIZE_TOO_LARGE ? size.error : 'WIDTHxHEIGHT such as 1024x1024'}, got "${value}"`);
  return size;
}

/**
 * Parses `--features a,b`.
 * @param value - the raw value, if given
 * @returns the features (empty when not given)
 */
export function featuresOption(value: string | undefined): Feature[] {
  const features = (value ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of features) {
    if (!(FEATURES as readonly string[]).includes(f)) throw new ImgsimError('invalid-argument', `--features: unknown feature "${f}"; features are ${FEATURES.join(', ')}`);
  }
  return features as Feature[];
}

/**
 * Parses an instant option such as `--at`.
 * @param name - option name for messages
 * @param value - the raw value, if given
 * @returns epoch ms, or undefined when not given
 */
export function instantOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseInstantMs(value);
  if (isUnitError(parsed)) throw new ImgsimError('invalid-argument', `--${name}: expected an ISO time with a zone such as 2026-06-01T03:00:00Z, got "${value}"`);
  return parsed;
}

/**
 * Parses a duration option such as `--warm 1h`.
 * @param name - option name for messages
 * @param value - the raw value, if given
 * @returns ms, or undefined when not given
 */
export function durationOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = parseDurationMs(value);
  if (isUnitError(parsed)) throw new ImgsimError('invalid-argument', `--${name}: expected a duration such as 90s, 15m, 1h or 7d, got "${value}"`);
  return parsed;
}

/**
 * Parses `--format`: a comma-separated list of output formats, each one of `allowed`.
 * @param value - e.g. `json,md,html`; undefined gives the default `json,md`
 * @param allowed - the formats the command writes
 * @returns the formats
 */
export function formatsOption(value: string | undefined, allowed: readonly string[]): Set<string> {
  const list = (value ?? 'json,md')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of list) {
    if (!allowed.includes(f)) throw new ImgsimError('invalid-argument', `--format: unknown format "${f}"; formats are ${allowed.join(', ')}`);
  }
  return new Set(list);
}

/** The options that describe one request, shared by `quote` and `explain`. */
export const REQUEST_OPTIONS = {
  size: { type: 'string' },
  steps: { type: 'string' },
  features: { type: 'string' },
  quality: { type: 'string' },
  tier: { type: 'string' },
  at: { type: 'string' },
  'prompt-chars': { type: 'string' },
  validate: { type: 'boolean' },
  urgency: { type: 'string' },
} as const;

/**
 * The scenario file and the request shape every `quote` and `explain` needs, checked.
 * @param command - the command name, for messages
 * @param usage - its usage text, appended to the messages
 * @param values - the parsed options ({@link REQUEST_OPTIONS} among them)
 * @param positionals - the positional arguments
 * @returns the scenario file, the size as given and parsed, steps, features and urgency (default interactive)
 * @throws ImgsimError without exactly one file, without --size and --steps, or for an unknown urgency
 */
export function requestArgs(
  command: string,
  usage: string,
  values: { size?: string | undefined; steps?: string | undefined; features?: string | undefined; urgency?: string | undefined },
  positionals: readonly string[],
): { file: string; sizeText: string; size: Size; steps: number; features: Feature[]; urgency: Urgency } {
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `${command}: name one scenario file\n${usage}`);
  if (values.size === undefined || values.steps === undefined) throw new ImgsimError('invalid-argument', `${command}: --size and --steps are required\n${usage}`);
  const urgency = values.urgency ?? 'interactive';
  if (!(URGENCIES as readonly string[]).includes(urgency)) throw new ImgsimError('invalid-argument', `--urgency: expected ${URGENCIES.join(' or ')}, got "${urgency}"`);
  return { file, sizeText: values.size, size: sizeOption(values.size), steps: stepsOption(values.steps), features: featuresOption(values.features), urgency: urgency as Urgency };
}
