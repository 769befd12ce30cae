/**
 * The thread `imgsim serve` runs its server on (see serve.ts for why a thread). It loads the
 * scenario, starts the server, says where it listens, and on `close` shuts it down gracefully
 * and sends the ledger back. Internal to the CLI: nothing else imports it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startServer } from '../live/server.js';
import { loadScenario } from '../scenario/load.js';
import { LEDGER_REPORT_MS, type ServeWorkerData, type ServeWorkerReply } from './_serve-thread.js';

const port = parentPort;
if (port === null) throw new Error('_serve-worker runs only as a worker thread');
const data = workerData as ServeWorkerData;
const reply = (message: ServeWorkerReply): void => {
  port.postMessage(message);
};

try {
  const server = await startServer(loadScenario(data.file), {
    port: data.port,
    host: data.host,
    timeScale: data.timeScale,
    journalSize: data.journalSize,
    ...(data.adminKey === undefined ? {} : { adminKey: data.adminKey }),
    ...(data.allowedHosts === undefined ? {} : { allowedHosts: data.allowedHosts }),
  });
  // The main thread keeps the latest ledger, so it can still print one if this thread dies.
  let reported = -1;
  const report = setInterval(() => {
    const changes = server.providers.ledgerChanges();
    if (changes === reported) return;
    reported = changes;
    reply({ kind: 'ledger', ledger: server.providers.ledgerSnapshot() });
  }, LEDGER_REPORT_MS);
  report.unref();
  port.once('message', () => {
    clearInterval(report);
    void server.close().then(() => {
      reply({ kind: 'closed', ledger: server.providers.ledgerSnapshot() });
      port.close();
    });
  });
  reply({ kind: 'listening', url: server.url });
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  reply({ kind: 'failed', code: e.code, message: e.message });
  port.close();
}
