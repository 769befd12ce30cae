/**
 * Reading a LiteLLM config for the `litellm` strategy: the proxy's `config.yaml` (`model_list`,
 * `router_settings`, `litellm_settings`, ...) or a Router config (`model_list` and the Router's
 * arguments at the top level). The schema says which keys are emulated, which are accepted and
 * ignored because they do not change routing (credentials, logging, display), and which change
 * routing in ways imgsim does not reproduce (an error naming the key). docs/gateways.md lists
 * them with the LiteLLM behaviour each one reproduces.
 */
import { z } from 'zod';
import type { ResolvedScenario } from '../../scenario/resolve.js';
import { obj } from '../../scenario/schema-parts.js';
import {
  ignored,
  parseGatewayConfig,
  parseGatewayDurationMs,
  ProblemList,
  providerOfUrl,
  readGatewayConfig,
  unmappedMessage,
  unsupported,
  type GatewayConfigSource,
} from './_gateway.js';

/** LiteLLM's `routing_strategy` values the emulation reproduces. */
export const LITELLM_ROUTING_STRATEGIES = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing',
  'usage-based-routing-v2',
  'latency-based-routing',
  'cost-based-routing',
] as const;
/** A routing strategy name. */
export type LitellmRoutingStrategy = (typeof LITELLM_ROUTING_STRATEGIES)[number];

/** `litellm.allowed_fails`, the value `allowed_fails` is compared with to tell whether a router set its own (litellm/__init__.py). */
export const LITELLM_DEFAULT_ALLOWED_FAILS = 3;
/** `DEFAULT_COOLDOWN_TIME_SECONDS` (litellm/constants.py). */
const DEFAULT_COOLDOWN_S = 5;
/** `openai.DEFAULT_MAX_RETRIES`, the Router's `num_retries` when none is set. */
const DEFAULT_NUM_RETRIES = 2;
/** The Router's `max_fallbacks` default. */
const DEFAULT_MAX_FALLBACKS = 5;
/** `RoutingArgs.ttl` of lowest_latency.py: one hour, s. */
const DEFAULT_LATENCY_TTL_S = 3600;
/** `RoutingArgs.max_latency_list_size` of lowest_latency.py. */
const DEFAULT_MAX_LATENCY_LIST_SIZE = 10;
/** What lowest_cost.py charges a model missing from LiteLLM's cost map, per input and per output token. */
const DEFAULT_COST_PER_TOKEN = 5;

const seconds = () => z.number({ error: 'expected seconds, a number >= 0' }).nonnegative({ error: 'expected seconds, a number >= 0' });
const positive = () => z.number({ error: 'expected a number > 0' }).positive({ error: 'expected a number > 0' });
const nonNegative = () => z.number({ error: 'expected a number >= 0' }).nonnegative({ error: 'expected a number >= 0' });
const count = () => z.number({ error: 'expected a whole number >= 0' }).int({ error: 'expected a whole number >= 0' }).min(0, { error: 'expected a whole number >= 0' });
const durationText = () =>
  z.string({ error: 'expected a duration such as "1d", "30d" or "1mo"' }).refine((v) => parseGatewayDurationMs(v) !== undefined, {
    error: 'expected a duration such as "1d", "30d" or "1mo" (units s, m, h, d, w, mo)',
  });
/** `false` is harmless; `true` asks for something not emulated. */
const falseOnly = (what: string) => z.boolean().refine((v) => !v, { error: `not emulated: ${what}; set it to false or remove it` }).optional();
/** `[{ group: [fallback groups] }, ...]`, one group per item. */
const groupMap = () =>
  z.array(
    z.record(z.string(), z.array(z.string(), { error: 'expected a list of model groups' })).refine((m) => Object.keys(m).length === 1, {
      error: 'expected one model group per item: `{ group: [fallback, ...] }`',
    }),
    { error: 'expected a list such as [{ "image-fast": ["image-cheap"] }]' },
  );

const retryPolicySchema = obj({
  BadRequestErrorRetries: count().optional(),
  AuthenticationErrorRetries: count().optional(),
  TimeoutErrorRetries: count().optional(),
  RateLimitErrorRetries: count().optional(),
  ContentPolicyViolationErrorRetries: count().optional(),
  InternalServerErrorRetries: count().optional(),
});
/** A parsed `retry_policy`. */
export type LitellmRetryPolicy = z.output<typeof retryPolicySchema>;

const allowedFailsPolicySchema = obj({
  BadRequestErrorAllowedFails: count().optional(),
  AuthenticationErrorAllowedFails: count().optional(),
  TimeoutErrorAllowedFails: count().optional(),
  RateLimitErrorAllowedFails: count().optional(),
  ContentPolicyViolationErrorAllowedFails: count().optional(),
  InternalServerErrorAllowedFails: count().optional(),
});
/** A parsed `allowed_fails_policy`. */
export type LitellmAllowedFailsPolicy = z.output<typeof allowedFailsPolicySchema>;

/** Keys of `litellm_params` that only carry credentials, provider settings or cost tracking. */
const IGNORED_PARAMS = [
  'api_key',
  'api_version',
  'organization',
  'region_name',
  'base_model',
  'vertex_project',
  'vertex_location',
  'vertex_credentials',
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_region_name',
  'aws_profile_name',
  'aws_role_name',
  'aws_session_name',
  'azure_ad_token',
  'tenant_id',
  'client_id',
  'client_secret',
  'stream_timeout',
  'drop_params',
  'extra_headers',
  'headers',
  'litellm_credential_name',
  'use_in_pass_through',
  'input_cost_per_image',
  'output_cost_per_image',
  'input_cost_per_pixel',
  'output_cost_per_pixel',
  'input_cost_per_second',
  'output_cost_per_second',
] as const;

const litellmParamsSchema = obj({
  model: z.string({ error: 'expected the provider model, e.g. "openai/stepwise"' }).min(1),
  api_base: z.string().optional(),
  weight: nonNegative().optional(),
  rpm: nonNegative().optional(),
  tpm: nonNegative().optional(),
  order: unsupported('deployment priority (`order` changed meaning across LiteLLM versions: a pre-call filter, then an order-based fallback); use model groups and `fallbacks`'),
  timeout: positive().optional(),
  cooldown_time: seconds().optional(),
  max_budget: nonNegative().optional(),
  budget_duration: durationText().optional(),
  input_cost_per_token: nonNegative().optional(),
  output_cost_per_token: nonNegative().optional(),
  custom_llm_provider: z.string().optional(),
  max_retries: z.number().refine((v) => v === 0, { error: 'not emulated: SDK retries inside one deployment call (the Router sets 0); set 0 or remove it' }).optional(),
  max_parallel_requests: unsupported('a per-deployment concurrency semaphore'),
  num_retries: unsupported('per-deployment num_retries; set num_retries or retry_policy on the router'),
  tags: unsupported('tag-based routing'),
  mock_response: unsupported('mock responses'),
  ...Object.fromEntries(IGNORED_PARAMS.map((k) => [k, ignored()])),
});

/** `model_info`: `id`, `rpm` and `tpm` are read; every other key is metadata and ignored. */
const modelInfoSchema = z
  .object({
    id: z.union([z.string(), z.number()], { error: 'expected a string id' }).optional(),
    rpm: nonNegative().optional(),
    tpm: nonNegative().optional(),
  })
  .catchall(z.unknown());

const deploymentSchema = obj({
  model_name: z.string({ error: 'expected the model group name' }).min(1),
  litellm_params: litellmParamsSchema,
  model_info: modelInfoSchema.optional(),
  rpm: nonNegative().optional(),
  tpm: nonNegative().optional(),
});

/** Router arguments: `router_settings` in a proxy config, the top level of a Router config. */
const routerShape = {
  routing_strategy: z.enum(LITELLM_ROUTING_STRATEGIES, { error: `expected one of ${LITELLM_ROUTING_STRATEGIES.join(', ')}` }).optional(),
  routing_strategy_args: obj({ ttl: positive().optional(), lowest_latency_buffer: nonNegative().optional(), max_latency_list_size: count().min(1).optional() }).optional(),
  num_retries: count().optional(),
  retry_after: seconds().optional(),
  timeout: positive().optional(),
  fallbacks: groupMap().optional(),
  default_fallbacks: z.array(z.string()).optional(),
  content_policy_fallbacks: groupMap().optional(),
  context_window_fallbacks: groupMap().optional(),
  max_fallbacks: count().optional(),
  allowed_fails: count().optional(),
  allowed_fails_policy: allowedFailsPolicySchema.optional(),
  cooldown_time: seconds().optional(),
  disable_cooldowns: z.boolean().optional(),
  retry_policy: retryPolicySchema.optional(),
  model_group_retry_policy: z.record(z.string(), retryPolicySchema).optional(),
  provider_budget_config: z.record(z.string(), obj({ budget_limit: nonNegative(), time_period: durationText() })).optional(),
  // Pre-call checks filter by context window and region: neither applies to image requests.
  enable_pre_call_checks: ignored(),
  model_group_alias: z.record(z.string(), z.string({ error: 'expected a model group name' })).optional(),
  // One router instance is emulated: shared state in Redis changes nothing for it.
  redis_host: ignored(),
  redis_port: ignored(),
  redis_password: ignored(),
  redis_url: ignored(),
  cache_kwargs: ignored(),
  set_verbose: ignored(),
  debug_level: ignored(),
  alerting_config: ignored(),
  cache_responses: falseOnly('response caching (an identical prompt would be answered from the cache)'),
  enable_tag_filtering: falseOnly('tag-based routing'),
  default_max_parallel_requests: unsupported('a per-deployment concurrency semaphore'),
  routing_groups: unsupported('routing groups'),
  optional_pre_call_checks: unsupported('optional pre-call checks'),
};

/** `litellm_settings` keys that set router defaults (router_settings wins). */
const litellmSettingsSchema = obj({
  num_retries: count().optional(),
  request_timeout: positive().optional(),
  fallbacks: groupMap().optional(),
  default_fallbacks: z.array(z.string()).optional(),
  content_policy_fallbacks: groupMap().optional(),
  context_window_fallbacks: groupMap().optional(),
  allowed_fails: count().optional(),
  cooldown_time: seconds().optional(),
  callbacks: ignored(),
  success_callback: ignored(),
  failure_callback: ignored(),
  service_callback: ignored(),
  set_verbose: ignored(),
  json_logs: ignored(),
  drop_params: ignored(),
  modify_params: ignored(),
  turn_off_message_logging: ignored(),
  redact_messages_in_exceptions: ignored(),
  redact_user_api_key_info: ignored(),
  log_raw_request_response: ignored(),
  telemetry: ignored(),
  ssl_verify: ignored(),
  cache: falseOnly('response caching (an identical prompt would be answered from the cache)'),
  cache_params: unsupported('response caching'),
  max_budget: unsupported('a proxy-wide budget (use the scenario budget)'),
  budget_duration: unsupported('a proxy-wide budget (use the scenario budget)'),
});

/** `general_settings`: proxy, database, auth and UI settings, ignored, but for proxy-wide concurrency caps. */
const generalSettingsSchema = z
  .object({
    max_parallel_requests: unsupported('a proxy-wide concurrency cap'),
    global_max_parallel_requests: unsupported('a proxy-wide concurrency cap'),
  })
  .catchall(z.unknown());

const proxyConfigSchema = obj({
  model_list: z.array(deploymentSchema, { error: 'expected a list of deployments' }).min(1, { error: 'expected at least one deployment' }),
  router_settings: obj(routerShape).optional(),
  litellm_settings: litellmSettingsSchema.optional(),
  general_settings: generalSettingsSchema.optional(),
  environment_variables: ignored(),
  callback_settings: ignored(),
  guardrails: unsupported('guardrails, which may block requests'),
  include: unsupported('include (inline the included files)'),
});

const routerConfigSchema = obj({
  model_list: z.array(deploymentSchema, { error: 'expected a list of deployments' }).min(1, { error: 'expected at least one deployment' }),
  ...routerShape,
});

/** Keys that mark a file as a proxy config rather than a Router config. */
const PROXY_KEYS = ['router_settings', 'litellm_settings', 'general_settings', 'environment_variables', 'callback_settings'];

/** One deployment of `model_list`, resolved. */
export interface LitellmDeployment {
  /** Position in `model_list`. */
  readonly index: number;
  /** `model_info.id`, or `model_list[i]` (LiteLLM hashes the params; only identity matters here). */
  readonly id: string;
  /** Its model group (`model_name`). */
  readonly group: string;
  /** The scenario provider it sends to. */
  readonly provider: string;
  readonly weight: number | undefined;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  /** `rpm` as the usage and latency strategies read it: the deployment's, `litellm_params`', then `model_info`'s. */
  readonly usageRpm: number;
  readonly usageTpm: number;
  /** Attempt timeout, ms (`litellm_params.timeout`, else the router's). */
  readonly timeoutMs: number | undefined;
  /** `litellm_params.cooldown_time`, ms. */
  readonly cooldownMs: number | undefined;
  /** input_cost_per_token + output_cost_per_token, as cost-based-routing ranks. */
  readonly costPerToken: number;
  /** The LiteLLM provider (`custom_llm_provider`, else the `model` prefix), for provider budgets. */
  readonly llmProvider: string | undefined;
  /** `max_budget` over `budget_duration`. */
  readonly budget: { readonly limitUsd: number; readonly periodMs: number } | undefined;
}

/** A fallback list entry: a model group (or `*`) and the groups it falls back to. */
export interface FallbackEntry {
  readonly from: string;
  readonly to: readonly string[];
}

/** A LiteLLM config resolved for the emulation. */
export interface LitellmConfig {
  /** The config file as shown in messages. */
  readonly file: string;
  readonly deployments: readonly LitellmDeployment[];
  /** Deployments per model group, in `model_list` order. */
  readonly groups: ReadonlyMap<string, readonly LitellmDeployment[]>;
  readonly aliases: ReadonlyMap<string, string>;
  readonly routingStrategy: LitellmRoutingStrategy;
  /** routing_strategy_args.ttl, ms (the latency map's life). */
  readonly latencyTtlMs: number;
  readonly lowestLatencyBuffer: number;
  readonly maxLatencyListSize: number;
  readonly numRetries: number;
  /** `retry_after`, ms: the least a retry waits. */
  readonly retryAfterMs: number;
  readonly timeoutMs: number | undefined;
  readonly fallbacks: readonly FallbackEntry[] | undefined;
  readonly contentPolicyFallbacks: readonly FallbackEntry[] | undefined;
  readonly maxFallbacks: number;
  readonly allowedFails: number | undefined;
  readonly allowedFailsPolicy: LitellmAllowedFailsPolicy | undefined;
  /** The router's cooldown, ms (`cooldown_time or 5`). */
  readonly cooldownMs: number;
  readonly disableCooldowns: boolean;
  readonly retryPolicy: LitellmRetryPolicy | undefined;
  readonly modelGroupRetryPolicy: Readonly<Record<string, LitellmRetryPolicy>> | undefined;
  readonly providerBudgets: ReadonlyMap<string, { readonly limitUsd: number; readonly periodMs: number }>;
}

type RouterSettings = z.output<z.ZodObject<typeof routerShape>>;

/**
 * Reads, validates and resolves a LiteLLM config for a scenario.
 * @param scenario - the scenario (its folder and providers)
 * @param configPath - the path as the scenario writes it
 * @returns the resolved config
 * @throws ImgsimError with every problem as `file:line:col key.path: message`
 */
export function loadLitellmConfig(scenario: ResolvedScenario, configPath: string): LitellmConfig {
  const config = readGatewayConfig(scenario, configPath);
  return resolveLitellmConfig(scenario, config);
}

/**
 * Validates and resolves a LiteLLM config already read.
 * @param scenario - the scenario (its providers)
 * @param config - the data and its source
 * @returns the resolved config
 * @throws ImgsimError with every problem
 */
export function resolveLitellmConfig(scenario: ResolvedScenario, config: GatewayConfigSource): LitellmConfig {
  const data = config.data;
  const isProxy = data !== null && typeof data === 'object' && PROXY_KEYS.some((k) => k in data);
  let modelList: z.output<typeof deploymentSchema>[];
  let router: RouterSettings;
  if (isProxy) {
    const parsed = parseGatewayConfig(proxyConfigSchema, config);
    modelList = parsed.model_list;
    const ls: z.output<typeof litellmSettingsSchema> = parsed.litellm_settings ?? {};
    const rs: Partial<RouterSettings> = parsed.router_settings ?? {};
    router = {
      num_retries: ls.num_retries,
      timeout: ls.request_timeout,
      fallbacks: ls.fallbacks,
      default_fallbacks: ls.default_fallbacks,
      content_policy_fallbacks: ls.content_policy_fallbacks,
      context_window_fallbacks: ls.context_window_fallbacks,
      allowed_fails: ls.allowed_fails,
      cooldown_time: ls.cooldown_time,
      ...withoutUndefined(rs),
    };
  } else {
    const parsed = parseGatewayConfig(routerConfigSchema, config);
    const { model_list, ...rest } = parsed;
    modelList = model_list;
    router = rest;
  }
  const routerPath = isProxy ? ['router_settings'] : [];
  const problems = new ProblemList(config.source);
  const ids = scenario.providers.map((p) => p.id);
  const idSet = new Set(ids);
  const deployments: LitellmDeployment[] = [];
  const seenIds = new Map<string, number>();
  modelList.forEach((d, index) => {
    const lp = d.litellm_params;
    const infoId = d.model_info?.id === undefined ? undefined : String(d.model_info.id);
    const provider = mapDeployment(infoId, lp.api_base, lp.model, idSet);
    if (provider === undefined) problems.add(['model_list', index], unmappedMessage('model_info.id, litellm_params.model (e.g. openai/<provider>) or litellm_params.api_base', ids));
    const id = infoId ?? `model_list[${index}]`;
    const first = seenIds.get(id);
    if (first !== undefined) problems.add(['model_list', index, 'model_info', 'id'], `duplicate deployment id "${id}" (also model_list[${first}])`);
    else seenIds.set(id, index);
    if ((lp.max_budget === undefined) !== (lp.budget_duration === undefined)) {
      problems.add(['model_list', index, 'litellm_params', lp.max_budget === undefined ? 'budget_duration' : 'max_budget'], 'a deployment budget needs both max_budget and budget_duration');
    }
    const slash = lp.model.indexOf('/');
    deployments.push({
      index,
      id,
      group: d.model_name,
      provider: provider ?? '',
      weight: lp.weight,
      rpm: lp.rpm,
      tpm: lp.tpm,
      usageRpm: d.rpm ?? lp.rpm ?? d.model_info?.rpm ?? Infinity,
      usageTpm: d.tpm ?? lp.tpm ?? d.model_info?.tpm ?? Infinity,
      timeoutMs: lp.timeout === undefined ? undefined : lp.timeout * 1000,
      cooldownMs: lp.cooldown_time === undefined ? undefined : lp.cooldown_time * 1000,
      costPerToken: (lp.input_cost_per_token || DEFAULT_COST_PER_TOKEN) + (lp.output_cost_per_token || DEFAULT_COST_PER_TOKEN),
      llmProvider: lp.custom_llm_provider ?? (slash > 0 ? lp.model.slice(0, slash) : undefined),
      budget:
        lp.max_budget !== undefined && lp.budget_duration !== undefined ? { limitUsd: lp.max_budget, periodMs: parseGatewayDurationMs(lp.budget_duration)! } : undefined,
    });
  });

  const groups = new Map<string, LitellmDeployment[]>();
  for (const d of deployments) {
    const list = groups.get(d.group);
    if (list === undefined) groups.set(d.group, [d]);
    else list.push(d);
  }
  const aliases = new Map(Object.entries(router.model_group_alias ?? {}));
  const isGroup = (g: string): boolean => groups.has(g) || (aliases.has(g) && groups.has(aliases.get(g)!));
  for (const [alias, target] of aliases) {
    if (!groups.has(target)) problems.add([...routerPath, 'model_group_alias', alias], unknownGroup(target, groups));
  }
  const checkMap = (key: 'fallbacks' | 'content_policy_fallbacks' | 'context_window_fallbacks'): FallbackEntry[] | undefined => {
    const list = router[key];
    if (list === undefined) return undefined;
    return list.map((item, i) => {
      const [from, to] = Object.entries(item)[0]!;
      if (from !== '*' && !isGroup(from)) problems.add([...routerPath, key, i, from], unknownGroup(from, groups));
      to.forEach((g, j) => {
        if (!isGroup(g)) problems.add([...routerPath, key, i, from, j], unknownGroup(g, groups));
      });
      return { from, to };
    });
  };
  let fallbacks = checkMap('fallbacks');
  const contentPolicyFallbacks = checkMap('content_policy_fallbacks');
  checkMap('context_window_fallbacks');
  if (router.default_fallbacks !== undefined) {
    router.default_fallbacks.forEach((g, j) => {
      if (!isGroup(g)) problems.add([...routerPath, 'default_fallbacks', j], unknownGroup(g, groups));
    });
    // Router.__init__ appends default_fallbacks as the generic ("*") entry.
    fallbacks = [...(fallbacks ?? []), { from: '*', to: router.default_fallbacks }];
  }
  problems.throwIfAny();

  const args = router.routing_strategy_args ?? {};
  return {
    file: config.source.file,
    deployments,
    groups,
    aliases,
    routingStrategy: router.routing_strategy ?? 'simple-shuffle',
    latencyTtlMs: (args.ttl ?? DEFAULT_LATENCY_TTL_S) * 1000,
    lowestLatencyBuffer: args.lowest_latency_buffer ?? 0,
    maxLatencyListSize: args.max_latency_list_size ?? DEFAULT_MAX_LATENCY_LIST_SIZE,
    numRetries: router.num_retries ?? DEFAULT_NUM_RETRIES,
    retryAfterMs: (router.retry_after ?? 0) * 1000,
    timeoutMs: router.timeout === undefined ? undefined : router.timeout * 1000,
    fallbacks,
    contentPolicyFallbacks,
    maxFallbacks: router.max_fallbacks ?? DEFAULT_MAX_FALLBACKS,
    allowedFails: router.allowed_fails,
    allowedFailsPolicy: router.allowed_fails_policy,
    // `self.cooldown_time = cooldown_time or DEFAULT_COOLDOWN_TIME_SECONDS`: 0 means the default.
    cooldownMs: (router.cooldown_time || DEFAULT_COOLDOWN_S) * 1000,
    disableCooldowns: router.disable_cooldowns ?? false,
    retryPolicy: router.retry_policy,
    modelGroupRetryPolicy: router.model_group_retry_policy,
    providerBudgets: new Map(
      Object.entries(router.provider_budget_config ?? {}).map(([name, b]) => [name, { limitUsd: b.budget_limit, periodMs: parseGatewayDurationMs(b.time_period)! }]),
    ),
  };
}

/**
 * The provider a deployment sends to: `model_info.id` when it is a provider id, else the
 * provider an `imgsim serve` `api_base` addresses, else the `model` name after its last `/`
 * (or the whole name) when it is a provider id.
 * @param infoId - `model_info.id`
 * @param apiBase - `litellm_params.api_base`
 * @param model - `litellm_params.model`
 * @param ids - provider ids
 * @returns the provider id, or undefined
 */
function mapDeployment(infoId: string | undefined, apiBase: string | undefined, model: string, ids: ReadonlySet<string>): string | undefined {
  if (infoId !== undefined && ids.has(infoId)) return infoId;
  if (apiBase !== undefined) {
    const fromUrl = providerOfUrl(apiBase, ids);
    if (fromUrl !== undefined) return fromUrl;
  }
  const name = model.slice(model.lastIndexOf('/') + 1);
  return ids.has(name) ? name : undefined;
}

function unknownGroup(name: string, groups: ReadonlyMap<string, unknown>): string {
  return `unknown model group "${name}"; model_list has ${[...groups.keys()].join(', ')}`;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
