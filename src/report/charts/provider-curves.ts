/**
 * What the providers looked like over the window, from the scenario alone: availability a(t)
 * (the same curve the simulator used: same seed, same streams) and the price of one reference
 * request at each instant (off-peak windows and availability-driven dynamic prices included).
 */
import { AvailabilityCurve } from '../../model/availability.js';
import { compilePricing, price, refusal } from '../../model/pricing/quote.js';
import type { QuoteRequest } from '../../model/pricing/types.js';
import type { ResolvedScenario } from '../../scenario/resolve.js';
import { formatDuration, parseSize } from '../../scenario/units.js';

const MINUTE_MS = 60_000;
/** Sampling steps to choose from: round numbers, so samples fall on off-peak boundaries. */
const STEP_CHOICES_MS = [5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440].map((m) => m * MINUTE_MS);
/** At most this many intervals per curve: smooth at 1200 px, small inlined in report.html. */
const MAX_INTERVALS = 400;

/** The request priced over time, and the words that describe it in a caption. */
export interface ReferenceRequest {
  readonly request: QuoteRequest;
  /** e.g. `1024x1024, 30 steps (mix class "app")`. */
  readonly label: string;
}

/** One provider's curves. */
export interface ProviderCurve {
  readonly id: string;
  /** Position in the scenario (its colour). */
  readonly index: number;
  /** a(t) at each sample time. */
  readonly availability: readonly number[];
  /** USD for the reference request at each sample time; undefined when the provider cannot serve it. */
  readonly priceUsd: readonly number[] | undefined;
  /** Why the provider cannot serve the reference request. */
  readonly refusal?: string;
}

/** Every provider's curves on one time grid. */
export interface ProviderCurves {
  /** Sample times, ms from the window start. */
  readonly offsetsMs: readonly number[];
  readonly stepMs: number;
  readonly reference: ReferenceRequest;
  readonly providers: readonly ProviderCurve[];
}

/**
 * The request the price chart follows: the heaviest class of the traffic mix (the first on a
 * tie) with its size, its fewest steps and its quality, without features or validation, priced
 * in each provider's default tier with an empty prompt; for a replayed trace, the first
 * provider's `reference` request.
 * @param scenario - the scenario
 * @returns the request and its description
 */
export function referenceRequest(scenario: ResolvedScenario): ReferenceRequest {
  let size: string;
  let steps: number;
  let quality: string | undefined;
  let from: string;
  if (scenario.traffic.kind === 'synthetic' && scenario.traffic.mix.length > 0) {
    let heaviest = scenario.traffic.mix[0]!;
    for (const m of scenario.traffic.mix) if (m.weight > heaviest.weight) heaviest = m;
    size = heaviest.size;
    steps = typeof heaviest.steps === 'number' ? heaviest.steps : heaviest.steps.min;
    quality = heaviest.quality;
    from = `mix class "${heaviest.name}"`;
  } else {
    const first = scenario.providers[0]!;
    size = first.reference.size;
    steps = first.reference.steps;
    from = `${first.id}'s reference`;
  }
  const parsed = parseSize(size);
  const { width, height } = 'width' in parsed ? parsed : { width: 0, height: 0 };
  // Interactive: the curve shows what a request sent at that instant pays (batch-only windows do not apply).
  const request: QuoteRequest = { size, width, height, steps, features: [], validate: false, promptChars: 0, urgency: 'interactive', ...(quality === undefined ? {} : { quality }) };
  return { request, label: `${size}, ${steps} steps${quality === undefined ? '' : `, ${quality}`} (${from})` };
}

/**
 * The sampling step for a window: the smallest round step giving at most 400 intervals.
 * @param windowMs - the window's length
 * @returns the step, ms
 */
export function sampleStepMs(windowMs: number): number {
  for (const step of STEP_CHOICES_MS) if (windowMs / step <= MAX_INTERVALS) return step;
  return Math.ceil(windowMs / MAX_INTERVALS / MINUTE_MS) * MINUTE_MS;
}

/**
 * Samples every provider's availability and reference price over a window. Deterministic: the
 * availability curves are rebuilt from the seed, as the simulator builds them.
 * @param scenario - the scenario
 * @param seed - the seed the run used (`report.seed`)
 * @param startMs - the window start, epoch ms
 * @param endMs - the window end, epoch ms
 * @returns the curves
 */
export function providerCurves(scenario: ResolvedScenario, seed: number, startMs: number, endMs: number): ProviderCurves {
  const stepMs = sampleStepMs(endMs - startMs);
  const offsetsMs: number[] = [];
  for (let t = 0; t <= endMs - startMs; t += stepMs) offsetsMs.push(t);
  const reference = referenceRequest(scenario);
  const providers = scenario.providers.map((p): ProviderCurve => {
    // The simulator's curve starts at the scenario start; a --duration override keeps the start.
    const curve = new AvailabilityCurve(p.availability, seed, p.id, scenario.startMs);
    const availability = offsetsMs.map((o) => curve.at(startMs + o));
    const compiled = compilePricing(p);
    const refused = refusal(compiled, reference.request);
    if (refused !== undefined) return { id: p.id, index: p.index, availability, priceUsd: undefined, refusal: refused.reason };
    const priceUsd = offsetsMs.map((o, i) => price(compiled, reference.request, { atMs: startMs + o, availability: availability[i]! }));
    return { id: p.id, index: p.index, availability, priceUsd };
  });
  return { offsetsMs, stepMs, reference, providers };
}

/**
 * Describes a sampling step for a caption.
 * @param stepMs - the step
 * @returns e.g. `every 30m`
 */
export function describeStep(stepMs: number): string {
  return `every ${formatDuration(stepMs)}`;
}
