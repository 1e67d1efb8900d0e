/**
 * The transport workers' threads: started, counted, replaced, given one-shot tasks, stopped.
 *
 * Requests never go through here: each worker claims a slot of shared rings and serves it
 * for its whole life (engine.ts). What remains is small, and a general task pool fits it
 * badly: its queue, its `Atomics.wait` between tasks (which would freeze a worker's
 * `Atomics.waitAsync` host) and its idle teardown all had to be turned off, and loading it
 * cost every process ~11 ms on the main thread and every worker ~6 ms before its first
 * byte. A worker starts from a small CommonJS entry that imports the worker's ES module
 * (see workers/esm-entry.cts for why not the module itself).
 */
import { Worker, type TransferListItem } from 'node:worker_threads';
import type { TaskMessage, TaskReply, WorkerTask } from '../channel/worker-tasks.js';

/** The CommonJS file each worker starts from, which imports the worker's own module. */
const ENTRY = new URL('../../workers/esm-entry.cjs', import.meta.url);

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** A thread and the tasks it has not answered yet. */
interface Thread {
  worker: Worker;
  /** Kept: a stopped Worker's own `threadId` reads -1. */
  threadId: number;
  pending: Map<number, Pending>;
}

export interface WorkerPoolOptions {
  /** The worker's module. */
  file: URL;
  workerData: unknown;
  /** The most threads the pool runs. */
  maxThreads: number;
  /** Called once for each thread that exits, with its code, before it is replaced. */
  onExit: (threadId: number, code: number) => void;
}

export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #threads: Thread[] = [];
  /** Threads kept running: a thread that exits below this count is replaced. */
  #minThreads = 1;
  #nextTask = 1;
  #destroyed = false;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    this.#start();
  }

  /** The running threads, oldest first. */
  get threads(): Worker[] {
    return this.#threads.map((t) => t.worker);
  }

  /** The running thread of that id, if any. */
  find(threadId: number): Worker | undefined {
    return this.#threads.find((t) => t.threadId === threadId)?.worker;
  }

  /** Starts threads up to `maxThreads` and keeps that many from now on. */
  grow(): void {
    this.#minThreads = this.#options.maxThreads;
    while (!this.#destroyed && this.#threads.length < this.#minThreads) this.#start();
  }

  /**
   * Runs a one-shot task on the thread with the fewest unanswered tasks, starting a thread
   * when every one is busy and the pool may grow: tasks sent at once go to separate threads
   * (the load job relies on it). Rejects if the thread exits before it answers.
   */
  run(task: WorkerTask, transferList: readonly TransferListItem[] = []): Promise<unknown> {
    if (this.#destroyed) return Promise.reject(new Error('The transport workers were shut down'));
    let thread = this.#threads.reduce<Thread | undefined>((best, t) => (best && best.pending.size <= t.pending.size ? best : t), undefined);
    if (!thread || (thread.pending.size > 0 && this.#threads.length < this.#options.maxThreads)) thread = this.#start();
    const id = this.#nextTask++;
    const { pending, worker } = thread;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, task } satisfies TaskMessage, transferList as TransferListItem[]);
    });
  }

  /** Terminates every thread; none is replaced from now on. */
  async destroy(): Promise<void> {
    this.#destroyed = true;
    await Promise.all(this.#threads.map((t) => t.worker.terminate()));
  }

  #start(): Thread {
    const worker = new Worker(ENTRY, { argv: [this.#options.file.href], workerData: this.#options.workerData });
    const thread: Thread = { worker, threadId: worker.threadId, pending: new Map() };
    this.#threads.push(thread);
    worker.on('message', (reply: TaskReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.value);
      else p.reject(reply.error);
    });
    // An uncaught exception ends the thread: its exit, below, is what the engine acts on.
    worker.on('error', () => {});
    // Requests in flight hold the process open through the engine's timer; a thread never
    // does. After the listeners: a 'message' listener refs the worker's port again.
    worker.unref();
    worker.once('exit', (code) => {
      this.#threads.splice(this.#threads.indexOf(thread), 1);
      for (const p of thread.pending.values()) p.reject(new Error(`transport worker ${thread.threadId} exited with code ${code}`));
      this.#options.onExit(thread.threadId, code);
      if (!this.#destroyed && this.#threads.length < this.#minThreads) this.#start();
    });
    return thread;
  }
}
