/**
 * Internal: what the gateway emulations (`litellm`, `portkey`) share. Reading a gateway config
 * with positions, so every problem is reported as `file:line:col key.path: message`; mapping a
 * gateway's deployment or target to a provider of the scenario; the HTTP status a gateway sees
 * for each outcome; and running a gateway's request loop, written as a generator, as an
 * {@link AttemptPlan}.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ImageRequest } from '../../model/request.js';
import { ImgsimError, type Problem } from '../../scenario/errors.js';
import { issueProblems, parseYamlSource, placeProblem, type YamlSource } from '../../scenario/yaml-source.js';
import type { ResolvedScenario } from '../../scenario/resolve.js';
import type { OutcomeKind } from '../../scenario/schema.js';
import type { AttemptOutcome, AttemptPlan, PlanStep, ProviderView } from '../strategy.js';

/** Largest gateway config read (a config, not data). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** A gateway config read from disk: the parsed data and where each key is. */
export interface GatewayConfigSource {
  readonly data: unknown;
  readonly source: YamlSource;
}

/**
 * Reads a gateway config (YAML, or JSON, which is YAML too), relative to the scenario file.
 * @param scenario - the scenario (its folder)
 * @param configPath - the path as the scenario writes it
 * @returns the data and its source
 * @throws ImgsimError `file-not-found`, or `invalid-scenario` for a file that is not YAML/JSON
 */
export function readGatewayConfig(scenario: ResolvedScenario, configPath: string): GatewayConfigSource {
  const file = path.resolve(scenario.dir, configPath);
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new ImgsimError('file-not-found', `${configPath}: no such gateway config (paths are relative to the scenario file)`);
  }
  const shown = scenario.file === '<inline>' ? configPath : path.relative(process.cwd(), file) || file;
  if (size > MAX_CONFIG_BYTES) throw ImgsimError.scenario([{ file: shown, path: '', message: `is ${size} bytes; gateway configs are limited to ${MAX_CONFIG_BYTES} bytes` }]);
  return parseYamlSource(readFileSync(file, 'utf8'), shown);
}

/**
 * Parses a config with a zod schema, throwing every problem with its place.
 * @param schema - the config schema
 * @param config - the data and its source
 * @returns the parsed config
 * @throws ImgsimError `invalid-scenario` listing every problem
 */
export function parseGatewayConfig<T>(schema: z.ZodType<T>, config: GatewayConfigSource): T {
  const parsed = schema.safeParse(config.data, { reportInput: true });
  if (!parsed.success) throw ImgsimError.scenario(issueProblems(parsed.error.issues, config.source));
  return parsed.data;
}

/** Collects problems at key paths of a gateway config and throws them together. */
export class ProblemList {
  private readonly problems: Problem[] = [];

  /** @param source - the config's source, for positions */
  constructor(private readonly source: YamlSource) {}

  /**
   * Adds a problem.
   * @param at - the key path
   * @param message - what is wrong and what to do
   */
  add(at: readonly PropertyKey[], message: string): void {
    this.problems.push(placeProblem(this.source, at, message));
  }

  /** Throws the problems, if any, as one `invalid-scenario` error. */
  throwIfAny(): void {
    if (this.problems.length === 0) return;
    this.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
    throw ImgsimError.scenario(this.problems);
  }
}

/** A key the emulation accepts and ignores: it does not change routing (credentials, logging, display). */
export const ignored = (): z.ZodOptional<z.ZodUnknown> => z.unknown().optional();

/**
 * A key that changes routing in a way the emulation does not reproduce: an error when present.
 * @param what - the behaviour it asks for
 * @returns the schema
 */
export function unsupported(what: string): z.ZodOptional<z.ZodNever> {
  return z.never({ error: `not emulated: ${what}; remove the key to simulate this config` }).optional();
}

/**
 * The provider an `imgsim serve` URL addresses: `http://host:port/<provider>/v1` (or
 * `/<provider>`, with or without a trailing slash).
 * @param url - a base URL
 * @param ids - the scenario's provider ids
 * @returns the provider id, or undefined when the URL names none
 */
export function providerOfUrl(url: string, ids: ReadonlySet<string>): string | undefined {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const parts = pathname.split('/').filter((p) => p !== '');
  if (parts.length === 0) return undefined;
  if (parts[parts.length - 1] === 'v1') parts.pop();
  const last = parts[parts.length - 1];
  return last !== undefined && ids.has(last) ? last : undefined;
}

/**
 * The message for a deployment or target that names no provider of the scenario.
 * @param what - what was tried, e.g. "model_info.id, litellm_params.model or api_base"
 * @param ids - the scenario's provider ids
 * @returns the message
 */
export function unmappedMessage(what: string, ids: readonly string[]): string {
  return `cannot tell which provider of the scenario this is; set ${what} to one of: ${ids.join(', ')} (an api_base may be an imgsim serve URL such as http://127.0.0.1:8787/${ids[0] ?? 'provider'}/v1)`;
}

/**
 * The HTTP status a gateway sees for an outcome, as `imgsim serve` answers: 200; 500 for a
 * server error or an unusable image; 400 for a refused prompt or an unsupported request; 429;
 * 503 when overloaded; 408 for a timeout (the gateway's own timeout answers 408). A dropped
 * connection has no status (undefined).
 * @param kind - the outcome kind
 * @returns the status, or undefined for `connection-reset`
 */
export function statusOf(kind: OutcomeKind): number | undefined {
  switch (kind) {
    case 'success':
      return 200;
    case 'filtered':
      return 400;
    case 'rate-limited':
      return 429;
    case 'overloaded':
      return 503;
    case 'timeout':
      return 408;
    case 'connection-reset':
      return undefined;
    default:
      return 500;
  }
}

/**
 * Whether a failed attempt was a request the provider does not support (size, steps, feature,
 * quality, tier: a 400 `invalid_request_error` with code `unsupported_*`), rather than a prompt
 * its content policy refused.
 * @param kind - the outcome kind
 * @param code - the outcome's error code
 * @returns true for an unsupported request
 */
export function isUnsupported(kind: OutcomeKind, code: string | undefined): boolean {
  return kind === 'filtered' && code !== undefined && code.startsWith('unsupported_');
}

/**
 * The tier a gateway sends a request in at a provider: the strategy's `tier` option where the
 * provider has it, else the request's own tier where the provider has it (the body passes
 * through the gateway), else the provider's first tier.
 * @param view - the provider
 * @param request - the request
 * @param strategyTier - the strategy's `tier` option
 * @returns the tier name
 */
export function gatewayTier(view: ProviderView, request: ImageRequest, strategyTier: string | undefined): string {
  if (strategyTier !== undefined && view.tiers.includes(strategyTier)) return strategyTier;
  const asked = request.tier;
  if (asked !== undefined && view.tiers.includes(asked)) return asked;
  return view.spec.defaultTier;
}

/** What a gateway's request loop learns of a failed attempt (a copy: the outcome object is reused). */
export interface Failure {
  readonly kind: OutcomeKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly code: string | undefined;
}

/**
 * Copies what a gateway needs of a failed attempt.
 * @param o - the outcome (reused by the simulator: read it now)
 * @returns the failure
 */
export function failureOf(o: AttemptOutcome): Failure {
  return { kind: o.kind, status: statusOf(o.kind), retryAfterMs: o.retryAfterMs, code: o.code };
}

/** A gateway's request loop: yields plan steps; a send step is answered with its failure (a success ends the request). */
export type GatewayLoop = Generator<PlanStep, PlanStep, Failure | undefined>;

/**
 * Runs a gateway request loop as an {@link AttemptPlan}: each `next` resumes the generator with
 * the failure of the attempt it asked for (or nothing after a wait), and the generator's return
 * value is its last step (a stop).
 * @param loop - the generator, not yet started
 * @returns the plan
 */
export function planOf(loop: GatewayLoop): AttemptPlan {
  let started = false;
  let done: PlanStep | undefined;
  return {
    next(failed: AttemptOutcome | undefined): PlanStep {
      if (done !== undefined) return done;
      const r = started ? loop.next(failed === undefined ? undefined : failureOf(failed)) : loop.next(undefined);
      started = true;
      if (r.done === true) done = r.value;
      return r.value;
    },
  };
}

/**
 * Parses a LiteLLM-style duration: a number and a unit `s`, `m`, `h`, `d`, `w` or `mo` (30 days).
 * @param text - e.g. `1d`, `30d`, `1mo`
 * @returns ms, or undefined when it is not such a duration
 */
export function parseGatewayDurationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(mo|s|m|h|d|w)\s*$/.exec(text);
  if (m === null) return undefined;
  const unitMs: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, mo: 30 * 86_400_000 };
  return Number(m[1]) * unitMs[m[2]!]!;
}
