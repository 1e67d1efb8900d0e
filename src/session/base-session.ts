/**
 * What the sync and async sessions share: their settings (attributes mutable between
 * requests, as in Requests), the call plan worked out from them, their adapter to the
 * transport, and turning a call into a running flow. The two subclasses differ only in how
 * they wait and which response class they hand out.
 */
import { normalizeAuth, type AuthBase } from '../auth.js';
import type { CookieJar, CookiesInit } from '../cookies.js';
import type { SendOptions } from '../engine/engine.js';
import type { PoolStats } from '../channel/session-config.js';
import { InvalidOption, SessionClosedError } from '../errors.js';
import type { Headers, HeadersInit } from '../headers.js';
import { prepareCall } from '../request/prepare.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import type { ParamsInit } from '../request/url.js';
import type { BaseResponse, ResponseState } from '../response/base-response.js';
import type { AnyResponse } from './async-session.js';
import { Adapter } from './adapter.js';
import { transportConfigOf } from './transport-config.js';
import { AppCarrier } from '../app/app-carrier.js';
import { CallPlan, certOf, keepAuth, verifyOf } from './call-plan.js';
import { requestFlow, withCookies, type CallSettings, type FlowHost, type HopExpectations, type InFlight } from './flow.js';
import { normalizeHooks, type Hooks, type HooksInit } from './hooks.js';
import {
  effectiveMaxBodySize,
  effectiveMaxPayload,
  envProxiesOf,
  normalizeBaseUrl,
  normalizeMaxRedirects,
  normalizeRequestOptions,
  normalizeSessionCookies,
  normalizeSessionHeaders,
  normalizeSessionOptions,
  normalizeSessionParams,
  normalizeSessionTimeout,
  normalizeTrustEnv,
  type AuthInit,
  type NormalizedRequestOptions,
  type NormalizedSessionOptions,
  type RequestOptions,
  type SessionOptions,
  type TimeoutInit,
  type Timeouts,
} from './options.js';
import { FlowRunner } from './runner.js';
import { PendingFlows } from './pending-flows.js';
import type { ExchangeDriver, TransportPort } from './transport-port.js';
import { AltSvcCache } from './alt-svc.js';
import { normalizeProxies, type ProxiesInit } from './proxies.js';
import { normalizeTls, type VerifyInit } from './tls.js';
import { abortedError, watchSignal } from './signal.js';

export abstract class BaseSession {
  /** @internal */
  protected readonly settings: NormalizedSessionOptions;
  /** @internal Lazy responses not yet resolved, for `gather()` without arguments. */
  protected readonly pending = new PendingFlows();
  /** Alternative services origins have announced (Alt-Svc), by origin. */
  readonly altSvc = new AltSvcCache();
  readonly #adapter: TransportPort;
  /** The settings worked out for calls; dropped whenever an attribute is set. */
  #plan: CallPlan | null = null;
  #closed = false;
  readonly #respond: Respond = (state, options, final) => this.respond(state, options, final);

  /** `sync`: the subclass blocks while it waits (it can only call a module app). */
  constructor(options: SessionOptions | undefined, sync: boolean) {
    this.settings = normalizeSessionOptions(options, sync);
    const app = this.settings.app;
    this.#adapter = app === null || app.kind === 'module' ? new Adapter(this.settings.workers) : new AppCarrier(app);
  }

  /** Headers sent with every request (case-insensitive, mutable; assigning replaces them). */
  get headers(): Headers {
    return this.settings.headers;
  }
  set headers(value: HeadersInit | null) {
    this.settings.headers = normalizeSessionHeaders(value);
    this.#plan = null;
  }

  /** The session's cookie jar: sent by domain and path, filled from responses. */
  get cookies(): CookieJar {
    return this.settings.cookies;
  }
  set cookies(jar: CookiesInit | null) {
    this.settings.cookies = normalizeSessionCookies(jar);
    this.#plan = null;
  }

  get auth(): AuthBase | null {
    return this.settings.auth;
  }
  set auth(value: AuthInit | null) {
    this.settings.auth = normalizeAuth(value);
    this.#plan = null;
  }

  get params(): ParamsInit | null {
    return this.settings.params;
  }
  set params(value: ParamsInit | null) {
    this.settings.params = normalizeSessionParams(value);
    this.#plan = null;
  }

  /** The session's TLS verification, in the form the `verify` option takes. */
  get verify(): VerifyInit {
    return verifyOf(this.settings.tls);
  }
  set verify(value: VerifyInit) {
    this.settings.tls = normalizeTls(value, certOf(this.settings.tls), this.settings.trustEnv);
    this.#plan = null;
  }

  /** Proxies by scheme or `scheme://host` (the environment's apply beneath them under `trustEnv`). */
  get proxies(): Record<string, string | null> {
    return this.settings.proxies;
  }
  set proxies(value: ProxiesInit | null) {
    this.settings.proxies = normalizeProxies(value);
    this.#plan = null;
  }

  /** The session's default timeouts; null: Requests' defaults per method. */
  get timeout(): Timeouts | null {
    return this.settings.timeout;
  }
  set timeout(value: TimeoutInit | undefined) {
    this.settings.timeout = normalizeSessionTimeout(value);
    this.#plan = null;
  }

  get hooks(): Hooks {
    return this.settings.hooks;
  }
  set hooks(value: HooksInit | null) {
    this.settings.hooks = normalizeHooks(value);
    this.#plan = null;
  }

  get maxRedirects(): number {
    return this.settings.maxRedirects;
  }
  set maxRedirects(n: number) {
    this.settings.maxRedirects = normalizeMaxRedirects(n);
    this.#plan = null;
  }

  /**
   * Whether the environment is read: proxies, CA bundles, `.netrc`. Setting it applies to
   * the next request; the name resolver (`NODEQUESTS_DNS_URL`) stays as the session was made.
   */
  get trustEnv(): boolean {
    return this.settings.trustEnv;
  }
  set trustEnv(value: boolean) {
    const s = this.settings;
    const trustEnv = normalizeTrustEnv(value);
    s.tls = normalizeTls(verifyOf(s.tls), certOf(s.tls), trustEnv);
    s.envProxies = envProxiesOf(trustEnv);
    s.trustEnv = trustEnv;
    this.#plan = null;
  }

  get baseUrl(): string | null {
    return this.settings.baseUrl;
  }
  set baseUrl(value: string | null) {
    this.settings.baseUrl = normalizeBaseUrl(value);
    this.#plan = null;
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
    return this.#closed ? [] : this.#adapter.pools();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    const pools = this.pools()
      .map((p) => `${p.origin} (${p.connected} open, ${p.running} running, ${p.pending} queued)`)
      .join(', ');
    return `<${this.constructor.name}${this.#closed ? ' closed' : ''} pools=[${pools}]>`;
  }

  /** @internal Wraps a resolved state in the response class this session hands out. */
  protected abstract respond(state: ResponseState, options: NormalizedRequestOptions, final: boolean): AnyResponse;

  /** @internal Prepares a call and starts its flow; the first request is in flight when this returns. */
  protected begin(method: string, url: string | URL, opts: RequestOptions | undefined, sync: boolean): FlowRunner {
    if (this.#closed) throw new SessionClosedError(`This session is closed; cannot ${method} ${String(url)}`);
    let options = normalizeRequestOptions(opts);
    if (options.signal?.aborted) throw abortedError(options.signal.reason);
    const settings = this.settings;
    const call = prepareCall(method, url, options, settings);
    // A WebSocket or an event stream is read as it comes: the call ends with the head.
    if (call.extension !== null && !options.stream) options = { ...options, stream: true };
    const request = call.request;
    const body = request.body;
    if (sync && body !== null && !(body instanceof Uint8Array)) {
      throw new InvalidOption(
        `A synchronous Session cannot send a streamed body (Readable, async iterable or Blob) with ${method} ${request.url}: it would have to read the stream while it blocks. Pass bytes or a string, or use an AsyncSession.`,
      );
    }
    const driver = this.#open();
    const plan = (this.#plan ??= new CallPlan(settings, this.#adapter.openedTls));
    const jar = options.cookies
      ? settings.cookies.copy().merge(options.cookies)
      : settings.allowIncomingCookies
        ? settings.cookies
        : settings.cookies.copy();
    const timeout = plan.timeouts(options, request.method);
    const callSettings: CallSettings = {
      url: call.url,
      options,
      hooks: plan.hooks(options),
      retry: settings.retries,
      maxRedirects: settings.maxRedirects,
      allowRedirects: options.allowRedirects ?? request.method !== 'HEAD',
      jar,
      sessionJar: settings.allowIncomingCookies && jar !== settings.cookies ? settings.cookies : null,
      auth: call.auth,
      altSvc: this.altSvc,
      sensitiveHeaders: options.sensitiveHeaders.length ? [...settings.sensitiveHeaders, ...options.sensitiveHeaders] : settings.sensitiveHeaders,
      userCookie: request.headers.has('cookie'),
      rebuildAuth: options.auth !== undefined ? keepAuth : plan.rebuildAuth,
      totalTimeout: timeout.total,
      websocket: call.extension === 'websocket',
    };
    const sendOptions: SendOptions = {
      sessionId: this.#adapter.sessionId,
      connectTimeout: timeout.connect,
      readTimeout: timeout.read,
      totalTimeout: timeout.total,
      windowed: options.stream,
      maxBodySize: effectiveMaxBodySize(options, settings),
      followsRedirects: false,
      answersChallenge: false,
      sync,
      tls: plan.tls(options),
      proxy: '',
      credentials: options.credentials ?? settings.credentials,
      extension: call.extension,
      processor: options.processor?.spec ?? '',
      processorTimeout: options.processor?.timeoutMs ?? 0,
      maxPayload: effectiveMaxPayload(options, settings),
    };
    const host = new CallHost(this.#respond, this.#adapter, plan, options, sendOptions);
    const runner = new FlowRunner(requestFlow(callSettings, withCookies(request, jar), host), options.stream);
    if (options.signal) watchSignal(options.signal, runner, driver, options.stream);
    return runner;
  }

  /** @internal Whether the transport can take requests now (for the async API, which must not block). */
  protected get transportReady(): boolean {
    return this.#closed || this.#adapter.live;
  }

  /** @internal For the async API: waits on the event loop (not by blocking) until a worker is up. */
  protected async whenTransportReady(): Promise<void> {
    if (this.#closed) return;
    this.#open();
    await this.#adapter.whenLive();
  }

  /** What sync waits block in (the session's carrier, opened on first use). @internal */
  protected get driver(): ExchangeDriver {
    return this.#open();
  }

  #open(): ExchangeDriver {
    return this.#adapter.open(() => transportConfigOf(this.settings));
  }

  /** @internal Ends the session's requests in flight and releases its pools; twice is harmless. */
  protected closeTransport(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.pending.clear();
    this.#adapter.close();
  }
}

/** What a call's flow asks of its session: sending each hop, wrapping responses. */
type Respond = (state: ResponseState, options: NormalizedRequestOptions, final: boolean) => AnyResponse;

class CallHost implements FlowHost {
  readonly #respond: Respond;
  readonly #adapter: TransportPort;
  readonly #plan: CallPlan;
  readonly #options: NormalizedRequestOptions;
  readonly #sendOptions: SendOptions;

  constructor(respond: Respond, adapter: TransportPort, plan: CallPlan, options: NormalizedRequestOptions, sendOptions: SendOptions) {
    this.#respond = respond;
    this.#adapter = adapter;
    this.#plan = plan;
    this.#options = options;
    this.#sendOptions = sendOptions;
  }

  send(request: PreparedRequest, totalLeft: number, hops: HopExpectations): InFlight {
    // Chosen per hop: a redirect may lead to a host with other proxy rules.
    // A WebSocket takes the proxy its HTTP counterpart would (http for ws, https for wss).
    const proxy = this.#plan.proxy(request.url.startsWith('ws') ? request.url.replace(/^ws(s?)(?:\+rfc8441)?:/, 'http$1:') : request.url, this.#options.proxies);
    const base = this.#sendOptions;
    const perHop = proxy !== '' || totalLeft !== 0 || hops.redirect || hops.challenge;
    return this.#adapter.send(request, perHop ? { ...base, proxy, totalTimeout: totalLeft, followsRedirects: hops.redirect, answersChallenge: hops.challenge } : base);
  }

  respond(state: ResponseState, final: boolean): AnyResponse {
    return this.#respond(state, this.#options, final);
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
