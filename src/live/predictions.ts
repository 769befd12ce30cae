/**
 * The predictions of the async dialect in wall time: submission (with `Prefer: wait` holds),
 * polling, cancel, and fal's queue face of the same predictions. The dialects that use them
 * (dialects/async.ts, dialects/fal.ts) parse a submission with {@link parseSubmission} and start
 * it with {@link LivePredictions.start}; the core's clock, ids, key check and journal come
 * through the {@link DialectHost}.
 */
import { isFinal, MAX_PREDICTIONS, predictionBody, predictionOutput, preferWaitMs, replicateErrorResponse, type Prediction, type PredictionRequest, type PredictionStatus } from './async-dialect.js';
import type { DialectHost, ParseResult } from './dialect.js';
import { falErrorResponse, falResultResponse, falStatus, falSubmitBody, type FalTarget } from './fal-queue.js';
import { journalBody } from './journal-body.js';
import type { LiveOutcome } from './ledger.js';
import { truncatedJson, type LiveError } from './openai-dialect.js';
import type { LiveHeaders, LiveRequest, LiveResponse } from './protocol.js';
import type { LiveAttemptResult, LiveProvider } from './provider.js';
import { BUDGET_EXHAUSTED, budgetRefusalHeaders, errorFor, limitHeaders, rateLimitHeaders, SHUTTING_DOWN } from './result-http.js';

/** Which API a prediction request came through: Replicate's, fal's queue, or fal's run-and-wait. */
export type AsyncFace = 'replicate' | 'fal' | 'fal-run';

/** A validated submission, ready to start: {@link parseSubmission} reads it on arrival. */
export interface Submission {
  /** The prediction's id (`pred_…`), also its `x-request-id`. */
  readonly id: string;
  readonly face: AsyncFace;
  /** Wall clock reading at arrival. */
  readonly arrivedWall: number;
  /** `x-request-id`, `x-imgsim-provider` (and fal's `x-fal-request-id`). */
  readonly base: Readonly<Record<string, string>>;
  /** What the journal keeps of the body, taken on arrival. */
  readonly body: unknown;
  readonly request: PredictionRequest;
  /** How long to hold the answer, wall ms (`Prefer: wait`; fal's run: Infinity); undefined: answer at once. */
  readonly waitMs: number | undefined;
}

const JSON_TYPE = 'application/json';

/** Most predictions `GET /predictions` lists (Replicate's page size). */
export const LIST_PAGE = 100;

function json(body: unknown, headers: LiveHeaders, status = 200): LiveResponse {
  return { kind: 'json', status, headers: { 'content-type': JSON_TYPE, ...headers }, body };
}

function errorOf(face: AsyncFace, e: LiveError, headers: LiveHeaders): LiveResponse {
  return face === 'replicate' ? replicateErrorResponse(e, headers) : falErrorResponse(e, headers);
}

/**
 * The key check of a prediction request: the host's, with fal's wording for fal's faces.
 * @param host - the core
 * @param req - the request
 * @param face - which API it came through
 * @returns the 401, or undefined
 */
export function predictionAuthError(host: DialectHost, req: LiveRequest, face: AsyncFace): LiveError | undefined {
  const e = host.authError(req);
  if (e === undefined || face === 'replicate') return e;
  return { ...e, message: 'Missing or unknown key: send `Authorization: Key <key>` (createFalClient({ credentials })).' };
}

/**
 * Reads a submission on arrival: its id, key, body and fields. A refused one is journaled
 * (`invalid-request`) and answered in the face's error shape.
 * @param host - the core
 * @param req - the request
 * @param provider - the provider in the path
 * @param face - which API it came through
 * @param parse - the face's reading of the body (Replicate's or fal's fields)
 * @returns the error answer now, or the submission to start
 */
export function parseSubmission(
  host: DialectHost,
  req: LiveRequest,
  provider: LiveProvider,
  face: AsyncFace,
  parse: (body: unknown, project: string | undefined) => PredictionRequest | LiveError,
): ParseResult<Submission> {
  const arrivedWall = host.now();
  const id = host.nextRequestId('pred');
  const spec = provider.spec;
  const headerProject = req.headers['x-imgsim-project'];
  const base: Record<string, string> = { 'x-request-id': id, 'x-imgsim-provider': spec.id };
  if (face !== 'replicate') base['x-fal-request-id'] = id;
  // Taken now: the journal records the prediction when it ends and must not hold a large body until then.
  const body = journalBody(req.body);
  const parsed = predictionAuthError(host, req, face) ?? host.bodyError(req) ?? parse(req.body, headerProject);
  if ('status' in parsed) {
    host.journal({ id, provider: spec.id, project: headerProject ?? 'default', body, tier: undefined, outcome: 'invalid-request', code: parsed.code, costUsd: 0, status: parsed.status, arrivedWall, answeredWall: host.now() });
    return { now: errorOf(face, parsed, { ...base, 'x-imgsim-outcome': 'invalid-request', 'x-imgsim-cost-usd': '0' }) };
  }
  const project = parsed.parsed.project;
  const refused = host.budgetRefusal(project, arrivedWall);
  if (refused !== undefined) {
    const e = BUDGET_EXHAUSTED[face === 'replicate' ? 'replicate' : 'fal'];
    host.journal({ id, provider: spec.id, project, body, tier: parsed.parsed.tier, outcome: 'rejected', code: e.code, costUsd: 0, status: e.status, arrivedWall, answeredWall: host.now() });
    return { now: errorOf(face, e, budgetRefusalHeaders(base, parsed.parsed.tier, refused, host.rateLimitOf(spec.account))) };
  }
  const waitMs = face === 'fal-run' ? Infinity : face === 'replicate' ? preferWaitMs(req.headers.prefer) : undefined;
  return { run: { id, face, arrivedWall, base, body, request: parsed, waitMs } };
}

/** The async dialect's predictions of one server. */
export class LivePredictions {
  private readonly byId = new Map<string, Prediction>();

  /** @param host - clock, auth, ids and journal of the server */
  constructor(private readonly host: DialectHost) {}

  /**
   * Starts a submission: answers at once (201 / fal's `IN_QUEUE`), or, with `Prefer: wait` or
   * fal's run, when it is final or the wait is over. The provider refusing it at the door (rate
   * limit, quota, overload) is an HTTP error and no prediction.
   * @param sub - the submission, as {@link parseSubmission} read it
   * @param provider - the provider it names
   * @returns the answer, now or later
   */
  start(sub: Submission, provider: LiveProvider): LiveResponse | Promise<LiveResponse> {
    const host = this.host;
    const { id, arrivedWall, base, face } = sub;
    const spec = provider.spec;
    const record = (outcome: LiveOutcome, status: number | null, tier: string | undefined, project: string, costUsd: number, code: string | undefined): void => {
      host.journal({ id, provider: spec.id, project, body: sub.body, tier, outcome, code, costUsd, status, arrivedWall, answeredWall: host.now() });
    };
    const parsed = sub.request;

    const iso = (): string => new Date(host.epochAt(host.now())).toISOString();
    const p: Prediction = {
      ...parsed,
      // Kept until the prediction is evicted (up to MAX_PREDICTIONS of them): the echo is bounded like a journal body.
      input: journalBody(parsed.input) as Record<string, unknown>,
      id,
      provider: spec.id,
      createdAt: iso(),
      status: 'starting',
      startedAt: undefined,
      completedAt: undefined,
      predictTimeS: undefined,
      totalTimeS: undefined,
      output: undefined,
      error: undefined,
      pendingFault: undefined,
      stalled: false,
      costUsd: 0,
      controller: new AbortController(),
      waiters: [],
    };
    const request = parsed.parsed;
    let admitted = false;
    let startedWall: number | undefined;
    const hold = host.holdBudget;
    const running = provider.run({
      request: request.request,
      n: request.n,
      tier: request.tier,
      signal: p.controller.signal,
      atSimMs: host.simAt(arrivedWall),
      onPriced:
        hold === undefined
          ? undefined
          : (usd: number): void => {
              hold(id, request.project, usd);
            },
      onAdmit: () => {
        admitted = true;
      },
      onStart: () => {
        startedWall = host.now();
        if (p.status === 'starting') {
          p.status = 'processing';
          p.startedAt = iso();
        }
      },
    });
    // `admitted` is set synchronously by run(); the checker cannot see through the callback.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (!admitted) {
      // Refused at the door (rate limit, quota, overload): an HTTP error, no prediction.
      return running.then((r) => {
        const headers = limitHeaders({ ...base, 'x-imgsim-tier': request.tier, 'x-imgsim-outcome': r.kind, 'x-imgsim-cost-usd': String(r.costUsd) }, r);
        const response = errorOf(face, errorFor(r), headers);
        record(r.kind, response.kind === 'json' ? response.status : null, request.tier, request.project, r.costUsd, r.code);
        return response;
      });
    }
    this.store(p);
    void running.then((r) => {
      p.costUsd = r.costUsd;
      this.complete(p, r, arrivedWall, startedWall);
      record(r.kind, face === 'replicate' ? 201 : 200, request.tier, request.project, r.costUsd, r.code);
    });

    const answer = (): LiveResponse => {
      const headers = { ...base, 'x-imgsim-tier': request.tier, 'x-imgsim-outcome': isFinal(p.status) ? p.status : 'accepted', 'x-imgsim-cost-usd': String(p.costUsd) };
      if (face === 'replicate') return delivered(p, headers, json(predictionBody(p, host.baseUrl), headers, 201));
      if (face === 'fal') return json(falSubmitBody(p), headers);
      if (!isFinal(p.status) && host.closed()) return falErrorResponse(SHUTTING_DOWN, headers);
      // fal.run of a request the provider never answers hangs, as the OpenAI dialect's `timeout` does.
      if (p.stalled && !isFinal(p.status)) return { kind: 'hang' };
      return delivered(p, headers, falResultResponse(p, host.baseUrl, headers));
    };
    const waitMs = sub.waitMs;
    if (waitMs === undefined || isFinal(p.status)) return answer();
    return new Promise<LiveResponse>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const release = (): void => {
        // A stalled prediction holds a Prefer: wait until its time is over, as Replicate would.
        if (p.stalled && timer !== undefined && !isFinal(p.status) && !host.closed()) {
          p.waiters.push(release);
          return;
        }
        if (timer !== undefined) clearTimeout(timer);
        resolve(answer());
      };
      p.waiters.push(release);
      if (Number.isFinite(waitMs)) {
        timer = setTimeout(() => {
          p.waiters = p.waiters.filter((w) => w !== release);
          resolve(answer());
        }, waitMs);
      }
    });
  }

  /**
   * `GET /predictions/{id}`.
   * @param req - the request
   * @param provider - the provider in the path
   * @param id - the prediction id
   * @returns the prediction, or 401/404
   */
  poll(req: LiveRequest, provider: LiveProvider, id: string): LiveResponse {
    const found = this.find(req, provider, id, 'replicate');
    if (!('prediction' in found)) return found;
    const { prediction: p, headers } = found;
    return delivered(p, headers, json(predictionBody(p, this.host.baseUrl), headers));
  }

  /**
   * `GET /predictions`: the provider's predictions, newest first, one page of at most
   * {@link LIST_PAGE} (`next` is always null: older ones are not listed).
   * @param req - the request
   * @param provider - the provider in the path
   * @returns `{ previous, next, results }`, or 401
   */
  list(req: LiveRequest, provider: LiveProvider): LiveResponse {
    const headers = { 'x-request-id': this.host.nextRequestId('req'), 'x-imgsim-provider': provider.spec.id };
    const authError = predictionAuthError(this.host, req, 'replicate');
    if (authError !== undefined) return replicateErrorResponse(authError, headers);
    const all = [...this.byId.values()].filter((p) => p.provider === provider.spec.id);
    const results = all.slice(-LIST_PAGE).reverse().map((p) => predictionBody(p, this.host.baseUrl));
    return json({ previous: null, next: null, results }, headers);
  }

  /**
   * `POST /predictions/{id}/cancel`: a prediction not yet final becomes `canceled` (a queued one
   * never runs; a running one keeps its slot until its service time is over, billed as
   * `pricing.billing.timeout` says); a final one is answered as it is.
   * @param req - the request
   * @param provider - the provider in the path
   * @param id - the prediction id
   * @returns the prediction, or 401/404
   */
  cancel(req: LiveRequest, provider: LiveProvider, id: string): LiveResponse {
    const found = this.find(req, provider, id, 'replicate');
    if (!('prediction' in found)) return found;
    this.cancelPrediction(found.prediction);
    return json(predictionBody(found.prediction, this.host.baseUrl), { ...found.headers, 'x-imgsim-outcome': found.prediction.status });
  }

  /**
   * A fal queue request about a submitted one: its status, its result, or its cancel.
   * @param req - the request (its key already in `Bearer` form)
   * @param provider - the provider in the path
   * @param target - what the proxied fal URL asks
   * @returns the answer
   */
  falQuery(req: LiveRequest, provider: LiveProvider, target: Extract<FalTarget, { requestId: string }>): LiveResponse {
    const found = this.find(req, provider, target.requestId, 'fal');
    if (!('prediction' in found)) return found;
    const { prediction: p, headers } = found;
    headers['x-fal-request-id'] = p.id;
    switch (target.op) {
      case 'status': {
        const s = falStatus(p, target.logs);
        return json(s.body, headers, s.status);
      }
      case 'cancel':
        if (isFinal(p.status)) return json({ status: 'ALREADY_COMPLETED' }, headers, 400);
        this.cancelPrediction(p);
        return json({ status: 'CANCELLATION_REQUESTED' }, headers, 202);
      default:
        return delivered(p, headers, falResultResponse(p, this.host.baseUrl, headers));
    }
  }

  /** Releases every held `Prefer: wait` and fal run (the server is closing). */
  close(): void {
    for (const p of this.byId.values()) notify(p);
  }

  /** Forgets the finished predictions (`POST /_imgsim/reset`). */
  reset(): void {
    for (const [key, p] of this.byId) if (isFinal(p.status)) this.byId.delete(key);
  }

  private find(req: LiveRequest, provider: LiveProvider, id: string, face: AsyncFace): { prediction: Prediction; headers: Record<string, string> } | LiveResponse {
    const base: Record<string, string> = { 'x-request-id': this.host.nextRequestId('req'), 'x-imgsim-provider': provider.spec.id };
    const authError = predictionAuthError(this.host, req, face);
    if (authError !== undefined) return errorOf(face, authError, base);
    const p = this.byId.get(id);
    if (p?.provider !== provider.spec.id) return errorOf(face, { status: 404, type: 'invalid_request_error', code: 'not_found', message: `No prediction "${id}" at ${provider.spec.id}.` }, base);
    const headers: Record<string, string> = {
      ...base,
      'x-imgsim-tier': p.parsed.tier,
      'x-imgsim-outcome': p.status,
      'x-imgsim-cost-usd': String(p.costUsd),
      ...rateLimitHeaders(this.host.rateLimitOf(provider.spec.account)),
    };
    return { prediction: p, headers };
  }

  private store(p: Prediction): void {
    if (this.byId.size >= MAX_PREDICTIONS) {
      for (const [key, old] of this.byId) {
        if (isFinal(old.status)) {
          this.byId.delete(key);
          break;
        }
      }
    }
    this.byId.set(p.id, p);
  }

  private cancelPrediction(p: Prediction): void {
    if (isFinal(p.status)) return;
    this.finish(p, 'canceled', this.host.now(), undefined, undefined);
    p.controller.abort();
  }

  private finish(p: Prediction, status: PredictionStatus, nowWall: number, arrivedWall: number | undefined, startedWall: number | undefined): void {
    p.status = status;
    p.completedAt = new Date(this.host.epochAt(this.host.now())).toISOString();
    // Simulated seconds: what the provider model describes (and compute-time pricing bills).
    const toS = 1 / (this.host.timeScale * 1000);
    p.predictTimeS = startedWall === undefined ? 0 : (nowWall - startedWall) * toS;
    if (arrivedWall !== undefined) p.totalTimeS = (nowWall - arrivedWall) * toS;
    else p.totalTimeS = p.predictTimeS;
    notify(p);
  }

  private complete(p: Prediction, r: LiveAttemptResult, arrivedWall: number, startedWall: number | undefined): void {
    // A canceled prediction stays canceled; its cost is what the provider billed.
    if (p.status === 'canceled') return;
    const now = this.host.now();
    switch (r.kind) {
      case 'timeout':
        // The provider never answers: the prediction stays `processing`; a fal run hangs.
        p.stalled = true;
        notify(p);
        return;
      case 'success':
        p.output = predictionOutput(p.parsed, this.host.baseUrl);
        break;
      case 'malformed':
        p.output = predictionOutput(p.parsed, this.host.baseUrl);
        p.pendingFault = 'malformed';
        break;
      case 'aborted':
        this.finish(p, 'canceled', now, arrivedWall, startedWall);
        return;
      case 'connection-reset':
        p.pendingFault = 'reset';
        p.error = { status: 500, type: 'server_error', code: 'connection_reset', message: 'The connection was reset while the result was delivered.' };
        this.finish(p, 'failed', now, arrivedWall, startedWall);
        return;
      default:
        p.error = errorFor(r);
        this.finish(p, 'failed', now, arrivedWall, startedWall);
        return;
    }
    this.finish(p, 'succeeded', now, arrivedWall, startedWall);
  }
}

/**
 * The answer that delivers a final prediction, or, the first time only, its fault instead: the
 * connection reset or the truncated body of a `connectionReset` / `malformed` failure.
 */
function delivered(p: Prediction, headers: LiveHeaders, answer: LiveResponse): LiveResponse {
  const fault = p.pendingFault;
  if (fault === undefined || !isFinal(p.status)) return answer;
  p.pendingFault = undefined;
  if (fault === 'reset') return { kind: 'reset', headers };
  return { kind: 'malformed', status: 200, headers: { 'content-type': JSON_TYPE, ...headers }, body: truncatedJson(answer.kind === 'json' ? answer.body : {}) };
}

function notify(p: Prediction): void {
  const waiters = p.waiters;
  p.waiters = [];
  for (const w of waiters) w();
}
