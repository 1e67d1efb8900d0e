/**
 * A session's settings as the transport workers see them: sent once per worker, as JSON,
 * in a SESSION_OPEN frame; and the pool numbers a worker reports back.
 */
import type { TlsConfig } from './tls-profile.js';
import type { ResolverSpec } from '../dns/resolver-spec.js';

/** The part of a session's settings the transport needs; sent once per worker as JSON. */
export interface TransportSessionConfig {
  /** Connections kept per origin. */
  poolMaxsize: number;
  /** Origins that keep a pool. */
  poolConnections: number;
  /** Idle keep-alive sockets are closed after this long (ms). */
  keepAliveTimeout: number;
  tls: TlsConfig;
  /** Protocols allowed (`disableHttp1`, `disableHttp2`); at least one is true. */
  http1: boolean;
  http2: boolean;
  /** Alt-Svc announcements of h3 are followed (`disableHttp3: false`). */
  http3: boolean;
  /** Origins reached over HTTP/3 from their first request (empty under `disableHttp3: true`). */
  http3Origins: readonly string[];
  /**
   * The session multiplexes: before a connection has said what it speaks, requests may
   * queue on it as HTTP/2 streams rather than open one connection each.
   */
  multiplexed: boolean;
  /** Name resolution, tried in order (dns/resolver-spec.ts). */
  resolver: ResolverSpec[];
  /** Connection attempts at once across a host's addresses; 0: one after another. */
  happyEyeballs: number;
  ipv4: boolean;
  ipv6: boolean;
  /** A module app (`file:///…/app.js#export`) that serves every request instead of the network; null: none. */
  app: string | null;
}

/** A pool's numbers, for `inspect` and tests. */
export interface PoolStats {
  origin: string;
  connected: number;
  running: number;
  pending: number;
}
