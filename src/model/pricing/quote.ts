/**
 * The price of one request at one provider. `compilePricing` does the per-provider work once;
 * `price` is the one implementation of the arithmetic (docs/contract.md §2.1), used bare on the simulator's
 * hot path and with `lines` by `quote`, so the two can never disagree.
 *
 * Order of the factors: model base → resolution → step scaling → quality → feature multipliers
 * → feature add-ons → validation → validation bundle discount → off-peak → dynamic → tier
 * → credit rounding (`rounding: up`) → credit value (credits pricing only).
 */
import { ImgsimError } from '../../scenario/errors.js';
import type { Feature, Pricing, Urgency } from '../../scenario/schema.js';
import type { PriceSchedule, ResolvedProvider } from '../../scenario/resolve.js';
import { parseSize, type Size } from '../../scenario/units.js';
import { makeSampler, serviceScale } from '../latency.js';
import { inDailyWindow, localMsOfDay, tzOffsetMs } from '../time.js';
import { list, num } from './_format.js';
import { qualityTable, qualityValue, type QualityTable } from './_quality.js';
import { ALL_URGENCIES, appliesToMask, appliesToText, urgencyBit, type UrgencyMask } from './applies-to.js';
import { PRICING_MODELS } from './registry.js';
import type { ModelPricer, PriceLine, PriceOptions, PricingModel, Quote, QuoteRequest, Refusal } from './types.js';

const MS_PER_MINUTE = 60_000;
const DAY_MS = 86_400_000;
/** A window start that a daylight-saving jump skipped is looked for this far on, in these steps. */
const SKIPPED_START_SEARCH_MS = 2 * 3_600_000;
const SKIPPED_START_STEP_MS = 15 * MS_PER_MINUTE;

/** Dynamic pricing without an availability reading assumes a(t) = 0.5, where the multiplier is 1. */
const NEUTRAL_AVAILABILITY = 0.5;

/** A tier as pricing needs it. */
export interface CompiledTier {
  readonly name: string;
  readonly priceMultiplier: number;
  /** Median service time of the reference request on this tier, ms. */
  readonly medianServiceMs: number;
}

/** An off-peak window with its bounds in minutes after local midnight. */
export interface CompiledOffPeak {
  readonly fromMin: number;
  readonly toMin: number;
  readonly tz: string;
  readonly discount: number;
  /** The urgencies the discount is for (`appliesTo`). */
  readonly appliesTo: UrgencyMask;
  /** `02:00–06:00 UTC`, for the line label. */
  readonly label: string;
}

/**
 * A price schedule compiled to breakpoints: segment k is in force from `froms[k]` to
 * `froms[k + 1]`, priced by `entries[k]` × `multipliers[k]`. Finding the segment of an instant is
 * O(1) amortised: the last one found is tried first (time mostly moves forward), else a binary search.
 */
export interface CompiledSchedule {
  readonly froms: Float64Array;
  /** The compiled pricing of each segment's entry (shared between segments of one entry). */
  readonly entries: readonly CompiledPricing[];
  readonly multipliers: Float64Array;
  /** What is in force in each segment, for the quote. */
  readonly labels: readonly string[];
  /** The segment found last (a hint only: any value gives the same answers). */
  cursor: number;
}

/** One provider's pricing, with everything that does not depend on the request precomputed. */
export interface CompiledPricing {
  /**
   * The price schedule, when the price changes over time; then the other fields are those of
   * the pricing in force at the start (what refusals read: a schedule does not change the offer).
   */
  readonly schedule: CompiledSchedule | undefined;
  readonly provider: ResolvedProvider;
  readonly pricing: Pricing;
  readonly model: PricingModel;
  readonly pricer: ModelPricer;
  readonly tiers: ReadonlyMap<string, CompiledTier>;
  readonly defaultTier: CompiledTier;
  /** Pixels of `resolution.reference` when it scales linearly, else 0 (no resolution factor). */
  readonly referencePixels: number;
  readonly referenceSize: string;
  /** `steps.included` when step scaling is linear, else 0 (no step factor). */
  readonly includedSteps: number;
  /** The `quality` multipliers, when set. */
  readonly quality: QualityTable | undefined;
  readonly featureMultiply: ReadonlyMap<Feature, number>;
  readonly featureAdd: ReadonlyMap<Feature, number>;
  /** `validation.price`, or undefined when the provider offers no validation pricing. */
  readonly validationPrice: number | undefined;
  readonly bundleDiscount: number;
  /** The urgencies the bundle discount is for (`validation.appliesTo`). */
  readonly bundleAppliesTo: UrgencyMask;
  readonly offPeak: readonly CompiledOffPeak[];
  /** `dynamic.range`, or undefined without dynamic pricing. */
  readonly dynamicRange: number | undefined;
  /** Default USD per credit for `credits` pricing (first bundle, else `creditPrice`, else 0). */
  readonly creditValueUsd: number;
  /** `credits` pricing with `rounding: up`: each image consumes whole credits. */
  readonly roundCreditsUp: boolean;
  readonly supportedSizes: ReadonlySet<string> | undefined;
  readonly maxSteps: number | undefined;
  readonly supportedFeatures: ReadonlySet<Feature>;
  readonly supportedQualities: ReadonlySet<string> | undefined;
}

const compiledByProvider = new WeakMap<ResolvedProvider, CompiledPricing>();

function hhmm(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

function pixels(size: Size): number {
  return size.width * size.height;
}

/**
 * Compiles a provider's pricing once (memoised per provider object): tables become maps, sizes
 * are parsed, tiers are indexed by name, so `price` allocates nothing.
 * @param provider - a resolved provider
 * @returns the compiled pricing
 */
export function compilePricing(provider: ResolvedProvider): CompiledPricing {
  const cached = compiledByProvider.get(provider);
  if (cached !== undefined) return cached;
  const schedule = provider.priceSchedule;
  const compiled = compileEntry(provider, provider.pricing, schedule === undefined ? undefined : compileSchedule(provider, schedule));
  compiledByProvider.set(provider, compiled);
  return compiled;
}

function compileSchedule(provider: ResolvedProvider, schedule: PriceSchedule): CompiledSchedule {
  const entries = schedule.entries.map((p) => compileEntry(provider, p, undefined));
  const breaks = schedule.breaks;
  return {
    froms: Float64Array.from(breaks, (b) => b.fromMs),
    entries: breaks.map((b) => entries[b.entry]!),
    multipliers: Float64Array.from(breaks, (b) => b.multiply),
    labels: breaks.map((b) => b.label),
    cursor: 0,
  };
}

/**
 * The segment of a schedule in force at an instant.
 * @param s - the compiled schedule
 * @param atMs - the instant, epoch ms
 * @returns the segment's index
 */
export function segmentAt(s: CompiledSchedule, atMs: number): number {
  const froms = s.froms;
  const n = froms.length;
  const k = s.cursor;
  if (atMs >= froms[k]! && (k + 1 === n || atMs < froms[k + 1]!)) return k;
  if (k + 1 < n && atMs >= froms[k + 1]! && (k + 2 === n || atMs < froms[k + 2]!)) return (s.cursor = k + 1);
  // Largest index with froms[i] <= atMs; froms[0] is -Infinity.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (froms[mid]! <= atMs) lo = mid;
    else hi = mid - 1;
  }
  return (s.cursor = lo);
}

/**
 * The compiled pricing in force at an instant: the entry of a schedule's segment, or the
 * pricing itself when it has no schedule. {@link untimedPrice} of a scheduled pricing is computed
 * on it.
 * @param compiled - from {@link compilePricing}
 * @param atMs - the instant, epoch ms
 * @returns the compiled pricing of the entry in force
 */
export function pricingInForce(compiled: CompiledPricing, atMs: number): CompiledPricing {
  const s = compiled.schedule;
  return s === undefined ? compiled : s.entries[segmentAt(s, atMs)]!;
}

function compileEntry(provider: ResolvedProvider, pricing: Pricing, schedule: CompiledSchedule | undefined): CompiledPricing {
  // The registry maps each name to the model for exactly that variant of `Pricing`.
  const model = PRICING_MODELS[pricing.model] as PricingModel;
  const pricer = model.compile(pricing, provider);

  const tiers = new Map<string, CompiledTier>();
  for (const t of provider.tierList) {
    tiers.set(t.name, { name: t.name, priceMultiplier: t.priceMultiplier, medianServiceMs: makeSampler(t.latency).median });
  }
  const defaultTier = tiers.get(provider.defaultTier) ?? tiers.values().next().value;
  // The schema requires at least one tier; this guards providers built by hand.
  if (defaultTier === undefined) throw new ImgsimError('internal', `provider ${provider.id} has no tiers; give it at least one under \`tiers\``);

  let referencePixels = 0;
  const referenceSize = pricing.resolution?.reference ?? provider.reference.size;
  if (pricing.resolution?.scaling === 'linear') {
    const ref = parseSize(pricing.resolution.reference);
    if ('width' in ref) referencePixels = pixels(ref);
  }

  const featureMultiply = new Map<Feature, number>();
  const featureAdd = new Map<Feature, number>();
  for (const [name, charge] of Object.entries(pricing.features ?? {}) as [Feature, { add: number } | { multiply: number }][]) {
    if ('add' in charge) featureAdd.set(name, charge.add);
    else featureMultiply.set(name, charge.multiply);
  }

  const offPeak = (pricing.offPeak ?? []).map(
    (w): CompiledOffPeak => ({
      fromMin: w.from,
      toMin: w.to,
      tz: w.tz,
      discount: w.discount,
      appliesTo: appliesToMask(w.appliesTo),
      label: `${hhmm(w.from)}–${hhmm(w.to)} ${w.tz}`,
    }),
  );

  let creditValueUsd = 0;
  if (pricing.model === 'credits') {
    const first = pricing.bundles[0];
    creditValueUsd = first !== undefined ? first.price / first.credits : (pricing.creditPrice ?? 0);
  }

  return {
    schedule,
    provider,
    pricing,
    model,
    pricer,
    tiers,
    defaultTier,
    referencePixels,
    referenceSize,
    includedSteps: pricing.steps?.scaling === 'linear' ? pricing.steps.included : 0,
    quality: pricing.quality === undefined ? undefined : qualityTable(pricing.quality),
    featureMultiply,
    featureAdd,
    validationPrice: pricing.validation?.price,
    bundleDiscount: pricing.validation?.bundleDiscount ?? 0,
    bundleAppliesTo: appliesToMask(pricing.validation?.appliesTo),
    offPeak,
    dynamicRange: pricing.dynamic?.range,
    creditValueUsd,
    roundCreditsUp: pricing.model === 'credits' && pricing.rounding === 'up',
    supportedSizes: provider.supports.sizes === undefined ? undefined : new Set(provider.supports.sizes),
    maxSteps: provider.supports.maxSteps,
    supportedFeatures: new Set(provider.supports.features),
    supportedQualities: provider.supports.qualities === undefined ? undefined : new Set(provider.supports.qualities),
  };
}

/**
 * The dynamic-pricing multiplier: 1 + range × (1 − 2·a), clipped to [1 − range, 1 + range].
 * @param range - `dynamic.range`
 * @param availability - a(t) in [0, 1]
 * @returns the multiplier
 */
export function dynamicMultiplier(range: number, availability: number): number {
  // Clip a(t) first: with a huge |a|, 1 − 2a overflows and range 0 × Infinity would be NaN.
  const a = availability < 0 ? 0 : availability > 1 ? 1 : availability;
  const m = 1 + range * (1 - 2 * a);
  return Math.min(1 + range, Math.max(1 - range, m));
}

/**
 * The largest off-peak discount in force at an instant for a request of one urgency (windows
 * may wrap midnight, each reads its own time zone, and a window applies only to the urgencies
 * of its `appliesTo`).
 * @param compiled - compiled pricing
 * @param atMs - the instant, epoch ms
 * @param urgency - the request's urgency
 * @returns the index of the winning window in `compiled.offPeak`, or -1 when none applies
 */
export function offPeakWindowAt(compiled: CompiledPricing, atMs: number, urgency: Urgency): number {
  return windowAt(compiled, atMs, urgencyBit(urgency));
}

/** {@link offPeakWindowAt} for the urgencies of a mask (`ALL_URGENCIES`: any window in force). */
function windowAt(compiled: CompiledPricing, atMs: number, mask: UrgencyMask): number {
  let best = -1;
  let bestDiscount = 0;
  const windows = compiled.offPeak;
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i]!;
    if (w.discount <= bestDiscount || (w.appliesTo & mask) === 0) continue;
    if (inDailyWindow(localMsOfDay(w.tz, atMs) / MS_PER_MINUTE, w.fromMin, w.toMin)) {
      best = i;
      bestDiscount = w.discount;
    }
  }
  return best;
}

/**
 * An instant in the span [fromMs, toMs] (toMs may be Infinity) at which the largest off-peak
 * discount for a request of this urgency in force anywhere in the span applies: `fromMs`
 * itself, or the first start of a window with a larger discount inside the span (daylight-saving
 * shifts and skipped starts accounted for). Pricing at the returned instant gives the lowest
 * off-peak factor of the span; a window whose `appliesTo` leaves the urgency out is never waited for.
 * @param compiled - compiled pricing
 * @param fromMs - start of the span, epoch ms
 * @param toMs - end of the span, epoch ms (inclusive), at least fromMs
 * @param urgency - the request's urgency
 * @returns the instant, epoch ms; `fromMs` when no window in the span beats the one at `fromMs`
 */
export function offPeakBestIn(compiled: CompiledPricing, fromMs: number, toMs: number, urgency: Urgency): number {
  const windows = compiled.offPeak;
  const mask = urgencyBit(urgency);
  const discountAt = (t: number): number => {
    const j = t >= fromMs && t <= toMs ? windowAt(compiled, t, mask) : -1;
    return j < 0 ? 0 : windows[j]!.discount;
  };
  let bestAt = fromMs;
  let bestDiscount = discountAt(fromMs);
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i]!;
    if (w.discount <= bestDiscount || w.fromMin === w.toMin || (w.appliesTo & mask) === 0) continue;
    // The next local start of the window after fromMs, read with fromMs's zone offset ...
    const local = localMsOfDay(w.tz, fromMs);
    const first = fromMs + ((((w.fromMin * MS_PER_MINUTE - local) % DAY_MS) + DAY_MS) % DAY_MS);
    let found = -1;
    // ... and the day after, for a start a clock change skipped (a span of a day or more).
    for (let day = 0; found < 0 && day < 2; day++) {
      const naive = first + day * DAY_MS;
      if (naive - SKIPPED_START_SEARCH_MS > toMs) break;
      // Corrected for an offset change on the way.
      const corrected = naive - (tzOffsetMs(w.tz, naive) - tzOffsetMs(w.tz, fromMs));
      found = discountAt(corrected) >= w.discount ? corrected : discountAt(naive) >= w.discount ? naive : -1;
      // A start skipped by a spring-forward jump: the window begins at the jump, within two hours.
      for (let t = naive; found < 0 && t <= naive + SKIPPED_START_SEARCH_MS && t <= toMs; t += SKIPPED_START_STEP_MS) {
        if (discountAt(t) >= w.discount) found = t;
      }
    }
    if (found >= 0) {
      bestAt = found;
      bestDiscount = discountAt(found);
    }
  }
  return bestAt;
}

/**
 * Instants in [fromMs, toMs] among which the lowest price of the span (but for the dynamic
 * factor) is found: without a price schedule, the one of {@link offPeakBestIn}; with one, per
 * segment in the span, its start in the span or its entry's best off-peak instant there.
 * @param compiled - from {@link compilePricing}
 * @param fromMs - start of the span, epoch ms
 * @param toMs - end of the span, epoch ms (inclusive; may be Infinity)
 * @param urgency - the request's urgency (which off-peak windows apply)
 * @param out - receives the instants
 * @returns how many instants were written
 */
export function cheapestInstantsIn(compiled: CompiledPricing, fromMs: number, toMs: number, urgency: Urgency, out: number[]): number {
  const s = compiled.schedule;
  if (s === undefined) {
    out[0] = compiled.offPeak.length > 0 ? offPeakBestIn(compiled, fromMs, toMs, urgency) : fromMs;
    return 1;
  }
  let n = 0;
  const froms = s.froms;
  for (let k = segmentAt(s, fromMs); k < froms.length && froms[k]! <= toMs; k++) {
    const lo = Math.max(fromMs, froms[k]!);
    const hi = k + 1 < froms.length ? Math.min(toMs, froms[k + 1]! - 1) : toMs;
    const entry = s.entries[k]!;
    out[n++] = entry.offPeak.length > 0 ? offPeakBestIn(entry, lo, hi, urgency) : lo;
  }
  return n;
}

/** Relative float noise ignored when rounding credits up (0.1 × 3 × 10 is 3.0000000000000004: 3 credits, not 4). */
const CREDIT_NOISE = 1e-12;

/**
 * Credits rounded up to a whole number, as `rounding: up` sells them: ⌈credits⌉, ignoring float
 * noise below {@link CREDIT_NOISE} relative (so 2.0000000000000004 is 2, not 3).
 * @param credits - the credits one image costs, ≥ 0
 * @returns whole credits
 */
export function wholeCredits(credits: number): number {
  return Math.ceil(credits - credits * CREDIT_NOISE);
}

/**
 * A tier by name: the default tier when the name is undefined or the default's own (most
 * providers have one tier; no map lookup then), else from the map.
 * @param c - compiled pricing
 * @param name - the tier's name
 * @returns the tier, or undefined for an unknown name
 */
function tierNamed(c: CompiledPricing, name: string | undefined): CompiledTier | undefined {
  return name === undefined || name === c.defaultTier.name ? c.defaultTier : c.tiers.get(name);
}

function evaluate(compiled: CompiledPricing, r: QuoteRequest, opts: PriceOptions, lines: PriceLine[] | undefined, toUsd: boolean): number {
  const s = compiled.schedule;
  const k = s === undefined ? -1 : segmentAt(s, opts.atMs);
  const c = s === undefined ? compiled : s.entries[k]!;
  const tier = tierNamed(c, opts.tier);
  if (tier === undefined) return NaN;
  return applyTime(c, untimedAmount(c, r, tier, opts.serviceMs, lines), tier, r.urgency, opts, lines, toUsd, s, k);
}

/** The factors that do not depend on the instant: model base to the validation bundle discount. */
function untimedAmount(c: CompiledPricing, r: QuoteRequest, tier: CompiledTier, givenServiceMs: number | undefined, lines: PriceLine[] | undefined): number {
  const pricer = c.pricer;

  let serviceMs = 0;
  let serviceIsExpected = false;
  if (pricer.usesServiceTime) {
    if (givenServiceMs !== undefined) serviceMs = givenServiceMs;
    else {
      serviceMs = tier.medianServiceMs * serviceScale(c.provider, r.steps, r.width, r.height);
      serviceIsExpected = true;
    }
  }
  let amount = pricer.base(r, serviceMs, lines, serviceIsExpected);

  if (c.referencePixels > 0 && !pricer.sizePriced(r)) {
    const f = (r.width * r.height) / c.referencePixels;
    amount *= f;
    lines?.push({ factor: 'resolution', label: `${r.size} / ${c.referenceSize} reference pixels = ×${num(f)}`, op: 'multiply', value: f, subtotal: amount });
  }

  if (c.includedSteps > 0) {
    const f = Math.max(1, r.steps / c.includedSteps);
    amount *= f;
    lines?.push({ factor: 'step-scaling', label: `max(1, ${r.steps} steps / ${c.includedSteps} included) = ×${num(f)}`, op: 'multiply', value: f, subtotal: amount });
  }

  if (c.quality !== undefined && !pricer.qualityPriced(r)) {
    const f = qualityValue(c.quality, r.quality);
    amount *= f;
    if (lines !== undefined) {
      const name = r.quality ?? `${c.quality.first ?? '?'} (first listed)`;
      lines.push({ factor: 'quality', label: `quality ${name} ×${num(f)}`, op: 'multiply', value: f, subtotal: amount });
    }
  }

  const features = r.features;
  if (c.featureMultiply.size > 0) {
    for (let i = 0; i < features.length; i++) {
      const feature = features[i]!;
      const f = c.featureMultiply.get(feature);
      if (f === undefined) continue;
      amount *= f;
      lines?.push({ factor: `feature:${feature}`, label: `${feature} ×${num(f)}`, op: 'multiply', value: f, subtotal: amount });
    }
  }
  if (c.featureAdd.size > 0) {
    for (let i = 0; i < features.length; i++) {
      const feature = features[i]!;
      const add = c.featureAdd.get(feature);
      if (add === undefined) continue;
      amount += add;
      lines?.push({ factor: `feature:${feature}`, label: `${feature} +${num(add)}`, op: 'add', value: add, subtotal: amount });
    }
  }

  if (r.validate && c.validationPrice !== undefined) {
    amount += c.validationPrice;
    lines?.push({ factor: 'validation', label: `vision validation +${num(c.validationPrice)}`, op: 'add', value: c.validationPrice, subtotal: amount });
    if (c.bundleDiscount > 0) {
      const label = `generation + validation bundle −${num(c.bundleDiscount * 100)}%`;
      if ((c.bundleAppliesTo & urgencyBit(r.urgency)) !== 0) {
        const f = 1 - c.bundleDiscount;
        amount *= f;
        lines?.push({ factor: 'validation-bundle', label: `${label} = ×${num(f)}`, op: 'multiply', value: f, subtotal: amount });
      } else {
        lines?.push({ factor: 'validation-bundle', label: skippedLabel(label, c.bundleAppliesTo, r.urgency), op: 'multiply', value: 1, subtotal: amount });
      }
    }
  }

  return amount;
}

/**
 * The label of a discount left out for the request's urgency, saying why.
 * @param discount - the discount as its applied line would name it
 * @param appliesTo - the urgencies it is for
 * @param urgency - the request's urgency
 * @returns `<discount> is for batch work only: not applied to an interactive request (×1)`
 */
function skippedLabel(discount: string, appliesTo: UrgencyMask, urgency: Urgency): string {
  return `${discount} is for ${appliesToText(appliesTo)} only: not applied to ${urgency === 'interactive' ? 'an' : 'a'} ${urgency} request (×1)`;
}

/** The factors that depend on the instant (off-peak, dynamic), then the tier and the credit value. */
function applyTime(
  c: CompiledPricing,
  untimed: number,
  tier: CompiledTier,
  urgency: Urgency,
  opts: PriceOptions,
  lines: PriceLine[] | undefined,
  toUsd: boolean,
  schedule: CompiledSchedule | undefined,
  segment: number,
): number {
  let amount = untimed;
  if (c.offPeak.length > 0) {
    const i = offPeakWindowAt(c, opts.atMs, urgency);
    if (i >= 0) {
      const w = c.offPeak[i]!;
      const f = 1 - w.discount;
      amount *= f;
      lines?.push({ factor: 'off-peak', label: `off-peak ${w.label} −${num(w.discount * 100)}% = ×${num(f)}`, op: 'multiply', value: f, subtotal: amount });
    }
    if (lines !== undefined) {
      // A larger window in force that is for other urgencies: say why it was left out.
      const any = windowAt(c, opts.atMs, ALL_URGENCIES);
      const w = any >= 0 && (i < 0 || c.offPeak[any]!.discount > c.offPeak[i]!.discount) ? c.offPeak[any]! : undefined;
      if (w !== undefined) {
        const label = skippedLabel(`off-peak ${w.label} −${num(w.discount * 100)}%`, w.appliesTo, urgency);
        lines.push({ factor: 'off-peak', label, op: 'multiply', value: 1, subtotal: amount });
      }
    }
  }

  if (c.dynamicRange !== undefined) {
    const range = c.dynamicRange;
    const a = opts.availability ?? NEUTRAL_AVAILABILITY;
    const f = dynamicMultiplier(range, a);
    amount *= f;
    lines?.push({
      factor: 'dynamic',
      label: `availability ${num(a)}${opts.availability === undefined ? ' (assumed)' : ''}: 1 + ${num(range)} × (1 − 2 × ${num(a)}), within ±${num(range * 100)}% = ×${num(f)}`,
      op: 'multiply',
      value: f,
      subtotal: amount,
    });
  }

  if (tier.priceMultiplier !== 1) {
    amount *= tier.priceMultiplier;
    lines?.push({ factor: 'tier', label: `${tier.name} tier ×${num(tier.priceMultiplier)}`, op: 'multiply', value: tier.priceMultiplier, subtotal: amount });
  }

  if (schedule !== undefined) {
    const f = schedule.multipliers[segment]!;
    if (f !== 1) {
      amount *= f;
      lines?.push({ factor: 'schedule', label: `price schedule ${schedule.labels[segment]!}`, op: 'multiply', value: f, subtotal: amount });
    }
  }

  if (c.roundCreditsUp) {
    const whole = wholeCredits(amount);
    const add = whole - amount;
    lines?.push({ factor: 'credit-rounding', label: `rounding up: ⌈${num(amount)}⌉ = ${num(whole)} whole credits`, op: 'add', value: add, subtotal: whole });
    amount = whole;
  }

  if (toUsd && c.model.unit === 'credits') {
    const usdPerCredit = opts.creditValueUsd ?? c.creditValueUsd;
    const credits = amount;
    amount *= usdPerCredit;
    lines?.push({ factor: 'credit-value', label: `${num(credits)} credits × ${num(usdPerCredit)} per credit`, op: 'multiply', value: usdPerCredit, subtotal: amount });
  }
  return amount;
}

/**
 * The price of one request in USD: every factor of docs/contract.md §2.1 in order. Allocates nothing when
 * `lines` is undefined. Assumes the provider can serve the request (see {@link refusal}); for
 * one it cannot (unknown tier, size or quality missing from a table), the result is NaN.
 * @param compiled - from {@link compilePricing}
 * @param request - the request
 * @param opts - instant, tier, availability, service time, credit value
 * @param lines - when given, receives one line per factor
 * @returns total USD
 */
export function price(compiled: CompiledPricing, request: QuoteRequest, opts: PriceOptions, lines?: PriceLine[]): number {
  return evaluate(compiled, request, opts, lines, true);
}

/**
 * The part of {@link price} that does not depend on the instant: every factor up to the
 * validation bundle discount, for the median service time. With {@link priceFromUntimed} it
 * gives exactly `price` (the same operations in the same order), so a caller pricing one request
 * at many instants (a deferral scan) computes this once. With a price schedule, pass the entry in
 * force at the instants priced ({@link pricingInForce}): the untimed part differs between entries.
 * @param compiled - from {@link compilePricing}
 * @param request - the request
 * @param tierName - the tier; the default tier when undefined
 * @returns the untimed amount (NaN for an unknown tier)
 */
export function untimedPrice(compiled: CompiledPricing, request: QuoteRequest, tierName: string | undefined): number {
  const tier = tierNamed(compiled, tierName);
  return tier === undefined ? NaN : untimedAmount(compiled, request, tier, undefined, undefined);
}

/**
 * {@link price} from {@link untimedPrice}'s amount: off-peak, dynamic, tier and credit value at
 * `opts.atMs` (`opts.serviceMs` is ignored: the untimed amount fixed it); with `toUsd` false,
 * {@link creditsFor} from it.
 * @param compiled - from {@link compilePricing}
 * @param request - the request (its urgency decides which off-peak windows apply)
 * @param untimed - from {@link untimedPrice} for the same request and tier
 * @param opts - instant, tier, availability, credit value
 * @param toUsd - convert credits to USD (false: credits for `credits` pricing)
 * @returns total USD (credits when `toUsd` is false and the pricing is in credits)
 */
export function priceFromUntimed(compiled: CompiledPricing, request: QuoteRequest, untimed: number, opts: PriceOptions, toUsd = true): number {
  const s = compiled.schedule;
  const k = s === undefined ? -1 : segmentAt(s, opts.atMs);
  const c = s === undefined ? compiled : s.entries[k]!;
  const tier = tierNamed(c, opts.tier);
  return tier === undefined ? NaN : applyTime(c, untimed, tier, request.urgency, opts, undefined, toUsd, s, k);
}

/**
 * The credits one image consumes under `credits` pricing: every factor of {@link price} but the
 * final conversion to USD. For other models it is the USD price.
 * @param compiled - from {@link compilePricing}
 * @param request - the request
 * @param opts - instant, tier, availability
 * @returns credits (USD for models other than `credits`)
 */
export function creditsFor(compiled: CompiledPricing, request: QuoteRequest, opts: PriceOptions): number {
  return evaluate(compiled, request, opts, undefined, false);
}

/**
 * Why a provider cannot serve a request, or undefined when it can: an unknown tier, a size it
 * does not offer (`supports.sizes`, or missing from a per-image `sizes` or per-token
 * `outputTokens` table), too many steps, a feature it does not list in `supports.features`, or
 * a quality it does not offer.
 * @param compiled - from {@link compilePricing}
 * @param request - the request
 * @param tier - the tier asked for; the default tier when undefined
 * @returns the refusal, or undefined
 */
export function refusal(compiled: CompiledPricing, request: QuoteRequest, tier?: string): Refusal | undefined {
  const id = compiled.provider.id;
  if (tier !== undefined && !compiled.tiers.has(tier)) {
    return { code: 'tier', reason: `${id} has no tier "${tier}"; tiers: ${list(compiled.tiers.keys())}` };
  }
  const sizes = compiled.supportedSizes;
  if (sizes !== undefined && !sizes.has(request.size)) {
    return { code: 'size', reason: `${id} does not offer ${request.size}; sizes: ${list(sizes)}` };
  }
  const byTable = compiled.pricer.refuse(request, id);
  if (byTable !== undefined) return byTable;
  if (compiled.maxSteps !== undefined && request.steps > compiled.maxSteps) {
    return { code: 'steps', reason: `${id} allows at most ${compiled.maxSteps} steps; the request asks for ${request.steps}` };
  }
  for (const feature of request.features) {
    if (!compiled.supportedFeatures.has(feature)) {
      const supported = compiled.supportedFeatures.size === 0 ? 'it supports no features' : `features: ${list(compiled.supportedFeatures)}`;
      return { code: 'feature', reason: `${id} does not support ${feature}; ${supported}` };
    }
  }
  const quality = request.quality;
  if (quality !== undefined) {
    const qualities = compiled.supportedQualities;
    if (qualities !== undefined && !qualities.has(quality)) {
      return { code: 'quality', reason: `${id} does not offer quality "${quality}"; qualities: ${list(qualities)}` };
    }
    const table = compiled.quality;
    if (table !== undefined && !compiled.pricer.qualityPriced(request) && !table.values.has(quality)) {
      return { code: 'quality', reason: `${id} does not offer quality "${quality}"; qualities: ${list(table.names)}` };
    }
  }
  return undefined;
}

function isCompiled(target: ResolvedProvider | CompiledPricing): target is CompiledPricing {
  return 'pricer' in target;
}

/**
 * The itemised price of one request at one provider, or why the provider cannot serve it.
 * @param target - a provider (compiled on first use and memoised) or its compiled pricing
 * @param request - the request
 * @param opts - instant, tier, availability, service time, credit value
 * @returns the quote
 */
export function quote(target: ResolvedProvider | CompiledPricing, request: QuoteRequest, opts: PriceOptions): Quote {
  const compiled = isCompiled(target) ? target : compilePricing(target);
  const provider = compiled.provider.id;
  const refused = refusal(compiled, request, opts.tier);
  if (refused !== undefined) {
    return refused.code === 'tier'
      ? { ok: false, provider, reason: refused.reason, code: refused.code }
      : { ok: false, provider, tier: opts.tier ?? compiled.defaultTier.name, reason: refused.reason, code: refused.code };
  }
  const tier = opts.tier ?? compiled.defaultTier.name;
  const lines: PriceLine[] = [];
  const totalUsd = price(compiled, request, opts, lines);
  const s = compiled.schedule;
  const schedule = s === undefined ? {} : { schedule: s.labels[segmentAt(s, opts.atMs)]! };
  if (compiled.model.unit === 'credits') {
    return { ok: true, provider, tier, totalUsd, credits: creditsFor(compiled, request, opts), ...schedule, lines };
  }
  return { ok: true, provider, tier, totalUsd, ...schedule, lines };
}
