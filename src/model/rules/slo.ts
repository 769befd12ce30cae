/**
 * SLO membership: whether a finished request met its class's bound. One rule for the simulator,
 * the live harness and the hindsight oracle.
 *
 * Interactive work: latency ≤ `slo.interactive` p95 (else p99, p90, p50; no bound: always).
 * Batch work: finished by its deadline (its own, else arrival + `slo.batch.deadline`) and, when
 * `slo.batch.p95` is set, latency ≤ it.
 */
import type { ImageRequest } from '../request.js';
import type { ResolvedScenario } from '../../scenario/resolve.js';

/** The scenario's SLO. */
export type Slo = ResolvedScenario['slo'];

/** What of a request its bound depends on (a request, or a record holding these fields of one). */
export type SloRequest = Pick<ImageRequest, 'urgency' | 'arrivalMs' | 'deadlineMs'>;

/**
 * Whether a succeeded request met its bound.
 * @param request - the request (urgency, arrival, deadline)
 * @param latencyMs - arrival to answer, ms
 * @param nowMs - when it finished, epoch ms
 * @param slo - the scenario's SLO
 * @returns true when within the SLO
 */
export function withinSlo(request: SloRequest, latencyMs: number, nowMs: number, slo: Slo): boolean {
  if (request.urgency === 'batch') {
    const deadline = request.deadlineMs ?? (slo.batch?.deadline !== undefined ? request.arrivalMs + slo.batch.deadline : Infinity);
    return nowMs <= deadline && (slo.batch?.p95 === undefined || latencyMs <= slo.batch.p95);
  }
  return latencyMs <= interactiveBoundMs(slo);
}

/**
 * The latest instant a request can finish within its bound, epoch ms (the oracle plans with it;
 * {@link withinSlo} is the judge); Infinity when no bound applies.
 * @param request - the request
 * @param slo - the scenario's SLO
 * @returns epoch ms
 */
export function sloDeadlineMs(request: ImageRequest, slo: Slo): number {
  if (request.urgency === 'batch') {
    const deadline = request.deadlineMs ?? (slo.batch?.deadline !== undefined ? request.arrivalMs + slo.batch.deadline : Infinity);
    return slo.batch?.p95 === undefined ? deadline : Math.min(deadline, request.arrivalMs + slo.batch.p95);
  }
  return request.arrivalMs + interactiveBoundMs(slo);
}

/**
 * The interactive latency bound: p95, else p99, p90, p50 of `slo.interactive`.
 * @param slo - the scenario's SLO
 * @returns ms, Infinity without one
 */
export function interactiveBoundMs(slo: Slo): number {
  const i = slo.interactive;
  return i?.p95 ?? i?.p99 ?? i?.p90 ?? i?.p50 ?? Infinity;
}

/** The target of a class whose bound is not a percentile (a batch deadline), and without any SLO. */
const DEFAULT_TARGET = 0.95;
/** A percentile bound's target: p95 → 0.95. */
const PERCENTILE_TARGETS = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

/**
 * The attainment each urgency class must reach. Interactive: the percentile of the bound
 * {@link withinSlo} checks (`p95`, else `p99`, `p90`, `p50`): p95 → 0.95. Batch (a deadline, or
 * `p95`): 0.95. A class without an SLO counts success as attainment and needs 0.95.
 * @param slo - the scenario's SLO
 * @returns the targets
 */
export function sloTargets(slo: Slo): { interactive: number; batch: number } {
  const i = slo.interactive;
  const key = i?.p95 !== undefined ? 'p95' : i?.p99 !== undefined ? 'p99' : i?.p90 !== undefined ? 'p90' : i?.p50 !== undefined ? 'p50' : undefined;
  return { interactive: key === undefined ? DEFAULT_TARGET : PERCENTILE_TARGETS[key], batch: DEFAULT_TARGET };
}
