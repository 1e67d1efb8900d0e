/**
 * The response of the synchronous API, and of the async API without `stream`: the body is
 * read by blocking (or is already in).
 */
import { deserialize } from 'node:v8';
import { InvalidOption, JSONDecodeError } from '../errors.js';
import { BaseResponse } from './base-response.js';
import { LineSplitter, Rechunker } from './chunking.js';
import { decodeJsonText } from './text.js';
import type { SyncExtension } from '../extensions/extension.js';
import { syncExtensionOf } from '../extensions/extension-of.js';

export class Response extends BaseResponse {
  #extension: SyncExtension | null | undefined = undefined;

  /**
   * The WebSocket (`ws://`, `wss://`, `ws+unix://`, `wss+rfc8441://`) or event stream
   * (`sse://`, `psse://`, `psse+unix://`) this response opened; null for any other response,
   * a refused upgrade (a 403, say) included.
   *
   * @example
   * ```ts
   * const r = s.get('wss://echo.example/');
   * if (r.extension?.kind === 'websocket') r.extension.sendPayload('hello');
   * ```
   */
  get extension(): SyncExtension | null {
    if (this.#extension === undefined) this.#extension = (this.s.source.exchange.attached as SyncExtension | null) ?? syncExtensionOf(this.s.source);
    return this.#extension;
  }

  #raw: { read(n?: number): Buffer } | null = null;

  /** The body as bytes, decoded from its Content-Encoding. */
  get content(): Buffer {
    return this.s.source.readAllSync();
  }

  /**
   * What the request's `processor` returned for this response (run in the transport worker
   * on the decoded body). Only for a request made with a processor.
   * @throws InvalidOption when the request had no processor.
   */
  get result(): unknown {
    if (!this.s.processed) throw new InvalidOption(`The request for ${this.url} had no processor: it has no result (read content, text or json instead)`, { request: this.request, response: this });
    return deserialize(this.content);
  }

  /** The body as text in {@link encoding}. */
  get text(): string | null {
    return this.textOf(this.content);
  }

  /**
   * The body parsed as JSON.
   * @throws JSONDecodeError when the body is empty or not JSON.
   */
  json<T = unknown>(): T {
    try {
      return JSON.parse(decodeJsonText(this.content)) as T;
    } catch (err) {
      throw new JSONDecodeError(`Response from ${this.url} is not valid JSON: ${(err as Error).message}`, {
        request: this.request,
        response: this,
        cause: err,
      });
    }
  }

  /**
   * The body in chunks as it arrives (with `stream: true`), blocking for each.
   * @param chunkSize bytes per chunk; `null` yields chunks as they arrive.
   * @param decodeUnicode yield strings decoded with {@link encoding}.
   * @example
   * ```ts
   * for (const chunk of s.get(url, { stream: true }).iterContent(65_536)) fs.writeSync(fd, chunk); // chunk: Buffer
   * ```
   */
  iterContent(chunkSize?: number | null, decodeUnicode?: false): Generator<Buffer>;
  iterContent(chunkSize: number | null, decodeUnicode: true): Generator<string>;
  iterContent(chunkSize?: number | null, decodeUnicode?: boolean): Generator<Buffer | string>;
  *iterContent(chunkSize: number | null = 1, decodeUnicode = false): Generator<Buffer | string> {
    const source = this.s.source;
    const rechunker = new Rechunker(chunkSize, decodeUnicode ? (this.encoding ?? 'utf-8') : null);
    for (let chunk = source.nextChunkSync(); chunk !== null; chunk = source.nextChunkSync()) yield* rechunker.push(chunk);
    yield* rechunker.end();
  }

  /**
   * The body as received, undecoded (gzip stays gzip), for a `stream: true` response that
   * has not been read otherwise. `read(n)` blocks for up to `n` bytes; an empty Buffer at the end.
   */
  get raw(): { read(n?: number): Buffer } {
    // One reader per response: its leftover bytes must survive between reads.
    if (this.#raw) return this.#raw;
    const source = this.s.source;
    let pending: Buffer = Buffer.alloc(0);
    return (this.#raw = {
      read(n = Infinity): Buffer {
        while (pending.length < n) {
          const chunk = source.nextChunkSync(true);
          if (chunk === null) break;
          pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        }
        const out = pending.subarray(0, Math.min(n, pending.length));
        pending = pending.subarray(out.length);
        return out;
      },
    });
  }

  /** The body line by line (with `stream: true`); lines split across chunks are joined. Strings with `decodeUnicode: true`. */
  iterLines(options: { decodeUnicode: true; delimiter?: string }): Generator<string>;
  iterLines(options?: { decodeUnicode?: false; delimiter?: string }): Generator<Buffer>;
  iterLines(options?: { decodeUnicode?: boolean; delimiter?: string }): Generator<string | Buffer>;
  *iterLines(options: { decodeUnicode?: boolean; delimiter?: string } = {}): Generator<string | Buffer> {
    const splitter = new LineSplitter(options.delimiter, options.decodeUnicode ? (this.encoding ?? 'utf-8') : null);
    for (const chunk of this.iterContent(null, false)) yield* splitter.push(chunk);
    yield* splitter.end();
  }

  /** Releases the connection; an unread body is abandoned. */
  close(): void {
    this.settledState?.source.close();
  }
}
