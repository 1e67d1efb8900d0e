/**
 * DNS over TLS (RFC 7858, port 853): the stream client over one TLS connection, checked with
 * the resolver's own TLS profile (`verify=false`, a CA bundle, or a pinned certificate).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TlsConfig } from '../channel/tls-profile.js';
import { contextFor, pinFailure, profileKeyOf } from '../transport/connector.js';
import { StreamClient } from './stream-client.js';

export interface DotServer {
  host: string;
  port: number;
  tls: TlsConfig;
  sourceAddress: string | null;
  name: string;
}

export function dotClient(server: DotServer): StreamClient {
  const context = (): tls.SecureContext => contextFor(profileKeyOf(server.tls), server.tls);
  return new StreamClient(server.name, () => {
    const socket = tls.connect({
      host: server.host,
      port: server.port,
      servername: net.isIP(server.host) ? undefined : server.host,
      ALPNProtocols: ['dot'],
      secureContext: context(),
      rejectUnauthorized: server.tls.verify && server.tls.pin === null,
      ...(server.sourceAddress ? { localAddress: server.sourceAddress } : {}),
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        const failure = pinFailure(socket, server.tls.pin);
        if (failure) {
          socket.destroy();
          reject(failure);
        } else resolve(socket);
      });
    });
  });
}
