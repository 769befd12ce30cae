/**
 * Synthetic traffic (docs/contract.md §2.5): arrivals over time and a mix of request classes, pulled one
 * request at a time so the engine holds a single pending arrival and memory stays constant for
 * any simulated duration.
 *
 * The rate at time t is `rate × m(t)`, where m(t) is the product of the pattern multipliers
 * ({@link rateMultiplier}). Poisson arrivals are a non-homogeneous Poisson process drawn by
 * thinning (Lewis–Shedler): candidates at rate λ*, each kept with probability λ(t)/λ*. λ* is
 * rate × (1 + amplitude) × max(1, weekend) × growth × bursts, taken per segment rather than
 * over the whole window: segments end at burst edges and on a growth grid, so a short ×10 burst
 * does not cost ten candidates per arrival for the rest of the month. Uniform arrivals are
 * spaced deterministically from the start, next = t + 1/λ(t), the rate read at the current time.
 *
 * Randomness comes from three named streams, so the traffic is the same for every strategy:
 * - `traffic/arrivals`: candidate gaps and thinning acceptances (Poisson only);
 * - `traffic/mix`: two draws per request, the class and then its step count (drawn even when
 *   the class has fixed steps, so editing one class never shifts another request's draws);
 * - `traffic/prompts`: two draws per request, the prompt and then the project pool index.
 * Prompts (and the project slugs drawn before them) are Faker's English words as a Faker seeded
 * from the scenario seed draws them (words.ts); pools are built once at construction and requests
 * pick from them by index.
 */
import type { ImageRequest } from '../model/request.js';
import { RNG_STATE_LENGTH, rngFor, streamKey, type Rng } from '../model/random.js';
import { tzOffsetMs } from '../model/time.js';
import { ImgsimError } from '../scenario/errors.js';
import type { ResolvedArrivals, ResolvedTraffic } from '../scenario/resolve.js';
import type { Feature, MixItem, Urgency } from '../scenario/schema.js';
import { isUnitError, parseSize } from '../scenario/units.js';
import { TraceReader } from './trace.js';
import { WordDraws } from './words.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const MS_PER_SEC = 1_000;
/** Zone offsets are constant within a UTC quarter-hour (see model/time.ts). */
const QUARTER_HOUR_MS = 900_000;
/** 1970-01-01 was a Thursday (0 = Sunday). */
const EPOCH_WEEKDAY = 4;
/** Prompts in each pool: enough variety for token counts, small enough to build in a few ms. */
const PROMPT_POOL_SIZE = 256;
/** Fallback project names for classes without `project`. */
const PROJECT_POOL_SIZE = 8;
/** Prompt length in words when a class sets no `promptWords`. */
const DEFAULT_PROMPT_WORDS = { min: 8, max: 40 } as const;
/**
 * Growth per bound segment: segments are short enough that growth within one stays under 1%
 * (ln 1.01), clamped to between a minute and a day.
 */
const GROWTH_PER_SEGMENT = Math.log(1.01);
/** Uniform arrivals at a zero rate probe forward this far for the rate to come back. */
const ZERO_RATE_PROBE_MS = MINUTE_MS;

/** Numbers in an {@link ArrivalStream}'s saved state (`save`, `restore`). */
export const STREAM_STATE_LENGTH = 9 + 3 * RNG_STATE_LENGTH;

/** Synthetic traffic as resolved: arrivals and the class mix. */
export interface SyntheticTraffic {
  readonly arrivals: ResolvedArrivals;
  readonly mix: readonly MixItem[];
}

/** Anything the engine pulls requests from: synthetic arrivals or a replayed trace. */
export interface RequestSource {
  /** @returns the next request in arrival order, or undefined when the traffic has ended */
  next(): ImageRequest | undefined;
  /** Releases any resource held (a trace's file); safe to call more than once. */
  close(): void;
}

/** The rate pattern compiled to plain fields for the hot path. */
class RatePattern {
  readonly startMs: number;
  readonly amplitude: number;
  readonly peakMs: number;
  readonly tz: string;
  readonly weekend: number;
  readonly growthPerMs: number;
  readonly burstStartMs: Float64Array;
  readonly burstEndMs: Float64Array;
  readonly burstMultiplier: Float64Array;
  private offsetFromMs = Infinity;
  private offsetToMs = -Infinity;
  private offsetMs = 0;

  constructor(arrivals: ResolvedArrivals, startMs: number) {
    const { diurnal, weekly, growth, bursts } = arrivals.pattern;
    this.startMs = startMs;
    this.amplitude = diurnal?.amplitude ?? 0;
    this.peakMs = (diurnal?.peak ?? 0) * MINUTE_MS;
    this.tz = diurnal?.tz ?? 'UTC';
    this.weekend = weekly?.weekend ?? 1;
    this.growthPerMs = growth ?? 0;
    this.burstStartMs = Float64Array.from(bursts, (b) => b.startMs);
    this.burstEndMs = Float64Array.from(bursts, (b) => b.endMs);
    this.burstMultiplier = Float64Array.from(bursts, (b) => b.multiplier);
  }

  /**
   * Local time (epoch ms shifted by the zone offset) at t. The offset is that of `tzOffsetMs`,
   * which is constant within a UTC quarter-hour; remembering the current quarter-hour here
   * spares two cache lookups per candidate arrival.
   */
  private localMs(tMs: number): number {
    if (tMs < this.offsetFromMs || tMs >= this.offsetToMs) {
      this.offsetFromMs = Math.floor(tMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
      this.offsetToMs = this.offsetFromMs + QUARTER_HOUR_MS;
      this.offsetMs = tzOffsetMs(this.tz, tMs);
    }
    return tMs + this.offsetMs;
  }

  /** Diurnal × weekly × growth at t (bursts excluded). */
  smooth(tMs: number): number {
    let m = 1;
    if (this.amplitude !== 0 || this.weekend !== 1) {
      const localMs = this.localMs(tMs);
      const dayIndex = Math.floor(localMs / DAY_MS);
      if (this.amplitude !== 0) {
        const h = localMs - dayIndex * DAY_MS; // local ms of day, as localMsOfDay
        m = 1 + this.amplitude * Math.cos((2 * Math.PI * (h - this.peakMs)) / DAY_MS);
      }
      if (this.weekend !== 1) {
        const day = (((dayIndex + EPOCH_WEEKDAY) % 7) + 7) % 7; // as localDayOfWeek
        if (day === 0 || day === 6) m *= this.weekend;
      }
    }
    if (this.growthPerMs !== 0) m *= Math.exp(this.growthPerMs * (tMs - this.startMs));
    return m;
  }

  /** Product of the multipliers of every burst containing t (half-open spans). */
  bursts(tMs: number): number {
    let m = 1;
    const n = this.burstStartMs.length;
    for (let i = 0; i < n; i++) {
      if (tMs >= this.burstStartMs[i]! && tMs < this.burstEndMs[i]!) m *= this.burstMultiplier[i]!;
    }
    return m;
  }

  /** The full multiplier m(t). */
  at(tMs: number): number {
    return this.smooth(tMs) * this.bursts(tMs);
  }

  /** Largest diurnal × weekly factor anywhere. */
  smoothMaxWithoutGrowth(): number {
    return (1 + this.amplitude) * Math.max(1, this.weekend);
  }
}

/**
 * The rate multiplier m(t): diurnal `1 + amplitude·cos(2π·(h − peak)/24 h)` (h local time of
 * day in the pattern's tz), `weekend` on local Saturday and Sunday (diurnal tz, else UTC),
 * growth `exp(growthPerMs·(t − start))`, and each burst's multiplier inside its span.
 * @param arrivals - resolved arrivals (bursts as absolute spans)
 * @param tMs - instant, epoch ms
 * @param startMs - start of the run, epoch ms (growth is 1 here)
 * @returns the factor on the base rate, >= 0
 */
export function rateMultiplier(arrivals: ResolvedArrivals, tMs: number, startMs: number): number {
  return new RatePattern(arrivals, startMs).at(tMs);
}

/** One mix class with everything a request copies precomputed. */
interface CompiledClass {
  readonly name: string;
  readonly size: string;
  readonly width: number;
  readonly height: number;
  readonly stepsMin: number;
  /** max − min + 1; 1 for fixed steps. */
  readonly stepsSpan: number;
  readonly quality: string | undefined;
  readonly features: readonly Feature[];
  readonly validate: boolean;
  readonly urgency: Urgency;
  readonly deadlineMs: number | undefined;
  readonly project: string | undefined;
  readonly tier: string | undefined;
  readonly prompts: readonly string[];
}

/**
 * Builds one prompt pool from Faker's words (words.ts draws them as Faker does).
 * @param faker - the seeded draws (advanced by this call)
 * @param minWords - fewest words per prompt
 * @param maxWords - most words per prompt
 * @returns PROMPT_POOL_SIZE prompts
 */
function buildPromptPool(faker: WordDraws, minWords: number, maxWords: number): string[] {
  const pool: string[] = [];
  for (let p = 0; p < PROMPT_POOL_SIZE; p++) {
    const n = faker.int(minWords, maxWords);
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      // Adjective-noun pairs joined by the odd preposition read like an image prompt.
      const slot = i % 3;
      words.push(slot === 0 ? faker.adjective() : slot === 1 ? faker.noun() : faker.preposition());
    }
    pool.push(words.join(' '));
  }
  return pool;
}

/** The faker-made pools of one seed and mix: project slugs, and prompt pools by word range. */
interface FakerPools {
  readonly projects: readonly string[];
  readonly pools: ReadonlyMap<string, readonly string[]>;
}

/** The pools last built, by seed and word ranges (the oracle's stream reads the run's traffic again). */
let lastPools: { readonly key: string; readonly pools: FakerPools } | undefined;

/** A mix class's prompt pool: its word range (classes with the same range share a pool). */
function promptPoolKey(m: MixItem): string {
  const words = m.promptWords ?? DEFAULT_PROMPT_WORDS;
  return `${words.min}-${words.max}`;
}

/**
 * Builds (or reuses) the project slugs and prompt pools of a seed and mix: a Faker seeded from
 * the scenario seed makes the projects first, then one pool per word range in mix order. The
 * result depends only on the seed and that order, so a second stream over the same traffic
 * reuses the last one built rather than drawing the same words again.
 * @param seed - the scenario seed
 * @param mix - the traffic's classes
 * @returns the pools (frozen prompt arrays)
 */
function fakerPools(seed: number, mix: readonly MixItem[]): FakerPools {
  const ranges: string[] = [];
  for (const m of mix) {
    const k = promptPoolKey(m);
    if (!ranges.includes(k)) ranges.push(k);
  }
  const key = `${seed}|${ranges.join(',')}`;
  if (lastPools?.key === key) return lastPools.pools;
  // The draws of a Faker with the en word lists seeded with the stream's key (words.ts).
  const faker = new WordDraws(streamKey(seed, 'traffic/faker'));
  // Default projects are named project-1 ... project-8 (they were drawn slugs, "brave-lantern",
  // which read like nothing in a report). The slugs are still drawn, and thrown away: the prompt
  // pools are drawn after them, and so stay the prompts they were.
  const slugs = new Set<string>();
  for (let attempt = 0; slugs.size < PROJECT_POOL_SIZE && attempt < 100 * PROJECT_POOL_SIZE; attempt++) {
    slugs.add(`${faker.adjective()}-${faker.noun()}`.toLowerCase().replace(/\s+/g, '-'));
  }
  const projects = Array.from({ length: PROJECT_POOL_SIZE }, (_, i) => `project-${i + 1}`);
  const pools = new Map<string, readonly string[]>();
  for (const m of mix) {
    const k = promptPoolKey(m);
    if (pools.has(k)) continue;
    const words = m.promptWords ?? DEFAULT_PROMPT_WORDS;
    pools.set(k, Object.freeze(buildPromptPool(faker, words.min, words.max)));
  }
  const result: FakerPools = { projects: Object.freeze(projects), pools };
  lastPools = { key, pools: result };
  return result;
}

/**
 * Synthetic arrivals as a pull-based stream: `next()` returns requests in arrival order until
 * the end of the window. Allocates nothing per request beyond the request itself.
 */
export class ArrivalStream implements RequestSource {
  private readonly pattern: RatePattern;
  private readonly ratePerSec: number;
  private readonly poisson: boolean;
  private readonly endMs: number;
  private readonly classes: readonly CompiledClass[];
  /** Cumulative class weights; a draw u·total picks the first class whose entry exceeds it. */
  private readonly cumulativeWeight: Float64Array;
  private readonly totalWeight: number;
  /** Index of the last class with a positive weight (guards u·total rounding up to total). */
  private readonly lastPositiveClass: number;
  private readonly projects: readonly string[];
  private readonly arrivalRng: Rng;
  private readonly mixRng: Rng;
  private readonly promptRng: Rng;

  /** Burst edges inside the window, sorted, deduplicated. */
  private readonly edgesMs: Float64Array;
  private edgeIndex = 0;
  private readonly gridStepMs: number;
  private gridIndex = 0;
  private nextGridMs: number;

  private tMs: number;
  private segmentEndMs: number;
  /** Thinning bound λ* in the current segment, per ms. */
  private boundPerMs = 0;
  /** Product of burst multipliers in the current segment (constant between burst edges). */
  private segmentBursts = 1;
  private nextId = 0;
  private done = false;
  /** The last request's draws (see {@link advance}). */
  drawnClass = 0;
  drawnSteps = 0;
  drawnPrompt = 0;
  drawnProject = 0;

  /**
   * @param traffic - resolved synthetic traffic (arrivals and mix)
   * @param seed - the scenario seed; names the random streams and seeds the faker
   * @param startMs - start of the window, epoch ms
   * @param endMs - end of the window (exclusive), epoch ms
   */
  constructor(traffic: SyntheticTraffic, seed: number, startMs: number, endMs: number) {
    const { arrivals, mix } = traffic;
    this.pattern = new RatePattern(arrivals, startMs);
    this.ratePerSec = arrivals.rate;
    this.poisson = arrivals.process === 'poisson';
    this.endMs = endMs;
    this.tMs = startMs;

    const { projects, pools } = fakerPools(seed, mix);
    this.projects = projects;
    const classes: CompiledClass[] = [];
    const cumulative = new Float64Array(mix.length);
    let total = 0;
    let lastPositive = -1;
    mix.forEach((m, i) => {
      const size = parseSize(m.size);
      if (isUnitError(size)) throw new ImgsimError('invalid-scenario', `traffic.mix[${i}].size: expected ${size.error}, got "${m.size}"`);
      const prompts = pools.get(promptPoolKey(m))!;
      const stepsMin = typeof m.steps === 'number' ? m.steps : m.steps.min;
      const stepsMax = typeof m.steps === 'number' ? m.steps : m.steps.max;
      classes.push({
        name: m.name,
        size: m.size,
        width: size.width,
        height: size.height,
        stepsMin,
        stepsSpan: Math.max(1, stepsMax - stepsMin + 1),
        quality: m.quality,
        features: Object.freeze([...m.features]),
        validate: m.validate,
        urgency: m.urgency,
        deadlineMs: m.deadline,
        project: m.project,
        tier: m.tier,
        prompts,
      });
      total += m.weight;
      cumulative[i] = total;
      if (m.weight > 0) lastPositive = i;
    });
    if (lastPositive < 0) {
      throw new ImgsimError('invalid-scenario', 'traffic.mix: no request class has a positive weight; give at least one class a weight > 0');
    }
    this.classes = classes;
    this.cumulativeWeight = cumulative;
    this.totalWeight = total;
    this.lastPositiveClass = lastPositive;

    this.arrivalRng = rngFor(seed, 'traffic/arrivals');
    this.mixRng = rngFor(seed, 'traffic/mix');
    this.promptRng = rngFor(seed, 'traffic/prompts');

    const edges = new Set<number>();
    for (const b of arrivals.pattern.bursts) {
      if (b.startMs > startMs && b.startMs < endMs) edges.add(b.startMs);
      if (b.endMs > startMs && b.endMs < endMs) edges.add(b.endMs);
    }
    this.edgesMs = Float64Array.from([...edges].sort((a, b) => a - b));
    const growth = Math.abs(this.pattern.growthPerMs);
    this.gridStepMs = growth === 0 ? Infinity : Math.min(DAY_MS, Math.max(MINUTE_MS, GROWTH_PER_SEGMENT / growth));
    this.nextGridMs = startMs;
    this.segmentEndMs = startMs;
    if (!(this.ratePerSec > 0) || !(endMs > startMs)) this.done = true;
    else this.enterSegment();
  }

  /** Requests returned so far. */
  get emitted(): number {
    return this.nextId;
  }

  /**
   * Starts the segment at `tMs`: up to the next burst edge, growth grid point or the window end.
   * Bursts are constant inside it; growth is bounded by its value at the far end (or the near
   * end when shrinking). A bound that changes at a segment edge keeps thinning exact because
   * the candidate process is memoryless: a candidate past the edge is dropped and drawing
   * restarts at the edge with the next segment's bound.
   */
  private enterSegment(): void {
    const t = this.tMs;
    while (this.nextGridMs <= t) {
      this.gridIndex++;
      this.nextGridMs = this.pattern.startMs + this.gridIndex * this.gridStepMs;
    }
    while (this.edgeIndex < this.edgesMs.length && this.edgesMs[this.edgeIndex]! <= t) this.edgeIndex++;
    const nextEdge = this.edgeIndex < this.edgesMs.length ? this.edgesMs[this.edgeIndex]! : Infinity;
    this.segmentEndMs = Math.min(this.nextGridMs, nextEdge, this.endMs);
    this.segmentBursts = this.pattern.bursts(t);
    const g = this.pattern.growthPerMs;
    const growthMax = g === 0 ? 1 : Math.exp(g * ((g > 0 ? this.segmentEndMs : t) - this.pattern.startMs));
    this.boundPerMs = (this.ratePerSec / MS_PER_SEC) * this.pattern.smoothMaxWithoutGrowth() * growthMax * this.segmentBursts;
  }

  /** @returns the next request in arrival order, or undefined once the window has ended */
  next(): ImageRequest | undefined {
    const arrivalMs = this.advance();
    return arrivalMs < 0 ? undefined : this.build(this.nextId - 1, arrivalMs, this.drawnClass, this.drawnSteps, this.drawnPrompt, this.drawnProject);
  }

  /**
   * Draws the next request without making it: its arrival (returned) and its class, steps,
   * prompt and project (in `drawnClass`, `drawnSteps`, `drawnPrompt`, `drawnProject`; its id is
   * `emitted - 1`). {@link build} makes the request; the traffic ring (ring.ts) carries the
   * draws to another thread, which builds the same request.
   * @returns the arrival, epoch ms, or -1 once the window has ended
   */
  advance(): number {
    if (this.done) return -1;
    const arrivalMs = this.poisson ? this.nextPoisson() : this.nextUniform();
    if (arrivalMs >= this.endMs) {
      this.done = true;
      return -1;
    }
    const mixRng = this.mixRng;
    const u = mixRng.next() * this.totalWeight;
    const cumulative = this.cumulativeWeight;
    // Binary search: the first class whose cumulative weight exceeds u (zero weights never win).
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    const classIndex = cumulative[lo]! > u ? lo : this.lastPositiveClass;
    const c = this.classes[classIndex]!;
    this.drawnClass = classIndex;
    this.drawnSteps = c.stepsMin + mixRng.int(c.stepsSpan);
    const promptRng = this.promptRng;
    this.drawnPrompt = promptRng.int(c.prompts.length);
    this.drawnProject = promptRng.int(this.projects.length);
    this.nextId++;
    return arrivalMs;
  }

  /** Lewis–Shedler thinning against the segment's bound; returns endMs when none is left. */
  private nextPoisson(): number {
    const rng = this.arrivalRng;
    const ratePerMs = this.ratePerSec / MS_PER_SEC;
    for (;;) {
      if (this.tMs >= this.endMs) return this.endMs;
      if (this.boundPerMs > 0) {
        const candidateMs = this.tMs + rng.exponential(1 / this.boundPerMs);
        if (candidateMs < this.segmentEndMs) {
          this.tMs = candidateMs;
          const rate = ratePerMs * this.pattern.smooth(candidateMs) * this.segmentBursts;
          if (rng.next() * this.boundPerMs < rate) return candidateMs;
          continue;
        }
      }
      this.tMs = this.segmentEndMs;
      if (this.tMs >= this.endMs) return this.endMs;
      this.enterSegment();
    }
  }

  /** Deterministic spacing at the current rate: next = t + 1/λ(t). */
  private nextUniform(): number {
    for (;;) {
      const t = this.tMs;
      if (t >= this.endMs) return this.endMs;
      if (t >= this.segmentEndMs) this.enterSegment();
      const ratePerMs = (this.ratePerSec / MS_PER_SEC) * this.pattern.smooth(t) * this.segmentBursts;
      if (ratePerMs > 0) {
        this.tMs = t + 1 / ratePerMs;
        return t;
      }
      // No traffic now (weekend 0, a zero burst, the trough of a full-amplitude cycle):
      // probe forward, stopping at a burst edge where the rate may come back.
      this.tMs = Math.min(t + ZERO_RATE_PROBE_MS, this.segmentEndMs);
    }
  }

  /**
   * Makes a request from its draws (see {@link advance}).
   * @param id - its id
   * @param arrivalMs - its arrival, epoch ms
   * @param classIndex - its class, an index into the mix
   * @param steps - its steps
   * @param promptIndex - its prompt, an index into its class's prompt pool
   * @param projectIndex - its fallback project, an index into the project pool
   * @returns the request
   */
  build(id: number, arrivalMs: number, classIndex: number, steps: number, promptIndex: number, projectIndex: number): ImageRequest {
    const c = this.classes[classIndex]!;
    const prompt = c.prompts[promptIndex]!;
    return {
      id,
      arrivalMs,
      className: c.name,
      size: c.size,
      width: c.width,
      height: c.height,
      steps,
      quality: c.quality,
      features: c.features,
      validate: c.validate,
      urgency: c.urgency,
      deadlineMs: c.deadlineMs === undefined ? undefined : arrivalMs + c.deadlineMs,
      project: c.project ?? this.projects[projectIndex]!,
      promptChars: prompt.length,
      prompt,
      tier: c.tier,
    };
  }

  /**
   * Writes where the stream stands (position, segment and random streams) into `out` from
   * `at`, {@link STREAM_STATE_LENGTH} numbers: {@link restore} on a stream of the same traffic
   * carries on from there, with the same draws.
   * @param out - where to write
   * @param at - first index written
   */
  save(out: Float64Array, at: number): void {
    out[at] = this.nextId;
    out[at + 1] = this.done ? 1 : 0;
    out[at + 2] = this.tMs;
    out[at + 3] = this.segmentEndMs;
    out[at + 4] = this.boundPerMs;
    out[at + 5] = this.segmentBursts;
    out[at + 6] = this.edgeIndex;
    out[at + 7] = this.gridIndex;
    out[at + 8] = this.nextGridMs;
    this.arrivalRng.save(out, at + 9);
    this.mixRng.save(out, at + 9 + RNG_STATE_LENGTH);
    this.promptRng.save(out, at + 9 + 2 * RNG_STATE_LENGTH);
  }

  /**
   * Carries on from a state {@link save} wrote (from a stream of the same traffic, seed and window).
   * @param from - the saved state
   * @param at - its first index
   */
  restore(from: Float64Array, at: number): void {
    this.nextId = from[at]!;
    this.done = from[at + 1] === 1;
    this.tMs = from[at + 2]!;
    this.segmentEndMs = from[at + 3]!;
    this.boundPerMs = from[at + 4]!;
    this.segmentBursts = from[at + 5]!;
    this.edgeIndex = from[at + 6]!;
    this.gridIndex = from[at + 7]!;
    this.nextGridMs = from[at + 8]!;
    this.arrivalRng.restore(from, at + 9);
    this.mixRng.restore(from, at + 9 + RNG_STATE_LENGTH);
    this.promptRng.restore(from, at + 9 + 2 * RNG_STATE_LENGTH);
  }

  /** Nothing to release; present so every {@link RequestSource} can be closed alike. */
  close(): void {
    this.done = true;
  }
}

/**
 * Opens the request source a scenario's traffic describes.
 * @param traffic - resolved traffic, synthetic or a trace
 * @param seed - the scenario seed
 * @param startMs - start of the run, epoch ms
 * @param endMs - end of the run (exclusive), epoch ms; a trace also stops here
 * @returns a pull-based source of requests in arrival order
 */
export function openTraffic(traffic: ResolvedTraffic, seed: number, startMs: number, endMs: number): RequestSource {
  return traffic.kind === 'synthetic' ? new ArrivalStream(traffic, seed, startMs, endMs) : new TraceReader(traffic.trace, startMs, endMs);
}
