/**
 * Content-Encoding decoding: gzip, deflate (zlib-wrapped or raw, told apart
 * by the first bytes), br, zstd, and stacks of them (`Content-Encoding: gzip, br` was gzip
 * first, so br is undone first). Used by the transport workers, and on the main thread by
 * the carrier of an app called in process (src/app/), so it depends on neither side.
 *
 * Memory stays bounded: the decoder's output can be paused (the transport does so when the
 * channel is full), which fills zlib's small buffers and makes `write` return false, which
 * pauses the socket. The decoded size is capped (the request's `maxBodySize`), so a
 * decompression bomb ends in an error, not in an out-of-memory crash. What a server can make
 * the decoder itself spend is bounded too: at most {@link MAX_ENCODING_LAYERS} stacked
 * codings, and zstd frames whose window is at most {@link MAX_ZSTD_WINDOW}.
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type { Decompress as ZstdDecompress } from 'fzstd';
import { supportedEncodings } from '../channel/encodings.js';
import { TransportCode } from '../channel/error-codes.js';

/** Why decoding stopped: the body is malformed, or it decodes to more than allowed. */
export type DecodeFailureCode = typeof TransportCode.CONTENT_DECODING | typeof TransportCode.BODY_TOO_LARGE;

export class DecodeFailure extends Error {
  constructor(
    message: string,
    readonly code: DecodeFailureCode = TransportCode.CONTENT_DECODING,
  ) {
    super(message);
  }
}

/**
 * The most codings undone for one body. Each is a decoder stage with its own buffers; a
 * server listing thousands (`gzip, gzip, …`) would make a small body cost seconds of CPU and
 * hundreds of MiB. urllib3 refuses more than 5 since CVE-2025-66418; so do we.
 */
export const MAX_ENCODING_LAYERS = 5;

/**
 * The largest zstd window accepted: 8 MiB, the limit RFC 9659 sets for the `zstd` content
 * coding (encoders must not need more, decoders must support that much). A frame's header
 * declares the window the decoder must keep, up to terabytes; fzstd allocates it outright
 * and moves all of it for every block, so a header is checked before any decoder sees it.
 */
export const MAX_ZSTD_WINDOW = 8 << 20;

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

/** The stages that undo one coding, first to last. */
type Factory = () => Transform[];

const nativeZstd = (zlib as unknown as { createZstdDecompress?: (options: { params: Record<number, number> }) => Transform }).createZstdDecompress;
// Node's own zstd applies the same window limit itself (the guard in front of it tells why first).
const ZSTD_D_WINDOW_LOG_MAX = (zlib.constants as Record<string, number>).ZSTD_d_windowLogMax!;

const FACTORIES: Record<string, Factory> = {
  gzip: () => [zlib.createGunzip()],
  'x-gzip': () => [zlib.createGunzip()],
  deflate: () => [new DeflateEither()],
  br: () => [zlib.createBrotliDecompress()],
  zstd: () => [
    new ZstdWindowGuard(),
    nativeZstd ? nativeZstd({ params: { [ZSTD_D_WINDOW_LOG_MAX]: Math.log2(MAX_ZSTD_WINDOW) } }) : new FzstdTransform(),
  ],
};


/**
 * A decoder for a Content-Encoding header value, or null when there is nothing to undo.
 * `maxDecodedBytes`: the most the body may decode to (Infinity: no limit).
 * @throws DecodeFailure for an encoding this runtime does not know, or too many of them.
 */
export function createDecoder(contentEncoding: string | null | undefined, options: { maxDecodedBytes: number }): Decoder | null {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return null;
  if (codings.length > MAX_ENCODING_LAYERS) {
    const shown = contentEncoding!.length > 80 ? `${contentEncoding!.slice(0, 80)}…` : contentEncoding!;
    throw new DecodeFailure(`the body is encoded ${codings.length} times over (Content-Encoding: ${shown}); at most ${MAX_ENCODING_LAYERS} codings are undone`);
  }
  // Every coding is known before any stage is built.
  for (const c of codings) {
    if (!FACTORIES[c]) throw new DecodeFailure(`unsupported Content-Encoding ${JSON.stringify(c)} (this runtime decodes ${supportedEncodings().join(', ')})`);
  }
  const stages = codings.reverse().flatMap((c) => FACTORIES[c]!().map((stream) => ({ name: c, stream })));
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
      if (this.#decoded > this.#max) {
        this.#fail(`the body decodes to more than ${this.#max} bytes (Content-Encoding: ${this.#label}), over its maxBodySize`, TransportCode.BODY_TOO_LARGE);
      }
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

  #fail(message: string, code?: DecodeFailureCode): void {
    if (this.#failed) return;
    this.#failed = true;
    this.destroy();
    this.#onError?.(new DecodeFailure(message, code));
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

let fzstd: typeof import('fzstd') | null = null;
function loadFzstd(): typeof import('fzstd') {
  return (fzstd ??= createRequire(import.meta.url)('fzstd') as typeof import('fzstd'));
}

/**
 * zstd for runtimes whose zlib has none (Node 20), on the fzstd package. fzstd moves its
 * whole window for every block, so a run of tiny blocks costs far more than its size: the
 * guard in front hands it at most {@link BLOCKS_PER_PIECE} blocks at a time, and each piece
 * yields to the event loop, so other requests of the worker go on meanwhile.
 */
class FzstdTransform extends Transform {
  // Loaded with the first zstd body: a worker that never sees one does not pay for it at start.
  readonly #d: ZstdDecompress = new (loadFzstd().Decompress)();
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
      setImmediate(done);
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

/** How many zstd blocks the guard passes on in one piece (see FzstdTransform). */
const BLOCKS_PER_PIECE = 16;
const ZSTD_MAGIC = 0xfd2fb528;

/**
 * Walks a zstd body frame by frame and block by block (RFC 8878 §3.1) without decoding it,
 * and refuses a frame whose window exceeds {@link MAX_ZSTD_WINDOW} before the decoder sees
 * its header. Bytes pass through unchanged, cut into pieces of at most
 * {@link BLOCKS_PER_PIECE} blocks and at the end of every frame (Node's own zstd stream
 * drops whatever follows a frame's end in the same write); an incomplete header is held
 * back until it is whole.
 */
class ZstdWindowGuard extends Transform {
  #held: Buffer | null = null;
  /** Bytes that pass unread before the next header: block content, a checksum, a skippable frame. */
  #skip = 0;
  /** Inside a frame the next header is a block's. */
  #inFrame = false;
  #checksum = false;
  /** A frame (zstd or skippable) has begun and its end has not been cut at yet. */
  #frameOpen = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = this.#held ? Buffer.concat([this.#held, chunk]) : chunk;
    this.#held = null;
    let from = 0;
    let at = 0;
    let blocks = 0;
    try {
      while (at < buf.length) {
        if (this.#frameOpen && this.#skip === 0 && !this.#inFrame) {
          if (at > from) this.push(buf.subarray(from, at));
          from = at;
          blocks = 0;
          this.#frameOpen = false;
        }
        if (this.#skip > 0) {
          const n = Math.min(this.#skip, buf.length - at);
          at += n;
          this.#skip -= n;
          continue;
        }
        if (this.#inFrame) {
          if (buf.length - at < 3) break;
          const header = buf.readUIntLE(at, 3);
          const type = (header >> 1) & 3;
          if (type === 3) throw new Error('a zstd block has the reserved type 3');
          at += 3;
          this.#skip = type === 1 ? 1 : header >>> 3; // an RLE block is one byte on the wire
          if (header & 1) {
            this.#inFrame = false;
            if (this.#checksum) this.#skip += 4;
          }
          if (++blocks === BLOCKS_PER_PIECE) {
            this.push(buf.subarray(from, at));
            from = at;
            blocks = 0;
          }
          continue;
        }
        const frame = readFrameHeader(buf, at);
        if (frame === null) break;
        at += frame.headerBytes;
        this.#skip = frame.skip;
        this.#inFrame = frame.window !== null;
        this.#checksum = frame.checksum;
        this.#frameOpen = true;
      }
    } catch (err) {
      done(err as Error);
      return;
    }
    if (at < buf.length) this.#held = buf.subarray(at);
    if (at > from) this.push(buf.subarray(from, at));
    done();
  }

  override _flush(done: TransformCallback): void {
    // A header cut short: the decoder reports the truncation.
    if (this.#held) this.push(this.#held);
    done();
  }
}

interface FrameHeader {
  headerBytes: number;
  /** The window a zstd frame needs; null for a skippable frame. */
  window: number | null;
  checksum: boolean;
  /** Bytes after the header to pass unread (a skippable frame's content). */
  skip: number;
}

/**
 * The frame header at `at` (RFC 8878 §3.1.1), or null when it is not all there yet.
 * @throws for something that is not a zstd frame, or a window over the limit.
 */
function readFrameHeader(buf: Buffer, at: number): FrameHeader | null {
  const left = buf.length - at;
  if (left < 4) return null;
  const magic = buf.readUInt32LE(at);
  if (magic >>> 4 === 0x184d2a5) {
    // Skippable frame: a 4-byte size, then that much data no decoder reads.
    return left < 8 ? null : { headerBytes: 8, window: null, checksum: false, skip: buf.readUInt32LE(at + 4) };
  }
  if (magic !== ZSTD_MAGIC) throw new Error(`not a zstd frame (magic number 0x${magic.toString(16).padStart(8, '0')})`);
  if (left < 5) return null;
  const descriptor = buf[at + 4]!;
  const singleSegment = (descriptor & 0x20) !== 0;
  const sizeFlag = descriptor >> 6;
  const contentSizeBytes = sizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << sizeFlag;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3]!;
  const headerBytes = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
  if (left < headerBytes) return null;
  let window: number;
  if (singleSegment) {
    // The window is the whole content, whose size ends the header.
    window = 0;
    for (let i = headerBytes - 1; i >= headerBytes - contentSizeBytes; i--) window = window * 256 + buf[at + i]!;
    if (contentSizeBytes === 2) window += 256;
  } else {
    const wd = buf[at + 5]!;
    const base = 2 ** (10 + (wd >> 3));
    window = base + (base / 8) * (wd & 7);
  }
  if (window > MAX_ZSTD_WINDOW) {
    throw new Error(`the zstd frame declares a window of ${window} bytes (${mib(window)}); at most ${MAX_ZSTD_WINDOW} bytes (${mib(MAX_ZSTD_WINDOW)}) are accepted`);
  }
  return { headerBytes, window, checksum: (descriptor & 4) !== 0, skip: 0 };
}

function mib(bytes: number): string {
  return `${+(bytes / 2 ** 20).toFixed(2)} MiB`;
}
