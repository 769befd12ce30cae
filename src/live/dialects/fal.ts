/**
 * fal's queue API as a {@link Dialect}: `{server}/{provider}/fal/proxy`, the proxy protocol of
 * `@fal-ai/client` (the fal URL the client meant in `x-fal-target-url`, `Authorization: Key
 * <key>`), over the async dialect's predictions (predictions.ts). Every method is routed: the
 * target URL says what is asked, and fal-queue.ts checks the method against it.
 */
import type { Dialect, DialectHost, DialectRoute, ParseResult, Reply } from '../dialect.js';
import { FAL_TARGET_HEADER, falErrorResponse, parseFalRequest, parseFalTarget } from '../fal-queue.js';
import { parseSubmission, type LivePredictions, type Submission } from '../predictions.js';
import type { LiveRequest } from '../protocol.js';
import type { LiveProvider } from '../provider.js';
import { startSubmission } from './async.js';

const PROXY: DialectRoute = { allow: undefined };

/**
 * fal's face of one server's predictions.
 * @param host - the core's clock, ids, key check and journal
 * @param predictions - the server's predictions (shared with the async dialect)
 * @returns the dialect
 */
export function falDialect(host: DialectHost, predictions: LivePredictions): Dialect<DialectRoute, Submission> {
  return {
    name: 'fal',
    serves: 'async',
    routes: ['/{provider}/fal/proxy'],
    entry: 'POST /{provider}/fal/proxy',

    match(parts: readonly string[]): DialectRoute | undefined {
      return parts.length === 3 && parts[1] === 'fal' && parts[2] === 'proxy' ? PROXY : undefined;
    },

    parse(req: LiveRequest, _route: DialectRoute, provider: LiveProvider): ParseResult<Submission> {
      const target = parseFalTarget(req.headers[FAL_TARGET_HEADER], req.method);
      if ('status' in target) return { now: falErrorResponse(target, { 'x-imgsim-provider': provider.spec.id }) };
      const auth = req.headers.authorization;
      // fal's clients send `Key <key>`; the server's key check reads a bearer token.
      const authed: LiveRequest = auth !== undefined && /^key\s/i.test(auth) ? { ...req, headers: { ...req.headers, authorization: `Bearer ${auth.slice(4).trim()}` } } : req;
      if (target.op === 'submit' || target.op === 'run') {
        return parseSubmission(host, authed, provider, target.op === 'run' ? 'fal-run' : 'fal', (body, project) => parseFalRequest(body, provider.compiled, project, target.app));
      }
      return { now: predictions.falQuery(authed, provider, target) };
    },

    answer(sub: Submission, provider: LiveProvider, reply: Reply): void {
      startSubmission(predictions, sub, provider, reply);
    },
  };
}
