/**
 * Reading a request body for the node:http transport (server.ts) and its fast front
 * (_fast-http.ts): the size limit, JSON (with the container limit of json-limits.ts) or
 * multipart for image edits, and the lingering close after a 413. Never throws: every outcome
 * is a {@link BodyResult}.
 */
import type http from 'node:http';
import { tooManyJsonContainers } from './json-limits.js';
import { isMultipart, parseMultipart } from './multipart.js';

/** Largest request body accepted (serve and the msw handlers); beyond it the answer is 413 (the OpenAI Images API caps uploads alike). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * After a 413 the client may still be uploading; closing at once would make its TCP stack
 * answer our unread bytes with a reset, and many clients then report the reset instead of the
 * 413 (nginx's lingering close solves the same). So we discard what still arrives, for at most
 * this long, then close.
 */
const LINGER_MS = 2_000;

/** Why a body could not be read. */
export type BodyResult =
  | { readonly kind: 'ok'; readonly body: unknown }
  | { readonly kind: 'malformed-json' }
  | { readonly kind: 'malformed-form' }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'too-complex' }
  | { readonly kind: 'aborted' };
/** A body that was read to its end. */
export type ReadBody = Exclude<BodyResult, { readonly kind: 'aborted' }>;

const TOO_LARGE: BodyResult = { kind: 'too-large' };
const ABORTED: BodyResult = { kind: 'aborted' };
const MALFORMED_JSON: ReadBody = { kind: 'malformed-json' };
const MALFORMED_FORM: ReadBody = { kind: 'malformed-form' };
const TOO_COMPLEX: ReadBody = { kind: 'too-complex' };
const NO_BODY: ReadBody = { kind: 'ok', body: undefined };

/** Reads and parses a JSON (or multipart) body with the size limit, then calls `done` once; never throws. */
export function readBody(req: http.IncomingMessage, done: (result: BodyResult) => void): void {
  const declared = Number(req.headers['content-length']);
  // Answer at once: reading 10 MB only to refuse it helps nobody.
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    discardRest(req);
    done(TOO_LARGE);
    return;
  }
  let chunks: Buffer[] | undefined;
  let first: Buffer | undefined;
  let bytes = 0;
  let finished = false;
  const finish = (result: BodyResult): void => {
    if (finished) return;
    finished = true;
    first = undefined;
    chunks = undefined;
    if (result === TOO_LARGE) {
      req.off('data', onData);
      discardRest(req);
    }
    // The 'error' listener stays, so a late socket error is not an unhandled 'error' event.
    done(result);
  };
  const onData = (chunk: Buffer): void => {
    if (finished) return;
    bytes += chunk.length;
    if (bytes > MAX_BODY_BYTES) {
      finish(TOO_LARGE);
      return;
    }
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  req.on('data', onData);
  req.on('end', () => {
    if (finished) return;
    parseBody(bytes === 0 ? undefined : chunks === undefined ? first! : Buffer.concat(chunks, bytes), req.headers['content-type'], finish);
  });
  req.on('error', () => {
    finish(ABORTED);
  });
  if (req.destroyed || req.readableAborted) finish(ABORTED);
}

/** Parses a whole body (JSON, or multipart for image edits), then calls `done` once; never throws. */
export function parseBody(buf: Buffer | undefined, contentType: string | undefined, done: (result: ReadBody) => void): void {
  if (buf === undefined || buf.length === 0) {
    done(NO_BODY);
    return;
  }
  if (isMultipart(contentType)) {
    // Image edits: parsed off the hot path of JSON requests.
    void parseMultipart(buf, contentType!).then((fields) => {
      done(fields === undefined ? MALFORMED_FORM : { kind: 'ok', body: fields });
    });
    return;
  }
  // Refused before parsing: what a parse costs must not be the client's choice (json-limits.ts).
  if (tooManyJsonContainers(buf)) {
    done(TOO_COMPLEX);
    return;
  }
  let result: ReadBody;
  try {
    result = { kind: 'ok', body: JSON.parse(buf.toString('utf8')) as unknown };
  } catch {
    result = MALFORMED_JSON;
  }
  done(result);
}

function noop(): void {
  // Intentionally empty: see readBody.
}

/** Lets the rest of a refused body flow past without keeping a byte of it. */
function discardRest(req: http.IncomingMessage): void {
  req.on('data', noop);
  req.on('error', noop);
  req.resume();
}

/**
 * Closes the connection of a refused (413) request once its upload ended, or after
 * {@link LINGER_MS} if the client keeps sending.
 */
export function closeAfterUpload(req: http.IncomingMessage, res: http.ServerResponse): void {
  const socket = req.socket;
  // Node answers an incompletely read request with `connection: close` and destroys the socket
  // as soon as the answer is flushed; keep it open and close it ourselves below.
  res.shouldKeepAlive = true;
  res.once('finish', () => {
    if (req.complete) {
      socket.end();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    req.once('end', () => {
      clearTimeout(timer);
      socket.end();
    });
    socket.once('close', () => {
      clearTimeout(timer);
    });
  });
}
