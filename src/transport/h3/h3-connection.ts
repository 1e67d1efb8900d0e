/**
 * One HTTP/3 connection (RFC 9114) over a QUIC connection of `@matrixai/quic`, carrying
 * requests behind the same handler callbacks undici calls (native-h2.ts has the shape), so
 * the exchange handler cannot tell it from the other transports.
 *
 * What the QUIC layer leaves to us: the control stream and its SETTINGS both ways, reading
 * the server's own unidirectional streams (control, QPACK encoder and decoder), and stream
 * credit: the package opens a stream past the server's MAX_STREAMS and fails it, so
 * requests beyond it wait here until a stream closes and the server grants more.
 */
import { X509Certificate, createPrivateKey, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import { rootCertificates } from 'node:tls';
import type { ConnectionInfo } from '../../channel/connection-info.js';
import type { TlsConfig } from '../../channel/tls-profile.js';
import type { Dialing } from '../connector.js';
import { connectionInfo } from '../connector.js';
import { lengthMismatch, type LegacyHandler, type NativeRequest } from '../native-h2.js';
import { FrameKind, FrameReader, H3ProtocolError, Setting, StreamKind, dataFrameHeader, decodeGoaway, decodeSettings, encodeFrame, encodeSettings, encodeVarint, h3ErrorName, readVarint } from './frames.js';
import { decodeFieldSection, encodeFieldSection } from './qpack.js';
import { ipCertificateCheck } from './ip-certificate.js';
import type { Quic } from './quic-loader.js';

type QUICClient = InstanceType<Quic['QUICClient']>;
type QUICStream = InstanceType<Quic['QUICStream']>;

/** Where to connect: an origin's alternative (Alt-Svc) or the origin itself. */
export interface H3Target {
  /** The origin's authority, for `:authority` and the certificate check. */
  authority: string;
  hostname: string;
  /** Where the QUIC endpoint is (Alt-Svc may name another host and port). */
  host: string;
  port: number;
}

// Headers HTTP/3 forbids (RFC 9114 §4.2); the pseudo-headers carry their meaning.
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te']);

/** The largest field section we take from the server (announced as MAX_FIELD_SECTION_SIZE). */
const MAX_FIELD_SECTION = 256 * 1024;

/**
 * The package reads a stream into a buffer of this size and copies each read out: at its
 * default of 4 KiB a 64 MiB body took 16,384 reads and as many promise turns.
 */
const READ_CHUNK = 256 * 1024;

const H3_REQUEST_CANCELLED = 0x10c;
/** The TLS alert a failed check sends, as the QUIC layer takes it (0x100 + alert 42). */
const BAD_CERTIFICATE = 298;

// The package writes its progress at info level; nothing of it is ours to show.
const silent = { getChild: () => silent, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export class H3Connection {
  readonly #client: QUICClient;
  readonly #target: H3Target;
  /** What responses on this connection name as their connection (connections.ts keys by it). */
  readonly #standIn = { bytesRead: 0 } as unknown as Socket;
  readonly #queue: Array<() => void> = [];
  #active = 0;
  #closed = false;
  /** The first stream id the server will not process (GOAWAY); Infinity until one comes. */
  #goaway = Infinity;
  #credit: NodeJS.Timeout | null = null;
  readonly #streams = new Set<(err: Error) => void>();
  /** A response head has come on this connection. */
  #answered = false;
  /**
   * The server closed the connection before answering anything, with a TLS alert: it refused
   * the handshake after our side had finished it (a client certificate it wanted, in TLS 1.3,
   * is judged then). Its requests go over TCP as if the handshake had failed.
   */
  #refused = false;
  readonly #onClose: () => void;
  readonly #onRefused: () => void;
  readonly #quic: Quic;
  /** The server's SETTINGS, once they have come. */
  settings: Map<number, number> | null = null;

  private constructor(quic: Quic, client: QUICClient, target: H3Target, info: ConnectionInfo, onClose: () => void, onRefused: () => void) {
    this.#quic = quic;
    this.#onRefused = onRefused;
    this.#client = client;
    this.#target = target;
    this.#onClose = onClose;
    connectionInfo.set(this.#standIn, info);
    const conn = client.connection;
    const control = conn.newStream('uni');
    const writer = control.writable.getWriter();
    writer
      .write(
        Buffer.concat([
          encodeVarint(StreamKind.CONTROL),
          encodeSettings([
            [Setting.QPACK_MAX_TABLE_CAPACITY, 0],
            [Setting.QPACK_BLOCKED_STREAMS, 0],
            [Setting.MAX_FIELD_SECTION_SIZE, MAX_FIELD_SECTION],
          ]),
        ]),
      )
      .catch(() => {});
    conn.addEventListener('EventQUICConnectionStream', (evt: Event) => this.#peerStream((evt as unknown as { detail: QUICStream }).detail));
    // Streams the server opened before we listened (its control stream can come with the handshake).
    for (const s of (conn as unknown as { streamMap: Map<number, QUICStream> }).streamMap.values()) {
      if (s.type === 'uni' && (s.streamId & 1) === 1) this.#peerStream(s);
    }
    const closed = (): void => {
      const error = conn.getConnectionError();
      // Transport codes 0x100–0x1ff are TLS alerts (RFC 9000 §20.1).
      this.#refused = !this.#answered && error !== undefined && !error.isApp && error.errorCode >= 0x100 && error.errorCode <= 0x1ff;
      if (this.#refused) this.#onRefused();
      this.#fail(connectionClosed(this.#target, error));
    };
    client.closedP.then(closed, closed);
  }

  /** Makes the QUIC connection (ALPN h3) and starts HTTP/3 on it; rejects within `timeout` ms. */
  static async open(quic: Quic, target: H3Target, tls: TlsConfig, timeout: number, dialing: Dialing, onClose: () => void, onRefused: () => void): Promise<H3Connection> {
    const started = performance.now();
    let address = target.host;
    let resolver: string | null = null;
    let resolution: number | null = null;
    if (!isIP(address)) {
      const found = await dialing.resolve(address);
      resolver = found.resolver;
      address = found.addresses[0]!.address;
      resolution = performance.now() - started;
    }
    const client = await quic.QUICClient.createQUICClient(
      {
        host: address,
        port: target.port,
        serverName: target.hostname,
        localHost: isIP(address) === 6 ? '::' : '0.0.0.0',
        crypto: { ops: { randomBytes: async (data: ArrayBuffer) => void webcrypto.getRandomValues(new Uint8Array(data)) } },
        config: { ...tlsOf(tls, target.hostname), applicationProtos: ['h3'], readableChunkSize: READ_CHUNK, maxIdleTimeout: 30_000, initialMaxStreamDataBidiLocal: 4 * 1024 * 1024, initialMaxData: 16 * 1024 * 1024 },
        codeToReason: (type, code) => Object.assign(new Error(`the server ${type === 'read' ? 'reset' : 'stopped'} the stream with ${h3ErrorName(code)}`), { code: 'ERR_H3_STREAM_RESET', h3Code: code }),
        reasonToCode: () => H3_REQUEST_CANCELLED,
        logger: silent as never,
      },
      { timer: timeout },
    );
    const conn = client.connection;
    const certs = conn.getRemoteCertsChain();
    const connected = performance.now() - started - (resolution ?? 0);
    const stats = (conn as unknown as { conn: { stats(): Record<string, number> } }).conn.stats();
    const info: ConnectionInfo = {
      ...describeCert(certs[0]),
      tlsVersion: 'TLSv1.3',
      cipher: null,
      destinationAddress: address,
      destinationPort: target.port,
      httpVersion: 'HTTP/3',
      established: Date.now(),
      resolver,
      timings: { resolution, connection: connected, tlsHandshake: null },
      quic: {
        version: `QUICv${quic.native.quiche.PROTOCOL_VERSION}`,
        alpn: 'h3',
        peerInitialMaxStreamsBidi: stats.peerInitialMaxStreamsBidi!,
        peerInitialMaxData: stats.peerInitialMaxData!,
        peerInitialMaxStreamDataBidiRemote: stats.peerInitialMaxStreamDataBidiRemote!,
        peerMaxIdleTimeout: stats.peerMaxIdleTimeout!,
        peerMaxUdpPayloadSize: stats.peerMaxUdpPayloadSize!,
      },
    };
    return new H3Connection(quic, client, target, info, onClose, onRefused);
  }

  get active(): number {
    return this.#active;
  }

  /** Whether new requests may go on this connection (they may wait for stream credit). */
  get usable(): boolean {
    return !this.#closed && this.#goaway === Infinity;
  }

  /** `fallback` sends the request over TCP instead, should the server refuse the connection. */
  request(r: NativeRequest, handler: LegacyHandler, fallback: () => void): void {
    // A body being streamed cannot be sent a second time.
    const reroute = r.body === null || Buffer.isBuffer(r.body) ? fallback : null;
    if (this.#queue.length === 0 && this.#streamsLeft() > 0) {
      this.#start(r, handler, reroute);
      return;
    }
    const go = (): void => this.#start(r, handler, reroute);
    this.#queue.push(go);
    handler.onConnect((err) => {
      const i = this.#queue.indexOf(go);
      if (i === -1) return;
      this.#queue.splice(i, 1);
      handler.onError(err ?? new Error('Request aborted'));
    });
    this.#waitForCredit();
  }

  /** Lets requests in flight finish, then closes. */
  close(): void {
    this.#goaway = 0;
    if (this.#active === 0 && this.#queue.length === 0) void this.destroy();
  }

  async destroy(): Promise<void> {
    this.#fail(connectionClosed(this.#target, undefined));
    await this.#client.destroy({ isApp: true, errorCode: 0x100, force: true }).catch(() => {});
  }

  #streamsLeft(): number {
    if (!this.usable) return 0;
    return (this.#client.connection as unknown as { conn: { peerStreamsLeftBidi(): number } }).conn.peerStreamsLeftBidi();
  }

  /**
   * Starts queued requests as stream credit allows. The package tells of no MAX_STREAMS
   * frame, so while requests wait the credit is looked at again shortly.
   */
  #pump(): void {
    while (this.#queue.length > 0 && this.#streamsLeft() > 0) this.#queue.shift()!();
    if (this.#queue.length > 0) this.#waitForCredit();
    if (this.#goaway !== Infinity && this.#active === 0 && this.#queue.length === 0 && !this.#closed) void this.destroy();
  }

  #waitForCredit(): void {
    if (this.#credit !== null || this.#closed) return;
    this.#credit = setTimeout(() => {
      this.#credit = null;
      this.#pump();
    }, 2);
  }

  /** Fails every request in flight or waiting, and stops taking new ones. */
  #fail(err: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#credit !== null) clearTimeout(this.#credit);
    for (const go of this.#queue.splice(0)) go(); // they start, and fail at once: the connection is gone
    for (const fail of [...this.#streams]) fail(err);
    this.#onClose();
  }

  #start(r: NativeRequest, handler: LegacyHandler, reroute: (() => void) | null): void {
    if (this.#closed && this.#refused && reroute !== null) {
      reroute();
      return;
    }
    let stream: QUICStream;
    try {
      if (this.#closed) throw connectionClosed(this.#target, undefined);
      stream = this.#client.connection.newStream('bidi');
    } catch (err) {
      handler.onError(err as Error);
      return;
    }
    this.#active++;
    let finished = false;
    const finish = (err: Error | null, trailers: string[] | null): void => {
      if (finished) return;
      finished = true;
      this.#active--;
      this.#streams.delete(fail);
      if (err) {
        try {
          stream.cancel(err);
        } catch {
          // already closed
        }
        handler.onError(err);
      } else handler.onComplete(trailers);
      this.#pump();
    };
    const fail = (err: Error): void => {
      if (!this.#refused || reroute === null) {
        finish(err, null);
        return;
      }
      // Nothing was processed: the request leaves this connection quietly and goes over TCP.
      finished = true;
      this.#active--;
      this.#streams.delete(fail);
      reroute();
    };
    this.#streams.add(fail);
    handler.onConnect((err) => finish(err ?? new Error('Request aborted'), null));
    handler.onSocket?.(this.#standIn);
    const fields: Array<[string, string]> = [
      [':method', r.method],
      [':scheme', 'https'],
      [':authority', this.#target.authority],
      [':path', r.path],
    ];
    let declared: number | null = null;
    for (let i = 0; i < r.headers.length; i += 2) {
      const name = r.headers[i]!.toLowerCase();
      if (!CONNECTION_SPECIFIC.has(name)) fields.push([name, r.headers[i + 1]!]);
      if (name === 'content-length') declared = Number(r.headers[i + 1]);
    }
    // The connection's end reaches its streams first: it is left to the close (#fail), which
    // knows whether the server refused the connection (then the requests go over TCP).
    const failStream = (err: unknown): void => {
      if (!(err instanceof this.#quic.errors.ErrorQUICConnection)) fail(err as Error);
    };
    void this.#send(stream, encodeFrame(FrameKind.HEADERS, encodeFieldSection(fields)), r.body, declared).catch(failStream);
    void this.#receive(stream, handler, finish).catch(failStream);
  }

  async #send(stream: QUICStream, head: Buffer, body: Buffer | AsyncIterable<Buffer> | null, declared: number | null): Promise<void> {
    const writer = stream.writable.getWriter();
    if (body === null) {
      await writer.write(head);
    } else if (Buffer.isBuffer(body)) {
      if (declared !== null && body.length !== declared) throw lengthMismatch();
      await writer.write(body.length === 0 ? head : Buffer.concat([head, dataFrameHeader(body.length), body]));
    } else {
      await writer.write(head);
      let sent = 0;
      for await (const chunk of body) {
        sent += chunk.length;
        if (declared !== null && sent > declared) throw lengthMismatch();
        if (chunk.length > 0) await writer.write(Buffer.concat([dataFrameHeader(chunk.length), chunk]));
      }
      if (declared !== null && sent !== declared) throw lengthMismatch();
    }
    await writer.close();
  }

  async #receive(stream: QUICStream, handler: LegacyHandler, finish: (err: Error | null, trailers: string[] | null) => void): Promise<void> {
    let status = 0;
    let trailers: string[] | null = null;
    let paused: (() => void) | null = null;
    let wantsMore = true;
    const resume = (): void => {
      wantsMore = true;
      const go = paused;
      paused = null;
      go?.();
    };
    const frames = new FrameReader(
      {
        frame: (type, payload) => {
          if (type !== FrameKind.HEADERS) {
            if (type === FrameKind.DATA || type === FrameKind.SETTINGS || type === FrameKind.GOAWAY || type === FrameKind.MAX_PUSH_ID || type === FrameKind.CANCEL_PUSH) {
              throw new H3ProtocolError('H3_FRAME_UNEXPECTED', `a frame of type 0x${type.toString(16)} on a request stream`);
            }
            return; // PUSH_PROMISE: we never allow a push (no MAX_PUSH_ID)
          }
          const raw = decodeFieldSection(payload);
          if (status >= 200) {
            trailers = raw;
            return;
          }
          if (raw[0] !== ':status') throw new H3ProtocolError('H3_MESSAGE_ERROR', 'a response without :status first');
          const code = Number(raw[1]);
          const fields = raw.slice(2);
          if (code >= 100 && code < 200) {
            handler.onHeaders(code, fields, noop, '');
            return;
          }
          status = code;
          this.#answered = true;
          if (!handler.onHeaders(code, fields, resume, '')) wantsMore = false;
        },
        data: (chunk) => {
          if (status < 200) throw new H3ProtocolError('H3_FRAME_UNEXPECTED', 'DATA before the response head');
          if (!handler.onData(chunk)) wantsMore = false;
        },
      },
      MAX_FIELD_SECTION,
    );
    const reader = stream.readable.getReader();
    for (;;) {
      if (!wantsMore) await new Promise<void>((go) => (paused = go));
      const { done, value } = await reader.read();
      if (done) break;
      frames.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
    if (status < 200 || !frames.atBoundary) throw new H3ProtocolError('H3_REQUEST_INCOMPLETE', status < 200 ? 'the stream ended before a response head' : 'the stream ended inside a frame');
    finish(null, trailers);
  }

  /** A stream the server opened: its type decides what it is. */
  #peerStream(stream: QUICStream): void {
    if ((stream as { h3Seen?: boolean }).h3Seen) return;
    (stream as { h3Seen?: boolean }).h3Seen = true;
    const reader = stream.readable.getReader();
    void (async () => {
      let first: Buffer = Buffer.alloc(0);
      let kind: [number, number] | null = null;
      while (kind === null) {
        const { done, value } = await reader.read();
        if (done) return;
        first = Buffer.concat([first, value]);
        kind = readVarint(first, 0);
      }
      if (kind[0] !== StreamKind.CONTROL) {
        // QPACK's streams carry nothing for a table of capacity 0; others (push, grease) are
        // read and dropped so that they hold no flow-control credit.
        for (;;) if ((await reader.read()).done) return;
      }
      const frames = new FrameReader({
        frame: (type, payload) => {
          if (type === FrameKind.SETTINGS) this.settings = decodeSettings(payload);
          else if (type === FrameKind.GOAWAY) this.#onGoaway(decodeGoaway(payload));
        },
        data: () => {
          throw new H3ProtocolError('H3_FRAME_UNEXPECTED', 'DATA on the control stream');
        },
      });
      frames.push(first.subarray(kind[1]));
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        frames.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    })().catch(() => {
      // A broken control stream is the connection's end; its close fails what is in flight.
    });
  }

  /** Streams from `id` on were not processed and fail (to be sent again); no new ones go here. */
  #onGoaway(id: number): void {
    this.#goaway = id;
    this.#onClose();
    this.#pump();
  }
}

const noop = (): void => {};

function connectionClosed(target: H3Target, error: { errorCode?: number; reason?: Uint8Array; isApp?: boolean } | undefined): Error {
  const why = error ? ` (${error.isApp ? h3ErrorName(error.errorCode ?? 0) : `QUIC error 0x${(error.errorCode ?? 0).toString(16)}`}${error.reason?.length ? `: ${Buffer.from(error.reason).toString()}` : ''})` : '';
  return Object.assign(new Error(`the HTTP/3 connection to ${target.host}:${target.port} closed${why}`), { code: 'ERR_H3_CONNECTION_CLOSED' });
}

interface QuicTls {
  verifyPeer: boolean;
  verifyCallback?: (certs: Uint8Array[], cas: Uint8Array[]) => Promise<number | undefined>;
  ca?: string;
  cert?: string;
  key?: string;
}

/** Our TLS profile in the QUIC layer's terms. */
function tlsOf(tls: TlsConfig, hostname: string): QuicTls {
  const out: QuicTls = { verifyPeer: tls.verify };
  if (tls.pin !== null) {
    // A pin stands for the chain, as over TCP (connector.ts), so it is checked in the
    // handshake instead of quiche's verification (which also keeps no certificate of a peer
    // it does not verify).
    const pin = tls.pin;
    out.verifyPeer = true;
    out.verifyCallback = async (certs) => (pinFailure(certs[0], pin) === null ? undefined : BAD_CERTIFICATE);
  } else if (tls.verify) {
    if (isIP(hostname)) out.verifyCallback = ipCertificateCheck(hostname);
    const bundles = [tls.ca ?? '', ...tls.caFiles.map((f) => readFileSync(f, 'utf8'))];
    // Node's own roots where Node would use them, so that both transports trust the same CAs.
    if (tls.ca === null && (tls.caFiles.length === 0 || tls.withRoots)) bundles.push(...rootCertificates);
    out.ca = bundles.filter(Boolean).join('\n');
  }
  if (tls.cert !== null && tls.key !== null) {
    out.cert = tls.cert;
    // quiche takes a key in the clear: an encrypted one is opened here.
    out.key = tls.passphrase === null ? tls.key : (createPrivateKey({ key: tls.key, passphrase: tls.passphrase }).export({ format: 'pem', type: 'pkcs8' }) as string);
  }
  return out;
}

function pinFailure(leaf: Uint8Array | undefined, pin: string | null): Error | null {
  if (pin === null) return null;
  const seen = leaf ? new X509Certificate(leaf).fingerprint256.replaceAll(':', '').toLowerCase() : '(none)';
  if (seen === pin) return null;
  return Object.assign(new Error(`certificate pin mismatch: expected sha256_${pin}, the server presented sha256_${seen}`), { code: 'ERR_TLS_CERT_PIN_MISMATCH' });
}

function describeCert(leaf: Uint8Array | undefined): Pick<ConnectionInfo, 'peerCertificate'> {
  if (!leaf) return { peerCertificate: null };
  const x = new X509Certificate(leaf);
  const fields = (s: string): Record<string, string> => Object.fromEntries(s.split('\n').filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));
  return {
    peerCertificate: {
      der: x.raw.toString('base64'),
      subject: fields(x.subject),
      issuer: fields(x.issuer),
      subjectAltName: x.subjectAltName ?? null,
      validFrom: x.validFrom,
      validTo: x.validTo,
      serialNumber: x.serialNumber,
      fingerprint256: x.fingerprint256,
    },
  };
}
