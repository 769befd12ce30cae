/**
 * The OpenAI Images dialect as a {@link Dialect}: `POST /{provider}/v1/images/generations` (JSON)
 * and `POST /{provider}/v1/images/edits` (multipart). One request is one attempt on the provider
 * model, answered when the attempt ends. The request fields, their validation and the bodies are
 * openai-dialect.ts and openai-models.ts.
 */
import { withFieldHeaders } from '../imgsim-headers.js';
import { journalBody } from '../journal-body.js';
import {
  errorResponse,
  openAiSuccessBody,
  openAiSuccessJson,
  parseOpenAiEditRequest,
  parseOpenAiRequest,
  truncatedJson,
  type ParsedImageRequest,
} from '../openai-dialect.js';
import type { LiveRequest, LiveResponse } from '../protocol.js';
import type { LiveAttemptResult, LiveProvider } from '../provider.js';
import { BUDGET_EXHAUSTED, budgetRefusalHeaders, errorFor, limitHeaders } from '../result-http.js';
import type { Dialect, DialectHost, DialectRoute, ParseResult, Reply } from '../dialect.js';

/** A route of the dialect: which endpoint. */
interface OpenAiRoute extends DialectRoute {
  readonly endpoint: 'generations' | 'edits';
}

/** An image request ready for the provider model, with what its answer and journal need. */
interface OpenAiRequest {
  readonly id: string;
  readonly arrivedWall: number;
  readonly arrivedSim: number;
  readonly parsed: ParsedImageRequest;
  /** What the journal keeps, taken on arrival: the answer must not hold a large body for the latency. */
  readonly journaled: unknown;
  readonly signal: AbortSignal | undefined;
}

const GENERATIONS: OpenAiRoute = { endpoint: 'generations', allow: 'POST' };
const EDITS: OpenAiRoute = { endpoint: 'edits', allow: 'POST' };
const JSON_TYPE = 'application/json';

/**
 * The OpenAI Images dialect of one server.
 * @param host - the core's clock, ids, key check and journal
 * @returns the dialect
 */
export function openAiDialect(host: DialectHost): Dialect<OpenAiRoute, OpenAiRequest> {
  /**
   * The headers of an answer, built in one literal-ordered pass (no spreads): this runs for
   * every answer. An image (`contentType`: `content-type` first) carries the API's headers only;
   * an answer without one also says which provider and tier failed and how (`x-imgsim-outcome`
   * tells a `generative` failure from a server error). Every answer's provider, tier and outcome
   * are in the journal.
   */
  function resultHeaders(id: string, providerId: string, parsed: ParsedImageRequest, result: LiveAttemptResult, contentType: boolean): Record<string, string> {
    const headers: Record<string, string> = contentType
      ? { 'content-type': JSON_TYPE, 'x-request-id': id, 'x-imgsim-cost-usd': String(result.costUsd) }
      : { 'x-request-id': id, 'x-imgsim-provider': providerId, 'x-imgsim-tier': parsed.tier, 'x-imgsim-outcome': result.kind, 'x-imgsim-cost-usd': String(result.costUsd) };
    return limitHeaders(headers, result);
  }

  function shape(provider: LiveProvider, r: OpenAiRequest, result: LiveAttemptResult, answeredWall: number): LiveResponse {
    const spec = provider.spec;
    const createdS = Math.floor(host.epochAt(answeredWall) / 1000);
    switch (result.kind) {
      case 'success': {
        const body = openAiSuccessBody(spec, r.parsed, createdS, host.baseUrl);
        return { kind: 'json', status: 200, headers: resultHeaders(r.id, spec.id, r.parsed, result, true), body, text: openAiSuccessJson(body) };
      }
      case 'malformed':
        return { kind: 'malformed', status: 200, headers: resultHeaders(r.id, spec.id, r.parsed, result, true), body: truncatedJson(openAiSuccessBody(spec, r.parsed, createdS, host.baseUrl)) };
      case 'connection-reset':
        return { kind: 'reset', headers: resultHeaders(r.id, spec.id, r.parsed, result, false) };
      case 'timeout':
        return { kind: 'hang' };
      case 'aborted':
        return errorResponse({ status: 499, type: 'invalid_request_error', code: 'client_closed_request', message: 'The client closed the request.' }, resultHeaders(r.id, spec.id, r.parsed, result, false));
      default:
        return errorResponse(errorFor(result), resultHeaders(r.id, spec.id, r.parsed, result, false));
    }
  }

  return {
    name: 'openai',
    serves: 'openai',
    routes: ['/{provider}/v1/images/generations', '/{provider}/v1/images/edits'],
    entry: 'POST /{provider}/v1/images/generations',

    match(parts: readonly string[]): OpenAiRoute | undefined {
      if (parts.length !== 4 || parts[1] !== 'v1' || parts[2] !== 'images') return undefined;
      const endpoint = parts[3];
      return endpoint === 'generations' ? GENERATIONS : endpoint === 'edits' ? EDITS : undefined;
    },

    parse(req: LiveRequest, route: OpenAiRoute, provider: LiveProvider): ParseResult<OpenAiRequest> {
      // One clock read for the arrival: simulated now derives from it.
      const arrivedWall = host.now();
      const id = host.nextRequestId('req');
      const headerProject = req.headers['x-imgsim-project'];
      const early = host.authError(req) ?? host.bodyError(req);
      const parsed =
        early ??
        (route.endpoint === 'edits'
          ? parseOpenAiEditRequest(req.body, provider.compiled, headerProject)
          : parseOpenAiRequest(withFieldHeaders(req.body, req.headers), provider.compiled, headerProject));
      const journaled = journalBody(req.body);
      if ('status' in parsed) {
        const spec = provider.spec;
        host.journal({ id, provider: spec.id, project: headerProject ?? 'default', body: journaled, tier: undefined, outcome: 'invalid-request', code: parsed.code, costUsd: 0, status: parsed.status, arrivedWall, answeredWall: host.now() });
        return { now: errorResponse(parsed, { 'x-request-id': id, 'x-imgsim-provider': spec.id, 'x-imgsim-outcome': 'invalid-request', 'x-imgsim-cost-usd': '0' }) };
      }
      const refused = host.budgetRefusal(parsed.project, arrivedWall);
      if (refused !== undefined) {
        const e = BUDGET_EXHAUSTED.openai;
        const spec = provider.spec;
        host.journal({ id, provider: spec.id, project: parsed.project, body: journaled, tier: parsed.tier, outcome: 'rejected', code: e.code, costUsd: 0, status: e.status, arrivedWall, answeredWall: host.now() });
        return { now: errorResponse(e, budgetRefusalHeaders({ 'x-request-id': id, 'x-imgsim-provider': spec.id }, parsed.tier, refused, host.rateLimitOf(spec.account))) };
      }
      return { run: { id, arrivedWall, arrivedSim: host.simAt(arrivedWall), parsed, journaled, signal: req.signal } };
    },

    answer(r: OpenAiRequest, provider: LiveProvider, reply: Reply): void {
      const parsed = r.parsed;
      const hold = host.holdBudget;
      const onPriced =
        hold === undefined
          ? undefined
          : (usd: number): void => {
              hold(r.id, parsed.project, usd);
            };
      provider.runWith({ request: parsed.request, n: parsed.n, tier: parsed.tier, signal: r.signal, atSimMs: r.arrivedSim, onPriced }, (result) => {
        let response: LiveResponse;
        try {
          // One clock read for the answer: the journal, the budget and `created` share it.
          const answeredWall = host.now();
          response = shape(provider, r, result, answeredWall);
          const status = response.kind === 'json' || response.kind === 'malformed' ? response.status : null;
          host.journal({
            id: r.id,
            provider: provider.spec.id,
            project: parsed.project,
            body: r.journaled,
            tier: parsed.tier,
            outcome: result.kind,
            code: result.code,
            costUsd: result.costUsd,
            status: result.kind === 'aborted' ? null : status,
            arrivedWall: r.arrivedWall,
            answeredWall,
          });
          // The emulation error of an answer the transport writes now (a hang is never written).
          if (result.lagMs !== undefined && response.kind !== 'hang') host.recordLag(provider.spec.id, result.lagMs);
        } catch (err) {
          reply.fail(err);
          return;
        }
        reply.done(response);
      });
    },
  };
}
