/**
 * The browser's carrier: a session's {@link TransportPort} on `fetch`, standing in for the
 * engine's Adapter in the browser build (which aliases `session/adapter` to this module). The
 * policy above it (prepare, the flow, responses, errors) is the shared code, unchanged.
 *
 * What the browser controls is refused with {@link BrowserUnsupported} where a setting would
 * change what is sent (TLS settings, proxies and the resolver when they are given: see
 * settings/; unix sockets here) and ignored where it only tunes the transport (pools,
 * keep-alive, HTTP/1.1 and HTTP/2 toggles, Happy Eyeballs, address families).
 */
import type { PoolStats, TransportSessionConfig } from '../channel/session-config.js';
import { UPLOAD_WINDOW } from '../channel/windows.js';
import type { SendOptions } from '../engine/engine.js';
import { Exchange } from '../engine/exchange.js';
import { BrowserUnsupported, ConnectionError, SessionClosedError, type RequestException } from '../errors.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import { DEFAULT_USER_AGENT } from '../request/prepare.js';
import { BodySource } from '../response/body-source.js';
import type { InFlight } from '../session/flow.js';
import type { TlsConfig } from '../session/tls.js';
import type { ExchangeDriver, TransportPort } from '../session/transport-port.js';
import { exchangeSink } from './exchange-sink.js';
import { StreamExtension, type Wait } from './stream-extension.js';
import { socketEvents, socketStream, type Carried } from './streams.js';
import { openSocket, type WebSocketLink } from './websocket.js';
import { FetchCall, type WireRequest } from './fetch-call.js';
import { syncCarrier } from './sync-carrier.js';

let nextSessionId = 1;
let nextExchangeId = 1;

class FetchDriver implements ExchangeDriver {
  readonly calls = new Map<Exchange, Carried>();

  waitUntil(done: () => boolean, wakeAt?: () => number): void {
    syncCarrier().waitUntil(done, wakeAt);
  }

  cancel(ex: Exchange, reason?: RequestException): void {
    const call = this.calls.get(ex);
    if (!call) return;
    this.calls.delete(ex);
    call.cancel();
    // A WebSocket or event stream still open ends too (the session closed, or a signal fired).
    if (ex.attached instanceof StreamExtension) ex.attached.end(reason ?? null);
    if (!ex.done) {
      ex.error = reason ?? new ConnectionError('Request cancelled', { request: ex.request });
      ex.notify();
    }
  }

  credit(ex: Exchange, bytes: number, flags = 0): void {
    this.calls.get(ex)?.credit(bytes, flags);
  }
}

export class Adapter implements TransportPort {
  #driver: FetchDriver | null = null;
  #sessionId = 0;
  #openedTls: TlsConfig | null = null;

  /** `workers` is the engine's: the browser has its own network stack. */
  constructor(_workers: number | undefined) {}

  get live(): boolean {
    return true;
  }
  get sessionId(): number {
    return this.#sessionId;
  }
  get openedTls(): TlsConfig | null {
    return this.#openedTls;
  }

  open(config: () => TransportSessionConfig): ExchangeDriver {
    if (this.#driver) return this.#driver;
    const c = config();
    this.#sessionId = nextSessionId++;
    this.#openedTls = c.tls;
    this.#driver = new FetchDriver();
    return this.#driver;
  }

  async whenLive(): Promise<void> {}

  send(request: PreparedRequest, options: SendOptions): InFlight {
    const driver = this.#driver!;
    if (/^http\+unix:/i.test(request.url)) throw new BrowserUnsupported(`Cannot reach ${request.url}: the browser has no unix sockets`);
    if (options.processor !== '') throw new BrowserUnsupported(`Cannot run the processor ${options.processor} on ${request.url}: processors run in the transport workers of Node.js`);
    const ex = new Exchange(nextExchangeId++, 0, this.#sessionId, request, options.windowed, 0, UPLOAD_WINDOW);
    ex.extension = options.extension;
    ex.readTimeout = options.readTimeout;
    const done = (): boolean => driver.calls.delete(ex);
    const wait: Wait | null = options.sync ? (until, wakeAt) => driver.waitUntil(until, wakeAt) : null;
    const scheme = request.url.slice(0, request.url.indexOf(':')).toLowerCase();
    if (scheme === 'ws' || scheme === 'wss') {
      const protocols = (request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
      let link: WebSocketLink;
      if (options.sync) link = syncCarrier().openSocket(ex, request.url, protocols, done, socketStream(options.readTimeout, wait, () => link));
      else link = openSocket(request.url, protocols, socketEvents(exchangeSink(ex, done, socketStream(options.readTimeout, wait, () => link))));
      driver.calls.set(ex, { cancel: () => link.close(1000, ''), credit() {} });
      return { exchange: ex, request, source: new BodySource(driver, ex) };
    }
    // prepare has turned sse:// and psse:// into https:// and http://, asking for
    // text/event-stream: an event stream is a streamed body, which r.extension reads as events
    // with the same classes as in Node.
    const sse = options.extension === 'sse';
    const wire: WireRequest = {
      method: request.method,
      url: request.url,
      headers: sendable(request),
      body: request.body === null || request.body instanceof Uint8Array ? request.body : request.body.source,
      credentials: options.credentials,
      followRedirects: options.followsRedirects,
      readTimeout: options.readTimeout,
      eventStream: sse,
      totalTimeout: options.totalTimeout,
      windowed: options.windowed || sse,
      maxBodySize: sse ? Infinity : options.maxBodySize,
    };
    const carried: Carried = options.sync ? syncCarrier().start(ex, wire, done, null) : new FetchCall(wire, exchangeSink(ex, done, null));
    driver.calls.set(ex, carried);
    return { exchange: ex, request, source: new BodySource(driver, ex) };
  }

  pools(): PoolStats[] {
    return [];
  }

  close(): void {
    const driver = this.#driver;
    if (!driver) return;
    for (const ex of [...driver.calls.keys()]) driver.cancel(ex, new SessionClosedError(`The session was closed while ${ex.request.method} ${ex.request.url} was in flight`, { request: ex.request }));
    this.#driver = null;
  }
}

/**
 * Headers the browser writes itself (forbidden request headers) are left to it rather than
 * silently dropped by fetch, and so is our default User-Agent: a header fetch does not
 * safelist makes every cross-origin request a CORS preflight.
 */
const BROWSERS_OWN = /^(accept-charset|accept-encoding|access-control-request-.*|connection|content-length|cookie2?|date|dnt|expect|host|keep-alive|origin|referer|set-cookie|te|trailer|transfer-encoding|upgrade|via|proxy-.*|sec-.*)$/i;

function sendable(request: PreparedRequest): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of request.headers.rawEntries()) {
    if (BROWSERS_OWN.test(name) || (/^user-agent$/i.test(name) && value === DEFAULT_USER_AGENT)) continue;
    out.push([name, value]);
  }
  return out;
}
