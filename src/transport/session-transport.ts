/**
 * One session's connections inside one worker: a pool per origin (and per connect
 * timeout, TLS profile and unix socket, which undici fixes per pool), at most
 * `poolConnections` of them, the least recently used closed first. Sessions that share a
 * worker never share pools, so closing one leaves the others' keep-alive connections alone.
 *
 * When more requests are in flight to one origin than `poolMaxsize` connections allow, the
 * rest wait in that pool's queue, in order, and go out as connections free up: nothing is
 * refused and nothing deadlocks. The queue is bounded by what the caller has in flight
 * (every queued request is a response someone is waiting for).
 */
import type { TransportSessionConfig, PoolStats } from '../channel/session-config.js';
import type { TlsConfig } from '../channel/tls-profile.js';
import { OriginPool } from './origin-pool.js';
import type { buildConnector } from 'undici';
import { tlsConnector, type Dialing, type ProtocolChoice } from './connector.js';
import { isSocksProxy, parseSocksProxy } from './socks.js';
import { httpTunnel } from './http-tunnel.js';
import { createResolver, type Resolver } from '../dns/resolve.js';
import { H3Routes } from './h3/h3-routes.js';

export class SessionTransport {
  readonly config: TransportSessionConfig;
  /** In least-recently-used order: a use moves a pool to the end. */
  readonly #pools = new Map<string, OriginPool>();
  /** The pool used last and what it was asked for with: most requests go where the one before went. */
  #last: { origin: string; connectTimeout: number; tls: string; socketPath: string | null; proxy: string; http1Only: boolean; pool: OriginPool } | null = null;

  readonly #dialing: Dialing;
  readonly #resolver: Resolver;
  readonly #h3: H3Routes | null;

  constructor(config: TransportSessionConfig) {
    this.config = config;
    this.#resolver = createResolver(config.resolver, config);
    this.#dialing = { resolve: this.#resolver.resolve, happyEyeballs: config.happyEyeballs };
    this.#h3 = config.http3 || config.http3Origins.length > 0 ? new H3Routes(config.http3, config.http3Origins) : null;
  }

  /**
   * The pool for `origin`. `tls`: JSON of a request's own TLS profile, or '' for the
   * session's. `socketPath`: a unix socket to connect to instead of the origin's host.
   * `proxy`: the proxy URL to go through, or ''. `http1Only`: a pool that never speaks
   * HTTP/2, for requests an HTTP/2 server sent back with HTTP_1_1_REQUIRED.
   */
  poolFor(origin: string, connectTimeout: number, tls: string, socketPath: string | null, proxy: string, http1Only: boolean): OriginPool {
    // The pool used last is already the most recent in LRU order: nothing to move, and its
    // key need not even be built.
    const last = this.#last;
    if (last !== null && last.origin === origin && last.connectTimeout === connectTimeout && last.tls === tls && last.socketPath === socketPath && last.proxy === proxy && last.http1Only === http1Only) {
      return last.pool;
    }
    const key = `${socketPath ?? origin}|${connectTimeout}|${tls}|${proxy}|${http1Only ? 1 : ''}`;
    let entry = this.#pools.get(key);
    if (entry) {
      this.#pools.delete(key);
    } else {
      const { poolMaxsize, keepAliveTimeout, http1, http2, multiplexed } = this.config;
      entry = new OriginPool({
        origin,
        socketPath,
        connectTimeout,
        tls: tls ? (JSON.parse(tls) as TlsConfig) : this.config.tls,
        connections: poolMaxsize,
        keepAliveTimeout,
        http1: http1 || http1Only,
        http2: http2 && !http1Only,
        multiplexed,
        proxy: proxy || null,
        dialing: this.#dialing,
        h3: http1Only ? null : this.#h3,
      });
      this.#evictBeyond(this.config.poolConnections - 1);
    }
    this.#pools.set(key, entry);
    this.#last = { origin, connectTimeout, tls, socketPath, proxy, http1Only, pool: entry };
    return entry;
  }

  /**
   * A connector for a connection no pool carries (a WebSocket's): the session's TLS profile
   * (or the request's), resolvers and dialing, through the request's proxy: SOCKS5, or an
   * HTTP proxy's CONNECT tunnel.
   */
  connector(tls: string, connectTimeout: number, socketPath: string | null, proxy: string, protocols: ProtocolChoice): buildConnector.connector {
    const socks = proxy !== '' && isSocksProxy(proxy) ? parseSocksProxy(proxy) : null;
    return tlsConnector({
      tls: tls ? (JSON.parse(tls) as TlsConfig) : this.config.tls,
      timeout: connectTimeout,
      socketPath,
      protocols,
      dialing: this.#dialing,
      socks,
      tunnel: proxy !== '' && socks === null ? (host, port) => httpTunnel(proxy, host, port, connectTimeout) : null,
      onProtocol: () => {},
    });
  }

  stats(): PoolStats[] {
    return [...this.#pools.values()].map(({ name, stats }) => ({ origin: name, ...stats }));
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    this.#last = null;
    this.#resolver.close();
    await Promise.allSettled(pools.map((p) => p.destroy()));
  }

  /** Closes the least recently used pools until at most `keep` remain; their requests finish first. */
  #evictBeyond(keep: number): void {
    for (const [key, pool] of this.#pools) {
      if (this.#pools.size <= keep) break;
      this.#pools.delete(key);
      if (pool === this.#last?.pool) this.#last = null;
      void pool.close().catch(() => {});
    }
  }
}
