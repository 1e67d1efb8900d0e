/**
 * One WebSocket in a worker, on the `ws` package: the handshake over a connection of ours
 * (the connector: TLS options, pins, resolvers, SOCKS5 or an HTTP proxy's tunnel, a unix
 * socket), or over an HTTP/2 stream opened with extended CONNECT (RFC 8441); then messages
 * both ways as frames (channel/frames.ts: WS_MESSAGE, WS_CLOSED, WS_SEND, WS_PING,
 * WS_CLOSE).
 *
 * Memory stays bounded both ways: received messages may run RESPONSE_WINDOW ahead of the
 * consumer (past that, or while the channel is full, the socket is paused: `ws.pause()`),
 * and what the main thread sends is credited back (UPLOAD_CREDIT) only once written to the
 * socket. A message is at most the request's `maxPayload`; a bigger one closes the socket
 * with 1009 and fails the stream with BodyTooLarge.
 */
import http2 from 'node:http2';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import type { buildConnector } from 'undici';
import { BinaryWriter } from '../channel/binary.js';
import { TransportCode } from '../channel/error-codes.js';
import { FrameType, HeadFlag, HttpVersionCode, MessageFlag, encodeError, encodeResponseHead, type RequestHead } from '../channel/frames.js';
import { RESPONSE_WINDOW } from '../channel/windows.js';
import { handshakeHeaders } from '../extensions/websocket-handshake.js';
import { classify, TransportError } from './error-codes.js';
import type { Outbox } from './outbox.js';
import { onFirstUse } from '../on-first-use.js';
import type { SessionTransport } from './session-transport.js';

/**
 * ws's defaults for a client it builds itself, for the one built over an HTTP/2 stream: built
 * without an address, ws takes none of them, and without a closeTimeout its close timer fires
 * at once and destroys the stream before the peer's answering close frame arrives.
 */
const CLIENT_DEFAULTS = { autoPong: true, closeTimeout: 30_000, maxPendingAutoPongs: 60 };
const RECEIVER_DEFAULTS = { allowSynchronousEvents: true, skipUTF8Validation: false, maxBufferedChunks: 256 * 1024, maxFragments: 16 * 1024 };


const writer = new BinaryWriter(4096);
const loadWs = onFirstUse<typeof WebSocket>('ws');

/** ws's instances are client-side unless built without an address; see {@link overStream}. */
type ClientSocketSetter = { _isServer: boolean; setSocket(socket: unknown, head: Buffer, options: object): void };

export class WebSocketHandler {
  readonly stream: number;
  readonly #head: RequestHead;
  readonly #outbox: Outbox;
  readonly #onDone: (stream: number) => void;
  readonly #target: string;
  readonly #proxy: string | null;
  readonly #maxPayload: number;
  readonly #url: URL;
  readonly #socketPath: string | null;
  #ws: WebSocket | null = null;
  /** The HTTP/2 session of an RFC 8441 WebSocket (it carries this stream only). */
  #h2: http2.ClientHttp2Session | null = null;
  #done = false;
  #opened = false;
  /** Bytes sent to the main thread and not yet acknowledged. */
  #unacked = 0;
  #paused = false;
  #drainAwaited = false;
  #corked = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(stream: number, head: RequestHead, outbox: Outbox, onDone: (stream: number) => void) {
    this.stream = stream;
    this.#head = head;
    this.#outbox = outbox;
    this.#onDone = onDone;
    this.#proxy = head.proxy || null;
    // ws reads 0 as no limit.
    this.#maxPayload = Number.isFinite(head.maxPayload) ? head.maxPayload : 0;
    this.#url = new URL(head.url);
    const unix = this.#url.protocol === 'ws+unix:';
    this.#socketPath = unix ? decodeURIComponent(this.#url.hostname) : null;
    this.#target = unix ? `ws+unix://${this.#socketPath}` : `${this.#url.protocol}//${this.#url.host}`;
  }

  /**
   * Opens the connection with the dialer's connector (the session's, or an app's in-memory
   * one, see AppHost); whatever fails is reported on the stream.
   */
  start(dialer: Pick<SessionTransport, 'connector'>): void {
    const head = this.#head;
    // The handshake (connection, TLS, the server's answer) gets the connect and read
    // timeouts, and at most what is left of the total; a WebSocket then lives as it likes.
    const handshake = head.readTimeout > 0 ? head.connectTimeout + head.readTimeout : 0;
    const limit = Math.min(...[handshake, head.totalTimeout].filter((t) => t > 0));
    if (Number.isFinite(limit)) {
      this.#timer = setTimeout(() => this.cancel(new TransportError(TransportCode.READ_TIMEOUT, `Read timed out: no handshake answer from ${this.#target} within ${limit} ms`)), limit);
    }
    try {
      const rfc8441 = this.#url.protocol === 'wss+rfc8441:';
      const connect = dialer.connector(head.tls, head.connectTimeout, this.#socketPath, head.proxy, { http1: !rfc8441, http2: rfc8441, h2c: false });
      if (rfc8441) this.#overHttp2(this.#url, connect);
      else this.#overHttp1(this.#url, this.#socketPath !== null, connect);
    } catch (err) {
      this.#fail(err);
    }
  }

  // ---- from the main thread ----------------------------------------------------------

  /** WS_SEND: a piece of a message, credited back once it is on the socket. */
  send(flags: number, bytes: Buffer): void {
    const ws = this.#ws;
    if (ws === null || ws.readyState !== ws.OPEN) return;
    const n = bytes.length;
    this.#cork(ws);
    ws.send(bytes, { binary: (flags & MessageFlag.BINARY) !== 0, fin: (flags & MessageFlag.FIN) !== 0 }, () => {
      if (!this.#done) this.#outbox.send(FrameType.UPLOAD_CREDIT, 0, this.stream, n);
    });
  }

  /**
   * Pieces read from the ring in one drain go out in one write: a script sending small
   * messages back to back would otherwise cost a syscall each.
   */
  #cork(ws: WebSocket): void {
    const socket = (ws as unknown as { _socket: Socket | null })._socket;
    if (this.#corked || socket === null) return;
    this.#corked = true;
    socket.cork();
    process.nextTick(() => {
      this.#corked = false;
      socket.uncork();
    });
  }

  ping(bytes: Buffer): void {
    const ws = this.#ws;
    if (ws !== null && ws.readyState === ws.OPEN) ws.ping(bytes);
  }

  close(code: number, reason: string): void {
    const ws = this.#ws;
    if (ws === null || ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) return;
    // A message still being received is not waited for: the peer's close frame ends it.
    this.#resume();
    ws.close(code, reason);
  }

  /** CREDIT: the consumer took `bytes` of messages. */
  credit(bytes: number): void {
    this.#unacked -= bytes;
    this.#maybeResume();
  }

  /** CANCEL (the main thread gave up on it) or a timeout: the connection goes at once. */
  cancel(reason: Error): void {
    if (this.#done) return;
    this.#fail(reason);
    this.#ws?.terminate();
    this.#h2?.destroy();
  }

  // ---- opening ---------------------------------------------------------------------------

  #overHttp1(url: URL, unix: boolean, connect: buildConnector.connector): void {
    const secure = url.protocol === 'wss:';
    const address = unix ? `ws://localhost${url.pathname}${url.search}` : url.href;
    const { headers, protocols } = handshakeHeaders(this.#head.headers);
    const ws = new (loadWs())(address, protocols, {
      headers,
      perMessageDeflate: true,
      maxPayload: this.#maxPayload,
      followRedirects: false,
      allowSynchronousEvents: true,
      // http.request takes a connection made asynchronously through this callback.
      createConnection: ((options: { hostname?: string; host?: string; port?: number | string; servername?: string }, done: (err: Error | null, socket?: Socket) => void) => {
        const hostname = (options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
        connect({ hostname, host: hostname, protocol: secure ? 'https:' : 'http:', port: String(options.port ?? (secure ? 443 : 80)), servername: options.servername ?? hostname } as buildConnector.Options, (err, socket) => {
          if (err) done(err);
          else done(null, socket as Socket);
        });
        return undefined;
      }) as unknown as WebSocket.ClientOptions['createConnection'],
    });
    this.#ws = ws;
    let upgrade: IncomingMessage | null = null;
    ws.on('upgrade', (res) => {
      upgrade = res;
    });
    ws.on('open', () => this.#open(101, upgrade?.statusMessage ?? 'Switching Protocols', upgrade?.rawHeaders ?? [], HttpVersionCode['HTTP/1.1']));
    ws.on('unexpected-response', (req, res) => this.#refused(res.statusCode ?? 0, res.statusMessage ?? '', res.rawHeaders, HttpVersionCode['HTTP/1.1'], res, () => req.destroy()));
    this.#listen(ws);
  }

  /**
   * RFC 8441: an extended CONNECT on a fresh HTTP/2 connection, allowed only if the server's
   * SETTINGS say so; ws then frames messages over the stream as a client would.
   */
  #overHttp2(url: URL, connect: buildConnector.connector): void {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port || '443';
    const authority = `${url.hostname}${url.port ? `:${url.port}` : ''}`;
    connect({ hostname, host: hostname, protocol: 'https:', port, servername: hostname } as buildConnector.Options, (err, socket) => {
      if (this.#done) {
        socket?.destroy();
        return;
      }
      if (err || !socket) {
        this.#fail(err ?? new Error('no connection'));
        return;
      }
      const session = http2.connect(`https://${authority}`, { createConnection: () => socket as unknown as Socket });
      this.#h2 = session;
      session.on('error', (e) => this.#fail(e));
      session.on('close', () => {
        if (!this.#opened) this.#fail(new TransportError(TransportCode.CONNECTION, `${this.#target} closed the HTTP/2 connection before the WebSocket was open`));
      });
      session.once('remoteSettings', (settings) => {
        if (!settings.enableConnectProtocol) {
          this.#fail(new TransportError(TransportCode.CONNECTION, `${this.#target} does not allow WebSockets over HTTP/2: its SETTINGS do not enable extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 8441). Use wss:// for a WebSocket over HTTP/1.1.`));
          session.destroy();
          return;
        }
        const { headers, protocols } = handshakeHeaders(this.#head.headers);
        const stream = session.request({
          ...headers,
          ...(protocols.length > 0 ? { 'sec-websocket-protocol': protocols.join(', ') } : {}),
          ':method': 'CONNECT',
          ':protocol': 'websocket',
          ':scheme': 'https',
          ':path': url.pathname + url.search,
          ':authority': authority,
          'sec-websocket-version': '13',
        });
        stream.on('error', (e) => this.#fail(e));
        stream.once('response', (h) => {
          const status = Number(h[':status']);
          const raw = rawFromH2(h);
          if (status < 200 || status > 299) {
            this.#refused(status, '', raw, HttpVersionCode['HTTP/2'], stream, () => session.destroy());
            return;
          }
          const ws = new (loadWs())(null as unknown as string, undefined, CLIENT_DEFAULTS as WebSocket.ClientOptions);
          // Built without an address, ws acts as a server (unmasked frames); a client it is.
          (ws as unknown as ClientSocketSetter)._isServer = false;
          (ws as unknown as ClientSocketSetter).setSocket(stream, Buffer.alloc(0), { ...RECEIVER_DEFAULTS, maxPayload: this.#maxPayload });
          this.#ws = ws;
          this.#listen(ws);
          this.#open(status, '', raw, HttpVersionCode['HTTP/2']);
        });
      });
    });
  }

  #listen(ws: WebSocket): void {
    ws.on('message', (data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean) => this.#message(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer), isBinary));
    // ws has sent its close frame (1002, 1007, 1009...) by then: the user hears of the
    // failure at once, and ws finishes the closing handshake on its own.
    ws.on('error', (err) => this.#fail(err, false));
    ws.on('close', (code: number, reason: Buffer) => this.#closed(code, reason));
  }

  // ---- to the main thread ------------------------------------------------------------------

  #open(status: number, statusText: string, rawHeaders: string[], httpVersion: number): void {
    if (this.#done) return;
    this.#opened = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#sendHead(status, statusText, rawHeaders, httpVersion);
  }

  #sendHead(status: number, statusText: string, rawHeaders: string[], httpVersion: number): void {
    let flags = 0;
    for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'set-cookie') flags |= HeadFlag.SET_COOKIE;
    writer.reset();
    encodeResponseHead(writer, { status, httpVersion, requestSent: -1, firstByte: -1, bodyLength: -1, statusText, headers: rawHeaders });
    this.#outbox.sendWritten(FrameType.RESPONSE_HEAD, flags, this.stream, 0, writer);
  }

  /** A refused upgrade is an ordinary response: its head, then its body (up to maxBodySize). */
  #refused(status: number, statusText: string, rawHeaders: string[], httpVersion: number, body: NodeJS.ReadableStream, release: () => void): void {
    if (this.#done) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#sendHead(status, statusText, rawHeaders, httpVersion);
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      if (this.#done) return;
      received += chunk.length;
      if (received > this.#head.maxBodySize) {
        this.#fail(new TransportError(TransportCode.BODY_TOO_LARGE, `The response body from ${this.#target} is more than ${this.#head.maxBodySize} bytes (maxBodySize); the transfer was stopped and the connection closed`));
        release();
        return;
      }
      for (let at = 0; at < chunk.length; at += this.#outbox.maxPayload) this.#outbox.send(FrameType.RESPONSE_BODY, 0, this.stream, 0, chunk, at, Math.min(chunk.length, at + this.#outbox.maxPayload));
      // A long answer waits for the channel rather than queueing in the worker.
      if (this.#outbox.congested) {
        body.pause();
        this.#outbox.onceDrained(() => body.resume());
      }
    });
    body.on('end', () => {
      if (this.#done) return;
      this.#outbox.send(FrameType.RESPONSE_END, 0, this.stream, 0);
      this.#finish();
      release();
    });
    body.on('error', (err: Error) => {
      this.#fail(err);
      release();
    });
  }

  #message(data: Buffer, binary: boolean): void {
    if (this.#done) return;
    const max = this.#outbox.maxPayload;
    const kind = binary ? MessageFlag.BINARY : 0;
    let at = 0;
    do {
      const end = Math.min(data.length, at + max);
      this.#outbox.send(FrameType.WS_MESSAGE, kind | (end === data.length ? MessageFlag.FIN : 0), this.stream, 0, data, at, end);
      at = end;
    } while (at < data.length);
    this.#unacked += data.length;
    if (this.#unacked >= RESPONSE_WINDOW || this.#outbox.congested) this.#pause();
  }

  #closed(code: number, reason: Buffer): void {
    if (this.#done) return;
    if (code === 1006 && this.#opened) {
      this.#fail(new TransportError(TransportCode.CONNECTION, `The WebSocket connection to ${this.#target} was lost without a closing handshake (1006)`));
      return;
    }
    if (!this.#opened) {
      this.#fail(new TransportError(TransportCode.CONNECTION, `The WebSocket to ${this.#target} closed before it opened`));
      return;
    }
    this.#outbox.send(FrameType.WS_CLOSED, 0, this.stream, code, reason);
    this.#finish();
  }

  /** Fails the stream; `terminate`: drop the connection too (ws may still be closing it). */
  #fail(err: unknown, terminate = true): void {
    if (this.#done) return;
    const failure = failureOf(err, this.#target, this.#opened, this.#proxy, this.#maxPayload);
    writer.reset();
    encodeError(writer, failure.code, failure.message);
    this.#outbox.sendWritten(FrameType.RESPONSE_ERROR, 0, this.stream, 0, writer);
    this.#finish();
    if (terminate) this.#ws?.terminate();
  }

  #finish(): void {
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#onDone(this.stream);
    if (this.#h2 !== null) {
      const session = this.#h2;
      // The stream's close frame goes first; the connection was this WebSocket's alone.
      setImmediate(() => session.close());
    }
  }

  // ---- backpressure ------------------------------------------------------------------------

  #pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.#ws?.pause();
    }
    if (this.#outbox.congested && !this.#drainAwaited) {
      this.#drainAwaited = true;
      this.#outbox.onceDrained(() => {
        this.#drainAwaited = false;
        this.#maybeResume();
      });
    }
  }

  #maybeResume(): void {
    if (!this.#paused || this.#done) return;
    if (this.#unacked >= RESPONSE_WINDOW || this.#outbox.congested) {
      this.#pause();
      return;
    }
    this.#resume();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#ws?.resume();
  }
}

function rawFromH2(h: http2.IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith(':') || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) raw.push(name, String(v));
  }
  return raw;
}

function failureOf(err: unknown, target: string, opened: boolean, proxy: string | null, maxPayload: number): { code: TransportCode; message: string } {
  const code = (err as { code?: string }).code;
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH') {
    return { code: TransportCode.BODY_TOO_LARGE, message: `A WebSocket message from ${target} is more than ${maxPayload} bytes (maxPayload); the connection was closed with 1009` };
  }
  if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
    return { code: TransportCode.CONNECTION, message: `The WebSocket peer ${target} broke the protocol: ${(err as Error).message}` };
  }
  return classify(err, target, opened, proxy);
}
