/**
 * WebSocket in the browser, on the native `WebSocket`: `get('wss://…')` gives a response with
 * status 101 and `r.extension`, a {@link WebSocketExtension}. In an `AsyncSession` the socket
 * lives in the calling thread; behind a sync `Session` it lives in the helper worker and its
 * messages cross the same ring as response bodies (see sync-carrier.ts).
 *
 * @example
 * ```ts
 * const r = await new AsyncSession().get('wss://echo.example.test/');
 * await r.extension.sendPayload('hello');
 * for await (const message of r.extension) console.log(message);
 * ```
 */
import { BrowserUnsupported, ConnectionError } from '../errors.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import type { WireHead } from './fetch-call.js';
import { StreamExtension, type NextOptions, type Wait } from './stream-extension.js';

/** What an extension sends through: the socket itself, or messages to the helper that holds it. */
export interface WebSocketLink {
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type Payload = string | Uint8Array;

export class WebSocketExtension extends StreamExtension<Payload> {
  readonly kind = 'websocket';
  #closeCode: number | null = null;
  #closeReason = '';
  readonly #link: WebSocketLink;
  #closing = false;

  constructor(request: PreparedRequest, readTimeout: number, wait: Wait | null, link: WebSocketLink) {
    super(request, readTimeout, wait);
    this.#link = link;
  }

  /** The close code the peer sent (null while open; 1005 when it sent none, 1006 when the connection dropped). */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  get closeReason(): string {
    return this.#closeReason;
  }

  /** @internal The socket closed with this code and reason. */
  closedWith(close: { code: number; reason: string }): void {
    this.#closeCode = close.code;
    this.#closeReason = close.reason;
  }

  /** The next message: a string (text) or bytes (binary); null once the socket closed. */
  nextPayload(options?: NextOptions): Payload | null | Promise<Payload | null> {
    return this.next(options);
  }

  /** Sends a text (string) or binary (bytes) message. */
  sendPayload(data: string | Uint8Array): void | Promise<void> {
    if (this.#closing || this.closed) {
      const error = new ConnectionError(`Cannot send on the WebSocket to ${this.request.url}: it is closed`, { request: this.request });
      if (this.wait === null) return Promise.reject(error);
      throw error;
    }
    this.#link.send(data);
    return this.wait === null ? Promise.resolve() : undefined;
  }

  /** The browser answers the server's pings itself and offers no way to send one: this does nothing. */
  ping(): void | Promise<void> {
    return this.wait === null ? Promise.resolve() : undefined;
  }

  /** Closes the socket with `code` (1000 by default) and `reason`. */
  close(code = 1000, reason = ''): void | Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#link.close(code, reason);
    }
    return this.wait === null ? Promise.resolve() : undefined;
  }

  *[Symbol.iterator](): Iterator<Payload> {
    if (this.wait === null) throw new BrowserUnsupported('This WebSocket belongs to an AsyncSession: iterate it with for await');
    for (let m = this.nextPayload(); m !== null; m = this.nextPayload()) yield m as Payload;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Payload> {
    for (let m = await this.nextPayload(); m !== null; m = await this.nextPayload()) yield m;
  }
}

/** What a socket's owner reports (in this thread or in the helper). */
export interface SocketEvents {
  opened(head: WireHead): void;
  message(data: string | Uint8Array): void;
  closed(code: number, reason: string): void;
  failed(message: string): void;
}

/** Opens a native WebSocket for `url` (ws: or wss:) and reports what happens to it. */
export function openSocket(url: string, protocols: string[], events: SocketEvents): WebSocketLink {
  const ws = new WebSocket(url, protocols);
  ws.binaryType = 'arraybuffer';
  let open = false;
  ws.onopen = () => {
    open = true;
    const headers: Array<[string, string]> = [];
    if (ws.protocol) headers.push(['sec-websocket-protocol', ws.protocol]);
    if (ws.extensions) headers.push(['sec-websocket-extensions', ws.extensions]);
    events.opened({ status: 101, statusText: 'Switching Protocols', headers, url });
  };
  ws.onmessage = (e: MessageEvent) => events.message(typeof e.data === 'string' ? e.data : new Uint8Array(e.data as ArrayBuffer));
  ws.onclose = (e: { code: number; reason: string }) => {
    if (open) events.closed(e.code, e.reason);
    else {
      events.failed(
        `Could not open the WebSocket to ${url}: the browser refused it or could not reach the server (close code ${e.code}). ` +
          'The browser does not tell why: a network or TLS failure, or an upgrade the server denied',
      );
    }
  };
  return {
    send: (data) => ws.send(data),
    close: (code, reason) => ws.close(code, reason),
  };
}
