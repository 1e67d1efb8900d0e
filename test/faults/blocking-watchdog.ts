/**
 * The watchdog of a sync call. A sync call blocks this thread, so no timer of it can fire:
 * a thread of its own waits instead, and if the call has not returned within `ms` it prints
 * what hung and kills the test process, which vitest reports as a failed file. Not reached
 * unless something hangs: every sync call in the suite has its own timeouts.
 */
import { Worker } from 'node:worker_threads';

const GUARD = `
const { workerData, parentPort } = require('node:worker_threads');
const done = new Int32Array(workerData.flag);
parentPort.postMessage('armed');
if (Atomics.wait(done, 0, 0, workerData.ms) === 'timed-out') {
  process._rawDebug('\\n[blocking watchdog] ' + workerData.what + ' did not return within ' + workerData.ms + ' ms; killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}`;

/** Runs the blocking `work` under a guard thread; resolves with its result or rejects with its error. */
export async function blockingWatchdog<T>(ms: number, what: string, work: () => T): Promise<T> {
  const flag = new SharedArrayBuffer(4);
  const guard = new Worker(GUARD, { eval: true, workerData: { flag, ms, what } });
  // The guard must be waiting before this thread blocks.
  await new Promise((resolve, reject) => guard.once('message', resolve).once('error', reject));
  try {
    return work();
  } finally {
    Atomics.store(new Int32Array(flag), 0, 1);
    Atomics.notify(new Int32Array(flag), 0);
    await guard.terminate();
  }
}
