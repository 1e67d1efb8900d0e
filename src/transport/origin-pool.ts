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
import { Client, Pool, ProxyAgent, type Dispatcher } from 'undici';
import { HttpVersionCode } from '../channel/frames.js';
import type { TlsConfig } from '../session/tls.js';
import { tlsConnector, type Dialing } from './connector.js';

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
}

export class OriginPool {
  /** How the origin is named in messages and stats. */
  readonly name: string;
  /** Where requests go: the origin's pool, or a proxy agent. */
  readonly pool: Dispatcher;
  /** The proxy, named without its credentials, or null. */
  readonly proxy: string | null;
  /** HttpVersionCode of the last connection made: what this origin speaks. */
  version: number = HttpVersionCode['HTTP/1.1'];
  /** Requests held until the first connection has said what it speaks; null once it has. */
  #held: Array<() => void> | null = null;
  #probing = false;

  constructor(o: OriginPoolOptions) {
    this.name = o.socketPath === null ? o.origin : `http+unix://${o.socketPath}`;
    this.proxy = o.proxy === null ? null : withoutCredentials(o.proxy);
    if (o.proxy !== null) {
      this.#held = null;
      this.pool = proxyAgent(o);
      return;
    }
    // Cleartext HTTP/2 only with prior knowledge, when HTTP/1.1 is ruled out.
    const h2c = !o.http1 && o.origin.startsWith('http:');
    const mayBeH2 = o.http2 && (h2c || o.origin.startsWith('https:'));
    this.#held = o.multiplexed && mayBeH2 ? [] : null;
    const connect = tlsConnector({
      tls: o.tls,
      timeout: o.connectTimeout,
      socketPath: o.socketPath,
      protocols: { http1: o.http1, http2: o.http2, h2c },
      dialing: o.dialing,
      onProtocol: (alpn) => {
        this.version = alpn === 'h2' ? HttpVersionCode['HTTP/2'] : HttpVersionCode['HTTP/1.1'];
      },
    });
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
              this.#release();
            }),
        });
        return client;
      },
    });
  }

  get stats(): { connected: number; running: number; pending: number } {
    const s = this.pool instanceof Pool ? this.pool.stats : null;
    return { connected: s?.connected ?? 0, running: s?.running ?? 0, pending: s?.pending ?? 0 };
  }

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    if (this.#held === null) {
      this.pool.dispatch(options, handler);
    } else if (!this.#probing) {
      this.#probing = true; // this one opens the connection; the rest wait for its answer
      this.pool.dispatch(options, handler);
    } else {
      this.#held.push(() => this.pool.dispatch(options, handler));
    }
  }

  #release(): void {
    const held = this.#held;
    if (held === null) return;
    this.#held = null;
    for (const go of held) go();
  }
}

/**
 * undici's proxy agent: a forward proxy for http targets (absolute-form requests), a
 * CONNECT tunnel for https, SOCKS5 for socks URLs (socks5 and socks5h alike resolve names at
 * the proxy). Credentials in the proxy URL become Proxy-Authorization.
 */
function proxyAgent(o: OriginPoolOptions): Dispatcher {
  const uri = o.proxy!.replace(/^socks5h:/, 'socks5:');
  const { tls } = o;
  return new ProxyAgent({
    uri,
    proxyTunnel: o.origin.startsWith('https:'),
    connections: o.connections,
    keepAliveTimeout: o.keepAliveTimeout,
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: o.connectTimeout,
    requestTls: {
      rejectUnauthorized: tls.verify,
      ...(tls.ca !== null ? { ca: tls.ca } : {}),
      ...(tls.cert !== null ? { cert: tls.cert, key: tls.key!, passphrase: tls.passphrase ?? undefined } : {}),
    },
  });
}

function withoutCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.href.replace(/\/$/, '');
}
