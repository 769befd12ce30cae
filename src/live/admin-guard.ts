/**
 * Who may use the admin surface (`/_imgsim/*`): the rules core.ts applies before an admin route
 * answers, the same for `imgsim serve` and the msw handlers.
 *
 * - Host (network transports only): a browser page served from an attacker's name that resolves
 *   to 127.0.0.1 (DNS rebinding) is same-origin with us in the browser's eyes; it gives itself
 *   away in `Host`. So admin routes answer only to a loopback name (`localhost`, `127.0.0.1`,
 *   `[::1]`), an IP literal (rebinding needs a name), or a name configured on the server.
 * - Origin (network transports only): a state-changing call (`POST /_imgsim/reset`) with an
 *   `Origin` other than the server's own is refused, so no web page can post to it.
 * - Content type: a state-changing call must be `application/json`, which no HTML form can
 *   send and which `fetch` from another origin can only send after a CORS preflight we never
 *   approve.
 * - Key: once the scenario sets provider keys (`auth.keys`), or an admin key is configured,
 *   every admin route but `health` and the generated images needs an admin key (never a
 *   provider key) as `Authorization: Bearer <key>`; the dashboard page also takes `?key=`.
 */
import type { LiveError } from './openai-dialect.js';
import type { LiveRequest } from './protocol.js';

/** The admin surface's rules for one server or set of handlers. */
export interface AdminPolicy {
  /** Admin keys; empty when none is configured. */
  readonly keys: ReadonlySet<string>;
  /** An admin key is required (provider keys or an admin key are configured). */
  readonly keyRequired: boolean;
  /**
   * Names `Host` may carry besides loopback names and IP literals (lower-case, without port);
   * undefined: no Host and no Origin check (msw: nothing outside the process reaches it).
   */
  readonly hosts: ReadonlySet<string> | undefined;
}

/** What an admin route is, for the rules. */
export type AdminAccess = 'open' | 'read' | 'page' | 'write';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const IPV4_RE = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const JSON_TYPE_RE = /^application\/json\s*(?:;|$)/i;

/**
 * Builds the policy.
 * @param adminKeys - the configured admin keys (may be empty)
 * @param providerKeys - the scenario sets `auth.keys`
 * @param hosts - extra names `Host` may carry; undefined turns the Host and Origin checks off
 * @returns the policy
 */
export function adminPolicy(adminKeys: readonly string[], providerKeys: boolean, hosts: readonly string[] | undefined): AdminPolicy {
  const keys = new Set(adminKeys.filter((k) => k !== ''));
  return {
    keys,
    keyRequired: providerKeys || keys.size > 0,
    hosts: hosts === undefined ? undefined : new Set(hosts.map((h) => hostName(h)).filter((h) => h !== '')),
  };
}

/**
 * Checks an admin request against the policy.
 * @param req - the request
 * @param access - what the route does: `open` (health, images), `read`, `page` (the dashboard) or `write` (reset)
 * @param policy - the rules
 * @returns the refusal, or undefined when the request may go on
 */
export function adminRefusal(req: LiveRequest, access: AdminAccess, policy: AdminPolicy): LiveError | undefined {
  if (access === 'open') return undefined;
  const headers = req.headers;
  if (policy.hosts !== undefined) {
    const host = headers.host;
    if (host === undefined || !hostAllowed(hostName(host), policy.hosts)) {
      return {
        status: 403,
        type: 'invalid_request_error',
        code: 'host_not_allowed',
        message: `The admin endpoints answer to localhost, 127.0.0.1, [::1], IP addresses, the --host serve binds and the names given with --allowed-host, not to Host "${host ?? ''}".`,
      };
    }
  }
  if (access === 'write') {
    const origin = headers.origin;
    if (policy.hosts !== undefined && origin !== undefined && !sameOrigin(origin, headers.host)) {
      return { status: 403, type: 'invalid_request_error', code: 'cross_origin_request', message: `Cross-origin admin writes are refused (Origin "${origin}"); send them without an Origin or from the server's own origin.` };
    }
    if (!JSON_TYPE_RE.test(headers['content-type'] ?? '')) {
      return { status: 415, type: 'invalid_request_error', code: 'unsupported_media_type', message: 'Admin writes must be sent with `Content-Type: application/json`.' };
    }
  }
  if (policy.keyRequired) {
    const key = bearerKey(headers.authorization) ?? (access === 'page' ? (req.query.get('key') ?? undefined) : undefined);
    if (key === undefined || !policy.keys.has(key)) {
      const how =
        policy.keys.size === 0
          ? 'The scenario sets auth.keys, so the admin endpoints need an admin key, and none is configured: start serve with --admin-key KEY (startServer / createHandlers: adminKey).'
          : 'The admin endpoints need the admin key (not a provider key): send `Authorization: Bearer <admin key>`; the dashboard also takes ?key=<admin key>.';
      return { status: 401, type: 'authentication_error', code: 'invalid_admin_key', message: how };
    }
  }
  return undefined;
}

function bearerKey(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** The name of a `Host` value, lower-case, without its port (`[::1]:80` gives `[::1]`). */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  // More than one colon without brackets: a bare IPv6 address (configured names may be given so).
  if (colon >= 0 && h.indexOf(':', colon + 1) < 0) return h.slice(0, colon);
  return h;
}

function hostAllowed(name: string, extra: ReadonlySet<string>): boolean {
  if (LOOPBACK_NAMES.has(name) || extra.has(name)) return true;
  // An IP literal cannot be rebound: a page there is that address's own origin.
  if (IPV4_RE.test(name)) return true;
  return name.startsWith('[') && name.endsWith(']') && name.includes(':');
}

/** `origin` is `http(s)://<the request's Host>`. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host === new URL(`http://${host.trim()}`).host;
  } catch {
    // `Origin: null`, or a value that is no URL.
    return false;
  }
}
