/**
 * Ctrl-C and SIGTERM for the commands that write files: the unfinished temp files of atomic
 * writes (an attempt log can be tens of MB) are removed and the process exits 130 (SIGINT) or
 * 143 (SIGTERM), as a shell reports a process ended by that signal. `serve` has its own handlers
 * (a graceful drain), so it runs without these.
 */
import { removeOpenTempFiles, setTempFileHook } from '../report/temp-files.js';

/** The exit code of a process ended by a signal: 128 + the signal's number. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs a command with SIGINT and SIGTERM handlers that remove the open temp files and exit.
 * The handlers are installed when the command opens its first temp file, and stay until it
 * returns: before that, a signal ends the process at once, as by default. A handler runs on the
 * event loop, so a synchronous simulation is not interrupted in the middle: the signal is acted
 * on as soon as the command next yields (`run --attempts-log` yields once between the
 * simulation and its files).
 * @param command - the command to run
 * @returns what the command returns
 */
export async function withInterruptCleanup<T>(command: () => Promise<T>): Promise<T> {
  const onSignal = (signal: NodeJS.Signals): void => {
    const removed = removeOpenTempFiles();
    const files = removed === 0 ? '' : `; removed ${removed} unfinished ${removed === 1 ? 'file' : 'files'}`;
    process.stderr.write(`\nimgsim: interrupted (${signal})${files}\n`);
    process.exit(signal === 'SIGINT' ? SIGNAL_EXIT.SIGINT : SIGNAL_EXIT.SIGTERM);
  };
  let installed = false;
  setTempFileHook(() => {
    if (installed) return;
    installed = true;
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  try {
    return await command();
  } finally {
    setTempFileHook(undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
