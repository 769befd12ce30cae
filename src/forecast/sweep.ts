/**
 * The rate sweep (`--sweep rate=A..B`): for each strategy, the highest base arrival rate in
 * [A, B] at which the SLO still holds, by bisection.
 *
 * A probe at rate r runs the strategy `probeRuns` times (seeds {@link runSeed}(seed, 0..), the
 * same at every rate, so probes differ by their rate only) over the probe horizon with
 * `traffic.arrivals.rate` set to r (the pattern still applies). The SLO holds at r when, pooled
 * over the runs, each urgency class with requests reaches its target attainment (the fraction of
 * its requests that succeeded within the class's bound; see {@link sloTargets}). Bisection
 * starts from [A, B], keeps "holds" below and "misses" above, and stops when the bracket is at
 * most `tolerance` × (B − A) wide; the sustainable rate is the highest rate that held. All
 * strategies bisect at once, each round's probes running in parallel.
 *
 * The provider that saturates first is read at the lowest probe that missed the SLO (the highest
 * probe when none missed): the one whose utilisation, share of 429s or share of 503s is highest.
 */
import { sloTargets as classTargets } from '../model/rules/slo.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import { formatDuration } from '../scenario/units.js';
import type { ProbeProvider, Saturation, StrategySweep, SweepProbe, SweepResult } from './forecast-types.js';
import type { RunExecutor, RunTask } from './monte-carlo.js';
import { forecastContext, runSeed } from './parameters.js';
import type { StrategyRunSummary } from './summary.js';

/** Bisection stops at this fraction of the range by default. */
export const DEFAULT_SWEEP_TOLERANCE = 0.02;
/** Runs per probe by default. */
export const DEFAULT_PROBE_RUNS = 3;

/** What to sweep. */
export interface SweepOptions {
  readonly fromPerSec: number;
  readonly toPerSec: number;
  /** Stop when the bracket is this fraction of the range (default 0.02). */
  readonly tolerance?: number;
  /** Runs per probe (default 3). */
  readonly probeRuns?: number;
  /** Simulated span of each probe run, ms. */
  readonly probeHorizonMs: number;
  /** One attainment target for every class, instead of {@link sloTargets}. */
  readonly target?: number;
  /** Base seed. */
  readonly seed: number;
  /** Strategy names. */
  readonly strategies: readonly string[];
}

/**
 * The attainment each urgency class must reach (src/model/rules/slo.ts `sloTargets`), or one
 * target for every class.
 * @param scenario - the scenario (its `slo`)
 * @param override - one target for every class
 * @returns the targets
 */
export function sloTargets(scenario: ResolvedScenario, override?: number): { interactive: number; batch: number } {
  return override !== undefined ? { interactive: override, batch: override } : classTargets(scenario.slo);
}

/**
 * Parses `rate=A..B` (rates as in scenarios: `10/s`, `600/m`, a number per second).
 * @param spec - the --sweep value
 * @param parseRate - the scenario rate parser (returns undefined when invalid)
 * @returns the range, per second
 * @throws ImgsimError for anything else
 */
export function parseSweepSpec(spec: string, parseRate: (text: string) => number | undefined): { fromPerSec: number; toPerSec: number } {
  const m = /^\s*rate\s*=\s*(.+?)\s*\.\.\s*(.+?)\s*$/.exec(spec);
  const usage = `--sweep: expected rate=A..B with rates such as 10/s or 600/m, e.g. --sweep rate=10/s..200/s; got "${spec}"`;
  if (!m) throw new ImgsimError('invalid-argument', usage);
  const from = parseRate(m[1]!);
  const to = parseRate(m[2]!);
  if (from === undefined || to === undefined) throw new ImgsimError('invalid-argument', usage);
  if (!(from > 0) || !(to > from)) throw new ImgsimError('invalid-argument', `--sweep: the range must go up from a rate above 0 (A < B); got ${from}/s..${to}/s`);
  return { fromPerSec: from, toPerSec: to };
}

interface Bisection {
  readonly name: string;
  lo: number | undefined;
  hi: number | undefined;
  done: boolean;
  readonly probes: SweepProbe[];
}

/**
 * Runs the sweep.
 * @param scenario - the resolved scenario (synthetic traffic)
 * @param executor - where probe runs are simulated
 * @param opts - range, tolerance, probe runs and horizon, target, seed, strategies
 * @param onProgress - an estimate of the fraction done, now and then
 * @returns the sweep result
 */
export async function sweepRates(
  scenario: ResolvedScenario,
  executor: RunExecutor,
  opts: SweepOptions,
  onProgress?: (fraction: number) => void,
): Promise<SweepResult> {
  if (scenario.traffic.kind !== 'synthetic') {
    throw new ImgsimError('invalid-argument', `${scenario.file}: a replayed trace has its own rate; --sweep needs synthetic traffic (traffic.arrivals)`);
  }
  const tolerance = opts.tolerance ?? DEFAULT_SWEEP_TOLERANCE;
  const probeRuns = opts.probeRuns ?? DEFAULT_PROBE_RUNS;
  const targets = sloTargets(scenario, opts.target);
  const tolerancePerSec = tolerance * (opts.toPerSec - opts.fromPerSec);
  const context = forecastContext(scenario);
  const states: Bisection[] = opts.strategies.map((name) => ({ name, lo: undefined, hi: undefined, done: false, probes: [] }));
  const estimate = states.length * (2 + Math.max(0, Math.ceil(Math.log2(1 / tolerance))));
  let probesDone = 0;

  const probeAll = async (wanted: { state: Bisection; rate: number }[]): Promise<SweepProbe[]> => {
    const tasks: RunTask[] = [];
    for (const w of wanted) {
      for (let j = 0; j < probeRuns; j++) {
        tasks.push({ runIndex: j, seed: runSeed(opts.seed, j), durationMs: opts.probeHorizonMs, strategies: [w.state.name], ratePerSec: w.rate });
      }
    }
    const results = await executor.run(tasks, onProgress ? (f) => { onProgress(Math.min(1, (probesDone + f * wanted.length) / estimate)); } : undefined);
    const probes = wanted.map((w, k) => {
      const runs = results.slice(k * probeRuns, (k + 1) * probeRuns).map((r) => r.strategies[0]!);
      const probe = evaluateProbe(w.rate, runs, context.providers, opts.probeHorizonMs, targets);
      w.state.probes.push(probe);
      return probe;
    });
    probesDone += wanted.length;
    return probes;
  };

  // Round one: both ends of the range.
  const ends = await probeAll(states.flatMap((state) => [{ state, rate: opts.fromPerSec }, { state, rate: opts.toPerSec }]));
  states.forEach((state, i) => {
    const [low, high] = [ends[2 * i]!, ends[2 * i + 1]!];
    if (!low.meetsSlo) {
      state.done = true;
      state.hi = low.ratePerSec;
    } else if (high.meetsSlo) {
      state.done = true;
      state.lo = high.ratePerSec;
    } else {
      state.lo = low.ratePerSec;
      state.hi = high.ratePerSec;
    }
  });
  for (;;) {
    const active = states.filter((s) => !s.done && s.hi! - s.lo! > tolerancePerSec);
    if (active.length === 0) break;
    const probes = await probeAll(active.map((state) => ({ state, rate: (state.lo! + state.hi!) / 2 })));
    active.forEach((state, i) => {
      if (probes[i]!.meetsSlo) state.lo = probes[i]!.ratePerSec;
      else state.hi = probes[i]!.ratePerSec;
    });
  }
  return {
    fromPerSec: opts.fromPerSec,
    toPerSec: opts.toPerSec,
    tolerancePerSec,
    probeRuns,
    probeHorizon: formatDuration(opts.probeHorizonMs),
    targets,
    strategies: states.map((s): StrategySweep => {
      const probes = [...s.probes].sort((a, b) => a.ratePerSec - b.ratePerSec);
      return {
        name: s.name,
        sustainableRatePerSec: s.lo ?? null,
        aboveRange: s.lo === opts.toPerSec,
        saturates: saturation(probes),
        probes,
      };
    }),
  };
}

/**
 * Pools a probe's runs and checks the SLO.
 * @param ratePerSec - the probe's rate
 * @param runs - the strategy's summary in each run
 * @param providers - provider ids and concurrency
 * @param horizonMs - each run's span
 * @param targets - attainment targets per class
 * @returns the probe
 */
function evaluateProbe(
  ratePerSec: number,
  runs: readonly StrategyRunSummary[],
  providers: readonly { id: string; concurrency: number }[],
  horizonMs: number,
  targets: { interactive: number; batch: number },
): SweepProbe {
  const pooled = (u: 'interactive' | 'batch'): number | null => {
    let requests = 0;
    let attained = 0;
    for (const r of runs) {
      requests += r.slo[u].requests;
      attained += r.slo[u].attained;
    }
    return requests === 0 ? null : attained / requests;
  };
  const interactive = pooled('interactive');
  const batch = pooled('batch');
  let requests = 0;
  let succeeded = 0;
  for (const r of runs) {
    requests += r.requests;
    succeeded += r.succeeded;
  }
  const perProvider: Record<string, ProbeProvider> = {};
  for (const p of providers) {
    let busy = 0;
    let attempts = 0;
    let limited = 0;
    let overloaded = 0;
    let peakQueue = 0;
    for (const r of runs) {
      const x = r.providers[p.id]!;
      busy += x.busySlotMs;
      attempts += x.attempts;
      limited += x.rateLimited;
      overloaded += x.overloaded;
      peakQueue = Math.max(peakQueue, x.peakQueue);
    }
    perProvider[p.id] = {
      utilisation: busy / (p.concurrency * horizonMs * runs.length),
      rateLimitedShare: attempts > 0 ? limited / attempts : 0,
      overloadedShare: attempts > 0 ? overloaded / attempts : 0,
      peakQueue,
    };
  }
  return {
    ratePerSec,
    meetsSlo: (interactive === null || interactive >= targets.interactive) && (batch === null || batch >= targets.batch) && requests > 0,
    attainment: { interactive, batch },
    successRate: requests > 0 ? succeeded / requests : 0,
    providers: perProvider,
  };
}

/**
 * The provider that gives out first: at the lowest probe that missed the SLO (else the highest
 * probe), the provider whose utilisation, 429 share or 503 share is highest.
 * @param probes - the probes, by rate
 * @returns the provider and why, or null when there were no probes
 */
function saturation(probes: readonly SweepProbe[]): Saturation | null {
  const probe = probes.find((p) => !p.meetsSlo) ?? probes[probes.length - 1];
  if (probe === undefined) return null;
  let best: Saturation | null = null;
  let bestScore = -1;
  for (const [id, p] of Object.entries(probe.providers)) {
    const score = Math.max(p.utilisation, p.rateLimitedShare, p.overloadedShare);
    if (score <= bestScore) continue;
    bestScore = score;
    const by = score === p.utilisation ? 'slots' : score === p.rateLimitedShare ? 'rate-limit' : 'overload';
    best = { provider: id, ratePerSec: probe.ratePerSec, by, utilisation: p.utilisation, rateLimitedShare: p.rateLimitedShare, overloadedShare: p.overloadedShare };
  }
  return best;
}
