/**
 * Zone offsets against Intl, read in the orders the engine and strategies read them: forward
 * in small steps (the clock), in jumps back and forth (a deferral's scans of the next hours from
 * successive arrivals), across both daylight-saving changes of a year. The cache must never
 * answer an offset Intl would not.
 */
import { describe, expect, it } from 'vitest';
import { localMsOfDay, tzOffsetMs } from '../../src/model/time.js';

/** The offset Intl gives, ms (local = UTC + offset). */
function intlOffsetMs(tz: string, epochMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(epochMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(epochMs / 1000) * 1000;
}

const HOUR = 3_600_000;
// New York: clocks go forward 2026-03-08 07:00 UTC and back 2026-11-01 06:00 UTC.
const SPRING = Date.UTC(2026, 2, 8, 7);
const FALL = Date.UTC(2026, 10, 1, 6);

describe('tzOffsetMs', () => {
  it('agrees with Intl stepping forward, then scanning back and forth across both changes', () => {
    const tz = 'America/New_York';
    const instants: number[] = [];
    for (let t = SPRING - 6 * HOUR; t <= SPRING + 6 * HOUR; t += 7 * 60_000) instants.push(t);
    // Scans of 12 h at 15 min from successive "arrivals" a few minutes apart, around the fall change.
    for (let start = FALL - 14 * HOUR; start <= FALL + 2 * HOUR; start += 37 * 60_000) {
      instants.push(start);
      for (let k = 1; k <= 48; k++) instants.push(start + k * 15 * 60_000);
    }
    // And back in time, into the spring change again.
    for (let t = SPRING + 3 * HOUR; t >= SPRING - 3 * HOUR; t -= 11 * 60_000) instants.push(t);
    for (const t of instants) expect(tzOffsetMs(tz, t), new Date(t).toISOString()).toBe(intlOffsetMs(tz, t));
    expect(tzOffsetMs(tz, SPRING - 1)).toBe(-5 * HOUR);
    expect(tzOffsetMs(tz, SPRING)).toBe(-4 * HOUR);
    expect(tzOffsetMs(tz, FALL - 1)).toBe(-4 * HOUR);
    expect(tzOffsetMs(tz, FALL)).toBe(-5 * HOUR);
  });

  it('keeps zones apart when look-ups alternate between them', () => {
    const zones = ['Europe/Berlin', 'Asia/Kolkata', 'America/New_York', 'UTC', 'Australia/Sydney'];
    for (let t = Date.UTC(2026, 2, 28); t < Date.UTC(2026, 3, 6); t += 53 * 60_000) {
      for (const tz of zones) expect(tzOffsetMs(tz, t), `${tz} ${new Date(t).toISOString()}`).toBe(tz === 'UTC' ? 0 : intlOffsetMs(tz, t));
    }
    // Kolkata is UTC+5:30 all year: 00:00 UTC is 05:30 there.
    expect(localMsOfDay('Asia/Kolkata', Date.UTC(2026, 5, 1))).toBe(5.5 * HOUR);
  });
});
