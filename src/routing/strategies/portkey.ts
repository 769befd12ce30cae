/**
 * `portkey`: the Portkey AI gateway emulated from its config. A request walks the config tree
 * as the gateway's `tryTargetsRecursively` does (src/handlers/handlerUtils.ts): `single` takes
 * the first target, `fallback` tries targets in order until a response is not one to fall back
 * on (`on_status_codes`, else any non-2xx), `loadbalance` draws one target by `weight`,
 * `conditional` picks the target a query on the request's metadata and parameters names; a
 * target may itself have a strategy. A leaf target retries per `retry` (src/handlers/
 * retryHandler.ts: exponential backoff 1 s, 2 s, 4 s, ..., on `on_status_codes` and on any
 * dropped connection; Retry-After with `use_retry_after_headers` as Portkey documents it, a 60 s
 * budget for those waits; `use_retry_after_header`, the key the open-source gateway 1.15.2
 * reads, as that build does it: see `tryLeaf`) within its `request_timeout`, and
 * circuit breakers (`strategy.cb_config`) take failing targets out of their strategy for
 * `cooldown_interval`. docs/gateways.md names the source of each rule.
 *
 * The walk runs as an `AttemptPlan`, so the scenario's `policy` (but its `timeout`, for targets
 * without `request_timeout`) does not apply: the config's does.
 */
import { z } from 'zod';
import type { ImageRequest } from '../../model/request.js';
import type { AttemptOutcome, Candidate, CandidateExplanation, PlanStep, ProviderView, RouteDecision, RouteExplanation, RoutingContext, Strategy, StrategyEnv } from '../strategy.js';
import { msText } from './_explain.js';
import { builtinSchema, type BuiltinDescriptor, configFileCheck, defineBuiltin, noNestedStrategies, type OptionsOf } from './_builtin.js';
import { gatewayTier, planOf, type Failure, type GatewayLoop } from './_gateway.js';
import { forwardedRequest } from '../forwarded.js';
import { loadPortkeyConfig, type PortkeyBreakerConfig, type PortkeyConfig, type PortkeyNode, type PortkeyRetry } from './portkey-config.js';

const schema = builtinSchema('portkey', {
  config: z.string({ error: 'expected the path of a Portkey config (JSON), relative to the scenario' }).min(1),
});

/** Options of `portkey` (see the scenario schema): `config`, `tier`. */
export type PortkeyOptions = OptionsOf<typeof schema>;

/** The gateway's default retry codes (`RETRY_STATUS_CODES`, src/globals.ts). */
const DEFAULT_RETRY_CODES: readonly number[] = [429, 500, 502, 503, 504];
/** async-retry with `minTimeout` 1000 and `factor` 2, `randomize: false`: the wait before retry k is 1 s × 2^(k−1). */
const FIRST_BACKOFF_MS = 1000;
/** `MAX_RETRY_LIMIT_MS`: what the Retry-After waits of one target's retries may add up to. */
const MAX_RETRY_LIMIT_MS = 60_000;

/** A target's final response as the walk passes it up. */
interface Response {
  readonly status: number;
}

/** A conditional router's failure: it ends the request (the gateway answers with an error). */
class RouterError extends Error {}

/**
 * A target's circuit breaker, as Portkey documents it: failures and successes are counted from
 * the first failure; more than `failure_threshold` failures, or a failure rate above
 * `failure_threshold_percentage` once `minimum_requests` answers are in, open it; an open
 * circuit blocks the target for `cooldown_interval`, then closes with its counters reset.
 * Counters also reset when `cooldown_interval` has passed since the first failure without the
 * circuit opening (the docs say the first failure's time is tracked; this is how imgsim uses it).
 */
class Breaker {
  private failures = 0;
  private successes = 0;
  private firstFailureMs = -1;
  private openUntilMs = -Infinity;

  /**
   * @param nowMs - the clock
   * @returns ms until the circuit closes, 0 when it is closed
   */
  openFor(nowMs: number): number {
    return this.isOpen(nowMs) ? this.openUntilMs - nowMs : 0;
  }

  /**
   * @param nowMs - the clock
   * @returns true while the circuit is open
   */
  isOpen(nowMs: number): boolean {
    if (nowMs < this.openUntilMs) return true;
    if (this.openUntilMs !== -Infinity) this.reset();
    return false;
  }

  /**
   * Counts a target's final response.
   * @param cfg - the settings in force for the target
   * @param status - the response status
   * @param nowMs - the clock
   */
  record(cfg: PortkeyBreakerConfig, status: number, nowMs: number): void {
    if (this.isOpen(nowMs)) return;
    if (this.firstFailureMs >= 0 && nowMs - this.firstFailureMs >= cfg.cooldownMs) this.reset();
    const failed = cfg.failureStatusCodes === undefined ? status > 500 : cfg.failureStatusCodes.includes(status);
    if (failed) {
      this.failures++;
      if (this.firstFailureMs < 0) this.firstFailureMs = nowMs;
    } else this.successes++;
    const total = this.failures + this.successes;
    const overCount = cfg.failureThreshold !== undefined && this.failures > cfg.failureThreshold;
    const overRate = cfg.failurePercentage !== undefined && total > 0 && total >= cfg.minimumRequests && (this.failures / total) * 100 > cfg.failurePercentage;
    if (overCount || overRate) this.openUntilMs = nowMs + cfg.cooldownMs;
  }

  private reset(): void {
    this.failures = 0;
    this.successes = 0;
    this.firstFailureMs = -1;
    this.openUntilMs = -Infinity;
  }
}

/** What a subtree inherits: retry and request_timeout (a target's own win), and the breaker settings of its strategy. */
interface Inherited {
  readonly retry: PortkeyRetry | undefined;
  readonly timeoutMs: number | undefined;
  readonly breaker: PortkeyBreakerConfig | undefined;
}

/** A request's walk state. */
interface WalkState {
  retriedOrFellBack: boolean;
}

/** The emulated gateway: one per strategy run, its circuit breakers shared by every request. */
class PortkeyGateway {
  private readonly breakers: Breaker[];
  /** Per request in flight: the leaf its attempt went to and the breaker settings in force there. */
  private readonly inFlight = new Map<number, { readonly leaf: PortkeyNode; readonly breaker: PortkeyBreakerConfig | undefined }>();
  private views: Map<string, ProviderView> | undefined;

  constructor(
    readonly config: PortkeyConfig,
    private readonly strategyTier: string | undefined,
  ) {
    this.breakers = config.nodes.map(() => new Breaker());
  }

  /**
   * A finished attempt: a success is the leaf's final response, counted by its breaker (a
   * failure is counted when the leaf's retries are over, in the walk).
   * @param o - the outcome
   * @param nowMs - the clock
   */
  observe(o: AttemptOutcome, nowMs: number): void {
    const cur = this.inFlight.get(o.requestId);
    if (cur === undefined) return;
    this.inFlight.delete(o.requestId);
    if (o.kind === 'success' && cur.breaker !== undefined) this.breakers[cur.leaf.id]!.record(cur.breaker, 200, nowMs);
  }

  /**
   * `tryTargetsRecursively` for one node.
   * @returns the node's final response (a success ends the request before)
   */
  *tryNode(node: PortkeyNode, inherited: Inherited, request: ImageRequest, ctx: RoutingContext, st: WalkState): Generator<PlanStep, Response, Failure | undefined> {
    const retry = node.retry ?? inherited.retry;
    const timeoutMs = node.requestTimeoutMs ?? inherited.timeoutMs;
    if (node.kind === 'leaf') return yield* this.tryLeaf(node, retry, timeoutMs, inherited.breaker, request, ctx, st);
    const breaker = node.breaker ?? inherited.breaker;
    const childInherited: Inherited = { retry, timeoutMs, breaker };
    let targets = node.targets;
    if (breaker !== undefined && node.mode !== 'conditional') {
      // Open targets leave the list; if none is left, the breaker is bypassed.
      const healthy = targets.filter((t) => !this.breakers[t.id]!.isOpen(ctx.now));
      if (healthy.length > 0) targets = healthy;
    }
    switch (node.mode) {
      case 'single':
        return yield* this.tryNode(targets[0]!, childInherited, request, ctx, st);
      case 'fallback': {
        const codes = node.onStatusCodes;
        let response: Response = { status: 500 };
        for (let i = 0; i < targets.length; i++) {
          if (i > 0) st.retriedOrFellBack = true;
          response = yield* this.tryNode(targets[i]!, childInherited, request, ctx, st);
          const ok = response.status >= 200 && response.status < 300;
          if (codes !== undefined ? !codes.includes(response.status) : ok) return response;
        }
        return response;
      }
      case 'loadbalance': {
        let total = 0;
        for (const t of targets) total += t.weight;
        let u = ctx.rng.next() * total;
        for (const t of targets) {
          if (u < t.weight) return yield* this.tryNode(t, childInherited, request, ctx, st);
          u -= t.weight;
        }
        // Only weight-0 targets are healthy: Portkey finds no target and fails the request.
        throw new RouterError('no provider selected, please check the weights');
      }
      case 'conditional':
        return yield* this.tryNode(resolveConditional(node, request), childInherited, request, ctx, st);
    }
  }

  /**
   * A leaf: the attempt and its retries (retryHandler.ts), then its breaker counts the final response.
   * @returns the final response
   */
  private *tryLeaf(
    leaf: PortkeyNode & { kind: 'leaf' },
    retry: PortkeyRetry | undefined,
    timeoutMs: number | undefined,
    breaker: PortkeyBreakerConfig | undefined,
    request: ImageRequest,
    ctx: RoutingContext,
    st: WalkState,
  ): Generator<PlanStep, Response, Failure | undefined> {
    const retries = retry?.attempts ?? 0;
    const codes = retry?.onStatusCodes ?? DEFAULT_RETRY_CODES;
    const view = this.view(leaf.provider, ctx);
    // The gateway forwards the body's OpenAI fields only: imgsim's reach the provider as the headers it forwards, or not at all.
    const sent = forwardedRequest(request, view.spec.reference.steps, leaf.forwardHeaders);
    const step: PlanStep = {
      provider: leaf.provider,
      tier: gatewayTier(view, sent, this.strategyTier),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(sent === request ? {} : { request: sent }),
    };
    let budgetMs = MAX_RETRY_LIMIT_MS;
    let backoffReset = false;
    let status = 500;
    for (let attempt = 0; ; attempt++) {
      this.inFlight.set(request.id, { leaf, breaker });
      const f = yield step;
      // A dropped connection makes fetch throw: retryRequest retries a throw whatever
      // on_status_codes says, and answers 500 when the retries are over.
      const thrown = f !== undefined && f.status === undefined;
      status = f?.status ?? 500;
      if (!thrown && !codes.includes(status)) break;
      if (status === 429 && retry?.retryAfterThrows === true && f?.retryAfterMs !== undefined && f.retryAfterMs > 0) {
        // 1.15.2 with `use_retry_after_header`: reading a 429's Retry-After throws a TypeError
        // (it sets `_timeouts` on an argument async-retry does not pass), which is retried as a
        // thrown fetch is, after the usual backoff; when the retries are over the target answers 500.
        status = 500;
        if (attempt >= retries) break;
        st.retriedOrFellBack = true;
        yield { waitMs: FIRST_BACKOFF_MS * Math.pow(2, attempt) };
        continue;
      }
      if (status === 429 && retry?.useRetryAfter === true && f?.retryAfterMs !== undefined && f.retryAfterMs > 0) {
        const ra = f.retryAfterMs;
        if (ra >= MAX_RETRY_LIMIT_MS || ra > budgetMs) break; // the retry is skipped: the 429 is the answer
        budgetMs -= ra;
        // The gateway waits out the Retry-After (even after the last attempt) and sets the
        // remaining backoff waits to 0.
        backoffReset = true;
        yield { waitMs: ra };
        if (attempt >= retries) break;
        st.retriedOrFellBack = true;
        continue;
      }
      if (attempt >= retries) break;
      st.retriedOrFellBack = true;
      const wait = backoffReset ? 0 : FIRST_BACKOFF_MS * Math.pow(2, attempt);
      if (wait > 0) yield { waitMs: wait };
    }
    if (breaker !== undefined) this.breakers[leaf.id]!.record(breaker, status, ctx.now);
    return { status };
  }

  private view(id: string, ctx: RoutingContext): ProviderView {
    if (this.views === undefined) this.views = new Map(ctx.providers.map((p) => [p.id, p]));
    return this.views.get(id)!;
  }

  /**
   * For `explain`: the path a request takes through conditional strategies (without drawing),
   * and each leaf's circuit state.
   * @param request - the request
   * @param nowMs - the clock
   * @returns the summary and a reason per provider
   */
  describe(request: ImageRequest, nowMs: number): { summary: string; reasons: Map<string, string[]> } {
    const reasons = new Map<string, string[]>();
    const steps: string[] = [];
    const walk = (node: PortkeyNode): void => {
      if (node.kind === 'leaf') {
        const open = this.breakers[node.id]!.openFor(nowMs);
        const list = reasons.get(node.provider) ?? [];
        list.push(`target ${node.path}${open > 0 ? `: circuit open for ${msText(open)}` : ''}`);
        reasons.set(node.provider, list);
        return;
      }
      if (node.mode === 'conditional') {
        try {
          const t = resolveConditional(node, request);
          steps.push(`conditional → ${t.name ?? t.path}`);
          walk(t);
        } catch (err) {
          steps.push(`conditional: ${err instanceof Error ? err.message : String(err)}`);
        }
        return;
      }
      steps.push(`${node.mode} over ${node.targets.length} targets`);
      for (const t of node.targets) walk(t);
    };
    walk(this.config.root);
    return { summary: `the config decides at each attempt: ${steps.join(', ')} (${this.config.file})`, reasons };
  }
}

/** Reads one field of the context a conditional query sees (docs/gateways.md lists them). */
type FieldReader = (request: ImageRequest) => unknown;

/** `metadata.*` and `params.*` as Portkey's router context holds them; other keys read undefined. */
const FIELD_READERS: Readonly<Record<string, FieldReader>> = {
  'metadata.project': (r) => r.project,
  'metadata.urgency': (r) => r.urgency,
  'metadata.class': (r) => r.className,
  'params.prompt': (r) => r.prompt,
  'params.n': () => 1,
  'params.size': (r) => r.size,
  'params.quality': (r) => r.quality,
  'params.steps': (r) => r.steps,
  'params.features': (r) => r.features,
  'params.tier': (r) => r.tier,
  'params.validate': (r) => r.validate,
};
const READS_NOTHING: FieldReader = () => undefined;

/** A query or an operator object compiled to a test (once per config object, see {@link compiledQuery}). */
type Test = (value: unknown) => boolean;
type RequestTest = (request: ImageRequest) => boolean;

const compiledQueries = new WeakMap<object, RequestTest>();

/** The compiled form of a condition's query, cached on the query object. */
function compiledQuery(query: Record<string, unknown>): RequestTest {
  let test = compiledQueries.get(query);
  if (test === undefined) {
    test = compileQuery(query);
    compiledQueries.set(query, test);
  }
  return test;
}

/** All of the tests, in order (an empty list holds). */
function allOf<T>(tests: readonly ((x: T) => boolean)[]): (x: T) => boolean {
  return (x) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(x)) return false;
    return true;
  };
}

/** ConditionalRouter.resolveTarget: the first condition whose query holds, else `default`. */
function resolveConditional(node: PortkeyNode & { kind: 'strategy' }, request: ImageRequest): PortkeyNode {
  const find = (name: string): PortkeyNode => {
    const t = node.targets.find((x) => x.name === name);
    if (t === undefined) throw new RouterError(`Invalid target name found in the query router: ${name}`);
    return t;
  };
  for (const c of node.conditions) if (compiledQuery(c.query)(request)) return find(c.then);
  if (node.defaultTarget !== undefined) return find(node.defaultTarget);
  throw new RouterError('Query router did not resolve to any valid target');
}

/**
 * ConditionalRouter.evaluateQuery as a compiled test, quirks included: keys are checked in
 * order, and `$or`/`$and` decide the whole query where they appear (later keys are never read).
 */
function compileQuery(query: Record<string, unknown>): RequestTest {
  const tests: RequestTest[] = [];
  for (const [key, value] of Object.entries(query)) {
    if ((key === '$or' || key === '$and') && Array.isArray(value)) {
      const subs = value.map((q) => compileQuery(q as Record<string, unknown>));
      tests.push(key === '$or' ? (r) => subs.some((f) => f(r)) : (r) => subs.every((f) => f(r)));
      return allOf(tests);
    }
    // `a.b.c` reads `a.b`, as Portkey's `key.split('.')` destructuring does.
    const [scope, name] = key.split('.');
    const field = `${scope ?? ''}.${name ?? ''}`;
    const read = Object.hasOwn(FIELD_READERS, field) ? FIELD_READERS[field]! : READS_NOTHING;
    if (typeof value === 'object' && value !== null) {
      const test = compileOperator(value as Record<string, unknown>);
      tests.push((r) => test(read(r)));
    } else tests.push((r) => read(r) === value);
  }
  return allOf(tests);
}

/** ConditionalRouter.evaluateOperator as a compiled test (`$regex` decides alone where it appears; an unknown operator fails). */
function compileOperator(ops: Record<string, unknown>): Test {
  const tests: Test[] = [];
  for (const [op, compare] of Object.entries(ops)) {
    switch (op) {
      case '$eq':
        tests.push((v) => v === compare);
        break;
      case '$ne':
        tests.push((v) => v !== compare);
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const c = parseFloat(String(compare));
        const cmp: (a: number) => boolean = op === '$gt' ? (a) => a > c : op === '$gte' ? (a) => a >= c : op === '$lt' ? (a) => a < c : (a) => a <= c;
        tests.push((v) => cmp(parseFloat(String(v))));
        break;
      }
      case '$in':
        tests.push((v) => Array.isArray(compare) && compare.includes(v));
        break;
      case '$nin':
        tests.push((v) => Array.isArray(compare) && !compare.includes(v));
        break;
      case '$regex': {
        let re: RegExp | undefined;
        try {
          re = new RegExp(String(compare));
        } catch {
          re = undefined;
        }
        const regex = re;
        tests.push((v) => regex !== undefined && regex.test(String(v)));
        return allOf(tests);
      }
      case '$length': {
        const inner: Test = typeof compare === 'number' ? (n) => n === compare : typeof compare === 'object' && compare !== null ? compileOperator(compare as Record<string, unknown>) : () => true;
        tests.push((v) => Array.isArray(v) && inner(v.length));
        break;
      }
      default:
        tests.push(() => false);
        return allOf(tests);
    }
  }
  return allOf(tests);
}

/** The providers a node can send to, for the decision's candidate list. */
function leafProviders(node: PortkeyNode, out: Set<string>): Set<string> {
  if (node.kind === 'leaf') out.add(node.provider);
  else for (const t of node.targets) leafProviders(t, out);
  return out;
}

/**
 * Builds `portkey`: reads the config (path relative to the scenario), maps each target to a
 * provider, and walks it for each request.
 * @param options - `config`, `tier`, `name`
 * @param env - the scenario
 * @returns the strategy
 * @throws ImgsimError for a config problem (`file:line:col key.path: message`)
 */
export function portkeyStrategy(options: PortkeyOptions, env: StrategyEnv): Strategy {
  const config = loadPortkeyConfig(env.scenario, options.config);
  const gateway = new PortkeyGateway(config, options.tier);
  const leavesOf = (node: PortkeyNode): Candidate[] => [...leafProviders(node, new Set())].map((provider) => ({ provider }));
  const candidates = leavesOf(config.root);
  // Under a conditional root, a request's candidates are the providers of the target it resolves to.
  const root = config.root;
  const byTarget = root.kind === 'strategy' && root.mode === 'conditional' ? new Map(root.targets.map((t) => [t, leavesOf(t)] as const)) : undefined;
  const candidatesFor = (request: ImageRequest): Candidate[] => {
    if (byTarget === undefined || root.kind !== 'strategy') return candidates;
    try {
      return byTarget.get(resolveConditional(root, request)) ?? candidates;
    } catch {
      return [];
    }
  };
  const none: Inherited = { retry: undefined, timeoutMs: undefined, breaker: undefined };
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    const st: WalkState = { retriedOrFellBack: false };
    function* loop(): GatewayLoop {
      try {
        yield* gateway.tryNode(config.root, none, request, ctx, st);
      } catch (err) {
        if (err instanceof RouterError) return { stop: 'final' };
        throw err;
      }
      return { stop: st.retriedOrFellBack ? 'exhausted' : 'final' };
    }
    return { candidates: candidatesFor(request), plan: planOf(loop()) };
  };
  return {
    name: options.name ?? 'portkey',
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      const { summary, reasons } = gateway.describe(request, ctx.now);
      const listed = 'candidates' in decision ? decision.candidates : [];
      const explained: CandidateExplanation[] = listed.map((c) => ({ provider: c.provider, reason: (reasons.get(c.provider) ?? ['not on this request\'s path']).join('; ') }));
      return { decision, summary, candidates: explained };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      gateway.observe(outcome, ctx.now);
    },
  };
}

/** The `portkey` built-in: its options schema, cross-checks (the config exists), config check and factory. */
export const portkeyBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  gatewayConfig: './portkey.json',
  check(spec, at, c) {
    configFileCheck(spec.config, at, c);
  },
  checkConfig(spec, scenario) {
    portkeyStrategy(spec, { scenario, build: noNestedStrategies });
    return loadPortkeyConfig(scenario, spec.config).warnings;
  },
  factory: portkeyStrategy,
});
