/**
 * `imgsim quote <scenario> --size WxH --steps N ...`: the price of one request at every
 * provider, factor by factor, so any number can be checked by hand.
 */
import { AvailabilityCurve } from '../model/availability.js';
import { pipelineQuote, type PipelineQuote } from '../model/pricing/pipeline.js';
import type { Quote } from '../model/pricing/types.js';
import type { QuoteRequest } from '../model/pricing/types.js';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
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
                        windows and dynamic prices read it
  --urgency U           interactive (default) or batch; an off-peak window or validation
                        bundle limited to the other (\`appliesTo\`) is shown as skipped
  --prompt-chars N      prompt length in characters (per-token pricing; default 0)
  --validate            also pay for a vision-model validation: the provider's bundle
                        (pricing.validation), else a call to the scenario's validator
  --provider ID         only this provider (repeatable)
  --json                print JSON instead of tables`;

interface QuoteJson {
  readonly provider: string;
  readonly availability: number;
  readonly quote: Quote;
  /** With a validator in the scenario: how validation is paid, the validator's quote, the pipeline total. */
  readonly pipeline?: Omit<PipelineQuote, 'generation'>;
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
  const results: QuoteJson[] = scenario.providers
    .filter((p) => !only || only.includes(p.id))
    .map((p) => {
      const availability = new AvailabilityCurve(p.availability, scenario.seed, p.id, scenario.startMs).at(atMs);
      const { generation, ...pipeline } = pipelineQuote(scenario, p, request, { atMs, tier: values.tier, availability });
      return { provider: p.id, availability, quote: generation, ...(scenario.pipeline === undefined ? {} : { pipeline }) };
    });
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ at: new Date(atMs).toISOString(), request, quotes: results }, null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(renderQuotes(results, request, atMs));
  return EXIT.ok;
}

function renderQuotes(results: readonly QuoteJson[], request: QuoteRequest, atMs: number): string {
  const features = request.features.length > 0 ? ` with ${request.features.join(', ')}` : '';
  const out: string[] = [
    `${request.size}, ${request.steps} steps${request.quality ? `, ${request.quality}` : ''}${features}${request.validate ? ', validated' : ''}, ${request.urgency}, at ${new Date(atMs).toISOString()}`,
    '',
  ];
  for (const { provider, availability, quote: q, pipeline } of results) {
    if (!q.ok) {
      out.push(`${provider}: cannot serve it: ${q.reason}`, '');
      continue;
    }
    out.push(`${provider} (tier ${q.tier}, availability ${availability.toFixed(3)})`);
    out.push(indent(priceLineTable(q.lines)));
    const genTotal = `$${+q.totalUsd.toPrecision(10)}${q.credits === undefined ? '' : ` (${+q.credits.toPrecision(10)} credits)`}`;
    const check = pipeline?.validation;
    if (check === undefined) {
      out.push(`  total ${genTotal}${pipeline?.by === 'bundle' ? ' (validation in the provider\'s bundle: no validator call)' : ''}`, '');
      continue;
    }
    // The pipeline: generation here, then a call to the validator.
    if (!check.quote.ok) {
      out.push(`  generation ${genTotal}; validation at ${check.validator}: cannot serve it: ${check.quote.reason}`, '');
      continue;
    }
    out.push(`  generation at ${provider}: ${genTotal}`, `  + validation at ${check.validator} (tier ${check.quote.tier})`, indent(indent(priceLineTable(check.quote.lines))));
    out.push(`  total $${+(pipeline?.totalUsd ?? NaN).toPrecision(10)} (generation + validation at ${check.validator})`, '');
  }
  const ranked = results.filter((r) => pipelineTotal(r) < Infinity).sort((a, b) => pipelineTotal(a) - pipelineTotal(b));
  if (ranked.length > 1) {
    out.push('cheapest first:');
    out.push(indent(table(['provider', 'tier', 'price'], ranked.map((r) => [r.provider, r.quote.ok ? r.quote.tier : '', usd(pipelineTotal(r))]))));
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

function total(q: Quote): number {
  return q.ok ? q.totalUsd : Infinity;
}

/** A provider's price with the pipeline's validator call, if any (Infinity when it cannot serve). */
function pipelineTotal(r: QuoteJson): number {
  const usd = r.pipeline === undefined ? total(r.quote) : r.pipeline.totalUsd;
  return Number.isNaN(usd) ? Infinity : usd;
}


function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
