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
   * The body: parsed JSON; for `multipart/form-data` (image edits) a {@link FormFields}
   * record; `undefined` when there was none or when `bodyError` says why it could not be read.
   */
  readonly body: unknown;
  /** Set by the transport when the body was not valid JSON or multipart, or too large (413). */
  readonly bodyError?: 'malformed-json' | 'malformed-form' | 'too-large' | 'too-complex';
  /** Aborted when the client goes away; pending emulated work stops waiting. */
  readonly signal?: AbortSignal;
}

/** A file of a multipart body: what the provider models read of it (its bytes are not kept). */
export interface LiveFile {
  readonly file: true;
  /** The part's file name. */
  readonly name: string;
  /** The part's content type, e.g. `image/png`. */
  readonly type: string;
  /** Bytes. */
  readonly size: number;
}

/** A multipart body by field name: text fields as strings, files as {@link LiveFile}; repeated names become arrays. */
export type FormFields = Record<string, string | LiveFile | (string | LiveFile)[]>;

/** Headers of a response, by lower-case name. */
export type LiveHeaders = Record<string, string>;

/** What the transport must do. */
export type LiveResponse =
  /** A JSON body with a status (success bodies and OpenAI-style error bodies). */
  | {
      readonly kind: 'json';
      readonly status: number;
      readonly headers: LiveHeaders;
      readonly body: unknown;
      /** `body` as JSON text, when the core wrote it already (an image answer); transports send it as is. */
      readonly text?: string;
    }
  /** A text body: Prometheus metrics, the dashboard page, a PNG as bytes. */
  | { readonly kind: 'raw'; readonly status: number; readonly headers: LiveHeaders; readonly body: string | Uint8Array }
  /** `malformed` failure: a 200 whose body is truncated or invalid JSON (send exactly `body`). */
  | { readonly kind: 'malformed'; readonly status: 200; readonly headers: LiveHeaders; readonly body: string }
  /** `connectionReset` failure: destroy the socket mid-response (msw: `Response.error()`). */
  | { readonly kind: 'reset'; readonly headers: LiveHeaders }
  /** `timeout` failure: never answer; hold the request until the client gives up or the server closes. */
  | { readonly kind: 'hang' };
