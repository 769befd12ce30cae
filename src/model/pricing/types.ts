/**
 * The vocabulary of pricing: what a price is computed from (`QuoteRequest`, `PriceOptions`),
 * what it is made of (`PriceLine`), what a quote says (`Quote`), and the one interface every
 * pricing model implements (`PricingModel`).
 */
import type { ImageRequest } from '../request.js';
import type { Pricing, PricingModelName } from '../../scenario/schema.js';
import type { ResolvedProvider } from '../../scenario/resolve.js';

/** How a line changes the running amount: it starts it, adds to it, or multiplies it. */
export type PriceOp = 'base' | 'add' | 'multiply';

/**
 * One factor of a price, so a person can check the number by hand. `factor` is a stable key
 * (`base`, `steps`, `tokens-in`, `tokens-out`, `megapixels`, `gpu-seconds`, `credits`,
 * `resolution`, `step-scaling`, `quality`, `feature:<name>`, `validation`, `validation-bundle`,
 * `off-peak`, `dynamic`, `tier`, `schedule`, `credit-rounding`, `credit-value`); `label` shows the arithmetic.
 */
export interface PriceLine {
  readonly factor: string;
  readonly label: string;
  readonly op: PriceOp;
  /** The amount started or added, or the factor multiplied by. */
  readonly value: number;
  /** The running amount after this line (credits until a `credit-value` line, else USD). */
  readonly subtotal: number;
}

/**
 * The fields of a request that pricing reads; every `ImageRequest` is one. `urgency` decides
 * which discounts limited by `appliesTo` (off-peak windows, the validation bundle) apply.
 */
export type QuoteRequest = Pick<ImageRequest, 'size' | 'width' | 'height' | 'steps' | 'quality' | 'features' | 'validate' | 'promptChars' | 'urgency'>;

/** Why a provider cannot serve a request. */
export type RefusalCode = 'size' | 'steps' | 'feature' | 'tier' | 'quality';

/** A refusal: a machine-readable code and a sentence a user understands. */
export interface Refusal {
  readonly code: RefusalCode;
  readonly reason: string;
}

/** The price of one request at one provider, itemised; or why the provider cannot serve it. */
export type Quote =
  | {
      readonly ok: true;
      readonly provider: string;
      readonly tier: string;
      readonly totalUsd: number;
      /** Credits consumed, for `credits` pricing only. */
      readonly credits?: number;
      /** With a price schedule: the pricing and multiplier in force at the instant (`pricing[1] from ..., schedule[0] ×1.2 from ...`). */
      readonly schedule?: string;
      readonly lines: readonly PriceLine[];
    }
  | {
      readonly ok: false;
      readonly provider: string;
      readonly tier?: string;
      readonly reason: string;
      readonly code: RefusalCode;
    };

/** When and how a request is priced, beyond the request itself. */
export interface PriceOptions {
  /** The instant the attempt is priced at, epoch ms (off-peak windows read it). */
  readonly atMs: number;
  /** Latency tier; defaults to the provider's first tier. */
  readonly tier?: string;
  /**
   * GPU availability a(t) in [0, 1] for `dynamic` pricing. Defaults to 0.5, the level at which
   * the dynamic multiplier 1 + range·(1 − 2a) is exactly 1 (no surcharge, no discount).
   */
  readonly availability?: number;
  /**
   * `compute-time` pricing: the attempt's service time in ms (queue wait excluded). Defaults to
   * the tier's median service time scaled to the request (steps × pixels when
   * `latencyScaling: linear`).
   */
  readonly serviceMs?: number;
  /**
   * `credits` pricing: what one credit being spent cost, USD. Defaults to the first bundle's
   * price / credits, else `creditPrice`, else 0.
   */
  readonly creditValueUsd?: number;
}

/** A provider's pricing narrowed to one model. */
export type PricingOf<K extends PricingModelName> = Extract<Pricing, { model: K }>;

/**
 * One pricing model compiled for one provider: the model's base amount and what its tables
 * decide, with everything that does not depend on the request computed once.
 */
export interface ModelPricer {
  /** Whether the base amount reads the service time (`compute-time`). */
  readonly usesServiceTime: boolean;
  /** Whether the base amount reads the prompt's length (`per-token`). */
  readonly readsPrompt: boolean;
  /**
   * The model's base amount for a request the provider can serve (USD, or credits for the
   * `credits` model), pushing its lines when `lines` is given.
   * @param request - the request
   * @param serviceMs - service time in ms (read only when `usesServiceTime`)
   * @param lines - where to push the itemised lines, or undefined on the fast path
   * @param serviceIsExpected - true when `serviceMs` is the default expectation, for the label
   * @returns the base amount
   */
  base(request: QuoteRequest, serviceMs: number, lines: PriceLine[] | undefined, serviceIsExpected: boolean): number;
  /** True when a table already priced the request's size, so the resolution modifier is skipped. */
  sizePriced(request: QuoteRequest): boolean;
  /** True when a table already priced the request's quality, so the quality modifier is skipped. */
  qualityPriced(request: QuoteRequest): boolean;
  /**
   * Whether the model's own tables price the request's size and quality.
   * @param request - the request
   * @param providerId - for the message
   * @returns a refusal, or undefined when the tables price the request
   */
  refuse(request: QuoteRequest, providerId: string): Refusal | undefined;
}

/** A pricing model: one file under `pricing/`, one line in `registry.ts`. */
export interface PricingModel<K extends PricingModelName = PricingModelName> {
  readonly name: K;
  /** What the base amount and every add-on are counted in; `credits` are converted last. */
  readonly unit: 'usd' | 'credits';
  /**
   * Compiles the model for one provider.
   * @param pricing - the provider's pricing, narrowed to this model
   * @param provider - the provider (reference size, tiers, latency scaling)
   * @returns the compiled pricer
   */
  compile(pricing: PricingOf<K>, provider: ResolvedProvider): ModelPricer;
}
