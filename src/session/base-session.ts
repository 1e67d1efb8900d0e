/**
 * What the sync and async sessions share: their settings (mutable between requests, as in
 * Requests), their place in an engine, and turning a call into a running flow. The two
 * subclasses differ only in how they wait and which response class they hand out.
 */
import { normalizeAuth, type AuthBase } from '../auth.js';
import { CookieJar } from '../cookies.js';
import { Engine } from '../engine/engine.js';
import type { PoolStats } from '../transport/session-transport.js';
import { InvalidOption, SessionClosedError } from '../errors.js';
import type { Headers } from '../headers.js';
import { netrc, prepareCall } from '../request/prepare.js';
import type { ParamsInit } from '../request/url.js';
import type { BaseResponse, ResponseState } from '../response/base-response.js';
import { BodySource } from '../response/body-source.js';
import { requestFlow, withCookies, type CallSettings, type FlowHost, type InFlight } from './flow.js';
import { mergeHooks, normalizeHooks, type Hooks, type HooksInit } from './hooks.js';
import {
  defaultTimeouts,
  normalizeRequestOptions,
  normalizeSessionOptions,
  type AuthInit,
  type NormalizedRequestOptions,
  type NormalizedSessionOptions,
  type RequestOptions,
  type SessionOptions,
} from './options.js';
import { FlowRunner } from './runner.js';
import { AltSvcCache } from './alt-svc.js';
import { selectProxy } from './proxies.js';
import { abortedError, watchSignal } from './signal.js';
import { normalizeTls, type CertInit, type TlsConfig, type VerifyInit } from './tls.js';

/** The session's verify setting in the form `normalizeTls` takes, to combine with a request's cert. */
function verifyOf(tls: TlsConfig): VerifyInit {
  return tls.pin ? `sha256_${tls.pin}` : tls.ca ?? tls.verify;
}

function certOf(tls: TlsConfig): CertInit | null {
  return tls.cert === null ? null : { cert: tls.cert, key: tls.key!, passphrase: tls.passphrase ?? undefined };
}

export abstract class BaseSession {
  protected readonly settings: NormalizedSessionOptions;
  /** Lazy responses not yet resolved, for `gather()` without arguments. */
  protected readonly pending = new Map<BaseResponse, FlowRunner>();
  /** Alternative services origins have announced (Alt-Svc), by origin. */
  readonly altSvc = new AltSvcCache();
  #engine: Engine | null = null;
  #sessionId = 0;
  #closed = false;

  constructor(options?: SessionOptions) {
    this.settings = normalizeSessionOptions(options);
  }

  /** Headers sent with every request (case-insensitive, mutable). */
  get headers(): Headers {
    return this.settings.headers;
  }

  /** The session's cookie jar: sent by domain and path, filled from responses. */
  get cookies(): CookieJar {
    return this.settings.cookies;
  }
  set cookies(jar: CookieJar) {
    this.settings.cookies = jar instanceof CookieJar ? jar : CookieJar.from(jar);
  }

  get auth(): AuthBase | null {
    return this.settings.auth;
  }
  set auth(value: AuthInit | null) {
    this.settings.auth = normalizeAuth(value);
  }

  get params(): ParamsInit | null {
    return this.settings.params;
  }
  set params(value: ParamsInit | null) {
    this.settings.params = value;
  }

  get hooks(): Hooks {
    return this.settings.hooks;
  }
  set hooks(value: HooksInit | null) {
    this.settings.hooks = normalizeHooks(value);
  }

  get maxRedirects(): number {
    return this.settings.maxRedirects;
  }
  set maxRedirects(n: number) {
    this.settings.maxRedirects = normalizeSessionOptions({ maxRedirects: n }).maxRedirects;
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

  /**
   * The session's connection pools, per worker: origin, open connections, requests running
   * and queued. Shown by `util.inspect(session)`.
   */
  pools(): PoolStats[] {
    return this.#engine && !this.#closed ? this.#engine.poolStats(this.#sessionId) : [];
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const pools = this.pools()
      .map((p) => `${p.origin} (${p.connected} open, ${p.running} running, ${p.pending} queued)`)
      .join(', ');
    return `<${this.constructor.name}${this.#closed ? ' closed' : ''} pools=[${pools}]>`;
  }

  /** Wraps a resolved state in the response class this session hands out. */
  protected abstract respond(state: ResponseState, options: NormalizedRequestOptions, final: boolean): BaseResponse;

  /** Prepares a call and starts its flow; the first request is in flight when this returns. */
  protected begin(method: string, url: string | URL, opts: RequestOptions | undefined, sync: boolean): FlowRunner {
    if (this.#closed) throw new SessionClosedError(`This session is closed; cannot ${method} ${String(url)}`);
    const options = normalizeRequestOptions(opts);
    if (options.signal?.aborted) throw abortedError(options.signal.reason);
    const settings = this.settings;
    const call = prepareCall(method, url, options, settings);
    const body = call.request.body;
    if (sync && body !== null && !(body instanceof Uint8Array)) {
      throw new InvalidOption(
        `A synchronous Session cannot send a streamed body (Readable, async iterable or Blob) with ${method} ${call.request.url}: it would have to read the stream while it blocks. Pass bytes or a string, or use an AsyncSession.`,
      );
    }
    const jar = options.cookies
      ? settings.cookies.copy().merge(options.cookies)
      : settings.allowIncomingCookies
        ? settings.cookies
        : settings.cookies.copy();
    const timeout = options.timeout ?? settings.timeout ?? defaultTimeouts(call.request.method);
    const callSettings: CallSettings = {
      url: call.url,
      options,
      hooks: options.hooks === NO_HOOKS_MARK ? settings.hooks : mergeHooks(settings.hooks, options.hooks),
      retry: settings.retries,
      maxRedirects: settings.maxRedirects,
      allowRedirects: options.allowRedirects ?? call.request.method !== 'HEAD',
      jar,
      sessionJar: settings.allowIncomingCookies && jar !== settings.cookies ? settings.cookies : null,
      auth: call.auth,
      altSvc: this.altSvc,
      userCookie: call.request.headers.has('cookie'),
      // Only when nobody chose the credentials: explicit auth is not swapped for .netrc.
      rebuildAuth: (target, request) => {
        if (options.auth !== undefined || settings.auth !== null) return request;
        const found = netrc(target, settings);
        return found ? found.apply(request) : request;
      },
      totalTimeout: timeout.total,
    };
    const engine = this.#ensureEngine();
    const sendOptions = {
      sessionId: this.#sessionId,
      connectTimeout: timeout.connect,
      readTimeout: timeout.read,
      totalTimeout: timeout.total,
      windowed: options.stream,
      sync,
      tls: options.verify === undefined && options.cert === undefined
        ? ''
        : JSON.stringify(normalizeTls(options.verify ?? verifyOf(settings.tls), options.cert === undefined ? certOf(settings.tls) : options.cert, settings.trustEnv)),
      proxy: '',
    };
    const anyProxies = hasEntries(options.proxies) || hasEntries(settings.proxies) || hasEntries(settings.envProxies);
    const host: FlowHost = {
      send: (request, totalLeft): InFlight => {
        // Chosen per hop: a redirect may lead to a host with other proxy rules.
        const proxy = anyProxies ? (selectProxy(new URL(request.url), options.proxies, settings.proxies, settings.envProxies) ?? '') : '';
        const exchange = engine.send(request, proxy || totalLeft ? { ...sendOptions, proxy, totalTimeout: totalLeft } : sendOptions);
        return { exchange, request, source: new BodySource(engine, exchange) };
      },
      respond: (state, final) => this.respond(state, options, final),
    };
    const runner = new FlowRunner(requestFlow(callSettings, withCookies(call.request, jar), host));
    if (options.signal) watchSignal(options.signal, runner, engine);
    return runner;
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
        tls: this.settings.tls,
        http1: this.settings.http1,
        http2: this.settings.http2,
        multiplexed: this.settings.multiplexed,
        resolver: this.settings.resolver,
        happyEyeballs: this.settings.happyEyeballs,
        ipv4: this.settings.ipv4,
        ipv6: this.settings.ipv6,
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

// Requests without hooks of their own share the session's lists as they are.
const NO_HOOKS_MARK = normalizeRequestOptions(undefined).hooks;

function hasEntries(o: object): boolean {
  for (const _ in o) return true;
  return false;
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
