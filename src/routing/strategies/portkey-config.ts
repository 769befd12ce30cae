/**
 * Reading a Portkey gateway config for the `portkey` strategy: the JSON a team attaches to its
 * requests (`x-portkey-config`) or saves in Portkey, with `strategy` (`single`, `fallback`,
 * `loadbalance`, `conditional`), nested `targets`, `retry`, `request_timeout` and
 * `strategy.cb_config`. Keys are snake_case, as Portkey's docs write them. The schema says which
 * keys are emulated, which are ignored because they do not change routing (credentials,
 * provider settings), and which are errors because they change routing in ways imgsim does not
 * reproduce; docs/gateways.md lists them with their sources.
 */
import { z } from 'zod';
import { formatProblem } from '../../scenario/errors.js';
import { placeProblem } from '../../scenario/yaml-source.js';
import type { ResolvedProvider, ResolvedScenario } from '../../scenario/resolve.js';
import { obj } from '../../scenario/schema-parts.js';
import { ignored, parseGatewayConfig, ProblemList, providerOfUrl, readGatewayConfig, unmappedMessage, unsupported, type GatewayConfigSource } from './_gateway.js';

/** Strategy modes the emulation reproduces. */
export const PORTKEY_MODES = ['single', 'fallback', 'loadbalance', 'conditional'] as const;
/** A strategy mode. */
export type PortkeyMode = (typeof PORTKEY_MODES)[number];

/** Portkey retries at most this many times (its docs: "up to 5 retry attempts"). */
export const PORTKEY_MAX_RETRIES = 5;
/** The least `cb_config.cooldown_interval` Portkey enforces, ms. */
export const PORTKEY_MIN_COOLDOWN_MS = 30_000;

/** Request metadata a condition may read (`metadata.<key>`): what imgsim requests carry. */
export const PORTKEY_METADATA_KEYS = ['project', 'urgency', 'class'] as const;
/** Request parameters a condition may read (`params.<key>`): the body imgsim sends. */
export const PORTKEY_PARAM_KEYS = ['prompt', 'n', 'size', 'quality', 'steps', 'features', 'tier', 'validate'] as const;
/** Query operators of Portkey's conditional router (src/services/conditionalRouter.ts). */
const OPERATORS = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$regex', '$length'];

const statusCodes = () =>
  z.array(z.number({ error: 'expected an HTTP status code' }).int().min(100, { error: 'expected an HTTP status code' }).max(599, { error: 'expected an HTTP status code' }), {
    error: 'expected a list of HTTP status codes',
  });
const count = (max?: number) => {
  const base = z.number({ error: 'expected a whole number >= 0' }).int({ error: 'expected a whole number >= 0' }).min(0, { error: 'expected a whole number >= 0' });
  return max === undefined ? base : base.max(max, { error: `expected at most ${max} (Portkey retries at most ${max} times)` });
};

const retrySchema = obj({
  attempts: count(PORTKEY_MAX_RETRIES),
  on_status_codes: statusCodes().optional(),
  use_retry_after_headers: z.boolean().optional(),
  use_retry_after_header: z.boolean().optional(),
});

const cbConfigSchema = obj({
  failure_threshold: count().min(0).optional(),
  failure_threshold_percentage: z.number({ error: 'expected a percentage' }).min(0).max(100, { error: 'expected a percentage, 0-100' }).optional(),
  cooldown_interval: count(),
  failure_status_codes: statusCodes().optional(),
  minimum_requests: count().optional(),
}).refine((c) => c.failure_threshold !== undefined || c.failure_threshold_percentage !== undefined, {
  error: 'expected failure_threshold or failure_threshold_percentage (the circuit would never open)',
});

const conditionSchema = obj({ query: z.record(z.string(), z.unknown(), { error: 'expected a query object' }), then: z.string() });

const strategySchema = obj({
  mode: z.enum(PORTKEY_MODES, { error: `expected one of ${PORTKEY_MODES.join(', ')} (the parallel "sample" mode is not emulated)` }),
  on_status_codes: statusCodes().optional(),
  conditions: z.array(conditionSchema).optional(),
  default: z.string().optional(),
  cb_config: cbConfigSchema.optional(),
  cancel_others: unsupported('the "sample" mode'),
  sticky_session: unsupported('sticky sessions'),
});

/** `override_params.model` names the provider; other overrides would change the request. */
const overrideParamsSchema = z.record(z.string(), z.unknown()).superRefine((params, ctx) => {
  for (const key of Object.keys(params)) {
    if (key === 'model') {
      if (typeof params.model !== 'string') ctx.addIssue({ code: 'custom', path: ['model'], message: 'expected a model name' });
      continue;
    }
    ctx.addIssue({ code: 'custom', path: [key], message: 'not emulated: an override that changes the request; only `model` (which names the provider) is read' });
  }
});

/** A config node as written: a target, or the config itself. */
export interface PortkeyNodeInput {
  strategy?: z.output<typeof strategySchema>;
  targets?: PortkeyNodeInput[];
  name?: string;
  weight?: number;
  retry?: z.output<typeof retrySchema>;
  request_timeout?: number;
  provider?: string;
  virtual_key?: string;
  custom_host?: string;
  override_params?: Record<string, unknown>;
  forward_headers?: string[];
}

const nodeSchema: z.ZodType<PortkeyNodeInput> = z.lazy(() =>
  obj({
    strategy: strategySchema.optional(),
    targets: z.array(nodeSchema, { error: 'expected a list of targets' }).optional(),
    name: z.string().optional(),
    weight: z.number({ error: 'expected a weight >= 0' }).min(0, { error: 'expected a weight >= 0' }).optional(),
    retry: retrySchema.optional(),
    request_timeout: z.number({ error: 'expected ms > 0' }).positive({ error: 'expected ms > 0' }).optional(),
    provider: z.string().optional(),
    virtual_key: z.string().optional(),
    custom_host: z.string().optional(),
    override_params: overrideParamsSchema.optional(),
    on_status_codes: unsupported('a target-level on_status_codes (set strategy.on_status_codes)'),
    cache: unsupported('response caching (an identical request would be answered from the cache)'),
    before_request_hooks: unsupported('request hooks and guardrails, which may block requests'),
    after_request_hooks: unsupported('request hooks and guardrails, which may block requests'),
    input_guardrails: unsupported('guardrails, which may block requests'),
    output_guardrails: unsupported('guardrails, which may block requests'),
    input_mutators: unsupported('mutators, which change requests'),
    output_mutators: unsupported('mutators, which change responses'),
    default_input_guardrails: unsupported('guardrails, which may block requests'),
    default_output_guardrails: unsupported('guardrails, which may block requests'),
    api_key: ignored(),
    aws_access_key_id: ignored(),
    aws_secret_access_key: ignored(),
    aws_session_token: ignored(),
    aws_region: ignored(),
    vertex_project_id: ignored(),
    vertex_region: ignored(),
    vertex_service_account_json: ignored(),
    openai_project: ignored(),
    openai_organization: ignored(),
    azure_model_name: ignored(),
    forward_headers: z.array(z.string(), { error: 'expected a list of header names' }).optional(),
    strict_open_ai_compliance: ignored(),
    id: ignored(),
    metadata: ignored(),
  }),
);

/** A circuit breaker's settings, resolved. */
export interface PortkeyBreakerConfig {
  readonly failureThreshold: number | undefined;
  readonly failurePercentage: number | undefined;
  /** At least {@link PORTKEY_MIN_COOLDOWN_MS}. */
  readonly cooldownMs: number;
  /** undefined: every status > 500. */
  readonly failureStatusCodes: readonly number[] | undefined;
  readonly minimumRequests: number;
}

/** A retry setting, resolved. */
export interface PortkeyRetry {
  readonly attempts: number;
  readonly onStatusCodes: readonly number[] | undefined;
  /** `use_retry_after_headers` (Portkey's docs; the open-source gateway 1.15.2 ignores it): wait out a 429's Retry-After. */
  readonly useRetryAfter: boolean;
  /** `use_retry_after_header` (what 1.15.2 reads): a 429 with Retry-After throws in its retry handler (see portkey.ts). */
  readonly retryAfterThrows: boolean;
}

/** A condition: a query and the target it sends to. */
export interface PortkeyCondition {
  readonly query: Record<string, unknown>;
  readonly then: string;
}

/** A node of the config tree, resolved. */
export type PortkeyNode = (
  | { readonly kind: 'leaf'; readonly provider: string }
  | {
      readonly kind: 'strategy';
      readonly mode: PortkeyMode;
      readonly onStatusCodes: readonly number[] | undefined;
      readonly conditions: readonly PortkeyCondition[];
      readonly defaultTarget: string | undefined;
      readonly breaker: PortkeyBreakerConfig | undefined;
      readonly targets: readonly PortkeyNode[];
    }
) & {
  /** Position in a depth-first walk: the key of this target's circuit breaker. */
  readonly id: number;
  /** Its JSON path as Portkey names strategy paths, e.g. `config.targets[1].targets[0]`. */
  readonly path: string;
  readonly name: string | undefined;
  readonly weight: number;
  readonly retry: PortkeyRetry | undefined;
  readonly requestTimeoutMs: number | undefined;
  /**
   * Request headers forwarded to the provider, lower case: `forward_headers`, or the nearest
   * enclosing target's (as the gateway passes it down). Other headers are not forwarded.
   */
  readonly forwardHeaders: ReadonlySet<string>;
};

/** A resolved Portkey config. */
export interface PortkeyConfig {
  readonly file: string;
  /**
   * Warnings for `imgsim validate`, one `file:line:col key.path: message` each: features of
   * hosted Portkey that the open-source gateway (1.15.2) rejects or ignores, and targets the
   * open-source gateway cannot reach at `imgsim serve` as written (an async-dialect provider, a
   * provider pinning another model).
   */
  readonly warnings: readonly string[];
  readonly root: PortkeyNode;
  /** Nodes in depth-first order (`nodes[i].id === i`). */
  readonly nodes: readonly PortkeyNode[];
}

/**
 * Reads, validates and resolves a Portkey config for a scenario.
 * @param scenario - the scenario (its folder and providers)
 * @param configPath - the path as the scenario writes it
 * @returns the resolved config
 * @throws ImgsimError with every problem as `file:line:col key.path: message`
 */
export function loadPortkeyConfig(scenario: ResolvedScenario, configPath: string): PortkeyConfig {
  return resolvePortkeyConfig(scenario, readGatewayConfig(scenario, configPath));
}

/**
 * Validates and resolves a Portkey config already read.
 * @param scenario - the scenario (its providers)
 * @param config - the data and its source
 * @returns the resolved config
 * @throws ImgsimError with every problem
 */
export function resolvePortkeyConfig(scenario: ResolvedScenario, config: GatewayConfigSource): PortkeyConfig {
  const parsed = parseGatewayConfig(nodeSchema, config);
  const problems = new ProblemList(config.source);
  const ids = scenario.providers.map((p) => p.id);
  const idSet = new Set(ids);
  const nodes: PortkeyNode[] = [];
  const warnings: string[] = [];
  const note = (at: (string | number)[], message: string): void => {
    warnings.push(formatProblem(placeProblem(config.source, at, message)));
  };
  const resolve = (n: PortkeyNodeInput, at: (string | number)[], jsonPath: string, parentForward: ReadonlySet<string>): PortkeyNode => {
    noteHostedOnly(n, at, note);
    const common = {
      id: nodes.length,
      path: jsonPath,
      name: n.name,
      weight: n.weight ?? 1,
      retry:
        n.retry === undefined
          ? undefined
          : { attempts: n.retry.attempts, onStatusCodes: n.retry.on_status_codes, useRetryAfter: n.retry.use_retry_after_headers ?? false, retryAfterThrows: n.retry.use_retry_after_header ?? false },
      requestTimeoutMs: n.request_timeout,
      forwardHeaders: n.forward_headers === undefined ? parentForward : new Set(n.forward_headers.map((h) => h.toLowerCase())),
    };
    const placeholder = { ...common, kind: 'leaf' as const, provider: '' };
    nodes.push(placeholder);
    let node: PortkeyNode;
    if (n.strategy === undefined) {
      if (n.targets !== undefined) problems.add([...at, 'targets'], 'targets need a `strategy` with a `mode`');
      const provider = mapTarget(n, idSet);
      if (provider === undefined) problems.add(at, unmappedMessage('virtual_key, provider, custom_host or override_params.model (e.g. "@<provider>/model")', ids));
      node = { ...common, kind: 'leaf', provider: provider ?? '' };
      const spec = scenario.providers.find((p) => p.id === provider);
      if (spec !== undefined) noteUnreachable(n, spec, at, note);
    } else {
      const s = n.strategy;
      const targets = n.targets ?? [];
      if (targets.length === 0) problems.add(at, `a \`${s.mode}\` strategy needs targets`);
      const resolved = targets.map((t, i) => resolve(t, [...at, 'targets', i], `${jsonPath}.targets[${i}]`, common.forwardHeaders));
      if (s.mode === 'loadbalance' && targets.length > 0 && resolved.every((t) => t.weight === 0)) problems.add([...at, 'targets'], 'the weights of a loadbalance sum to 0');
      if (s.mode === 'conditional') checkConditions(s, resolved, [...at, 'strategy'], problems);
      else if (s.conditions !== undefined || s.default !== undefined) problems.add([...at, 'strategy', s.conditions !== undefined ? 'conditions' : 'default'], 'only a `conditional` strategy reads conditions and default');
      if (s.on_status_codes !== undefined && s.mode !== 'fallback') problems.add([...at, 'strategy', 'on_status_codes'], 'only a `fallback` strategy reads on_status_codes');
      const cb = s.cb_config;
      node = {
        ...common,
        kind: 'strategy',
        mode: s.mode,
        onStatusCodes: s.on_status_codes,
        conditions: s.conditions ?? [],
        defaultTarget: s.default,
        breaker:
          cb === undefined
            ? undefined
            : {
                failureThreshold: cb.failure_threshold,
                failurePercentage: cb.failure_threshold_percentage,
                cooldownMs: Math.max(PORTKEY_MIN_COOLDOWN_MS, cb.cooldown_interval),
                failureStatusCodes: cb.failure_status_codes,
                minimumRequests: cb.minimum_requests ?? 0,
              },
        targets: resolved,
      };
    }
    nodes[common.id] = node;
    return node;
  };
  const root = resolve(parsed, [], 'config', new Set());
  problems.throwIfAny();
  return { file: config.source.file, warnings, root, nodes };
}

/**
 * A leaf the open-source gateway's `openai` provider cannot use at `imgsim serve` as written
 * (see {@link PortkeyConfig.warnings}); the simulator routes to it all the same.
 */
function noteUnreachable(n: PortkeyNodeInput, spec: ResolvedProvider, at: (string | number)[], note: (at: (string | number)[], message: string) => void): void {
  if (n.provider !== 'openai' || n.custom_host === undefined) return;
  if (spec.dialect === 'async') {
    note([...at, 'custom_host'], `${spec.id} speaks the async dialect: imgsim serve answers the gateway's OpenAI images request 404 (the fallback moves on), where the simulator sends it there`);
    return;
  }
  const model = n.override_params?.model;
  if (spec.model !== undefined && model !== spec.model) {
    note([...at, 'custom_host'], `${spec.id} pins model ${spec.model}: imgsim serve answers 404 model_not_found to a request naming another model; add override_params: { model: "${spec.model}" }`);
  }
}

/** The hosted-only features of one config node, as notes (see {@link PortkeyConfig.warnings}). */
function noteHostedOnly(n: PortkeyNodeInput, at: (string | number)[], note: (at: (string | number)[], message: string) => void): void {
  if (n.virtual_key !== undefined) {
    note([...at, 'virtual_key'], "hosted Portkey only: the open-source gateway has no virtual keys and answers 400 (\"must have either 'provider' and 'api_key'\"); in front of imgsim serve write provider: openai, api_key and custom_host: http://<serve>/<provider>/v1");
  }
  if (n.provider?.startsWith('@') === true) note([...at, 'provider'], "hosted Portkey only: '@slug' providers come from Portkey's model catalog; the open-source gateway takes a provider name such as openai");
  if (typeof n.override_params?.model === 'string' && n.override_params.model.startsWith('@')) note([...at, 'override_params', 'model'], "hosted Portkey only: '@slug/model' comes from Portkey's model catalog");
  if (n.strategy?.cb_config !== undefined) note([...at, 'strategy', 'cb_config'], 'hosted Portkey only: the open-source gateway 1.15.2 ignores it (it has no circuit breaker); imgsim emulates it as Portkey documents it');
  if (n.retry?.use_retry_after_headers !== undefined) {
    note([...at, 'retry', 'use_retry_after_headers'], 'hosted Portkey only: the open-source gateway 1.15.2 drops this key (it reads use_retry_after_header, singular); imgsim emulates it as Portkey documents it');
  }
  if (n.retry?.use_retry_after_header === true) {
    note([...at, 'retry', 'use_retry_after_header'], 'in the open-source gateway 1.15.2 a 429 with Retry-After makes its retry handler throw: retried on the usual backoff, the target answers 500 in the end (imgsim emulates this)');
  }
}

/**
 * The provider a leaf target sends to: `virtual_key` when it is a provider id, else the
 * provider an `imgsim serve` `custom_host` addresses, else `provider` (with or without a
 * leading `@`), else the `@<provider>` of `override_params.model` (or the whole model name).
 */
function mapTarget(n: PortkeyNodeInput, ids: ReadonlySet<string>): string | undefined {
  if (n.virtual_key !== undefined && ids.has(n.virtual_key)) return n.virtual_key;
  if (n.custom_host !== undefined) {
    const fromUrl = providerOfUrl(n.custom_host, ids);
    if (fromUrl !== undefined) return fromUrl;
  }
  if (n.provider !== undefined) {
    const p = n.provider.replace(/^@/, '');
    if (ids.has(p)) return p;
  }
  const model = n.override_params?.model;
  if (typeof model === 'string') {
    const slug = model.startsWith('@') ? model.slice(1, model.includes('/') ? model.indexOf('/') : undefined) : model;
    if (ids.has(slug)) return slug;
  }
  return undefined;
}

/** A conditional strategy: targets named by `then`/`default` exist, queries use known keys and operators. */
function checkConditions(s: z.output<typeof strategySchema>, targets: readonly PortkeyNode[], at: (string | number)[], problems: ProblemList): void {
  const names = targets.map((t) => t.name).filter((n): n is string => n !== undefined);
  const known = (name: string): boolean => names.includes(name);
  if ((s.conditions ?? []).length === 0 && s.default === undefined) problems.add(at, 'a conditional strategy needs conditions or a default');
  (s.conditions ?? []).forEach((c, i) => {
    if (!known(c.then)) problems.add([...at, 'conditions', i, 'then'], `no target named "${c.then}"; targets are named ${names.join(', ') || '(none)'}`);
    checkQuery(c.query, [...at, 'conditions', i, 'query'], problems);
  });
  if (s.default !== undefined && !known(s.default)) problems.add([...at, 'default'], `no target named "${s.default}"; targets are named ${names.join(', ') || '(none)'}`);
}

function checkQuery(query: Record<string, unknown>, at: (string | number)[], problems: ProblemList): void {
  for (const [key, value] of Object.entries(query)) {
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value)) problems.add([...at, key], `expected a list of queries for ${key}`);
      else
        value.forEach((q: unknown, i) => {
          if (q === null || typeof q !== 'object' || Array.isArray(q)) problems.add([...at, key, i], 'expected a query object');
          else checkQuery(q as Record<string, unknown>, [...at, key, i], problems);
        });
      continue;
    }
    const [scope, name, ...rest] = key.split('.');
    const okKey =
      rest.length === 0 &&
      ((scope === 'metadata' && (PORTKEY_METADATA_KEYS as readonly string[]).includes(name ?? '')) ||
        (scope === 'params' && (PORTKEY_PARAM_KEYS as readonly string[]).includes(name ?? '')));
    if (!okKey) {
      problems.add(
        [...at, key],
        `not emulated: imgsim requests carry metadata.${PORTKEY_METADATA_KEYS.join(', metadata.')} and params.${PORTKEY_PARAM_KEYS.join(', params.')}; a condition on anything else would never match`,
      );
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const op of Object.keys(value)) {
        if (!OPERATORS.includes(op)) problems.add([...at, key, op], `unknown operator ${op}; Portkey knows ${OPERATORS.join(', ')}`);
      }
    }
  }
}
