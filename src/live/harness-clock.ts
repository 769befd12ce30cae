/**
 * The clocks of a live pass (`imgsim live`): simulated time mapped onto wall time from
 * `wallStart`, sim = start + (wall − wallStart) / timeScale. The routing layer reads `now`
 * (a `Clock`); the pass moves it forward with {@link PassClock.tick} and sleeps with
 * {@link PassClock.sleepUntil}.
 */
import type { Clock } from '../routing/provider-view.js';

/** A pass's simulated clock, driven by the wall clock. */
export class PassClock implements Clock {
  /** Simulated now, epoch ms (never goes backwards). */
  now: number;
  /** `performance.now()` at the simulated start. */
  private wallStart = 0;

  /**
   * @param startMs - the scenario's start, epoch ms
   * @param timeScale - wall ms per simulated ms
   */
  constructor(
    private readonly startMs: number,
    private readonly timeScale: number,
  ) {
    this.now = startMs;
  }

  /**
   * Starts the clock: simulated `startMs` is `leadMs` of wall time from now.
   * @param leadMs - wall ms before the simulated start
   */
  start(leadMs: number): void {
    this.wallStart = performance.now() + leadMs;
    this.now = this.startMs;
  }

  /**
   * Sets and returns the simulated clock from the wall clock.
   * @returns simulated now, epoch ms
   */
  tick(): number {
    const now = this.startMs + (performance.now() - this.wallStart) / this.timeScale;
    // Never backwards (a strategy may have been told a later `now` by an arrival's time).
    if (now > this.now) this.now = now;
    return this.now;
  }

  /**
   * Sleeps until a simulated time (returns at once when it has passed, or when `stop` aborts).
   * @param simMs - simulated epoch ms
   * @param stop - ends the sleep early
   */
  async sleepUntil(simMs: number, stop?: AbortSignal): Promise<void> {
    const dueWall = this.wallStart + (simMs - this.startMs) * this.timeScale;
    for (;;) {
      const waitMs = dueWall - performance.now();
      if (waitMs <= 0 || stop?.aborted === true) return;
      // Timers may fire a fraction of a ms early: loop until the due time has really passed.
      await sleepWall(Math.max(1, Math.ceil(waitMs)), stop);
    }
  }
}

/**
 * Sleeps for wall ms; an abort ends the sleep early (it resolves, it does not reject).
 * @param ms - wall milliseconds
 * @param signal - optional abort
 * @returns when the time is up or the signal aborted
 */
function sleepWall(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
