/**
 * `nodequests load` in a transport worker: keeps its share of the connections busy with the
 * plan's request, records each latency in an HDR histogram, and reports every interval.
 *
 * Closed model (no rate): each connection sends its next request when the last is answered;
 * latency runs from the send. Open model (a rate): requests are due on a fixed timetable,
 * `started + k / rate`, and latency runs from when a request was due, not from when a free
 * connection finally sent it, so a stalled server shows as the wait it imposed on every
 * request behind it (the coordinated omission wrk2 corrects). The timetable ends at the
 * duration; requests due before then still go out, late, and count.
 *
 * Connections come from the same pools as a session's (our connector: TLS, SOCKS, the
 * resolver). Over HTTP/1.1 the run speaks on them itself (load-connection.ts: the request
 * encoded once, each response only framed); over HTTP/2 requests go through the pool's
 * node:http2 sessions with a bare handler. Either way the body is counted, never decoded or
 * sent to the main thread.
 */
import type { MessagePort } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import type { Dispatcher } from 'undici';
import { LOAD_HISTOGRAM, type LoadPlan, type LoadReport } from '../channel/load-plan.js';
import { TransportCode } from '../channel/error-codes.js';
import { TransportError, classify } from './error-codes.js';
import { LoadConnection, encodeLoadRequest, type ConnectionOwner, type LoadExchange } from './load-connection.js';
import type { LegacyHandler } from './native-h2.js';
import { SessionTransport } from './session-transport.js';

export async function runLoad(plan: LoadPlan, port: MessagePort): Promise<LoadReport> {
  const run = new LoadRun(plan, port);
  try {
    return await run.finished;
  } finally {
    await run.close();
  }
}

class LoadRun implements Recorder, ConnectionOwner {
  readonly finished: Promise<LoadReport>;
  readonly #plan: LoadPlan;
  readonly #port: MessagePort;
  readonly #transport: SessionTransport;
  readonly #dispatch: (handler: LoadHandler) => void;
  /** HTTP/1.1: the run's connections that can take a request now. */
  readonly #idle: LoadConnection[] = [];
  readonly #connections: LoadConnection[] = [];
  readonly #origin: string;
  readonly #histogram = hdr.build({ ...LOAD_HISTOGRAM, useWebAssembly: false });
  readonly #inFlight = new Set<LoadHandler>();
  readonly #started = performance.now();
  readonly #reporter: NodeJS.Timeout;
  readonly #sweeper: NodeJS.Timeout | null;
  #resolve!: (report: LoadReport) => void;
  #timer: NodeJS.Timeout | null = null;
  #sent = 0;
  #stopped = false;
  #requests = 0;
  #bytes = 0;
  #statuses: Record<string, number> = {};
  #errors: Record<string, number> = {};

  constructor(plan: LoadPlan, port: MessagePort) {
    this.#plan = plan;
    this.#port = port;
    this.finished = new Promise((resolve) => (this.#resolve = resolve));
    const url = new URL(plan.url);
    this.#origin = url.origin;
    this.#transport = new SessionTransport({ ...plan.config, poolMaxsize: plan.connections });
    const pool = this.#transport.poolFor(url.origin, plan.timeoutMs || 10_000, '', null, '', false);
    if (!plan.config.http2 && pool.openSocket !== null) {
      const request = encodeLoadRequest(plan.method, url, plan.headers, plan.body);
      for (let i = 0; i < plan.connections; i++) this.#connections.push(new LoadConnection(pool.openSocket, request, plan.method === 'HEAD', this.#origin, this));
      this.#idle.push(...this.#connections);
      // #pump sends only while fewer than `connections` are in flight: one is always free.
      this.#dispatch = (handler) => this.#idle.pop()!.send(handler);
    } else {
      const options: Dispatcher.DispatchOptions = {
        origin: url.origin,
        path: url.pathname + url.search,
        method: plan.method,
        headers: plan.headers,
        body: plan.body === null ? null : Buffer.from(plan.body.buffer, plan.body.byteOffset, plan.body.byteLength),
        headersTimeout: 0,
        bodyTimeout: 0,
      };
      this.#dispatch = (handler) => pool.dispatch(options, handler as unknown as Dispatcher.DispatchHandler);
    }
    this.#reporter = setInterval(() => this.#port.postMessage(this.#report()), plan.intervalMs);
    this.#sweeper = plan.timeoutMs > 0 ? setInterval(() => this.#sweep(), Math.max(10, Math.min(250, plan.timeoutMs / 4))) : null;
    port.on('message', (m) => {
      if (m === 'stop') {
        this.#stopped = true;
        this.#pump();
      }
    });
    this.#pump();
  }

  release(connection: LoadConnection): void {
    this.#idle.push(connection);
  }

  readonly done = (handler: LoadHandler, code: string | null): void => {
    if (!this.#inFlight.delete(handler)) return;
    if (code === null) {
      this.#histogram.recordValue(Math.max(1, Math.round((performance.now() - handler.due) * 1000)));
      this.#requests++;
      this.#bytes += handler.bytes;
      this.#statuses[handler.status] = (this.#statuses[handler.status] ?? 0) + 1;
    } else {
      this.#errors[code] = (this.#errors[code] ?? 0) + 1;
    }
    this.#pump();
  };

  /** Sends what may go now, and ends the run when nothing more will. */
  #pump(): void {
    const { connections, rate, requests, durationMs } = this.#plan;
    const deadline = this.#started + durationMs;
    while (this.#inFlight.size < connections && !this.#stopped && this.#sent < requests) {
      const now = performance.now();
      let due = now;
      if (rate > 0) {
        due = this.#started + (this.#sent * 1000) / rate;
        if (due >= deadline) break;
        if (due > now) {
          this.#timer ??= setTimeout(() => {
            this.#timer = null;
            this.#pump();
          }, due - now);
          return;
        }
      } else if (now >= deadline) break;
      this.#sent++;
      const handler = new LoadHandler(due, this.#origin, this);
      this.#inFlight.add(handler);
      this.#dispatch(handler);
    }
    if (this.#inFlight.size === 0 && (this.#stopped || this.#sent >= requests || performance.now() >= deadline || (rate > 0 && this.#started + (this.#sent * 1000) / rate >= deadline))) {
      this.#resolve(this.#report());
    }
  }

  /** Fails requests past the timeout (one sweep, not a timer per request). */
  #sweep(): void {
    const limit = performance.now() - this.#plan.timeoutMs;
    for (const handler of this.#inFlight) {
      if (handler.sentAt < limit) handler.cancel(new TransportError(TransportCode.TIMEOUT, `No complete response from ${this.#origin} within ${this.#plan.timeoutMs} ms`));
    }
  }

  /** The interval's numbers, which then start again from zero. */
  #report(): LoadReport {
    const report = {
      histogram: hdr.encodeIntoCompressedBase64(this.#histogram),
      requests: this.#requests,
      bytes: this.#bytes,
      statuses: this.#statuses,
      errors: this.#errors,
      elapsedMs: performance.now() - this.#started,
    };
    this.#histogram.reset();
    this.#requests = 0;
    this.#bytes = 0;
    this.#statuses = {};
    this.#errors = {};
    return report;
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#reporter);
    if (this.#sweeper) clearInterval(this.#sweeper);
    if (this.#timer) clearTimeout(this.#timer);
    this.#port.close();
    this.#histogram.destroy();
    for (const connection of this.#connections) connection.close();
    await this.#transport.close();
  }
}

interface Recorder {
  done(handler: LoadHandler, code: string | null): void;
}

/** One request: undici's bare callbacks (or a load connection's), counting the body and nothing else. */
class LoadHandler implements LegacyHandler, LoadExchange {
  readonly sentAt = performance.now();
  status = 0;
  bytes = 0;
  #abort: ((err: Error) => void) | null = null;
  #cancelled: Error | null = null;

  constructor(
    /** When it was due (the send, in the closed model), ms. */
    readonly due: number,
    readonly origin: string,
    readonly recorder: Recorder,
  ) {}

  cancel(reason: Error): void {
    this.#cancelled = reason;
    if (this.#abort) this.#abort(reason);
    else this.recorder.done(this, classify(reason, this.origin, false).code);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort as (err: Error) => void;
    if (this.#cancelled) abort(this.#cancelled);
  }

  onHeaders(status: number): boolean {
    if (status >= 200) this.status = status;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }

  onComplete(): void {
    this.recorder.done(this, null);
  }

  onError(err: Error): void {
    this.recorder.done(this, classify(this.#cancelled ?? err, this.origin, this.status !== 0).code);
  }
}
