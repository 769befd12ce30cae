/**
 * `litellm`: the LiteLLM Router (and so the LiteLLM proxy) emulated from its own config, so a
 * scenario evaluates the routing a team actually runs. Each request asks for a model group; the
 * Router picks one of its deployments with the configured `routing_strategy`, retries within the
 * group (`num_retries`, `retry_policy`, its backoff and Retry-After), falls back to other groups
 * (`fallbacks`, `content_policy_fallbacks`, `default_fallbacks`, `max_fallbacks`), cools failing
 * deployments down (`allowed_fails`, `allowed_fails_policy`, `cooldown_time`, the failure-rate
 * rule), and filters deployments over their budgets (`provider_budget_config`, `max_budget`).
 *
 * Every rule follows the published Router (litellm/router.py, router_strategy/*.py,
 * router_utils/cooldown_handlers.py); docs/gateways.md names the source of each, and where the
 * code and the docs disagree, which one is reproduced. The request loop runs as an
 * `AttemptPlan`, so the scenario's `policy` (but its `timeout`) does not apply: LiteLLM's does.
 */
import { z } from 'zod';
import { obj, whenSchema } from '../../scenario/schema-parts.js';
import type { ImageRequest } from '../../model/request.js';
import type { AttemptOutcome, Candidate, PlanStep, ProviderView, RouteDecision, RouteExplanation, RoutingContext, Strategy, StrategyEnv } from '../strategy.js';
import { msText, usdText } from './_explain.js';
import { ImgsimError } from '../../scenario/errors.js';
import { builtinSchema, type BuiltinDescriptor, configFileCheck, defineBuiltin, noNestedStrategies, type OptionsOf } from './_builtin.js';
import { gatewayTier, isUnsupported, planOf, statusOf, type Failure, type GatewayLoop } from './_gateway.js';
import { whenMatcher } from './conditional.js';
import { loadLitellmConfig, LITELLM_DEFAULT_ALLOWED_FAILS, type FallbackEntry, type LitellmConfig, type LitellmDeployment, type LitellmRetryPolicy } from './litellm-config.js';

const schema = builtinSchema('litellm', {
  config: z.string({ error: 'expected the path of a LiteLLM config.yaml, relative to the scenario' }).min(1),
  model: z.string().min(1).optional(),
  models: z.array(obj({ when: whenSchema, model: z.string().min(1) })).default([]),
});

/** Options of `litellm` (see the scenario schema): `config`, `model`, `models`, `tier`. */
export type LitellmOptions = OptionsOf<typeof schema>;

const MINUTE_MS = 60_000;
/** In-memory cache keys without a TTL of their own live 600 s (`InMemoryCache.default_ttl`). */
const DEFAULT_CACHE_TTL_MS = 600_000;
/** `DEFAULT_FAILURE_THRESHOLD_PERCENT` (litellm/constants.py). */
const FAILURE_THRESHOLD = 0.5;
/** `DEFAULT_FAILURE_THRESHOLD_MINIMUM_REQUESTS` (litellm/constants.py; BerriAI/litellm#17418). */
const FAILURE_MINIMUM_REQUESTS = 5;
/** `SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD` (litellm/constants.py). */
const SINGLE_DEPLOYMENT_TRAFFIC = 1000;
/** `INITIAL_RETRY_DELAY`, `MAX_RETRY_DELAY` (s) and `JITTER` of `_calculate_retry_after`. */
const INITIAL_RETRY_DELAY_S = 0.5;
const MAX_RETRY_DELAY_S = 8;
const JITTER = 0.25;
/** A Retry-After is followed when 0 < it <= 60 s (`_calculate_retry_after`). */
const MAX_RETRY_AFTER_MS = 60_000;
/** The timeout penalty lowest_latency.py records, s. */
const TIMEOUT_PENALTY_S = 1000;
/** The Retry-After of the usage-based-routing-v2 rpm pre-call check's own 429, ms. */
const V2_RETRY_AFTER_MS = 60_000;

/**
 * A counter in LiteLLM's in-memory cache: its TTL is set by the write that creates it and not
 * extended by later writes (`InMemoryCache.allow_ttl_override`); it is gone once `now` passes it.
 */
class TtlCounter {
  private value = 0;
  private expiresMs = -Infinity;

  /**
   * @param nowMs - the clock
   * @returns the count, 0 once expired
   */
  get(nowMs: number): number {
    return nowMs > this.expiresMs ? 0 : this.value;
  }

  /**
   * Adds to the count (a new key, with a fresh TTL, once the old one expired).
   * @param nowMs - the clock
   * @param n - amount
   * @param ttlMs - the TTL of a new key
   * @returns the new count
   */
  add(nowMs: number, n: number, ttlMs: number): number {
    if (nowMs > this.expiresMs) {
      this.value = n;
      this.expiresMs = nowMs + ttlMs;
    } else this.value += n;
    return this.value;
  }
}

/** A cached dict keyed by deployment, in insertion order, with the TTL of its first write. */
class TtlMap<V> {
  private map: Map<number, V> | undefined;
  private expiresMs = -Infinity;

  /**
   * @param nowMs - the clock
   * @returns the live map, or undefined when never written or expired
   */
  get(nowMs: number): Map<number, V> | undefined {
    if (this.map !== undefined && nowMs > this.expiresMs) this.map = undefined;
    return this.map;
  }

  /**
   * The live map, created (with a TTL from now) when there is none: a write.
   * @param nowMs - the clock
   * @param ttlMs - the TTL of a new map
   * @returns the map
   */
  write(nowMs: number, ttlMs: number): Map<number, V> {
    const live = this.get(nowMs);
    if (live !== undefined) return live;
    this.map = new Map();
    this.expiresMs = nowMs + ttlMs;
    return this.map;
  }
}

/** A spend window that starts with its first spend and lasts `periodMs` (budget_limiter.py). */
class SpendWindow {
  private startMs = -Infinity;
  private spentUsd = 0;

  /** @param periodMs - the window */
  constructor(private readonly periodMs: number) {}

  /**
   * @param nowMs - the clock
   * @returns spend in the current window
   */
  spent(nowMs: number): number {
    return nowMs - this.startMs >= this.periodMs ? 0 : this.spentUsd;
  }

  /**
   * Adds spend, starting a new window when the old one is over.
   * @param nowMs - the clock
   * @param usd - the cost
   */
  spend(nowMs: number, usd: number): void {
    if (nowMs - this.startMs >= this.periodMs) {
      this.startMs = nowMs;
      this.spentUsd = usd;
    } else this.spentUsd += usd;
  }
}

/** The status LiteLLM sees: a dropped connection is an `APIConnectionError` (status 500). */
function litellmStatus(f: Failure): number | undefined {
  return f.kind === 'connection-reset' ? 500 : f.status;
}

/** `litellm._should_retry`: 408, 409, 429 and 5xx are worth retrying. */
function shouldRetryStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** A refused prompt (not an unsupported request): a `ContentPolicyViolationError`. */
function isContentPolicy(f: Failure): boolean {
  return f.kind === 'filtered' && !isUnsupported(f.kind, f.code);
}

/** The Router's own errors raised before any provider call. */
const NO_DEPLOYMENT: Failure = { kind: 'rate-limited', status: undefined, retryAfterMs: undefined, code: 'no_deployments_available' };
const V2_RPM_LIMITED: Failure = { kind: 'rate-limited', status: 429, retryAfterMs: V2_RETRY_AFTER_MS, code: 'deployment_rpm_limit' };

/** What a request's loop remembers across its frames. */
interface LoopState {
  /** A retry or a fallback happened: the request ran out of them rather than failing at once. */
  retriedOrFellBack: boolean;
}

/** Where a request's attempt in flight went. */
interface InFlight {
  readonly dep: LitellmDeployment;
  readonly group: string;
}

/** The emulated Router: one per strategy run, its state shared by every request as in a proxy. */
class LitellmRouter {
  private readonly cooldownUntil: Float64Array;
  private readonly successes: TtlCounter[];
  private readonly fails: TtlCounter[];
  private readonly failedCalls: TtlCounter[];
  private readonly v2Minute: Float64Array;
  private readonly v2Count: Float64Array;
  private readonly leastBusy = new Map<string, TtlMap<number>>();
  private readonly usageV1 = new Map<string, { minute: number; tpm: Map<number, number>; rpm: Map<number, number> }>();
  private readonly latency = new Map<string, TtlMap<{ list: number[]; minute: number; rpm: number }>>();
  private readonly cost = new Map<string, TtlMap<{ minute: number; rpm: number }>>();
  private readonly providerSpend = new Map<string, SpendWindow>();
  private readonly deploymentSpend: (SpendWindow | undefined)[];
  private readonly inFlight = new Map<number, InFlight>();
  /** Whether `allowed_fails`/`allowed_fails_policy` replace the failure-rate rule (`_is_allowed_fails_set_on_router`). */
  private readonly allowedFailsMode: boolean;
  private views: Map<string, ProviderView> | undefined;

  constructor(
    readonly config: LitellmConfig,
    private readonly strategyTier: string | undefined,
  ) {
    const n = config.deployments.length;
    this.cooldownUntil = new Float64Array(n).fill(-Infinity);
    this.successes = config.deployments.map(() => new TtlCounter());
    this.fails = config.deployments.map(() => new TtlCounter());
    this.failedCalls = config.deployments.map(() => new TtlCounter());
    this.v2Minute = new Float64Array(n).fill(-1);
    this.v2Count = new Float64Array(n);
    this.deploymentSpend = config.deployments.map((d) => (d.budget === undefined ? undefined : new SpendWindow(d.budget.periodMs)));
    for (const [name, b] of config.providerBudgets) this.providerSpend.set(name, new SpendWindow(b.periodMs));
    this.allowedFailsMode =
      config.allowedFailsPolicy !== undefined || (config.allowedFails !== undefined && config.allowedFails !== LITELLM_DEFAULT_ALLOWED_FAILS);
  }

  /** Deployments of a requested group (aliases resolved); empty for an unknown group. */
  deploymentsOf(group: string): readonly LitellmDeployment[] {
    const c = this.config;
    return c.groups.get(group) ?? c.groups.get(c.aliases.get(group) ?? '') ?? [];
  }

  // --- health: cooldowns ---------------------------------------------------------------------

  private cooling(d: LitellmDeployment, nowMs: number): boolean {
    return nowMs <= this.cooldownUntil[d.index]!;
  }

  /** Deployments of the group not cooling down (`_async_get_healthy_deployments`). */
  healthyCount(group: string, nowMs: number): number {
    let n = 0;
    for (const d of this.deploymentsOf(group)) if (!this.cooling(d, nowMs)) n++;
    return n;
  }

  /**
   * `deployment_callback_on_failure` → `_set_cooldown_deployments`: counts the failure and cools
   * the deployment down when the rules say so.
   */
  private onFailure(d: LitellmDeployment, kind: AttemptOutcome['kind'], nowMs: number): void {
    this.fails[d.index]!.add(nowMs, 1, MINUTE_MS);
    const c = this.config;
    if (c.disableCooldowns) return;
    // A deployment's own cooldown_time of 0 turns cooldowns off for it.
    const timeToCooldown = d.cooldownMs ?? c.cooldownMs;
    if (timeToCooldown <= 0) return;
    // `_is_cooldown_required`: not for connection errors, nor 4xx other than 401/404/408/429.
    if (kind === 'connection-reset') return;
    const status = statusOf(kind)!;
    if (status >= 400 && status < 500 && status !== 429 && status !== 401 && status !== 408 && status !== 404) return;
    if (!this.shouldCooldown(d, kind, status, nowMs)) return;
    // Re-adding a deployment that is cooling down keeps the TTL of the first add.
    if (!this.cooling(d, nowMs)) this.cooldownUntil[d.index] = nowMs + timeToCooldown;
  }

  /** `_should_cooldown_deployment`. */
  private shouldCooldown(d: LitellmDeployment, kind: AttemptOutcome['kind'], status: number, nowMs: number): boolean {
    const single = this.deploymentsOf(d.group).length === 1;
    if (!this.allowedFailsMode) {
      const successes = this.successes[d.index]!.get(nowMs);
      const fails = this.fails[d.index]!.get(nowMs);
      const total = successes + fails;
      const percent = total > 0 ? fails / total : 0;
      if (status === 429 && !single) return true;
      if (percent === 1 && total >= SINGLE_DEPLOYMENT_TRAFFIC) return true;
      if (percent > FAILURE_THRESHOLD && total >= FAILURE_MINIMUM_REQUESTS && !single) return true;
      return !shouldRetryStatus(status);
    }
    // should_cooldown_based_on_allowed_fails_policy: `policy value or allowed_fails` (so a policy 0 falls through).
    const allowed = this.policyAllowedFails(kind, status) || this.config.allowedFails;
    if (allowed === undefined) return false; // LiteLLM compares with None and raises inside its failure callback: no cooldown
    const counter = this.failedCalls[d.index]!;
    if (counter.get(nowMs) + 1 > allowed) return true;
    counter.add(nowMs, 1, this.config.cooldownMs);
    return false;
  }

  /** `get_allowed_fails_from_policy` for a failure. */
  private policyAllowedFails(kind: AttemptOutcome['kind'], status: number): number | undefined {
    const p = this.config.allowedFailsPolicy;
    if (p === undefined) return undefined;
    if (status === 408) return p.TimeoutErrorAllowedFails;
    if (status === 429) return p.RateLimitErrorAllowedFails;
    if (kind === 'server-error' || kind === 'generative') return p.InternalServerErrorAllowedFails;
    return undefined;
  }

  // --- bookkeeping of finished attempts ------------------------------------------------------

  /**
   * Every finished attempt: success and failure callbacks of the Router and of its strategy.
   * @param o - the outcome
   * @param nowMs - the clock
   */
  observe(o: AttemptOutcome, nowMs: number): void {
    const cur = this.inFlight.get(o.requestId);
    if (cur === undefined) return;
    this.inFlight.delete(o.requestId);
    const d = cur.dep;
    const strategy = this.config.routingStrategy;
    if (strategy === 'least-busy') {
      // The in-flight dict is cached without a TTL of its own (600 s): it may have been reset
      // since the request started, and then the count goes below 0, as in LiteLLM.
      const dict = this.leastBusyMap(cur.group).write(nowMs, DEFAULT_CACHE_TTL_MS);
      dict.set(d.index, (dict.get(d.index) ?? 0) - 1);
    }
    if (o.kind === 'success') {
      this.successes[d.index]!.add(nowMs, 1, MINUTE_MS);
      const minute = Math.floor(nowMs / MINUTE_MS);
      if (strategy === 'usage-based-routing') {
        const u = this.usageV1For(cur.group, minute);
        // Image responses carry no token usage: TPM grows by 0, RPM by 1.
        u.tpm.set(d.index, u.tpm.get(d.index) ?? 0);
        u.rpm.set(d.index, (u.rpm.get(d.index) ?? 0) + 1);
      } else if (strategy === 'latency-based-routing') {
        // An image response is not a ModelResponse, so LiteLLM stores its latency as a timedelta,
        // which the average skips (it sums floats only): it counts as an entry worth 0.
        this.recordLatency(cur.group, d.index, 0, nowMs, true);
      } else if (strategy === 'cost-based-routing') {
        const entry = this.entry(this.costMap(cur.group).write(nowMs, DEFAULT_CACHE_TTL_MS), d.index, () => ({ minute, rpm: 0 }));
        if (entry.minute !== minute) {
          entry.minute = minute;
          entry.rpm = 0;
        }
        entry.rpm++;
      }
      if (o.costUsd > 0) {
        if (d.llmProvider !== undefined) this.providerSpend.get(d.llmProvider)?.spend(nowMs, o.costUsd);
        this.deploymentSpend[d.index]?.spend(nowMs, o.costUsd);
      }
      return;
    }
    if (strategy === 'latency-based-routing' && o.kind === 'timeout') this.recordLatency(cur.group, d.index, TIMEOUT_PENALTY_S, nowMs, false);
    this.onFailure(d, o.kind, nowMs);
  }

  /** lowest_latency.py's write: append (the list keeps its first size−1 entries once full), count the minute's RPM on success. */
  private recordLatency(group: string, dep: number, value: number, nowMs: number, success: boolean): void {
    const minute = Math.floor(nowMs / MINUTE_MS);
    const entry = this.entry(this.latencyMap(group).write(nowMs, this.config.latencyTtlMs), dep, () => ({ list: [], minute, rpm: 0 }));
    const max = this.config.maxLatencyListSize;
    if (entry.list.length < max) entry.list.push(value);
    else {
      entry.list.length = max - 1;
      entry.list.push(value);
    }
    if (success) {
      if (entry.minute !== minute) {
        entry.minute = minute;
        entry.rpm = 0;
      }
      entry.rpm++;
    }
  }

  private entry<V>(map: Map<number, V>, key: number, make: () => V): V {
    let v = map.get(key);
    if (v === undefined) {
      v = make();
      map.set(key, v);
    }
    return v;
  }

  private leastBusyMap(group: string): TtlMap<number> {
    let m = this.leastBusy.get(group);
    if (m === undefined) this.leastBusy.set(group, (m = new TtlMap()));
    return m;
  }

  private latencyMap(group: string): TtlMap<{ list: number[]; minute: number; rpm: number }> {
    let m = this.latency.get(group);
    if (m === undefined) this.latency.set(group, (m = new TtlMap()));
    return m;
  }

  private costMap(group: string): TtlMap<{ minute: number; rpm: number }> {
    let m = this.cost.get(group);
    if (m === undefined) this.cost.set(group, (m = new TtlMap()));
    return m;
  }

  private usageV1For(group: string, minute: number): { minute: number; tpm: Map<number, number>; rpm: Map<number, number> } {
    let u = this.usageV1.get(group);
    if (u?.minute !== minute) this.usageV1.set(group, (u = { minute, tpm: new Map(), rpm: new Map() }));
    return u;
  }

  // --- picking a deployment ------------------------------------------------------------------

  /**
   * `get_available_deployment`: healthy deployments of the group (not cooling down), filtered by
   * budgets, then the routing strategy's pick.
   * @returns the deployment, or a Router error raised before any provider call
   */
  pick(group: string, nowMs: number, ctx: RoutingContext): LitellmDeployment | Failure {
    const list = this.deploymentsOf(group).filter((d) => !this.cooling(d, nowMs) && this.withinBudget(d, nowMs));
    if (list.length === 0) return NO_DEPLOYMENT;
    const minute = Math.floor(nowMs / MINUTE_MS);
    switch (this.config.routingStrategy) {
      case 'simple-shuffle':
        return simpleShuffle(list, ctx) ?? NO_DEPLOYMENT;
      case 'least-busy':
        return this.pickLeastBusy(group, list, nowMs, ctx);
      case 'usage-based-routing-v2': {
        // TPM stays 0 for image responses and the rpm filter of the selection never matches
        // (its keys are "id:rpm:minute", the lookup uses "id"), so every healthy deployment is
        // a candidate; the rpm pre-call check then refuses one over its limit with a 429.
        const d = list[Math.floor(ctx.rng.next() * list.length)]!;
        const i = d.index;
        if (this.v2Minute[i] !== minute) {
          this.v2Minute[i] = minute;
          this.v2Count[i] = 0;
        }
        if (this.v2Count[i]! >= d.usageRpm) return V2_RPM_LIMITED;
        this.v2Count[i]!++;
        return d;
      }
      case 'usage-based-routing':
        return this.pickUsageV1(group, list, minute);
      case 'latency-based-routing':
        return this.pickLatency(group, list, nowMs, ctx);
      case 'cost-based-routing':
        return this.pickCost(group, list, nowMs);
    }
  }

  private withinBudget(d: LitellmDeployment, nowMs: number): boolean {
    if (d.llmProvider !== undefined) {
      const limit = this.config.providerBudgets.get(d.llmProvider);
      if (limit !== undefined && limit.limitUsd > 0 && this.providerSpend.get(d.llmProvider)!.spent(nowMs) >= limit.limitUsd) return false;
    }
    const own = this.deploymentSpend[d.index];
    return own === undefined || !(d.budget!.limitUsd > 0) || own.spent(nowMs) < d.budget!.limitUsd;
  }

  /** least_busy.py: the smallest in-flight count over the cached dict; a winner that is not healthy gives a random healthy one. */
  private pickLeastBusy(group: string, list: readonly LitellmDeployment[], nowMs: number, ctx: RoutingContext): LitellmDeployment {
    // The healthy deployments missing from the cached dict are added to it (LiteLLM mutates the
    // cached object); a dict never written is a fresh `{}` each time.
    const dict = this.leastBusyMap(group).get(nowMs) ?? new Map<number, number>();
    for (const d of list) if (!dict.has(d.index)) dict.set(d.index, 0);
    let min = Infinity;
    let winner = -1;
    for (const [index, count] of dict) {
      if (count < min) {
        min = count;
        winner = index;
      }
    }
    const found = list.find((d) => d.index === winner);
    return found ?? list[Math.floor(ctx.rng.next() * list.length)]!;
  }

  /** lowest_tpm_rpm.py: the first deployment (dict order) with the lowest TPM this minute whose RPM + 1 stays below its rpm. */
  private pickUsageV1(group: string, list: readonly LitellmDeployment[], minute: number): LitellmDeployment | Failure {
    const u = this.usageV1.get(group);
    // The healthy deployments missing from this minute's cached TPM dict are added to it with 0.
    const tpmDict = u?.minute === minute ? u.tpm : new Map<number, number>();
    for (const d of list) if (!tpmDict.has(d.index)) tpmDict.set(d.index, 0);
    let best: LitellmDeployment | undefined;
    let lowest = Infinity;
    for (const index of tpmDict.keys()) {
      const d = list.find((x) => x.index === index);
      if (d === undefined) continue;
      const tpm = u?.minute === minute ? (u.tpm.get(index) ?? 0) : 0;
      if (tpm > d.usageTpm) continue;
      const rpm = u?.minute === minute ? u.rpm.get(index) : undefined;
      if (rpm !== undefined && rpm + 1 >= d.usageRpm) continue;
      if (tpm < lowest) {
        lowest = tpm;
        best = d;
      }
    }
    return best ?? NO_DEPLOYMENT;
  }

  /** lowest_latency.py: average of the floats in each latency list over its length; a random one within the buffer of the lowest. */
  private pickLatency(group: string, list: readonly LitellmDeployment[], nowMs: number, ctx: RoutingContext): LitellmDeployment | Failure {
    const map = this.latencyMap(group).get(nowMs);
    const minute = Math.floor(nowMs / MINUTE_MS);
    const scored: { d: LitellmDeployment; avg: number }[] = [];
    for (const d of list) {
      let entry = map?.get(d.index);
      if (entry === undefined) {
        // Not yet used: `latency: [0]`, written into the cached dict when there is one.
        entry = { list: [0], minute, rpm: 0 };
        map?.set(d.index, entry);
      }
      const rpm = entry.minute === minute ? entry.rpm : 0;
      // `rpm or float("inf")`: an rpm of 0 means no limit here.
      if (rpm + 1 > (d.usageRpm || Infinity)) continue;
      let sum = 0;
      for (const v of entry.list) sum += v;
      scored.push({ d, avg: entry.list.length === 0 ? 0 : sum / entry.list.length });
    }
    if (scored.length === 0) return NO_DEPLOYMENT;
    let lowest = Infinity;
    for (const s of scored) lowest = Math.min(lowest, s.avg);
    const limit = lowest + this.config.lowestLatencyBuffer * lowest;
    const valid = scored.filter((s) => s.avg <= limit);
    return valid[Math.floor(ctx.rng.next() * valid.length)]!.d;
  }

  /** lowest_cost.py: the cheapest input + output cost per token (first in dict order on a tie) whose RPM + 1 stays within its rpm. */
  private pickCost(group: string, list: readonly LitellmDeployment[], nowMs: number): LitellmDeployment | Failure {
    const map = this.costMap(group).get(nowMs);
    const minute = Math.floor(nowMs / MINUTE_MS);
    const order: number[] = map === undefined ? [] : [...map.keys()];
    for (const d of list) {
      if (!order.includes(d.index)) order.push(d.index);
      if (map !== undefined && !map.has(d.index)) map.set(d.index, { minute, rpm: 0 });
    }
    let best: LitellmDeployment | undefined;
    for (const index of order) {
      const d = list.find((x) => x.index === index);
      if (d === undefined) continue;
      const entry = map?.get(index);
      const rpm = entry?.minute === minute ? entry.rpm : 0;
      if (rpm + 1 > (d.usageRpm || Infinity)) continue;
      if (best === undefined || d.costPerToken < best.costPerToken) best = d;
    }
    return best ?? NO_DEPLOYMENT;
  }

  // --- the request loop ----------------------------------------------------------------------

  /**
   * One call: pick a deployment and send the request there (or fail before any call).
   * @returns the failure (a success ends the request)
   */
  private *call(request: ImageRequest, group: string, ctx: RoutingContext): Generator<PlanStep, Failure, Failure | undefined> {
    const picked = this.pick(group, ctx.now, ctx);
    if (!('index' in picked)) return picked;
    const d = picked;
    this.inFlight.set(request.id, { dep: d, group });
    if (this.config.routingStrategy === 'least-busy') {
      const dict = this.leastBusyMap(group).write(ctx.now, DEFAULT_CACHE_TTL_MS);
      dict.set(d.index, (dict.get(d.index) ?? 0) + 1);
    }
    const view = this.view(d.provider, ctx);
    const timeoutMs = d.timeoutMs ?? this.config.timeoutMs;
    const failed = yield { provider: d.provider, tier: gatewayTier(view, request, this.strategyTier), ...(timeoutMs === undefined ? {} : { timeoutMs }) };
    const f = failed ?? NO_DEPLOYMENT;
    return { ...f, status: litellmStatus(f) };
  }

  /**
   * `async_function_with_retries`: the first call, then — if `should_retry_this_error` lets it —
   * `num_retries` more, each after `_time_to_sleep_before_retry`.
   * @returns the first call's failure (the exception LiteLLM raises)
   */
  private *withRetries(request: ImageRequest, group: string, ctx: RoutingContext, st: LoopState): Generator<PlanStep, Failure, Failure | undefined> {
    const original = yield* this.call(request, group, ctx);
    const all = this.deploymentsOf(group).length;
    const healthy = this.healthyCount(group, ctx.now);
    if (!this.shouldRetry(original, healthy)) return original;
    const n = this.numRetries(original, group);
    if (n <= 0) return original;
    st.retriedOrFellBack = true;
    let wait = this.sleepMs(original, n, n, healthy, all, ctx);
    if (wait > 0) yield { waitMs: wait };
    for (let attempt = 0; attempt < n; attempt++) {
      yield* this.call(request, group, ctx);
      // The wait after a failed retry reads the first failure's Retry-After, as LiteLLM passes `original_exception`.
      wait = this.sleepMs(original, n - attempt, n, this.healthyCount(group, ctx.now), all, ctx);
      if (wait > 0) yield { waitMs: wait };
    }
    return original;
  }

  /** `should_retry_this_error`. */
  private shouldRetry(f: Failure, healthy: number): boolean {
    if (isContentPolicy(f) && this.config.contentPolicyFallbacks !== undefined) return false;
    const status = f.status;
    if (status !== undefined && !shouldRetryStatus(status) && status !== 401) return false;
    if (status === 429 && healthy <= 0 && (this.config.fallbacks?.length ?? 0) > 0) return false;
    return healthy > 0;
  }

  /** `num_retries`, or the retry policy's count for this kind of error. */
  private numRetries(f: Failure, group: string): number {
    const policy: LitellmRetryPolicy | undefined = this.config.modelGroupRetryPolicy?.[group] ?? this.config.retryPolicy;
    if (policy !== undefined) {
      let n: number | undefined;
      if (f.status === 400) n = policy.BadRequestErrorRetries ?? (isContentPolicy(f) ? policy.ContentPolicyViolationErrorRetries : undefined);
      else if (f.status === 408) n = policy.TimeoutErrorRetries;
      else if (f.status === 429) n = policy.RateLimitErrorRetries;
      else if (f.kind === 'server-error' || f.kind === 'generative') n = policy.InternalServerErrorRetries;
      if (n !== undefined) return n;
    }
    return this.config.numRetries;
  }

  /**
   * `_time_to_sleep_before_retry`: no wait while other healthy deployments remain (unless the
   * group has one deployment); else the Retry-After (when 0 < it <= 60 s), else
   * min(0.5 s × 2^(retries done), 8 s) × (1 − 0.25 × random), at least `retry_after`.
   */
  private sleepMs(original: Failure, remaining: number, n: number, healthy: number, all: number, ctx: RoutingContext): number {
    if (all !== 1 && healthy > 0) return 0;
    const ra = original.retryAfterMs;
    if (ra !== undefined && ra > 0 && ra <= MAX_RETRY_AFTER_MS) return ra;
    const s = Math.min(INITIAL_RETRY_DELAY_S * Math.pow(2, n - remaining), MAX_RETRY_DELAY_S) * (1 - JITTER * ctx.rng.next());
    return Math.max(s * 1000, this.config.retryAfterMs);
  }

  /**
   * `async_function_with_fallbacks`: retries in the group, then its fallback groups in order
   * (content-policy fallbacks for a refused prompt when configured), each with its own retries
   * and fallbacks, up to `max_fallbacks` deep. A malformed request (400) is not retried.
   * @returns the error the request ends with (a success ends it before)
   */
  *withFallbacks(request: ImageRequest, group: string, depth: number, ctx: RoutingContext, st: LoopState): Generator<PlanStep, Failure, Failure | undefined> {
    const err = yield* this.withRetries(request, group, ctx, st);
    if (isUnsupported(err.kind, err.code)) return err;
    let list: readonly string[] | undefined;
    const c = this.config;
    if (isContentPolicy(err) && c.contentPolicyFallbacks !== undefined) list = fallbackGroups(c.contentPolicyFallbacks, group);
    else if (c.fallbacks !== undefined) list = fallbackGroups(c.fallbacks, group);
    if (list === undefined || depth >= c.maxFallbacks) return err;
    let last = err;
    for (const next of list) {
      if (next === group) continue;
      st.retriedOrFellBack = true;
      last = yield* this.withFallbacks(request, next, depth + 1, ctx, st);
    }
    return last;
  }

  private view(id: string, ctx: RoutingContext): ProviderView {
    if (this.views === undefined) this.views = new Map(ctx.providers.map((p) => [p.id, p]));
    return this.views.get(id)!;
  }

  /**
   * A deployment's state for `explain`: cooling down, over budget, or healthy, with its weight.
   * @param d - the deployment
   * @param nowMs - the clock
   * @returns a phrase
   */
  stateOf(d: LitellmDeployment, nowMs: number): string {
    const weight = d.weight !== undefined ? `, weight ${d.weight}` : d.rpm !== undefined ? `, rpm ${d.rpm}` : '';
    if (this.cooling(d, nowMs)) return `deployment ${d.id}: cooling down for ${msText(this.cooldownUntil[d.index]! - nowMs)}`;
    if (!this.withinBudget(d, nowMs)) return `deployment ${d.id}: over its budget${d.budget === undefined ? '' : ` (${usdText(d.budget.limitUsd)})`}`;
    return `deployment ${d.id}: healthy${weight}`;
  }

  /**
   * The fallback groups a request for the group would try after its retries.
   * @param group - the model group
   * @returns the groups, or an empty list
   */
  fallbacksOf(group: string): readonly string[] {
    return this.config.fallbacks === undefined ? [] : (fallbackGroups(this.config.fallbacks, group) ?? []);
  }
}

/** `get_fallback_model_group`: the group's own entry, else the generic `*` one. */
function fallbackGroups(entries: readonly FallbackEntry[], group: string): readonly string[] | undefined {
  let generic: readonly string[] | undefined;
  for (const e of entries) {
    if (e.from === group) return e.to;
    if (e.from === '*' && generic === undefined) generic = e.to;
  }
  return generic;
}

/**
 * simple_shuffle.py: weighted by `weight` when the first deployment has one (others without
 * count 0), else by `rpm`, else by `tpm` (the same first-deployment test), else uniform.
 * @returns the pick, or undefined when the weights sum to 0 (`random.choices` raises)
 */
function simpleShuffle(list: readonly LitellmDeployment[], ctx: RoutingContext): LitellmDeployment | undefined {
  const first = list[0]!;
  const by: ((d: LitellmDeployment) => number | undefined) | undefined =
    first.weight !== undefined ? (d) => d.weight : first.rpm !== undefined ? (d) => d.rpm : first.tpm !== undefined ? (d) => d.tpm : undefined;
  if (by !== undefined) {
    let total = 0;
    for (const d of list) total += by(d) ?? 0;
    if (!(total > 0)) return undefined;
    let u = ctx.rng.next() * total;
    for (const d of list) {
      const w = by(d) ?? 0;
      if (u < w) return d;
      u -= w;
    }
    return list[list.length - 1];
  }
  return list[Math.floor(ctx.rng.next() * list.length)]!;
}

/**
 * Builds `litellm`: reads the config (path relative to the scenario), maps each deployment to a
 * provider, and emulates the Router for each request's model group: `models` rules (first match)
 * or `model`, else the first group of `model_list`.
 * @param options - `config`, `model`, `models`, `tier`, `name`
 * @param env - the scenario
 * @returns the strategy
 * @throws ImgsimError for a config problem (`file:line:col key.path: message`) or an unknown model group
 */
export function litellmStrategy(options: LitellmOptions, env: StrategyEnv): Strategy {
  const config = loadLitellmConfig(env.scenario, options.config);
  const name = options.name ?? 'litellm';
  const router = new LitellmRouter(config, options.tier);
  const knownGroup = (g: string): boolean => router.deploymentsOf(g).length > 0;
  const defaultGroup = options.model ?? config.deployments[0]!.group;
  const asked = [defaultGroup, ...options.models.map((m) => m.model)];
  for (const g of asked) {
    if (!knownGroup(g)) {
      throw new ImgsimError('invalid-strategy', `strategy ${name}: model "${g}" is not a model group of ${config.file}; it has ${[...config.groups.keys()].join(', ')}`);
    }
  }
  const rules = options.models.map((m) => ({ test: whenMatcher(m.when), model: m.model }));
  const candidatesOf = new Map<string, Candidate[]>();
  const candidates = (group: string): Candidate[] => {
    let list = candidatesOf.get(group);
    if (list === undefined) {
      list = [...new Set(router.deploymentsOf(group).map((d) => d.provider))].map((provider) => ({ provider }));
      candidatesOf.set(group, list);
    }
    return list;
  };
  const groupOf = (request: ImageRequest): string => {
    for (const r of rules) if (r.test(request)) return r.model;
    return defaultGroup;
  };
  const route = (request: ImageRequest, ctx: RoutingContext): RouteDecision => {
    const group = groupOf(request);
    const st: LoopState = { retriedOrFellBack: false };
    function* loop(): GatewayLoop {
      yield* router.withFallbacks(request, group, 0, ctx, st);
      return { stop: st.retriedOrFellBack ? 'exhausted' : 'final' };
    }
    return { candidates: candidates(group), plan: planOf(loop()) };
  };
  return {
    name,
    route,
    explain(request: ImageRequest, ctx: RoutingContext): RouteExplanation {
      const decision = route(request, ctx);
      const group = groupOf(request);
      const deps = router.deploymentsOf(group);
      const healthy = router.healthyCount(group, ctx.now);
      const fallbacks = router.fallbacksOf(group);
      return {
        decision,
        summary:
          `model group ${group}: ${config.routingStrategy} picks one of ${healthy}/${deps.length} healthy deployments at each attempt, ` +
          `then up to ${config.numRetries} retries and fallbacks to ${fallbacks.length === 0 ? 'none' : fallbacks.join(', ')} (${config.file})`,
        candidates: ('candidates' in decision ? decision.candidates : []).map((c) => ({
          provider: c.provider,
          reason: deps
            .filter((d) => d.provider === c.provider)
            .map((d) => router.stateOf(d, ctx.now))
            .join('; '),
        })),
      };
    },
    observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
      router.observe(outcome, ctx.now);
    },
  };
}

/** The `litellm` built-in: its options schema, cross-checks (the config exists), config check and factory. */
export const litellmBuiltin: BuiltinDescriptor<typeof schema> = defineBuiltin(schema, {
  gatewayConfig: './litellm.yaml',
  check(spec, at, c) {
    configFileCheck(spec.config, at, c);
    spec.models.forEach((m, j) => {
      c.knownTier(m.when.tier, [...at, 'models', j, 'when', 'tier']);
    });
  },
  checkConfig(spec, scenario) {
    litellmStrategy(spec, { scenario, build: noNestedStrategies });
    return [];
  },
  factory: litellmStrategy,
});
