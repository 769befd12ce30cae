/**
 * `imgsim explain <scenario> --size WxH --steps N ...`: for one request at one moment, each
 * strategy's ranked candidates with quotes, predicted latency, breaker and budget state, and the
 * reason for its choice. Parsing and printing only: the work is `explainRequest()`.
 */
import type { ImageRequest } from '../model/request.js';
import { explainJson, renderExplain } from '../report/explain.js';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import { FEATURES } from '../scenario/schema.js';
import { formatSize } from '../scenario/units.js';
import { explainRequest } from '../sim/explain.js';
import { durationOption, instantOption, intOption, parseCommandArgs, REQUEST_OPTIONS, requestArgs } from './args.js';
import { EXIT } from './output.js';

/** Usage text. */
export const EXPLAIN_USAGE = `Usage: imgsim explain <scenario.yaml> --size WxH --steps N [options]

How each strategy would route one request at one moment, and why: its ranked candidates with
the price (and its breakdown), predicted p50/p95 latency, breaker and load, the budget, the
reason for the first choice, and why the other providers are not candidates.

Options:
  --size WxH            image size, e.g. 1024x1024 (required)
  --steps N             diffusion steps (required)
  --features a,b        features: ${FEATURES.join(', ')}
  --quality Q           quality name
  --tier T              the latency tier the request asks for
  --urgency U           interactive (default) or batch; an off-peak window or validation
                        bundle limited to the other (\`appliesTo\`) is not applied
  --deadline D          for batch work: the deadline, a duration after --at (default:
                        slo.batch.deadline)
  --project P           the request's project (budget caps; default "default")
  --prompt-chars N      prompt length in characters (per-token pricing; default 0)
  --validate            also pay for a vision-model validation
  --at ISO              when the request arrives (default: the scenario start)
  --strategy NAME       only this strategy (repeatable; a built-in not in the scenario too)
  --warm D              first simulate the scenario's traffic for D before --at (never before
                        the start), so queues, statistics, breakers, budget and what each
                        strategy learnt are those of that moment; default: a cold start
  --json                print a stable JSON form instead of tables`;

/**
 * Runs the command.
 * @param argv - arguments after `explain`
 * @returns the exit code
 */
export async function explainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('explain', argv, {
    ...REQUEST_OPTIONS,
    deadline: { type: 'string' },
    project: { type: 'string' },
    strategy: { type: 'string', multiple: true },
    warm: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(`${EXPLAIN_USAGE}\n`);
    return EXIT.ok;
  }
  const { file, size, steps, features, urgency } = requestArgs('explain', EXPLAIN_USAGE, values, positionals);
  const deadlineMs = durationOption('deadline', values.deadline);
  const warmMs = durationOption('warm', values.warm);
  const promptChars = intOption('prompt-chars', values['prompt-chars'], 0) ?? 0;
  const explicitAt = instantOption('at', values.at);

  const scenario = loadScenario(file);
  const atMs = explicitAt ?? scenario.startMs;
  if (atMs < scenario.startMs) {
    throw new ImgsimError('invalid-argument', `--at: ${values.at ?? ''} is before the scenario start ${new Date(scenario.startMs).toISOString()}; explain a moment within the scenario`);
  }
  const tier = values.tier;
  if (tier !== undefined && !scenario.providers.some((p) => p.tierList.some((t) => t.name === tier))) {
    const tiers = [...new Set(scenario.providers.flatMap((p) => p.tierList.map((t) => t.name)))];
    throw new ImgsimError('invalid-argument', `--tier: no provider of ${file} has a tier "${tier}"; tiers: ${tiers.join(', ')}`);
  }
  const request: ImageRequest = {
    id: 0,
    arrivalMs: atMs,
    className: 'explain',
    size: formatSize(size),
    width: size.width,
    height: size.height,
    steps,
    ...(values.quality === undefined ? {} : { quality: values.quality }),
    features,
    validate: values.validate ?? false,
    urgency,
    ...(deadlineMs === undefined ? {} : { deadlineMs: atMs + deadlineMs }),
    project: values.project ?? 'default',
    promptChars,
    ...(tier === undefined ? {} : { tier }),
  };
  const result = await explainRequest(scenario, request, { ...(values.strategy === undefined ? {} : { strategies: values.strategy }), warmMs: warmMs ?? 0 });
  process.stdout.write(values.json ? explainJson(result) : renderExplain(result));
  return EXIT.ok;
}
