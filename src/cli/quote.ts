/**
 * `imgsim quote <scenario> --size WxH --steps N ...`: the price of one request at every
 * provider, factor by factor, so any number can be checked by hand.
 */
import { AvailabilityCurve } from '../model/availability.js';
import { pipelineQuote, type PipelineQuote } from '../model/pricing/pipeline.js';
import { billedTokens, monthlyNote, requestFeeLines, type FeeLine, type FeeSchedule } from '../model/pricing/fees.js';
import type { Quote } from '../model/pricing/types.js';
import type { QuoteRequest } from '../model/pricing/types.js';
import { ImgsimError } from '../scenario/errors.js';
import { strategyFees } from '../routing/strategy-refs.js';
import { strategyDisplayName } from '../scenario/check.js';
import { loadScenario } from '../scenario/load.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { FEATURES } from '../scenario/schema.js';
import { instantOption, intOption, parseCommandArgs, REQUEST_OPTIONS, requestArgs } from './args.js';
import { priceLineTable, table, usd } from '../report/format.js';
import { EXIT } from './output.js';

/** Usage text. */
export const QUOTE_USAGE = `Usage: imgsim quote <scenario.yaml> --size WxH --steps N [options]

Prices one request at every provider of the scenario, factor by factor.

Options:
  --size WxH            image size, e.g. 1024x1024 (required)
  --steps N             diffusion steps (required)
  --features a,b        features: ${FEATURES.join(', ')}
  --quality Q           quality name (e.g. standard, hd, low, medium, high)
  --tier T              latency tier (default: each provider's first tier)
  --at ISO              when the request is sent (default: the scenario start); off-peak
                        windows, dynamic prices and price schedules read it
  --urgency U           interactive (default) or batch; an off-peak window or validation
                        bundle limited to the other (\`appliesTo\`) is shown as skipped
  --prompt-chars N      prompt length in characters (per-token pricing; default 0)
  --validate            also pay for a vision-model validation: the provider's bundle
                        (pricing.validation), else a call to the scenario's validator
  --provider ID         only this provider (repeatable)
  --strategy NAME       add the fees of this strategy's gateway (its \`fees:\`) to each
                        price, itemised (docs/gateways.md#fees)
  --json                print JSON instead of tables`;

interface QuoteJson {
  readonly provider: string;
  readonly availability: number;
  readonly quote: Quote;
  /** With a validator in the scenario: how validation is paid, the validator's quote, the pipeline total. */
  readonly pipeline?: Omit<PipelineQuote, 'generation'>;
  /** With `--strategy` naming a strategy with fees: its gateway's fees on this price. */
  readonly fees?: { readonly lines: readonly FeeLine[]; readonly totalUsd: number };
}

/**
 * Runs the command.
 * @param argv - arguments after `quote`
 * @returns the exit code
 */
export function quoteCommand(argv: string[]): number {
  const { values, positionals } = parseCommandArgs('quote', argv, {
    ...REQUEST_OPTIONS,
    provider: { type: 'string', multiple: true },
    strategy: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${QUOTE_USAGE}\n`);
    return EXIT.ok;
  }
  const { file, sizeText, size, steps, features, urgency } = requestArgs('quote', QUOTE_USAGE, values, positionals);
  const scenario = loadScenario(file);
  const atMs = instantOption('at', values.at) ?? scenario.startMs;
  const request: QuoteRequest = {
    size: sizeText,
    width: size.width,
    height: size.height,
    steps,
    ...(values.quality === undefined ? {} : { quality: values.quality }),
    features,
    validate: values.validate ?? false,
    promptChars: intOption('prompt-chars', values['prompt-chars'], 0) ?? 0,
    urgency,
  };
  const only = values.provider;
  if (only) {
    for (const id of only) {
      if (!scenario.providers.some((p) => p.id === id)) throw new ImgsimError('invalid-argument', `--provider: no provider "${id}" in ${file}`);
    }
  }
  const gateway = values.strategy === undefined ? undefined : strategyOf(scenario, values.strategy, file);
  const results: QuoteJson[] = scenario.providers
    .filter((p) => !only || only.includes(p.id))
    .map((p) => {
      const availability = new AvailabilityCurve(p.availability, scenario.seed, p.id, scenario.startMs).at(atMs);
      const { generation, ...pipeline } = pipelineQuote(scenario, p, request, { atMs, tier: values.tier, availability });
      const priced = { provider: p.id, availability, quote: generation, ...(scenario.pipeline === undefined ? {} : { pipeline }) };
      // The gateway's fees are on the generation it routes; a validator call is the pipeline's own.
      if (gateway === undefined || !generation.ok) return priced;
      const lines = requestFeeLines(gateway.fees, generation.totalUsd, billedTokens(p.pricing, request));
      return { ...priced, fees: { lines, totalUsd: lines.reduce((sum, l) => sum + l.usd, generation.totalUsd) } };
    });
  if (values.json) {
    const strategy = gateway === undefined ? {} : { strategy: gateway.name, monthly: gateway.fees.monthly ?? null };
    process.stdout.write(`${JSON.stringify({ at: new Date(atMs).toISOString(), request, ...strategy, quotes: results }, null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(renderQuotes(results, request, atMs, gateway));
  return EXIT.ok;
}

/** A strategy of the scenario whose gateway's fees a quote adds. */
interface Gateway {
  readonly name: string;
  readonly fees: FeeSchedule;
}

/**
 * The strategy `--strategy` names, with its fees.
 * @param scenario - the scenario
 * @param name - the strategy's name as reports give it
 * @param file - the scenario file, for messages
 * @returns its name and fees (none: `fees: {}`, every price as it is)
 * @throws ImgsimError when the scenario has no strategy of that name
 */
function strategyOf(scenario: ResolvedScenario, name: string, file: string): Gateway {
  const ref = scenario.strategies.find((r) => strategyDisplayName(r) === name);
  if (ref === undefined) {
    throw new ImgsimError('invalid-argument', `--strategy: no strategy "${name}" in ${file}; it has ${scenario.strategies.map(strategyDisplayName).join(', ')}`);
  }
  return { name, fees: strategyFees(ref) ?? {} };
}

function renderQuotes(results: readonly QuoteJson[], request: QuoteRequest, atMs: number, gateway: Gateway | undefined): string {
  const features = request.features.length > 0 ? ` with ${request.features.join(', ')}` : '';
  const out: string[] = [
    `${request.size}, ${request.steps} steps${request.quality ? `, ${request.quality}` : ''}${features}${request.validate ? ', validated' : ''}, ${request.urgency}, at ${new Date(atMs).toISOString()}`,
    '',
  ];
  if (gateway !== undefined) out.push(...gatewayHead(gateway), '');
  for (const r of results) {
    const { provider, availability, quote: q, pipeline, fees } = r;
    if (!q.ok) {
      out.push(`${provider}: cannot serve it: ${q.reason}`, '');
      continue;
    }
    out.push(`${provider} (tier ${q.tier}, availability ${availability.toFixed(3)})`);
    if (q.schedule !== undefined) out.push(`  price in force: ${q.schedule}`);
    out.push(indent(priceLineTable(q.lines)));
    const genTotal = `$${+q.totalUsd.toPrecision(10)}${q.credits === undefined ? '' : ` (${+q.credits.toPrecision(10)} credits)`}`;
    const gatewayFees = fees === undefined ? [] : feeRows(fees);
    const check = pipeline?.validation;
    if (check === undefined) {
      out.push(`  total ${genTotal}${pipeline?.by === 'bundle' ? ' (validation in the provider\'s bundle: no validator call)' : ''}`, ...gatewayFees, '');
      continue;
    }
    // The pipeline: generation here, then a call to the validator.
    if (!check.quote.ok) {
      out.push(`  generation ${genTotal}; validation at ${check.validator}: cannot serve it: ${check.quote.reason}`, ...gatewayFees, '');
      continue;
    }
    out.push(`  generation at ${provider}: ${genTotal}`, ...gatewayFees, `  + validation at ${check.validator} (tier ${check.quote.tier})`, indent(indent(priceLineTable(check.quote.lines))));
    out.push(`  total $${+(pipelineTotal(r)).toPrecision(10)} (generation${fees === undefined ? '' : ' with fees'} + validation at ${check.validator})`, '');
  }
  const ranked = results.filter((x) => pipelineTotal(x) < Infinity).sort((a, b) => pipelineTotal(a) - pipelineTotal(b));
  if (ranked.length > 1) {
    out.push(gateway === undefined ? 'cheapest first:' : `cheapest first, with ${gateway.name}'s fees:`);
    out.push(indent(table(['provider', 'tier', 'price'], ranked.map((x) => [x.provider, x.quote.ok ? x.quote.tier : '', usd(pipelineTotal(x))]))));
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

/** The lines naming the gateway whose fees are added, and its fee that is not per request. */
function gatewayHead(gateway: Gateway): string[] {
  const monthly = monthlyNote(gateway.fees);
  const none = Object.values(gateway.fees).every((v) => v === undefined);
  return [
    `strategy ${gateway.name}: ${none ? 'no gateway fees (its `fees` are empty or absent)' : "its gateway's fees are added to each price below"}`,
    ...(monthly === undefined ? [] : [`  plus a ${monthly}`]),
  ];
}

/** A price's fees, itemised, and the price with them. */
function feeRows(fees: NonNullable<QuoteJson['fees']>): string[] {
  if (fees.lines.length === 0) return [];
  const rows = fees.lines.map((l) => [l.kind, '+', l.label, String(+l.usd.toPrecision(10))]);
  return [indent(table(['fee', 'op', 'arithmetic', 'amount'], rows, ['l', 'l', 'l', 'r'])), `  total with fees $${+fees.totalUsd.toPrecision(10)}`];
}

/** A gateway's fees on a provider's price, USD (0 without `--strategy` or when it cannot serve). */
function feesOn(r: QuoteJson): number {
  return r.fees !== undefined && r.quote.ok ? r.fees.totalUsd - r.quote.totalUsd : 0;
}

/** A provider's price with the pipeline's validator call, if any, and a gateway's fees (Infinity when it cannot serve). */
function pipelineTotal(r: QuoteJson): number {
  const usd = (r.pipeline === undefined ? (r.quote.ok ? r.quote.totalUsd : Infinity) : r.pipeline.totalUsd) + feesOn(r);
  return Number.isNaN(usd) ? Infinity : usd;
}


function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
