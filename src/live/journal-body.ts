/**
 * What the journal keeps of a request body: the body itself when it is small, else a bounded
 * copy. A client decides what it sends; the journal's memory must not depend on it, so every
 * entry holds at most {@link JOURNAL_BODY_LIMITS} worth of data, never the parsed body of a
 * large request.
 */

/** The bounds of a journal body (documented in docs/cli.md, serve's limits). */
export const JOURNAL_BODY_LIMITS = {
  /** Characters of a string (a key or a value); a longer one is cut to this length, ending with `…[+N chars]`. */
  stringChars: 1_000,
  /** Characters of all strings of one body (keys, values and markers); beyond, strings are cut shorter and containers end early. */
  totalChars: 4_000,
  /** Keys of an object; of a wider one the first 31 are kept and the rest counted under the key `…`. */
  keys: 32,
  /** Items of an array; of a longer one the first 31 are kept and the rest counted in a last item `…[+N items]`. */
  items: 32,
  /** Levels of nesting kept; a deeper object or array is the string `…`. */
  depth: 4,
  /** Values (of any kind, at any depth, markers included) in one body; beyond, containers end early with their marker. */
  values: 256,
} as const;

/** A body as the journal keeps it: JSON-like data bounded by {@link JOURNAL_BODY_LIMITS}. */
export type JournalBody = unknown;

const { stringChars, totalChars: maxChars, keys: maxKeys, items: maxItems, depth: maxDepth, values: maxValues } = JOURNAL_BODY_LIMITS;
const ELIDED = '…';
/** Characters kept in reserve per open container for its marker (`…[+4294967295 items]` is 20). */
const MARKER_CHARS = 24;

/**
 * The journal's copy of a request body: the body itself when it is within the limits (the
 * common case costs one walk, no copy), else a trimmed copy that holds nothing of the original.
 * @param body - the body as the transport parsed it (JSON, multipart fields, or undefined)
 * @returns the body, or its bounded summary
 */
export function journalBody(body: unknown): JournalBody {
  if (body === null || typeof body !== 'object') return typeof body === 'string' ? trimString(body, stringChars) : scalar(body);
  return fits(body, 0, { values: 0, chars: 0 }) ? body : trim(body, 0, { values: 0, chars: 0 });
}

/** Values and string characters seen so far in one body. */
interface Budget {
  values: number;
  chars: number;
}

/** @returns whether `value` is within every limit, so the journal can keep it as it is */
function fits(value: unknown, depth: number, budget: Budget): boolean {
  if (++budget.values > maxValues) return false;
  if (typeof value === 'string') return value.length <= stringChars && (budget.chars += value.length) <= maxChars;
  if (value === null || typeof value !== 'object') return scalar(value) === value;
  if (depth >= maxDepth) return false;
  if (Array.isArray(value)) {
    if (value.length > maxItems) return false;
    for (const item of value) if (!fits(item, depth + 1, budget)) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  let n = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (++n > maxKeys || key.length > stringChars || (budget.chars += key.length) > maxChars) return false;
    if (!fits((value as Record<string, unknown>)[key], depth + 1, budget)) return false;
  }
  return true;
}

/**
 * A bounded copy of `value` that {@link fits} (markers included, so a copy of a copy is the
 * same); strings are copied, so no slice keeps a large original alive. Each open container keeps
 * one value and {@link MARKER_CHARS} characters in reserve for its marker.
 */
function trim(value: unknown, depth: number, budget: Budget): unknown {
  budget.values++;
  if (typeof value === 'string') return charged(trimString(value, Math.min(stringChars, maxChars - budget.chars - MARKER_CHARS * depth)), budget);
  if (value === null || typeof value !== 'object') return scalar(value);
  if (depth >= maxDepth) return charged(ELIDED, budget);
  // Room for one more child: a value and its marker-free minimum (`…` key and `…` value) beyond every reserve.
  const room = (): boolean => budget.values < maxValues - (depth + 1) && budget.chars + 2 <= maxChars - MARKER_CHARS * (depth + 1);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    const whole = value.length <= maxItems;
    let i = 0;
    for (; i < value.length && (whole || i < maxItems - 1) && room(); i++) out.push(trim(value[i], depth + 1, budget));
    if (i < value.length) {
      budget.values++;
      out.push(charged(`…[+${value.length - i} items]`, budget));
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto !== Object.prototype && proto !== null) return charged(Object.prototype.toString.call(value).slice(0, 40), budget);
  let total = 0;
  for (const key in value) if (Object.hasOwn(value, key)) total++;
  const whole = total <= maxKeys;
  const out: Record<string, unknown> = {};
  let kept = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if ((!whole && kept >= maxKeys - 1) || !room()) break;
    kept++;
    // The key leaves at least one character for its value.
    const name = charged(trimString(key, Math.min(stringChars, maxChars - budget.chars - MARKER_CHARS * (depth + 1) - 1)), budget);
    out[name] = trim((value as Record<string, unknown>)[key], depth + 1, budget);
  }
  if (kept < total) {
    budget.values++;
    out[charged(ELIDED, budget)] = charged(`+${total - kept} keys`, budget);
  }
  return out;
}

/** Counts a kept string against the body's character budget. */
function charged(s: string, budget: Budget): string {
  budget.chars += s.length;
  return s;
}

/** The `…[+N chars]` marker's longest form for a string of `length` characters. */
function markerRoom(length: number): number {
  return '…[+ chars]'.length + String(length).length;
}

/**
 * A string of at most `limit` characters, its marker included, in fresh memory; `…` when even
 * the marker does not fit.
 */
function trimString(s: string, limit: number): string {
  if (s.length <= limit) return s;
  const keep = limit - markerRoom(s.length);
  if (keep < 1) return ELIDED;
  // A slice of a long string can keep the whole original alive (V8 sliced strings); a round
  // trip through a buffer makes a string of its own.
  return Buffer.from(`${s.slice(0, keep)}…[+${s.length - keep} chars]`, 'utf8').toString('utf8');
}

/** Numbers, booleans, null and undefined as they are; anything else JSON cannot hold as a string. */
function scalar(value: unknown): unknown {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  return `[${typeof value}]`;
}
