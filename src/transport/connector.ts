/**
 * How a worker opens a connection: TCP (or a unix socket), then TLS with the profile's
 * options, ALPN for HTTP/2, and a check against a pinned certificate. It is written here
 * rather than taken from undici's `buildConnector` because it has to watch the socket from
 * its first event: that is where `connInfo`'s timings (resolution, connection, TLS handshake)
 * come from.
 *
 * The pin is checked once the handshake is done: Node consults `checkServerIdentity` only
 * after CA verification succeeded, which a pinned self-signed certificate never does.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import type { TlsConfig } from '../session/tls.js';

/** Which protocols a pool may speak; `h2c`: HTTP/2 with prior knowledge on a cleartext connection. */
export interface ProtocolChoice {
  http1: boolean;
  http2: boolean;
  h2c: boolean;
}

/** What `r.connInfo` tells about the connection a response came on. JSON-safe. */
export interface ConnectionInfo {
  /** 'TLSv1.3' and the like; null over cleartext. */
  tlsVersion: string | null;
  cipher: { name: string; standardName: string; version: string } | null;
  peerCertificate: {
    /** The leaf certificate, DER, base64. */
    der: string;
    subject: Record<string, string>;
    issuer: Record<string, string>;
    subjectAltName: string | null;
    validFrom: string;
    validTo: string;
    serialNumber: string;
    fingerprint256: string;
  } | null;
  destinationAddress: string | null;
  destinationPort: number | null;
  /** 'HTTP/1.1' or 'HTTP/2'. */
  httpVersion: string;
  /** When the connection was made, ms since the epoch; phases in ms. */
  established: number;
  timings: { resolution: number | null; connection: number | null; tlsHandshake: number | null };
}

/** Sockets this worker made, with what is known of them. */
export const connectionInfo = new WeakMap<net.Socket, ConnectionInfo>();

// TLS sessions by server name, so new connections to a known host resume instead of a full handshake.
const sessions = new Map<string, Buffer>();
const MAX_SESSIONS = 256;

/**
 * `onProtocol` hears what each new connection speaks ('h2' or 'http/1.1'), so responses can
 * say which version carried them.
 */
export function tlsConnector(
  profile: TlsConfig,
  timeout: number,
  socketPath: string | null,
  protocols: ProtocolChoice,
  onProtocol: (alpn: string) => void,
): buildConnector.connector {
  const alpn = protocols.http2 ? (protocols.http1 ? ['h2', 'http/1.1'] : ['h2']) : ['http/1.1'];
  return (options, callback) => {
    const started = performance.now();
    const timings: ConnectionInfo['timings'] = { resolution: null, connection: 0, tlsHandshake: null };
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
    const host = options.hostname;
    const secure = options.protocol === 'https:';
    let socket: net.Socket;
    if (secure) {
      const servername = options.servername || (net.isIP(host) ? undefined : host);
      const sessionKey = servername ?? host;
      socket = tls.connect({
        ...(socketPath !== null ? { path: socketPath } : { host, port }),
        servername,
        ALPNProtocols: alpn,
        session: sessions.get(sessionKey),
        rejectUnauthorized: profile.verify && profile.pin === null,
        ...(profile.ca !== null ? { ca: profile.ca } : {}),
        ...(profile.cert !== null ? { cert: profile.cert, key: profile.key!, passphrase: profile.passphrase ?? undefined } : {}),
      });
      socket.on('session', (s: Buffer) => {
        if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
        sessions.set(sessionKey, s);
      });
    } else {
      socket = socketPath !== null ? net.connect({ path: socketPath }) : net.connect({ host, port });
      // undici decides on HTTP/2 by this field; with prior knowledge there is no ALPN to set it.
      if (protocols.h2c) (socket as unknown as { alpnProtocol: string }).alpnProtocol = 'h2';
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.once('lookup', () => (timings.resolution = performance.now() - started));
    socket.once('connect', () => (timings.connection = performance.now() - started));

    let settled = false;
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', settle);
      if (err) {
        socket.destroy();
        callback(err, null);
        return;
      }
      if (secure) timings.tlsHandshake = performance.now() - started - (timings.connection ?? 0);
      const failure = (secure ? pinFailure(socket as TLSSocket, profile.pin) : null) ?? protocolFailure(socket as TLSSocket, protocols);
      if (failure) return settleFailure(failure);
      const negotiated = (socket as TLSSocket).alpnProtocol || 'http/1.1';
      connectionInfo.set(socket, describe(socket, negotiated, timings));
      onProtocol(negotiated);
      callback(null, socket);
    };
    const settleFailure = (failure: Error): void => {
      socket.destroy();
      callback(failure, null);
    };
    const timer = timeout > 0
      ? setTimeout(() => settle(Object.assign(new Error(`Connect Timeout Error (attempted address: ${host}:${port}, timeout: ${timeout}ms)`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), timeout)
      : undefined;
    socket.once(secure ? 'secureConnect' : 'connect', () => settle(null));
    socket.on('error', settle);
  };
}

/** What can be told of a connected socket; `timings` are known only for sockets this connector made. */
export function describe(socket: net.Socket, alpn: string, timings: ConnectionInfo['timings']): ConnectionInfo {
  const t = socket as TLSSocket;
  const secure = typeof t.getPeerCertificate === 'function';
  const cert = secure ? t.getPeerCertificate(false) : null;
  return {
    tlsVersion: secure ? t.getProtocol() : null,
    cipher: secure ? t.getCipher() : null,
    peerCertificate: cert?.raw
      ? {
          der: cert.raw.toString('base64'),
          subject: { ...cert.subject } as Record<string, string>,
          issuer: { ...cert.issuer } as Record<string, string>,
          subjectAltName: cert.subjectaltname ?? null,
          validFrom: cert.valid_from,
          validTo: cert.valid_to,
          serialNumber: cert.serialNumber,
          fingerprint256: cert.fingerprint256,
        }
      : null,
    destinationAddress: socket.remoteAddress ?? null,
    destinationPort: socket.remotePort ?? null,
    httpVersion: alpn === 'h2' ? 'HTTP/2' : 'HTTP/1.1',
    established: Date.now(),
    timings: { ...timings },
  };
}

function pinFailure(socket: TLSSocket, pin: string | null): Error | null {
  if (pin === null) return null;
  const leaf = socket.getPeerCertificate(false);
  const seen = leaf?.raw ? createHash('sha256').update(leaf.raw).digest('hex') : '(none)';
  if (seen === pin) return null;
  return Object.assign(new Error(`certificate pin mismatch: expected sha256_${pin}, the server presented sha256_${seen}`), { code: 'ERR_TLS_CERT_PIN_MISMATCH' });
}

/** With HTTP/1.1 disabled, a server that would not negotiate h2 is refused. */
function protocolFailure(socket: { alpnProtocol?: string | false | null }, protocols: ProtocolChoice): Error | null {
  if (protocols.http1 || socket.alpnProtocol === 'h2') return null;
  return Object.assign(new Error('the server did not negotiate HTTP/2 (ALPN), and HTTP/1.1 is disabled'), { code: 'ERR_NQ_NO_PROTOCOL' });
}
