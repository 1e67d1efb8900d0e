/**
 * A WebSocket to an app on the main thread (`AsyncSession({ app })` with an http.Server that
 * takes upgrades): `ws` is the client over an in-memory connection to the server
 * (app-socket.ts), as it is over a socket in the workers' WebSocketHandler, and what comes
 * back fills the request's exchange as the engine fills it from that handler's frames. The
 * head and a refused upgrade's body go through the carrier's filler, as an app's answer does
 * (so timeouts and limits are the same); then messages, then the close. `r.extension` is
 * therefore the same AsyncWebSocketExtension as over the network, the app carrier its driver.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { FrameType, MessageFlag } from '../channel/frames.js';
import { RESPONSE_WINDOW } from '../channel/windows.js';
import type { Exchange } from '../engine/exchange.js';
import { BodyTooLarge, ConnectionError, type RequestException } from '../errors.js';
import { handshakeHeaders } from '../extensions/websocket-handshake.js';
import { onFirstUse } from '../on-first-use.js';
import type { AppHandler } from './app-request.js';
import { connectToApp } from './app-socket.js';

/** `ws`, loaded with an app's first WebSocket (see on-first-use.ts). */
const loadWs = onFirstUse<typeof WebSocket>('ws');

export class AppWebSocket {
  readonly #ex: Exchange;
  readonly #handler: AppHandler;
  readonly #ws: WebSocket;
  readonly #maxPayload: number;
  /** The handshake succeeded: what follows are messages, not a refused upgrade's body. */
  opened = false;
  #refused = false;
  /** Bytes of messages given to the exchange and not yet taken by the reader. */
  #unacked = 0;
  #paused = false;

  /** `maxPayload`: the largest message taken (Infinity: no limit). */
  constructor(ex: Exchange, server: Server, maxPayload: number, handler: AppHandler) {
    this.#ex = ex;
    this.#handler = handler;
    this.#maxPayload = maxPayload;
    const { headers, protocols } = handshakeHeaders(ex.request.headers.flat());
    const ws = new (loadWs())(ex.request.url, protocols, {
      headers,
      perMessageDeflate: true,
      maxPayload: Number.isFinite(maxPayload) ? maxPayload : 0, // 0: ws's "no limit"
      followRedirects: false,
      createConnection: () => connectToApp(server) as unknown as Socket,
    });
    this.#ws = ws;
    handler.onConnect(() => ws.terminate());
    let upgrade: IncomingMessage | null = null;
    ws.on('upgrade', (res) => (upgrade = res));
    ws.on('open', () => {
      this.opened = true;
      handler.onHeaders(101, upgrade?.rawHeaders ?? [], () => {}, upgrade?.statusMessage ?? 'Switching Protocols');
    });
    ws.on('unexpected-response', (req, res) => this.#refusedWith(res, () => req.destroy()));
    ws.on('message', (data: Buffer, binary: boolean) => this.#message(data, binary));
    ws.on('error', (err) => this.#fail(err));
    ws.on('close', (code: number, reason: Buffer) => this.#closed(code, reason));
  }

  /** Sends a message; false when the socket is no longer open. */
  send(data: Uint8Array, binary: boolean): Promise<boolean> {
    if (this.#ws.readyState !== this.#ws.OPEN) return Promise.resolve(false);
    return new Promise((resolve) => this.#ws.send(data, { binary }, (err) => resolve(!err)));
  }

  control(type: number, aux: number, payload: Uint8Array | undefined): void {
    const ws = this.#ws;
    if (ws.readyState !== ws.OPEN) return;
    if (type === FrameType.WS_PING) ws.ping(payload);
    else if (type === FrameType.WS_CLOSE) {
      // A message still being received is not waited for: the peer's close frame ends it.
      this.#resume();
      ws.close(aux, Buffer.from(payload ?? []).toString('utf8'));
    }
  }

  /** The reader took `bytes` of messages. */
  credit(bytes: number): void {
    this.#unacked -= bytes;
    if (this.#unacked < RESPONSE_WINDOW) this.#resume();
  }

  /** A refused upgrade is an ordinary response: its head, then its body. */
  #refusedWith(res: IncomingMessage, release: () => void): void {
    this.#refused = true;
    const handler = this.#handler;
    if (!handler.onHeaders(res.statusCode ?? 0, res.rawHeaders, () => res.resume(), res.statusMessage ?? '')) res.pause();
    res.on('data', (chunk: Buffer) => {
      if (!handler.onData(chunk)) res.pause();
    });
    res.on('end', () => {
      handler.onComplete(null);
      release();
    });
    res.on('error', (err) => {
      handler.onError(err);
      release();
    });
  }

  #message(data: Buffer, binary: boolean): void {
    const ex = this.#ex;
    if (ex.done) return;
    ex.receivePiece(data, 0, data.length, MessageFlag.FIN | (binary ? MessageFlag.BINARY : 0));
    this.#unacked += data.length;
    if (this.#unacked >= RESPONSE_WINDOW && !this.#paused) {
      this.#paused = true;
      this.#ws.pause();
    }
    ex.notify();
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#ws.resume();
  }

  #closed(code: number, reason: Buffer): void {
    const ex = this.#ex;
    if (ex.done || this.#refused) return;
    if (!this.opened) this.#handler.onError(this.#error(`The WebSocket to ${ex.request.url} closed before it opened`));
    else if (code === 1006) this.#handler.onError(this.#error(`The WebSocket to the app at ${ex.request.url} was lost without a closing handshake (1006)`));
    else {
      ex.closeCode = code;
      ex.closeReason = reason.toString('utf8');
      this.#handler.onComplete(null);
    }
  }

  /** ws has sent its close frame (1002, 1007, 1009...) by then and finishes the closing on its own. */
  #fail(err: Error): void {
    const code = (err as { code?: string }).code ?? '';
    const url = this.#ex.request.url;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      this.#handler.onError(new BodyTooLarge(`A WebSocket message from the app at ${url} is more than ${this.#maxPayload} bytes (maxPayload); the connection was closed with 1009`, { request: this.#ex.request }));
    } else if (code.startsWith('WS_ERR_')) this.#handler.onError(this.#error(`The app at ${url} broke the WebSocket protocol: ${err.message}`));
    else this.#handler.onError(this.#error(`The WebSocket to the app at ${url} failed: ${err.message}`, err));
  }

  #error(message: string, cause?: Error): RequestException {
    return new ConnectionError(message, { request: this.#ex.request, cause });
  }
}
