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
import { TextDecoder } from 'node:util';
import { JSONDecodeError } from '../errors.js';
import { BaseResponse } from './base-response.js';
import { LineSplitter } from './lines.js';
import { decodeBody } from './text.js';

export class AsyncResponse extends BaseResponse {
  /** The whole body, decoded from its Content-Encoding. */
  async content(): Promise<Buffer> {
    return this.s.source.readAll();
  }

  /** The whole body as text in {@link encoding}. */
  async text(): Promise<string | null> {
    return decodeBody(await this.content(), this.encoding);
  }

  /** The whole body parsed as JSON; throws `JSONDecodeError`. */
  async json<T = unknown>(): Promise<T> {
    const body = await this.content();
    try {
      return JSON.parse(decodeBody(body, this.encoding) ?? body.toString('utf8')) as T;
    } catch (err) {
      throw new JSONDecodeError(`Response from ${this.url} is not valid JSON: ${(err as Error).message}`, { request: this.request, response: this, cause: err });
    }
  }

  /** The body in chunks of `chunkSize` bytes (`null`: as they arrive). */
  async *iterContent(chunkSize: number | null = 1, decodeUnicode = false): AsyncGenerator<Buffer | string> {
    const source = this.s.source;
    const decoder = decodeUnicode ? new TextDecoder(this.encoding ?? 'utf-8') : null;
    let pending: Buffer = Buffer.alloc(0);
    for (;;) {
      const chunk = await source.nextChunk();
      if (chunk === null) break;
      if (chunkSize === null) {
        yield decoder ? decoder.decode(chunk, { stream: true }) : chunk;
        continue;
      }
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= chunkSize) {
        const piece = pending.subarray(0, chunkSize);
        pending = pending.subarray(chunkSize);
        yield decoder ? decoder.decode(piece, { stream: true }) : piece;
      }
    }
    if (pending.length) yield decoder ? decoder.decode(pending, { stream: true }) : pending;
    if (decoder) {
      const tail = decoder.decode();
      if (tail) yield tail;
    }
  }

  /** The body line by line. */
  async *iterLines(options: { decodeUnicode?: boolean; delimiter?: string } = {}): AsyncGenerator<string | Buffer> {
    const splitter = new LineSplitter(options.delimiter, options.decodeUnicode ? (this.encoding ?? 'utf-8') : null);
    for await (const chunk of this.iterContent(null, false)) yield* splitter.push(chunk as Buffer);
    yield* splitter.end();
  }

  /** Releases the connection; an unread body is abandoned. */
  async close(): Promise<void> {
    this.settledState?.source.close();
  }
}
