/**
 * The carrier of an `AsyncSession({ app })` whose app is a function or an object: the app
 * runs on the main thread, beside the session, and each request's answer fills its
 * {@link Exchange} directly (no worker, no ring, no socket, no HTTP framing). It stands
 * where the engine's Adapter stands (see TransportPort), so everything above it (cookies,
 * redirects, auth, retries, hooks, streaming, gather) is the session's usual policy.
 * Pools, HTTP versions, proxies, TLS and name resolution have nothing to act on here.
 * A WebSocket to the app is held here too (app-websocket.ts), so this carrier is also the
 * driver of its `r.extension`.
 */
import { BinaryWriter } from '../channel/binary.js';
import { CreditFlag, HeadFlag, HttpVersionCode, encodeHeaderBlock } from '../channel/frames.js';
import type { PoolStats } from '../channel/session-config.js';
import { RESPONSE_WINDOW } from '../channel/windows.js';
import { Exchange } from '../engine/exchange.js';
import type { SendOptions } from '../engine/engine.js';
import { BodyTooLarge, ConnectionError, ContentDecodingError, InvalidOption, InvalidURL, ReadTimeout, RequestException, SessionClosedError, Timeout } from '../errors.js';
import { createDecoder, type Decoder } from '../decoding/decoder.js';
import { TransportCode } from '../channel/error-codes.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import { BodySource } from '../response/body-source.js';
import type { InFlight } from '../session/flow.js';
import type { ExchangeDriver, TransportPort } from '../session/transport-port.js';
import type { WebSocketDriver } from '../extensions/websocket.js';
import type { AppHandler, AppRequest } from './app-request.js';
import { serveApp } from './app-call.js';
import { appConnection, type LoadedApp } from './app.js';
import { upgradeServerOf, APP_WEBSOCKET_SCHEMES } from './app-socket.js';
import { AppWebSocket } from './app-websocket.js';

let nextId = 1;
/** Arrival order of heads and ends, for `gather` (as the engine keeps for its exchanges). */
let seq = 0;

export class AppCarrier implements TransportPort, WebSocketDriver {
  readonly live = true;
  readonly sessionId = 0;
  readonly openedTls = null;
  readonly #app: LoadedApp;
  readonly #inFlight = new Map<Exchange, ExchangeFiller>();
  readonly #sockets = new WeakMap<Exchange, AppWebSocket>();
  /** JSON of what `r.connInfo` says: the app, and no connection. */
  readonly #connection: string;

  constructor(app: LoadedApp) {
    this.#app = app;
    this.#connection = appConnection(app.kind === 'listener' ? 'listener' : 'fetch');
  }

  open(): ExchangeDriver {
    return this;
  }

  async whenLive(): Promise<void> {}

  send(request: PreparedRequest, options: SendOptions): InFlight {
    const ex = new Exchange(nextId++, -1, 0, request, options.windowed, 0, Infinity);
    const body = request.body;
    ex.bodyLength = body === null ? 0 : body.length;
    ex.extension = options.extension;
    ex.readTimeout = options.readTimeout;
    const filler = new ExchangeFiller(ex, options, this.#connection, this.#inFlight);
    this.#inFlight.set(ex, filler);
    if (options.extension === 'websocket') this.#openWebSocket(ex, options, filler);
    else serveApp(this.#app, appRequestOf(request), filler);
    return { exchange: ex, request, source: new BodySource(this, ex) };
  }

  #openWebSocket(ex: Exchange, options: SendOptions, filler: ExchangeFiller): void {
    const request = ex.request;
    const refuse = (reason: RequestException): void => {
      filler.onConnect(() => {});
      filler.onError(reason);
    };
    if (!request.url.startsWith('ws:') && !request.url.startsWith('wss:')) return refuse(new InvalidURL(`${APP_WEBSOCKET_SCHEMES}: ${request.url}`, { request }));
    const server = upgradeServerOf(this.#app);
    if (typeof server === 'string') return refuse(new InvalidOption(`Invalid option app: the app ${server}`, { request }));
    this.#sockets.set(ex, new AppWebSocket(ex, server, options.maxPayload, filler));
  }

  waitUntil(): never {
    // A Session refuses a function or object app when it is made; this is never reached.
    throw new InvalidOption('An app on the main thread cannot answer a call that blocks the main thread');
  }

  cancel(ex: Exchange, reason?: RequestException): void {
    this.#inFlight.get(ex)?.abort(reason ?? new ConnectionError('Request cancelled', { request: ex.request }));
  }

  credit(ex: Exchange, bytes: number, flags = 0): void {
    const socket = this.#sockets.get(ex);
    if (socket?.opened) socket.credit(bytes);
    else this.#inFlight.get(ex)?.credit(bytes, flags);
  }

  control(ex: Exchange, type: number, aux: number, payload: Uint8Array | undefined): void {
    this.#sockets.get(ex)?.control(type, aux, payload);
  }

  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: true): boolean;
  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: false): Promise<boolean>;
  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: boolean): boolean | Promise<boolean> {
    // Only an AsyncSession has a function or object app: nothing here blocks.
    if (sync) return this.waitUntil();
    return this.#sockets.get(ex)?.send(data, binary) ?? Promise.resolve(false);
  }

  pools(): PoolStats[] {
    return [];
  }

  close(): void {
    for (const [ex, filler] of [...this.#inFlight]) filler.abort(new SessionClosedError('The session was closed with this request in flight', { request: ex.request }));
  }
}

function appRequestOf(request: PreparedRequest): AppRequest {
  const headers = request.headers.flat();
  const body = request.body;
  if (body === null || body instanceof Uint8Array) return { method: request.method, url: request.url, headers, body, bodyLength: body?.length ?? null };
  return { method: request.method, url: request.url, headers, body: body.source, bodyLength: body.length };
}

const scratch = new BinaryWriter(1024);

/**
 * Fills one exchange from the app's answer, as the engine does from frames. A Content-Encoding
 * the app applied is undone here, as the workers' handler does for a server: for a windowed
 * (`stream: true`) body once the first read says whether it is wanted decoded or raw.
 */
class ExchangeFiller implements AppHandler {
  readonly #ex: Exchange;
  readonly #options: SendOptions;
  readonly #connection: string;
  readonly #inFlight: Map<Exchange, ExchangeFiller>;
  #abort: ((reason: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #paused = false;
  /** Bytes of a streamed body given and not yet acknowledged; starts shut (first read opens it). */
  #unacked: number;
  #readTimer: NodeJS.Timeout | null = null;
  #totalTimer: NodeJS.Timeout | null = null;
  /** Content-Encoding of the body, until the decoder is set up (or the reader wants it raw). */
  #encoding: string | null = null;
  #decoder: Decoder | null = null;
  /** The decoder's input is full: the app waits for its 'drain'. */
  #decoderFull = false;
  /** A windowed body whose reader has not said yet whether it wants it decoded. */
  #awaitingMode = false;
  #early: Buffer[] = [];
  #earlyEnd: string[] | null | undefined = undefined;

  constructor(ex: Exchange, options: SendOptions, connection: string, inFlight: Map<Exchange, ExchangeFiller>) {
    this.#ex = ex;
    this.#options = options;
    this.#connection = connection;
    this.#inFlight = inFlight;
    this.#unacked = ex.windowed ? RESPONSE_WINDOW : 0;
    this.#armReadTimer();
    if (options.totalTimeout > 0) {
      this.#totalTimer = setTimeout(() => {
        this.abort(new Timeout(`Request to ${ex.request.url} exceeded its total timeout (${Math.round(options.totalTimeout)} ms of it left for this hop)`, { request: ex.request }));
      }, options.totalTimeout);
    }
  }

  onConnect(abort: (reason: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void, statusText: string): boolean {
    const ex = this.#ex;
    this.#resume = resume;
    let flags = 0;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toLowerCase();
      if (name === 'set-cookie') flags |= HeadFlag.SET_COOKIE;
      else if (name === 'alt-svc') flags |= HeadFlag.ALT_SVC;
      else if (name === 'content-encoding') this.#encoding = this.#encoding ? `${this.#encoding}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1]!;
    }
    this.#awaitingMode = ex.windowed && this.#encoding !== null;
    if (this.#encoding !== null && !this.#awaitingMode) this.#setUpDecoder();
    scratch.reset();
    encodeHeaderBlock(scratch, rawHeaders);
    const now = performance.now();
    ex.head = {
      status: statusCode,
      httpVersion: HttpVersionCode['HTTP/1.1'],
      statusText,
      headerBlock: Buffer.from(scratch.buf.subarray(0, scratch.pos)),
      flags,
      requestSent: 0,
      firstByte: now - ex.startedAt,
      connection: this.#connection,
      bodyLength: -1,
    };
    ex.headAt = now;
    ex.headSeq = ++seq;
    if (ex.bodyLength !== null) ex.uploaded = ex.bodyLength;
    this.#emit('upload', ex.uploaded);
    this.#armReadTimer();
    if (ex.extension !== null) {
      // An event stream may stay quiet for as long as it likes once it has answered; the
      // reader's wait for each event has the read timeout instead.
      this.#stopReadTimer();
      if (this.#totalTimer) clearTimeout(this.#totalTimer);
    }
    ex.notify(now);
    return !this.#shouldPause();
  }

  onData(chunk: Buffer): boolean {
    if (this.#ex.done) return false;
    this.#armReadTimer();
    if (this.#awaitingMode) this.#early.push(chunk);
    else if (this.#decoder !== null) {
      if (!this.#decoder.write(chunk)) this.#decoderFull = true;
    } else this.#deliver(chunk);
    return !this.#shouldPause();
  }

  /** Body bytes as the reader gets them (decoded unless it asked for them raw). */
  #deliver(chunk: Buffer): void {
    const ex = this.#ex;
    if (ex.done) return;
    if (ex.receivedBytes + chunk.length > this.#options.maxBodySize) {
      this.abort(new BodyTooLarge(`The response body from ${ex.request.url} is more than ${this.#options.maxBodySize} bytes (maxBodySize); the app's response was stopped`, { request: ex.request }));
      return;
    }
    ex.receive(chunk, 0, chunk.length);
    if (ex.windowed) this.#unacked += chunk.length;
    this.#emit('download', ex.receivedBytes);
    // The decoder's output waits for the reader too (its input then fills and holds the app).
    if (this.#decoder !== null && this.#full()) this.#decoder.pause();
    ex.notify();
  }

  #setUpDecoder(): void {
    const ex = this.#ex;
    let decoder: Decoder | null;
    try {
      decoder = createDecoder(this.#encoding, { maxDecodedBytes: this.#options.maxBodySize });
    } catch (err) {
      this.abort(new ContentDecodingError(`Cannot decode the body from the app for ${ex.request.url}: ${(err as Error).message}`, { request: ex.request }));
      return;
    }
    if (decoder === null) return;
    decoder.on('data', (c) => this.#deliver(c));
    decoder.on('drain', () => {
      this.#decoderFull = false;
      this.#maybeResume();
    });
    decoder.on('error', (err) => {
      const message = `${err.message} (from the app for ${ex.request.url})`;
      this.abort(err.code === TransportCode.BODY_TOO_LARGE ? new BodyTooLarge(message, { request: ex.request }) : new ContentDecodingError(message, { request: ex.request }));
    });
    this.#decoder = decoder;
  }

  onComplete(trailers: string[] | null): void {
    const ex = this.#ex;
    if (ex.done) return;
    if (this.#awaitingMode) {
      this.#earlyEnd = trailers;
      return;
    }
    if (this.#decoder !== null) {
      this.#decoder.on('end', () => this.#end(trailers));
      this.#decoder.end();
    } else this.#end(trailers);
  }

  #end(trailers: string[] | null): void {
    const ex = this.#ex;
    if (ex.done) return;
    let block: Buffer | null = null;
    if (trailers !== null && trailers.length > 0) {
      scratch.reset();
      encodeHeaderBlock(scratch, trailers);
      block = Buffer.from(scratch.buf.subarray(0, scratch.pos));
    }
    ex.end(block);
    this.#finish();
    this.#emit('download', ex.receivedBytes);
    ex.notify();
  }

  onAppError(error: unknown): void {
    this.#ex.appError = error;
  }

  onError(err: Error): void {
    const ex = this.#ex;
    if (ex.done) return;
    ex.error = err instanceof RequestException ? err : new ConnectionError(err.message, { request: ex.request, cause: err });
    this.#finish();
    ex.notify();
  }

  /** Stops the app's request; the exchange fails with `reason`. */
  abort(reason: Error): void {
    if (this.#ex.done) return;
    this.#abort?.(reason);
    // The app may be done already while the body is still being decoded here.
    this.onError(reason);
  }

  credit(bytes: number, flags: number): void {
    if (this.#awaitingMode) {
      this.#awaitingMode = false;
      if ((flags & CreditFlag.RAW) === 0) this.#setUpDecoder();
      for (const chunk of this.#early.splice(0)) this.onData(chunk);
      if (this.#earlyEnd !== undefined) this.onComplete(this.#earlyEnd);
    }
    if (flags & CreditFlag.UNBOUNDED) this.#ex.windowed = false;
    this.#unacked -= bytes;
    this.#maybeResume();
  }

  #maybeResume(): void {
    if (this.#ex.done) return;
    if (this.#decoder !== null && !this.#full()) this.#decoder.resume();
    if (this.#paused && !this.#full() && !this.#decoderFull) {
      this.#paused = false;
      this.#armReadTimer();
      this.#resume?.();
    }
  }

  #full(): boolean {
    return this.#ex.windowed && this.#unacked >= RESPONSE_WINDOW;
  }

  #shouldPause(): boolean {
    if (!this.#full() && !this.#decoderFull) return false;
    this.#paused = true;
    // The silence while the reader is behind is the reader's, not the app's.
    this.#stopReadTimer();
    return true;
  }

  /** The read timeout: the app says nothing for this long (before its head, or between body chunks). */
  #armReadTimer(): void {
    const ms = this.#options.readTimeout;
    if (ms <= 0 || this.#ex.done || (this.#ex.head !== null && this.#ex.extension !== null)) return;
    if (this.#readTimer) this.#readTimer.refresh();
    else {
      this.#readTimer = setTimeout(() => {
        const what = this.#ex.head === null ? 'no response head' : 'no body bytes';
        this.abort(new ReadTimeout(`Read timed out: ${what} from the app for ${this.#ex.request.url} within ${ms} ms`, { request: this.#ex.request }));
      }, ms);
    }
  }

  #stopReadTimer(): void {
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = null;
  }

  #finish(): void {
    const ex = this.#ex;
    ex.doneSeq = ++seq;
    if (ex.headSeq === 0) ex.headSeq = ex.doneSeq;
    this.#stopReadTimer();
    if (this.#totalTimer) clearTimeout(this.#totalTimer);
    this.#decoder?.destroy();
    this.#inFlight.delete(ex);
  }

  /** Tells a progress listener; one that throws fails the request with its error (as the engine does). */
  #emit(event: 'upload' | 'download', bytes: number): void {
    const ex = this.#ex;
    if (ex.onEvent === null) return;
    try {
      ex.onEvent(event, bytes);
    } catch (err) {
      if (!ex.done) this.abort(err as Error);
      else ex.error ??= err as RequestException;
    }
  }
}
