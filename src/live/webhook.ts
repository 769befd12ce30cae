/**
 * Delivers JSON events to a webhook URL in the background: one event at a time, in the order
 * they were sent (a receiver sees alert 0.5 before 0.8 even when the first try of 0.5 failed),
 * each retried with exponential backoff and a short timeout per try. Nothing here ever throws
 * into the caller or blocks it: a receiver that is down, slow or never answers costs a counter.
 */
import { ImgsimError } from '../scenario/errors.js';

/** Wall ms waited before the 2nd, 3rd, 4th and 5th tries (the first goes at once): 0.5 s doubling. */
export const DEFAULT_WEBHOOK_BACKOFF_MS: readonly number[] = [500, 1000, 2000, 4000];
/** Wall ms one try may take before it is aborted and counted as failed. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 2000;
/**
 * Events waiting behind the one being delivered. A receiver that never answers holds each
 * event for ~17.5 s (5 tries × 2 s + 7.5 s of backoff); beyond this many, new events are dropped.
 */
export const DEFAULT_WEBHOOK_QUEUE_LIMIT = 1000;

/** The `fetch` the sender calls (the global one by default; tests inject their own). */
export type WebhookFetch = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ readonly ok: boolean; readonly status: number; readonly body?: { cancel(): Promise<void> } | null }>;

/** Options of {@link WebhookSender}. */
export interface WebhookOptions {
  /** Default `globalThis.fetch`. */
  readonly fetch?: WebhookFetch;
  /** Waits before each retry, wall ms; its length + 1 is the number of tries (default 0.5, 1, 2, 4 s: 5 tries). */
  readonly backoffMs?: readonly number[];
  /** Timeout of one try, wall ms (default 2 s). */
  readonly timeoutMs?: number;
  /** Events that may wait (default 1000). */
  readonly queueLimit?: number;
}

/** Counters of a {@link WebhookSender}. */
export interface WebhookStats {
  /** Events a receiver accepted (2xx). */
  readonly delivered: number;
  /** Tries that failed: non-2xx, network error or timeout. */
  readonly failures: number;
  /** Events given up after the last try, dropped on a full queue, or pending at `close()`. */
  readonly dropped: number;
}

/** Sends JSON events to one URL, in order, with retries; never throws. */
export class WebhookSender {
  private readonly fetch: WebhookFetch;
  private readonly backoffMs: readonly number[];
  private readonly timeoutMs: number;
  private readonly queueLimit: number;
  private readonly queue: string[] = [];
  private running = false;
  private closed = false;
  private delivered = 0;
  private failures = 0;
  private dropped = 0;
  /** The backoff timer, so `close()` can stop it. */
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  /** Aborts the try in progress. */
  private current: AbortController | undefined;
  private idleWaiters: (() => void)[] = [];

  /**
   * @param url - where events are POSTed: an http:// or https:// URL
   * @param opts - fetch, backoff, timeout, queue limit
   * @throws ImgsimError `invalid-argument` for any other URL (`file:`, `javascript:`, ...)
   */
  constructor(
    readonly url: string,
    opts: WebhookOptions = {},
  ) {
    if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
      throw new ImgsimError('invalid-argument', `webhook: expected an http:// or https:// URL, got "${url}"`);
    }
    const { fetch = globalThis.fetch, backoffMs = DEFAULT_WEBHOOK_BACKOFF_MS, timeoutMs = DEFAULT_WEBHOOK_TIMEOUT_MS, queueLimit = DEFAULT_WEBHOOK_QUEUE_LIMIT } = opts;
    this.fetch = fetch;
    this.backoffMs = backoffMs;
    this.timeoutMs = timeoutMs;
    this.queueLimit = queueLimit;
  }

  /**
   * Queues an event; returns at once.
   * @param event - any JSON-serialisable value
   */
  send(event: unknown): void {
    if (this.closed || this.queue.length >= this.queueLimit) {
      this.dropped++;
      return;
    }
    this.queue.push(JSON.stringify(event));
    if (!this.running) {
      this.running = true;
      void this.pump();
    }
  }

  /** @returns delivered events, failed tries and dropped events so far */
  stats(): WebhookStats {
    return { delivered: this.delivered, failures: this.failures, dropped: this.dropped };
  }

  /** @returns a promise that settles once the queue is empty and nothing is being sent (for tests) */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops retries and the try in progress; queued events are dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropped += this.queue.length;
    this.queue.length = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.current?.abort();
    this.wake?.();
  }

  private async pump(): Promise<void> {
    try {
      while (!this.closed) {
        const body = this.queue.shift();
        if (body === undefined) break;
        if (!(await this.deliver(body))) this.dropped++;
      }
    } catch {
      // deliver() catches everything; this only guards the never-throw promise.
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Tries one event until it is accepted, the tries run out or the sender closes. */
  private async deliver(body: string): Promise<boolean> {
    for (let attempt = 0; attempt <= this.backoffMs.length; attempt++) {
      if (attempt > 0) await this.sleep(this.backoffMs[attempt - 1] ?? 0);
      if (this.closed) return false;
      if (await this.tryOnce(body)) {
        this.delivered++;
        return true;
      }
      // close() may have run while the try was awaited; a try it cut short is not a failure.
      if (this.isClosed()) return false;
      this.failures++;
    }
    return false;
  }

  /** A method, not the field, so the checker does not assume `closed` unchanged across an await. */
  private isClosed(): boolean {
    return this.closed;
  }

  private async tryOnce(body: string): Promise<boolean> {
    // A plain timer rather than AbortSignal.timeout, which Node 20 may not fire once composed with AbortSignal.any.
    const controller = new AbortController();
    this.current = controller;
    const timer = setTimeout(() => {
      controller.abort();
    }, this.timeoutMs);
    try {
      const res = await this.fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'imgsim' }, body, signal: controller.signal });
      // Free the connection: the receiver's answer body is of no interest.
      await res.body?.cancel().catch(noop);
      return res.ok;
    } catch {
      // Network error, timeout or close(): counted by the caller, never thrown.
      return false;
    } finally {
      clearTimeout(timer);
      this.current = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      }, ms);
    });
  }
}

function noop(): void {
  // A body that cannot be cancelled is closed with its connection anyway.
}
