/**
 * A watchdog for a synchronous call: the call blocks this thread, so no timer of its own
 * can fire. A helper thread waits instead; if the call has not finished within `ms`, it
 * prints what was blocked and kills this process, so a hang fails the test file loudly
 * (vitest reports the lost file) instead of stalling the run.
 */
import { Worker } from 'node:worker_threads';

const WATCHER = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const flag = new Int32Array(workerData.flag);
if (Atomics.wait(flag, 0, 0, workerData.ms) === 'timed-out') {
  writeSync(2, '\\nsync watchdog: ' + workerData.what + ' still blocked after ' + workerData.ms + ' ms; killing the test process\\n');
  process.kill(process.pid, 'SIGKILL');
}
`;

/** Runs the synchronous `work`; kills the process if it blocks for longer than `ms`. */
export function withSyncWatchdog<T>(ms: number, what: string, work: () => T): T {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const watcher = new Worker(WATCHER, { eval: true, workerData: { flag: flag.buffer, ms, what } });
  watcher.unref();
  try {
    return work();
  } finally {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
}
