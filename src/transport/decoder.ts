/**
 * Content-Encoding decoding, in the worker: gzip, deflate (zlib-wrapped or raw, told apart
 * by the first bytes), br, zstd, and stacks of them (`Content-Encoding: gzip, br` was gzip
 * first, so br is undone first).
 *
 * Memory stays bounded: the decoder's output can be paused (the transport does so when the
 * channel is full), which fills zlib's small buffers and makes `write` return false, which
 * pauses the socket. And the decoded size is capped ({@link DEFAULT_MAX_DECODED_BYTES}), so
 * a decompression bomb ends in an error, not in an out-of-memory crash.
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { supportedEncodings } from '../channel/encodings.js';

/**
 * The most a single body may decode to: 1 GiB. A response that inflates past it fails with
 * `ContentDecodingError`; the whole body would otherwise be held by a reader of `content`.
 */
export const DEFAULT_MAX_DECODED_BYTES = 1 << 30;

export class DecodeFailure extends Error {
  readonly code = 'NQ_ERR_CONTENT_DECODING';
}

export interface Decoder {
  /** Feeds raw body bytes; false means "stop feeding until 'drain'". */
  write(chunk: Uint8Array): boolean;
  end(): void;
  destroy(): void;
  /** Stops/starts the output (the input backs up behind it). */
  pause(): void;
  resume(): void;
  on(event: 'data', fn: (chunk: Buffer) => void): this;
  on(event: 'end' | 'drain', fn: () => void): this;
  on(event: 'error', fn: (err: DecodeFailure) => void): this;
}

type Factory = () => Transform;

const nativeZstd = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;

const FACTORIES: Record<string, Factory> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => new DeflateEither(),
  br: () => zlib.createBrotliDecompress(),
  zstd: () => (nativeZstd ? nativeZstd() : new FzstdTransform()),
};


/**
 * A decoder for a Content-Encoding header value, or null when there is nothing to undo.
 * @throws DecodeFailure for an encoding this runtime does not know.
 */
export function createDecoder(contentEncoding: string | null | undefined, options: { maxDecodedBytes: number }): Decoder | null {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return null;
  const stages = codings.reverse().map((c) => {
    const make = FACTORIES[c];
    if (!make) throw new DecodeFailure(`unsupported Content-Encoding ${JSON.stringify(c)} (this runtime decodes ${supportedEncodings().join(', ')})`);
    return { name: c, stream: make() };
  });
  return new StackDecoder(stages, options.maxDecodedBytes, contentEncoding!);
}

class StackDecoder implements Decoder {
  readonly #stages: Array<{ name: string; stream: Transform }>;
  readonly #first: Transform;
  readonly #last: Transform;
  readonly #max: number;
  readonly #label: string;
  #decoded = 0;
  #failed = false;
  #onError: ((err: DecodeFailure) => void) | null = null;

  constructor(stages: Array<{ name: string; stream: Transform }>, max: number, label: string) {
    this.#stages = stages;
    this.#first = stages[0]!.stream;
    this.#last = stages[stages.length - 1]!.stream;
    this.#max = max;
    this.#label = label;
    for (let i = 0; i < stages.length; i++) {
      const { name, stream } = stages[i]!;
      stream.on('error', (err: Error) => this.#fail(`cannot decode the ${name} body (Content-Encoding: ${this.#label}): ${err.message}`));
      if (i + 1 < stages.length) stream.pipe(stages[i + 1]!.stream);
    }
    this.#last.on('data', (chunk: Buffer) => {
      this.#decoded += chunk.length;
      if (this.#decoded > this.#max) this.#fail(`the body decodes to more than ${this.#max} bytes (Content-Encoding: ${this.#label}); refusing it as a likely decompression bomb`);
    });
  }

  write(chunk: Uint8Array): boolean {
    if (this.#failed) return true;
    return this.#first.write(chunk);
  }

  end(): void {
    if (!this.#failed) this.#first.end();
  }

  destroy(): void {
    for (const { stream } of this.#stages) stream.destroy();
  }

  pause(): void {
    this.#last.pause();
  }

  resume(): void {
    this.#last.resume();
  }

  on(event: 'data' | 'end' | 'drain' | 'error', fn: (...args: any[]) => void): this {
    if (event === 'error') this.#onError = fn;
    else if (event === 'drain') this.#first.on('drain', fn);
    else if (event === 'data') this.#last.on('data', (chunk: Buffer) => !this.#failed && fn(chunk));
    else this.#last.on('end', () => !this.#failed && fn());
    return this;
  }

  #fail(message: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.destroy();
    this.#onError?.(new DecodeFailure(message));
  }
}

/**
 * `deflate` as servers send it: RFC 1950 (zlib-wrapped) as the standard says, or raw RFC
 * 1951 as some servers do. The first two bytes tell: a zlib header has method 8 and a
 * checksum that makes it a multiple of 31.
 */
class DeflateEither extends Transform {
  #inner: Transform | null = null;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.#inner) {
      const wrapped = chunk.length >= 2 && (chunk[0]! & 0x0f) === 8 && ((chunk[0]! << 8) | chunk[1]!) % 31 === 0;
      const inner = wrapped ? zlib.createInflate() : zlib.createInflateRaw();
      // Output waits when our reader does: the inner stream pauses, its input backs up.
      inner.on('data', (c: Buffer) => {
        if (!this.push(c)) inner.pause();
      });
      inner.on('error', (e) => this.destroy(e));
      this.#inner = inner;
    }
    this.#inner.write(chunk, () => done());
  }

  override _read(size: number): void {
    super._read(size);
    this.#inner?.resume();
  }

  override _flush(done: TransformCallback): void {
    if (!this.#inner) return done();
    this.#inner.once('end', () => done());
    this.#inner.end();
  }
}

/** zstd for runtimes whose zlib has none (Node 20), on the fzstd package. */
class FzstdTransform extends Transform {
  readonly #d = new ZstdDecompress();
  #ended = false;

  constructor() {
    super();
    this.#d.ondata = (chunk, final) => {
      this.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (final) this.#ended = true;
    };
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.#d.push(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.#ended) this.#d.push(new Uint8Array(0), true);
      done(this.#ended ? null : new Error('unexpected end of data'));
    } catch (err) {
      done(err as Error);
    }
  }
}
