/**
 * A worker thread's scheduling priority. The oracle's thread (oracle-thread.ts) runs beside the
 * strategies' run, which is what a user waits for; on a machine with few cores the two, and the
 * engine's own background threads (garbage collection, optimizing compilation), want more CPU
 * than there is, and the run's thread was kept waiting for a core for a tenth of its time. A
 * thread with a higher nice value takes only the CPU the others leave.
 *
 * Linux only: there the nice value is a property of each thread (setpriority(2), "BUGS"), and
 * `/proc/thread-self` names the calling thread. Elsewhere nothing changes. A process may always
 * raise its nice value, never lower it without privileges, so the change lasts as long as the
 * thread.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * The oracle's thread's nice value: its share of a core it contends for with the run's thread
 * (nice 0) is about a tenth (the kernel's weights 110 and 1024).
 */
export const ORACLE_THREAD_NICE = 10;

/**
 * Raises the calling thread's nice value to `nice` (lowers its priority), on Linux.
 * @param nice - the nice value to take, 1 to 19
 * @returns the thread's nice value afterwards, or undefined where threads have no nice value of their own
 */
export function lowerThreadPriority(nice: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return undefined;
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    // No /proc, or the kernel refused (a sandbox): the thread keeps its priority.
    return undefined;
  }
}
