/**
 * DNS over HTTPS (RFC 8484): queries ride on the transport's own pool for the server's
 * origin (src/transport/origin-pool.ts), so a server that speaks HTTP/2 (many DoH servers
 * speak nothing else) gets one `node:http2` connection carrying every query as a stream,
 * kept alive between lookups; one that speaks HTTP/1.1 gets undici's keep-alive pool. The
 * wire format goes by POST (the default) or by GET `?dns=`; a path of `/resolve` is the JSON
 * API (`?name=&type=`, `application/dns-json`).
 */
import net from 'node:net';
import type { TlsConfig } from '../channel/tls-profile.js';
import { OriginPool } from '../transport/origin-pool.js';
import type { LegacyHandler } from '../transport/native-h2.js';
import { DnsFailure, encodeQuery, readAnswer, readJsonAnswer, type DnsAnswer, type QueryType } from './message.js';
import type { ResolverSpec } from './resolver-spec.js';
import { systemLookup } from './system.js';

/** A doh resolver's spec, its TLS profile settled. */
export type DohServer = Pick<ResolverSpec, 'host' | 'port' | 'path' | 'json' | 'method' | 'credentials' | 'sourceAddress' | 'timeout' | 'name'> & { tls: TlsConfig };

/** Connections to one DoH server: queries are small, and HTTP/2 carries them all on one. */
const CONNECTIONS = 4;
const KEEP_ALIVE_MS = 60_000;

export class DohClient {
  readonly #server: DohServer;
  readonly #pool: OriginPool;
  readonly #authorization: string[];

  constructor(server: DohServer) {
    this.#server = server;
    const authority = net.isIPv6(server.host) ? `[${server.host}]` : server.host;
    this.#authorization = server.credentials === null ? [] : ['authorization', `Basic ${Buffer.from(server.credentials).toString('base64')}`];
    this.#pool = new OriginPool({
      origin: `https://${authority}:${server.port}`,
      socketPath: null,
      connectTimeout: server.timeout,
      tls: server.tls,
      connections: CONNECTIONS,
      keepAliveTimeout: KEEP_ALIVE_MS,
      // DNS over HTTPS stays on TCP: DoH3 is not asked for here.
      h3: null,
      http1: true,
      http2: true,
      multiplexed: true,
      proxy: null,
      // The server's own name goes through the system: asking it of itself would never end.
      dialing: { resolve: async (host) => ({ addresses: await systemLookup(host, server.timeout), resolver: 'system://' }), happyEyeballs: 0, localAddress: server.sourceAddress },
    });
  }

  async query(name: string, type: QueryType, timeout: number): Promise<DnsAnswer> {
    const s = this.#server;
    let path: string;
    let headers: string[];
    let body: Buffer | null = null;
    if (s.json) {
      path = `${s.path}?name=${encodeURIComponent(name)}&type=${type}`;
      headers = ['accept', 'application/dns-json'];
    } else {
      // Id 0, as RFC 8484 §4.1 asks, so that identical queries are identical for HTTP caches.
      const message = encodeQuery(0, name, type);
      if (s.method === 'GET') {
        path = `${s.path}?dns=${message.toString('base64url')}`;
        headers = ['accept', 'application/dns-message'];
      } else {
        path = s.path;
        body = message;
        headers = ['accept', 'application/dns-message', 'content-type', 'application/dns-message', 'content-length', String(message.length)];
      }
    }
    const { status, bytes } = await this.#exchange(path, [...headers, ...this.#authorization], body, timeout);
    if (status !== 200) throw new DnsFailure(`${s.name} answered HTTP ${status}`);
    const answer = s.json ? readJsonAnswer(bytes.toString('utf8'), name, type, s.name) : readAnswer(bytes, name, type, s.name);
    if (answer === null) throw new DnsFailure(`${s.name} answered another question than ${name} ${type}`);
    return answer;
  }

  close(): void {
    void this.#pool.destroy().catch(() => {});
  }

  #exchange(path: string, headers: string[], body: Buffer | null, timeout: number): Promise<{ status: number; bytes: Buffer }> {
    return new Promise((resolve, reject) => {
      let abort: ((err?: Error) => void) | null = null;
      let status = 0;
      const chunks: Buffer[] = [];
      let settled = false;
      const settle = (err: Error | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err instanceof DnsFailure ? err : new DnsFailure(`${this.#server.name} failed: ${err.message}`));
        else resolve({ status, bytes: Buffer.concat(chunks) });
      };
      const timer = setTimeout(() => {
        const err = new DnsFailure(`no answer from ${this.#server.name} within ${timeout} ms`);
        settle(err);
        abort?.(err);
      }, timeout);
      const handler: LegacyHandler = {
        onConnect: (a) => {
          abort = a;
          if (settled) a(new Error('timed out'));
        },
        onHeaders: (code) => {
          status = code;
          return true;
        },
        onData: (chunk) => {
          // A DNS message is at most 64 KiB; a bigger body is not an answer.
          chunks.push(chunk);
          if (chunks.reduce((n, c) => n + c.length, 0) > 65_535 + 4096) abort?.(new DnsFailure(`${this.#server.name} sent more than a DNS message`));
          return true;
        },
        onComplete: () => settle(null),
        onError: (err) => settle(err),
      };
      this.#pool.dispatch({ path, method: body === null ? 'GET' : 'POST', headers, body }, handler as never);
    });
  }
}
