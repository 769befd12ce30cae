/**
 * Pricing a request through the scenario's pipeline (docs/scenario-reference.md "pipeline"): a
 * request with `validate: true` is validated in the provider's bundle when it prices validation
 * (`pricing.validation`), else by a separate call to the scenario's validator, else for free.
 * {@link validationBy} is that rule, for the simulator and for quotes; {@link pipelineQuote}
 * itemises generation plus validation.
 */
import type { ResolvedProvider, ResolvedScenario } from '../../scenario/resolve.js';
import { price, quote, refusal, type CompiledPricing } from './quote.js';
import type { PriceOptions, Quote, QuoteRequest } from './types.js';

/**
 * Who validates a request served at a provider: nobody (it did not ask), the provider in its
 * bundle, the scenario's validator in a call of its own, or nobody although it asked (`free`:
 * no bundle, no validator; `imgsim validate` warns).
 */
export type ValidationBy = 'none' | 'bundle' | 'validator' | 'free';

/**
 * The rule: how a request's validation is done and paid at a provider.
 * @param provider - the generation provider
 * @param validate - whether the request asks for validation
 * @param hasValidator - whether the scenario defines a validator
 * @returns who validates
 */
export function validationBy(provider: Pick<ResolvedProvider, 'pricing'>, validate: boolean, hasValidator: boolean): ValidationBy {
  if (!validate) return 'none';
  if (provider.pricing.validation !== undefined) return 'bundle';
  return hasValidator ? 'validator' : 'free';
}

/** A request's price through the pipeline at one provider: generation, then the validator's call if any. */
export interface PipelineQuote {
  readonly by: ValidationBy;
  /** The generation provider's quote (a bundle's validation lines included). */
  readonly generation: Quote;
  /** The validator's quote, when it is called (`by` is `validator`). */
  readonly validation?: { readonly validator: string; readonly quote: Quote };
  /** Generation plus the validator's call, USD (NaN when either cannot serve the request). */
  readonly totalUsd: number;
}

/**
 * Prices a request through the pipeline at one provider. The validator's call is priced at the
 * same instant as the generation (in a run it is priced when sent, after the generation),
 * on its default tier for its median latency.
 * @param scenario - the scenario (its validator)
 * @param provider - the generation provider
 * @param request - the request
 * @param opts - instant, tier, availability, as for {@link quote}
 * @returns the itemised pipeline price
 */
export function pipelineQuote(scenario: Pick<ResolvedScenario, 'pipeline'>, provider: ResolvedProvider, request: QuoteRequest, opts: PriceOptions): PipelineQuote {
  const generation = quote(provider, request, opts);
  const genUsd = generation.ok ? generation.totalUsd : NaN;
  const validator = scenario.pipeline?.validator;
  const by = validationBy(provider, request.validate, validator !== undefined);
  if (by !== 'validator' || validator === undefined) return { by, generation, totalUsd: genUsd };
  const check = quote(validator, request, { atMs: opts.atMs });
  return { by, generation, validation: { validator: validator.id, quote: check }, totalUsd: genUsd + (check.ok ? check.totalUsd : NaN) };
}

/**
 * What a validator call adds to a request's price for routing: the validator's price at an
 * instant, on its default tier for its median latency; Infinity when its tables cannot price it.
 * @param validator - the validator's compiled pricing
 * @param request - the request
 * @param atMs - the instant, epoch ms
 * @returns USD
 */
export function validatorCallUsd(validator: CompiledPricing, request: QuoteRequest, atMs: number): number {
  return refusal(validator, request) === undefined ? price(validator, request, { atMs }) : Infinity;
}
