/**
 * A strategy file's code is the user's, not imgsim's: what it throws, or returns that is not a
 * decision, must be reported as the strategy's error — its name, its file and the place in the
 * file — not as an internal error of imgsim, and an impossible decision (an unknown provider or
 * tier, a string, an instant the simulator cannot reach) must stop the run rather than turn into
 * silent `no-candidate` failures. `guardStrategy` wraps a loaded file's strategy once, when the
 * registry builds it (`strategies/registry.ts`), so the simulator and the live harness both
 * get the same checks from the one function `checkDecision`; built-in strategies are not wrapped
 * (their decisions are checked by their tests, and the hot path stays as it is).
 *
 * Every call into the strategy's code is marked for the per-decision watchdog
 * (`decision-watchdog.ts`), which ends a call that does not return.
 */
import path from 'node:path';
import { ImgsimError } from '../scenario/errors.js';
import { armWatchdog, enterStrategy, leaveStrategy } from './decision-watchdog.js';
import type { ImageRequest } from '../model/request.js';
import type { AttemptOutcome, AttemptPlan, RouteDecision, RoutingContext, Strategy } from './strategy.js';

/**
 * The last instant a decision may name: the largest a JavaScript `Date` holds (8.64e15 ms, the
 * year 275760). Beyond it instants are no longer whole milliseconds and reports cannot print them.
 */
export const MAX_INSTANT_MS = 8.64e15;

/** Where a strategy's code lives, for messages. */
export interface StrategySource {
  /** The strategy's name. */
  readonly name: string;
  /** Its file, absolute. */
  readonly file: string;
}

/**
 * The strategy's file as a person reads it: relative to the working directory when inside it.
 * @param file - absolute path
 * @returns the path to print
 */
function shown(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * The error for a strategy's code: `strategy "name" (file): what`, code `invalid-strategy`.
 * @param src - the strategy and its file
 * @param what - what went wrong
 * @returns the error
 */
export function strategyError(src: StrategySource, what: string): ImgsimError {
  return new ImgsimError('invalid-strategy', `strategy "${src.name}" (${shown(src.file)}): ${what}`);
}

/**
 * The lines of an error's stack that point into the strategy's file (jiti runs a TypeScript file
 * under its own path), or all of the stack's frames when none do.
 * @param err - what the strategy threw
 * @param file - the strategy file, absolute
 * @returns the frames, one per line, indented
 */
function framesIn(err: unknown, file: string): string {
  if (!(err instanceof Error) || err.stack === undefined) return '';
  const frames = err.stack.split('\n').filter((l) => /^\s+at /.test(l));
  const own = frames.filter((l) => l.includes(file));
  return (own.length > 0 ? own : frames.slice(0, 5)).map((l) => `\n    ${l.trim()}`).join('');
}

/**
 * The error for a strategy function that threw: the strategy, its file, the function, what it
 * threw and the stack frames in the file. An `ImgsimError` (a nested built-in's) passes through.
 * @param src - the strategy and its file
 * @param fn - `route`, `observe`, `explain` or `plan.next`
 * @param err - what it threw
 * @returns the error to throw
 */
export function strategyThrew(src: StrategySource, fn: string, err: unknown): ImgsimError {
  if (err instanceof ImgsimError) return err;
  const what = err instanceof Error ? `${err.name}: ${err.message}` : `the non-error value ${describeValue(err)}`;
  return strategyError(src, `${fn} threw ${what}${framesIn(err, src.file)}`);
}

/**
 * Describes a value for a message: `undefined`, `null`, `a Promise`, `the string "x"`, `an object with keys a, b`.
 * @param v - any value
 * @returns a short description
 */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number') return `the number ${String(v)}`;
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    if (typeof (v as { then?: unknown }).then === 'function') return 'a Promise';
    const keys = Object.keys(v);
    return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 6).join(', ')}`;
  }
  return `a ${typeof v}`;
}

const DECISION_SHAPES = '{ candidates: [{ provider, tier? }, ...] }, { deferUntil: epochMs } or { reject: reason }';

/**
 * Checks what a strategy's `route` returned: a decision of one of the three shapes, naming only
 * providers and tiers of the scenario, with instants the simulator can reach. Shared by the
 * simulator and the live harness (every strategy file's `route` goes through it).
 * @param decision - what `route` returned
 * @param src - the strategy and its file, for messages
 * @param request - the request it was asked about
 * @param ctx - the routing context (its providers are the valid names)
 * @returns the decision, checked
 * @throws ImgsimError (`invalid-strategy`) naming the strategy, its file, the request and what is wrong
 */
export function checkDecision(decision: unknown, src: StrategySource, request: ImageRequest, ctx: RoutingContext): RouteDecision {
  const bad = (why: string): ImgsimError => strategyError(src, `route returned ${why} for request ${request.id}; expected ${DECISION_SHAPES}`);
  if (typeof decision !== 'object' || decision === null || Array.isArray(decision)) throw bad(describeValue(decision));
  if (typeof (decision as { then?: unknown }).then === 'function') {
    throw strategyError(src, `route returned a Promise for request ${request.id}; route must return its decision synchronously (an async route is not supported)`);
  }
  const d = decision as Record<string, unknown>;
  if ('candidates' in d) {
    const candidates = d.candidates;
    if (!Array.isArray(candidates)) throw bad(`candidates that are ${describeValue(candidates)}, not an array`);
    const plan = d.plan;
    if (plan !== undefined) {
      // The plan chooses every attempt (its steps are checked as they come); candidates are informational.
      if (typeof plan !== 'object' || plan === null || typeof (plan as { next?: unknown }).next !== 'function') throw bad(`a plan that is ${describeValue(plan)}, without a next(failed, ctx) function`);
      return { ...d, plan: guardPlan(plan as AttemptPlan, src) } as unknown as RouteDecision;
    }
    for (let i = 0; i < candidates.length; i++) {
      const c: unknown = candidates[i];
      if (typeof c !== 'object' || c === null) throw bad(`candidates[${i}] = ${describeValue(c)}, not { provider, tier? }`);
      const problem = unknownTarget(c, ctx);
      if (problem !== undefined) throw bad(`candidates[${i}].${problem}`);
    }
    const hedge = d.hedgeAfterMs;
    if (hedge !== undefined && !(typeof hedge === 'number' && hedge >= 0 && hedge <= MAX_INSTANT_MS)) throw bad(`hedgeAfterMs = ${describeValue(hedge)}, not a duration in ms`);
    return d as RouteDecision;
  }
  if ('deferUntil' in d) {
    const until = d.deferUntil;
    if (typeof until !== 'number' || !(until <= MAX_INSTANT_MS)) {
      throw bad(`deferUntil = ${describeValue(until)}, not an instant (epoch ms, finite, at most ${MAX_INSTANT_MS}, ${new Date(MAX_INSTANT_MS).toISOString()})`);
    }
    return d as RouteDecision;
  }
  if ('reject' in d) {
    if (typeof d.reject !== 'string') throw bad(`reject = ${describeValue(d.reject)}, not a string`);
    return d as RouteDecision;
  }
  throw bad(describeValue(decision));
}

/**
 * What is wrong with a candidate's or plan step's provider and tier, if anything.
 * @returns `provider = … which is not a provider …` or `tier = …`, or undefined when both are known
 */
function unknownTarget(c: { provider?: unknown; tier?: unknown }, ctx: RoutingContext): string | undefined {
  const { provider, tier } = c;
  const view = typeof provider === 'string' ? ctx.providers.find((p) => p.id === provider) : undefined;
  if (view === undefined) return `provider = ${describeValue(provider)}, which is not a provider of the scenario (${ctx.providers.map((p) => p.id).join(', ')})`;
  if (tier !== undefined && (typeof tier !== 'string' || !view.tiers.includes(tier))) return `tier = ${describeValue(tier)}, which is not a tier of ${view.id} (${view.tiers.join(', ')})`;
  return undefined;
}

/** A plan whose `next` reports its throws and its malformed steps as the strategy's. */
function guardPlan(plan: AttemptPlan, src: StrategySource): AttemptPlan {
  return {
    next(failed, ctx) {
      let step: unknown;
      enterStrategy(src, 'plan.next');
      try {
        step = plan.next(failed, ctx);
      } catch (err) {
        throw strategyThrew(src, 'plan.next', err);
      } finally {
        leaveStrategy();
      }
      const bad = (why: string): ImgsimError => strategyError(src, `plan.next returned ${why}; expected { provider, tier?, timeoutMs? }, { waitMs } or { stop: 'exhausted' | 'final' }`);
      if (typeof step !== 'object' || step === null) throw bad(describeValue(step));
      const st = step as Record<string, unknown>;
      if ('provider' in st) {
        const problem = unknownTarget(st, ctx);
        if (problem !== undefined) throw bad(`a step whose ${problem}`);
        if (st.timeoutMs !== undefined && !(typeof st.timeoutMs === 'number' && st.timeoutMs >= 0 && st.timeoutMs <= MAX_INSTANT_MS)) throw bad(`timeoutMs = ${describeValue(st.timeoutMs)}`);
      } else if ('waitMs' in st) {
        if (!(typeof st.waitMs === 'number' && st.waitMs <= MAX_INSTANT_MS)) throw bad(`waitMs = ${describeValue(st.waitMs)}`);
      } else if (st.stop !== 'exhausted' && st.stop !== 'final') {
        throw bad(describeValue(step));
      }
      return step as ReturnType<AttemptPlan['next']>;
    },
  };
}

/**
 * Wraps a strategy file's strategy so that its errors are reported as its own (see the module
 * comment): what `route`, `observe` or `explain` throws, and every decision `route` returns, go
 * through {@link strategyThrew} and {@link checkDecision}.
 * @param file - the strategy file, absolute
 * @param strategy - the strategy its factory made (already checked for shape)
 * @param name - the name it runs under (the scenario's for it; default its own)
 * @returns the guarded strategy, named `name`; it calls the strategy's methods on the strategy
 */
export function guardStrategy(file: string, strategy: Strategy, name = strategy.name): Strategy {
  const src: StrategySource = { name, file };
  armWatchdog();
  const guarded: Strategy = {
    name,
    route(request: ImageRequest, ctx: RoutingContext): RouteDecision {
      let decision: unknown;
      enterStrategy(src, 'route');
      try {
        decision = strategy.route(request, ctx);
      } catch (err) {
        throw strategyThrew(src, 'route', err);
      } finally {
        leaveStrategy();
      }
      return checkDecision(decision, src, request, ctx);
    },
    ...(strategy.observe === undefined
      ? {}
      : {
          observe(outcome: AttemptOutcome, ctx: RoutingContext): void {
            enterStrategy(src, 'observe');
            try {
              strategy.observe?.(outcome, ctx);
            } catch (err) {
              throw strategyThrew(src, 'observe', err);
            } finally {
              leaveStrategy();
            }
          },
        }),
    ...(strategy.explain === undefined
      ? {}
      : {
          explain(request: ImageRequest, ctx: RoutingContext) {
            enterStrategy(src, 'explain');
            try {
              return strategy.explain!(request, ctx);
            } catch (err) {
              throw strategyThrew(src, 'explain', err);
            } finally {
              leaveStrategy();
            }
          },
        }),
  };
  return guarded;
}
