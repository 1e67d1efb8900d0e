/**
 * `r.extension` of an event stream (`sse://`, `psse://`, `psse+unix://`), for the sync and
 * the async API. On the wire it is an ordinary streamed response (any method, HTTP/1.1 or
 * HTTP/2, redirects followed first); here its body is cut into events (sse-events.ts). The
 * body's window bounds what the worker holds for a slow reader; `close()` cancels the
 * request, which closes the connection (or resets the HTTP/2 stream) rather than reading
 * the stream to its end.
 *
 * @example
 * ```ts
 * const r = s.get('sse://events.example/feed');
 * const events = r.extension as SyncServerSentEvents;
 * for (const e of events) console.log(e.event, e.data);
 * ```
 */
import type { BodySource } from '../response/body-source.js';
import type { AsyncServerSentEvents, NextPayloadOptions, ServerSentEvent, SyncServerSentEvents } from './extension.js';
import { SseEvents } from './sse-events.js';
import { waitAsync, waitSync } from './reader-wait.js';

abstract class ServerSentEventsBase {
  readonly kind = 'sse' as const;
  protected readonly source: BodySource;
  protected readonly events = new SseEvents();
  protected ended = false;
  protected closedByUser = false;

  constructor(source: BodySource) {
    this.source = source;
    source.openWindow();
  }

  get closed(): boolean {
    return this.closedByUser || this.ended || this.source.exchange.done;
  }

  get lastEventId(): string | null {
    return this.events.lastEventId;
  }

  protected readonly hasChunk = (): boolean => this.source.exchange.chunks.length > 0;

  /** The next whole event if there is one; null when more must arrive or the stream is over. */
  protected nextReady(raw: boolean): ServerSentEvent | string | null {
    return this.closedByUser ? null : this.events.next(raw);
  }

  /** Feeds what arrived; null: the stream ended. */
  protected feed(chunk: Buffer | null): void {
    if (chunk === null) {
      this.events.end();
      this.ended = true;
    } else this.events.push(chunk);
  }

  protected get over(): boolean {
    return this.closedByUser || this.ended;
  }
}

/** An event stream of the synchronous API; see {@link SyncServerSentEvents}. */
export class SyncServerSentEventsExtension extends ServerSentEventsBase implements SyncServerSentEvents {
  nextPayload(options?: { raw?: false }): ServerSentEvent | null;
  nextPayload(options: { raw: true }): string | null;
  nextPayload(options?: NextPayloadOptions): ServerSentEvent | string | null;
  nextPayload(options: NextPayloadOptions = {}): ServerSentEvent | string | null {
    const raw = options.raw === true;
    for (;;) {
      const event = this.nextReady(raw);
      if (event !== null || this.over) return event;
      waitSync(this.source.driver, this.source.exchange, this.hasChunk, 'event');
      this.feed(this.source.nextChunkSync());
    }
  }

  close(): void {
    if (this.closedByUser) return;
    this.closedByUser = true;
    this.source.close();
  }

  *[Symbol.iterator](): Iterator<ServerSentEvent> {
    for (let e = this.nextPayload(); e !== null; e = this.nextPayload()) yield e;
  }
}

/** An event stream of the async API; see {@link AsyncServerSentEvents}. */
export class AsyncServerSentEventsExtension extends ServerSentEventsBase implements AsyncServerSentEvents {
  async nextPayload(options?: { raw?: false }): Promise<ServerSentEvent | null>;
  async nextPayload(options: { raw: true }): Promise<string | null>;
  async nextPayload(options?: NextPayloadOptions): Promise<ServerSentEvent | string | null>;
  async nextPayload(options: NextPayloadOptions = {}): Promise<ServerSentEvent | string | null> {
    const raw = options.raw === true;
    for (;;) {
      const event = this.nextReady(raw);
      if (event !== null || this.over) return event;
      await waitAsync(this.source.exchange, this.hasChunk, 'event');
      this.feed(await this.source.nextChunk());
    }
  }

  async close(): Promise<void> {
    if (this.closedByUser) return;
    this.closedByUser = true;
    this.source.close();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ServerSentEvent> {
    for (let e = await this.nextPayload(); e !== null; e = await this.nextPayload()) yield e;
  }
}
