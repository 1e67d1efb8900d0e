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
import type { BaseResponse, ResponseState } from '../response/base-response.js';
import { Response } from '../response/response.js';
import { BaseSession, gatherArgs } from './base-session.js';
import type { NormalizedRequestOptions, RequestOptions, SessionOptions } from './options.js';
import { pendingFlows, settleInOrder } from './session.js';

export type AnyResponse = Response | AsyncResponse;

export class AsyncSession extends BaseSession {
  constructor(options?: SessionOptions) {
    super(options, false);
    // An unknown attribute (`s.maxRedirect = 3`) throws rather than being silently ignored.
    // Subclasses are left open: they add fields of their own after this constructor.
    if (new.target === AsyncSession) Object.seal(this);
  }

  async request(method: string, url: string | URL, options: RequestOptions & { stream: true }): Promise<AsyncResponse>;
  async request(method: string, url: string | URL, options?: RequestOptions): Promise<Response>;
  async request(method: string, url: string | URL, options?: RequestOptions): Promise<AnyResponse> {
    if (!this.transportReady) await this.whenTransportReady();
    const runner = this.begin(method, url, options, false);
    const running = runner.run();
    if (!this.multiplexed) return (await running) as AnyResponse;
    // The flow runs on (redirects, retries) in the background; gather() collects it.
    running.catch(() => {});
    const Kind = options?.stream ? AsyncResponse : Response;
    const r: AnyResponse = new Kind(null, () => {
      throw new MultiplexingError(`This lazy response to ${method} ${String(url)} is not resolved yet: await session.gather() before reading it`);
    });
    this.pending.set(r, runner);
    return r;
  }

  get(url: string | URL, options: RequestOptions & { stream: true }): Promise<AsyncResponse>;
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
    const flights = pendingFlows(this.pending, targets ?? ([...this.pending.keys()] as AnyResponse[]));
    const want = Math.min(maxFetch, flights.length);
    if (want > 0) {
      await new Promise<void>((resolve) => {
        let n = 0;
        for (const [, runner] of flights) {
          const counted = (): void => {
            if (++n === want) resolve();
          };
          runner.run().then(counted, counted);
        }
      });
    }
    return settleInOrder(this.pending, flights, want);
  }

  /** Releases this session's pools; requests in flight end with `SessionClosedError`. */
  async close(): Promise<void> {
    this.closeTransport();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected respond(state: ResponseState, options: NormalizedRequestOptions, final: boolean): BaseResponse {
    return final && options.stream ? new AsyncResponse(state) : new Response(state);
  }
}
