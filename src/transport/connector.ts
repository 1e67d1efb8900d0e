/**
 * How a worker opens a connection: resolve the name (the session's resolvers), reach one of
 * its addresses (in turn, or several at once with happy eyeballs) or tunnel through a SOCKS5
 * proxy, then TLS with the profile's options, ALPN for HTTP/2, and a check against a pinned
 * certificate. It is written here rather than taken from undici's `buildConnector` because
 * each phase is ours to time (`connInfo`) and to choose.
 *
 * The pin is checked once the handshake is done: Node consults `checkServerIdentity` only
 * after CA verification succeeded, which a pinned self-signed certificate never does.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import type { buildConnector } from 'undici';
import type { Address, Resolve } from '../dns/resolve.js';
import type { TlsConfig } from '../channel/tls-profile.js';
import { trustedCas } from './trust.js';
import { socksTunnel, type SocksProxy } from './socks.js';
import type { ConnectionInfo } from '../channel/connection-info.js';

/** Which protocols a pool may speak; `h2c`: HTTP/2 with prior knowledge on a cleartext connection. */
export interface ProtocolChoice {
  http1: boolean;
  http2: boolean;
  h2c: boolean;
}

/** Sockets this worker made, with what is known of them. */
export const connectionInfo = new WeakMap<net.Socket, ConnectionInfo>();

// One SecureContext per TLS profile. Building one parses every CA certificate it is given: a
// profile naming the roots plus a system bundle (REQUESTS_CA_BUNDLE) took ~30 ms of this
// thread's time, which every new connection paid when tls.connect built its own.
const contexts = new Map<string, tls.SecureContext>();
const MAX_CONTEXTS = 64;

// Keys by profile object: a session's profile is one object shared by all its pools, and
// hashing one that carries a big PEM bundle (`verify` as text) takes ~1 ms, which every new
// origin would pay.
const keys = new WeakMap<TlsConfig, string>();

/** What names a TLS profile in the caches: a hash of all its settings. */
export function profileKeyOf(profile: TlsConfig): string {
  let key = keys.get(profile);
  if (key === undefined) {
    key = createHash('sha256').update(JSON.stringify(profile)).digest('hex').slice(0, 16);
    keys.set(profile, key);
  }
  return key;
}

/** The profile's SecureContext, built once. */
export function contextFor(profileKey: string, profile: TlsConfig): tls.SecureContext {
  let context = contexts.get(profileKey);
  if (!context) {
    const ca = trustedCas(profile);
    context = tls.createSecureContext({
      ...(ca !== null ? { ca } : {}),
      ...(profile.cert !== null ? { cert: profile.cert, key: profile.key!, passphrase: profile.passphrase ?? undefined } : {}),
    });
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value!);
    contexts.set(profileKey, context);
  }
  return context;
}

/** How a connection finds and reaches its host. */
export interface Dialing {
  resolve: Resolve;
  /** Attempts at once across the host's addresses; 0 tries them one after another. */
  happyEyeballs: number;
  /** The local address connections leave from (a resolver's `source_address`). */
  localAddress?: string | null;
}

export interface ConnectorOptions {
  tls: TlsConfig;
  /** Per attempt, ms (0: none). */
  timeout: number;
  socketPath: string | null;
  protocols: ProtocolChoice;
  dialing: Dialing;
  /** A SOCKS5 proxy to tunnel through, or null for a direct connection. */
  socks: SocksProxy | null;
  /** An HTTP proxy's CONNECT tunnel to `host:port`, or null. TLS to the target is still ours. */
  tunnel: ((host: string, port: number) => Promise<net.Socket>) | null;
  /** Hears what each new connection speaks ('h2' or 'http/1.1'). */
  onProtocol: (alpn: string) => void;
}

/**
 * The connector of one pool. The pool is one session's, for one origin (host and port), one
 * route (proxy) and one TLS profile, so the TLS session it resumes is too: a ticket obtained
 * through a proxy, or by another session sharing this worker, is never offered elsewhere
 * (resuming would link the two, and Node skips the name check on a resumed session).
 */
export function tlsConnector(o: ConnectorOptions): buildConnector.connector {
  const profileKey = profileKeyOf(o.tls);
  const tickets: Tickets = { last: undefined };
  return (options, callback) => {
    open(o, options, profileKey, tickets).then(
      (socket) => callback(null, socket),
      (err: Error) => callback(err, null),
    );
  };
}

/** The TLS session to resume, the last one the server handed this pool. */
interface Tickets {
  last: Buffer | undefined;
}

async function open(o: ConnectorOptions, options: buildConnector.Options, profileKey: string, tickets: Tickets): Promise<net.Socket> {
  const started = performance.now();
  const timings: ConnectionInfo['timings'] = { resolution: null, connection: null, tlsHandshake: null };
  const secure = options.protocol === 'https:';
  const port = Number(options.port) || (secure ? 443 : 80);
  const host = options.hostname;
  let socket: net.Socket;
  let resolver: string | null = null;
  if (o.socketPath !== null) {
    socket = await attempt({ path: o.socketPath }, o.timeout, o.socketPath);
  } else if (o.socks !== null) {
    const proxyPort = o.socks.port;
    const tunnel = await socksTunnel(o.socks, host, port, { resolve: o.dialing.resolve, timeout: o.timeout, dial: (addresses) => reach(addresses, proxyPort, o) });
    socket = tunnel.socket;
    timings.resolution = tunnel.resolution;
    resolver = tunnel.resolver;
  } else if (o.tunnel !== null) {
    socket = await o.tunnel(host, port);
  } else {
    const family = net.isIP(host);
    let addresses: Address[] = [{ address: host, family: family as 4 | 6 }];
    if (!family) {
      ({ addresses, resolver } = await o.dialing.resolve(host));
      timings.resolution = performance.now() - started;
    }
    socket = await reach(addresses, port, o);
  }
  timings.connection = performance.now() - started;
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  if (secure) {
    socket = await handshake(socket, o, contextFor(profileKey, o.tls), host, tickets);
    timings.tlsHandshake = performance.now() - started - timings.connection;
  } else if (o.protocols.h2c) {
    // undici decides on HTTP/2 by this field; with prior knowledge there is no ALPN to set it.
    (socket as unknown as { alpnProtocol: string }).alpnProtocol = 'h2';
  }
  const failure = (secure ? pinFailure(socket as TLSSocket, o.tls.pin) : null) ?? protocolFailure(socket as TLSSocket, o.protocols);
  if (failure) {
    socket.destroy();
    throw failure;
  }
  const negotiated = (socket as TLSSocket).alpnProtocol || 'http/1.1';
  connectionInfo.set(socket, describe(socket, negotiated, timings, resolver));
  o.onProtocol(negotiated);
  return socket;
}

/** A TCP connection to one of the addresses, as the session's dialing says. */
function reach(addresses: Address[], port: number, o: ConnectorOptions): Promise<net.Socket> {
  const local = o.dialing.localAddress ? { localAddress: o.dialing.localAddress } : {};
  return o.dialing.happyEyeballs > 0 ? race(addresses, port, o.timeout, o.dialing.happyEyeballs, local) : inTurn(addresses, port, o.timeout, local);
}

/** One TCP (or unix socket) connection attempt, bounded by the connect timeout. */
function attempt(target: net.NetConnectOpts, timeout: number, name: string): Promise<net.Socket> & { cancel(): void } {
  const socket = net.connect(target);
  let timer: NodeJS.Timeout | undefined;
  const p = new Promise<net.Socket>((resolve, reject) => {
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    if (timeout > 0) {
      timer = setTimeout(() => fail(Object.assign(new Error(`Connect Timeout Error (attempted address: ${name}, timeout: ${timeout}ms)`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), timeout);
    }
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
  return Object.assign(p, { cancel: () => (clearTimeout(timer), socket.destroy()) });
}

/** Without happy eyeballs: each address in turn, each with the full connect timeout. */
async function inTurn(addresses: Address[], port: number, timeout: number, local: { localAddress?: string }): Promise<net.Socket> {
  let last: unknown;
  for (const a of addresses) {
    try {
      return await attempt({ host: a.address, port, family: a.family, ...local }, timeout, `${a.address}:${port}`);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** Happy eyeballs: up to `width` attempts at once, the next when one fails; the first to connect wins. */
function race(addresses: Address[], port: number, timeout: number, width: number, local: { localAddress?: string }): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const running = new Set<ReturnType<typeof attempt>>();
    let next = 0;
    let won = false;
    let last: unknown;
    const launch = (): void => {
      while (!won && running.size < width && next < addresses.length) {
        const a = addresses[next++]!;
        const p = attempt({ host: a.address, port, family: a.family, ...local }, timeout, `${a.address}:${port}`);
        running.add(p);
        p.then(
          (socket) => {
            running.delete(p);
            if (won) return void socket.destroy();
            won = true;
            for (const other of running) other.cancel();
            resolve(socket);
          },
          (err: unknown) => {
            running.delete(p);
            last = err;
            if (won) return;
            launch();
            if (running.size === 0) reject(last);
          },
        );
      }
    };
    launch();
  });
}

/**
 * TLS over a connected socket, with the profile's context and ALPN. The certificate is
 * checked against the URL's host (`host`), never against a Host header (undici would pass
 * one as `servername`): an IP address against the certificate's IP SANs, a name against
 * its DNS names. An IP address is sent no SNI (RFC 6066 §3 allows host names only); without
 * `host` Node would check the certificate against "localhost".
 */
function handshake(tcp: net.Socket, o: ConnectorOptions, secureContext: tls.SecureContext, host: string, tickets: Tickets): Promise<TLSSocket> {
  const { tls: profile, protocols } = o;
  const socket = tls.connect({
    socket: tcp,
    host,
    servername: net.isIP(host) ? undefined : host,
    ALPNProtocols: protocols.http2 ? (protocols.http1 ? ['h2', 'http/1.1'] : ['h2']) : ['http/1.1'],
    session: tickets.last,
    rejectUnauthorized: profile.verify && profile.pin === null,
    secureContext,
  });
  socket.on('session', (s: Buffer) => {
    tickets.last = s;
  });
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    if (o.timeout > 0) timer = setTimeout(() => fail(Object.assign(new Error(`Connect Timeout Error (TLS handshake with ${host}, timeout: ${o.timeout}ms)`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), o.timeout);
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

/** What can be told of a connected socket; `timings` are known only for sockets this connector made. */
export function describe(socket: net.Socket, alpn: string, timings: ConnectionInfo['timings'], resolver: string | null = null): ConnectionInfo {
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
    resolver,
    timings: { ...timings },
  };
}

/** An error when the server's leaf certificate is not the pinned one (hex SHA-256 of its DER). */
export function pinFailure(socket: TLSSocket, pin: string | null): Error | null {
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
