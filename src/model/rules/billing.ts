/**
 * Billing: which answers a provider charges for. One rule for both clocks (the simulator and the
 * live provider call these functions; neither decides billing by itself).
 *
 * A success is always charged; refusals (`rate-limited`, `overloaded`) never reach a GPU and are
 * never charged; failures follow `pricing.billing`. A `malformed` answer (live mode's broken 200
 * body) is a server error: charged per `billing.serverError`, as in simulated time, where a
 * malformed draw is a `server-error` (the client received no usable image). Work a client left
 * while it held a slot is charged per `billing.timeout` (the GPU did the work); work cancelled as
 * a hedge loser is charged as the provider saw it (its drawn outcome).
 */
import type { ResolvedProvider } from '../../scenario/resolve.js';

/** A provider's billing rules (`pricing.billing`). */
export type BillingRules = ResolvedProvider['pricing']['billing'];

/** An answer a provider may bill: the attempt outcomes, plus live mode's malformed body. */
export type BilledKind =
  | 'success'
  | 'server-error'
  | 'timeout'
  | 'generative'
  | 'filtered'
  | 'rate-limited'
  | 'overloaded'
  | 'connection-reset'
  | 'malformed';

/**
 * Whether an answer of this kind is charged.
 * @param kind - what the provider answered (or drew, for work nobody waited for)
 * @param billing - the provider's billing rules
 * @returns true when charged
 */
export function billable(kind: BilledKind, billing: BillingRules): boolean {
  switch (kind) {
    case 'success':
      return true;
    case 'generative':
      return billing.generative;
    case 'filtered':
      return billing.filtered;
    case 'server-error':
    case 'malformed':
      return billing.serverError;
    case 'timeout':
      return billing.timeout;
    case 'connection-reset':
      return billing.connectionReset;
    case 'rate-limited':
    case 'overloaded':
      return false;
  }
}

/** Why a provider finished work its client no longer waited for. */
export type AbandonedBy = 'client-timeout' | 'hedge-cancel';

/**
 * Whether work that ran after its client left is charged: a client that gave up (its timeout,
 * or it disconnected) is billed per `billing.timeout`; a cancelled hedge loser as its drawn outcome.
 * @param by - why the client left
 * @param drawn - the outcome the provider drew for the work
 * @param billing - the provider's billing rules
 * @returns true when charged
 */
export function billableAbandoned(by: AbandonedBy, drawn: BilledKind, billing: BillingRules): boolean {
  return by === 'hedge-cancel' ? billable(drawn, billing) : billing.timeout;
}
