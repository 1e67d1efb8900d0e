/**
 * `r.extension` of a response upgraded to a WebSocket, for the sync and the async API: the
 * main thread's end of a socket that lives in a transport worker (transport/
 * websocket-handler.ts), or, for an app called in process, in the app carrier
 * (app/app-websocket.ts). Messages wait in the request's exchange; taking one acknowledges
 * it, which is what lets the socket's holder read more (a reader that stops stops the socket).
 *
 * @example
 * ```ts
 * const r = await s.get('wss://echo.example/');
 * const ws = r.extension as AsyncWebSocket;
 * await ws.sendPayload('hi');
 * for await (const message of ws) console.log(message);
 * ```
 */
import { FrameType } from '../channel/frames.js';
import type { Exchange } from '../engine/exchange.js';
import { ConnectionError, InvalidOption, describe } from '../errors.js';
import type { ExchangeDriver } from '../session/transport-port.js';
import type { AsyncWebSocket, SyncWebSocket, WebSocketPayload } from './extension.js';
import { waitAsync, waitSync } from './reader-wait.js';

/**
 * What a WebSocket asks of the carrier that holds its socket: the engine (a worker's socket,
 * through frames) or the app carrier (an app's, in memory).
 */
export interface WebSocketDriver extends ExchangeDriver {
  /** Sends a WS_PING or WS_CLOSE (`aux`: the close code). */
  control(ex: Exchange, type: number, aux: number, payload: Uint8Array | undefined): void;
  /** Sends a message; false when the socket was closed meanwhile. `sync`: blocks until it went. */
  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: true): boolean;
  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: false): Promise<boolean>;
}

abstract class WebSocketBase {
  readonly kind = 'websocket' as const;
  protected readonly driver: WebSocketDriver;
  protected readonly ex: Exchange;
  /** The user started the closing handshake. */
  protected closing = false;

  constructor(driver: WebSocketDriver, ex: Exchange) {
    this.driver = driver;
    this.ex = ex;
  }

  get closed(): boolean {
    return this.closing || this.ex.done;
  }

  get closeCode(): number | null {
    return this.ex.closeCode;
  }

  get closeReason(): string {
    return this.ex.closeReason;
  }

  protected readonly hasMessage = (): boolean => this.ex.messages.length > 0;

  /** The next message if one is in; null once closed (after the last); throws a failure. */
  protected take(): WebSocketPayload | null {
    const m = this.ex.messages.shift();
    if (m !== undefined) {
      this.driver.credit(this.ex, m.data.length);
      return m.binary ? m.data : m.data.toString('utf8');
    }
    // A close the user asked for ends the stream quietly, even if it was cut short.
    if (this.ex.error !== null && !this.closing) throw this.ex.error;
    return null;
  }

  protected payloadOf(payload: string | Uint8Array): { data: Uint8Array; binary: boolean } {
    if (typeof payload === 'string') return { data: Buffer.from(payload, 'utf8'), binary: false };
    if (payload instanceof Uint8Array) return { data: payload, binary: true };
    throw new InvalidOption(`Invalid WebSocket payload ${describe(payload)}: expected a string (text) or bytes (binary)`);
  }

  protected assertOpen(what: string): void {
    if (this.closed) throw new ConnectionError(`Cannot ${what}: the WebSocket to ${this.ex.request.url} is closed`, { request: this.ex.request });
  }

  protected pingData(data: string | Uint8Array | undefined): Uint8Array {
    const bytes = data === undefined ? new Uint8Array(0) : this.payloadOf(data).data;
    if (bytes.length > 125) throw new InvalidOption(`Invalid ping data: ${bytes.length} bytes; a WebSocket ping carries at most 125`);
    return bytes;
  }

  /** Starts the closing handshake; false if it was closed already. */
  protected startClose(code: number, reason: string): boolean {
    if (!(code === 1000 || (code >= 3000 && code <= 4999)) || !Number.isInteger(code)) {
      throw new InvalidOption(`Invalid close code ${describe(code)}: expected 1000, or 3000 to 4999`);
    }
    const bytes = Buffer.from(reason, 'utf8');
    if (bytes.length > 123) throw new InvalidOption(`Invalid close reason: ${bytes.length} bytes; a WebSocket close reason is at most 123`);
    if (this.closed) return false;
    this.closing = true;
    this.driver.control(this.ex, FrameType.WS_CLOSE, code, bytes);
    return true;
  }
}

/** A WebSocket of the synchronous API; see {@link SyncWebSocket}. */
export class SyncWebSocketExtension extends WebSocketBase implements SyncWebSocket {
  nextPayload(): WebSocketPayload | null {
    waitSync(this.driver, this.ex, this.hasMessage, 'WebSocket message');
    return this.take();
  }

  sendPayload(payload: string | Uint8Array): void {
    const { data, binary } = this.payloadOf(payload);
    this.assertOpen('send');
    if (!this.driver.sendMessage(this.ex, data, binary, true)) this.assertOpen('send');
  }

  ping(data?: string | Uint8Array): void {
    const bytes = this.pingData(data);
    this.assertOpen('ping');
    this.driver.control(this.ex, FrameType.WS_PING, 0, bytes);
  }

  /** Blocks until the peer answers the close (up to the read timeout, then the socket is dropped). */
  close(code = 1000, reason = ''): void {
    if (!this.startClose(code, reason)) return;
    try {
      waitSync(this.driver, this.ex, () => false, 'answer to the close');
    } catch {
      this.driver.cancel(this.ex);
    }
  }

  *[Symbol.iterator](): Iterator<WebSocketPayload> {
    for (let m = this.nextPayload(); m !== null; m = this.nextPayload()) yield m;
  }
}

/** A WebSocket of the async API; see {@link AsyncWebSocket}. */
export class AsyncWebSocketExtension extends WebSocketBase implements AsyncWebSocket {
  async nextPayload(): Promise<WebSocketPayload | null> {
    await waitAsync(this.ex, this.hasMessage, 'WebSocket message');
    return this.take();
  }

  async sendPayload(payload: string | Uint8Array): Promise<void> {
    const { data, binary } = this.payloadOf(payload);
    this.assertOpen('send');
    if (!(await this.driver.sendMessage(this.ex, data, binary, false))) this.assertOpen('send');
  }

  async ping(data?: string | Uint8Array): Promise<void> {
    const bytes = this.pingData(data);
    this.assertOpen('ping');
    this.driver.control(this.ex, FrameType.WS_PING, 0, bytes);
  }

  /** Resolves once the peer answered the close (up to the read timeout, then the socket is dropped). */
  async close(code = 1000, reason = ''): Promise<void> {
    if (!this.startClose(code, reason)) return;
    try {
      await waitAsync(this.ex, () => false, 'answer to the close');
    } catch {
      this.driver.cancel(this.ex);
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WebSocketPayload> {
    for (let m = await this.nextPayload(); m !== null; m = await this.nextPayload()) yield m;
  }
}
