/**
 * What one strategy's run delivered to each request, by request id: nothing (failed or
 * rejected), an image outside the request's SLO bound, or an image within it. One byte per
 * request; the hindsight oracle reads it to price exactly the service a strategy delivered.
 *
 * A log can also hand its levels on while the run goes (`onFinal`, `flush`, `close`): the
 * oracle's thread (src/sim/oracle-thread.ts) reads them in request order as they become final.
 */

/** The request got no image (failed or rejected), or was never recorded. */
export const SERVICE_NONE = 0;
/** The request succeeded outside its SLO bound. */
export const SERVICE_LATE = 1;
/** The request succeeded within its SLO bound. */
export const SERVICE_WITHIN_SLO = 2;

/** A service level: {@link SERVICE_NONE}, {@link SERVICE_LATE} or {@link SERVICE_WITHIN_SLO}. */
export type ServiceLevel = typeof SERVICE_NONE | typeof SERVICE_LATE | typeof SERVICE_WITHIN_SLO;

/** What the oracle reads of a log: the level of each request id, asked in increasing id order. */
export interface ServiceLevels {
  /**
   * @param requestId - a request id
   * @returns the level recorded for it, {@link SERVICE_NONE} when none was
   */
  at(requestId: number): ServiceLevel;
}

/** Set on every recorded entry, so a recorded {@link SERVICE_NONE} differs from no record yet. */
export const RECORDED = 4;
/** The bits of an entry that hold its level. */
export const LEVEL_MASK = 3;

/** First allocation, in requests (doubled when full). */
const INITIAL_CAPACITY = 4_096;

/**
 * Receives entries once they are final: `entries[k]` is request `fromId + k`'s (level | RECORDED,
 * or 0 for an id never recorded, which only {@link ServiceLog.close} sends).
 */
export type ServiceLogSink = (fromId: number, entries: Uint8Array<ArrayBuffer>) => void;

/** Service level per request id, growing as ids come. */
export class ServiceLog implements ServiceLevels {
  private levels = new Uint8Array(INITIAL_CAPACITY);
  /** One past the highest id recorded. */
  private end = 0;
  /** Every id below this one was recorded. */
  private finalBelow = 0;
  /** Ids below this one were handed to `onFinal`. */
  private sentBelow = 0;

  /** @param onFinal - receives entries as they become final (see {@link flush}), or nothing */
  constructor(private readonly onFinal?: ServiceLogSink) {}

  /**
   * Records how a request ended.
   * @param requestId - the request's id (a non-negative integer)
   * @param level - what it got
   */
  record(requestId: number, level: ServiceLevel): void {
    if (requestId >= this.levels.length) {
      let n = this.levels.length * 2;
      while (n <= requestId) n *= 2;
      const next = new Uint8Array(n);
      next.set(this.levels);
      this.levels = next;
    }
    this.levels[requestId] = level | RECORDED;
    if (requestId >= this.end) this.end = requestId + 1;
  }

  /**
   * @param requestId - a request id
   * @returns the level recorded for it, {@link SERVICE_NONE} when none was
   */
  at(requestId: number): ServiceLevel {
    return (requestId < this.levels.length ? this.levels[requestId]! & LEVEL_MASK : SERVICE_NONE) as ServiceLevel;
  }

  /**
   * Hands `onFinal` the entries of the ids recorded since the last call below which every id is
   * recorded (requests end out of order; an id is final once it is recorded, as a request ends
   * once). Cheap enough to call every few thousand events: each id is scanned once.
   */
  flush(): void {
    if (this.onFinal === undefined) return;
    const levels = this.levels;
    let i = this.finalBelow;
    while (i < this.end && (levels[i]! & RECORDED) !== 0) i++;
    this.finalBelow = i;
    if (i > this.sentBelow) {
      this.onFinal(this.sentBelow, levels.slice(this.sentBelow, i));
      this.sentBelow = i;
    }
  }

  /** The run is over: hands `onFinal` every entry not sent yet, up to the highest id recorded. */
  close(): void {
    if (this.onFinal === undefined) return;
    this.flush();
    if (this.end > this.sentBelow) {
      this.onFinal(this.sentBelow, this.levels.slice(this.sentBelow, this.end));
      this.sentBelow = this.end;
      this.finalBelow = this.end;
    }
  }
}
