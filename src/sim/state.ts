/**
 * The simulator's one state record: everything a strategy's run holds (the event heap and clock,
 * providers in simulated time, pooled request and attempt records, the collector, the budget
 * and the routing context). The engine's parts (lifecycle.ts, plans.ts, attempts.ts, billing.ts)
 * are plain functions over it; engine.ts runs the event loop. Records are pooled and reused:
 * nothing here is allocated per event.
 */
import type { AvailabilityCurve } from '../model/availability.js';
import { Account } from '../model/account.js';
import type { PriceOptions } from '../model/pricing/types.js';
import type { DrawSource, Rng } from '../model/random.js';
import type { ImageRequest } from '../model/request.js';
import type { AttemptRecord, AttemptSink, LoggedOutcome } from '../metrics/attempt-log.js';
import { noFees, RunCollector, type RequestGroups } from '../metrics/collector.js';
import { GatewayFeeAccount, type FeeSchedule } from '../model/pricing/fees.js';
import type { ServiceLog } from '../metrics/service-log.js';
import type { BudgetTracker, FiredAlert } from '../routing/budget.js';
import { CandidateWalk, type NextAttempt } from '../routing/policy.js';
import { runRouting } from '../routing/strategy-refs.js';
import { ProviderHandle, type Clock } from '../routing/provider-view.js';
import type { AttemptOutcome, AttemptPlan, RoutingContext, Strategy } from '../routing/strategy.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { OutcomeKind, Urgency } from '../scenario/schema.js';
import type { RequestSource } from '../traffic/traffic.js';
import type { AttemptPhase } from './attempts.js';
import { EventHeap } from './heap.js';
import { ProviderRuntime, type AttemptDraw } from './provider-runtime.js';
import { reservedTally, type Lane } from './reserved.js';
import { ValidationStep } from './validation.js';

// Event kinds in the heap (arrivals and provider ticks wait outside it, see engine.ts).
/** A request is routed (again, after a deferral). Ref: request slot. */
export const EV_ROUTE = 2;
/** An attempt's backoff is over: it is sent. Ref: attempt. */
export const EV_SEND = 3;
/** A provider finished an attempt's work. Ref: attempt. */
export const EV_DONE = 4;
/** An answer that needed no slot reaches the client. Ref: attempt. */
export const EV_ANSWER = 5;
/** The client's timeout for an attempt. Ref: attempt. */
export const EV_TIMEOUT = 6;
/** A request's hedge timer. Ref: request slot. */
export const EV_HEDGE = 7;
/** A gateway plan's wait is over. Ref: request slot. */
export const EV_PLAN = 9;
/** The validator answers a request's call (validation.ts). Ref: request slot. */
export const EV_VALIDATE = 11;

/** Up to this many providers {@link SimState.providerOf} scans rather than looking ids up in a map. */
const SCAN_PROVIDERS_MAX = 8;

/**
 * Where pooled records keep their number fields: a block of a Float64Array shared by
 * {@link NUMBER_BLOCK} records, `stride` numbers each. A number field of an object that holds
 * fractions or epoch ms is a boxed double of its own, one more object to miss in the cache on
 * when a record comes back thousands of events later; side by side in a block, a record's
 * numbers share a cache line or two.
 */
class NumberBlocks {
  private block = new Float64Array(0);
  /** Records the current block holds, and how many of them are taken. */
  private size = FIRST_BLOCK / 2;
  private used = FIRST_BLOCK / 2;

  /** @param stride - numbers per record */
  constructor(private readonly stride: number) {}

  /**
   * Room for one more record's numbers.
   * @returns the block and the offset of the record's first number in it
   */
  take(): { readonly nums: Float64Array; readonly at: number } {
    if (this.used === this.size) {
      // Blocks double up to NUMBER_BLOCK records: a run takes its first few new blocks early,
      // before its hot code is optimized, which then knows this path (with blocks of 1,024
      // from the start, the second one came after and threw the optimized code away).
      this.size = Math.min(NUMBER_BLOCK, 2 * this.size);
      this.block = new Float64Array(this.size * this.stride);
      this.used = 0;
    }
    return { nums: this.block, at: this.stride * this.used++ };
  }
}

/** Records in the first block of {@link NumberBlocks}. */
const FIRST_BLOCK = 16;
/** Records per block of {@link NumberBlocks} at most. */
const NUMBER_BLOCK = 1_024;

/** One request while it is routed and attempted (a pooled record, reused once released). */
export class RequestState {
  request!: ImageRequest;
  // The request's fields its end reads, copied on arrival: a request's end comes thousands of
  // requests later, and reading them here spares a cache miss on the request object.
  id = 0;
  urgency: Urgency = 'interactive';
  /** The collector's groups of the request (urgency, class, project), looked up on arrival. */
  groups!: RequestGroups;
  private readonly nums: Float64Array;
  private readonly at: number;

  /** @param room - where its numbers live ({@link SimState.newRequest}) */
  constructor(room: { readonly nums: Float64Array; readonly at: number }) {
    this.nums = room.nums;
    this.at = room.at;
  }

  /** The request's arrival, epoch ms. */
  get arrivalMs(): number {
    return this.nums[this.at]!;
  }
  set arrivalMs(ms: number) {
    this.nums[this.at] = ms;
  }
  /** The request's deadline, epoch ms (batch work), kept as NaN when it has none. */
  get deadlineMs(): number | undefined {
    const ms = this.nums[this.at + 1]!;
    return Number.isNaN(ms) ? undefined : ms;
  }
  set deadlineMs(ms: number | undefined) {
    this.nums[this.at + 1] = ms ?? Number.NaN;
  }
  readonly walk = new CandidateWalk();
  /** Attempts whose answer the client still waits for. */
  inFlight = 0;
  /** Attempt records not yet released (the request's record lives until they are). */
  pending = 0;
  done = false;
  deferrals = 0;
  failedAttempts = 0;
  hedgeAfterMs = 0;
  /** When the hedge timer of this request fires (a reused slot ignores its predecessor's timer). */
  hedgeDueMs = -1;
  hedged = false;
  /** The gateway plan choosing this request's attempts, if its strategy gave one. */
  plan: AttemptPlan | undefined = undefined;
  lastKind: OutcomeKind = 'success';
  /** This request's attempts so far, as kept in {@link SimState.attemptRefs} (at most its stride). */
  attemptCount = 0;
}

/** Numbers per request record in its block (arrival, deadline). */
const REQUEST_NUMBERS = 2;

// Offsets of an attempt's numbers in its block.
const SENT = 0;
const TIMEOUT = 1;
const DEADLINE = 2;
const SERVICE = 3;
const PRICE = 4;
const CREDITS = 5;
const ANSWERED = 6;
const COST = 7;
/** Numbers per attempt record in its block: one cache line. */
const ATTEMPT_NUMBERS = 8;

/** One attempt at a provider (a pooled record; its life is its `phase`, see attempts.ts). */
export class AttemptState {
  private readonly nums: Float64Array;
  private readonly at: number;

  /** @param room - where its numbers live ({@link SimState.newAttempt}) */
  constructor(room: { readonly nums: Float64Array; readonly at: number }) {
    this.nums = room.nums;
    this.at = room.at;
  }

  req = -1;
  /**
   * A gateway plan step's request (fields the gateway drops reset) when it replaces the
   * request's own; undefined for the request's own (read both through `attemptRequest`, attempts.ts:
   * not storing the fresh request object in this long-lived record spares a write barrier).
   */
  request: ImageRequest | undefined = undefined;
  /** `request.project`, copied when `request` is set (billing reads it when the answer comes). */
  project = '';
  /** Where the attempt is in its life (attempts.ts draws the transitions). */
  phase: AttemptPhase = 'released';
  provider = -1;
  candidate = -1;
  tier = 0;
  tierName = '';
  /** What the provider will answer (drawn when the attempt reaches it). */
  kind: OutcomeKind = 'success';
  retryAfterMs = -1;
  code = '';
  hedge = false;
  /** The circuit breaker's half-open trial. */
  trial = false;
  /** 1-based attempt number within the request. */
  number = 0;
  /** Heap events that still refer to this record. */
  events = 0;
  /** For the attempt log: what the client saw ('cancelled': lost a hedge race). */
  answerKind: LoggedOutcome = 'success';
  /** Where it runs (reserved.ts): `on-demand` unless its provider has a reservation. */
  lane: Lane = 'on-demand';

  /** When the attempt was sent, epoch ms (-1 before). */
  get sentMs(): number {
    return this.nums[this.at + SENT]!;
  }
  set sentMs(ms: number) {
    this.nums[this.at + SENT] = ms;
  }
  /** The client's timeout for this attempt, ms (the policy's, or a plan step's). */
  get timeoutMs(): number {
    return this.nums[this.at + TIMEOUT]!;
  }
  set timeoutMs(ms: number) {
    this.nums[this.at + TIMEOUT] = ms;
  }
  /** When the client gives up, epoch ms. */
  get deadlineMs(): number {
    return this.nums[this.at + DEADLINE]!;
  }
  set deadlineMs(ms: number) {
    this.nums[this.at + DEADLINE] = ms;
  }
  /** The drawn service time, ms. */
  get serviceMs(): number {
    return this.nums[this.at + SERVICE]!;
  }
  set serviceMs(ms: number) {
    this.nums[this.at + SERVICE] = ms;
  }
  /** The price fixed when it was sent, USD. */
  get priceUsd(): number {
    return this.nums[this.at + PRICE]!;
  }
  set priceUsd(usd: number) {
    this.nums[this.at + PRICE] = usd;
  }
  /** The credits it costs (credits pricing). */
  get credits(): number {
    return this.nums[this.at + CREDITS]!;
  }
  set credits(credits: number) {
    this.nums[this.at + CREDITS] = credits;
  }
  /** For the attempt log: when the client saw its answer, epoch ms. */
  get answeredMs(): number {
    return this.nums[this.at + ANSWERED]!;
  }
  set answeredMs(ms: number) {
    this.nums[this.at + ANSWERED] = ms;
  }
  /** For the attempt log: what the attempt was billed in all, USD. */
  get costUsd(): number {
    return this.nums[this.at + COST]!;
  }
  set costUsd(usd: number) {
    this.nums[this.at + COST] = usd;
  }
}

/** Everything one strategy's run holds. Create one per run. */
export class SimState {
  readonly heap = new EventHeap();
  readonly clock: Clock = { now: 0 };
  readonly runtimes: ProviderRuntime[];
  readonly handles: ProviderHandle[];
  readonly providerIndex = new Map<string, number>();
  readonly requests: RequestState[] = [];
  readonly freeRequests: number[] = [];
  /**
   * Visits per provider of each request slot, for common random numbers: slot × `visitStride` +
   * provider. One flat array for every slot rather than a typed array per request record: with
   * thousands of requests in flight, a request's counters no longer cost three objects of their
   * own (array, buffer, data) to reach, and clearing them is a loop, not a builtin call.
   */
  visits = new Int32Array(0);
  /** Providers: entries per slot in {@link SimState.visits}. */
  readonly visitStride: number;
  /** Refs of each request slot's attempts: slot × `refStride` + i (at most maxAttempts + 1, as before). */
  attemptRefs = new Int32Array(0);
  /** Entries per slot in {@link SimState.attemptRefs}. */
  readonly refStride: number;
  readonly attempts: AttemptState[] = [];
  readonly freeAttempts: number[] = [];
  readonly collector: RunCollector;
  readonly budget: BudgetTracker;
  readonly ctx: RoutingContext;
  /**
   * Backoff jitter, keyed by (request id, attempts already sent) rather than drawn in sequence
   * from a per-strategy stream: a per-strategy sequence gave two strategies that retry the same
   * request the same way different waits (and from there different queues and outcomes), which
   * broke common random numbers (docs/contract.md §2.6).
   */
  readonly backoffDraws: DrawSource;
  /** Passed for first attempts, which are never retries and so draw no jitter (no reseed needed). */
  readonly firstAttemptRng: Rng;
  readonly retryOn: ReadonlySet<OutcomeKind>;
  /**
   * The policy's next-attempt answer (reused). `delayMs` starts as -0, a double: the first backoff
   * (a fraction of a ms) would otherwise change the object's field from small integer to double
   * mid-run and throw away the optimized code of everything that reads it (see `progressAt`).
   */
  readonly next: NextAttempt = { index: -1, delayMs: -0, retry: false };
  /** The decoded draw of the attempt being sent (reused). */
  readonly draw: AttemptDraw = { kind: 'success', ms: 0 };
  readonly priceOpts: { -readonly [K in keyof PriceOptions]: PriceOptions[K] } = { atMs: 0 };
  /** Budget alerts fired by the last spend (reused). */
  readonly fired: FiredAlert[] = [];
  /** The outcome handed to `observe` and to plans (reused). */
  readonly outcome: { -readonly [K in keyof AttemptOutcome]: AttemptOutcome[K] };
  /** The attempt log's record, reused; undefined when no log is kept. */
  readonly record: AttemptRecord | undefined;
  /** The walk and request {@link allow} judges for (set before each walk step). */
  walkForAllow: CandidateWalk | undefined = undefined;
  requestForAllow: ImageRequest | undefined = undefined;
  /** The provider of the candidate {@link allow} judged last (the walk's pick, once it allowed one). */
  allowedProvider = -1;
  /** A candidate may be tried when its breaker lets it through and it can serve the request. */
  readonly allow = (index: number): boolean => {
    const c = this.walkForAllow!.candidates[index]!;
    const p = this.providerOf(c.provider);
    this.allowedProvider = p;
    if (p < 0) return false;
    const handle = this.handles[p]!;
    return handle.allows(this.clock.now) && handle.canServe(this.requestForAllow!, c.tier);
  };
  /** The scenario's validation step; undefined without a validator (the usual case). */
  readonly validation: ValidationStep | undefined;
  /** Events processed (arrivals and ticks included). */
  events = 0;
  /** The run's progress callback (engine.ts), and the simulated ms since start it was last given. */
  onProgress: ((simulatedMs: number) => void) | undefined = undefined;
  /**
   * Starts as -0 (equal to 0), which V8 stores as a double: the first progress report (a
   * fraction of a ms since start) then keeps the state's shape. From 0, a small integer, it
   * changed the field's representation, a new shape for the state, and every optimized function
   * that reads the state was thrown away a few percent into the run (`node --trace-deopt`).
   */
  progressAt = -0;
  /** The next arrival (it waits outside the heap: only one is ever pending). */
  pendingArrival: ImageRequest | undefined = undefined;
  // Provider ticks live outside the heap, one per provider, all on the grid fromMs + k·TICK_MS:
  // when they are due and their place among events due at the same instant (a sequence number
  // taken from the heap's counter, so the order is the one a single heap would give). Kept apart
  // so that idle stretches can be skipped (engine.ts); Infinity once a provider's ticking is over.
  tickMs = new Float64Array(0);
  tickSeq = new Float64Array(0);
  /** The tick due first (its provider, time and sequence), cached between tick events. */
  nextTick = -1;
  nextTickMs = Infinity;
  nextTickSeq = Infinity;
  /** The gateway's fees and balance, when the strategy has `fees`. */
  readonly fees: GatewayFeeAccount | undefined;
  /** Credits expired so far, USD, per provider keeping a ledger (the part the collector has). */
  readonly expiredSeenUsd = new Map<number, number>();
  private readonly requestNumbers = new NumberBlocks(REQUEST_NUMBERS);
  private readonly attemptNumbers = new NumberBlocks(ATTEMPT_NUMBERS);

  /** @returns a new request record (the pools call it when they have none free) */
  newRequest(): RequestState {
    return new RequestState(this.requestNumbers.take());
  }

  /** @returns a new attempt record (the pools call it when they have none free) */
  newAttempt(): AttemptState {
    return new AttemptState(this.attemptNumbers.take());
  }

  /**
   * A provider's index by id: a scan of the few handles (candidates name them by the very id
   * strings the handles hold, so each test is a pointer comparison), the map beyond a handful.
   * @param id - the provider's id
   * @returns its index, or -1 for an unknown id
   */
  providerOf(id: string): number {
    const handles = this.handles;
    if (handles.length > SCAN_PROVIDERS_MAX) return this.providerIndex.get(id) ?? -1;
    for (let i = 0; i < handles.length; i++) if (handles[i]!.id === id) return i;
    return -1;
  }

  /**
   * @param scenario - the resolved scenario
   * @param strategy - the strategy under test
   * @param source - its requests
   * @param curves - availability curves, one per provider
   * @param onAttempt - receives every attempt once it is over (the attempt log)
   * @param serviceLog - receives what each request got (for the hindsight oracle)
   * @param fees - the fees of a gateway in front of the providers (the strategy entry's `fees`)
   */
  constructor(
    readonly scenario: ResolvedScenario,
    readonly strategy: Strategy,
    readonly source: RequestSource,
    curves: readonly AvailabilityCurve[],
    readonly onAttempt: AttemptSink | undefined,
    readonly serviceLog: ServiceLog | undefined,
    fees?: FeeSchedule,
  ) {
    this.fees = fees === undefined ? undefined : new GatewayFeeAccount(fees, scenario.startMs, scenario.endMs);
    const accountByName = new Map<string, Account>();
    this.visitStride = scenario.providers.length;
    this.refStride = scenario.policy.maxAttempts + 1;
    this.runtimes = scenario.providers.map((p, i) => {
      let account = accountByName.get(p.account);
      if (!account) {
        account = new Account(p, scenario.startMs);
        accountByName.set(p.account, account);
      }
      this.providerIndex.set(p.id, i);
      return new ProviderRuntime(p, curves[i]!, account, scenario.seed);
    });
    this.handles = this.runtimes.map((rt) => {
      const ledger = rt.account.ledger;
      return new ProviderHandle(
        rt.spec,
        this.clock,
        rt.curve,
        {
          queued: () => rt.queue.length,
          slots: () => rt.slots(this.clock.now),
          creditsLeft: () => (ledger ? ledger.balance(this.clock.now) : undefined),
          creditValueUsd: () => undefined,
        },
        scenario.policy,
      );
    });
    const pipeline = scenario.pipeline;
    this.validation = pipeline === undefined ? undefined : new ValidationStep(scenario, pipeline, scenario.providers.length);
    // Strategies price a validated request with the validator's call where it will be made.
    const validation = this.validation;
    if (validation !== undefined) this.handles.forEach((h, i) => (h.validator = validation.separate[i] === 1 ? validation.compiled : undefined));
    this.collector = new RunCollector(
      pipeline === undefined ? scenario.providers.map((p) => p.id) : [...scenario.providers.map((p) => p.id), pipeline.validator.id],
      scenario.startMs,
      scenario.endMs,
    );
    this.collector.reserved = reservedTally(scenario);
    if (fees !== undefined) this.collector.fees = noFees();
    ({ budget: this.budget, ctx: this.ctx, retryOn: this.retryOn, backoffDraws: this.backoffDraws, firstAttemptRng: this.firstAttemptRng } =
      runRouting(this.handles, this.clock, scenario, strategy.name, true));
    this.outcome = {
      requestId: 0,
      provider: '',
      tier: '',
      attempt: 0,
      kind: 'success',
      sentMs: 0,
      endedMs: 0,
      latencyMs: 0,
      costUsd: 0,
      retryAfterMs: undefined,
      code: undefined,
      hedge: false,
    };
    this.record =
      onAttempt === undefined
        ? undefined
        : {
            strategy: strategy.name,
            requestId: 0,
            attempt: 0,
            provider: '',
            tier: '',
            startMs: 0,
            latencyMs: 0,
            outcome: 'success',
            code: undefined,
            costUsd: 0,
            size: '',
            steps: 0,
            quality: undefined,
            features: [],
            project: '',
            hedge: false,
          };
  }
}

/**
 * The request as an attempt's provider receives it: a gateway plan step's, else the request's own.
 * @param s - the state
 * @param at - the attempt (not released)
 * @returns the request
 */
export function attemptRequest(s: SimState, at: AttemptState): ImageRequest {
  return at.request ?? s.requests[at.req]!.request;
}
