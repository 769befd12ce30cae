/**
 * The strategies a run uses: selecting them by name and loading the files they name. Shared by
 * the simulator and the live harness.
 */
import path from 'node:path';
import { loadStrategyFile } from './load-strategy-file.js';
import { builtinNamed, walkStrategyRef } from './strategies/builtins.js';
import type { RoutingContext, StrategyFactory } from './strategy.js';
import { BudgetTracker } from './budget.js';
import { policyStreams } from './policy.js';
import type { Clock, ProviderHandle } from './provider-view.js';
import type { FeeSchedule } from '../model/pricing/fees.js';
import { rngFor, type DrawSource, type Rng } from '../model/random.js';
import { strategyDisplayName } from '../scenario/check.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { OutcomeKind, StrategyRef } from '../scenario/schema.js';

/**
 * Loads the strategy files a scenario names, nested ones included.
 * @param scenario - the resolved scenario
 * @returns factories keyed by the path as the scenario writes it
 */
export async function loadScenarioStrategyFiles(scenario: ResolvedScenario): Promise<Map<string, StrategyFactory>> {
  const paths: string[] = [];
  forEachStrategyRef(scenario, (ref) => {
    if (typeof ref !== 'string' && 'file' in ref && !paths.includes(ref.file)) paths.push(ref.file);
  });
  const files = new Map<string, StrategyFactory>();
  for (const file of paths) files.set(file, await loadStrategyFile(path.resolve(scenario.dir, file)));
  return files;
}

/**
 * Runs the deep checks of the built-ins a scenario uses, nested ones included (today: reading
 * and checking the `litellm` and `portkey` gateway configs), so `imgsim validate` reports their
 * problems before a run.
 * @param scenario - the resolved scenario
 * @returns warnings: hosted-only features and targets unreachable at serve of its Portkey configs (`file:line:col key.path: message`)
 * @throws ImgsimError for the first config with a problem (`file:line:col key.path: message`)
 */
export function checkGatewayConfigs(scenario: ResolvedScenario): string[] {
  const warnings: string[] = [];
  forEachStrategyRef(scenario, (ref) => {
    if (typeof ref === 'string' || 'file' in ref) return;
    for (const w of builtinNamed(ref.use)?.checkConfig?.(ref, scenario) ?? []) if (!warnings.includes(w)) warnings.push(w);
  });
  return warnings;
}

/**
 * Visits every strategy reference of a scenario, nested ones included, depth first.
 * @param scenario - the resolved scenario
 * @param visit - called with each reference
 */
function forEachStrategyRef(scenario: ResolvedScenario, visit: (ref: StrategyRef) => void): void {
  scenario.strategies.forEach((ref, i) => {
    walkStrategyRef(ref, ['strategies', i], visit);
  });
}

/**
 * The strategies to run: all of the scenario's, or those named (a built-in not listed in the
 * scenario may be named too).
 * @param scenario - the resolved scenario
 * @param names - display names, or undefined/empty for all
 * @returns the references, in the order asked
 * @throws ImgsimError `invalid-argument` for a name the scenario does not have
 */
export function selectStrategyRefs(scenario: ResolvedScenario, names: readonly string[] | undefined): StrategyRef[] {
  if (names === undefined || names.length === 0) return [...scenario.strategies];
  const byName = new Map(scenario.strategies.map((ref) => [strategyDisplayName(ref), ref] as const));
  return names.map((name) => {
    const ref = byName.get(name);
    if (ref !== undefined) return ref;
    if (/^[a-z-]+$/.test(name)) return name;
    throw new ImgsimError('invalid-argument', `no strategy "${name}" in the scenario; it has ${[...byName.keys()].join(', ')}`);
  });
}

/**
 * The fees of a gateway in front of the providers, from a strategy entry's `fees`
 * (docs/gateways.md#fees); nested strategies carry none.
 * @param ref - a top-level strategy reference
 * @returns its fees, or undefined when it has none (reports then have no `cost.fees`)
 */
export function strategyFees(ref: StrategyRef): FeeSchedule | undefined {
  return typeof ref === 'string' ? undefined : ref.fees;
}

/**
 * A routing context over provider handles, whose clock the harness moves.
 * @param handles - the provider views, in scenario order
 * @param clock - the harness clock (`now`, simulated epoch ms)
 * @param budget - the run's budget tracker
 * @param scenario - the scenario (SLO, policy, window, seed)
 * @param strategyName - for the strategy's own seeded stream `strategy/<name>`
 * @param drains - the run goes on past the window until every request has ended (simulated time)
 * @returns the context
 */
export function routingContext(
  handles: readonly ProviderHandle[],
  clock: Clock,
  budget: BudgetTracker,
  scenario: ResolvedScenario,
  strategyName: string,
  drains: boolean,
): RoutingContext {
  const index = new Map(handles.map((h, i) => [h.id, i] as const));
  return {
    get now() {
      return clock.now;
    },
    providers: handles,
    provider: (id: string) => {
      const i = index.get(id);
      return i === undefined ? undefined : handles[i];
    },
    budget,
    slo: scenario.slo,
    policy: scenario.policy,
    startMs: scenario.startMs,
    endMs: scenario.endMs,
    drains,
    rng: rngFor(scenario.seed, `strategy/${strategyName}`),
  };
}

/** What a harness needs to route and retry one strategy's requests. */
export interface RunRouting {
  readonly budget: BudgetTracker;
  readonly ctx: RoutingContext;
  /** Outcome kinds the policy retries (`policy.retryOn`). */
  readonly retryOn: ReadonlySet<OutcomeKind>;
  /** Backoff jitter keyed by (request, attempt): common random numbers across strategies. */
  readonly backoffDraws: DrawSource;
  /** Handed to the policy for first attempts, which never wait and so never draw. */
  readonly firstAttemptRng: Rng;
}

/**
 * The routing state of one strategy's run, built the same way by the simulator and the live
 * harness so that they budget, retry and draw alike.
 * @param handles - the provider views, in scenario order
 * @param clock - the harness clock
 * @param scenario - the scenario
 * @param strategyName - the strategy's name (its seeded stream)
 * @param drains - the run goes on past the window until every request has ended
 * @returns budget tracker, routing context, retry set and policy streams
 */
export function runRouting(handles: readonly ProviderHandle[], clock: Clock, scenario: ResolvedScenario, strategyName: string, drains: boolean): RunRouting {
  const budget = new BudgetTracker(scenario.budget, scenario.startMs);
  const streams = policyStreams(scenario.seed);
  return {
    budget,
    ctx: routingContext(handles, clock, budget, scenario, strategyName, drains),
    retryOn: new Set(scenario.policy.retryOn),
    backoffDraws: streams.backoff,
    firstAttemptRng: streams.firstAttempt,
  };
}
