/**
 * A `text/event-stream` cut into events, for any transport: text goes in as it arrives,
 * whole events come out, either as their raw text or parsed (by `eventsource-parser`) into
 * {@link ServerSentEvent}s. No Node import, so a browser build shares it.
 *
 * @example
 * ```ts
 * const events = new SseEvents();
 * events.push(new TextEncoder().encode('id: 7\ndata: {"n":1}\n\n'));
 * events.next(false); // ServerSentEvent { id: '7', event: 'message', data: '{"n":1}' }
 * ```
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';
import { ServerSentEvent } from './extension.js';

export class SseEvents {
  readonly #decoder = new TextDecoder('utf-8');
  /** Whole events not yet taken, as raw text (lines joined with `\n`). */
  readonly #ready: string[] = [];
  /** The lines of the event being received. */
  #lines: string[] = [];
  /** Text after the last line break. */
  #partial = '';
  /** The previous chunk ended in `\r`: a `\n` starting the next one belongs to that break. */
  #afterCr = false;
  #lastEventId: string | null = null;
  #parsed: ServerSentEvent | null = null;
  #retry: number | null = null;
  readonly #parser: EventSourceParser;

  constructor() {
    this.#parser = createParser({
      // The last id is kept by #noteId: the standard keeps it from blocks that dispatch
      // nothing too, which the parser forgets.
      onEvent: (e) => {
        this.#parsed = new ServerSentEvent({ id: this.#lastEventId, event: e.event, data: e.data, retry: this.#retry });
      },
      onRetry: (ms) => {
        this.#retry = ms;
      },
    });
  }

  /** The last id the stream set (an event's own, or one sent alone), for `Last-Event-ID`. */
  get lastEventId(): string | null {
    return this.#lastEventId;
  }

  /** Whether a whole event is waiting. */
  get hasEvent(): boolean {
    return this.#ready.length > 0;
  }

  /** Feeds bytes of the stream (UTF-8, possibly cut anywhere). */
  push(bytes: Uint8Array): void {
    this.#split(this.#decoder.decode(bytes, { stream: true }));
  }

  /** The stream ended: an event not closed by a blank line is dropped, as the standard says. */
  end(): void {
    this.#split(this.#decoder.decode());
    this.#lines = [];
    this.#partial = '';
  }

  /**
   * The next event, raw or parsed; null when none is whole yet. Parsed, a block that
   * dispatches nothing (a comment, an `id` or `retry` alone) is read for its fields and
   * skipped, as an EventSource does.
   */
  next(raw: true): string | null;
  next(raw: false): ServerSentEvent | null;
  next(raw: boolean): string | ServerSentEvent | null;
  next(raw: boolean): string | ServerSentEvent | null {
    while (this.#ready.length > 0) {
      const text = this.#ready.shift()!;
      this.#noteId(text);
      if (raw) return text;
      this.#retry = null;
      this.#parsed = null;
      this.#parser.feed(`${text}\n\n`);
      if (this.#parsed !== null) return this.#parsed;
    }
    return null;
  }

  /** The `id` field of a block, if it has one, becomes the last event id (raw reads included: a resume must not replay what was read). */
  #noteId(text: string): void {
    for (const line of text.split('\n')) {
      if (line === 'id' || line.startsWith('id:')) {
        const value = line.slice(3).replace(/^ /, '');
        if (!value.includes('\0')) this.#lastEventId = value;
      }
    }
  }

  #split(text: string): void {
    let at = 0;
    if (this.#afterCr && text.startsWith('\n')) at = 1;
    this.#afterCr = false;
    for (;;) {
      const lf = text.indexOf('\n', at);
      const cr = text.indexOf('\r', at);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      const line = this.#partial + text.slice(at, end);
      this.#partial = '';
      if (line === '') {
        if (this.#lines.length > 0) this.#ready.push(this.#lines.join('\n'));
        this.#lines = [];
      } else this.#lines.push(line);
      at = end + 1;
      if (text[end] === '\r') {
        if (at === text.length) this.#afterCr = true;
        else if (text[at] === '\n') at++;
      }
    }
    this.#partial += text.slice(at);
  }
}
