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
import { Response } from '../response/response.js';
import { BaseSession, gatherArgs, type InFlight } from './base-session.js';
import type { RequestOptions } from './options.js';

export class Session extends BaseSession {
  request(method: string, url: string | URL, options?: RequestOptions): Response {
    const f = this.start(method, url, options, true);
    if (this.multiplexed) {
      const r: Response = new Response(null, () => this.#resolve(r, f));
      this.pending.set(r, f);
      return r;
    }
    this.engine.waitUntil(() => settled(f));
    throwIfFailed(f);
    return new Response(f.state);
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
    const flights = (targets ?? [...this.pending.keys()] as Response[])
      .map((r) => [r, this.pending.get(r)] as const)
      .filter((e): e is readonly [Response, InFlight] => e[1] !== undefined);
    const want = Math.min(maxFetch, flights.length);
    this.engine.waitUntil(() => countSettled(flights) >= want);
    const done = flights.filter(([, f]) => settled(f)).sort((a, b) => seqOf(a[1]) - seqOf(b[1])).slice(0, want);
    for (const [r, f] of done) {
      this.pending.delete(r);
      if (!failed(f)) r.settle(f.state);
    }
    return done.filter(([r]) => !r.lazy).map(([r]) => r);
  }

  /** Releases this session's pools; requests in flight end with `SessionClosedError`. */
  close(): void {
    this.closeTransport();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #resolve(r: Response, f: InFlight): void {
    this.engine.waitUntil(() => settled(f));
    this.pending.delete(r);
    throwIfFailed(f);
    r.settle(f.state);
  }
}

/** Enough is in for a response: the whole body, or the head when streaming. */
export function settled(f: InFlight): boolean {
  return f.options.stream ? f.exchange.headSettled : f.exchange.done;
}

/** The exchange failed in a way that leaves no response to give. */
export function failed(f: InFlight): boolean {
  return f.exchange.error !== null && (f.exchange.head === null || !f.options.stream);
}

export function throwIfFailed(f: InFlight): void {
  if (failed(f)) throw f.exchange.error;
}

export function seqOf(f: InFlight): number {
  return f.options.stream ? f.exchange.headSeq : f.exchange.doneSeq;
}

export function countSettled(flights: ReadonlyArray<readonly [unknown, InFlight]>): number {
  let n = 0;
  for (const [, f] of flights) if (settled(f)) n++;
  return n;
}
