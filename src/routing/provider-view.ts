/**
 * The provider views and statistics a strategy reads through `RoutingContext`, shared by the
 * simulator and the live harness. A harness owns one `ProviderHandle` per provider per run and
 * feeds it what it sees (sends, outcomes, queue lengths); views read it without allocating.
 */
import { AvailabilityCurve } from '../model/availability.js';
import { makeSampler, serviceScale, type LatencySampler } from '../model/latency.js';
import { validatorCallUsd } from '../model/pricing/pipeline.js';
import { compilePricing, creditsFor, price, priceFromUntimed, pricingInForce, quote, refusal, type CompiledPricing } from '../model/pricing/quote.js';
import { ShapeMemo } from '../model/pricing/shape-memo.js';
import type { PriceOptions, Quote } from '../model/pricing/types.js';
import type { ImageRequest } from '../model/request.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import type { Policy } from '../scenario/schema.js';
import { CircuitBreaker } from './policy.js';
import type { BreakerState, ProviderStats, ProviderView } from './strategy.js';

/** One remembered answer of `refusal`. */
interface Memo {
  size: string;
  steps: number;
  features: readonly string[] | undefined;
  quality: string | undefined;
  tier: string | undefined;
  ok: boolean;
}

/** What a provider's price of a request reads besides its shape (`ProviderHandle.shapePricing`). */
export interface ShapePricing {
  /** The prompt's length (pricing by prompt tokens). */
  readonly promptChars: boolean;
  /** The urgency (a validation bundle discount for some urgencies). */
  readonly urgency: boolean;
}

/** Smoothing of the latency EWMA that `ProviderStats.ewmaLatencyMs` reports. */
const LATENCY_ALPHA = 0.2;
/** What `priceAt` passes as a(t) to pricing that does not read it (no dynamic pricing). */
const NEUTRAL_AVAILABILITY = 0.5;
/** Smoothing of the error-rate EWMA (about the last 20 attempts). */
const ERROR_ALPHA = 0.05;

/** The clock a view prices at: the harness sets `now` before each routing call. */
export interface Clock {
  now: number;
}

/** Provider-side facts a harness can tell a view (queue length, credit balance). */
export interface ProviderProbe {
  /** Attempts waiting for a slot at the provider. */
  queued(): number;
  /** Slots currently usable (concurrency × availability). */
  slots(): number;
  /** Credits left on the account, or undefined without credits pricing. */
  creditsLeft(): number | undefined;
  /** What one credit being spent now cost, USD, or undefined for the pricing default. */
  creditValueUsd(): number | undefined;
}

/** One provider within one strategy's run: its view for strategies and its statistics. */
export class ProviderHandle implements ProviderView, ProviderStats {
  readonly id: string;
  readonly index: number;
  readonly tiers: readonly string[];
  readonly compiled: CompiledPricing;
  readonly circuit: CircuitBreaker | undefined;
  /** Service-time distribution of the reference request per tier. */
  private readonly samplerByTier: ReadonlyMap<string, LatencySampler>;
  private readonly opts: { -readonly [K in keyof PriceOptions]: PriceOptions[K] } = { atMs: 0 };

  /**
   * The scenario's validator when it checks this provider's validated requests (no bundle here):
   * `price` and `priceAt` add its call. Undefined otherwise (live mode, no validator, a bundle).
   */
  validator: CompiledPricing | undefined = undefined;
  inFlight = 0;
  ewmaLatencyMs = Number.NaN;
  errorRate = 0;
  attempts = 0;

  /**
   * @param spec - the provider
   * @param clock - the harness clock
   * @param curve - the provider's availability a(t)
   * @param probe - provider-side facts
   * @param policy - for the circuit breaker settings
   */
  constructor(
    readonly spec: ResolvedProvider,
    private readonly clock: Clock,
    private readonly curve: AvailabilityCurve,
    private readonly probe: ProviderProbe,
    policy: Policy,
  ) {
    this.id = spec.id;
    this.index = spec.index;
    this.tiers = spec.tierList.map((t) => t.name);
    this.compiled = compilePricing(spec);
    this.shapes = new ShapeMemo(this.compiled);
    this.shapeReads = Object.freeze({ promptChars: this.compiled.pricer.readsPrompt, urgency: this.compiled.bundleDiscount > 0 });
    this.circuit = policy.circuitBreaker ? new CircuitBreaker(policy.circuitBreaker) : undefined;
    this.samplerByTier = new Map(spec.tierList.map((t) => [t.name, makeSampler(t.latency)]));
  }

  /** The statistics strategies read (this object). */
  get stats(): ProviderStats {
    return this;
  }

  get queued(): number {
    return this.probe.queued();
  }

  get creditsLeft(): number | undefined {
    return this.probe.creditsLeft();
  }

  /** Breaker state now (closed without a configured breaker). */
  get breaker(): BreakerState {
    return this.circuit ? this.circuit.state(this.clock.now) : 'closed';
  }

  private fill(atMs: number, tier: string | undefined, availability: number): PriceOptions {
    const o = this.opts;
    o.atMs = atMs;
    o.tier = tier;
    o.availability = availability;
    o.serviceMs = undefined;
    o.creditValueUsd = this.compiled.model.unit === 'credits' ? this.probe.creditValueUsd() : undefined;
    return o;
  }

  quote(request: ImageRequest, tier?: string): Quote {
    const now = this.clock.now;
    return quote(this.compiled, request, { ...this.fill(now, tier, this.curve.at(now)) });
  }

  price(request: ImageRequest, tier?: string): number {
    if (!this.servable(request, tier)) return Infinity;
    const now = this.clock.now;
    const memo = this.shapes;
    let usd: number;
    if (memo.timeless) usd = memo.lookup(this.compiled, request, tier).usd;
    else {
      const opts = this.fill(now, tier, this.curve.at(now));
      usd = priceFromUntimed(this.compiled, request, memo.lookup(pricingInForce(this.compiled, now), request, tier).untimed, opts);
    }
    return this.validator !== undefined && request.validate ? usd + validatorCallUsd(this.validator, request, now) : usd;
  }

  // The untimed part of each request shape priced here: routing prices every provider for every
  // request, a deferral scan one request at dozens of instants, and the simulator the chosen
  // provider again when it sends; only the instant's factors are computed each time.
  private readonly shapes: ShapeMemo;

  priceAt(request: ImageRequest, atMs: number, tier?: string): number {
    if (!this.servable(request, tier)) return Infinity;
    // The entry of a price schedule in force then (the pricing itself without one).
    const entry = pricingInForce(this.compiled, atMs);
    // Only dynamic pricing reads the availability: the curve is not evaluated for the others.
    const availability = entry.dynamicRange === undefined ? NEUTRAL_AVAILABILITY : this.curve.expectedAt(atMs);
    const m = this.shapes.lookup(entry, request, tier);
    const usd = this.shapes.timeless ? m.usd : priceFromUntimed(this.compiled, request, m.untimed, this.fill(atMs, tier, availability));
    return this.validator !== undefined && request.validate ? usd + validatorCallUsd(this.validator, request, atMs) : usd;
  }

  /**
   * What the simulator fixes for an attempt sent now: its USD price or, with a credits ledger,
   * its credits (`price` / `creditsFor` with the drawn service time and the default credit
   * value), the validator's call not included.
   * @param request - the attempt's request
   * @param tier - its tier
   * @param availability - a(t) now
   * @param serviceMs - the drawn service time (0 for a fast failure)
   * @param credits - credits rather than USD
   * @returns USD, or credits
   */
  fixedAmount(request: ImageRequest, tier: string | undefined, availability: number, serviceMs: number, credits: boolean): number {
    const now = this.clock.now;
    const entry = pricingInForce(this.compiled, now);
    // Compute-time pricing reads the drawn service time in its untimed part.
    const memo = entry.pricer.usesServiceTime ? undefined : this.shapes.lookup(entry, request, tier);
    if (memo !== undefined && this.shapes.timeless) return memo.usd;
    const o = this.opts;
    o.atMs = now;
    o.tier = tier;
    o.availability = availability;
    o.serviceMs = serviceMs;
    o.creditValueUsd = undefined;
    if (memo !== undefined) return priceFromUntimed(this.compiled, request, memo.untimed, o, !credits);
    return credits ? creditsFor(this.compiled, request, o) : price(this.compiled, request, o);
  }

  canServe(request: ImageRequest, tier?: string): boolean {
    return this.servable(request, tier);
  }

  /**
   * How `price` and `canServe` can change from one request to the next: undefined when the price
   * depends on the instant too (a price schedule, off-peak windows, dynamic pricing, credits);
   * else which request fields beyond the shape it reads (`RequestShape`): then two requests of
   * one shape get the same answers at every instant. Undefined as well when a validator's call
   * is priced in (rare; not worth the case).
   * @returns the fields, or undefined
   */
  shapePricing(): ShapePricing | undefined {
    return this.shapes.timeless && this.validator === undefined ? this.shapeReads : undefined;
  }

  private readonly shapeReads: ShapePricing;

  // A two-entry memo of `refusal`: synthetic requests of one class share their size, feature
  // array and quality, so checks mostly repeat; steps matter only under `supports.maxSteps`.
  private memo0: Memo = { size: '', steps: -1, features: undefined, quality: undefined, tier: undefined, ok: false };
  private memo1: Memo = { size: '', steps: -1, features: undefined, quality: undefined, tier: undefined, ok: false };

  private servable(request: ImageRequest, tier: string | undefined): boolean {
    const steps = this.spec.supports.maxSteps === undefined ? -1 : request.steps;
    let m = this.memo0;
    if (m.size === request.size && m.steps === steps && m.features === request.features && m.quality === request.quality && m.tier === tier) {
      return m.ok;
    }
    m = this.memo1;
    if (m.size === request.size && m.steps === steps && m.features === request.features && m.quality === request.quality && m.tier === tier) {
      return m.ok;
    }
    // A miss replaces the older entry.
    this.memo1 = this.memo0;
    this.memo0 = m;
    m.ok = refusal(this.compiled, request, tier) === undefined;
    m.size = request.size;
    m.steps = steps;
    m.features = request.features;
    m.quality = request.quality;
    m.tier = tier;
    return m.ok;
  }

  predictLatencyMs(request: ImageRequest, tier?: string, quantile = 0.5): number {
    const sampler = this.samplerByTier.get(tier ?? this.spec.defaultTier);
    if (sampler === undefined) return Infinity;
    const referenceMs = quantile === 0.5 ? sampler.median : sampler.quantile(quantile);
    const serviceMs = referenceMs * serviceScale(this.spec, request.steps, request.width, request.height);
    const slots = this.probe.slots();
    if (slots <= 0) return Infinity;
    // In flight = holding a slot or queued. A new request waits when every slot is busy: about
    // (queued + 1) services spread over the slots.
    const queued = this.probe.queued();
    const running = this.inFlight - queued;
    if (running < slots && queued === 0) return serviceMs;
    return serviceMs + ((queued + 1) * serviceMs) / slots;
  }

  /**
   * Records that an attempt was sent.
   * @param nowMs - current time
   * @returns true when the attempt is the circuit breaker's half-open trial
   */
  onSend(nowMs: number): boolean {
    this.inFlight++;
    this.attempts++;
    return this.circuit ? this.circuit.onSend(nowMs) : false;
  }

  /**
   * Records an attempt's answer.
   * @param ok - a usable image came back
   * @param breakerOk - what the breaker counts as success (filtered requests are the client's fault)
   * @param latencyMs - send to answer
   * @param nowMs - current time
   * @param trial - the attempt was the breaker's half-open trial
   */
  onAnswer(ok: boolean, breakerOk: boolean, latencyMs: number, nowMs: number, trial = false): void {
    this.inFlight--;
    this.errorRate += ERROR_ALPHA * ((ok ? 0 : 1) - this.errorRate);
    if (ok) this.ewmaLatencyMs = Number.isNaN(this.ewmaLatencyMs) ? latencyMs : this.ewmaLatencyMs + LATENCY_ALPHA * (latencyMs - this.ewmaLatencyMs);
    this.circuit?.onResult(breakerOk, nowMs, trial);
  }

  /**
   * Records that the client cancelled an attempt (a hedge loser): no longer in flight.
   * @param trial - the attempt was the breaker's half-open trial, which another may now replace
   */
  onCancel(trial = false): void {
    this.inFlight--;
    if (trial) this.circuit?.abandonTrial();
  }

  /**
   * Whether the breaker lets an attempt through now.
   * @param nowMs - current time
   * @returns true without a breaker
   */
  allows(nowMs: number): boolean {
    return this.circuit ? this.circuit.allow(nowMs) : true;
  }
}
