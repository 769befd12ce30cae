/**
 * Reading what a gateway did from serve's journal: provider requests tied to harness requests by
 * the `user` tag, retries and failovers counted as the simulator counts a gateway plan.
 */
import { describe, expect, it } from 'vitest';
import { accountGateway, gatewayTag, kindOfLedgerOutcome } from '../../src/live/gateway-accounting.js';
import type { JournalEntry, LiveOutcome } from '../../src/live/ledger.js';

function entry(provider: string, outcome: LiveOutcome, user?: string): JournalEntry {
  return {
    id: 'req_x',
    time: '2026-06-01T00:00:00.000Z',
    simTime: '2026-06-01T00:00:00.000Z',
    provider,
    project: 'default',
    body: { model: provider, prompt: 'p', ...(user === undefined ? {} : { user }) },
    tier: 'standard',
    outcome,
    code: undefined,
    costUsd: 0,
    status: outcome === 'success' ? 200 : 500,
    latencyMs: 1,
    simLatencyMs: 1,
  };
}

describe('accountGateway', () => {
  it('counts a provider tried again for the request as a retry, a new one as a failover, interleaved requests apart', () => {
    const journal = [
      entry('a', 'server-error', gatewayTag(1, 1)),
      entry('a', 'connection-reset', gatewayTag(2, 1)),
      entry('a', 'server-error', gatewayTag(1, 1)),
      entry('b', 'success', gatewayTag(2, 1)),
      entry('b', 'server-error', gatewayTag(1, 1)),
      // A harness re-send of request 1 (attempt 2) back at a: a provider tried before.
      entry('a', 'success', gatewayTag(1, 2)),
      entry('c', 'success', gatewayTag(3, 1)),
    ];
    expect(accountGateway(journal)).toEqual({ attempts: 7, retries: 2, failovers: 2, recovered: 2, untagged: 0 });
  });

  it('leaves entries without an imgsim tag out, and says how many', () => {
    const journal = [entry('a', 'success'), entry('a', 'success', 'someone-else'), entry('b', 'success', gatewayTag(7, 1))];
    expect(accountGateway(journal)).toEqual({ attempts: 1, retries: 0, failovers: 0, recovered: 0, untagged: 2 });
  });

  it('maps serve-only ledger outcomes to the report kinds', () => {
    expect(kindOfLedgerOutcome('rate-limited')).toBe('rate-limited');
    expect(kindOfLedgerOutcome('malformed')).toBe('server-error');
    expect(kindOfLedgerOutcome('invalid-request')).toBe('filtered');
    expect(kindOfLedgerOutcome('aborted')).toBe('timeout');
    expect(kindOfLedgerOutcome('shutdown')).toBe('server-error');
  });
});
