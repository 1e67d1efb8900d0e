/**
 * A SOCKS5 tunnel to the target, for the connector: `socks5://` resolves the target's name
 * here, with the session's resolvers, and asks the proxy for an address; `socks5h://` hands
 * the name to the proxy to resolve. The handshake itself is the `socks` package's; the TCP
 * connection to the proxy is ours, so the proxy's own name goes through the session's
 * resolvers too and the connection phases are timed like any other.
 */
import type net from 'node:net';
import { isIP } from 'node:net';
import type { Address, Resolve } from '../dns/resolve.js';

/** A SOCKS5 proxy, parsed once from its URL. */
export interface SocksProxy {
  host: string;
  port: number;
  username: string | null;
  password: string | null;
  /** socks5h: the proxy resolves the target's name. */
  remoteDns: boolean;
}

export function parseSocksProxy(url: string): SocksProxy {
  const u = new URL(url);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port) || 1080,
    username: u.username ? decodeURIComponent(u.username) : null,
    password: u.password ? decodeURIComponent(u.password) : null,
    remoteDns: u.protocol === 'socks5h:',
  };
}

export function isSocksProxy(url: string): boolean {
  return url.startsWith('socks5:') || url.startsWith('socks5h:');
}

/**
 * Opens a tunnel to `host:port` through the proxy. `dial` connects to one proxy address;
 * with local resolution each of the target's addresses is asked for in turn, each over a
 * fresh proxy connection (a refused CONNECT ends the proxy's connection).
 */
export async function socksTunnel(
  proxy: SocksProxy,
  host: string,
  port: number,
  o: { resolve: Resolve; timeout: number; dial: (proxyAddresses: Address[]) => Promise<net.Socket> },
): Promise<{ socket: net.Socket; resolution: number | null; resolver: string | null }> {
  const started = performance.now();
  const family = isIP(proxy.host);
  const proxyAddresses = family ? [{ address: proxy.host, family: family as 4 | 6 }] : (await o.resolve(proxy.host)).addresses;
  let targets: string[] = [host];
  let resolution: number | null = null;
  let resolver: string | null = null;
  if (!proxy.remoteDns && !isIP(host)) {
    const resolved = await o.resolve(host);
    targets = resolved.addresses.map((a) => a.address);
    resolver = resolved.resolver;
    resolution = performance.now() - started;
  }
  // Loaded when first needed: it takes ~90 ms to load, which every worker start would pay.
  const { SocksClient } = await import('socks');
  let last: unknown;
  for (const target of targets) {
    const socket = await o.dial(proxyAddresses);
    try {
      await SocksClient.createConnection({
        command: 'connect',
        proxy: { host: proxy.host, port: proxy.port, type: 5, ...(proxy.username !== null ? { userId: proxy.username, password: proxy.password ?? '' } : {}) },
        destination: { host: target, port },
        existing_socket: socket,
        ...(o.timeout > 0 ? { timeout: o.timeout } : {}),
      });
      return { socket, resolution, resolver };
    } catch (err) {
      socket.destroy();
      last = err;
    }
  }
  throw last;
}
