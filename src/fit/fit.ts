/**
 * `imgsim fit`: observed attempts in, the `providers` of a scenario out. Per provider: the
 * request the latency describes (`reference`, `latencyScaling`), a latency family per tier
 * (distributions.ts), the error latency, failure rates per outcome kind, the pricing model
 * that explains the costs (price.ts), which failures are billed, outages and an hour-of-day
 * availability profile when the data show them (profile.ts). Rendering is render.ts's.
 */
import type { Span } from '../scenario/resolve.js';
import { fitLatency, type LatencyFit } from './distributions.js';
import type { FitOutcome } from './outcomes.js';
import { inferPrice, type PriceFit } from './price.js';
import { PROFILE_P_VALUE, findOutages, fitDiurnal, hourTest, hourly, type DiurnalFit, type HourTest } from './profile.js';
import type { LogAttempt } from './read.js';
import { sortSamples } from './samples.js';

/** Steps assumed for requests whose steps the log does not record (the scenario default). */
const DEFAULT_STEPS = 30;
/** The tier name given to attempts whose log names none. */
const DEFAULT_TIER = 'standard';
/** The log must span this much for an hour-of-day availability profile. */
const DIURNAL_MIN_SPAN_MS = 23 * 3_600_000;

/** Failure kinds the scenario gives a probability, with their `failures` keys. */
export const FAILURE_KEYS = [
  ['server-error', 'serverError'],
  ['timeout', 'timeout'],
  ['generative', 'generative'],
  ['filtered', 'filtered'],
  ['connection-reset', 'connectionReset'],
] as const;
/** A `failures` key. */
export type FailureKey = (typeof FAILURE_KEYS)[number][1];

/** Outcomes that take the full service time: their latencies are service times. */
const SERVICE_OUTCOMES: ReadonlySet<FitOutcome> = new Set(['success', 'generative']);
/** Outcomes answered at once: their latencies are error latencies. */
const FAST_OUTCOMES: ReadonlySet<FitOutcome> = new Set(['server-error', 'filtered', 'rate-limited', 'overloaded']);
/** Outcomes that never reached the failure draw: rate limits and capacity, and no answer at all. */
const UNDRAWN_OUTCOMES: ReadonlySet<FitOutcome> = new Set(['rate-limited', 'overloaded', 'cancelled', 'client-error']);

/** Options of {@link fitProviders}. */
export interface FitOptions {
  /** Fewest samples to fit a latency distribution (default 30). */
  readonly minSamples?: number;
}

/** One tier's fit. */
export interface TierFit {
  /** Tier name as the scenario will write it. */
  readonly name: string;
  readonly attempts: number;
  /** Service times (successes and generative failures), scaled to the reference request. */
  readonly serviceSamples: number;
  /** The chosen latency distribution, or undefined with fewer than `minSamples` service times. */
  readonly latency: LatencyFit | undefined;
  /** The median service time, when there are too few samples to fit a distribution. */
  readonly medianMs: number | undefined;
  /** Price relative to the default tier's (undefined without billed attempts in both). */
  readonly priceMultiplier: number | undefined;
}

/** One failure kind's rate. */
export interface FailureRate {
  readonly kind: (typeof FAILURE_KEYS)[number][0];
  readonly key: FailureKey;
  readonly count: number;
  /** count / attempts that reached the draw. */
  readonly rate: number;
}

/** Evidence for `latencyScaling`: the spread of log service times under each choice. */
export interface ScalingEvidence {
  /** sd of ln(latency) within tiers, unscaled. */
  readonly noneSd: number;
  /** sd of ln(latency × reference work / work) within tiers. */
  readonly linearSd: number;
  /** Slope of ln(latency) on ln(work): 1 is linear, 0 is none. */
  readonly slope: number;
}

/** Everything fitted for one provider. */
export interface ProviderFit {
  /** The provider id the scenario will use. */
  readonly id: string;
  /** The provider column's value in the log. */
  readonly name: string;
  readonly attempts: number;
  readonly outcomes: Readonly<Partial<Record<FitOutcome, number>>>;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly reference: { readonly size: string; readonly steps: number };
  /** The chosen scaling, or undefined when every request had the same work. */
  readonly latencyScaling: 'linear' | 'none' | undefined;
  readonly scaling: ScalingEvidence | undefined;
  /** Tiers, the one with most attempts first (the scenario's default). */
  readonly tiers: readonly TierFit[];
  readonly errorLatency: LatencyFit | undefined;
  /** Attempts that reached the failure draw: the denominator of the rates. */
  readonly drawn: number;
  readonly failures: readonly FailureRate[];
  readonly price: PriceFit | undefined;
  /** Attempts with a cost in the log. */
  readonly costed: number;
  /** Failure kinds seen billed (true) or seen never billed (false). */
  readonly billing: Readonly<Partial<Record<FailureKey, boolean>>>;
  readonly outages: readonly Span[];
  /** The hour-of-day test of the share of attempts turned away without capacity. */
  readonly capacityTest: HourTest | undefined;
  /** The availability profile, when the test finds one and the log spans a day. */
  readonly diurnal: DiurnalFit | undefined;
  /** Failure kinds whose rate differs by hour of day (p < PROFILE_P_VALUE). */
  readonly hourly: readonly { readonly kind: string; readonly test: HourTest }[];
  readonly peakInFlight: number;
  readonly peakPerMinute: number;
  readonly notes: readonly string[];
}

/** The fit of a whole log. */
export interface FitResult {
  readonly providers: readonly ProviderFit[];
  readonly attempts: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

/**
 * Turns a name from a log into an id the scenario accepts (`[a-z0-9][a-z0-9-]*`).
 * @param name - e.g. `black-forest-labs/FLUX.1-schnell`
 * @param fallback - used when nothing is left
 * @returns e.g. `black-forest-labs-flux-1-schnell`
 */
export function toId(name: string, fallback: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return id === '' ? fallback : id;
}

/**
 * Fits every provider in a log.
 * @param attempts - the log's attempts
 * @param opts - options
 * @returns a fit per provider, in order of first appearance
 */
export function fitProviders(attempts: readonly LogAttempt[], opts: FitOptions = {}): FitResult {
  const minSamples = opts.minSamples ?? 30;
  const byProvider = new Map<string, LogAttempt[]>();
  let firstMs = Infinity;
  let lastMs = -Infinity;
  for (const a of attempts) {
    let list = byProvider.get(a.provider);
    if (!list) byProvider.set(a.provider, (list = []));
    list.push(a);
    if (a.startMs < firstMs) firstMs = a.startMs;
    if (a.startMs > lastMs) lastMs = a.startMs;
  }
  const ids = new Set<string>();
  const providers: ProviderFit[] = [];
  for (const [name, list] of byProvider) {
    let id = toId(name, 'provider');
    for (let k = 2; ids.has(id); k++) id = `${toId(name, 'provider')}-${k}`;
    ids.add(id);
    providers.push(fitProvider(id, name, list, minSamples));
  }
  return { providers, attempts: attempts.length, firstMs, lastMs };
}

function fitProvider(id: string, name: string, all: LogAttempt[], minSamples: number): ProviderFit {
  const notes: string[] = [];
  const attempts = [...all].sort((a, b) => a.startMs - b.startMs);
  const outcomes: Partial<Record<FitOutcome, number>> = {};
  for (const a of attempts) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;

  // Tiers, the busiest first.
  const tierCounts = new Map<string, number>();
  for (const a of attempts) {
    const t = toId(a.tier ?? DEFAULT_TIER, DEFAULT_TIER);
    tierCounts.set(t, (tierCounts.get(t) ?? 0) + 1);
  }
  const tierNames = [...tierCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t]) => t);
  const tierOf = (a: LogAttempt): string => toId(a.tier ?? DEFAULT_TIER, DEFAULT_TIER);

  // Service times and the reference request: the most common (size, steps) that succeeded.
  const service = attempts.filter((a) => SERVICE_OUTCOMES.has(a.outcome) && a.latencyMs !== undefined && a.latencyMs > 0);
  const shapes = new Map<string, { size: string; steps: number | undefined; n: number }>();
  for (const a of service.length > 0 ? service : attempts) {
    const key = `${a.size}/${a.steps ?? ''}`;
    const s = shapes.get(key);
    if (s) s.n++;
    else shapes.set(key, { size: a.size, steps: a.steps, n: 1 });
  }
  const modal = [...shapes.values()].sort((a, b) => b.n - a.n)[0];
  const reference = { size: modal?.size ?? '1024x1024', steps: modal?.steps ?? DEFAULT_STEPS };
  const [refW, refH] = reference.size.split('x').map(Number) as [number, number];
  const refWork = reference.steps * refW * refH;
  const work = (a: LogAttempt): number => (a.steps ?? reference.steps) * a.width * a.height;
  if (attempts.every((a) => a.steps === undefined)) notes.push(`the log records no steps: latency and price are read as if every request had ${reference.steps}`);

  const scaling = scalingEvidence(service, tierOf, work);
  const latencyScaling = scaling === undefined ? undefined : scaling.linearSd < scaling.noneSd ? 'linear' : 'none';
  const scale = (a: LogAttempt): number => (latencyScaling === 'linear' ? refWork / work(a) : 1);

  // Prices: the busiest billed tier is priced; the others get a multiplier.
  const costed = attempts.filter((a) => a.costUsd !== undefined);
  const billed = costed.filter((a) => a.costUsd! > 0);
  let price: PriceFit | undefined;
  const multipliers = new Map<string, number>();
  if (billed.length > 0) {
    const byTier = new Map<string, LogAttempt[]>();
    for (const a of billed) {
      const t = tierOf(a);
      let l = byTier.get(t);
      if (!l) byTier.set(t, (l = []));
      l.push(a);
    }
    const mainTier = tierNames.find((t) => byTier.has(t))!;
    price = inferPrice(byTier.get(mainTier)!.map((a) => ({ ...a, costUsd: a.costUsd!, steps: a.steps ?? reference.steps })));
    if (price !== undefined) {
      const fitted = price;
      for (const [t, rows] of byTier) {
        const ratios = rows.map((a) => a.costUsd! / fitted.predict({ ...a, costUsd: a.costUsd!, steps: a.steps ?? reference.steps })).filter((r) => Number.isFinite(r)).sort((x, y) => x - y);
        if (ratios.length > 0) multipliers.set(t, Number(ratios[Math.floor(ratios.length / 2)]!.toPrecision(6)));
      }
    }
  } else if (costed.length > 0) notes.push('no attempt was billed: every cost in the log is 0');
  else notes.push('the log has no costs: set `pricing` by hand');
  const billing: Partial<Record<FailureKey, boolean>> = {};
  for (const [kind, key] of FAILURE_KEYS) {
    const rows = costed.filter((a) => a.outcome === kind);
    if (rows.length > 0) billing[key] = rows.some((a) => a.costUsd! > 0);
  }

  const tiers: TierFit[] = tierNames.map((name) => {
    const mine = service.filter((a) => tierOf(a) === name);
    const xs = sortSamples(mine.map((a) => a.latencyMs! * scale(a)));
    const latency = xs.length >= Math.max(2, minSamples) ? fitLatency(xs) : undefined;
    const multiplier = multipliers.get(name);
    return {
      name,
      attempts: tierCounts.get(name)!,
      serviceSamples: xs.length,
      latency,
      medianMs: xs.length > 0 ? xs[Math.floor(xs.length / 2)] : undefined,
      priceMultiplier: multiplier === undefined || name === tierNames[0] ? undefined : multiplier,
    };
  });

  const fast = sortSamples(attempts.filter((a) => FAST_OUTCOMES.has(a.outcome) && a.latencyMs !== undefined).map((a) => a.latencyMs!));
  const errorLatency = fast.length >= Math.max(2, minSamples) ? fitLatency(fast) : undefined;

  const drawnAttempts = attempts.filter((a) => !UNDRAWN_OUTCOMES.has(a.outcome));
  const drawn = drawnAttempts.length;
  const failures: FailureRate[] = [];
  for (const [kind, key] of FAILURE_KEYS) {
    const count = outcomes[kind] ?? 0;
    if (count > 0) failures.push({ kind, key, count, rate: count / drawn });
  }

  const outages = findOutages(attempts.map((a) => ({ startMs: a.startMs, overloaded: a.outcome === 'overloaded' })));
  const inOutage = (a: LogAttempt): boolean => outages.some((o) => a.startMs >= o.startMs && a.startMs < o.endMs);
  const outside = outages.length === 0 ? attempts : attempts.filter((a) => !inOutage(a));
  const capacityTest = hourTest(
    hourly(
      outside,
      (a) => a.startMs,
      (a) => a.outcome !== 'cancelled' && a.outcome !== 'client-error',
      (a) => a.outcome === 'overloaded',
    ),
  );
  let diurnal: DiurnalFit | undefined;
  const span = attempts.length > 0 ? attempts[attempts.length - 1]!.startMs - attempts[0]!.startMs : 0;
  if (capacityTest !== undefined && capacityTest.pValue < PROFILE_P_VALUE) {
    if (span >= DIURNAL_MIN_SPAN_MS) {
      diurnal = fitDiurnal(
        hourly(
          outside,
          (a) => a.startMs,
          (a) => a.outcome !== 'cancelled' && a.outcome !== 'client-error',
          (a) => a.outcome === 'overloaded',
        ),
      );
    } else notes.push('overload differs by hour of day, but the log spans less than a day: no diurnal profile');
  }
  const hourlyNotes: { kind: string; test: HourTest }[] = [];
  for (const [kind] of FAILURE_KEYS) {
    const test = hourTest(
      hourly(
        outside,
        (a) => a.startMs,
        (a) => !UNDRAWN_OUTCOMES.has(a.outcome),
        (a) => a.outcome === kind,
      ),
    );
    if (test !== undefined && test.pValue < PROFILE_P_VALUE) hourlyNotes.push({ kind, test });
  }

  return {
    id,
    name,
    attempts: attempts.length,
    outcomes,
    firstMs: attempts[0]?.startMs ?? 0,
    lastMs: attempts[attempts.length - 1]?.startMs ?? 0,
    reference,
    latencyScaling,
    scaling,
    tiers,
    errorLatency,
    drawn,
    failures,
    price,
    costed: costed.length,
    billing,
    outages,
    capacityTest,
    diurnal,
    hourly: hourlyNotes,
    peakInFlight: peakInFlight(attempts),
    peakPerMinute: peakPerMinute(attempts),
    notes,
  };
}

/**
 * Compares the spread of log service times with and without linear scaling, within tiers.
 * @returns the evidence, or undefined when every request had the same work (or too few samples)
 */
function scalingEvidence(service: readonly LogAttempt[], tierOf: (a: LogAttempt) => string, work: (a: LogAttempt) => number): ScalingEvidence | undefined {
  if (service.length < 10) return undefined;
  const byTier = new Map<string, LogAttempt[]>();
  for (const a of service) {
    const t = tierOf(a);
    let l = byTier.get(t);
    if (!l) byTier.set(t, (l = []));
    l.push(a);
  }
  let ssNone = 0;
  let ssLinear = 0;
  let sxy = 0;
  let sxx = 0;
  let n = 0;
  for (const rows of byTier.values()) {
    let my = 0;
    let mx = 0;
    for (const a of rows) {
      my += Math.log(a.latencyMs!);
      mx += Math.log(work(a));
    }
    my /= rows.length;
    mx /= rows.length;
    for (const a of rows) {
      const y = Math.log(a.latencyMs!) - my;
      const x = Math.log(work(a)) - mx;
      ssNone += y * y;
      ssLinear += (y - x) * (y - x);
      sxy += x * y;
      sxx += x * x;
    }
    n += rows.length;
  }
  if (!(sxx > 1e-12 * n)) return undefined;
  const dof = Math.max(1, n - byTier.size);
  return { noneSd: Math.sqrt(ssNone / dof), linearSd: Math.sqrt(ssLinear / dof), slope: sxy / sxx };
}

/** Most attempts in flight at once (each from its start for its latency). */
function peakInFlight(attempts: readonly LogAttempt[]): number {
  const ends = attempts
    .filter((a) => a.latencyMs !== undefined)
    .map((a) => a.startMs + a.latencyMs!)
    .sort((x, y) => x - y);
  const starts = attempts
    .filter((a) => a.latencyMs !== undefined)
    .map((a) => a.startMs)
    .sort((x, y) => x - y);
  let peak = 0;
  let current = 0;
  let j = 0;
  for (const s of starts) {
    while (j < ends.length && ends[j]! <= s) {
      current--;
      j++;
    }
    current++;
    if (current > peak) peak = current;
  }
  return peak;
}

/** Most attempts started in one calendar minute. */
function peakPerMinute(attempts: readonly LogAttempt[]): number {
  let peak = 0;
  let minute = NaN;
  let count = 0;
  for (const a of attempts) {
    const m = Math.floor(a.startMs / 60_000);
    if (m === minute) count++;
    else {
      minute = m;
      count = 1;
    }
    if (count > peak) peak = count;
  }
  return peak;
}
