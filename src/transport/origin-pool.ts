/**
 * The connections of one session to one origin (in one worker): an undici Pool, what the
 * origin turned out to speak, and, for a multiplexing session, a short hold on the first
 * burst of requests.
 *
 * undici treats a client that is still connecting as busy and opens another connection for
 * the next request; a burst of 100 requests to a fresh HTTP/2 origin would open
 * `poolMaxsize` connections where one would carry them all. So while a multiplexing
 * session's first connection to an origin is being made, further requests wait here; once
 * ALPN has answered they all go out, as streams of that connection if it speaks h2.
 */
import { isIP, type Socket } from 'node:net';
import type { buildConnector, Dispatcher } from 'undici';
import { Client, Pool, ProxyAgent, type PoolOptions } from './undici-dispatchers.js';
import { HttpVersionCode } from '../channel/frames.js';
import type { TlsConfig } from '../channel/tls-profile.js';
import type { TLSSocket } from 'node:tls';
import { tlsConnector, type Dialing } from './connector.js';
import { NativeH2Pool, type LegacyHandler } from './native-h2.js';
import { mayNegotiateHttp2 } from '../channel/protocols.js';
import { isSocksProxy, parseSocksProxy } from './socks.js';
import type { H3Routes } from './h3/h3-routes.js';
import { H3Pool } from './h3/h3-pool.js';

/** Requests one HTTP/2 connection carries at once (undici's default stream limit). */
const H2_STREAMS = 100;

export interface OriginPoolOptions {
  origin: string;
  socketPath: string | null;
  connectTimeout: number;
  tls: TlsConfig;
  connections: number;
  keepAliveTimeout: number;
  http1: boolean;
  http2: boolean;
  multiplexed: boolean;
  /** A proxy to go through (http, https, socks5, socks5h), or null. */
  proxy: string | null;
  dialing: Dialing;
  /** Where HTTP/3 may be used (null: never, e.g. `disableHttp3`). */
  h3: H3Routes | null;
}

export class OriginPool {
  /** How the origin is named in messages and stats. */
  readonly name: string;
  /** Where requests go: the origin's pool, or a proxy agent. */
  readonly pool: Dispatcher;
  /** The proxy, named without its credentials, or null. */
  readonly proxy: string | null;
  /**
   * Opens a connection of this pool (TLS, SOCKS, resolver, timeouts as its own) for a caller
   * that speaks on it itself, as the load generator does; null through an HTTP proxy.
   */
  readonly openSocket: (() => Promise<Socket>) | null = null;
  /** HttpVersionCode of the last connection made: what this origin speaks. */
  version: number = HttpVersionCode['HTTP/1.1'];
  /**
   * How requests are carried: undici (HTTP/1.1, proxies, unix sockets), node:http2 (an
   * origin that negotiated h2), or not known yet: the first connection is being made and
   * requests wait for its answer (undici would open one connection per request meanwhile).
   */
  #mode: 'undici' | 'native' | 'probe' | 'probing' = 'undici';
  #held: Array<{ options: Dispatcher.DispatchOptions; handler: Dispatcher.DispatchHandler }> = [];
  #native: NativeH2Pool | null = null;
  /** HTTP/3, for an https origin reached directly, unless disabled. */
  #h3: { routes: H3Routes; pool: H3Pool } | null = null;
  /** What TCP connections of this origin speak (`version` is HTTP/3's while HTTP/3 carries it). */
  #tcpVersion: number = HttpVersionCode['HTTP/1.1'];

  constructor(o: OriginPoolOptions) {
    this.name = o.socketPath === null ? o.origin : `http+unix://${o.socketPath}`;
    this.proxy = o.proxy === null ? null : withoutCredentials(o.proxy);
    // HTTP proxies are undici's ProxyAgent; a SOCKS5 proxy is a way of connecting, so its
    // tunnels are ordinary connections of this pool (TLS options, HTTP/2, connInfo alike).
    const socks = o.proxy !== null && isSocksProxy(o.proxy) ? parseSocksProxy(o.proxy) : null;
    if (o.proxy !== null && socks === null) {
      this.pool = proxyAgent(o);
      return;
    }
    const url = new URL(o.origin);
    const mayBeH2 = mayNegotiateHttp2(o.origin, o.http1, o.http2);
    const h2c = mayBeH2 && url.protocol === 'http:';
    const connect = tlsConnector({
      tls: o.tls,
      timeout: o.connectTimeout,
      socketPath: o.socketPath,
      protocols: { http1: o.http1, http2: o.http2, h2c },
      dialing: o.dialing,
      socks,
      tunnel: null,
      onProtocol: (alpn) => {
        this.version = this.#tcpVersion = alpn === 'h2' ? HttpVersionCode['HTTP/2'] : HttpVersionCode['HTTP/1.1'];
      },
    });
    const target = { protocol: url.protocol, hostname: url.hostname.replace(/^\[|\]$/g, ''), port: url.port || (url.protocol === 'https:' ? '443' : '80'), servername: undefined as unknown as string };
    const raw = (): Promise<Socket> =>
      new Promise((resolve, reject) =>
        connect(target, (err, socket) =>
          err || !socket ? reject(err) : resolve(socket as Socket),
        ),
      );
    this.openSocket = raw;
    if (o.h3 !== null && url.protocol === 'https:' && o.socketPath === null && socks === null) {
      this.#h3 = { routes: o.h3, pool: new H3Pool(o.origin, o.h3, o.tls, o.connectTimeout, o.dialing) };
    }
    if (mayBeH2 && o.socketPath === null) {
      this.#mode = 'probe';
      this.#native = new NativeH2Pool(o.origin, raw, o.connections, o.keepAliveTimeout);
    }
    this.pool = new Pool(o.origin, {
      connections: o.connections,
      keepAliveTimeout: o.keepAliveTimeout,
      // HTTP/2 connections are kept warm with PINGs at the keep-alive delay (keepaliveDelay).
      pingInterval: o.keepAliveTimeout,
      allowH2: o.http2,
      // The transport applies per-request read timeouts; these are only the fallbacks.
      headersTimeout: 0,
      bodyTimeout: 0,
      // undici uses one `pipelining` for both protocols: 1 would carry a single request at
      // a time on an HTTP/2 connection, more would pipeline HTTP/1.1. So each connection
      // gets its own once ALPN has said what it speaks.
      factory: (origin, opts) => {
        const client: Client = new Client(origin, {
          ...opts,
          connect: (options, callback) =>
            connect(options, (err, socket) => {
              if (socket) client.pipelining = (socket as { alpnProtocol?: string }).alpnProtocol === 'h2' ? H2_STREAMS : 1;
              callback(err as Error, socket as null);
            }),
        });
        return client;
      },
    });
  }

  get stats(): { connected: number; running: number; pending: number } {
    if (this.version === HttpVersionCode['HTTP/3']) return this.#h3!.pool.stats;
    if (this.#native) return this.#native.stats;
    const s = this.pool instanceof Pool ? this.pool.stats : null;
    return { connected: s?.connected ?? 0, running: s?.running ?? 0, pending: s?.pending ?? 0 };
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    if (this.#h3 !== null && this.#overH3(options, handler)) return;
    switch (this.#mode) {
      case 'undici':
        this.pool.dispatch(options, handler);
        return;
      case 'native':
        this.#native!.dispatch(
          {
            path: options.path,
            method: options.method,
            headers: options.headers as string[],
            body: (options.body ?? null) as Buffer | AsyncIterable<Buffer> | null,
          },
          handler as unknown as LegacyHandler,
        );
        return;
      case 'probing':
        this.#held.push({ options, handler });
        return;
      case 'probe':
        this.#mode = 'probing';
        this.#held.push({ options, handler });
        this.openSocket!().then(
          (socket) => {
            if ((socket as TLSSocket).alpnProtocol === 'h2') {
              this.#native!.adopt(socket);
              this.#decide('native');
            } else {
              // It speaks HTTP/1.1: undici takes it from here (on its own connection).
              socket.destroy();
              this.#decide('undici');
            }
          },
          // The held requests fail with the probe's own error (our connector words it as undici
          // would). Handing them to undici instead made a second attempt, so a host that never
          // answered took twice the connect timeout to fail. The next request probes afresh.
          (err: Error) => {
            this.#mode = 'probe';
            for (const { handler } of this.#take()) (handler as unknown as LegacyHandler).onError(err);
          },
        );
        return;
    }
  }

  /**
   * Sends the request over HTTP/3 if the origin is known to speak it; otherwise listens for
   * the Alt-Svc of its response. False: the request is for TCP.
   */
  #overH3(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const { routes, pool } = this.#h3!;
    const target = routes.target(this.name);
    if (target === null) {
      if (this.version === HttpVersionCode['HTTP/3']) this.version = this.#tcpVersion;
      if (routes.unknown(this.name)) watchAltSvc(handler as unknown as LegacyHandler, (field) => routes.learn(this.name, field));
      return false;
    }
    this.version = HttpVersionCode['HTTP/3'];
    const request = { path: options.path, method: options.method, headers: options.headers as string[], body: (options.body ?? null) as Buffer | AsyncIterable<Buffer> | null };
    pool.dispatch(target, request, handler as unknown as LegacyHandler, () => this.dispatch(options, handler));
    return true;
  }

  /** Stops taking requests; those in flight finish first. */
  close(): Promise<void> {
    this.#h3?.pool.close();
    this.#native?.close();
    return this.pool.close();
  }

  /** Ends everything now: requests in flight fail. */
  destroy(): Promise<void> {
    this.#h3?.pool.destroy();
    this.#native?.destroy();
    return this.pool.destroy();
  }

  #decide(mode: 'undici' | 'native'): void {
    this.#mode = mode;
    for (const { options, handler } of this.#take()) this.dispatch(options, handler);
  }

  #take(): Array<{ options: Dispatcher.DispatchOptions; handler: Dispatcher.DispatchHandler }> {
    const held = this.#held;
    this.#held = [];
    return held;
  }
}

/** Hands each Alt-Svc field of the response's head to `learn`, then lets the handler have the head. */
function watchAltSvc(handler: LegacyHandler, learn: (field: string) => void): void {
  const onHeaders = handler.onHeaders;
  handler.onHeaders = function (status, raw, resume, statusText) {
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 7 && name.toString().toLowerCase() === 'alt-svc') learn(raw[i + 1]!.toString());
    }
    return onHeaders.call(this, status, raw, resume, statusText);
  };
}

/**
 * undici's proxy agent: a forward proxy for http targets (absolute-form requests), a
 * CONNECT tunnel for https. Credentials in the proxy URL become Proxy-Authorization.
 *
 * In a tunnel, undici only opens the CONNECT; the TLS to the target is our connector's, so
 * the name check, the pin and the TLS session cache are the same as on a direct connection.
 */
function proxyAgent(o: OriginPoolOptions): Dispatcher {
  const tunnelled = o.origin.startsWith('https:');
  return new ProxyAgent({
    uri: o.proxy!,
    proxyTunnel: tunnelled,
    connections: o.connections,
    keepAliveTimeout: o.keepAliveTimeout,
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: o.connectTimeout,
    // With a tunnel, every pool the agent makes is for the target origin; `opts.connect` is
    // the agent's own, which answers a plain-http target with the bare CONNECT tunnel.
    ...(tunnelled
      ? {
          factory: (origin: string | URL, opts: PoolOptions & { connect: buildConnector.connector }) =>
            new Pool(origin, {
              ...opts,
              connect: tlsConnector({
                tls: o.tls,
                timeout: o.connectTimeout,
                socketPath: null,
                protocols: { http1: true, http2: false, h2c: false },
                dialing: o.dialing,
                socks: null,
                tunnel: (host, port) => connectTunnel(opts.connect, host, port),
                onProtocol: () => {},
              }),
            }),
        }
      : {}),
  });
}

/** A CONNECT tunnel to `host:port` from undici's proxy agent, without TLS over it. */
function connectTunnel(agentConnect: buildConnector.connector, host: string, port: number): Promise<Socket> {
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) =>
    agentConnect({ protocol: 'http:', hostname: host, host: authority, port: String(port) }, (err, socket) =>
      err || !socket ? reject(err ?? new Error(`no tunnel to ${authority}`)) : resolve(socket as Socket),
    ),
  );
}

function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.href.replace(/\/$/, '');
}
