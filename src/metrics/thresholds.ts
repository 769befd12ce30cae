/**
 * The CI gate (docs/contract.md §2.6): each scenario threshold checked against the strategies' reports.
 */
import type { Scenario } from '../scenario/schema.js';
import { matchesPattern, ZERO_SECTIONS, ZERO_WHEN_ABSENT } from './metric-paths.js';
import type { Report, StrategyReport, ThresholdResult } from './report-types.js';

/** One threshold as the scenario gives it: a metric path, `max` and/or `min`, an optional strategy. */
export type Threshold = Scenario['thresholds'][number];

/**
 * Reads a number from a strategy report by its dotted path (`cost.perSucceeded`,
 * `latencyByUrgency.interactive.p95`); a key absent from a record of counts or money
 * ({@link ZERO_WHEN_ABSENT}), or any number of a money section a strategy lacks
 * ({@link ZERO_SECTIONS}), reads 0.
 * @param strategy - the report to read
 * @param metric - a dotted path (metric-paths.ts)
 * @returns the number there, or NaN when the path does not lead to a number
 */
export function readMetric(strategy: StrategyReport, metric: string): number {
  let at: unknown = strategy;
  const keys = metric.split('.');
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (typeof at !== 'object' || at === null) return NaN;
    if (!Object.hasOwn(at, key)) {
      if (i === keys.length - 1 && zeroWhenAbsent(keys.slice(0, i))) return 0;
      return ZERO_SECTIONS.includes(keys.slice(0, i + 1).join('.')) ? 0 : NaN;
    }
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'number' ? at : NaN;
}

/** Whether the record at `parent` lists only what occurred (a missing key is 0). */
function zeroWhenAbsent(parent: readonly string[]): boolean {
  return ZERO_WHEN_ABSENT.some((p) => matchesPattern(p, parent));
}

/**
 * Checks every threshold against the strategies it applies to: the one it names, or all when it
 * names none. A threshold naming a strategy that was not run (filtered out with `--strategy`)
 * gives no result. `max` is met when value <= max, `min` when value >= min; a NaN value meets
 * neither; a threshold with both bounds gives two results, `max` first.
 * @param thresholds - the scenario's thresholds
 * @param strategies - the strategies' reports
 * @returns per strategy name (in the order given, each present), its results in threshold order
 */
export function evaluateThresholds(
  thresholds: readonly Threshold[],
  strategies: readonly StrategyReport[],
): Map<string, ThresholdResult[]> {
  const out = new Map<string, ThresholdResult[]>();
  for (const s of strategies) out.set(s.name, []);
  for (const t of thresholds) {
    for (const s of strategies) {
      if (t.strategy !== undefined && t.strategy !== s.name) continue;
      const results = out.get(s.name)!;
      const value = readMetric(s, t.metric);
      // `<=` and `>=` are false for NaN, so a missing value fails the gate.
      if (t.max !== undefined) results.push({ metric: t.metric, limit: t.max, kind: 'max', value, ok: value <= t.max });
      if (t.min !== undefined) results.push({ metric: t.metric, limit: t.min, kind: 'min', value, ok: value >= t.min });
    }
  }
  return out;
}

/**
 * Whether the run fails its CI gate (exit code 1).
 * @param report - a finished report
 * @returns true when any strategy has a threshold result that is not ok
 */
export function thresholdsFailed(report: Report): boolean {
  return report.strategies.some((s) => s.thresholds.some((t) => !t.ok));
}
