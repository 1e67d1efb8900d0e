/**
 * The synchronous session: every verb returns a {@link Response}, blocking the calling
 * thread (never the workers) until it is ready. With `multiplexed: true` the verbs return
 * lazy responses at once and the requests run concurrently.
 *
 * @example
 * ```ts
 * using s = new Session({ multiplexed: true });
 * const a = s.get('http://127.0.0.1:8080/a');
 * const b = s.get('http://127.0.0.1:8080/b');
 * s.gather();                 // both in flight at once
 * console.log(a.statusCode, b.text);
 * ```
 */
import type { BaseResponse, ResponseState } from '../response/base-response.js';
import { Response } from '../response/response.js';
import { BaseSession, gatherArgs } from './base-session.js';
import type { RequestOptions, SessionOptions } from './options.js';
import type { Exchange } from '../engine/exchange.js';
import type { FlowRunner } from './runner.js';
import type { PendingFlows } from './pending-flows.js';

export class Session extends BaseSession {
  constructor(options?: SessionOptions) {
    super(options, true);
    // An unknown attribute (`s.maxRedirect = 3`) throws rather than being silently ignored.
    // Subclasses are left open: they add fields of their own after this constructor.
    if (new.target === Session) Object.seal(this);
  }

  request(method: string, url: string | URL, options?: RequestOptions): Response {
    const runner = this.begin(method, url, options, true);
    if (!this.multiplexed) return runner.runSync(this.driver) as Response;
    const r: Response = new Response(null, () => {
      const final = runner.runSync(this.driver);
      this.pending.delete(r);
      r.settle(final.resolvedState);
    });
    this.pending.add(r, runner);
    return r;
  }

  get(url: string | URL, options?: RequestOptions): Response {
    return this.request('GET', url, options);
  }
  head(url: string | URL, options?: RequestOptions): Response {
    return this.request('HEAD', url, options);
  }
  options(url: string | URL, options?: RequestOptions): Response {
    return this.request('OPTIONS', url, options);
  }
  delete(url: string | URL, options?: RequestOptions): Response {
    return this.request('DELETE', url, options);
  }
  post(url: string | URL, options?: RequestOptions): Response {
    return this.request('POST', url, options);
  }
  put(url: string | URL, options?: RequestOptions): Response {
    return this.request('PUT', url, options);
  }
  patch(url: string | URL, options?: RequestOptions): Response {
    return this.request('PATCH', url, options);
  }

  /**
   * Blocks until the given lazy responses (or every pending one) are resolved, or until
   * `maxFetch` of them have completed. Returns the resolved ones in the order they
   * completed. A failed request is not thrown here: its response throws when read.
   */
  gather(...args: Array<Response | { maxFetch?: number }>): Response[] {
    const { targets, maxFetch } = gatherArgs(args, (v): v is Response => v instanceof Response);
    const flights = pendingFlows(this.pending, targets ?? (this.pending.responses() as Response[]));
    const want = Math.min(maxFetch, flights.length);
    const queue = new ReadyQueue(flights.map(([, runner]) => runner));
    if (queue.finished < want) this.driver.waitUntil(() => queue.advance() >= want, () => queue.wakeAt);
    queue.stop();
    return settleInOrder(this.pending, flights, want) as Response[];
  }

  /** Releases this session's pools; requests in flight end with `SessionClosedError`. */
  close(): void {
    this.closeTransport();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal */
  protected respond(state: ResponseState): Response {
    return new Response(state);
  }
}

/** @internal The (response, flow) pairs of the targets that are still pending. */
export function pendingFlows<R extends BaseResponse>(pending: PendingFlows, targets: R[]): Array<[R, FlowRunner]> {
  const out: Array<[R, FlowRunner]> = [];
  for (const r of targets) {
    const runner = pending.runnerOf(r);
    if (runner) out.push([r, runner]);
  }
  return out;
}

/**
 * @internal Settles the first `want` finished flows in completion order and returns their responses;
 * a failed one stays lazy and throws its error when read.
 */
export function settleInOrder<R extends BaseResponse>(pending: PendingFlows, flights: Array<[R, FlowRunner]>, want: number): R[] {
  const done = flights.filter(([, f]) => f.done).sort((a, b) => a[1].seq - b[1].seq).slice(0, want);
  const settled: R[] = [];
  for (const [r, runner] of done) {
    pending.delete(r);
    try {
      r.settle(runner.outcome().resolvedState);
      settled.push(r);
    } catch (err) {
      r.settleError(err as Error);
    }
  }
  return settled;
}

/**
 * The flows of a sync `gather`, advanced only when something they wait for changed: an
 * exchange that received a frame, or a pause that is over. (Polling every flow on every
 * wake-up costs the main thread in proportion to flights times frames.)
 */
class ReadyQueue {
  finished = 0;
  readonly #ready: FlowRunner[] = [];
  readonly #sleeping = new Set<FlowRunner>();
  readonly #watched = new Set<Exchange>();

  constructor(runners: FlowRunner[]) {
    for (const runner of runners) this.#poll(runner);
  }

  /** Advances what can move; returns how many flows have finished. */
  advance(): number {
    const now = performance.now();
    for (const runner of this.#sleeping) {
      if (runner.wakeAt <= now) {
        this.#sleeping.delete(runner);
        this.#ready.push(runner);
      }
    }
    while (this.#ready.length > 0) this.#poll(this.#ready.pop()!);
    return this.finished;
  }

  /** When the earliest pause or signal deadline ends (performance.now clock); Infinity when none. */
  get wakeAt(): number {
    let at = Infinity;
    for (const runner of this.#sleeping) at = Math.min(at, runner.wakeAt);
    return at;
  }

  /** Leaves the exchanges of unfinished flows alone (gather may stop at `maxFetch`). */
  stop(): void {
    for (const ex of this.#watched) ex.watcher = null;
    this.#watched.clear();
  }

  #poll(runner: FlowRunner): void {
    const before = runner.exchange;
    if (before !== null && this.#watched.delete(before)) before.watcher = null;
    this.#sleeping.delete(runner);
    if (runner.poll()) {
      this.finished++;
      return;
    }
    const ex = runner.exchange;
    if (ex === null) {
      this.#sleeping.add(runner);
      return;
    }
    this.#watched.add(ex);
    ex.watcher = () => {
      ex.watcher = null;
      this.#watched.delete(ex);
      this.#ready.push(runner);
    };
    // A signal's deadline: looked at when it passes even if no frame comes.
    if (runner.wakeAt !== Infinity) this.#sleeping.add(runner);
  }
}
