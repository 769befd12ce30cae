/**
 * What a gateway really did, read from the `imgsim serve` it calls: with `imgsim live --target`
 * every attempt carries a tag in the OpenAI `user` field (which gateways forward; Portkey 1.15.2
 * keeps `prompt, model, n, quality, response_format, size, style, user`), serve's journal keeps
 * each provider request's body, and the tag ties each provider request back to the harness
 * request it serves. After a request's first provider request, each next one (in arrival order)
 * is a retry when its provider was tried before for that request, else a failover (as the
 * simulator counts a gateway plan's attempts).
 */
import { OUTCOME_KINDS, type OutcomeKind } from '../scenario/schema.js';
import { ImgsimError } from '../scenario/errors.js';
import type { JournalEntry, LiveOutcome } from './ledger.js';

/** The prefix of the `user` tag: `imgsim:<request id>.<harness attempt>`. */
export const GATEWAY_TAG_PREFIX = 'imgsim:';

/**
 * The `user` tag of a harness attempt.
 * @param requestId - the request's id in the pass
 * @param attempt - the harness attempt number (1 for the first)
 * @returns the tag
 */
export function gatewayTag(requestId: number, attempt: number): string {
  return `${GATEWAY_TAG_PREFIX}${requestId}.${attempt}`;
}

/** The gateway's work over a pass, from serve's journal. */
export interface GatewayAccount {
  /** Provider requests the journal holds for this pass's tags. */
  readonly attempts: number;
  /** A request's provider request at a provider it was sent to before. */
  readonly retries: number;
  /** A request's provider request at a provider not tried before for it. */
  readonly failovers: number;
  /** Requests whose last provider request succeeded after an earlier one failed. */
  readonly recovered: number;
  /** Journal entries without a tag of the form `imgsim:<id>.<n>` (another client, or a gateway that drops `user`). */
  readonly untagged: number;
}

/**
 * Correlates serve's journal with the harness's requests through their tags.
 * @param entries - the journal, oldest first (as `GET /_imgsim/journal` returns it)
 * @returns counts of the gateway's attempts, retries, failovers and recoveries
 */
export function accountGateway(entries: readonly JournalEntry[]): GatewayAccount {
  const byRequest = new Map<string, JournalEntry[]>();
  let untagged = 0;
  for (const e of entries) {
    const id = requestOfTag(e.body);
    if (id === undefined) {
      untagged++;
      continue;
    }
    const list = byRequest.get(id);
    if (list === undefined) byRequest.set(id, [e]);
    else list.push(e);
  }
  let attempts = 0;
  let retries = 0;
  let failovers = 0;
  let recovered = 0;
  for (const list of byRequest.values()) {
    attempts += list.length;
    const tried = new Set<string>([list[0]!.provider]);
    for (let i = 1; i < list.length; i++) {
      const provider = list[i]!.provider;
      if (tried.has(provider)) retries++;
      else failovers++;
      tried.add(provider);
    }
    if (list.length > 1 && list[list.length - 1]!.outcome === 'success') recovered++;
  }
  return { attempts, retries, failovers, recovered, untagged };
}

/** The request id of a journal body's tag, or undefined. */
function requestOfTag(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const user = (body as { user?: unknown }).user;
  if (typeof user !== 'string' || !user.startsWith(GATEWAY_TAG_PREFIX)) return undefined;
  const m = /^(\d+)\.\d+$/.exec(user.slice(GATEWAY_TAG_PREFIX.length));
  return m?.[1];
}

const KINDS: ReadonlySet<string> = new Set(OUTCOME_KINDS);

/**
 * The outcome kind the report counts for a ledger outcome: serve's own kinds as they are, an
 * unusable image as a server error, a request serve refused as invalid as `filtered` (a 400), a
 * request serve's budget refused as `rate-limited` (a quota refusal, no GPU), a request the
 * caller (the gateway) abandoned as a timeout.
 * @param outcome - the ledger's outcome
 * @returns the report's kind
 */
export function kindOfLedgerOutcome(outcome: LiveOutcome): OutcomeKind {
  if (KINDS.has(outcome)) return outcome as OutcomeKind;
  switch (outcome) {
    case 'invalid-request':
      return 'filtered';
    case 'rejected':
      return 'rate-limited';
    case 'aborted':
      return 'timeout';
    default:
      return 'server-error';
  }
}

/**
 * `GET /_imgsim/journal`.
 * @param serverUrl - the serve base URL
 * @param apiKey - bearer key: serve's admin key when it has one
 * @returns the journal's entries, oldest first
 * @throws ImgsimError when serve does not answer with a journal
 */
export async function readJournal(serverUrl: string, apiKey: string): Promise<JournalEntry[]> {
  const url = `${serverUrl}/_imgsim/journal`;
  let body: { entries?: unknown } | null;
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(10_000) });
    body = res.ok ? ((await res.json()) as { entries?: unknown } | null) : null;
  } catch (err) {
    throw new ImgsimError('invalid-argument', `GET ${url} failed (${err instanceof Error ? err.message : String(err)}); is \`imgsim serve\` running there?`);
  }
  if (body === null || !Array.isArray(body.entries)) throw new ImgsimError('invalid-argument', `GET ${url}: expected a journal with \`entries\`; is this an imgsim serve URL?`);
  return body.entries as JournalEntry[];
}
