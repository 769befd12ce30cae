/**
 * `imgsim forecast <scenario>`: Monte Carlo over seeds on worker threads, optionally a rate
 * sweep or one shard of the runs; prints the summary and writes forecast.json and forecast.md
 * (or a shard's partial result).
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { aggregateForecast } from '../forecast/aggregate.js';
import { partialFileName, serializePartial } from '../forecast/json.js';
import { simulateRuns, type RunExecutor, type Shard } from '../forecast/monte-carlo.js';
import { forecastParameters } from '../forecast/parameters.js';
import { sweepParameter } from '../forecast/parameter-sweep.js';
import { DEFAULT_PROBE_RUNS, DEFAULT_SWEEP_TOLERANCE, parseSweepSpec, sweepRates } from '../forecast/sweep.js';
import { isParameterSweep, parseParameterSweep } from '../forecast/sweep-parameters.js';
import { renderForecastTable } from '../forecast/table.js';
import { createExecutor } from '../forecast/workers.js';
import { writeFileAtomic } from '../report/atomic.js';
import { ImgsimError } from '../scenario/errors.js';
import { loadScenario } from '../scenario/load.js';
import { formatDuration, isUnitError, parseDurationMs, parseRatePerSec } from '../scenario/units.js';
import { FORECAST_FORMATS, parseForecastFormats, writeForecastOutputs } from './_forecast-output.js';
import { intOption, parseCommandArgs } from './args.js';
import { EXIT } from './output.js';
import { createProgress } from './progress.js';

/** Runs when --runs is not given. */
export const DEFAULT_RUNS = 100;

/** Usage text. */
export const FORECAST_USAGE = `Usage: imgsim forecast <scenario.yaml> [options]

Monte Carlo over independent seeds on worker threads: per strategy the spread of cost, cost per
image, p95 latency and success rate over the horizon, the chance of running out of budget and
when, credit bundles to buy up front, peak concurrency and rate-limit headroom per provider.
Writes forecast.json and forecast.md and prints a summary. See docs/forecast.md.

Options:
  --runs N              independent runs (default ${DEFAULT_RUNS})
  --horizon D           simulated span of each run, e.g. 30d (default the scenario's duration)
  --workers N           worker threads (default the available parallelism, here ${availableParallelism()};
                        0 simulates on the main thread)
  --seed N              base seed (default the scenario's); run i derives its own from it
  --strategy NAME       forecast only this strategy (repeatable)
  --out DIR             where to write (default reports/<scenario name>/)
  --format LIST         comma-separated: ${FORECAST_FORMATS.join(', ')} (default json,md); html
                        and png add the fan chart of cumulative spend and the sweep curve
  --json                print forecast.json to stdout instead of the table
  --quiet               no progress bar, no table
  --sweep rate=A..B     also find each strategy's highest sustainable arrival rate in [A, B]
                        (e.g. rate=10/s..200/s) by bisection
  --sweep PATH=V1,V2,.. also run every strategy at each value of a provider parameter, on the
                        same seeds: cost, cost per image, SLO, reserved utilisation per value
                        (e.g. providers.gpu.reserved.slots=0,4,8,16: buy reserved or stay on
                        demand); PATH: providers.<id>.reserved.slots, providers.<id>.reserved.
                        feePerSlot or providers.<id>.capacity.concurrency
  --probe-runs N        runs per sweep probe or parameter value (default ${DEFAULT_PROBE_RUNS})
  --probe-horizon D     simulated span of each probe run or parameter value run (default the horizon)
  --tolerance F         stop bisecting at this fraction of the range (default ${DEFAULT_SWEEP_TOLERANCE})
  --slo-target F        attainment every urgency class must reach in a probe (default from
                        the SLO: p95 -> 0.95; a batch deadline -> 0.95)
  --no-oracle           skip the hindsight oracle (no regret; each run is one pass shorter)
  --shard k/n           simulate only runs i with i mod n = k-1 and write a partial result
                        (forecast.part-k-of-n.json) for \`imgsim merge\`
Exit codes: 0 ok, 2 bad input.`;

/**
 * Parses `k/n`.
 * @param value - the --shard value
 * @param runs - total runs
 * @returns the shard
 */
function parseShard(value: string, runs: number): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1) || index > count) {
    throw new ImgsimError('invalid-argument', `--shard: expected k/n with 1 <= k <= n, such as 2/4 (the second of four shards); got "${value}"`);
  }
  if (count > runs) throw new ImgsimError('invalid-argument', `--shard ${value}: ${count} shards for ${runs} runs would leave shards without runs; use at most ${runs} shards`);
  return { index, count };
}

function durationOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDurationMs(value);
  if (isUnitError(ms) || ms <= 0) throw new ImgsimError('invalid-argument', `--${name}: expected a duration such as 1h or 30d, got "${value}"`);
  return ms;
}

function fractionOption(name: string, value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim().endsWith('%') ? Number(value.trim().slice(0, -1)) / 100 : Number(value);
  if (!(n > 0 && n < 1)) throw new ImgsimError('invalid-argument', `--${name}: expected ${what} between 0 and 1 (or a percentage such as 2%), got "${value}"`);
  return n;
}

/**
 * Runs the command.
 * @param argv - arguments after `forecast`
 * @returns the exit code
 */
export async function forecastCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('forecast', argv, {
    runs: { type: 'string' },
    horizon: { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    strategy: { type: 'string', multiple: true },
    out: { type: 'string' },
    format: { type: 'string' },
    sweep: { type: 'string' },
    'probe-runs': { type: 'string' },
    'probe-horizon': { type: 'string' },
    tolerance: { type: 'string' },
    'slo-target': { type: 'string' },
    shard: { type: 'string' },
    'no-oracle': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${FORECAST_USAGE}\n`);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new ImgsimError('invalid-argument', `forecast: name one scenario file\n${FORECAST_USAGE}`);
  const runs = intOption('runs', values.runs, 1) ?? DEFAULT_RUNS;
  const horizonMs = durationOption('horizon', values.horizon);
  const threads = intOption('workers', values.workers, 0) ?? availableParallelism();
  const seedOption = intOption('seed', values.seed, 0);
  const formats = parseForecastFormats(values.format);
  const shard = values.shard === undefined ? undefined : parseShard(values.shard, runs);
  // `providers.<id>.<key>=v1,v2,...` sweeps a parameter (parsed once the scenario is loaded); anything else is a rate range.
  const parameterText = values.sweep !== undefined && isParameterSweep(values.sweep) ? values.sweep : undefined;
  const sweepRange = values.sweep === undefined || parameterText !== undefined ? undefined : parseSweepSpec(values.sweep, (t) => {
    const r = parseRatePerSec(t);
    return isUnitError(r) ? undefined : r;
  });
  const sweepOnly = ['probe-runs', 'probe-horizon', 'tolerance', 'slo-target'] as const;
  if (values.sweep === undefined) {
    for (const name of sweepOnly) if (values[name] !== undefined) throw new ImgsimError('invalid-argument', `--${name} applies to a sweep; add --sweep rate=A..B`);
  }
  if (parameterText !== undefined && values.tolerance !== undefined) {
    throw new ImgsimError('invalid-argument', '--tolerance applies to a rate sweep (bisection); a parameter sweep runs every value it is given');
  }
  if (values.sweep !== undefined && shard !== undefined) {
    const why = parameterText === undefined ? 'each bisection step depends on the last' : 'its runs are compared value by value';
    throw new ImgsimError('invalid-argument', `--sweep cannot be sharded (${why}); run the sweep without --shard`);
  }
  const probeRuns = intOption('probe-runs', values['probe-runs'], 1);
  const probeHorizonMs = durationOption('probe-horizon', values['probe-horizon']);
  const tolerance = fractionOption('tolerance', values.tolerance, 'a fraction of the range');
  const target = fractionOption('slo-target', values['slo-target'], 'an attainment');

  const scenario = loadScenario(file);
  const parameterSpec = parameterText === undefined ? undefined : parseParameterSweep(parameterText, scenario);
  if (sweepRange !== undefined && scenario.traffic.kind !== 'synthetic') {
    throw new ImgsimError('invalid-argument', `${file}: a replayed trace has its own rate; --sweep needs synthetic traffic (traffic.arrivals)`);
  }
  const params = forecastParameters(scenario, {
    seed: seedOption ?? scenario.seed,
    runs,
    horizonMs: horizonMs ?? scenario.durationMs,
    strategies: values.strategy,
    oracle: values['no-oracle'] !== true,
  });
  const quiet = values.quiet === true;
  const progress = createProgress(quiet || values.json === true);
  const outDir = values.out ?? path.join('reports', scenario.name);
  const started = performance.now();
  const ownRuns = shard ? Math.ceil((runs - shard.index + 1) / shard.count) : runs;
  // No more threads than tasks at once: the runs, or a sweep round (strategies × probe runs).
  const parallel =
    parameterSpec !== undefined
      ? Math.max(ownRuns, parameterSpec.values.length * (probeRuns ?? DEFAULT_PROBE_RUNS))
      : sweepRange === undefined
        ? ownRuns
        : Math.max(ownRuns, params.strategies.length * (probeRuns ?? DEFAULT_PROBE_RUNS));
  const executor: RunExecutor = createExecutor(scenario, Math.min(threads, parallel));
  try {
    // With a sweep, the runs are the first half of the bar and the sweep the second.
    const runsShare = values.sweep === undefined ? 1 : 0.5;
    const summaries = await simulateRuns(params, executor, {
      shard,
      onProgress: (f) => {
        progress.update(f * runsShare, `${Math.floor(f * ownRuns)}/${ownRuns} runs of ${formatDuration(params.horizonMs)}`);
      },
    });
    if (shard !== undefined) {
      progress.done();
      const target = path.join(outDir, partialFileName(shard));
      writeFileAtomic(target, serializePartial(shard, params, summaries));
      if (!quiet) {
        process.stdout.write(`shard ${shard.index}/${shard.count}: ${summaries.length} of ${runs} runs written to ${target} (${elapsed(started)}); merge every shard with \`imgsim merge\`\n`);
      }
      return EXIT.ok;
    }
    const sweep =
      sweepRange === undefined
        ? null
        : await sweepRates(
            scenario,
            executor,
            {
              ...sweepRange,
              probeHorizonMs: probeHorizonMs ?? params.horizonMs,
              seed: params.seed,
              strategies: params.strategies,
              ...(tolerance === undefined ? {} : { tolerance }),
              ...(probeRuns === undefined ? {} : { probeRuns }),
              ...(target === undefined ? {} : { target }),
            },
            (f) => {
              progress.update(runsShare + f * (1 - runsShare), 'rate sweep');
            },
          );
    const parameterSweep =
      parameterSpec === undefined
        ? undefined
        : await sweepParameter(
            scenario,
            executor,
            {
              spec: parameterSpec,
              runsPerValue: probeRuns ?? DEFAULT_PROBE_RUNS,
              horizonMs: probeHorizonMs ?? params.horizonMs,
              seed: params.seed,
              strategies: params.strategies,
              ...(target === undefined ? {} : { target }),
            },
            (f) => {
              progress.update(runsShare + f * (1 - runsShare), 'parameter sweep');
            },
          );
    progress.done();
    const aggregated = aggregateForecast(params, summaries, sweep);
    const forecast = parameterSweep === undefined ? aggregated : { ...aggregated, parameterSweep };
    const { json, warnings } = await writeForecastOutputs(forecast, formats, outDir, file);
    if (!quiet) for (const w of warnings) process.stderr.write(`imgsim: ${w}\n`);
    if (values.json) process.stdout.write(json);
    else if (!quiet) {
      process.stdout.write(renderForecastTable(forecast));
      process.stdout.write(`\nforecast written to ${outDir}${path.sep} (${elapsed(started)} on ${threadsText(executor.threads)})\n`);
    }
    return EXIT.ok;
  } finally {
    progress.done();
    await executor.close();
  }
}

/** How many threads ran it, for people. */
function threadsText(threads: number): string {
  return threads === 0 ? 'the main thread' : threads === 1 ? '1 worker thread' : `${threads} worker threads`;
}

/** Wall time since a start, for people. */
function elapsed(startedMs: number): string {
  return formatDuration(performance.now() - startedMs);
}
