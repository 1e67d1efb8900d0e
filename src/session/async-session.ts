/**
 * The asynchronous session: every verb returns a promise of a response, and the event loop
 * stays free while requests are in flight. With `stream: true` the result is an
 * {@link AsyncResponse} whose body is read by awaiting. With `multiplexed: true` the promise
 * resolves at once to a lazy response; `await s.gather()` fills it in.
 *
 * @example
 * ```ts
 * await using s = new AsyncSession();
 * const rs = await Promise.all(urls.map((u) => s.get(u)));
 * ```
 */
import { MultiplexingError } from '../errors.js';
import { AsyncResponse } from '../response/async-response.js';
import { Response } from '../response/response.js';
import { BaseSession, gatherArgs, type InFlight } from './base-session.js';
import type { RequestOptions } from './options.js';
import { failed, seqOf, settled, throwIfFailed } from './session.js';

export type AnyResponse = Response | AsyncResponse;

export class AsyncSession extends BaseSession {
  async request(method: string, url: string | URL, options?: RequestOptions & { stream: true }): Promise<AsyncResponse>;
  async request(method: string, url: string | URL, options?: RequestOptions): Promise<Response>;
  async request(method: string, url: string | URL, options?: RequestOptions): Promise<AnyResponse> {
    await this.whenTransportReady();
    const f = this.start(method, url, options, false);
    const Kind = f.options.stream ? AsyncResponse : Response;
    if (this.multiplexed) {
      const r: AnyResponse = new Kind(null, () => {
        throw new MultiplexingError(`This lazy response to ${f.state.request.method} ${f.state.url} is not resolved yet: await session.gather() before reading it`, {
          request: f.state.request,
        });
      });
      this.pending.set(r, f);
      return r;
    }
    while (!settled(f)) await f.exchange.changed();
    throwIfFailed(f);
    return new Kind(f.state);
  }

  get(url: string | URL, options?: RequestOptions & { stream: true }): Promise<AsyncResponse>;
  get(url: string | URL, options?: RequestOptions): Promise<Response>;
  get(url: string | URL, options?: RequestOptions): Promise<AnyResponse> {
    return this.request('GET', url, options);
  }
  head(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request('HEAD', url, options);
  }
  options(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request('OPTIONS', url, options);
  }
  delete(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request('DELETE', url, options);
  }
  post(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request('POST', url, options);
  }
  put(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request('PUT', url, options);
  }
  patch(url: string | URL, options?: RequestOptions): Promise<Response> {
    return this.request('PATCH', url, options);
  }

  /**
   * Resolves the given lazy responses (or every pending one), or stops once `maxFetch`
   * have completed. Returns the resolved ones in completion order; a failed request is
   * not thrown here, its response throws when read.
   */
  async gather(...args: Array<AnyResponse | { maxFetch?: number }>): Promise<AnyResponse[]> {
    const { targets, maxFetch } = gatherArgs(args, (v): v is AnyResponse => v instanceof Response || v instanceof AsyncResponse);
    const flights = (targets ?? ([...this.pending.keys()] as AnyResponse[]))
      .map((r) => [r, this.pending.get(r)] as const)
      .filter((e): e is readonly [AnyResponse, InFlight] => e[1] !== undefined);
    const want = Math.min(maxFetch, flights.length);
    for (;;) {
      const open = flights.filter(([, f]) => !settled(f));
      if (flights.length - open.length >= want) break;
      await Promise.race(open.map(([, f]) => f.exchange.changed()));
    }
    const done = flights.filter(([, f]) => settled(f)).sort((a, b) => seqOf(a[1]) - seqOf(b[1])).slice(0, want);
    for (const [r, f] of done) {
      this.pending.delete(r);
      if (failed(f)) r.settleError(f.exchange.error!);
      else r.settle(f.state);
    }
    return done.filter(([r]) => !r.lazy).map(([r]) => r);
  }

  /** Releases this session's pools; requests in flight end with `SessionClosedError`. */
  async close(): Promise<void> {
    this.closeTransport();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
