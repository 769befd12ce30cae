/**
 * The attempt draw: the one mapping from an attempt's common random numbers to its outcome and
 * times, for both clocks. The simulator (src/sim/provider-runtime.ts) and the live provider
 * (src/live/provider.ts) read every attempt through it, and the hindsight oracle reads first
 * attempts through the simulator's, so none of them can disagree on what luck an attempt had.
 *
 * An attempt's stream is keyed by (request id, visit), where visit counts how many attempts of
 * the request reached this provider before; its first uniform picks the outcome
 * ({@link drawOutcome}); then a fast failure (docs/contract.md §2.3: `server-error`, `filtered`,
 * and live mode's `malformed`) draws its error latency, anything else the tier's service time
 * scaled to the request. An attempt refused before its outcome is read draws its error latency
 * after the (unread) outcome uniform; one refused for a full queue after its service time.
 */
import { DEFAULT_ERROR_LATENCY_MS } from '../account.js';
import { drawOutcome, type LiveFailureKind, type SimFailureKind } from '../failures.js';
import { makeSampler, serviceScale, type LatencySampler } from '../latency.js';
import { drawSourceFor, type DrawSource, type Rng } from '../random.js';
import type { ImageRequest } from '../request.js';
import type { ResolvedProvider } from '../../scenario/resolve.js';
import { answersWithoutSlot } from './admission.js';

/**
 * What one attempt's draw decides at a provider (a record the caller reuses). `K` is the
 * simulator's outcome kinds by default; live mode's add `malformed`.
 */
export interface AttemptDraw<K extends LiveFailureKind | 'success' = SimFailureKind | 'success'> {
  /** The outcome by the failure probabilities (rate limits, overload and timeouts are the caller's). */
  kind: K;
  /**
   * For a fast failure ({@link answersWithoutSlot}): how long its answer takes. Otherwise: the
   * service time of the work on the tier drawn for, scaled to the request (queue wait excluded), ms.
   */
  ms: number;
}

/** What of a request scales its service time. */
export type ScaledRequest = Pick<ImageRequest, 'steps' | 'width' | 'height'>;

/**
 * The stream name of a provider's attempt draws (docs/contract.md §2.6).
 * @param providerId - the provider's id
 * @returns `provider/<id>`
 */
export function drawStreamName(providerId: string): string {
  return `provider/${providerId}`;
}

/** One provider's attempt draws: its samplers and its keyed stream. */
export class AttemptDraws {
  /** One sampler per tier, in `spec.tierList` order. */
  readonly samplers: readonly LatencySampler[];
  /** The error latency (`failures.errorLatency`, default a fixed 200 ms). */
  readonly errorSampler: LatencySampler;
  /** The keyed stream. */
  readonly source: DrawSource;

  /**
   * @param spec - the provider
   * @param seed - scenario seed
   * @param stream - the stream's name (default {@link drawStreamName}: the simulator's)
   */
  constructor(
    readonly spec: ResolvedProvider,
    seed: number,
    stream = drawStreamName(spec.id),
  ) {
    this.samplers = spec.tierList.map((t) => makeSampler(t.latency));
    this.errorSampler = makeSampler(spec.failures.errorLatency ?? { dist: 'fixed', value: DEFAULT_ERROR_LATENCY_MS });
    this.source = drawSourceFor(seed, stream);
  }

  /**
   * Draws an attempt as the simulator sees it: a `malformed` draw is a `server-error`.
   * @param requestId - the request's id (keys the draw)
   * @param visit - how many attempts of this request reached this provider before (0 = first)
   * @param tier - index into `spec.tierList`
   * @param request - steps and size, which scale the service time
   * @param out - the record to fill
   * @returns the stream, positioned after the draws used (shared: valid until the next draw)
   */
  draw(requestId: number, visit: number, tier: number, request: ScaledRequest, out: AttemptDraw): Rng {
    return this.fill(requestId, visit, tier, request, out, false);
  }

  /**
   * Draws an attempt as the live provider sees it: a `malformed` draw is its own kind (the
   * server sends a broken 200 body), timed and billed as a `server-error`.
   * @param requestId - the request's id, or the live provider's sequence number (keys the draw)
   * @param visit - as for {@link draw}
   * @param tier - index into `spec.tierList`
   * @param request - steps and size
   * @param out - the record to fill
   * @returns the stream, positioned after the draws used
   */
  drawLive(requestId: number, visit: number, tier: number, request: ScaledRequest, out: AttemptDraw<LiveFailureKind | 'success'>): Rng {
    return this.fill(requestId, visit, tier, request, out, true);
  }

  private fill(requestId: number, visit: number, tier: number, request: ScaledRequest, out: AttemptDraw<LiveFailureKind | 'success'>, live: boolean): Rng {
    const rng = this.source.at(requestId, visit);
    const kind = drawOutcome(this.spec.failures, rng.next(), live);
    out.kind = kind;
    out.ms = answersWithoutSlot(kind)
      ? this.errorSampler.sample(rng)
      : this.samplers[tier]!.sample(rng) * serviceScale(this.spec, request.steps, request.width, request.height);
    return rng;
  }

  /**
   * How long the answer to an attempt refused before its outcome is read (`overloaded` at
   * a(t) = 0, `rate-limited`) takes: the error latency, after the unread outcome uniform.
   * @param requestId - as for {@link draw}
   * @param visit - as for {@link draw}
   * @returns ms
   */
  refusedLatencyMs(requestId: number, visit: number): number {
    const rng = this.source.at(requestId, visit);
    rng.next(); // the outcome uniform, unread
    return this.errorSampler.sample(rng);
  }

  /**
   * How long the `overloaded` answer to an attempt refused for a full queue takes: the error
   * latency, next on the stream {@link draw} returned.
   * @param rng - the stream as {@link draw} or {@link drawLive} left it
   * @returns ms
   */
  queueFullLatencyMs(rng: Rng): number {
    return this.errorSampler.sample(rng);
  }
}
