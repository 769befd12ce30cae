/**
 * How hard a run used each provider and account, for forecasts and capacity planning (not part of
 * report.json): slot time used, attempts per minute at each account, and the credits each
 * credits account consumed hour by hour. Plain counters and hourly buckets; nothing per request.
 */

const HOUR_MS = 3_600_000;
/**
 * Hourly buckets kept at most (costs, credits used): twenty years, twice the longest window a
 * scenario may have (`MAX_DURATION_MS`), so in-flight work drains into its own hours. A bill later
 * still (work of a valid but absurd service time, years long) counts in the last bucket: the lists
 * stay bounded instead of growing by one entry per simulated hour.
 */
export const MAX_HOUR_BUCKETS = 2 * 3650 * 24;
const MINUTE_MS = 60_000;

/** Per-provider usage counters of one strategy's run. */
export class RunUsage {
  /** Slot time used per provider, ms (service time of every attempt that took a slot). */
  readonly busySlotMs: Float64Array;
  /**
   * Most attempts that reached an account's rate limiter in one minute (fixed minutes from the
   * start), kept at the index of the account's first provider; 0 elsewhere.
   */
  readonly peakPerMinute: Float64Array;
  private readonly minute: Float64Array;
  private readonly minuteCount: Float64Array;
  private readonly credits: number[][];

  /**
   * @param providers - number of providers
   * @param startMs - window start, epoch ms (minute and hour buckets count from here)
   */
  constructor(
    providers: number,
    private readonly startMs: number,
  ) {
    this.busySlotMs = new Float64Array(providers);
    this.peakPerMinute = new Float64Array(providers);
    this.minute = new Float64Array(providers).fill(-1);
    this.minuteCount = new Float64Array(providers);
    this.credits = Array.from({ length: providers }, () => []);
  }

  /**
   * Counts slot time an attempt holds.
   * @param provider - provider index
   * @param serviceMs - how long it holds the slot
   */
  busy(provider: number, serviceMs: number): void {
    this.busySlotMs[provider]! += serviceMs;
  }

  /**
   * Counts an attempt reaching an account's rate limiter.
   * @param account - index of the account's first provider
   * @param atMs - when
   */
  sent(account: number, atMs: number): void {
    const minute = Math.floor((atMs - this.startMs) / MINUTE_MS);
    if (minute !== this.minute[account]) {
      this.minute[account] = minute;
      this.minuteCount[account] = 0;
    }
    const n = ++this.minuteCount[account]!;
    if (n > this.peakPerMinute[account]!) this.peakPerMinute[account] = n;
  }

  /**
   * Counts credits consumed at a credits account.
   * @param account - index of the account's first provider
   * @param credits - credits consumed
   * @param atMs - when
   */
  creditsUsed(account: number, credits: number, atMs: number): void {
    const hours = this.credits[account]!;
    const hour = Math.min(MAX_HOUR_BUCKETS - 1, Math.max(0, Math.floor((atMs - this.startMs) / HOUR_MS)));
    while (hours.length <= hour) hours.push(0);
    hours[hour]! += credits;
  }

  /**
   * Credits consumed per hour from the window start at an account.
   * @param account - index of the account's first provider
   * @returns credits per hour (empty when none were consumed)
   */
  creditsByHour(account: number): readonly number[] {
    return this.credits[account]!;
  }
}
