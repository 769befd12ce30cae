/**
 * The hindsight oracle: what routing could have cost on a run's realised draws, had the router
 * known every draw in advance (docs/contract.md §2.6 common random numbers make the draws the same for every
 * router: a request's k-th attempt at a provider draws the same outcome and service time
 * whichever strategy sends it, see {@link ProviderRuntime.drawAttempt}).
 *
 * Per request, three service levels: an image within the request's SLO bound, an image at all
 * (late), none. For each the oracle finds the least a router could pay, over every provider
 * that can serve the request, each of its tiers, each attempt number a router could reach
 * (`policy.maxAttempts`), and each send time (deferral is a routing decision too):
 * - `unconstrainedCost` sums, per request, the least price of the best level its draws allow.
 *   Capacity and rate limits are ignored, and every relaxation is in the oracle's favour (time-
 *   varying prices at their lowest anywhere in the window, failed attempts before a retry free
 *   and instant, credits at the cheapest rate the account buys them), so no router that
 *   delivers the same levels pays less: it is a lower bound.
 * - The lower bound of one strategy (`regret.lowerBound`) sums the same per-request minima for
 *   the level that strategy delivered to each request (its service log), so
 *   `cost.total ≥ lowerBound` holds for every strategy.
 * - `cost` is a plan that respects capacity: a greedy pass in send-time order gives each request
 *   its cheapest first attempt that succeeds within its SLO bound with a slot free in time
 *   (slots = ⌊concurrency × a(t)⌋, FIFO queue up to `capacity.queue`, queue wait counted against
 *   the SLO and the client timeout), a rate-limit token and quota; failing that, its cheapest
 *   success at all; failing that, nothing. Batch work may be deferred to the cheapest instant
 *   before its deadline when prices vary in time. Greedy, so neither a bound nor optimal.
 *
 * Under a budget that refuses work (`onExhausted: reject`) the plan keeps, per budget window, the
 * most requests the budget buys, cheapest first (oracle-budget.ts); the bounds ignore the budget.
 * The oracle ignores circuit breakers, and never plans failed attempts. It ignores the pipeline's
 * validator too (validation.ts): a validator call only adds cost and latency to a request, so
 * the bounds stay lower bounds (looser for validated traffic) and the plan is optimistic.
 *
 * Why over 500 lines: one algorithm, the hindsight oracle (`HindsightOracle`: per-request
 * optimum, the lower bound and the budget pass share its slot books and draw decoding); its
 * slot booking is in slot-book.ts and its SLO rule in src/model/rules/slo.ts. The rest reads as one pass.
 */
import { cheapestCreditUsd } from '../model/credits.js';
import { cheapestInstantsIn, creditsFor, compilePricing, offPeakBestIn, price, priceFromUntimed, pricingInForce, refusal, type CompiledPricing } from '../model/pricing/quote.js';
import { ShapeMemo } from '../model/pricing/shape-memo.js';
import type { PriceOptions } from '../model/pricing/types.js';
import type { ImageRequest } from '../model/request.js';
import { sloDeadlineMs } from '../model/rules/slo.js';
import { Account } from '../model/account.js';
import type { AvailabilityCurve } from '../model/availability.js';
import type { OracleReport, RegretReport } from '../metrics/report-types.js';
import type { ServiceLevels } from '../metrics/service-log.js';
import { SERVICE_LATE, SERVICE_WITHIN_SLO } from '../metrics/service-log.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { RequestSource } from '../traffic/traffic.js';
import { EventHeap } from './heap.js';
import { ProviderRuntime, type AttemptDraw } from './provider-runtime.js';
import { SlotBook } from './slot-book.js';
import { BudgetedPlan } from './oracle-budget.js';

/** Differences below this fraction of the amounts compared are float noise, written as 0. */
const MONEY_NOISE = 1e-9;
/** Tolerance on time comparisons, ms: epoch sums round at ~0.2 µs, so ties go the oracle's way. */
const EPS_MS = 1e-3;
/** Instants a deferral scan prices per option when a price follows a(t) (dynamic pricing). */
const DYNAMIC_SCAN_POINTS = 24;
/** Entries of each provider's memo of which requests it can serve (mix classes are few). */
const CAN_SERVE_MEMO = 16;
/** A held request waits for a slot in its cheap window at most this often before it settles. */
const MAX_WAITS = 64;

/** What the oracle found for one run: `report.json`'s `oracle` (docs/report.md#oracle-and-regret). */
export type OracleResult = OracleReport;

/** The oracle's result, with the lower bound of each service log it was given. */
export interface OracleRun {
  readonly result: OracleResult;
  /** Per service log, in order: the least any router could pay for exactly the service it records, USD. */
  readonly lowerBounds: readonly number[];
  /**
   * Requests a log says got a service level the oracle found no way to give: 0 unless the oracle
   * and the engine disagree (such a request adds 0 to the bound, which keeps it a bound).
   */
  readonly mismatches: number;
}

/** Options of {@link runOracle}. */
export interface OracleOptions {
  /** Service logs of the strategies' runs, for their lower bounds. */
  readonly logs?: readonly ServiceLevels[];
  /** Called now and then with the fraction of the window done. */
  readonly onProgress?: (fraction: number) => void;
  /**
   * Whether every log holds its final level of a request already, without waiting (logs that
   * come in as their run goes on, on the oracle's thread). The oracle then works ahead of the
   * logs, keeping each request's minima until its levels come, and sums the bounds in the same
   * order. Absent: the logs are complete.
   */
  readonly ready?: (requestId: number) => boolean;
}

/** Requests whose minima wait for their levels, at most (then the oracle waits for the logs). */
const MAX_WAITING_BOUNDS = 1 << 20;
/** The oracle looks whether levels have come once per this many requests (+1; a mask). */
const BOUNDS_EVERY = 0xff;

/** One provider as the oracle uses it. */
class OracleProvider {
  readonly compiled: CompiledPricing;
  readonly tierNames: readonly string[];
  /** Off-peak windows or dynamic pricing: the price depends on the send time. */
  readonly timeVarying: boolean;
  readonly offPeak: boolean;
  readonly dynamic: boolean;
  /** The price follows a schedule (dated pricings or multipliers): searched with `cheapestInstantsIn`. */
  readonly scheduled: boolean;
  /** The price reads the service time (`compute-time`). */
  readonly usesService: boolean;
  /** USD per credit when the account keeps credits (the cheapest it buys), else NaN. */
  readonly creditUsd: number;
  readonly book: SlotBook;
  /** The untimed part of each request shape's price (the oracle prices every candidate of every request). */
  readonly shapes: ShapeMemo;
  // A small memo of `refusal`: synthetic requests of one class share their size, feature array
  // and quality, so checks repeat; steps matter only under `supports.maxSteps`.
  private readonly memoSize: string[] = [];
  private readonly memoSteps: number[] = [];
  private readonly memoFeatures: (readonly string[])[] = [];
  private readonly memoQuality: (string | undefined)[] = [];
  private readonly memoOk: boolean[] = [];
  private memoNext = 0;

  constructor(readonly rt: ProviderRuntime) {
    const spec = rt.spec;
    this.compiled = compilePricing(spec);
    this.tierNames = spec.tierList.map((t) => t.name);
    const entries = this.compiled.schedule?.entries ?? [this.compiled];
    this.scheduled = this.compiled.schedule !== undefined;
    this.offPeak = this.compiled.offPeak.length > 0;
    this.dynamic = entries.some((e) => e.dynamicRange !== undefined);
    this.timeVarying = this.offPeak || this.dynamic || this.scheduled;
    this.usesService = this.compiled.pricer.usesServiceTime;
    const ledgerPricing = rt.account.ledger ? rt.account.provider.pricing : undefined;
    this.creditUsd = ledgerPricing?.model === 'credits' ? cheapestCreditUsd(ledgerPricing) : Number.NaN;
    this.book = new SlotBook(spec.capacity.queue);
    this.shapes = new ShapeMemo(this.compiled);
  }

  canServe(request: ImageRequest): boolean {
    const steps = this.rt.spec.supports.maxSteps === undefined ? -1 : request.steps;
    const n = this.memoOk.length;
    for (let i = 0; i < n; i++) {
      if (this.memoFeatures[i] === request.features && this.memoSize[i] === request.size && this.memoSteps[i] === steps && this.memoQuality[i] === request.quality) {
        return this.memoOk[i]!;
      }
    }
    const ok = refusal(this.compiled, request) === undefined;
    // Entries are replaced in turn once the memo is full.
    const i = n < CAN_SERVE_MEMO ? n : this.memoNext;
    this.memoNext = (i + 1) % CAN_SERVE_MEMO;
    this.memoSize[i] = request.size;
    this.memoSteps[i] = steps;
    this.memoFeatures[i] = request.features;
    this.memoQuality[i] = request.quality;
    this.memoOk[i] = ok;
    return ok;
  }
}

/** Per request, in order: its id and minima (within SLO, at all), waiting for its levels. A FIFO of columns. */
class WaitingBounds {
  private ids = new Float64Array(1024);
  private slo = new Float64Array(1024);
  private any = new Float64Array(1024);
  private head = 0;
  private tail = 0;

  get size(): number {
    return this.tail - this.head;
  }

  push(id: number, sloUsd: number, anyUsd: number): void {
    if (this.tail === this.ids.length) this.makeRoom();
    const t = this.tail++;
    this.ids[t] = id;
    this.slo[t] = sloUsd;
    this.any[t] = anyUsd;
  }

  headId(): number {
    return this.ids[this.head]!;
  }

  headSlo(): number {
    return this.slo[this.head]!;
  }

  headAny(): number {
    return this.any[this.head]!;
  }

  shift(): void {
    this.head++;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  /** Moves the entries to the front, or into columns twice as long when more than half full. */
  private makeRoom(): void {
    const n = this.size;
    const grow = 2 * n > this.ids.length;
    const move = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      if (!grow) return a.copyWithin(0, this.head, this.tail);
      const to = new Float64Array(2 * a.length);
      to.set(a.subarray(this.head, this.tail));
      return to;
    };
    this.ids = move(this.ids);
    this.slo = move(this.slo);
    this.any = move(this.any);
    this.head = 0;
    this.tail = n;
  }
}

/** A batch request the plan holds for a cheaper instant. */
interface Held {
  readonly request: ImageRequest;
  readonly deadlineMs: number;
  /** Its candidates: provider index and tier index. */
  readonly providers: Int32Array;
  readonly tiers: Int32Array;
  waits: number;
}

/** A candidate's first-attempt draw: not read yet, a success (in time for the client), or not. */
const DRAW_UNKNOWN = 0;
const DRAW_OK = 1;
const DRAW_FAILED = 2;

/** The oracle over one scenario; {@link HindsightOracle.run} once. */
export class HindsightOracle {
  private readonly providers: OracleProvider[];
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly anyTimeVarying: boolean;
  private readonly draw: AttemptDraw = { kind: 'success', ms: 0 };
  private readonly opts: { -readonly [K in keyof PriceOptions]: PriceOptions[K] } = { atMs: 0 };
  /** Scratch: the instants `cheapestInstantsIn` finds. */
  private readonly instants: number[] = [];
  // The candidates of the request at hand, one per (provider, tier) that can serve it: the
  // price of sending now, and the first attempt's draw (read when needed: most requests are
  // settled by their cheapest candidate, so most draws are never read).
  private candProvider = new Int32Array(16);
  private candTier = new Int32Array(16);
  private candPrice = new Float64Array(16);
  private candDraw = new Uint8Array(16);
  private candServiceMs = new Float64Array(16);
  /** Candidates by price, cheapest first. */
  private order = new Int32Array(16);
  private nCand = 0;
  private readonly held: (Held | undefined)[] = [];
  private readonly freeHeld: number[] = [];
  private readonly pending = new EventHeap();
  private planUsd = 0;
  private withinSlo = 0;
  private late = 0;
  private unserved = 0;
  private sloUsd = Infinity;
  private anyUsd = Infinity;
  /** Under a budget that refuses work: what the plan books, kept as the budget allows (oracle-budget.ts). */
  private readonly budgeted: BudgetedPlan | undefined;

  /**
   * @param scenario - the resolved scenario (seed and duration overrides applied)
   * @param curves - its availability curves (shared with the strategies' runs: a(t) is one curve)
   */
  constructor(
    private readonly scenario: ResolvedScenario,
    curves: readonly AvailabilityCurve[],
  ) {
    const accounts = new Map<string, Account>();
    this.providers = scenario.providers.map((p, i) => {
      let account = accounts.get(p.account);
      if (!account) {
        account = new Account(p, scenario.startMs);
        accounts.set(p.account, account);
      }
      return new OracleProvider(new ProviderRuntime(p, curves[i]!, account, scenario.seed));
    });
    this.maxAttempts = Math.max(1, scenario.policy.maxAttempts);
    this.timeoutMs = scenario.policy.timeout;
    this.anyTimeVarying = this.providers.some((p) => p.timeVarying);
    const budget = scenario.budget;
    this.budgeted = budget?.onExhausted === 'reject' ? new BudgetedPlan(budget, scenario.startMs) : undefined;
  }

  /**
   * Reads the traffic once: per request the unconstrained minima (and each log's), and the plan.
   * @param source - the run's requests (a fresh stream: the same requests the strategies saw)
   * @param opts - service logs, progress
   * @returns the result, the logs' lower bounds, and mismatches (0 unless oracle and engine disagree)
   */
  run(source: RequestSource, opts: OracleOptions = {}): OracleRun {
    const { startMs, endMs, durationMs } = this.scenario;
    const logs = opts.logs ?? [];
    const lowerBounds = logs.map(() => 0);
    let mismatches = 0;
    let unconstrainedUsd = 0;
    let total = 0;
    const unconstrained = { withinSlo: 0, late: 0, unservable: 0 };
    const pending = this.pending;
    let progressAt = 0;
    const ready = opts.ready;
    const waiting = new WaitingBounds();
    /** Sums the waiting minima into the bounds, in request order, while their levels are there (all of them when `isReady` is undefined). */
    const settle = (isReady: ((requestId: number) => boolean) | undefined): void => {
      while (waiting.size > 0) {
        const id = waiting.headId();
        if (isReady !== undefined && waiting.size < MAX_WAITING_BOUNDS && !isReady(id)) return;
        const sloUsd = waiting.headSlo();
        const anyUsd = waiting.headAny();
        waiting.shift();
        for (let j = 0; j < logs.length; j++) {
          const level = logs[j]!.at(id);
          const usd = level === SERVICE_WITHIN_SLO ? sloUsd : level === SERVICE_LATE ? anyUsd : 0;
          if (usd < Infinity) lowerBounds[j]! += usd;
          else mismatches++;
        }
      }
    };
    for (;;) {
      const request = source.next();
      if (request === undefined || request.arrivalMs >= endMs) break;
      const now = request.arrivalMs;
      while (pending.size > 0 && pending.peekTime() <= now) {
        pending.pop();
        this.settleHeld(pending.ref, pending.time);
      }
      total++;
      const deadlineMs = sloDeadlineMs(request, this.scenario.slo);
      this.candidates(request, now);
      this.minima(request, deadlineMs);
      const { sloUsd, anyUsd } = this;
      if (sloUsd < Infinity) {
        unconstrained.withinSlo++;
        unconstrainedUsd += sloUsd;
      } else if (anyUsd < Infinity) {
        unconstrained.late++;
        unconstrainedUsd += anyUsd;
      } else unconstrained.unservable++;
      if (logs.length > 0) {
        waiting.push(request.id, sloUsd, anyUsd);
        if (ready === undefined || (total & BOUNDS_EVERY) === 0 || waiting.size >= MAX_WAITING_BOUNDS) settle(ready);
      }
      this.plan(request, deadlineMs);
      if (opts.onProgress && (total & 0x3fff) === 0 && now - startMs > progressAt) {
        progressAt = now - startMs;
        opts.onProgress(Math.min(1, progressAt / durationMs));
      }
    }
    settle(undefined);
    while (pending.pop()) this.settleHeld(pending.ref, pending.time);
    let requests: OracleResult['requests'] = { total, withinSlo: this.withinSlo, late: this.late, unserved: this.unserved };
    if (this.budgeted) {
      const kept = this.budgeted.finish();
      this.planUsd = kept.costUsd;
      requests = { total, withinSlo: kept.withinSlo, late: kept.late, unserved: this.unserved + kept.overBudget, overBudget: kept.overBudget };
    }
    return {
      result: {
        cost: this.planUsd,
        unconstrainedCost: unconstrainedUsd,
        requests,
        unconstrained,
      },
      lowerBounds,
      mismatches,
    };
  }

  // --- candidates ------------------------------------------------------------------------------

  /** Lists every (provider, tier) that can serve the request, no draw read yet, and prices them at `atMs`. */
  private candidates(request: ImageRequest, atMs: number): void {
    this.nCand = 0;
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[i]!;
      if (!p.canServe(request)) continue;
      for (let k = 0; k < p.tierNames.length; k++) this.addCandidate(i, k);
    }
    this.priceCandidates(request, atMs);
  }

  private addCandidate(provider: number, tier: number): void {
    const n = this.nCand;
    if (n === this.candProvider.length) {
      const m = n * 2;
      const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, b: T): T => {
        b.set(a);
        return b;
      };
      this.candProvider = grow(this.candProvider, new Int32Array(m));
      this.candTier = grow(this.candTier, new Int32Array(m));
      this.candPrice = grow(this.candPrice, new Float64Array(m));
      this.candDraw = grow(this.candDraw, new Uint8Array(m));
      this.candServiceMs = grow(this.candServiceMs, new Float64Array(m));
      this.order = new Int32Array(m);
    }
    this.candProvider[n] = provider;
    this.candTier[n] = tier;
    this.candDraw[n] = DRAW_UNKNOWN;
    this.nCand = n + 1;
  }

  /** The candidate's first-attempt draw, read once: DRAW_OK (service time in candServiceMs) or DRAW_FAILED. */
  private firstDraw(request: ImageRequest, c: number): number {
    let state = this.candDraw[c]!;
    if (state === DRAW_UNKNOWN) {
      const draw = this.draw;
      this.providers[this.candProvider[c]!]!.rt.drawAttempt(request, 0, this.candTier[c]!, draw);
      // The client gives up at policy.timeout: slower work never answers in time.
      state = draw.kind === 'success' && draw.ms <= this.timeoutMs + EPS_MS ? DRAW_OK : DRAW_FAILED;
      this.candDraw[c] = state;
      this.candServiceMs[c] = draw.ms;
    }
    return state;
  }

  /**
   * Prices every candidate for sending at `atMs` (a(t) as it is then; a compute-time price
   * reads the first attempt's service time, Infinity when that attempt fails) and sorts them,
   * cheapest first, ties in candidate order (providers, then tiers, as the scenario lists them).
   */
  private priceCandidates(request: ImageRequest, atMs: number): void {
    const n = this.nCand;
    const priceOf = this.candPrice;
    for (let c = 0; c < n; c++) {
      const p = this.providers[this.candProvider[c]!]!;
      let serviceMs: number | undefined;
      if (p.usesService) {
        if (this.firstDraw(request, c) !== DRAW_OK) {
          priceOf[c] = Infinity;
          continue;
        }
        serviceMs = this.candServiceMs[c]!;
      }
      priceOf[c] = this.priceAt(p, request, this.candTier[c]!, atMs, p.dynamic ? p.rt.curve.at(atMs) : undefined, serviceMs);
    }
    // An insertion sort: there are only a few candidates.
    const order = this.order;
    for (let c = 0; c < n; c++) {
      const usd = priceOf[c]!;
      let at = c;
      while (at > 0 && priceOf[order[at - 1]!]! > usd) {
        order[at] = order[at - 1]!;
        at--;
      }
      order[at] = c;
    }
  }

  // --- the per-request minima ------------------------------------------------------------------

  /**
   * Sets `sloUsd` and `anyUsd`: the least a router could pay for the request to succeed within
   * its bound, and at all, over every candidate and attempt number. A candidate whose price
   * does not depend on time or draws is looked at cheapest first, only until one meets the bound.
   */
  private minima(request: ImageRequest, deadlineMs: number): void {
    const arrivalMs = request.arrivalMs;
    const sloSpanMs = deadlineMs - arrivalMs + EPS_MS;
    let sloUsd = Infinity;
    let anyUsd = Infinity;
    const order = this.order;
    for (let r = 0; r < this.nCand; r++) {
      const c = order[r]!;
      const p = this.providers[this.candProvider[c]!]!;
      const constant = !p.timeVarying && !p.usesService;
      // Candidates come cheapest first, and a constant price is the price at any instant.
      if (constant && this.candPrice[c]! >= sloUsd) continue;
      const tier = this.candTier[c]!;
      for (let visit = 0; visit < this.maxAttempts; visit++) {
        let serviceMs: number;
        if (visit === 0) {
          if (this.firstDraw(request, c) !== DRAW_OK) continue;
          serviceMs = this.candServiceMs[c]!;
        } else {
          const draw = this.draw;
          p.rt.drawAttempt(request, visit, tier, draw);
          if (draw.kind !== 'success' || !(draw.ms <= this.timeoutMs + EPS_MS)) continue;
          serviceMs = draw.ms;
        }
        const inSlo = serviceMs <= sloSpanMs;
        let any: number;
        let slo: number;
        if (constant) {
          any = this.candPrice[c]!;
          slo = any;
        } else if (!p.timeVarying) {
          any = this.priceAt(p, request, tier, arrivalMs, undefined, serviceMs);
          slo = any;
        } else {
          any = this.spanPrice(p, request, tier, arrivalMs, Infinity, serviceMs);
          slo = inSlo ? this.spanPrice(p, request, tier, arrivalMs, Math.max(arrivalMs, deadlineMs - serviceMs), serviceMs) : Infinity;
        }
        if (any < anyUsd) anyUsd = any;
        if (inSlo && slo < sloUsd) sloUsd = slo;
        // Later attempts draw other times, but at a constant price they cannot do better.
        if (constant && inSlo) break;
      }
    }
    this.sloUsd = sloUsd;
    this.anyUsd = anyUsd;
  }

  /**
   * A lower bound of the price over send times in [fromMs, toMs]: the largest off-peak discount
   * and the lowest dynamic multiplier (from the highest a(t)) found anywhere in the span.
   */
  private spanPrice(p: OracleProvider, request: ImageRequest, tier: number, fromMs: number, toMs: number, serviceMs: number): number {
    const availability = p.dynamic ? p.rt.curve.upperBound(fromMs, toMs) : undefined;
    if (p.scheduled) {
      let best = Infinity;
      const n = cheapestInstantsIn(p.compiled, fromMs, toMs, request.urgency, this.instants);
      for (let i = 0; i < n; i++) best = Math.min(best, this.priceAt(p, request, tier, this.instants[i]!, availability, serviceMs));
      return best;
    }
    const atMs = p.offPeak ? offPeakBestIn(p.compiled, fromMs, toMs, request.urgency) : fromMs;
    return this.priceAt(p, request, tier, atMs, availability, serviceMs);
  }

  /** The price of an attempt as the engine fixes it (engine.ts `fixPrice`), credits at the account's cheapest rate. */
  private priceAt(p: OracleProvider, request: ImageRequest, tier: number, atMs: number, availability: number | undefined, serviceMs: number | undefined): number {
    const o = this.opts;
    o.atMs = atMs;
    o.tier = p.tierNames[tier];
    o.availability = availability;
    o.serviceMs = serviceMs;
    o.creditValueUsd = undefined;
    const usd = Number.isNaN(p.creditUsd);
    const entry = pricingInForce(p.compiled, atMs);
    if (entry.pricer.usesServiceTime) return usd ? price(p.compiled, request, o) : creditsFor(p.compiled, request, o) * p.creditUsd;
    // The same amounts from the shape's untimed part, computed once per shape (shape-memo.ts).
    const m = p.shapes.lookup(entry, request, o.tier);
    if (usd && p.shapes.timeless) return m.usd;
    return usd ? priceFromUntimed(p.compiled, request, m.untimed, o) : priceFromUntimed(p.compiled, request, m.untimed, o, false) * p.creditUsd;
  }

  // --- the capacity-aware plan -----------------------------------------------------------------

  /** Plans a request at its arrival: now, or held for a cheaper instant before its deadline. */
  private plan(request: ImageRequest, deadlineMs: number): void {
    const now = request.arrivalMs;
    if (this.anyTimeVarying && request.urgency === 'batch' && deadlineMs < Infinity) {
      const at = this.cheaperInstant(request, deadlineMs);
      if (at > now) {
        this.hold(request, deadlineMs, at);
        return;
      }
    }
    this.place(request, now, deadlineMs);
  }

  /**
   * The instant before the deadline at which some candidate whose
   * first attempt succeeds is cheapest, when cheaper than any now: the start of the best
   * off-peak window in reach, or the best of a scan for dynamic prices. Else the arrival.
   */
  private cheaperInstant(request: ImageRequest, deadlineMs: number): number {
    const now = request.arrivalMs;
    let best = Infinity;
    for (let c = 0; c < this.nCand; c++) if (this.firstDraw(request, c) === DRAW_OK) best = Math.min(best, this.candPrice[c]!);
    let bestAt = now;
    for (let c = 0; c < this.nCand; c++) {
      const p = this.providers[this.candProvider[c]!]!;
      if (!p.timeVarying || this.candDraw[c] !== DRAW_OK) continue;
      const tier = this.candTier[c]!;
      const serviceMs = this.candServiceMs[c]!;
      // Past the window's end too: the engine runs deferred work whenever it is sent.
      const latestMs = deadlineMs - serviceMs;
      if (!(latestMs > now)) continue;
      const consider = (t: number): void => {
        const usd = this.priceAt(p, request, tier, t, p.dynamic ? p.rt.curve.at(t) : undefined, p.usesService ? serviceMs : undefined);
        if (usd < best) {
          best = usd;
          bestAt = t;
        }
      };
      if (p.scheduled) {
        const n = cheapestInstantsIn(p.compiled, now, latestMs, request.urgency, this.instants);
        for (let i = 0; i < n; i++) consider(this.instants[i]!);
      } else if (p.offPeak) consider(offPeakBestIn(p.compiled, now, latestMs, request.urgency));
      if (p.dynamic) for (let s = 1; s <= DYNAMIC_SCAN_POINTS; s++) consider(now + ((latestMs - now) * s) / DYNAMIC_SCAN_POINTS);
    }
    return bestAt;
  }

  private hold(request: ImageRequest, deadlineMs: number, atMs: number): void {
    const n = this.nCand;
    const held: Held = { request, deadlineMs, providers: this.candProvider.slice(0, n), tiers: this.candTier.slice(0, n), waits: 0 };
    let ref = this.freeHeld.pop();
    if (ref === undefined) {
      ref = this.held.length;
      this.held.push(held);
    } else this.held[ref] = held;
    this.pending.push(atMs, 0, ref);
  }

  /** A held request's instant has come: place it at the prices then, or wait for a slot. */
  private settleHeld(ref: number, nowMs: number): void {
    const held = this.held[ref]!;
    this.nCand = 0;
    for (let j = 0; j < held.providers.length; j++) this.addCandidate(held.providers[j]!, held.tiers[j]!);
    this.priceCandidates(held.request, nowMs);
    const waitUntil = this.place(held.request, nowMs, held.deadlineMs, held.waits < MAX_WAITS);
    if (waitUntil > nowMs) {
      held.waits++;
      this.pending.push(waitUntil, 0, ref);
      return;
    }
    this.held[ref] = undefined;
    this.freeHeld.push(ref);
  }

  /**
   * Books the cheapest candidate (priced for now) whose first attempt succeeds within the SLO
   * bound with a slot in time, else the cheapest that succeeds at all, else counts the request
   * unserved.
   * @param request - the request
   * @param nowMs - send time
   * @param deadlineMs - its SLO completion deadline
   * @param mayWait - held work: when the cheapest candidate that can meet the bound is refused
   *   for capacity (no slot, a full queue, no rate-limit token), wait for it rather than pay more now
   * @returns the instant to try again when waiting, else NaN (booked, or counted unserved)
   */
  private place(request: ImageRequest, nowMs: number, deadlineMs: number, mayWait = false): number {
    const order = this.order;
    const priceOf = this.candPrice;
    let cheapestTried = false;
    for (let pass = 0; pass < 2; pass++) {
      const withinSlo = pass === 0;
      for (let r = 0; r < this.nCand; r++) {
        const c = order[r]!;
        if (this.firstDraw(request, c) !== DRAW_OK) continue;
        const serviceMs = this.candServiceMs[c]!;
        if (withinSlo && nowMs + serviceMs > deadlineMs + EPS_MS) continue;
        const first = withinSlo && !cheapestTried;
        cheapestTried = true;
        const p = this.providers[this.candProvider[c]!]!;
        const rt = p.rt;
        const startMs = p.book.startAt(nowMs, rt.slots(nowMs));
        let retryAtMs = Number.NaN;
        if (Number.isNaN(startMs)) retryAtMs = p.book.retryAtMs;
        else {
          const endMs = startMs + serviceMs;
          if (endMs - nowMs > this.timeoutMs + EPS_MS || (withinSlo && endMs > deadlineMs + EPS_MS) || rt.account.quotaExhausted(nowMs)) continue;
          const tokenWaitMs = rt.account.take(nowMs);
          if (tokenWaitMs <= 0) {
            p.book.commit(nowMs, startMs, endMs);
            const usd = priceOf[c]!;
            rt.account.addSpend(usd, nowMs);
            if (this.budgeted) this.budgeted.add(nowMs, request.project, usd, withinSlo);
            else {
              this.planUsd += usd;
              if (withinSlo) this.withinSlo++;
              else this.late++;
            }
            return Number.NaN;
          }
          retryAtMs = nowMs + tokenWaitMs;
        }
        if (mayWait && first && retryAtMs > nowMs && retryAtMs + serviceMs <= deadlineMs) return retryAtMs;
      }
    }
    this.unserved++;
    return Number.NaN;
  }
}

/**
 * Runs the hindsight oracle over a scenario's traffic.
 * @param scenario - the resolved scenario (overrides applied)
 * @param curves - availability curves (`availabilityCurves(scenario)`), shared with the strategies' runs
 * @param source - a fresh stream of the run's requests
 * @param opts - service logs of the strategies' runs, progress
 * @returns the result, the logs' lower bounds, and mismatches
 */
export function runOracle(scenario: ResolvedScenario, curves: readonly AvailabilityCurve[], source: RequestSource, opts: OracleOptions = {}): OracleRun {
  return new HindsightOracle(scenario, curves).run(source, opts);
}

/**
 * A strategy's regret: its cost against the oracle's plan, and the lower bound for its service.
 * Differences within float noise of exact equality (1e-9 of the amounts) are written 0.
 * @param costUsd - the strategy's `cost.total`
 * @param oracleUsd - the oracle's `cost`
 * @param lowerBoundUsd - the least any router could have paid for the strategy's service
 * @returns `{ usd, ratio, lowerBound }`; `ratio` is 0 when both costs are 0, Infinity when only the oracle's is
 */
export function regretReport(costUsd: number, oracleUsd: number, lowerBoundUsd: number): RegretReport {
  const noise = MONEY_NOISE * Math.max(Math.abs(costUsd), Math.abs(oracleUsd));
  const usd = Math.abs(costUsd - oracleUsd) <= noise ? 0 : costUsd - oracleUsd;
  const ratio = usd === 0 ? 0 : oracleUsd > 0 ? costUsd / oracleUsd - 1 : Infinity;
  // The bound never exceeds the cost; a sum in another order may, by float noise.
  const lowerBound = lowerBoundUsd > costUsd && lowerBoundUsd - costUsd <= MONEY_NOISE * costUsd ? costUsd : lowerBoundUsd;
  return { usd, ratio, lowerBound };
}
