/**
 * Server-Sent Events in the browser: `get('sse://…')` (https) or `get('psse://…')` (http)
 * streams the body with fetch and gives `r.extension`, an {@link EventStreamExtension} whose
 * `nextPayload()` parses events with `eventsource-parser`. It reads the body only as fast as
 * events are taken (the fetch call's window), so a slow reader holds at most a window.
 *
 * @example
 * ```ts
 * const r = await new AsyncSession().get('sse://events.example.test/feed');
 * for await (const event of r.extension) console.log(event.event, event.json());
 * ```
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { BrowserUnsupported } from '../errors.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import { StreamExtension, type NextOptions, type Wait } from './stream-extension.js';

/** One event of the stream. */
export class ServerSentEvent {
  constructor(
    readonly id: string | null,
    readonly event: string,
    readonly data: string,
    readonly retry: number | null,
  ) {}

  /** The data parsed as JSON. */
  json(): unknown {
    return JSON.parse(this.data);
  }
}

/** An event's block of text (up to its blank line), and its size in bytes for the window. */
interface Block {
  text: string;
  bytes: number;
}

/** The http(s) URL an `sse://` (https) or `psse://` (http) URL is fetched from. */
export function eventStreamUrl(url: string): string {
  return url.replace(/^sse:/i, 'https:').replace(/^psse:/i, 'http:');
}

const BLANK_LINE = /\r\n\r\n|\n\n|\r\r/;

export class EventStreamExtension extends StreamExtension<Block> {
  readonly #decoder = new TextDecoder();
  #pending = '';
  readonly #stop: () => void;
  readonly #credit: (bytes: number) => void;
  readonly #parser: EventSourceParser;
  #parsed: ServerSentEvent | null = null;
  #retry: number | null = null;

  constructor(request: PreparedRequest, readTimeout: number, wait: Wait | null, stop: () => void, credit: (bytes: number) => void) {
    super(request, readTimeout, wait);
    this.#stop = stop;
    this.#credit = credit;
    this.#parser = createParser({
      onEvent: (e) => (this.#parsed = new ServerSentEvent(e.id ?? null, e.event ?? 'message', e.data, this.#retry)),
      onRetry: (ms) => (this.#retry = ms),
    });
  }

  /** @internal Body bytes as fetched: cut into event blocks. */
  push(bytes: Uint8Array): void {
    this.#pending += this.#decoder.decode(bytes, { stream: true });
    let at: RegExpExecArray | null;
    while ((at = BLANK_LINE.exec(this.#pending)) !== null) {
      const text = this.#pending.slice(0, at.index + at[0].length);
      this.#pending = this.#pending.slice(text.length);
      this.deliver({ text, bytes: new TextEncoder().encode(text).length });
    }
  }

  /**
   * The next event, or null at the end of the stream; with `{ raw: true }` the event's text
   * as received (fields and blank line). Blocks in a sync Session, resolves in an AsyncSession.
   */
  nextPayload(options?: NextOptions & { raw?: boolean }): ServerSentEvent | string | null | Promise<ServerSentEvent | string | null> {
    const read = (block: Block | null): ServerSentEvent | string | null => (block === null ? null : options?.raw ? block.text : this.#parse(block.text));
    const skipEmpty = (block: Block | null): ServerSentEvent | string | null | Promise<ServerSentEvent | string | null> => {
      const item = read(block);
      // A block of comments or a lone retry: field is no event; read on.
      if (item !== null || block === null) return item;
      const next = this.next(options);
      return next instanceof Promise ? next.then(skipEmpty) : skipEmpty(next);
    };
    const block = this.next(options);
    return block instanceof Promise ? block.then(skipEmpty) : skipEmpty(block);
  }

  /** Stops the stream: the fetch is aborted, which closes the connection. */
  close(): void | Promise<void> {
    this.#stop();
    this.end();
    return this.wait === null ? Promise.resolve() : undefined;
  }

  protected override taken(block: Block): void {
    this.#credit(block.bytes);
  }

  #parse(text: string): ServerSentEvent | null {
    this.#parsed = null;
    this.#retry = null;
    this.#parser.feed(text);
    return this.#parsed;
  }

  *[Symbol.iterator](): Iterator<ServerSentEvent> {
    if (this.wait === null) throw new BrowserUnsupported('This event stream belongs to an AsyncSession: iterate it with for await');
    for (let e = this.nextPayload(); e !== null; e = this.nextPayload()) yield e as ServerSentEvent;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ServerSentEvent> {
    for (let e = await this.nextPayload(); e !== null; e = await this.nextPayload()) yield e as ServerSentEvent;
  }
}
