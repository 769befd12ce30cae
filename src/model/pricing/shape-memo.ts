/**
 * A small memo of one provider's untimed price ({@link untimedPrice}) by request shape. Routing
 * prices every provider for every request and the simulator prices the chosen one again when it
 * sends; requests of one traffic class share their shape, so the untimed part (model base to the
 * validation bundle discount) is computed once per shape, tier and entry in force, and the
 * instant's factors (off-peak, dynamic, tier, schedule, credit value) are applied after, by the
 * same function as always: the result is exactly `price`'s.
 *
 * The key is every request field the untimed part reads: size, width, height, steps, quality,
 * features (by content), validate; the prompt length only for pricing that counts prompt tokens,
 * the urgency only for a validation bundle discount (it may be for some urgencies only).
 */
import type { Feature, Urgency } from '../../scenario/schema.js';
import { priceFromUntimed, untimedPrice, type CompiledPricing } from './quote.js';
import type { QuoteRequest } from './types.js';

/** Entries kept: a miss replaces the oldest. */
const SLOTS = 4;

const NO_FEATURES: readonly Feature[] = Object.freeze([]);

/**
 * A request's shape as far as a price or a refusal reads it: the fields of `QuoteRequest` and
 * the tier, with the prompt's length and the urgency as the caller reads them (0 and undefined
 * when the price does not). Kept by copy: request records may be reused.
 */
export class RequestShape {
  tier: string | undefined = undefined;
  size = '';
  width = 0;
  height = 0;
  steps = 0;
  quality: string | undefined = undefined;
  features: readonly Feature[] = NO_FEATURES;
  validate = false;
  urgency: Urgency | undefined = undefined;
  promptChars = 0;

  /**
   * Whether `request` in `tier` has this shape.
   * @param request - the request
   * @param tier - the tier
   * @param promptChars - its prompt length as read (0 when not)
   * @param urgency - its urgency as read (undefined when not)
   * @returns true when every field read is equal (features by content)
   */
  matches(request: QuoteRequest, tier: string | undefined, promptChars: number, urgency: Urgency | undefined): boolean {
    return (
      this.tier === tier &&
      this.size === request.size &&
      this.width === request.width &&
      this.height === request.height &&
      this.steps === request.steps &&
      this.quality === request.quality &&
      this.validate === request.validate &&
      this.urgency === urgency &&
      this.promptChars === promptChars &&
      sameFeatures(this.features, request.features)
    );
  }

  /**
   * Takes `request`'s shape in `tier`.
   * @param request - the request
   * @param tier - the tier
   * @param promptChars - its prompt length as read (0 when not)
   * @param urgency - its urgency as read (undefined when not)
   */
  copy(request: QuoteRequest, tier: string | undefined, promptChars: number, urgency: Urgency | undefined): void {
    this.tier = tier;
    this.size = request.size;
    this.width = request.width;
    this.height = request.height;
    this.steps = request.steps;
    this.quality = request.quality;
    this.validate = request.validate;
    this.urgency = urgency;
    this.promptChars = promptChars;
    this.features = request.features;
  }
}

/** One remembered shape and its amounts. */
export class ShapeEntry extends RequestShape {
  entry: CompiledPricing | undefined = undefined;
  /** {@link untimedPrice} of the shape at `entry` in `tier`. */
  untimed = 0;
  /** The whole USD price when it does not depend on the instant ({@link timeless}), else NaN. */
  usd = Number.NaN;
}

function sameFeatures(a: readonly Feature[], b: readonly Feature[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whether a pricing's USD price of a request is the same at every instant: no price schedule,
 * no off-peak windows, no dynamic pricing, and priced in USD (a credit's value changes).
 * @param compiled - from `compilePricing`
 * @returns true when only the request and tier decide the price
 */
export function timeless(compiled: CompiledPricing): boolean {
  return compiled.schedule === undefined && compiled.offPeak.length === 0 && compiled.dynamicRange === undefined && compiled.model.unit === 'usd';
}

/** The memo of one provider's pricing (one per provider per run: `compiled` never changes). */
export class ShapeMemo {
  private readonly slots: ShapeEntry[] = [];
  private victim = 0;
  /** Options for the whole price of timeless pricing: any instant gives the same. */
  private readonly opts: { atMs: number; tier: string | undefined } = { atMs: 0, tier: undefined };
  /** Whether the pricing is {@link timeless}: then `ShapeEntry.usd` is the whole price. */
  readonly timeless: boolean;

  /** @param compiled - the provider's compiled pricing */
  constructor(private readonly compiled: CompiledPricing) {
    for (let i = 0; i < SLOTS; i++) this.slots.push(new ShapeEntry());
    this.timeless = timeless(compiled);
  }

  /**
   * The entry of a request's shape at an entry of the pricing in force, computed on a miss.
   * @param entry - `pricingInForce(compiled, atMs)` at the instant priced
   * @param request - the request
   * @param tier - the tier; the default tier when undefined
   * @returns the entry (overwritten by a later miss: read it at once)
   */
  lookup(entry: CompiledPricing, request: QuoteRequest, tier: string | undefined): ShapeEntry {
    const promptChars = entry.pricer.readsPrompt ? request.promptChars : 0;
    const urgency = entry.bundleDiscount > 0 ? request.urgency : undefined;
    const slots = this.slots;
    for (let i = 0; i < SLOTS; i++) {
      const m = slots[i]!;
      if (m.entry === entry && m.matches(request, tier, promptChars, urgency)) return m;
    }
    const m = slots[this.victim]!;
    this.victim = this.victim + 1 === SLOTS ? 0 : this.victim + 1;
    m.entry = entry;
    m.copy(request, tier, promptChars, urgency);
    m.untimed = untimedPrice(entry, request, tier);
    this.opts.tier = tier;
    m.usd = this.timeless ? priceFromUntimed(this.compiled, request, m.untimed, this.opts) : Number.NaN;
    return m;
  }
}
