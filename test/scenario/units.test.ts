import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  isUnitError,
  megapixels,
  parseAtMs,
  parseDurationMs,
  parseGrowthPerMs,
  parseInstantMs,
  parseMoneyUsd,
  parseRatePerSec,
  parseSize,
  parseTimeOfDay,
} from '../../src/scenario/units.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['5min', 300_000],
    ['1h', 3_600_000],
    ['30d', 30 * 86_400_000],
    ['1w', 7 * 86_400_000],
    [250, 250],
    [0, 0],
  ])('reads %s as %d ms', (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each(['cheap', '5 parsecs', '-1s', '', '1h30m', -5, Number.NaN, null, true])('refuses %s', (input) => {
    expect(isUnitError(parseDurationMs(input))).toBe(true);
  });
});

describe('rates', () => {
  it.each([
    ['20/s', 20],
    ['1200/m', 20],
    ['50000/h', 50_000 / 3_600],
    ['1.2M/d', 1_200_000 / 86_400],
    ['3k/h', 3_000 / 3_600],
    [7.5, 7.5],
  ])('reads %s as %d per second', (input, perSec) => {
    expect(parseRatePerSec(input)).toBeCloseTo(perSec, 12);
  });

  it.each(['fast', '20', '20/fortnight', -1])('refuses %s', (input) => {
    expect(isUnitError(parseRatePerSec(input))).toBe(true);
  });
});

describe('sizes, money, times of day', () => {
  it('reads WIDTHxHEIGHT and counts megapixels as providers bill them', () => {
    const size = parseSize('2048x1024');
    expect(size).toEqual({ width: 2048, height: 1024 });
    // 2048 × 1024 = 2,097,152 pixels = 2.097152 MP
    expect(megapixels(size as { width: number; height: number })).toBe(2.097152);
  });

  it.each(['1024', '1024X1024', '0x10', 'axb', 1024])('refuses the size %s', (input) => {
    expect(isUnitError(parseSize(input))).toBe(true);
  });

  it.each([
    [0.04, 0.04],
    ['$0.04', 0.04],
    ['0.04 USD', 0.04],
  ])('reads money %s', (input, value) => {
    expect(parseMoneyUsd(input)).toBe(value);
  });

  it.each(['cheap', -1, '$-1'])('refuses money %s', (input) => {
    expect(isUnitError(parseMoneyUsd(input))).toBe(true);
  });

  it.each([
    ['02:00', 120],
    ['00:00', 0],
    ['23:59', 1_439],
    ['24:00', 1_440],
  ])('reads the time of day %s as %d minutes', (input, minutes) => {
    expect(parseTimeOfDay(input)).toBe(minutes);
  });

  it.each(['2:00', '24:01', '12:60', 'noon'])('refuses the time of day %s', (input) => {
    expect(isUnitError(parseTimeOfDay(input))).toBe(true);
  });
});

describe('growth and instants', () => {
  it('compounds 15%/month so that 30 days multiply traffic by exactly 1.15', () => {
    const r = parseGrowthPerMs('15%/month') as number;
    expect(Math.exp(r * 30 * 86_400_000)).toBeCloseTo(1.15, 12);
  });

  it('refuses a shrink of 100% or more', () => {
    expect(isUnitError(parseGrowthPerMs('-100%/month'))).toBe(true);
  });

  it('needs a zone on instants, so a scenario means the same everywhere', () => {
    expect(parseInstantMs('2026-06-01T00:00:00Z')).toBe(Date.UTC(2026, 5, 1));
    expect(parseInstantMs('2026-06-01T02:00:00+02:00')).toBe(Date.UTC(2026, 5, 1));
    expect(isUnitError(parseInstantMs('2026-06-01T00:00:00'))).toBe(true);
  });

  it('reads a point in time as an instant or as an offset from start', () => {
    const start = Date.UTC(2026, 5, 1);
    expect(parseAtMs('10h', start)).toBe(start + 36_000_000);
    expect(parseAtMs('2026-06-02T00:00:00Z', start)).toBe(start + 86_400_000);
  });

  it('formats durations compactly for people', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1_500)).toBe('1.5s');
    expect(formatDuration(90 * 60_000)).toBe('1.5h');
  });
});
