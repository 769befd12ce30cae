/**
 * A bound on what parsing a JSON body may cost. A 10 MB body of `[{},{},…]` parses into 3.3
 * million objects (hundreds of MB of heap for a moment, seconds of GC in serve's small young
 * generation); an Images or predictions request holds a few. So a large body with more objects
 * and arrays than any request needs is refused before it is parsed.
 */

/** Most `{` and `[` a JSON body may hold (strings included: the count is a byte scan, not a parse). */
export const MAX_JSON_CONTAINERS = 10_000;

/** Bodies up to this size are parsed without a scan: they cannot hold enough to matter. */
const SCAN_FROM_BYTES = 64 * 1024;

/**
 * @param buf - a JSON body, as received
 * @returns whether it has more than {@link MAX_JSON_CONTAINERS} `{` and `[` bytes (never for small bodies)
 */
export function tooManyJsonContainers(buf: Uint8Array): boolean {
  if (buf.length <= SCAN_FROM_BYTES) return false;
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if ((b === 0x7b || b === 0x5b) && ++n > MAX_JSON_CONTAINERS) return true;
  }
  return false;
}
