/**
 * The oracle's thread's entry (see oracle-thread.ts): it lowers the thread's priority first
 * (thread-priority.ts), then loads and runs the oracle's pass (_oracle-pass.ts), so that even the
 * thread's start-up, compiling what it loads, yields the CPU to the run on the main thread.
 * Internal: nothing else imports it.
 */
import { lowerThreadPriority, ORACLE_THREAD_NICE } from './thread-priority.js';

lowerThreadPriority(ORACLE_THREAD_NICE);
await import('./_oracle-pass.js');
