/**
 * One provider answering real requests, with the simulator's semantics (src/sim/engine.ts) on a
 * scaled wall clock: a(t) = 0 → `overloaded`; no rate-limit token → `rate-limited` with
 * Retry-After; quota spent → `rate-limited` (`insufficient_quota`); then one seeded draw picks
 * the outcome and the service time; fast failures (`server-error`, `filtered`) answer after the
 * error latency without a slot; the rest take a slot (⌊concurrency × a(t)⌋) or wait in a FIFO
 * queue, or get `overloaded` when it is full. Service is a `setTimeout` of the simulated
 * service time × time scale. The price is fixed when the request arrives and billed when the
 * provider answers, per `pricing.billing`.
 * The account (token bucket, quota, credits) is the model's `Account`, as in the simulator.
 */
import { AvailabilityCurve, effectiveConcurrency } from '../model/availability.js';
import { Account, DEFAULT_ERROR_LATENCY_MS } from '../model/account.js';
import { drawOutcome, type LiveFailureKind } from '../model/failures.js';
import { makeSampler, serviceScale, type LatencySampler } from '../model/latency.js';
import { compilePricing, creditsFor, price, type CompiledPricing } from '../model/pricing/quote.js';
import type { QuoteRequest } from '../model/pricing/types.js';
import { drawSourceFor, type DrawSource } from '../model/random.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import type { LiveOutcome } from './ledger.js';

/** How often a stalled queue (no slot while a(t) = 0) is looked at again, simulated ms (the simulator's tick). */
const REDRAIN_MS = 60_000;

/** The clocks a live provider reads: simulated time runs 1 / timeScale times faster than wall time. */
export interface LiveClock {
  /** Simulated now, epoch ms. */
  simNowMs(): number;
  /** Wall ms per simulated ms (0.01: 100× faster). */
  readonly timeScale: number;
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
  /** Called when the request takes a slot (the async dialect's `processing`). */
  readonly onStart?: () => void;
  /**
   * Called synchronously inside {@link LiveProvider.run} when the provider accepts the request
   * (it got past availability, rate limit, quota and the queue bound), so the async dialect
   * can answer 201 at once and turn the other answers into HTTP errors.
   */
  readonly onAdmit?: () => void;
}

/** Error codes the provider model answers with. */
export type LiveErrorCode = 'overloaded' | 'rate_limit_exceeded' | 'insufficient_quota' | 'server_error' | 'content_policy_violation' | 'generation_failed' | 'server_shutting_down';

/** How the provider answered one attempt. */
export interface LiveAttemptResult {
  /** `timeout`: never answer; `aborted`: the client left first; `shutdown`: the server closed. */
  readonly kind: LiveOutcome;
  readonly code: LiveErrorCode | undefined;
  /** What this attempt was billed, USD. */
  readonly costUsd: number;
  /** Wall ms the client should wait (rate-limited only). */
  readonly retryAfterMs: number | undefined;
  /** The account's bucket when the answer was decided. */
  readonly rateLimit: RateLimitState | undefined;
}

type Settle = (kind: LiveOutcome, code?: LiveErrorCode, retryAfterMs?: number) => void;

/** A request between arrival and answer. */
interface Job {
  readonly attempt: LiveAttempt;
  readonly kind: LiveFailureKind | 'success';
  readonly serviceMs: number;
  /** The whole request (all n images): USD, or credits for `credits` pricing. */
  readonly amount: number;
  readonly account: Account;
  settle: Settle;
  state: 'fast' | 'queued' | 'running' | 'done';
  clientGone: boolean;
  timer: NodeJS.Timeout | undefined;
  detach: (() => void) | undefined;
}

/** One provider's live state: slots, queue, timers, draws and billing. */
export class LiveProvider {
  /** Requests holding a slot. */
  busy = 0;
  private queue: Job[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Job>();
  private seq = 0;
  private draws: DrawSource;
  private readonly samplers: ReadonlyMap<string, LatencySampler>;
  private readonly errorSampler: LatencySampler;
  /** Compiled pricing, memoised per provider. */
  readonly compiled: CompiledPricing;

  /**
   * @param spec - the provider
   * @param curve - its a(t)
   * @param account - returns its account's current state (the account is replaced on reset)
   * @param clock - simulated and wall time
   * @param seed - scenario seed (stream `live/<id>`)
   */
  constructor(
    readonly spec: ResolvedProvider,
    readonly curve: AvailabilityCurve,
    private readonly account: () => Account,
    private readonly clock: LiveClock,
    private readonly seed: number,
  ) {
    this.samplers = new Map(spec.tierList.map((t) => [t.name, makeSampler(t.latency)]));
    this.errorSampler = makeSampler(spec.failures.errorLatency ?? { dist: 'fixed', value: DEFAULT_ERROR_LATENCY_MS });
    this.draws = drawSourceFor(seed, `live/${spec.id}`);
    this.compiled = compilePricing(spec);
  }

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Runs one request through the provider model.
   * @param attempt - what to do
   * @returns how it ended, once it has (after the emulated latency)
   */
  run(attempt: LiveAttempt): Promise<LiveAttemptResult> {
    const account = this.account();
    const now = this.clock.simNowMs();
    // One draw sequence per request: u picks the outcome, the next draws the latency.
    const rng = this.draws.at(this.seq++, 0);
    const u = rng.next();
    const availability = this.curve.at(now);
    const kind = drawOutcome(this.spec.failures, u, true);

    return new Promise<LiveAttemptResult>((resolve) => {
      const finish = (j: Job, result: Omit<LiveAttemptResult, 'rateLimit'>): void => {
        j.state = 'done';
        if (j.timer !== undefined) clearTimeout(j.timer);
        j.detach?.();
        this.pending.delete(j);
        resolve({ ...result, rateLimit: rateLimitState(j.account, this.clock.simNowMs(), this.clock.timeScale) });
      };
      const makeJob = (serviceMs: number, amount: number, jobKind: LiveFailureKind | 'success'): Job => {
        const j: Job = {
          attempt,
          kind: jobKind,
          serviceMs,
          amount,
          account,
          state: 'fast',
          clientGone: false,
          timer: undefined,
          detach: undefined,
          settle: (k, code, retryAfterMs) => {
            // A client that left while its request held a slot is billed as a client timeout
            // (the GPU did the work); one that left before is not billed.
            const billAs: LiveOutcome = k === 'aborted' ? (j.state === 'running' ? 'timeout' : 'aborted') : k;
            finish(j, { kind: k, code, costUsd: this.charge(j, billAs), retryAfterMs });
          },
        };
        this.pending.add(j);
        const signal = attempt.signal;
        if (signal !== undefined) {
          const onAbort = (): void => {
            this.onAbort(j);
          };
          if (signal.aborted) j.clientGone = true;
          else {
            signal.addEventListener('abort', onAbort, { once: true });
            j.detach = () => {
              signal.removeEventListener('abort', onAbort);
            };
          }
        }
        return j;
      };
      /** An answer that needs no slot: after the error latency. */
      const fast = (k: LiveOutcome, code: LiveErrorCode, amount = 0, retryAfterSimMs?: number): void => {
        const errorMs = this.errorSampler.sample(rng);
        const j = makeJob(errorMs, amount, kind);
        if (j.clientGone) {
          j.settle('aborted');
          return;
        }
        const retryAfterMs = retryAfterSimMs === undefined ? undefined : retryAfterSimMs * this.clock.timeScale;
        j.timer = setTimeout(() => {
          j.timer = undefined;
          j.settle(k, code, retryAfterMs);
        }, errorMs * this.clock.timeScale);
      };

      const refuse = (): boolean => {
        if (availability <= 0) fast('overloaded', 'overloaded');
        else {
          const waitMs = account.take(now);
          if (waitMs > 0) fast('rate-limited', 'rate_limit_exceeded', 0, waitMs);
          else if (account.quotaExhausted(now)) fast('rate-limited', 'insufficient_quota');
          else return false;
        }
        return true;
      };
      if (refuse()) return;

      const req = attempt.request;
      /** The whole request: n images, the prompt's input tokens counted once (as OpenAI bills). */
      const priceAt = (serviceMs: number): number => {
        const opts = { atMs: now, tier: attempt.tier, availability, serviceMs };
        const of = (r: QuoteRequest): number => (account.ledger ? creditsFor(this.compiled, r, opts) : price(this.compiled, r, opts));
        const first = of(req);
        return attempt.n > 1 ? first + (attempt.n - 1) * of({ ...req, promptChars: 0 }) : first;
      };
      if (kind === 'server-error' || kind === 'filtered') {
        attempt.onAdmit?.();
        fast(kind, kind === 'filtered' ? 'content_policy_violation' : 'server_error', priceAt(0));
        return;
      }

      const sampler = this.samplers.get(attempt.tier) ?? this.errorSampler;
      const serviceMs = sampler.sample(rng) * serviceScale(this.spec, req.steps, req.width, req.height);
      const job = makeJob(serviceMs, priceAt(serviceMs), kind);
      if (job.clientGone) {
        job.settle('aborted');
        return;
      }
      if (this.busy < effectiveConcurrency(this.spec.capacity.concurrency, availability)) this.start(job);
      else if (this.queue.length < this.spec.capacity.queue) {
        job.state = 'queued';
        this.queue.push(job);
      } else {
        // Queue full: the request never reaches a GPU; it is answered overloaded after the error latency.
        this.pending.delete(job);
        job.detach?.();
        fast('overloaded', 'overloaded');
        return;
      }
      attempt.onAdmit?.();
    });
  }

  private start(job: Job): void {
    job.state = 'running';
    this.busy++;
    job.attempt.onStart?.();
    job.timer = setTimeout(() => {
      job.timer = undefined;
      this.busy--;
      this.drain();
      if (job.clientGone) {
        // The client left; the GPU finished anyway and bills as a client timeout does.
        job.settle('aborted');
        return;
      }
      switch (job.kind) {
        case 'success':
        case 'malformed':
        case 'connection-reset':
        case 'timeout':
          job.settle(job.kind);
          return;
        case 'generative':
          job.settle('generative', 'generation_failed');
          return;
        default:
          job.settle(job.kind, 'server_error');
      }
    }, job.serviceMs * this.clock.timeScale);
  }

  private drain(): void {
    const slots = effectiveConcurrency(this.spec.capacity.concurrency, this.curve.at(this.clock.simNowMs()));
    while (this.busy < slots && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.state === 'queued') this.start(job);
    }
    // Nothing running to free a slot (a(t) fell to 0): look again later, as the simulator's tick does.
    if (this.busy === 0 && this.queue.length > 0 && this.retryTimer === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.drain();
      }, REDRAIN_MS * this.clock.timeScale);
    }
  }

  private onAbort(job: Job): void {
    job.clientGone = true;
    if (job.state === 'queued') {
      // A queued request whose client left is dropped before it reaches a GPU.
      const i = this.queue.indexOf(job);
      if (i >= 0) this.queue.splice(i, 1);
      job.settle('aborted');
    } else if (job.state === 'fast') {
      job.settle('aborted');
    }
    // A running job keeps its slot until the service time is over.
  }

  /** Bills an answer per `pricing.billing`; a client that left is billed as a client timeout. */
  private charge(job: Job, kind: LiveOutcome): number {
    const billing = this.spec.pricing.billing;
    let billed: boolean;
    switch (kind) {
      case 'success':
      case 'malformed': // the provider made the image; only the body broke
        billed = true;
        break;
      case 'generative':
        billed = billing.generative;
        break;
      case 'filtered':
        billed = billing.filtered;
        break;
      case 'server-error':
        billed = billing.serverError;
        break;
      case 'timeout':
        billed = billing.timeout;
        break;
      case 'connection-reset':
        billed = billing.connectionReset;
        break;
      default:
        billed = false;
    }
    if (!billed) return 0;
    const now = this.clock.simNowMs();
    const costUsd = job.account.ledger ? job.account.ledger.spend(job.amount, now) : job.amount;
    if (!(costUsd > 0)) return 0;
    job.account.addSpend(costUsd, now);
    return costUsd;
  }

  /** Forgets the draw sequence (the next request draws as the first did). */
  resetCounters(): void {
    this.seq = 0;
    this.draws = drawSourceFor(this.seed, `live/${this.spec.id}`);
  }

  /** Cancels every timer; every pending request ends as `shutdown` (503 `server_shutting_down`). */
  close(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const job of [...this.pending]) {
      if (job.state === 'running') this.busy--;
      job.settle('shutdown', 'server_shutting_down');
    }
    this.queue = [];
  }
}
