/**
 * A CONNECT tunnel through an HTTP(S) proxy, for connections undici does not make (a
 * WebSocket's): the proxy's answer must be 2xx, credentials in the proxy URL become
 * Proxy-Authorization, and what is returned is the bare tunnel (TLS to the target is the
 * connector's, as through undici's ProxyAgent).
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { TransportCode } from '../channel/error-codes.js';
import { TransportError } from './error-codes.js';

export function httpTunnel(proxy: string, host: string, port: number, timeout: number): Promise<Socket> {
  const u = new URL(proxy);
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const headers: Record<string, string> = { host: authority };
  if (u.username) headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  const request = (u.protocol === 'https:' ? https : http).request({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port) || (u.protocol === 'https:' ? 443 : 80),
    method: 'CONNECT',
    path: authority,
    headers,
    agent: false,
    ...(timeout > 0 ? { timeout } : {}),
  });
  return new Promise((resolve, reject) => {
    request.once('connect', (res, socket, head) => {
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) {
        socket.destroy();
        reject(new TransportError(TransportCode.PROXY, `Proxy ${u.host} refused the tunnel to ${authority}: ${res.statusCode} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      // Bytes the target sent right after the proxy's answer belong to the tunnel.
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    request.once('timeout', () => request.destroy(new TransportError(TransportCode.PROXY, `Proxy ${u.host} did not open a tunnel to ${authority} within ${timeout} ms`)));
    request.once('error', (err) => reject(err instanceof TransportError ? err : new TransportError(TransportCode.PROXY, `Proxy ${u.host} failed for ${authority}: ${err.message}`)));
    request.end();
  });
}
