/**
 * What the sync and async sessions share: their settings, their place in an engine, and
 * turning a call into an exchange in flight. The two subclasses differ only in how they
 * wait.
 */
import { Engine } from '../engine/engine.js';
import type { Exchange } from '../engine/exchange.js';
import { SessionClosedError } from '../errors.js';
import type { Headers } from '../headers.js';
import { prepareRequest } from '../request/prepare.js';
import type { BaseResponse, ResponseState } from '../response/base-response.js';
import { BodySource } from '../response/body-source.js';
import {
  defaultTimeouts,
  normalizeRequestOptions,
  normalizeSessionOptions,
  type NormalizedRequestOptions,
  type NormalizedSessionOptions,
  type RequestOptions,
  type SessionOptions,
} from './options.js';

/** A request in flight, with what its response will need. */
export interface InFlight {
  exchange: Exchange;
  state: ResponseState;
  options: NormalizedRequestOptions;
}

export abstract class BaseSession {
  protected readonly settings: NormalizedSessionOptions;
  /** Lazy responses not yet resolved, for `gather()` without arguments. */
  protected readonly pending = new Map<BaseResponse, InFlight>();
  #engine: Engine | null = null;
  #sessionId = 0;
  #closed = false;

  constructor(options?: SessionOptions) {
    this.settings = normalizeSessionOptions(options);
  }

  /** Headers sent with every request of this session (case-insensitive, mutable). */
  get headers(): Headers {
    return this.settings.headers;
  }

  get baseUrl(): string | null {
    return this.settings.baseUrl;
  }

  set baseUrl(value: string | null) {
    this.settings.baseUrl = value;
  }

  get multiplexed(): boolean {
    return this.settings.multiplexed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Prepares and sends a request; returns at once with the exchange in flight. */
  protected start(method: string, url: string | URL, opts: RequestOptions | undefined, sync: boolean): InFlight {
    if (this.#closed) throw new SessionClosedError(`This session is closed; cannot ${method} ${String(url)}`);
    const options = normalizeRequestOptions(opts);
    const request = prepareRequest(method, url, options, this.settings);
    const engine = this.#ensureEngine();
    const timeout = options.timeout ?? this.settings.timeout ?? defaultTimeouts(request.method);
    const exchange = engine.send(request, {
      sessionId: this.#sessionId,
      connectTimeout: timeout.connect,
      readTimeout: timeout.read,
      totalTimeout: timeout.total,
      windowed: options.stream,
      raw: false,
      sync,
    });
    return { exchange, options, state: { source: new BodySource(engine, exchange), url: request.url, request, history: [] } };
  }

  /** For the async API: waits on the event loop (not by blocking) until a worker is up. */
  protected async whenTransportReady(): Promise<void> {
    if (this.#closed) return;
    const engine = this.#ensureEngine();
    if (!engine.hasLiveWorker) await engine.whenLive();
  }

  protected get engine(): Engine {
    return this.#ensureEngine();
  }

  #ensureEngine(): Engine {
    if (!this.#engine) {
      this.#engine = Engine.acquire(this.settings.workers);
      this.#sessionId = this.#engine.openSession({
        poolMaxsize: this.settings.poolMaxsize,
        poolConnections: this.settings.poolConnections,
        keepAliveTimeout: this.settings.keepaliveDelay,
      });
    }
    return this.#engine;
  }

  /** Ends the session's requests in flight and releases its pools; twice is harmless. */
  protected closeTransport(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pending.clear();
    if (this.#engine) {
      this.#engine.closeSession(this.#sessionId);
      this.#engine.release();
      this.#engine = null;
    }
  }
}

/** Splits `gather(...responses, { maxFetch })` arguments. */
export function gatherArgs<R>(args: Array<R | { maxFetch?: number }>, isResponse: (v: unknown) => v is R): { targets: R[] | null; maxFetch: number } {
  const targets: R[] = [];
  let maxFetch = Infinity;
  for (const a of args) {
    if (isResponse(a)) targets.push(a);
    else if (a && typeof a === 'object' && 'maxFetch' in a && a.maxFetch !== undefined) maxFetch = a.maxFetch;
  }
  return { targets: targets.length ? targets : null, maxFetch };
}
