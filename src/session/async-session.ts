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
import type { ResponseState } from '../response/base-response.js';
import { Response } from '../response/response.js';
import { BaseSession, gatherArgs } from './base-session.js';
import type { RequestException } from '../errors.js';
import { normalizeMapOptions, type MapOptions, type NormalizedRequestOptions, type RequestOptions, type SessionOptions } from './options.js';
import { pendingFlows, settleInOrder } from './session.js';
import type { ExtensionUrl } from '../extensions/extension.js';

export type AnyResponse = Response | AsyncResponse;

/** One URL's outcome in {@link AsyncSession.map}: a response (and its processor's result), or an error. */
/** One outcome of {@link AsyncSession.map}: `R` is `AsyncResponse` with `stream: true`. */
export interface MapItem<R extends Response | AsyncResponse = Response> {
  url: string;
  response?: R;
  /** What the request's processor returned (with a `processor` option). */
  result?: unknown;
  error?: RequestException;
}

export class AsyncSession extends BaseSession {
  constructor(options?: SessionOptions) {
    super(options, false);
    // An unknown attribute (`s.maxRedirect = 3`) throws rather than being silently ignored.
    // Subclasses are left open: they add fields of their own after this constructor.
    if (new.target === AsyncSession) Object.seal(this);
  }

  request(method: string, url: ExtensionUrl, options?: RequestOptions): Promise<AsyncResponse>;
  request(method: string, url: string | URL, options: RequestOptions & { stream: true }): Promise<AsyncResponse>;
  request(method: string, url: string | URL, options?: RequestOptions): Promise<Response>;
  request(method: string, url: string | URL, options?: RequestOptions): Promise<AnyResponse> {
    // The common call (a worker is up, not multiplexed) hands back the flow's own promise:
    // an async function around it cost a promise, its state and a turn per request.
    if (!this.transportReady || this.multiplexed) return this.#request(method, url, options);
    try {
      return this.begin(method, url, options, false).run() as Promise<AnyResponse>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #request(method: string, url: string | URL, options?: RequestOptions): Promise<AnyResponse> {
    if (!this.transportReady) await this.whenTransportReady();
    const runner = this.begin(method, url, options, false);
    const running = runner.run();
    if (!this.multiplexed) return (await running) as AnyResponse;
    // The flow runs on (redirects, retries) in the background; gather() collects it.
    running.catch(() => {});
    const Kind = runner.streamed ? AsyncResponse : Response;
    const r: AnyResponse = new Kind(null, () => {
      throw new MultiplexingError(`This lazy response to ${method} ${String(url)} is not resolved yet: await session.gather() before reading it`);
    });
    this.pending.add(r, runner);
    return r;
  }

  get(url: ExtensionUrl, options?: RequestOptions): Promise<AsyncResponse>;
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
  post(url: ExtensionUrl, options?: RequestOptions): Promise<AsyncResponse>;
  post(url: string | URL, options?: RequestOptions): Promise<Response>;
  post(url: string | URL, options?: RequestOptions): Promise<AnyResponse> {
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
    const flights = pendingFlows(this.pending, targets ?? (this.pending.responses() as AnyResponse[]));
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

  /**
   * Requests every URL of `urls`, `concurrency` at a time, and yields each outcome as it
   * completes: `{ url, response, result }`, or `{ url, error }` for a failed one (a failure
   * never ends the iteration). The input is pulled only as requests finish, so a generator
   * over a file of millions of lines streams through in bounded memory. With a `processor`
   * each body is reduced in the transport worker and only `result` crosses. An aborted
   * `signal` stops the pulling; what was in flight ends with `RequestAborted`.
   *
   * @example
   * ```ts
   * for await (const { url, result, error } of s.map(lines, { concurrency: 32, processor: 'file:///srv/title.js#title' })) {
   *   console.log(url, error?.code ?? result);
   * }
   * ```
   */
  map(urls: Iterable<string | URL> | AsyncIterable<string | URL>, options: MapOptions & { stream: true }): AsyncGenerator<MapItem<AsyncResponse>, void, undefined>;
  map(urls: Iterable<string | URL> | AsyncIterable<string | URL>, options?: MapOptions): AsyncGenerator<MapItem, void, undefined>;
  async *map(urls: Iterable<string | URL> | AsyncIterable<string | URL>, options?: MapOptions): AsyncGenerator<MapItem<Response | AsyncResponse>, void, undefined> {
    const { concurrency, method, request, processed } = normalizeMapOptions(options);
    const input: Iterator<string | URL> | AsyncIterator<string | URL> =
      Symbol.asyncIterator in urls ? urls[Symbol.asyncIterator]() : (urls as Iterable<string | URL>)[Symbol.iterator]();
    const settled: Array<MapItem<Response | AsyncResponse>> = [];
    let wake: (() => void) | null = null;
    let inFlight = 0;
    let exhausted = false;
    const outcome = async (url: string): Promise<MapItem<Response | AsyncResponse>> => {
      try {
        const response = await this.request(method, url, request);
        return processed ? { url, response, result: response.result } : { url, response };
      } catch (error) {
        return { url, error: error as RequestException };
      }
    };
    const start = (url: string): void => {
      inFlight++;
      void outcome(url).then((item) => {
        inFlight--;
        settled.push(item);
        wake?.();
      });
    };
    try {
      for (;;) {
        // Outcomes not yet taken count too: at most `concurrency` URLs are held at once.
        while (!exhausted && inFlight + settled.length < concurrency && !request.signal?.aborted) {
          const next = await input.next();
          if (next.done) exhausted = true;
          else start(String(next.value));
        }
        const item = settled.shift();
        if (item) {
          yield item;
          continue;
        }
        if (inFlight === 0) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      if (!exhausted) await input.return?.();
    }
  }

  /** Releases this session's pools; requests in flight end with `SessionClosedError`. */
  async close(): Promise<void> {
    this.closeTransport();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal */
  protected respond(state: ResponseState, options: NormalizedRequestOptions, final: boolean): AnyResponse {
    return final && options.stream ? new AsyncResponse(state) : new Response(state);
  }
}
