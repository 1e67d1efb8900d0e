/**
 * One session's connections inside one worker. Sessions that share a worker never share
 * pools, so closing one session leaves the others' keep-alive connections alone.
 */
import { Agent, type Dispatcher } from 'undici';
import type { TlsConfig } from '../session/tls.js';
import { tlsConnector } from './connector.js';

/** The part of a session's settings the transport needs; sent once per worker as JSON. */
export interface TransportSessionConfig {
  /** Connections kept per origin. */
  poolMaxsize: number;
  /** Origins that keep a pool. */
  poolConnections: number;
  /** Idle keep-alive sockets are closed after this long (ms). */
  keepAliveTimeout: number;
  tls: TlsConfig;
}

export class SessionTransport {
  readonly config: TransportSessionConfig;
  // undici fixes the connect timeout and TLS options per agent, so there is one agent per
  // (timeout, TLS profile) in use: in practice one or two per session.
  readonly #agents = new Map<string, Agent>();

  constructor(config: TransportSessionConfig) {
    this.config = config;
  }

  /**
   * `tls`: JSON of a request's own TLS profile, or '' for the session's. `socketPath`: a
   * unix socket to connect to instead of the origin's host.
   */
  dispatcherFor(connectTimeout: number, tls: string, socketPath: string | null): Dispatcher {
    const key = `${connectTimeout}|${tls}|${socketPath ?? ''}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = new Agent({
        connections: this.config.poolMaxsize,
        pipelining: 1,
        keepAliveTimeout: this.config.keepAliveTimeout,
        connect: tlsConnector(tls ? (JSON.parse(tls) as TlsConfig) : this.config.tls, connectTimeout, socketPath),
        // The transport applies per-request read timeouts; these are only the fallbacks.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.#agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.allSettled(agents.map((a) => a.destroy()));
  }
}
