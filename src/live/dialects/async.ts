/**
 * The async (submit and poll) dialect as a {@link Dialect}, shaped like Replicate's predictions
 * API: `POST /{provider}/v1/predictions`, `POST /{provider}/v1/models/{owner}/{name}/predictions`,
 * `GET /{provider}/v1/predictions[/{id}]`, `POST /{provider}/v1/predictions/{id}/cancel`. A
 * submission is parsed on arrival and started on the provider model; polls, lists and cancels
 * read the predictions (predictions.ts) without the model. The request fields and bodies are
 * async-dialect.ts.
 */
import { parsePredictionRequest } from '../async-dialect.js';
import type { Dialect, DialectHost, DialectRoute, ParseResult, Reply } from '../dialect.js';
import { parseSubmission, type LivePredictions, type Submission } from '../predictions.js';
import type { LiveRequest } from '../protocol.js';
import type { LiveProvider } from '../provider.js';

/** A route of the dialect. */
type AsyncRoute = DialectRoute &
  (
    | { readonly op: 'list' }
    /** `model`: `owner/name` of `/models/{owner}/{name}/predictions`. */
    | { readonly op: 'submit'; readonly model: string | undefined }
    | { readonly op: 'poll' | 'cancel'; readonly id: string }
  );

const LIST: AsyncRoute = { op: 'list', allow: 'GET' };
const SUBMIT: AsyncRoute = { op: 'submit', model: undefined, allow: 'POST' };

/**
 * The async dialect of one server.
 * @param host - the core's clock, ids, key check and journal
 * @param predictions - the server's predictions (shared with fal's face of them)
 * @returns the dialect
 */
export function asyncDialect(host: DialectHost, predictions: LivePredictions): Dialect<AsyncRoute, Submission> {
  return {
    name: 'async',
    serves: 'async',
    routes: ['/{provider}/v1/predictions[/{id}[/cancel]]', '/{provider}/v1/models/{owner}/{name}/predictions'],
    entry: 'POST /{provider}/v1/predictions',

    match(parts: readonly string[], method: string): AsyncRoute | undefined {
      const n = parts.length;
      if (n < 3 || n > 6 || parts[1] !== 'v1') return undefined;
      if (n === 6) return parts[2] === 'models' && parts[5] === 'predictions' ? { op: 'submit', model: `${parts[3]!}/${parts[4]!}`, allow: 'POST' } : undefined;
      if (parts[2] !== 'predictions') return undefined;
      // `GET /predictions` lists; any other method is a submission (405 unless POST).
      if (n === 3) return method.toUpperCase() === 'GET' ? LIST : SUBMIT;
      if (n === 4) return { op: 'poll', id: parts[3]!, allow: 'GET' };
      return parts[4] === 'cancel' ? { op: 'cancel', id: parts[3]!, allow: 'POST' } : undefined;
    },

    parse(req: LiveRequest, route: AsyncRoute, provider: LiveProvider): ParseResult<Submission> {
      switch (route.op) {
        case 'list':
          return { now: predictions.list(req, provider) };
        case 'poll':
          return { now: predictions.poll(req, provider, route.id) };
        case 'cancel':
          return { now: predictions.cancel(req, provider, route.id) };
        default:
          return parseSubmission(host, req, provider, 'replicate', (body, project) => parsePredictionRequest(body, provider.compiled, project, route.model));
      }
    },

    answer(sub: Submission, provider: LiveProvider, reply: Reply): void {
      startSubmission(predictions, sub, provider, reply);
    },
  };
}

/**
 * Starts a submission and replies when its answer is decided (at once, or after a `Prefer: wait`
 * hold or fal's run).
 * @param predictions - the server's predictions
 * @param sub - the submission
 * @param provider - the provider
 * @param reply - receives the answer
 */
export function startSubmission(predictions: LivePredictions, sub: Submission, provider: LiveProvider, reply: Reply): void {
  const answer = predictions.start(sub, provider);
  if (!(answer instanceof Promise)) {
    reply.done(answer);
    return;
  }
  answer.then(
    (decided) => {
      reply.done(decided);
    },
    (err: unknown) => {
      reply.fail(err);
    },
  );
}
