/**
 * Entry point of a transport worker (started by src/engine/worker-pool.ts).
 *
 * Loading the module is what starts the host: it claims a slot in the shared table that
 * came as `workerData` and serves it for the life of the thread. The pool keeps the thread
 * alive and replaces it if it dies; messages on `parentPort` are the rare one-shot tasks
 * (diagnostics, fault injection, and `nodequests load` runs, which are long tasks reporting
 * on a port of their own).
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { FrameType } from '../src/channel/frames.js';
import { SlotTable, type SlotTableInit } from '../src/channel/slots.js';
import { TransportHost } from '../src/transport/host.js';
import { stopReceiving } from '../src/transport/h3/quic-loader.js';
import { installLeanBind } from '../src/transport/lean-bind.js';
import type { TaskMessage, TaskReply, WorkerTask } from '../src/channel/worker-tasks.js';

installLeanBind();

const table = new SlotTable(workerData as SlotTableInit);
let host: TransportHost | null = null;

function attach(): void {
  const slot = table.claim(threadId);
  if (!slot) {
    // Every slot is taken (a dead worker's slot is freed once the main thread has drained it).
    setTimeout(attach, 20);
    return;
  }
  const h = new TransportHost(slot, table.mainBell, (counter, delta) => table.addCounter(slot.index, counter, delta), () => table.markShut(slot.index));
  host = h;
  process.on('exit', (code) => {
    // Runs for process.exit() and uncaught exceptions; not for terminate(), which the main
    // thread notices through the Worker's exit event instead. The thread stops next: see stopReceiving.
    stopReceiving();
    h.outbox.sendFinal(FrameType.WORKER_EXIT, Buffer.from(`transport worker ${threadId} exited with code ${code}`));
    table.markDead(slot.index);
  });
  void h.run();
}
attach();

parentPort!.on('message', ({ id, task: t }: TaskMessage) => {
  run(t).then(
    (value) => parentPort!.postMessage({ id, ok: true, value } satisfies TaskReply),
    (error: unknown) => parentPort!.postMessage({ id, ok: false, error } satisfies TaskReply),
  );
});

async function run(t: WorkerTask): Promise<unknown> {
  switch (t.op) {
    case 'stats':
      return { threadId, inFlight: host?.inFlight ?? 0, memory: process.memoryUsage() };
    case 'exit':
      // Fault injection for tests: exit as a crashing worker would, after the task returns.
      // With `threadId`, only that worker exits (the pool picks which worker runs a task).
      if (t.threadId !== undefined && t.threadId !== threadId) return { threadId, exiting: false };
      setTimeout(() => process.exit(t.code), t.delayMs ?? 0);
      return { threadId, exiting: true };
    case 'load':
      // Runs beside the host on this thread's event loop; the last interval's report is the
      // result. Loaded here: its histograms cost a worker's start tens of milliseconds.
      return (await import('../src/transport/load-runner.js')).runLoad(t.plan, t.port);
  }
}
