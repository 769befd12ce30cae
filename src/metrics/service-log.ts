/**
 * What one strategy's run delivered to each request, by request id: nothing (failed or
 * rejected), an image outside the request's SLO bound, or an image within it. One byte per
 * request; the hindsight oracle reads it to price exactly the service a strategy delivered.
 */

/** The request got no image (failed or rejected), or was never recorded. */
export const SERVICE_NONE = 0;
/** The request succeeded outside its SLO bound. */
export const SERVICE_LATE = 1;
/** The request succeeded within its SLO bound. */
export const SERVICE_WITHIN_SLO = 2;

/** A service level: {@link SERVICE_NONE}, {@link SERVICE_LATE} or {@link SERVICE_WITHIN_SLO}. */
export type ServiceLevel = typeof SERVICE_NONE | typeof SERVICE_LATE | typeof SERVICE_WITHIN_SLO;

/** First allocation, in requests (doubled when full). */
const INITIAL_CAPACITY = 4_096;

/** Service level per request id, growing as ids come. */
export class ServiceLog {
  private levels = new Uint8Array(INITIAL_CAPACITY);

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
    this.levels[requestId] = level;
  }

  /**
   * @param requestId - a request id
   * @returns the level recorded for it, {@link SERVICE_NONE} when none was
   */
  at(requestId: number): ServiceLevel {
    return (requestId < this.levels.length ? this.levels[requestId]! : SERVICE_NONE) as ServiceLevel;
  }
}
