/**
 * The `Dialect` interface: one API face of the mock providers (the OpenAI Images API, the
 * Replicate-like async predictions, fal's queue through its proxy protocol). core.ts keeps the
 * list of dialects (dialects/) and asks each in turn to `match` a path; the one that does
 * `parse`s the request on arrival and, when the provider model must run, `answer`s it.
 * Adding a dialect is adding one file to dialects/ and one line to core.ts's list.
 *
 * A dialect borrows what every dialect shares from the core through {@link DialectHost}: the
 * clocks, request ids, the key check, the body errors of the transport, and the journal.
 */
import type { BudgetRefusal } from '../model/rules/budget.js';
import type { ResolvedProvider } from '../scenario/resolve.js';
import type { LiveOutcome } from './ledger.js';
import type { LiveError } from './openai-dialect.js';
import type { LiveRequest, LiveResponse } from './protocol.js';
import type { LiveProvider, RateLimitState } from './provider.js';

/** A route a dialect recognised in a path. */
export interface DialectRoute {
  /** The method the route takes (405 with this `Allow` otherwise); undefined: any (fal's proxy: the target URL says what is asked). */
  readonly allow: string | undefined;
}

/**
 * One finished provider request, as the journal records it (budget, ledger, journal). The times
 * are readings of {@link DialectHost.now}; the core converts them to wall and simulated epochs.
 */
export interface RequestRecord {
  /** `x-request-id` (a prediction's id in the async dialect). */
  readonly id: string;
  readonly provider: string;
  readonly project: string;
  /** The request body as received, or a bounded summary of it (journal-body.ts). */
  readonly body: unknown;
  /** Latency tier, once the request got that far. */
  readonly tier: string | undefined;
  readonly outcome: LiveOutcome;
  /** The error code sent, if any. */
  readonly code: string | undefined;
  /** Billed, USD. */
  readonly costUsd: number;
  /** The HTTP status sent, or null when none was (a hang, a reset, an abort). */
  readonly status: number | null;
  /** Wall clock reading at arrival. */
  readonly arrivedWall: number;
  /** Wall clock reading when the request ended. */
  readonly answeredWall: number;
}

/** What every dialect borrows from the core (core.ts builds one per `LiveProviders`). */
export interface DialectHost {
  /** Where the server is reachable (`url` answers, absolute prediction URLs). */
  readonly baseUrl: string;
  /** Wall ms per simulated ms. */
  readonly timeScale: number;
  /** @returns the wall clock, ms (monotonic) */
  now(): number;
  /** @returns wall epoch ms at a reading of {@link now} */
  epochAt(wallMs: number): number;
  /** @returns simulated epoch ms at a reading of {@link now} */
  simAt(wallMs: number): number;
  /** @returns the next request id with a prefix (`req_…`, `pred_…`) */
  nextRequestId(prefix: string): string;
  /** @returns the 401 of a request without a valid key (`Authorization: Bearer <key>`) */
  authError(req: LiveRequest): LiveError | undefined;
  /** @returns the 400/413 of a body the transport could not read */
  bodyError(req: LiveRequest): LiveError | undefined;
  /**
   * The budget's refusal of a request arriving at a reading of {@link now} (`budget.onExhausted:
   * reject`, the simulator's rule), or undefined when it may go ahead.
   */
  budgetRefusal(project: string, arrivedWall: number): BudgetRefusal | undefined;
  /**
   * Holds an admitted request's price against the budget until its record is journaled
   * (pass it as the attempt's `onPriced`); undefined when the budget refuses nothing.
   */
  readonly holdBudget: ((id: string, project: string, usd: number) => void) | undefined;
  /** Records a finished provider request in the budget (letting its hold go), ledger and journal. */
  journal(record: RequestRecord): void;
  /** Records how late an answer was decided after its emulated latency was over, wall ms. */
  recordLag(provider: string, lagMs: number): void;
  /** @returns an account's rate-limit bucket now (undefined: no rate limit) */
  rateLimitOf(account: string): RateLimitState | undefined;
  /** @returns true once the server is closing */
  closed(): boolean;
}

/** Receives a dialect's answer once it is decided; exactly one of the two is called, once. */
export interface Reply {
  /** The answer. */
  done(answer: LiveResponse): void;
  /** An internal error (the transport answers 500). */
  fail(err: unknown): void;
}

/**
 * One API face of the providers.
 * @template R - the routes it recognises
 * @template P - a parsed request the provider model must run
 */
export interface Dialect<R extends DialectRoute = DialectRoute, P = unknown> {
  /** Its name in messages: `openai`, `async`, `fal`. */
  readonly name: string;
  /** The scenario `dialect` of the providers it serves (any other provider's routes answer 404). */
  readonly serves: ResolvedProvider['dialect'];
  /** Its route templates, for the 404 of an unknown path (`/{provider}/v1/images/generations`). */
  readonly routes: readonly string[];
  /** The request its clients start with (`POST /{provider}/v1/images/generations`), for the 404 of a provider reached in another dialect. */
  readonly entry: string;
  /**
   * Recognises a path. Pure and cheap: it runs for every request until a dialect matches.
   * @param parts - the path's segments; the first is the provider id
   * @param method - the request's method, as sent
   * @returns the route, or undefined when the path is not this dialect's
   */
  match(parts: readonly string[], method: string): R | undefined;
  /**
   * Reads a request on arrival (after the route's method was checked): key, body and fields.
   * Whatever needs no provider model is answered here (errors, polls, lists); a provider request
   * refused here is journaled here.
   * @param req - the request
   * @param route - what `match` returned
   * @param provider - the provider the path names
   * @returns the answer now, or the parsed request for {@link answer}
   */
  parse(req: LiveRequest, route: R, provider: LiveProvider): ParseResult<P>;
  /**
   * Runs a parsed request through the provider model and answers it in the dialect's shape,
   * through `reply` (synchronously when the model answers at once).
   * @param parsed - what `parse` returned
   * @param provider - the provider
   * @param reply - receives the answer
   */
  answer(parsed: P, provider: LiveProvider, reply: Reply): void;
}

/** What {@link Dialect.parse} decides: answer now, or run on the provider model. */
export type ParseResult<P> = { readonly now: LiveResponse } | { readonly run: P };

/**
 * A dialect of any route and parsed-request types, as core.ts's list holds them (the core only
 * passes what `match` and `parse` returned back to the same dialect).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDialect = Dialect<DialectRoute, any>;
