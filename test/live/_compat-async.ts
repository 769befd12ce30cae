// Helpers of the async-dialect compatibility tests (compat-replicate, compat-fal): the real,
// unmodified `replicate` and `@fal-ai/client` pointed at `imgsim serve` and at the msw handlers.
import { setupServer } from 'msw/node';
import { createHandlers, type ImgsimHandlers } from '../../src/live/msw.js';
import { startServer, type LiveServer } from '../../src/live/server.js';
import type { ResolvedScenario } from '../../src/scenario/resolve.js';

/** Where the msw handlers answer. */
export const MSW_BASE = 'https://imgsim.test';

/**
 * @param p - a promise expected to reject
 * @returns what it rejected with (a resolution fails the test)
 */
export function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/**
 * @param base - serve's URL or the msw base URL
 * @param provider - a provider id
 * @returns what the ledger billed the provider, USD
 */
export async function costOf(base: string, provider: string): Promise<number> {
  const ledger = (await (await fetch(`${base}/_imgsim/ledger`)).json()) as { providers: Record<string, { costUsd: number }> };
  return ledger.providers[provider]?.costUsd ?? Number.NaN;
}

/** The msw handlers of a scenario, intercepting the global fetch between `start` and `stop`. */
export interface InProcess {
  /** The handlers (their `providers` hold the ledger); set by `start`. */
  handlers: ImgsimHandlers | undefined;
  start(): Promise<void>;
  stop(): void;
}

/**
 * @param scenario - the scenario
 * @param timeScale - wall ms per simulated ms
 * @returns handlers under {@link MSW_BASE} that refuse any other request
 */
export function inProcess(scenario: ResolvedScenario, timeScale: number): InProcess {
  let msw: ReturnType<typeof setupServer> | undefined;
  const t: InProcess = {
    handlers: undefined,
    async start() {
      t.handlers = await createHandlers(scenario, { baseUrl: MSW_BASE, timeScale });
      msw = setupServer(...t.handlers);
      msw.listen({ onUnhandledRequest: 'error' });
    },
    stop() {
      msw?.close();
    },
  };
  return t;
}

/** `imgsim serve` on 127.0.0.1 (an ephemeral port) between `start` and `stop`. */
export interface Served {
  /** The server's base URL; set by `start`. */
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @param scenario - the scenario
 * @param timeScale - wall ms per simulated ms
 * @returns the server's handle
 */
export function served(scenario: ResolvedScenario, timeScale: number): Served {
  let server: LiveServer | undefined;
  const t: Served = {
    url: '',
    async start() {
      server = await startServer(scenario, { port: 0, timeScale });
      t.url = server.url;
    },
    async stop() {
      await server?.close();
    },
  };
  return t;
}
