/**
 * The transport-neutral shape of live mode: a request as the HTTP server or an msw handler
 * received it, and the response (or misbehaviour) the provider models decide on. The same
 * `LiveProviders` core (core.ts) answers both transports, so `imgsim serve` and
 * `createHandlers` have the same bodies, headers and ledger semantics.
 */

/** A request to the mock providers, after the transport has read it. */
export interface LiveRequest {
  readonly method: string;
  /** Path below the base URL, starting with `/`, without the query string (e.g. `/lumen/v1/images/generations`). */
  readonly path: string;
  /** Query parameters. */
  readonly query: URLSearchParams;
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /**
   * The body: parsed JSON, `undefined` when there was none, or `{ malformed: true }`-marked
   * through `bodyError` when it could not be parsed.
   */
  readonly body: unknown;
  /** Set by the transport when the body was not valid JSON, or too large (413). */
  readonly bodyError?: 'malformed-json' | 'too-large';
  /** Aborted when the client goes away; pending emulated work stops waiting. */
  readonly signal?: AbortSignal;
}

/** Headers of a response, by lower-case name. */
export type LiveHeaders = Record<string, string>;

/** What the transport must do. */
export type LiveResponse =
  /** A JSON body with a status (success bodies and OpenAI-style error bodies). */
  | { readonly kind: 'json'; readonly status: number; readonly headers: LiveHeaders; readonly body: unknown }
  /** A text body: Prometheus metrics, the dashboard page, a PNG as bytes. */
  | { readonly kind: 'raw'; readonly status: number; readonly headers: LiveHeaders; readonly body: string | Uint8Array }
  /** `malformed` failure: a 200 whose body is truncated or invalid JSON (send exactly `body`). */
  | { readonly kind: 'malformed'; readonly status: 200; readonly headers: LiveHeaders; readonly body: string }
  /** `connectionReset` failure: destroy the socket mid-response (msw: `Response.error()`). */
  | { readonly kind: 'reset'; readonly headers: LiveHeaders }
  /** `timeout` failure: never answer; hold the request until the client gives up or the server closes. */
  | { readonly kind: 'hang' };
