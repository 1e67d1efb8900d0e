/**
 * The public shape of `r.extension`: what a response that became a WebSocket or an event
 * stream lets its user do. Only types and the {@link ServerSentEvent} value live here, with
 * no Node import, so that every transport (worker threads, a browser's native WebSocket and
 * fetch-streamed events, an app called in process) can implement the same interfaces.
 *
 * @example
 * ```ts
 * const r = s.get('wss://echo.example/');
 * const ws = r.extension as SyncWebSocket;
 * ws.sendPayload('hello');
 * ws.nextPayload(); // 'hello'
 * ws.close();
 * ```
 */

/**
 * A URL whose response is a WebSocket or an event stream: with such a literal, an
 * `AsyncSession` call is typed as giving an `AsyncResponse` (its `extension` async).
 */
export type ExtensionUrl = `${'ws' | 'wss' | 'ws+unix' | 'wss+rfc8441' | 'sse' | 'psse' | 'psse+unix'}://${string}`;

/** Options of `nextPayload`. */
export interface NextPayloadOptions {
  /** Event streams only: the next event's text as it came (lines joined with `\n`), unparsed. */
  raw?: boolean;
}

/** What a WebSocket message is: text as a string, binary as bytes (a `Buffer` in Node). */
export type WebSocketPayload = string | Uint8Array;

/**
 * One event of a `text/event-stream`.
 *
 * @example
 * ```ts
 * const e = (r.extension as SyncServerSentEvents).nextPayload();
 * if (e !== null && e.event === 'update') console.log(e.id, e.json());
 * ```
 */
export class ServerSentEvent {
  /** The `id` of this event, or the last one the stream set before it; null if none. */
  readonly id: string | null;
  /** The event type (`message` when the server named none). */
  readonly event: string;
  /** The data lines, joined with `\n`. */
  readonly data: string;
  /** The reconnection time (ms) the server asked for in this event, or null. */
  readonly retry: number | null;

  constructor(init: { id: string | null; event?: string | undefined; data: string; retry?: number | null }) {
    this.id = init.id;
    this.event = init.event || 'message';
    this.data = init.data;
    this.retry = init.retry ?? null;
  }

  /** The data parsed as JSON (throws a `SyntaxError` when it is not JSON). */
  json<T = unknown>(): T {
    return JSON.parse(this.data) as T;
  }
}

interface ExtensionBase {
  /** Which protocol the response was upgraded to. */
  readonly kind: 'websocket' | 'sse';
  /** True once the peer or the user closed it; `nextPayload` then returns what is left, then null. */
  readonly closed: boolean;
}

/**
 * A WebSocket for the synchronous API: every call blocks, up to the request's read timeout
 * for `nextPayload` (then `ReadTimeout`, the socket still open and usable).
 */
export interface SyncWebSocket extends ExtensionBase {
  readonly kind: 'websocket';
  /** The next message: a string (text) or bytes (binary); null once the peer closed. */
  nextPayload(options?: NextPayloadOptions): WebSocketPayload | null;
  /** Sends a text (string) or binary (bytes) message; blocks while the server is not reading. */
  sendPayload(payload: string | Uint8Array): void;
  /** Sends a ping (the pong is handled by the transport). */
  ping(data?: string | Uint8Array): void;
  /** Starts the closing handshake (1000 unless told); the peer's messages before it stay readable. */
  close(code?: number, reason?: string): void;
  /** The close code and reason the peer sent (null while open, or when it sent none). */
  readonly closeCode: number | null;
  readonly closeReason: string;
  [Symbol.iterator](): Iterator<WebSocketPayload>;
}

/** A WebSocket for the async API: the same operations, as promises. */
export interface AsyncWebSocket extends ExtensionBase {
  readonly kind: 'websocket';
  nextPayload(options?: NextPayloadOptions): Promise<WebSocketPayload | null>;
  sendPayload(payload: string | Uint8Array): Promise<void>;
  ping(data?: string | Uint8Array): Promise<void>;
  close(code?: number, reason?: string): Promise<void>;
  readonly closeCode: number | null;
  readonly closeReason: string;
  [Symbol.asyncIterator](): AsyncIterator<WebSocketPayload>;
}

/** An event stream for the synchronous API. `close()` closes the connection, unread events are dropped. */
export interface SyncServerSentEvents extends ExtensionBase {
  readonly kind: 'sse';
  /** The next event (or its raw text with `{ raw: true }`); null at the end of the stream. */
  nextPayload(options?: { raw?: false }): ServerSentEvent | null;
  nextPayload(options: { raw: true }): string | null;
  nextPayload(options?: NextPayloadOptions): ServerSentEvent | string | null;
  /** The last event id the stream set: send it as `Last-Event-ID` to resume. */
  readonly lastEventId: string | null;
  close(): void;
  [Symbol.iterator](): Iterator<ServerSentEvent>;
}

/** An event stream for the async API. */
export interface AsyncServerSentEvents extends ExtensionBase {
  readonly kind: 'sse';
  nextPayload(options?: { raw?: false }): Promise<ServerSentEvent | null>;
  nextPayload(options: { raw: true }): Promise<string | null>;
  nextPayload(options?: NextPayloadOptions): Promise<ServerSentEvent | string | null>;
  readonly lastEventId: string | null;
  close(): Promise<void>;
  [Symbol.asyncIterator](): AsyncIterator<ServerSentEvent>;
}

/** `r.extension` of a `Session` response: null for a plain response or a refused upgrade. */
export type SyncExtension = SyncWebSocket | SyncServerSentEvents;
/** `r.extension` of an `AsyncSession` response. */
export type AsyncExtension = AsyncWebSocket | AsyncServerSentEvents;
