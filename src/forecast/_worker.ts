/**
 * A forecast worker thread (see workers.ts): loads the scenario's strategy files once, then
 * simulates one run per task message and answers with its summary as JSON text. Internal to the
 * pool: nothing else imports it.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { ImgsimError } from '../scenario/errors.js';
import { prepareRuns, simulateRun } from './monte-carlo.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './workers.js';

const port = parentPort;
if (port === null) throw new Error('_worker runs only as a worker thread');
const init = workerData as WorkerInit;
const setup = prepareRuns(init.scenario);
/** Progress is sent when a run has moved on by at least this fraction. */
const PROGRESS_STEP = 0.01;

const reply = (message: WorkerReply): void => {
  port.postMessage(message);
};

/** The thread's V8 heap (committed) plus memory held outside it (typed arrays), MB. */
function heapMb(): number {
  const h = getHeapStatistics();
  return (h.total_heap_size + h.external_memory) / 1_048_576;
}

// Messages queue up while a run blocks this thread, and are handled one at a time in order.
let queue = Promise.resolve();
port.on('message', (message: WorkerRequest) => {
  if (message.kind === 'close') {
    queue = queue.then(() => {
      port.close();
    });
    return;
  }
  queue = queue.then(async () => {
    const { id, task } = message;
    try {
      const ready = await setup;
      let last = 0;
      const summary = simulateRun(ready, task, (fraction) => {
        if (fraction - last < PROGRESS_STEP) return;
        last = fraction;
        reply({ kind: 'progress', id, fraction, heapMb: heapMb() });
      });
      reply({ kind: 'done', id, summary: JSON.stringify(summary), heapMb: heapMb() });
    } catch (err) {
      reply({
        kind: 'failed',
        id,
        code: err instanceof ImgsimError ? err.code : undefined,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  });
});
