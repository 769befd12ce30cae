/**
 * The attempt log: one JSON line per attempt at a provider, as `imgsim run --attempts-log`
 * writes it and `imgsim fit` reads it (docs/cli.md describes the format). It is the shape of a
 * gateway's request log, so the simulator's output can be fitted back to a scenario.
 */
import type { Feature, OutcomeKind } from '../scenario/schema.js';

/** How an attempt ended for the client: an outcome kind, or `cancelled` (a hedge loser). */
export type LoggedOutcome = OutcomeKind | 'cancelled';

/** One attempt at a provider. */
export interface AttemptRecord {
  /** The strategy whose run made the attempt. */
  strategy: string;
  /** The request's sequence number in the run. */
  requestId: number;
  /** 1-based attempt number within the request. */
  attempt: number;
  provider: string;
  tier: string;
  /** When the attempt was sent, epoch ms. */
  startMs: number;
  /** From sending to the answer (or to the client giving up), ms. */
  latencyMs: number;
  outcome: LoggedOutcome;
  /** The provider's error code, when there is one (`insufficient_quota`). */
  code: string | undefined;
  /** What the attempt was billed, USD (0 when not billed). */
  costUsd: number;
  size: string;
  steps: number;
  quality: string | undefined;
  features: readonly Feature[];
  project: string;
  hedge: boolean;
}

/** Receives every finished attempt; the record is reused, so copy what you keep. */
export type AttemptSink = (record: Readonly<AttemptRecord>) => void;

/**
 * The HTTP status an attempt's outcome answers with, as `imgsim serve` sends it; null when no
 * answer came (a timeout, a reset connection, a cancelled hedge).
 * @param outcome - the outcome
 * @returns the status, or null
 */
export function statusOf(outcome: LoggedOutcome): number | null {
  switch (outcome) {
    case 'success':
      return 200;
    case 'filtered':
      return 400;
    case 'rate-limited':
      return 429;
    case 'server-error':
    case 'generative':
      return 500;
    case 'overloaded':
      return 503;
    default:
      return null;
  }
}

/** Milliseconds to three decimals (microseconds): the log stays short and loses nothing measurable. */
function ms3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Formats one attempt as a JSON line (without the newline). Keys, in order: `provider`, `tier`,
 * `start` (ISO), `latencyMs`, `outcome`, `status`, `code` (when set), `costUsd`, `size`,
 * `steps`, `quality` (when set), `features`, `project`, `strategy`, `request`, `attempt`,
 * `hedge` (when true).
 * @param r - the attempt
 * @returns the line
 */
export function formatAttemptLine(r: Readonly<AttemptRecord>): string {
  const o: Record<string, unknown> = {
    provider: r.provider,
    tier: r.tier,
    start: new Date(r.startMs).toISOString(),
    latencyMs: ms3(r.latencyMs),
    outcome: r.outcome,
    status: statusOf(r.outcome),
  };
  if (r.code !== undefined) o.code = r.code;
  o.costUsd = r.costUsd;
  o.size = r.size;
  o.steps = r.steps;
  if (r.quality !== undefined) o.quality = r.quality;
  o.features = r.features;
  o.project = r.project;
  o.strategy = r.strategy;
  o.request = r.requestId;
  o.attempt = r.attempt;
  if (r.hedge) o.hedge = true;
  return JSON.stringify(o);
}
