/**
 * Local time of day in IANA time zones, fast enough for the engine's hot path: the zone offset
 * is looked up through Intl once per zone and UTC quarter-hour, then cached.
 */

const QUARTER_HOUR_MS = 900_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
/**
 * Per zone: offsets by UTC quarter-hour, and a run of adjacent quarter-hours [loKey, hiKey]
 * known to share `runOffsetMs`. Look-ups mostly move forward a little at a time (the clock, a
 * deferral's scan of the next hours), so the run grows to span the time between two clock
 * changes and nearly every look-up is two comparisons.
 */
interface ZoneCache {
  loKey: number;
  hiKey: number;
  runOffsetMs: number;
  readonly offsets: Map<number, number>;
}
const zones = new Map<string, ZoneCache>();
/** The zone of the last look-up (most callers read one zone many times in a row). */
let lastTz = '';
let lastZone: ZoneCache | undefined;

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

function computeOffsetMs(tz: string, epochMs: number): number {
  const parts = formatter(tz).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * Offset of a time zone from UTC at an instant (local = UTC + offset).
 * Zone transitions fall on UTC quarter-hours in every zone in use, so the cache key is the
 * quarter-hour containing the instant.
 * @param tz - IANA zone name
 * @param epochMs - instant
 * @returns offset in ms
 */
export function tzOffsetMs(tz: string, epochMs: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  let zone = tz === lastTz ? lastZone : zones.get(tz);
  if (zone === undefined) {
    zone = { loKey: Number.NaN, hiKey: Number.NaN, runOffsetMs: 0, offsets: new Map() };
    zones.set(tz, zone);
  }
  lastTz = tz;
  lastZone = zone;
  const key = Math.floor(epochMs / QUARTER_HOUR_MS);
  if (key >= zone.loKey && key <= zone.hiKey) return zone.runOffsetMs;
  let off = zone.offsets.get(key);
  if (off === undefined) {
    off = computeOffsetMs(tz, key * QUARTER_HOUR_MS);
    if (zone.offsets.size > 200_000) zone.offsets.clear(); // bounded: a year of quarter-hours is 35,040 keys
    zone.offsets.set(key, off);
  }
  // Extend the run by an adjacent quarter-hour with the same offset, else start a new one here.
  if (off === zone.runOffsetMs && key === zone.hiKey + 1) zone.hiKey = key;
  else if (off === zone.runOffsetMs && key === zone.loKey - 1) zone.loKey = key;
  else {
    zone.loKey = key;
    zone.hiKey = key;
    zone.runOffsetMs = off;
  }
  return off;
}

/**
 * Milliseconds after local midnight in a zone.
 * @param tz - IANA zone name
 * @param epochMs - instant
 * @returns ms in [0, 86,400,000)
 */
export function localMsOfDay(tz: string, epochMs: number): number {
  const local = epochMs + tzOffsetMs(tz, epochMs);
  return ((local % DAY_MS) + DAY_MS) % DAY_MS;
}

/**
 * Local day of the week in a zone, 0 = Sunday ... 6 = Saturday.
 * @param tz - IANA zone name
 * @param epochMs - instant
 * @returns day index
 */
export function localDayOfWeek(tz: string, epochMs: number): number {
  const local = epochMs + tzOffsetMs(tz, epochMs);
  // 1970-01-01 was a Thursday (4).
  return (((Math.floor(local / DAY_MS) + 4) % 7) + 7) % 7;
}

/**
 * Whether a local time of day lies in a window [from, to), both minutes after midnight; a
 * window with from > to wraps past midnight (22:00-06:00).
 * @param minuteOfDay - local minutes after midnight (fractional allowed)
 * @param from - window start, minutes
 * @param to - window end, minutes
 * @returns true inside the window
 */
export function inDailyWindow(minuteOfDay: number, from: number, to: number): boolean {
  if (from === to) return false;
  return from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
}
