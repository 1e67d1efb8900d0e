/**
 * Runs request processors for this transport worker, in a processor thread of its own
 * (workers/processor.ts), one call at a time, each under its time limit.
 *
 * Why a thread: a processor runs user code on a whole body (parsing megabytes of JSON). Run
 * on the transport worker's own loop, it would stall every socket of that worker while it
 * ran, and one that never returned could only be stopped by ending the transport worker and
 * every request on it. In a thread of its own it runs beside the sockets, the body moves to
 * it by transfer (no copy), and a call past its limit is cut by terminating that thread: the
 * only way to stop a synchronous loop in JavaScript (`vm` timeouts cover scripts, not the
 * ES modules a processor is). The next call starts a fresh thread. The limit counts from
 * when the call starts to run, not from when it was queued.
 */
import { Worker } from 'node:worker_threads';
import { TransportCode } from '../channel/error-codes.js';
import type { ProcessedResponse, ProcessorCall, ProcessorReply } from '../channel/processor-call.js';
import { TransportError } from './error-codes.js';

const PROCESSOR_FILE = new URL('../../workers/processor.js', import.meta.url);

interface Job {
  call: ProcessorCall;
  limitMs: number;
  resolve(bytes: Uint8Array): void;
  reject(err: TransportError): void;
}

export class ProcessorThread {
  #worker: Worker | null = null;
  readonly #queue: Job[] = [];
  #current: Job | null = null;
  #timer: NodeJS.Timeout | null = null;

  /** Runs `spec` on `body` (which is transferred: do not use it after); resolves to the serialized result. */
  run(spec: string, body: Uint8Array, response: ProcessedResponse, limitMs: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ call: { spec, body, response }, limitMs, resolve, reject });
      if (this.#current === null) this.#next();
    });
  }

  #next(): void {
    const job = this.#queue.shift();
    this.#current = job ?? null;
    if (!job) return;
    const worker = (this.#worker ??= this.#start());
    this.#timer = setTimeout(() => {
      this.#settle(new TransportError(TransportCode.PROCESSOR_TIMEOUT, `The processor ${job.call.spec} ran past its limit of ${job.limitMs} ms on ${job.call.response.url} and was stopped`));
      // Terminated, not awaited: the next call gets a fresh thread at once.
      this.#stop(worker);
    }, job.limitMs);
    worker.postMessage(job.call, [job.call.body.buffer as ArrayBuffer]);
  }

  #start(): Worker {
    const worker = new Worker(PROCESSOR_FILE);
    // The transport worker's life is its pool's to decide; this thread never holds it open.
    worker.unref();
    worker.on('message', (reply: ProcessorReply) => {
      // A reply posted just as the thread was stopped belongs to a call already settled.
      if (this.#worker === worker) this.#settle(reply.ok ? reply.bytes : this.#failure(reply.message));
    });
    // A processor that crashes its thread (an exception thrown outside the call, process.exit).
    const lost = (why: string): void => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#settle(this.#failure(`its thread ${why}`));
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    return worker;
  }

  #stop(worker: Worker): void {
    if (this.#worker === worker) this.#worker = null;
    void worker.terminate();
  }

  #failure(message: string): TransportError {
    const job = this.#current;
    return new TransportError(TransportCode.PROCESSOR, `The processor ${job?.call.spec ?? ''} failed on ${job?.call.response.url ?? 'a response'}: ${message}`);
  }

  #settle(outcome: Uint8Array | TransportError): void {
    const job = this.#current;
    if (!job) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (outcome instanceof TransportError) job.reject(outcome);
    else job.resolve(outcome);
    this.#next();
  }
}

/** The worker's processor thread, started on first use. */
let thread: ProcessorThread | null = null;
export function processorThread(): ProcessorThread {
  return (thread ??= new ProcessorThread());
}
