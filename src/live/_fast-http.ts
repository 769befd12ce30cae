/**
 * A fast front for `imgsim serve`'s node:http server: keep-alive connections whose requests are
 * plain (a `GET` or a `POST` with a `content-length` body, HTTP/1.1, arriving whole) are read and
 * answered here, straight on the socket; anything else goes to node:http, which then owns the
 * connection for the rest of its life.
 *
 * Why: a mock provider answers with almost no work, so node:http's own per-request machinery
 * (IncomingMessage and ServerResponse streams, their events and header validation) is most of
 * its cost: on this project's 2-core benchmark machine, a node:http server that only parses the
 * body and sends docs/contract.md §6's headers reached 81-94% of a bare node:http server, leaving no room for
 * the provider model. A request that is plain by the rules below reads the same to a client as
 * node:http's answer (same status line, headers, `Date`, `Connection` and `Keep-Alive`).
 *
 * The rules are strict, and doubt means node:http: a request line other than
 * `GET|POST <origin-form> HTTP/1.1` (a target of RFC 3986 characters), a header name that is
 * not a token, a value with a control character, a repeated header, `transfer-encoding`,
 * `expect`, `upgrade`, a `connection` other than `keep-alive`, no `host`, a head over 16 KB, a
 * body over {@link FAST_BODY_LIMIT}, or a request not yet whole in what has arrived. The bytes go
 * back on the socket (`unshift`) and the socket to node:http's `connection` listener, so header
 * and request timeouts, 400s, 431s, 413s with lingering close and slow uploads keep node:http's
 * behaviour. Pipelined plain requests are answered here, in order, one at a time.
 */
import type http from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** Largest body answered here; larger ones (uploads of image edits) go to node:http. */
export const FAST_BODY_LIMIT = 1024 * 1024;
/** Largest request head (request line and headers) read here: node:http's own `maxHeaderSize`. */
const MAX_HEAD_BYTES = 16 * 1024;
/** More headers than this and the request goes to node:http. */
const MAX_HEADERS = 64;
/** Bytes a busy connection may buffer (a pipelining client) before it stops reading. */
const MAX_BUFFERED = 2 * FAST_BODY_LIMIT;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What node:http refuses in a header value (`checkInvalidHeaderChar`). */
const INVALID_VALUE_RE = /[^\t\x20-\x7e\x80-\xff]/;
/** An origin-form target: a slash, then RFC 3986 path and query characters (no fragment). */
const TARGET_RE = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
const DIGITS_RE = /^[0-9]{1,10}$/;
/** A `content-length` value as written after its colon: digits, after at most one space. */
const CONTENT_LENGTH_RE = /^ ?[0-9]{1,10}$/;

/** A whole plain request. */
export interface FastRequest {
  readonly method: 'GET' | 'POST';
  /** The request target as sent (path and query). */
  readonly target: string;
  /** Header values by lower-case name (each name once: repeated headers go to node:http). */
  readonly headers: Record<string, string>;
  /** The body; undefined when there is none. */
  readonly body: Buffer | undefined;
}

/** Called for each plain request; answer through `conn` (one request per connection is open at a time). */
export type FastHandler = (req: FastRequest, conn: FastConnection) => void;

/** Options of {@link attachFastFront}. */
export interface FastFrontOptions {
  /** Idle keep-alive connections close after this, ms (node:http's `keepAliveTimeout`). */
  readonly keepAliveTimeoutMs: number;
  /** Called once per request handed to the handler, when it ended: answered, or its socket closed (a reset, a hang, a client gone). */
  readonly onSettled: () => void;
}

/** The fast connections of a server, for its graceful shutdown. */
export interface FastFront {
  /** Destroys idle connections and those holding a `hang`; later answers close their connection. */
  closeIdle(): void;
  /** Destroys every connection still open. */
  destroyAll(): void;
}

type Head = FastRequest | 'incomplete' | 'unsupported';

/**
 * Reads the request starting at `start` of `buf`, if it is plain and whole (exported for tests).
 * @returns the request and the offset after it, or why not
 */
export function parseFastRequest(buf: Buffer, start: number): { readonly req: FastRequest; readonly end: number } | 'incomplete' | 'unsupported' {
  const headEnd = buf.indexOf(HEAD_END, start);
  if (headEnd < 0) return buf.length - start > MAX_HEAD_BYTES ? 'unsupported' : 'incomplete';
  if (headEnd - start > MAX_HEAD_BYTES) return 'unsupported';
  const head = parseHead(buf.toString('latin1', start, headEnd));
  if (typeof head === 'string') return head;
  const length = head.headers['content-length'];
  const bodyStart = headEnd + 4;
  if (length === undefined || length === '0') return { req: head, end: bodyStart };
  if (!DIGITS_RE.test(length)) return 'unsupported';
  const bytes = Number(length);
  if (bytes > FAST_BODY_LIMIT) return 'unsupported';
  if (buf.length - bodyStart < bytes) return 'incomplete';
  return { req: { method: head.method, target: head.target, headers: head.headers, body: buf.subarray(bodyStart, bodyStart + bytes) }, end: bodyStart + bytes };
}

/** Parses a request head (without its final CRLFCRLF); strict, see the file comment. */
function parseHead(head: string): Head {
  let p: number;
  let method: 'GET' | 'POST';
  if (head.startsWith('POST ')) {
    method = 'POST';
    p = 5;
  } else if (head.startsWith('GET ')) {
    method = 'GET';
    p = 4;
  } else {
    return 'unsupported';
  }
  let eol = head.indexOf('\r\n', p);
  if (eol < 0) eol = head.length;
  const sp = head.indexOf(' ', p);
  if (sp < 0 || sp > eol || head.slice(sp + 1, eol) !== 'HTTP/1.1') return 'unsupported';
  const target = head.slice(p, sp);
  if (!TARGET_RE.test(target)) return 'unsupported';
  const headers: Record<string, string> = {};
  let count = 0;
  p = eol + 2;
  while (p < head.length) {
    let e = head.indexOf('\r\n', p);
    if (e < 0) e = head.length;
    const colon = head.indexOf(':', p);
    if (colon <= p || colon > e) return 'unsupported';
    const name = head.slice(p, colon).toLowerCase();
    // Optional whitespace around the value is spaces and tabs only (not String.trim's set).
    let a = colon + 1;
    while (a < e && (head.charCodeAt(a) === 32 || head.charCodeAt(a) === 9)) a++;
    let b = e;
    while (b > a && (head.charCodeAt(b - 1) === 32 || head.charCodeAt(b - 1) === 9)) b--;
    const value = head.slice(a, b);
    // llhttp refuses some whitespace around a length that it skips around other values: only the plain forms here.
    if (name === 'content-length' && !CONTENT_LENGTH_RE.test(head.slice(colon + 1, e))) return 'unsupported';
    if (!TOKEN_RE.test(name) || INVALID_VALUE_RE.test(value) || name === '__proto__' || headers[name] !== undefined || ++count > MAX_HEADERS) return 'unsupported';
    headers[name] = value;
    p = e + 2;
  }
  if (headers.host === undefined || headers['transfer-encoding'] !== undefined || headers.expect !== undefined || headers.upgrade !== undefined) return 'unsupported';
  const connection = headers.connection;
  if (connection !== undefined && connection.toLowerCase() !== 'keep-alive') return 'unsupported';
  return { method, target, headers, body: undefined };
}

/** `Date` header value, rebuilt once a second as node:http does. */
let dateSecond = -1;
let dateValue = '';
function httpDate(): string {
  // Wall clock: the HTTP Date header is wall time by definition.
  const nowMs = Date.now();
  const second = Math.floor(nowMs / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(second * 1000).toUTCString();
  }
  return dateValue;
}

/** Writes `partialHead` on `socket` and destroys it once written (or at once if the write never flushes). */
export function resetSocket(socket: Socket, partialHead: string): void {
  socket.write(partialHead, () => socket.destroy());
  // If the write never flushes (the client is gone), destroy anyway.
  setImmediate(() => socket.destroy());
}

/** One connection read by the fast front, until it closes or goes to node:http. */
export class FastConnection {
  /** Aborted when the client leaves while a request is open (one controller per connection: one open request at a time). */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  /** A request is open: handed to the handler and not yet answered. */
  private busy = false;
  /** The open request will never be answered (`hang`). */
  private hanging = false;
  private closing = false;
  private gone = false;
  /** Unread bytes: a request not yet handled (pipelined), or the start of one. */
  private pending: Buffer | undefined = undefined;
  private reading = false;

  constructor(
    private readonly socket: Socket,
    private readonly front: FrontState,
  ) {
    this.signal = this.controller.signal;
  }

  /** Whether the client can no longer get an answer (its socket is closed or closing). */
  get destroyed(): boolean {
    return this.gone || !this.socket.writable;
  }

  /**
   * Answers the open request.
   * @param list - flat header list (`name, value, ...`), `content-length` included; a `connection: close` entry closes after it
   */
  send(status: number, list: readonly (string | number)[], body: string | Uint8Array): void {
    if (!this.busy || this.gone) return;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    let close = this.closing;
    let explicitConnection = false;
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i] as string;
      const value = String(list[i + 1]);
      if (!TOKEN_RE.test(name)) throw new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
      if (INVALID_VALUE_RE.test(value)) throw new TypeError(`Invalid character in header content ["${name}"]`);
      if (name.length === 10 && name.toLowerCase() === 'connection') {
        explicitConnection = true;
        if (value.toLowerCase() === 'close') close = true;
      }
      head += `${name}: ${value}\r\n`;
    }
    head += `Date: ${httpDate()}\r\n`;
    if (!explicitConnection) head += close ? 'Connection: close\r\n' : this.front.keepAliveHeaders;
    head += '\r\n';
    const socket = this.socket;
    if (typeof body === 'string') {
      socket.write(head + body);
    } else {
      socket.cork();
      socket.write(head);
      socket.write(body);
      socket.uncork();
    }
    this.finish(close);
  }

  /** Writes `partialHead` and destroys the socket: the `connectionReset` failure. */
  reset(partialHead: string): void {
    if (!this.busy || this.gone) return;
    resetSocket(this.socket, partialHead);
  }

  /** Never answers the open request: the connection stays open until the client or the server closes it. */
  hang(): void {
    if (!this.busy || this.gone) return;
    this.hanging = true;
    if (this.closing) this.socket.destroy();
  }

  /** Answers 500 (`list` and `body` as for {@link send}), or drops the connection when the answer was already sent. */
  fail(list: readonly (string | number)[], body: string): void {
    if (this.gone) return;
    if (!this.busy) {
      this.socket.destroy();
      return;
    }
    this.send(500, list, body);
  }

  /** @internal the socket's `data` events */
  onData(chunk: Buffer): void {
    this.pending = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.busy) {
      // A pipelining client: keep its next request until this one is answered.
      if (this.pending.length > MAX_BUFFERED) this.socket.pause();
      return;
    }
    this.readRequests();
  }

  /** @internal the client ended its side or the socket closed: an open request is abandoned */
  onGone(ended: boolean): void {
    if (ended && !this.gone) {
      // As node:http does without `allowHalfOpen`: the request is abandoned and our side ends too.
      this.abandon();
      this.socket.end();
      return;
    }
    this.gone = true;
    this.abandon();
    this.front.connections.delete(this);
  }

  /** @internal graceful shutdown: idle and hanging connections close now, busy ones after their answer */
  closeIfIdle(): void {
    this.closing = true;
    if (!this.busy || this.hanging) this.socket.destroy();
  }

  /** @internal */
  destroy(): void {
    this.socket.destroy();
  }

  /** @internal the keep-alive timer fired: an idle connection closes, a busy one waits for its answer */
  onTimeout(): void {
    if (!this.busy) this.socket.destroy();
  }

  private abandon(): void {
    if (!this.busy) return;
    this.busy = false;
    this.hanging = false;
    this.controller.abort();
    this.front.onSettled();
  }

  private finish(close: boolean): void {
    this.busy = false;
    this.front.onSettled();
    if (close) {
      this.closing = true;
      this.socket.end();
      return;
    }
    if (this.pending !== undefined && !this.reading) {
      if (this.socket.isPaused()) this.socket.resume();
      this.readRequests();
    }
  }

  /** Handles the whole requests in `pending`, one at a time; hands the connection to node:http at the first that is not plain. */
  private readRequests(): void {
    this.reading = true;
    try {
      while (!this.busy && !this.gone && !this.closing && this.pending !== undefined) {
        const buf = this.pending;
        const parsed = parseFastRequest(buf, 0);
        if (typeof parsed === 'string') {
          this.handOff();
          return;
        }
        this.pending = parsed.end < buf.length ? buf.subarray(parsed.end) : undefined;
        this.busy = true;
        this.front.handler(parsed.req, this);
      }
    } finally {
      this.reading = false;
    }
  }

  /** Gives the socket, and what it has sent but nobody has read, to node:http. */
  private handOff(): void {
    const socket = this.socket;
    socket.pause();
    this.front.detach(socket);
    this.front.connections.delete(this);
    this.gone = true;
    const rest = this.pending;
    this.pending = undefined;
    if (rest !== undefined) socket.unshift(rest);
    this.front.handOff(socket);
    socket.resume();
  }
}

/** What the connections of one front share. */
interface FrontState {
  readonly handler: FastHandler;
  /** What node:http says of a connection it keeps open, with its timeout in whole seconds. */
  readonly keepAliveHeaders: string;
  readonly onSettled: () => void;
  readonly connections: Set<FastConnection>;
  /** Removes the front's listeners from a socket. */
  detach(socket: Socket): void;
  /** Runs node:http's own `connection` listeners on a socket. */
  handOff(socket: Socket): void;
}

/**
 * Puts the fast front before `server`'s node:http connection handling.
 * @param server - a node:http server (not listening yet, or listening: new connections only)
 * @param handler - answers each plain request
 * @param opts - keep-alive timeout and the settled hook
 * @returns the front, for graceful shutdown
 */
export function attachFastFront(server: http.Server, handler: FastHandler, opts: FastFrontOptions): FastFront {
  // node:http handles a connection in its own `connection` listener; connections go there
  // only when the front hands them over (the event is node's documented way to inject one).
  const nodeListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  if (nodeListeners.length === 0) throw new Error('attachFastFront: the server has no connection listener to hand connections to');
  server.removeAllListeners('connection');
  const listeners = new WeakMap<Socket, { data: (c: Buffer) => void; end: () => void; close: () => void; timeout: () => void }>();
  const state: FrontState = {
    handler,
    keepAliveHeaders: `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(opts.keepAliveTimeoutMs / 1000)}\r\n`,
    onSettled: opts.onSettled,
    connections: new Set(),
    detach(socket) {
      const l = listeners.get(socket);
      if (l === undefined) return;
      socket.off('data', l.data);
      socket.off('end', l.end);
      socket.off('close', l.close);
      socket.off('timeout', l.timeout);
      socket.setTimeout(0);
      listeners.delete(socket);
    },
    handOff(socket) {
      for (const listener of nodeListeners) listener.call(server, socket);
    },
  };
  server.on('connection', (socket: Socket) => {
    const conn = new FastConnection(socket, state);
    state.connections.add(conn);
    const l = {
      data: (chunk: Buffer) => { conn.onData(chunk); },
      end: () => { conn.onGone(true); },
      close: () => { conn.onGone(false); },
      timeout: () => { conn.onTimeout(); },
    };
    listeners.set(socket, l);
    socket.on('data', l.data);
    socket.on('end', l.end);
    socket.on('close', l.close);
    socket.on('timeout', l.timeout);
    // A socket error is followed by 'close'; the listener only keeps it from being unhandled (node:http adds its own on hand-off).
    socket.on('error', noop);
    socket.setTimeout(opts.keepAliveTimeoutMs);
  });
  return {
    closeIdle() {
      for (const conn of state.connections) conn.closeIfIdle();
    },
    destroyAll() {
      for (const conn of state.connections) conn.destroy();
    },
  };
}

function noop(): void {
  // Intentionally empty: see attachFastFront.
}
