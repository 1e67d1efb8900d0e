/**
 * The response of an `AsyncSession` request made with `stream: true`: the head is in, the
 * body is read by awaiting.
 *
 * @example
 * ```ts
 * const r = await s.get(url, { stream: true });
 * for await (const chunk of r.iterContent(64 * 1024)) process(chunk);
 * ```
 */
import { JSONDecodeError } from '../errors.js';
import { BaseResponse } from './base-response.js';
import { LineSplitter, Rechunker } from './chunking.js';
import { decodeJsonText } from './text.js';
import type { AsyncExtension } from '../extensions/extension.js';
import { asyncExtensionOf } from '../extensions/extension-of.js';

export class AsyncResponse extends BaseResponse {
  #extension: AsyncExtension | null | undefined = undefined;

  /**
   * The WebSocket (`ws://`, `wss://`, `ws+unix://`, `wss+rfc8441://`) or event stream
   * (`sse://`, `psse://`, `psse+unix://`) this response opened; null for any other response,
   * a refused upgrade (a 403, say) included.
   *
   * @example
   * ```ts
   * const r = await s.get('wss://echo.example/');
   * if (r.extension?.kind === 'websocket') r.extension.sendPayload('hello');
   * ```
   */
  get extension(): AsyncExtension | null {
    if (this.#extension === undefined) this.#extension = (this.s.source.exchange.attached as AsyncExtension | null) ?? asyncExtensionOf(this.s.source);
    return this.#extension;
  }

  #raw: { read(n?: number): Promise<Buffer> } | null = null;

  /** The whole body, decoded from its Content-Encoding. */
  async content(): Promise<Buffer> {
    return this.s.source.readAll();
  }

  /** The whole body as text in {@link encoding}. */
  async text(): Promise<string | null> {
    return this.textOf(await this.content());
  }

  /** The whole body parsed as JSON; throws `JSONDecodeError`. */
  async json<T = unknown>(): Promise<T> {
    const body = await this.content();
    try {
      return JSON.parse(decodeJsonText(body)) as T;
    } catch (err) {
      throw new JSONDecodeError(`Response from ${this.url} is not valid JSON: ${(err as Error).message}`, { request: this.request, response: this, cause: err });
    }
  }

  /**
   * The body in chunks of `chunkSize` bytes (`null`: as they arrive): Buffers, or strings
   * decoded with {@link encoding} when `decodeUnicode` is true.
   * @example
   * ```ts
   * for await (const chunk of r.iterContent(65_536)) file.write(chunk); // chunk: Buffer
   * ```
   */
  iterContent(chunkSize?: number | null, decodeUnicode?: false): AsyncGenerator<Buffer>;
  iterContent(chunkSize: number | null, decodeUnicode: true): AsyncGenerator<string>;
  iterContent(chunkSize?: number | null, decodeUnicode?: boolean): AsyncGenerator<Buffer | string>;
  async *iterContent(chunkSize: number | null = 1, decodeUnicode = false): AsyncGenerator<Buffer | string> {
    const source = this.s.source;
    const rechunker = new Rechunker(chunkSize, decodeUnicode ? (this.encoding ?? 'utf-8') : null);
    for (let chunk = await source.nextChunk(); chunk !== null; chunk = await source.nextChunk()) yield* rechunker.push(chunk);
    yield* rechunker.end();
  }

  /** The body as received, undecoded; `await r.raw.read(n)`. See {@link Response.raw}. */
  get raw(): { read(n?: number): Promise<Buffer> } {
    // One reader per response: its leftover bytes must survive between reads.
    if (this.#raw) return this.#raw;
    const source = this.s.source;
    let pending: Buffer = Buffer.alloc(0);
    return (this.#raw = {
      async read(n = Infinity): Promise<Buffer> {
        while (pending.length < n) {
          const chunk = await source.nextChunk(true);
          if (chunk === null) break;
          pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        }
        const out = pending.subarray(0, Math.min(n, pending.length));
        pending = pending.subarray(out.length);
        return out;
      },
    });
  }

  /** The body line by line: Buffers, or strings with `decodeUnicode: true`. */
  iterLines(options: { decodeUnicode: true; delimiter?: string }): AsyncGenerator<string>;
  iterLines(options?: { decodeUnicode?: false; delimiter?: string }): AsyncGenerator<Buffer>;
  iterLines(options?: { decodeUnicode?: boolean; delimiter?: string }): AsyncGenerator<string | Buffer>;
  async *iterLines(options: { decodeUnicode?: boolean; delimiter?: string } = {}): AsyncGenerator<string | Buffer> {
    const splitter = new LineSplitter(options.delimiter, options.decodeUnicode ? (this.encoding ?? 'utf-8') : null);
    for await (const chunk of this.iterContent(null, false)) yield* splitter.push(chunk);
    yield* splitter.end();
  }

  /** Releases the connection; an unread body is abandoned. */
  async close(): Promise<void> {
    this.settledState?.source.close();
  }
}
