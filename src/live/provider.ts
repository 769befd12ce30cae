/**
 * One provider answering real requests: the provider model's rules (src/model/rules/) driven by
 * a scaled wall clock, as the simulator drives them by simulated time. `admissionGate`
 * (a(t) = 0 → `overloaded`; no rate-limit token → `rate-limited` with Retry-After; quota spent
 * → `rate-limited` `insufficient_quota`); then the attempt draw (`AttemptDraws`) picks the
 * outcome and the time; fast failures (`answersWithoutSlot`: `server-error`, `filtered`,
 * `malformed`) answer after the error latency without a slot; the rest are placed
 * (`placement`): a slot (⌊concurrency × a(t)⌋), the FIFO queue, or `overloaded` when it is full;
 * at a provider with reserved capacity `reservedDecision` first: a free reserved slot at its
 * marginal price, else that placement at on-demand prices, else (`overflow: none`) `overloaded`.
 * Service is a `setTimeout` of the simulated service time × time scale. The price is fixed when
 * the request arrives and billed when the provider answers, per `billable`/`billableAbandoned`.
 * The account (token bucket, quota, credits) is the model's `Account`, as in the simulator.
 *
 * Live-only, from the wall clock: a service time is capped at `MAX_DURATION_MS` (ten years; the
 * simulator has no cap and refuses instants past its last); a queue stalled at a(t) = 0 is
 * looked at again every simulated minute only while nothing runs.
 *
 * Why over 500 lines: one class, `LiveProvider`, owns a request's whole wall-clock life (admission,
 * queue, timers, aborts, shutdown) over private `Job` records; its rules are already outside
 * (src/model/rules/). Splitting the timer and abort handling from the queue would expose `Job`'s
 * mutable state across files for no reader's gain; half the lines are the exported types' docs.
 */
import type { AvailabilityCurve } from '../model/availability.js';
import type { Account } from '../model/account.js';
import type { LiveFailureKind } from '../model/failures.js';
import { compilePricing, creditsFor, price, type CompiledPricing } from '../model/pricing/quote.js';
import type { QuoteRequest } from '../model/pricing/types.js';
import { admissionGate, answersWithoutSlot, placement } from '../model/rules/admission.js';
import { billable, billableAbandoned } from '../model/rules/billing.js';
import { reservedDecision } from '../model/rules/reserved.js';
import { AttemptDraws, drawStreamName, type AttemptDraw } from '../model/rules/draw.js';
import { effectiveConcurrency } from '../model/availability.js';
import { assertFiniteAmount, MAX_DURATION_MS } from '../scenario/limits.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import type { LiveOutcome } from './ledger.js';

/** How often a stalled queue (no slot while a(t) = 0) is looked at again, simulated ms (the simulator's tick). */
const REDRAIN_MS = 60_000;

/** The longest delay `setTimeout` honours, ms (2^31 − 1; Node fires a longer one after 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Timers a live provider arms (default Node's `setTimeout`); a test drives a clock of its own through them. */
export interface LiveTimers {
  /**
   * Calls `fn` after `wallMs`.
   * @returns a handle for {@link clear}
   */
  set(fn: () => void, wallMs: number): unknown;
  /** Cancels a timer {@link set} returned (one that ran already is ignored). */
  clear(handle: unknown): void;
}

/** The clocks a live provider reads: simulated time runs 1 / timeScale times faster than wall time. */
export interface LiveClock {
  /** Simulated now, epoch ms. */
  simNowMs(): number;
  /** Wall ms per simulated ms (0.01: 100× faster). */
  readonly timeScale: number;
  /** Timers to arm instead of Node's (the parity test's controllable clock). */
  readonly timers?: LiveTimers;
}

/** Keys an attempt's draw as the simulator keys it: the request's id and its visit to this provider. */
export interface DrawKey {
  /** The request's id (the simulator's `ImageRequest.id`). */
  readonly requestId: number;
  /** How many attempts of this request reached this provider before (0 = first). */
  readonly visit: number;
}

/** The account's rate-limit state for the `x-ratelimit-*` headers, in wall ms. */
export interface RateLimitState {
  /** Requests per minute. */
  readonly limit: number;
  readonly remaining: number;
  /** Wall ms until the bucket is full again. */
  readonly resetMs: number;
}

/**
 * The account's rate limit now, in wall time.
 * @param account - the account
 * @param nowMs - simulated now
 * @param timeScale - wall ms per simulated ms
 * @returns the state, or undefined without a rate limit
 */
export function rateLimitState(account: Account, nowMs: number, timeScale: number): RateLimitState | undefined {
  const s = account.rateLimit(nowMs);
  return s === undefined ? undefined : { limit: s.limit, remaining: s.remaining, resetMs: s.resetMs * timeScale };
}

/** What the provider is asked to do. */
export interface LiveAttempt {
  /** The request as pricing reads it (one image). */
  readonly request: QuoteRequest;
  /** Images; each is billed. */
  readonly n: number;
  /** A tier the provider has (the caller checked with `refusal`). */
  readonly tier: string;
  /** Aborted when the client leaves: a queued request is dropped; a running one keeps its slot. */
  readonly signal?: AbortSignal;
  /** Simulated now when the request arrived, epoch ms, when the caller read the clock already (saves a read). */
  readonly atSimMs?: number;
  /**
   * Keys the attempt's draw as the simulator does (stream `provider/<id>`, request id and
   * visit), so a request has the same luck in both modes. Without it the provider numbers its
   * requests itself (stream `live/<id>`, key = that sequence number), as `imgsim serve` does.
   */
  readonly drawKey?: DrawKey;
  /** Called when the request takes a slot (the async dialect's `processing`). */
  readonly onStart?: () => void;
  /**
   * Called synchronously inside {@link LiveProvider.run} when the provider accepts the request
   * (it got past availability, rate limit, quota and the queue bound), so the async dialect
   * can answer 201 at once and turn the other answers into HTTP errors.
   */
  readonly onAdmit?: () => void;
  /**
   * Called synchronously inside {@link LiveProvider.run} when the provider accepts the request,
   * before it can be answered, with the price it will bill if billed: USD, credits at the next
   * credit's value. Live mode holds it against the budget until the request is journaled.
   */
  readonly onPriced?: (usd: number) => void;
}

/** Error codes the provider model answers with. */
export type LiveErrorCode = 'overloaded' | 'rate_limit_exceeded' | 'insufficient_quota' | 'server_error' | 'content_policy_violation' | 'generation_failed' | 'server_shutting_down';

/** How a provider can end an attempt: every live outcome but the ones decided before it runs (an invalid request, a budget refusal). */
export type ProviderOutcome = Exclude<LiveOutcome, 'invalid-request' | 'rejected'>;

/** How the provider answered one attempt. */
export interface LiveAttemptResult {
  /** `timeout`: never answer; `aborted`: the client left first; `shutdown`: the server closed. */
  readonly kind: ProviderOutcome;
  readonly code: LiveErrorCode | undefined;
  /** What this attempt was billed, USD. */
  readonly costUsd: number;
  /** Wall ms the client should wait (rate-limited only). */
  readonly retryAfterMs: number | undefined;
  /** The account's bucket when the answer was decided. */
  readonly rateLimit: RateLimitState | undefined;
  /**
   * Wall ms between when the emulated latency was over and when the answer was decided (the
   * emulation error; negative when a timer fired early); undefined without an emulated wait.
   */
  readonly lagMs?: number | undefined;
}

/** The error code each answer the model can draw or refuse with carries (none: a 200, a hang or a reset). */
const CODE_OF: Readonly<Record<LiveFailureKind | 'success' | 'rate-limited' | 'overloaded', LiveErrorCode | undefined>> = {
  success: undefined,
  'server-error': 'server_error',
  timeout: undefined,
  generative: 'generation_failed',
  filtered: 'content_policy_violation',
  'connection-reset': undefined,
  malformed: undefined,
  'rate-limited': 'rate_limit_exceeded',
  overloaded: 'overloaded',
};

/** A request between arrival and answer. */
interface Job {
  readonly attempt: LiveAttempt;
  /** What the provider answers when its wait is over: the drawn outcome, or a refusal. */
  readonly kind: LiveFailureKind | 'success' | 'rate-limited' | 'overloaded';
  readonly code: LiveErrorCode | undefined;
  /** Simulated ms: the service time of slot work, the error latency of a fast answer. */
  readonly serviceMs: number;
  /** The whole request (all n images): USD, or credits for `credits` pricing. */
  readonly amount: number;
  readonly account: Account;
  readonly resolve: (r: LiveAttemptResult) => void;
  state: 'fast' | 'queued' | 'running' | 'done';
  clientGone: boolean;
  /** The timer of a positive delay (a zero delay answers at once, without a timer). */
  timer: unknown;
  /** The abort listener, attached only while an abort must act at once (fast and queued jobs). */
  onAbort: (() => void) | undefined;
  /** A rate-limited answer's wall Retry-After. */
  retryAfterMs: number | undefined;
  /** When the answer is due on the simulated clock (set when the emulated wait starts). */
  dueSimMs: number | undefined;
  /** Neighbours in the provider's list of pending jobs (a list, not a Set: no hashing per request). */
  prev: Job | undefined;
  next: Job | undefined;
  /** Runs on a reserved slot (src/model/rules/reserved.ts), not an on-demand one. */
  reserved: boolean;
}

/** One provider's live state: slots, queue, timers, draws and billing. */
export class LiveProvider {
  /** Requests holding a slot. */
  busy = 0;
  /** Requests holding a reserved slot (providers with `reserved` only). */
  reservedBusy = 0;
  private queue: Job[] = [];
  private retryTimer: unknown;
  /** True while {@link drain} runs (a zero-latency job re-enters it). */
  private draining = false;
  /** The newest pending job: jobs not answered yet, linked through `prev`/`next`. */
  private pendingHead: Job | undefined;
  /** The sequence number that keys the next draw without a {@link DrawKey}. */
  private seq = 0;
  /** Draws keyed as the simulator's (stream `provider/<id>`). */
  private readonly keyedDraws: AttemptDraws;
  /** Draws keyed by {@link seq} (stream `live/<id>`). */
  private readonly seqDraws: AttemptDraws;
  /** The draw record, reused. */
  private readonly draw: AttemptDraw<LiveFailureKind | 'success'> = { kind: 'success', ms: 0 };
  /** Tier name → index into `spec.tierList`. */
  private readonly tierIndex: ReadonlyMap<string, number>;
  /** Compiled pricing, memoised per provider. */
  readonly compiled: CompiledPricing;

  /**
   * @param spec - the provider
   * @param curve - its a(t)
   * @param account - returns its account's current state (the account is replaced on reset)
   * @param clock - simulated and wall time
   * @param seed - scenario seed (streams `provider/<id>` with a draw key, `live/<id>` without)
   */
  constructor(
    readonly spec: ResolvedProvider,
    readonly curve: AvailabilityCurve,
    private readonly account: () => Account,
    private readonly clock: LiveClock,
    seed: number,
  ) {
    this.keyedDraws = new AttemptDraws(spec, seed, drawStreamName(spec.id));
    this.seqDraws = new AttemptDraws(spec, seed, `live/${spec.id}`);
    this.tierIndex = new Map(spec.tierList.map((t, i) => [t.name, i]));
    this.compiled = compilePricing(spec);
  }

  /** Requests waiting for a slot (a queued request whose client left waits until it would start, as in the simulator). */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Runs one request through the provider model.
   * @param attempt - what to do
   * @returns how it ended, once it has (after the emulated latency)
   */
  run(attempt: LiveAttempt): Promise<LiveAttemptResult> {
    return new Promise<LiveAttemptResult>((resolve) => {
      this.admit(attempt, resolve);
    });
  }

  /**
   * {@link run} without a promise (the hot path of `imgsim serve`): `done` is called once,
   * when the request has ended (synchronously inside this call when its client already left).
   * @param attempt - what to do
   * @param done - receives how it ended
   */
  runWith(attempt: LiveAttempt, done: (r: LiveAttemptResult) => void): void {
    this.admit(attempt, done);
  }

  private admit(attempt: LiveAttempt, resolve: (r: LiveAttemptResult) => void): void {
    const account = this.account();
    const now = attempt.atSimMs ?? this.clock.simNowMs();
    const key = attempt.drawKey;
    const draws = key === undefined ? this.seqDraws : this.keyedDraws;
    const id = key === undefined ? this.seq++ : key.requestId;
    const visit = key === undefined ? 0 : key.visit;
    const availability = this.curve.at(now);

    const gate = admissionGate(account, availability, now);
    if (gate.kind === 'refused') {
      const retryAfterMs = gate.code === 'rate_limit_exceeded' ? gate.retryAfterMs : undefined;
      this.fast(attempt, resolve, account, gate.outcome, gate.code, draws.refusedLatencyMs(id, visit), 0, retryAfterMs);
      return;
    }

    const draw = this.draw;
    const rng = draws.drawLive(id, visit, this.tierIndex.get(attempt.tier) ?? 0, attempt.request, draw);
    const kind = draw.kind;
    // Reserved capacity (src/model/rules/reserved.ts): a free reserved slot at its marginal price, else on demand, else refused.
    const lane = this.spec.reserved === undefined ? undefined : reservedDecision(this.spec.reserved, this.reservedBusy, attempt.n);
    if (answersWithoutSlot(kind)) {
      const amount = lane === undefined || lane.slot === 'on-demand' ? this.priceAt(attempt, account, now, availability, 0) : lane.slot === 'reserved' ? lane.priceUsd : 0;
      attempt.onAdmit?.();
      this.priced(attempt, account, amount, now);
      this.fast(attempt, resolve, account, kind, CODE_OF[kind], draw.ms, amount);
      return;
    }

    // At most MAX_DURATION_MS: a far tail (a lognormal's, scaled by steps and pixels) stays a finite wait and price.
    const serviceMs = Math.min(draw.ms, MAX_DURATION_MS);
    if (lane?.slot === 'refused') {
      this.fast(attempt, resolve, account, 'overloaded', 'overloaded', draws.queueFullLatencyMs(rng));
      return;
    }
    const onReserved = lane?.slot === 'reserved';
    const job = this.makeJob(attempt, resolve, account, kind, serviceMs, onReserved ? lane.priceUsd : this.priceAt(attempt, account, now, availability, serviceMs));
    if (attempt.signal?.aborted === true) {
      job.clientGone = true;
      this.settle(job, 'aborted');
      return;
    }
    if (onReserved) {
      job.reserved = true;
      attempt.onAdmit?.();
      this.priced(attempt, account, job.amount, now);
      this.start(job, now);
      return;
    }
    switch (placement(this.busy, this.queue.length, this.spec.capacity.concurrency, this.spec.capacity.queue, availability)) {
      case 'start':
        attempt.onAdmit?.();
        this.priced(attempt, account, job.amount, now);
        // With no emulated latency this answers before it returns.
        this.start(job, now);
        return;
      case 'queue':
        job.state = 'queued';
        this.listen(job);
        this.queue.push(job);
        attempt.onAdmit?.();
        this.priced(attempt, account, job.amount, now);
        return;
      case 'overloaded':
        // Queue full: the request never reaches a GPU; it is answered overloaded after the error latency.
        this.unlinkPending(job);
        this.fast(attempt, resolve, account, 'overloaded', 'overloaded', draws.queueFullLatencyMs(rng));
    }
  }

  /** An answer that needs no slot: after the error latency. */
  private fast(
    attempt: LiveAttempt,
    resolve: (r: LiveAttemptResult) => void,
    account: Account,
    kind: Job['kind'],
    code: LiveErrorCode | undefined,
    errorMs: number,
    amount = 0,
    retryAfterSimMs?: number,
  ): void {
    const j = this.makeJob(attempt, resolve, account, kind, errorMs, amount, code);
    if (attempt.signal?.aborted === true) {
      j.clientGone = true;
      this.settle(j, 'aborted');
      return;
    }
    j.retryAfterMs = retryAfterSimMs === undefined ? undefined : retryAfterSimMs * this.clock.timeScale;
    this.wait(j, errorMs);
  }

  /** Tells the caller an accepted request's price in USD ({@link LiveAttempt.onPriced}). */
  private priced(attempt: LiveAttempt, account: Account, amount: number, now: number): void {
    const onPriced = attempt.onPriced;
    if (onPriced !== undefined) onPriced(account.ledger ? amount * account.ledger.nextCreditUsd(now) : amount);
  }

  /** The whole request: n images, the prompt's input tokens counted once (as OpenAI bills). */
  private priceAt(attempt: LiveAttempt, account: Account, now: number, availability: number, serviceMs: number): number {
    const req = attempt.request;
    const opts = { atMs: now, tier: attempt.tier, availability, serviceMs };
    const first = account.ledger ? creditsFor(this.compiled, req, opts) : price(this.compiled, req, opts);
    if (attempt.n <= 1) return first;
    const rest = { ...req, promptChars: 0 };
    return first + (attempt.n - 1) * (account.ledger ? creditsFor(this.compiled, rest, opts) : price(this.compiled, rest, opts));
  }

  private makeJob(attempt: LiveAttempt, resolve: (r: LiveAttemptResult) => void, account: Account, kind: Job['kind'], serviceMs: number, amount: number, code = CODE_OF[kind]): Job {
    const j: Job = {
      attempt,
      kind,
      code,
      serviceMs,
      amount,
      account,
      resolve,
      state: 'fast',
      clientGone: false,
      timer: undefined,
      onAbort: undefined,
      retryAfterMs: undefined,
      dueSimMs: undefined,
      prev: undefined,
      next: this.pendingHead,
      reserved: false,
    };
    if (this.pendingHead !== undefined) this.pendingHead.prev = j;
    this.pendingHead = j;
    return j;
  }

  /** Takes a job out of the pending list; a job not in it is left alone. */
  private unlinkPending(j: Job): void {
    if (j.prev !== undefined) j.prev.next = j.next;
    else if (this.pendingHead === j) this.pendingHead = j.next;
    else return;
    if (j.next !== undefined) j.next.prev = j.prev;
    j.prev = undefined;
    j.next = undefined;
  }

  /** Listens for the client leaving: a fast or queued job is answered `aborted` at once. */
  private listen(job: Job): void {
    const signal = job.attempt.signal;
    if (signal === undefined || job.onAbort !== undefined) return;
    const onAbort = (): void => {
      this.onAbort(job);
    };
    job.onAbort = onAbort;
    signal.addEventListener('abort', onAbort, { once: true });
  }

  private unlisten(job: Job): void {
    const onAbort = job.onAbort;
    if (onAbort === undefined) return;
    job.onAbort = undefined;
    job.attempt.signal?.removeEventListener('abort', onAbort);
  }

  /** Waits out a fast job's error latency (no slot), then answers. */
  private wait(job: Job, simMs: number): void {
    job.dueSimMs = this.clock.simNowMs() + simMs;
    const wallMs = simMs * this.clock.timeScale;
    if (wallMs > 0) {
      // An abort must answer at once; with no wait, checking the signal when it runs is the same.
      this.listen(job);
      this.arm(job, this.fastDue, wallMs);
    } else this.fastDue(job);
  }

  private readonly fastDue = (job: Job): void => {
    job.timer = undefined;
    if (job.attempt.signal?.aborted === true) {
      job.clientGone = true;
      this.settle(job, 'aborted');
      return;
    }
    this.settle(job, job.kind, job.code, job.retryAfterMs);
  };

  /** Answers a job and bills it ({@link charge}). */
  private settle(j: Job, k: ProviderOutcome, code?: LiveErrorCode, retryAfterMs?: number, simNow = this.clock.simNowMs()): void {
    const costUsd = this.charge(j, k, simNow);
    j.state = 'done';
    if (j.timer !== undefined) {
      this.clearTimer(j.timer);
      j.timer = undefined;
    }
    this.unlisten(j);
    this.unlinkPending(j);
    j.resolve({
      kind: k,
      code,
      costUsd,
      retryAfterMs,
      rateLimit: rateLimitState(j.account, simNow, this.clock.timeScale),
      lagMs: j.dueSimMs === undefined || k === 'aborted' || k === 'shutdown' ? undefined : (simNow - j.dueSimMs) * this.clock.timeScale,
    });
  }

  private start(job: Job, simNow: number): void {
    job.state = 'running';
    // A running job keeps its slot whether or not the client stays: whether it left is read when the service time is over.
    this.unlisten(job);
    if (job.reserved) this.reservedBusy++;
    else this.busy++;
    job.attempt.onStart?.();
    job.dueSimMs = simNow + job.serviceMs;
    const wallMs = job.serviceMs * this.clock.timeScale;
    // No timer for a zero latency: the answer is written in the turn the request arrived (drain guards the recursion).
    if (wallMs > 0) this.arm(job, this.serviceDone, wallMs);
    else this.serviceDone(job);
  }

  /**
   * Calls `due(job)` after `wallMs`: one timer, or a chain of the longest timers Node honours
   * for a longer wait (a month of emulated latency at time scale 1 must not answer after 1 ms).
   * `job.timer` always holds the pending one, so settling or closing cancels the rest.
   */
  private arm(job: Job, due: (job: Job) => void, wallMs: number): void {
    const timers = this.clock.timers;
    if (timers !== undefined) {
      job.timer = timers.set(() => {
        due(job);
      }, wallMs);
      return;
    }
    if (wallMs <= MAX_TIMER_MS) {
      job.timer = setTimeout(due, wallMs, job);
      return;
    }
    job.timer = setTimeout(() => {
      this.arm(job, due, wallMs - MAX_TIMER_MS);
    }, MAX_TIMER_MS);
  }

  private setTimer(fn: () => void, wallMs: number): unknown {
    const timers = this.clock.timers;
    return timers === undefined ? setTimeout(fn, Math.min(wallMs, MAX_TIMER_MS)) : timers.set(fn, wallMs);
  }

  private clearTimer(handle: unknown): void {
    const timers = this.clock.timers;
    if (timers === undefined) clearTimeout(handle as NodeJS.Timeout);
    else timers.clear(handle);
  }

  private readonly serviceDone = (job: Job): void => {
    job.timer = undefined;
    if (job.reserved) this.reservedBusy--;
    else this.busy--;
    // One clock read for the slot it frees and the answer.
    const simNow = this.clock.simNowMs();
    this.drain(simNow);
    if (job.clientGone || job.attempt.signal?.aborted === true) {
      // The client left; the GPU finished anyway and bills as a client timeout does.
      job.clientGone = true;
      this.settle(job, 'aborted', undefined, undefined, simNow);
      return;
    }
    this.settle(job, job.kind, job.code, undefined, simNow);
  };

  private drain(simNow = this.clock.simNowMs()): void {
    // A zero-latency job finishes inside start() and drains again: the outer loop goes on instead.
    if (this.queue.length === 0 || this.draining) return;
    const slots = effectiveConcurrency(this.spec.capacity.concurrency, this.curve.at(simNow));
    this.draining = true;
    try {
      while (this.busy < slots && this.queue.length > 0) {
        const job = this.queue.shift()!;
        // A job whose client left is dropped here, unbilled, when it would start.
        if (job.state === 'queued') this.start(job, simNow);
      }
    } finally {
      this.draining = false;
    }
    // Nothing running to free a slot (a(t) fell to 0): look again later, as the simulator's tick does.
    if (this.busy === 0 && this.queue.length > 0 && this.retryTimer === undefined) {
      this.retryTimer = this.setTimer(() => {
        this.retryTimer = undefined;
        this.drain();
      }, REDRAIN_MS * this.clock.timeScale);
    }
  }

  private onAbort(job: Job): void {
    job.clientGone = true;
    if (job.state === 'queued') {
      // A queued request whose client left is answered at once and never reaches a GPU; its
      // place in the queue is given up when it would start (drain), as in the simulator.
      this.settle(job, 'aborted');
    } else if (job.state === 'fast') {
      this.settle(job, 'aborted');
    }
    // A running job keeps its slot until the service time is over.
  }

  /**
   * Bills an answer per the model's billing rules: an answer by `billable`; a client that left
   * while its request held a slot by `billableAbandoned` (the GPU did the work); a client that
   * left before, or a server that closed, is not billed.
   */
  private charge(job: Job, kind: ProviderOutcome, now: number): number {
    const billing = this.spec.pricing.billing;
    const billed = kind === 'aborted' ? job.state === 'running' && billableAbandoned('client-timeout', job.kind, billing) : kind !== 'shutdown' && billable(kind, billing);
    if (!billed) return 0;
    assertFiniteAmount(job.amount, `the price of a request to ${this.spec.id}`);
    const costUsd = job.account.ledger ? job.account.ledger.spend(job.amount, now) : job.amount;
    if (!(costUsd > 0)) return 0;
    job.account.addSpend(costUsd, now);
    return costUsd;
  }

  /** Forgets the draw sequence (the next request draws as the first did). */
  resetCounters(): void {
    this.seq = 0;
  }

  /** Cancels every timer; every pending request ends as `shutdown` (503 `server_shutting_down`). */
  close(): void {
    if (this.retryTimer !== undefined) this.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    const jobs: Job[] = [];
    for (let j = this.pendingHead; j !== undefined; j = j.next) jobs.push(j);
    // Oldest first, as they arrived.
    for (const job of jobs.reverse()) {
      if (job.state === 'running' && job.reserved) this.reservedBusy--;
      else if (job.state === 'running') this.busy--;
      this.settle(job, 'shutdown', 'server_shutting_down');
    }
    this.queue = [];
  }
}
