/**
 * Reserved capacity in simulated time: a provider's reserved slots next to its on-demand ones,
 * and the fees. Where an attempt runs and what it costs there is the model's rule
 * (src/model/rules/reserved.ts); this file applies it to the {@link SimState}. Providers without
 * a reservation never reach it.
 */
import { ReservedTally } from '../metrics/reserved.js';
import { reservationFees, reservedDecision } from '../model/rules/reserved.js';
import type { ResolvedScenario } from '../scenario/resolve.js';
import type { ReservedSpec } from '../scenario/schema.js';
import type { ProviderRuntime } from './provider-runtime.js';
import type { AttemptState, SimState } from './state.js';

/** Where an attempt at a provider runs: on demand (every provider without a reservation), a reserved slot, or refused. */
export type Lane = 'on-demand' | 'reserved' | 'refused';

/** A provider's reserved slots in simulated time. */
export class ReservedLane {
  /** Reserved slots busy. */
  busy = 0;

  /** @param spec - the provider's reservation */
  constructor(readonly spec: ReservedSpec) {}
}

/**
 * Whether some provider of a scenario has reserved capacity. The hindsight oracle prices every
 * attempt on demand, so such scenarios run without it (no `oracle`, no regret).
 * @param scenario - the resolved scenario
 * @returns true with a reservation
 */
export function hasReservation(scenario: ResolvedScenario): boolean {
  return scenario.providers.some((p) => p.reserved !== undefined);
}

/**
 * The reserved-capacity counters of a run, when some provider has a reservation.
 * @param scenario - the resolved scenario
 * @returns the tally, or undefined
 */
export function reservedTally(scenario: ResolvedScenario): ReservedTally | undefined {
  if (!hasReservation(scenario)) return undefined;
  return new ReservedTally(
    scenario.providers.map((p) => p.reserved),
    scenario.startMs,
    scenario.endMs,
  );
}

/**
 * Prices an attempt at a provider with a reservation by the model's rule: a free reserved slot
 * at the marginal price, else refused (price 0), else on demand (the caller prices it).
 * @param s - the state
 * @param at - the attempt
 * @param lane - the provider's reserved slots
 * @returns true when priced here (reserved or refused), false for on demand
 */
export function priceReserved(s: SimState, at: AttemptState, lane: ReservedLane): boolean {
  const d = reservedDecision(lane.spec, lane.busy);
  at.lane = d.slot;
  s.collector.reserved!.decided(at.provider, d.slot);
  if (d.slot === 'on-demand') return false;
  at.priceUsd = d.slot === 'reserved' ? d.priceUsd : 0;
  at.credits = 0;
  return true;
}

/**
 * The attempt takes a reserved slot now.
 * @param s - the state
 * @param at - the attempt (lane `reserved`)
 * @param rt - its provider
 */
export function startReserved(s: SimState, at: AttemptState, rt: ProviderRuntime): void {
  rt.reserved!.busy++;
  s.collector.reserved!.busy(at.provider, s.clock.now, at.serviceMs);
}

/**
 * Bills every reservation's fees over the window, each at the start of its period (fees are a
 * commitment: they count in the provider's and the run's cost, not against `budget` or `quota`).
 * @param s - the state
 */
export function chargeReservationFees(s: SimState): void {
  const tally = s.collector.reserved!;
  const { startMs, endMs } = s.scenario;
  for (const rt of s.runtimes) {
    const r = rt.spec.reserved;
    if (r === undefined) continue;
    for (const f of reservationFees(r, startMs, endMs)) {
      tally.fee(rt.spec.index, f.usd);
      s.collector.cost(rt.spec.index, undefined, f.usd, false, f.atMs);
    }
  }
}
