/**
 * Drives a gateway strategy's plan by hand: a fake context (../_context.ts), config files in a
 * temporary folder, and requests answered attempt by attempt with the outcome a test chooses,
 * the clock moving by each attempt's latency and each wait.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImageRequest } from '../../src/model/request.js';
import { buildStrategy } from '../../src/routing/strategies/registry.js';
import type { AttemptOutcome, AttemptPlan, PlanStep, Strategy } from '../../src/routing/strategy.js';
import type { OutcomeKind, StrategyRef } from '../../src/scenario/schema.js';
import { makeContext, makeRequest, type FakeContext, type FakeProviderInit } from './_context.js';

const DIR = mkdtempSync(path.join(tmpdir(), 'imgsim-gateway-'));
let files = 0;

/**
 * Writes a gateway config to a fresh file.
 * @param text - YAML or JSON
 * @param ext - file extension
 * @returns its absolute path
 */
export function writeConfig(text: string, ext = 'yaml'): string {
  const file = path.join(DIR, `config-${files++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/**
 * A fake context and a gateway strategy built in it.
 * @param ref - the strategy reference (its `config` an absolute path)
 * @param providers - the fake providers (default a, b, c)
 * @param seed - the context's stream seed
 * @returns the context and the strategy
 */
export function gateway(ref: StrategyRef, providers: FakeProviderInit[] = [{ id: 'a' }, { id: 'b' }, { id: 'c' }], seed = 42): { ctx: FakeContext; s: Strategy } {
  const ctx = makeContext({ providers, seed });
  const s = buildStrategy(ref, { scenario: ctx.scenario, files: new Map() });
  return { ctx, s };
}

/** How a test answers one attempt. */
export interface Answer {
  readonly kind: OutcomeKind;
  readonly retryAfterMs?: number;
  readonly code?: string;
  /** Send to answer, ms (default 1000). */
  readonly latencyMs?: number;
  /** Billed, USD (default 0.04 for a success, else 0). */
  readonly costUsd?: number;
}

/** A request's course: its plan's steps in order and how it ended. */
export interface Course {
  readonly steps: PlanStep[];
  /** Providers of the send steps, in order. */
  readonly sends: string[];
  /** The waits, ms. */
  readonly waits: number[];
  /** `success`, or the plan's stop. */
  readonly end: 'success' | 'exhausted' | 'final';
}

/** A request started and not yet answered. */
export interface Started {
  readonly request: ImageRequest;
  readonly plan: AttemptPlan;
  readonly step: PlanStep;
  readonly sentMs: number;
}

/**
 * Routes a request and takes the plan's first step (without answering it).
 * @param s - the strategy
 * @param ctx - the context
 * @param request - the request (default: a fresh one)
 * @returns the request, its plan and the first step
 */
export function start(s: Strategy, ctx: FakeContext, request: ImageRequest = makeRequest({ arrivalMs: ctx.now })): Started {
  const d = s.route(request, ctx);
  if (!('candidates' in d) || d.plan === undefined) throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  return { request, plan: d.plan, step: d.plan.next(undefined, ctx), sentMs: ctx.now };
}

/**
 * Answers a started request's attempt now (the clock is not moved) and tells the strategy.
 * @param s - the strategy
 * @param ctx - the context
 * @param started - from `start`
 * @param answer - the outcome
 * @returns the outcome passed to `observe`
 */
export function answer(s: Strategy, ctx: FakeContext, started: { request: ImageRequest; step: PlanStep; sentMs: number }, answer: Answer, attempt = 1): AttemptOutcome {
  const step = started.step;
  if (!('provider' in step)) throw new Error(`expected a send step, got ${JSON.stringify(step)}`);
  const o: AttemptOutcome = {
    requestId: started.request.id,
    provider: step.provider,
    tier: step.tier ?? 'standard',
    attempt,
    kind: answer.kind,
    sentMs: started.sentMs,
    endedMs: ctx.now,
    latencyMs: ctx.now - started.sentMs,
    costUsd: answer.costUsd ?? (answer.kind === 'success' ? 0.04 : 0),
    ...(answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }),
    ...(answer.code === undefined ? {} : { code: answer.code }),
    hedge: false,
  };
  s.observe?.(o, ctx);
  return o;
}

/**
 * Runs one request to its end: every attempt answered by `reply` (given the provider and the
 * attempt number), the clock moved by latencies and waits.
 * @param s - the strategy
 * @param ctx - the context
 * @param reply - the answer for each attempt
 * @param request - the request (default: a fresh one)
 * @returns its course
 */
export function drive(s: Strategy, ctx: FakeContext, reply: (provider: string, attempt: number) => Answer, request: ImageRequest = makeRequest({ arrivalMs: ctx.now })): Course {
  const d = s.route(request, ctx);
  if (!('candidates' in d) || d.plan === undefined) throw new Error(`expected a plan, got ${JSON.stringify(d)}`);
  const steps: PlanStep[] = [];
  const sends: string[] = [];
  const waits: number[] = [];
  let failed: AttemptOutcome | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const step = d.plan.next(failed, ctx);
    failed = undefined;
    steps.push(step);
    if ('waitMs' in step) {
      waits.push(step.waitMs);
      ctx.now += step.waitMs;
      continue;
    }
    if ('stop' in step) return { steps, sends, waits, end: step.stop };
    sends.push(step.provider);
    const a = reply(step.provider, sends.length);
    const sentMs = ctx.now;
    ctx.now += a.latencyMs ?? 1000;
    const o = answer(s, ctx, { request, step, sentMs }, a, sends.length);
    if (a.kind === 'success') return { steps, sends, waits, end: 'success' };
    failed = o;
  }
  throw new Error('the plan did not end');
}

/** Always the same answer. */
export const always =
  (kind: OutcomeKind, extra: Omit<Answer, 'kind'> = {}): ((provider: string) => Answer) =>
  () => ({ kind, ...extra });

/**
 * Answers by provider: `{ a: 'server-error' }`; providers not listed succeed.
 * @param kinds - outcome per provider
 * @returns the reply function
 */
export function byProvider(kinds: Record<string, OutcomeKind | Answer>): (provider: string) => Answer {
  return (provider) => {
    const k = kinds[provider];
    if (k === undefined) return { kind: 'success' };
    return typeof k === 'string' ? { kind: k } : k;
  };
}
