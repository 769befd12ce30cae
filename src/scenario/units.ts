/**
 * The scenario language's units: durations, rates, sizes, money, growth and times of day.
 * Every parser returns a plain number (or record) in the unit its name says, or a
 * `UnitError` value naming what was expected; none of them throws.
 */

import { MAX_DURATION_MS, MAX_SIDE_PX, MAX_USD } from './limits.js';

/** A parse failure: what was expected, for the schema to report at the value's position. */
export interface UnitError {
  readonly error: string;
}

/** Either a parsed value or a {@link UnitError}. */
export type Parsed<T> = T | UnitError;

/** Narrows a {@link Parsed} result to its error case. */
export function isUnitError(value: unknown): value is UnitError {
  return typeof value === 'object' && value !== null && 'error' in value;
}

const MS_PER: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|min|m|h|d|w)\s*$/;

/** Pattern a duration string must match (for the JSON Schema). */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*(ms|s|min|m|h|d|w)\\s*$';

/** What a duration looks like, for messages. */
export const DURATION_EXPECTED = 'a duration such as "500ms", "2s", "5m", "1h", "30d" or a number of milliseconds';

/**
 * Parses a duration (`500ms`, `2s`, `5m`, `1h`, `30d`, `1w`, or a number of milliseconds).
 * @param input - the scenario value
 * @returns milliseconds, or an error
 */
export function parseDurationMs(input: unknown): Parsed<number> {
  let ms: number;
  if (typeof input === 'number') ms = input;
  else {
    const m = typeof input === 'string' ? DURATION_RE.exec(input) : null;
    if (!m) return { error: DURATION_EXPECTED };
    ms = Number(m[1]) * (MS_PER[m[2]!] ?? 1);
  }
  if (!(Number.isFinite(ms) && ms >= 0)) return { error: DURATION_EXPECTED };
  return ms <= MAX_DURATION_MS ? ms : { error: DURATION_TOO_LONG };
}

/** What a duration beyond {@link MAX_DURATION_MS} gets, for messages. */
export const DURATION_TOO_LONG = `a duration of at most 3650d (ten years; ${MAX_DURATION_MS} ms)`;

const RATE_RE = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kKM]?)\s*\/\s*(s|m|min|h|d)\s*$/;

/** Pattern a rate string must match (for the JSON Schema). */
export const RATE_PATTERN = '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*[kKM]?\\s*/\\s*(s|m|min|h|d)\\s*$';

/** What a rate looks like, for messages. */
export const RATE_EXPECTED = 'a rate such as "20/s", "1200/m", "50000/h", "1.2M/d" or a number per second';

/**
 * Parses a rate (`20/s`, `1200/m`, `50000/h`, `1.2M/d`, `3k/h`, or a number per second).
 * @param input - the scenario value
 * @returns events per second, or an error
 */
export function parseRatePerSec(input: unknown): Parsed<number> {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input >= 0 ? input : { error: RATE_EXPECTED };
  }
  if (typeof input !== 'string') return { error: RATE_EXPECTED };
  const m = RATE_RE.exec(input);
  if (!m) return { error: RATE_EXPECTED };
  const scale = m[2] === 'M' ? 1e6 : m[2] === '' ? 1 : 1e3;
  return (Number(m[1]) * scale * 1_000) / (MS_PER[m[3]!] ?? 1_000);
}

/** An image size in pixels. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

const SIZE_RE = /^([1-9]\d{0,5})x([1-9]\d{0,5})$/;

/** Pattern a size must match (for the JSON Schema). */
export const SIZE_PATTERN = '^[1-9][0-9]{0,5}x[1-9][0-9]{0,5}$';

/** What a size looks like, for messages. */
export const SIZE_EXPECTED = 'a size WIDTHxHEIGHT such as "1024x1024"';

/**
 * Parses a size `WIDTHxHEIGHT`.
 * @param input - the scenario value
 * @returns the size, or an error
 */
export function parseSize(input: unknown): Parsed<Size> {
  if (typeof input !== 'string') return { error: SIZE_EXPECTED };
  const m = SIZE_RE.exec(input.trim());
  if (!m) return { error: SIZE_EXPECTED };
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width > MAX_SIDE_PX || height > MAX_SIDE_PX) return { error: SIZE_TOO_LARGE };
  return { width, height };
}

/** What a size with a side beyond {@link MAX_SIDE_PX} gets, for messages. */
export const SIZE_TOO_LARGE = `a size WIDTHxHEIGHT with each side at most ${MAX_SIDE_PX} px`;

/** Formats a size back to `WIDTHxHEIGHT`. */
export function formatSize(size: Size): string {
  return `${size.width}x${size.height}`;
}

/** Pixels of a size, in megapixels (1 MP = 1,000,000 pixels, as providers bill). */
export function megapixels(size: Size): number {
  return (size.width * size.height) / 1_000_000;
}

/** What an amount of money looks like, for messages. */
export const MONEY_EXPECTED = 'an amount in USD such as 0.04 or "$0.04"';

/**
 * Parses money in USD: a number, or a string such as `"$0.04"` or `"0.04 USD"`.
 * @param input - the scenario value
 * @returns USD, or an error
 */
export function parseMoneyUsd(input: unknown): Parsed<number> {
  let usd: number;
  if (typeof input === 'number') usd = input;
  else {
    const m = typeof input === 'string' ? /^\s*\$?\s*(\d+(?:\.\d+)?|\.\d+)\s*(?:USD)?\s*$/i.exec(input) : null;
    if (!m) return { error: MONEY_EXPECTED };
    usd = Number(m[1]);
  }
  if (!(Number.isFinite(usd) && usd >= 0)) return { error: MONEY_EXPECTED };
  return usd <= MAX_USD ? usd : { error: MONEY_TOO_LARGE };
}

/** What an amount beyond {@link MAX_USD} gets, for messages. */
export const MONEY_TOO_LARGE = 'an amount in USD of at most 1000000000 (one billion)';

/** A time of day, as minutes after local midnight. */
export type MinuteOfDay = number;

/** Pattern a time of day must match (for the JSON Schema). */
export const TIME_OF_DAY_PATTERN = '^([01][0-9]|2[0-4]):[0-5][0-9]$';

/** What a time of day looks like, for messages. */
export const TIME_OF_DAY_EXPECTED = 'a time of day "HH:MM" such as "02:00"';

/**
 * Parses a time of day `HH:MM` (24:00 allowed as the end of a day).
 * @param input - the scenario value
 * @returns minutes after midnight, or an error
 */
export function parseTimeOfDay(input: unknown): Parsed<MinuteOfDay> {
  if (typeof input !== 'string') return { error: TIME_OF_DAY_EXPECTED };
  const m = /^(\d{2}):(\d{2})$/.exec(input.trim());
  if (!m) return { error: TIME_OF_DAY_EXPECTED };
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (Number(m[2]) > 59 || minutes > 24 * 60) return { error: TIME_OF_DAY_EXPECTED };
  return minutes;
}

/** What a growth rate looks like, for messages. */
export const GROWTH_EXPECTED = 'a growth rate such as "15%/month", "2%/week", "0.5%/day" or "40%/year"';

const GROWTH_PERIOD_MS: Readonly<Record<string, number>> = {
  day: 86_400_000,
  week: 604_800_000,
  month: 30 * 86_400_000, // a month is 30 days throughout imgsim
  year: 365 * 86_400_000,
};

/**
 * Parses compound growth (`15%/month`; a month is 30 days) into a continuous rate.
 * @param input - the scenario value
 * @returns the natural-log growth per millisecond, so that the factor after t ms is exp(r t)
 */
export function parseGrowthPerMs(input: unknown): Parsed<number> {
  if (typeof input !== 'string') return { error: GROWTH_EXPECTED };
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*%\s*\/\s*(day|week|month|year)\s*$/.exec(input);
  if (!m) return { error: GROWTH_EXPECTED };
  const fraction = Number(m[1]) / 100;
  if (fraction <= -1) return { error: `${GROWTH_EXPECTED} (a shrink of 100% or more leaves no traffic)` };
  return Math.log1p(fraction) / GROWTH_PERIOD_MS[m[2]!]!;
}

/** What a percentage looks like, for messages. */
export const PERCENT_EXPECTED = 'a percentage such as "5.5%" (at most 1000%), or a fraction below 1 such as 0.055';

/** The pattern of a percentage, for the JSON schema. */
export const PERCENT_PATTERN = '^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*%\\s*$';

/**
 * Parses a percentage (`"5.5%"`) or a fraction below 1 (0.055, what it parses to, so a parsed
 * value parses again to itself) into a fraction. A number of 1 or more is refused: is 5 five
 * percent or five hundred?
 * @param input - the scenario value
 * @returns the fraction, or an error
 */
export function parsePercent(input: unknown): Parsed<number> {
  if (typeof input === 'number') return input >= 0 && input < 1 ? input : { error: PERCENT_EXPECTED };
  const m = typeof input === 'string' ? /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(input) : null;
  if (!m) return { error: PERCENT_EXPECTED };
  const pct = Number(m[1]);
  return pct <= 1000 ? pct / 100 : { error: PERCENT_EXPECTED };
}

/** What an instant looks like, for messages. */
export const INSTANT_EXPECTED = 'an ISO 8601 time with a zone, such as "2026-06-01T00:00:00Z"';

/**
 * Parses an ISO 8601 instant that names its zone (`Z` or an offset).
 * @param input - the scenario value
 * @returns epoch milliseconds, or an error
 */
export function parseInstantMs(input: unknown): Parsed<number> {
  if (input instanceof Date) return Number.isNaN(input.getTime()) ? { error: INSTANT_EXPECTED } : input.getTime();
  if (typeof input !== 'string') return { error: INSTANT_EXPECTED };
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})$/.test(input.trim())) {
    return { error: INSTANT_EXPECTED };
  }
  const ms = Date.parse(input);
  return Number.isNaN(ms) ? { error: INSTANT_EXPECTED } : ms;
}

/**
 * Parses a point in simulated time: an ISO instant, or a duration offset from `startMs`.
 * @param input - the scenario value
 * @param startMs - the simulated clock's start, epoch ms
 * @returns epoch milliseconds, or an error
 */
export function parseAtMs(input: unknown, startMs: number): Parsed<number> {
  const offset = parseDurationMs(input);
  if (!isUnitError(offset)) return startMs + offset;
  const instant = parseInstantMs(input);
  if (!isUnitError(instant)) return instant;
  return { error: `${INSTANT_EXPECTED}, or ${DURATION_EXPECTED} after start` };
}

/**
 * Checks an IANA time-zone name against the runtime's zone database.
 * @param tz - e.g. "UTC", "Europe/Berlin"
 * @returns true when Intl knows the zone
 */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Formats a duration in ms compactly for people (`1.5s`, `12m`, `3h 20m`).
 * @param ms - milliseconds
 * @returns a short label
 */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  if (ms < 86_400_000) return `${+(ms / 3_600_000).toFixed(1)}h`;
  return `${+(ms / 86_400_000).toFixed(1)}d`;
}
