/**
 * The one-shot tasks the main thread gives a transport worker over its `parentPort`
 * (src/engine/worker-pool.ts sends them, workers/transport.ts runs them): diagnostics, the
 * fault injection the tests use, and `nodequests load` runs. Requests never travel this way.
 */
import type { LoadTask } from './load-plan.js';

export type WorkerTask = { op: 'stats' } | { op: 'exit'; code: number; delayMs?: number; threadId?: number } | LoadTask;

export interface TaskMessage {
  id: number;
  task: WorkerTask;
}

export type TaskReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: unknown };
