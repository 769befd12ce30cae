// Starts the real Portkey gateway (@portkey-ai/gateway, open source, unmodified) as a child
// process on 127.0.0.1 port 0: `_loopback-port0.mjs` is preloaded to bind the loopback port the
// gateway would otherwise take as --port= (default 8787, on every interface).
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** How long the gateway may take to listen, ms. */
const START_TIMEOUT_MS = 20_000;

/** A running gateway. */
export interface PortkeyGateway {
  /** Its base URL, e.g. `http://127.0.0.1:40593`. */
  readonly url: string;
  /** The gateway's version (its package.json). */
  readonly version: string;
  /** Kills the child process and waits for it to exit. */
  close(): Promise<void>;
}

/**
 * Starts the gateway.
 * @returns the running gateway
 */
export async function startPortkeyGateway(): Promise<PortkeyGateway> {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('@portkey-ai/gateway/package.json');
  const version = (require(pkgFile) as { version: string }).version;
  const entry = path.join(path.dirname(pkgFile), 'build', 'start-server.js');
  const child = spawn(process.execPath, ['--import', path.join(HERE, '_loopback-port0.mjs'), entry, '--headless'], {
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const port = await listeningPort(child);
    return {
      url: `http://127.0.0.1:${port}`,
      version,
      async close() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        // SIGKILL if it has not exited within 5 s (bounded: the test must stop by itself).
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(kill);
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

/** Reads `IMGSIM_LISTENING <port>` from the child's stdout (its other output is dropped). */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`the Portkey gateway did not listen within ${START_TIMEOUT_MS} ms: ${err}`)), START_TIMEOUT_MS);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      reject(e);
    };
    child.stderr!.on('data', (chunk: Buffer) => {
      if (err.length < 4000) err += chunk.toString('utf8');
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (out === '\u0000') return;
      out += chunk.toString('utf8');
      const m = /IMGSIM_LISTENING (\d+)/.exec(out);
      if (m !== null) {
        out = '\u0000';
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => fail(new Error(`the Portkey gateway exited (${String(code)}) before listening: ${err}`)));
  });
}
