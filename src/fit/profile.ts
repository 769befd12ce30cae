/**
 * Time patterns in a provider's failures: outages (runs of minutes in which every attempt was
 * turned away as `overloaded`, as the simulator answers while a(t) = 0), and hour-of-day
 * profiles: a chi-square test of whether a failure's rate differs between hours, and, for the
 * share of attempts that found capacity, a 24-hour cosine in the shape of the availability
 * `diurnal` (docs/contract.md §2.2).
 */
import { gammaP } from '../model/latency.js';
import type { Span } from '../scenario/resolve.js';
import { leastSquares } from './linear.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** A minute counts as down when at least this many attempts came in and none found capacity. */
export const OUTAGE_MIN_ATTEMPTS = 3;
/** Hour-of-day differences are reported below this p-value (several are tested per provider). */
export const PROFILE_P_VALUE = 0.001;
/** Hours need at least this many attempts to enter a test. */
const MIN_HOUR_ATTEMPTS = 20;

/** One attempt's time and whether it counts (for a rate) or was turned away. */
export interface TimedAttempt {
  readonly startMs: number;
  /** The attempt was turned away without capacity (`overloaded`). */
  readonly overloaded: boolean;
}

/**
 * Finds outages: runs of whole minutes in which at least OUTAGE_MIN_ATTEMPTS attempts came and
 * every one was `overloaded`. An outage runs from the first of the turned-away attempts around
 * such minutes to the first attempt after them that was not turned away (or the last
 * turned-away one, at the end of the log).
 * @param attempts - attempts in start order
 * @returns the outages, in order
 */
export function findOutages(attempts: readonly TimedAttempt[]): Span[] {
  const out: Span[] = [];
  let i = 0;
  const n = attempts.length;
  while (i < n) {
    // Gather the minute starting at attempt i.
    const minute = Math.floor(attempts[i]!.startMs / MINUTE_MS);
    let j = i;
    let allOverloaded = true;
    while (j < n && Math.floor(attempts[j]!.startMs / MINUTE_MS) === minute) {
      if (!attempts[j]!.overloaded) allOverloaded = false;
      j++;
    }
    if (!(allOverloaded && j - i >= OUTAGE_MIN_ATTEMPTS)) {
      i = j;
      continue;
    }
    // A down minute: extend back and forth while the attempts keep being turned away.
    let first = i;
    while (first > 0 && attempts[first - 1]!.overloaded) first--;
    const startMs = attempts[first]!.startMs;
    let k = j;
    while (k < n && attempts[k]!.overloaded) k++;
    const endMs = k < n ? attempts[k]!.startMs : attempts[k - 1]!.startMs;
    out.push({ startMs, endMs });
    i = k;
  }
  return out;
}

/** Per hour of day (UTC): attempts and events. */
export interface HourlyCounts {
  readonly attempts: Float64Array;
  readonly events: Float64Array;
}

/**
 * Counts by hour of day (UTC).
 * @param items - what to count
 * @param startMs - each item's time
 * @param counts - whether an item counts at all
 * @param isEvent - whether a counted item is an event
 * @returns 24 buckets of attempts and events
 */
export function hourly<T>(items: readonly T[], startMs: (t: T) => number, counts: (t: T) => boolean, isEvent: (t: T) => boolean): HourlyCounts {
  const attempts = new Float64Array(24);
  const events = new Float64Array(24);
  for (const t of items) {
    if (!counts(t)) continue;
    const h = Math.floor((((startMs(t) % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS);
    attempts[h]!++;
    if (isEvent(t)) events[h]!++;
  }
  return { attempts, events };
}

/** A chi-square test of whether an event's rate is the same in every hour. */
export interface HourTest {
  readonly chiSquare: number;
  readonly df: number;
  readonly pValue: number;
  /** Hours with enough attempts to be tested. */
  readonly hours: number;
  /** The overall rate. */
  readonly rate: number;
  /** Hour (0–23) with the highest and the lowest rate, and those rates. */
  readonly highest: { hour: number; rate: number };
  readonly lowest: { hour: number; rate: number };
}

/**
 * Pearson's chi-square test of homogeneity on the 2 × H table (events and non-events by hour),
 * over hours with at least MIN_HOUR_ATTEMPTS attempts: χ² = Σ (O − E)² / E over both rows,
 * df = H − 1, p = 1 − P(df/2, χ²/2).
 * @param c - hourly counts
 * @returns the test, or undefined with fewer than two testable hours or no events at all
 */
export function hourTest(c: HourlyCounts): HourTest | undefined {
  let n = 0;
  let e = 0;
  let hours = 0;
  for (let h = 0; h < 24; h++) {
    if (c.attempts[h]! < MIN_HOUR_ATTEMPTS) continue;
    n += c.attempts[h]!;
    e += c.events[h]!;
    hours++;
  }
  if (hours < 2 || e === 0 || e === n) return undefined;
  const rate = e / n;
  let chi = 0;
  let highest = { hour: -1, rate: -Infinity };
  let lowest = { hour: -1, rate: Infinity };
  for (let h = 0; h < 24; h++) {
    const nh = c.attempts[h]!;
    if (nh < MIN_HOUR_ATTEMPTS) continue;
    const oh = c.events[h]!;
    const expected = nh * rate;
    chi += (oh - expected) ** 2 / expected + (oh - expected) ** 2 / (nh - expected);
    const r = oh / nh;
    if (r > highest.rate) highest = { hour: h, rate: r };
    if (r < lowest.rate) lowest = { hour: h, rate: r };
  }
  const df = hours - 1;
  return { chiSquare: chi, df, pValue: 1 - gammaP(df / 2, chi / 2), hours, rate, highest, lowest };
}

/** A 24-hour cosine fitted to an hourly share: share(h) ≈ base − amplitude · cos(2π (h − trough) / 24). */
export interface DiurnalFit {
  readonly base: number;
  readonly amplitude: number;
  /** Hour of the minimum, in [0, 24). */
  readonly troughHours: number;
  /** Share of the hourly variance (weighted by attempts) the cosine explains. */
  readonly r2: number;
}

/**
 * Fits share(h) = b + c·cos(2πh/24) + s·sin(2πh/24) by weighted least squares (weights: the
 * hour's attempts), then writes it as base b, amplitude √(c² + s²) and trough atan2(−s, −c):
 * −A·cos(2π(h − T)/24) expands to −A cos T′ cos(2πh/24) − A sin T′ sin(2πh/24).
 * @param c - hourly counts; the share is 1 − events / attempts
 * @returns the fit, or undefined with fewer than 6 hours of data
 */
export function fitDiurnal(c: HourlyCounts): DiurnalFit | undefined {
  const hours: number[] = [];
  for (let h = 0; h < 24; h++) if (c.attempts[h]! >= MIN_HOUR_ATTEMPTS) hours.push(h);
  if (hours.length < 6) return undefined;
  const share = (h: number): number => 1 - c.events[h]! / c.attempts[h]!;
  const w = (h: number): number => Math.sqrt(c.attempts[h]!);
  const beta = leastSquares(
    3,
    hours.length,
    (i, out) => {
      const h = hours[i]!;
      const a = (2 * Math.PI * h) / 24;
      out[0] = w(h);
      out[1] = w(h) * Math.cos(a);
      out[2] = w(h) * Math.sin(a);
    },
    (i) => w(hours[i]!) * share(hours[i]!),
  );
  if (beta === undefined) return undefined;
  const [b, cc, s] = [beta[0]!, beta[1]!, beta[2]!];
  let total = 0;
  let weight = 0;
  for (const h of hours) {
    total += c.attempts[h]! * share(h);
    weight += c.attempts[h]!;
  }
  const mean = total / weight;
  let ssTot = 0;
  let ssRes = 0;
  for (const h of hours) {
    const a = (2 * Math.PI * h) / 24;
    const fitted = b + cc * Math.cos(a) + s * Math.sin(a);
    ssTot += c.attempts[h]! * (share(h) - mean) ** 2;
    ssRes += c.attempts[h]! * (share(h) - fitted) ** 2;
  }
  const trough = ((Math.atan2(-s, -cc) * 24) / (2 * Math.PI) + 24) % 24;
  return { base: b, amplitude: Math.hypot(cc, s), troughHours: trough, r2: ssTot > 0 ? 1 - ssRes / ssTot : 0 };
}
