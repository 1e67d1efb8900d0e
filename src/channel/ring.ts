/**
 * A single-producer single-consumer ring of frames in a SharedArrayBuffer.
 *
 * One thread writes, one reads; neither ever allocates on the hot path. Frames are
 * 16-byte aligned so a header can always be read as four u32 words, and a frame never
 * wraps: when it does not fit before the end, the writer fills the rest with a PAD frame
 * and starts over at 0. Head and tail live on separate cache lines so the two threads do
 * not fight over one line.
 *
 * Layout of the buffer (byte offsets):
 * ```
 *   0  head     i32  bytes read so far (mod 2^32), written by the reader
 *  64  tail     i32  bytes written so far (mod 2^32), written by the writer
 * 128  blocked  i32  1 while the writer waits for room (the reader then notifies `head`)
 * 192  data     capacity bytes (a power of two)
 * ```
 * Frame header (four u32 words): total length with padding; type | flags << 8 | padding << 24;
 * stream; aux.
 */
import { FRAME_HEADER_BYTES, FrameType } from './frames.js';

const HEAD = 0;
const TAIL = 16;
const BLOCKED = 32;
const DATA_OFFSET = 192;

/** What a reader is handed for each frame; `bytes[start, start + length)` is the payload. */
export type FrameVisitor = (
  type: number,
  flags: number,
  stream: number,
  aux: number,
  bytes: Buffer,
  start: number,
  length: number,
) => void;

export class Ring {
  readonly sab: SharedArrayBuffer;
  readonly capacity: number;
  /** The payload size body chunks are cut to: a quarter of the ring, so writers keep moving. */
  readonly maxPayload: number;
  /** The largest payload one frame can carry at all (once the reader has emptied the ring). */
  readonly largestPayload: number;
  readonly #ctl: Int32Array;
  readonly #words: Uint32Array;
  /** The data region as a Buffer, so strings can be written and read in place. */
  readonly bytes: Buffer;
  readonly #mask: number;

  static create(capacity: number): SharedArrayBuffer {
    if (capacity < 1024 || (capacity & (capacity - 1)) !== 0) {
      throw new RangeError(`ring capacity must be a power of two >= 1024, got ${capacity}`);
    }
    return new SharedArrayBuffer(DATA_OFFSET + capacity);
  }

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.capacity = sab.byteLength - DATA_OFFSET;
    this.#mask = this.capacity - 1;
    this.maxPayload = this.capacity / 4 - FRAME_HEADER_BYTES;
    this.largestPayload = this.capacity - FRAME_HEADER_BYTES;
    this.#ctl = new Int32Array(sab, 0, DATA_OFFSET / 4);
    this.#words = new Uint32Array(sab, DATA_OFFSET, this.capacity / 4);
    this.bytes = Buffer.from(sab, DATA_OFFSET, this.capacity);
  }

  // ---- writer side -------------------------------------------------------------------

  /**
   * Reserves room for a frame with `payloadLength` bytes and returns the offset in
   * {@link bytes} where the payload goes, or -1 when the ring is too full. Nothing of the
   * frame is visible to the reader until {@link commit} (padding to the end may be).
   */
  reserve(payloadLength: number): number {
    const size = align(FRAME_HEADER_BYTES + payloadLength);
    const head = Atomics.load(this.#ctl, HEAD);
    let tail = this.#ctl[TAIL]!;
    const free = this.capacity - ((tail - head) >>> 0);
    let pos = tail & this.#mask;
    const contiguous = this.capacity - pos;
    if (size > contiguous) {
      // Only the end is left and the frame needs more: fill the end with a PAD frame (the
      // reader skips it) as soon as that much is free, even when the frame itself must
      // still wait. Otherwise a frame larger than the room on either side of the current
      // position, more than half the ring, would never fit.
      if (free < contiguous) return -1;
      const w = pos >>> 2;
      this.#words[w] = contiguous;
      this.#words[w + 1] = FrameType.PAD;
      tail = (tail + contiguous) | 0;
      Atomics.store(this.#ctl, TAIL, tail);
      pos = 0;
      if (free - contiguous < size) return -1;
    } else if (free < size) {
      return -1;
    }
    return pos + FRAME_HEADER_BYTES;
  }

  /** Publishes the frame reserved last; `payloadLength` may be less than was reserved. */
  commit(type: number, flags: number, stream: number, aux: number, payloadLength: number): void {
    const tail = this.#ctl[TAIL]!;
    const pos = tail & this.#mask;
    const size = align(FRAME_HEADER_BYTES + payloadLength);
    const w = pos >>> 2;
    this.#words[w] = size;
    // The padding count rides in the top byte, so the exact payload length is recoverable.
    this.#words[w + 1] = (type | (flags << 8) | ((size - FRAME_HEADER_BYTES - payloadLength) << 24)) >>> 0;
    this.#words[w + 2] = stream;
    this.#words[w + 3] = aux >>> 0;
    Atomics.store(this.#ctl, TAIL, (tail + size) | 0);
  }

  /** Writes a whole frame, copying `payload[start, end)`. Returns false when it does not fit. */
  write(type: number, flags: number, stream: number, aux: number, payload?: Uint8Array, start = 0, end = payload?.length ?? 0): boolean {
    const length = end - start;
    const at = this.reserve(length);
    if (at < 0) return false;
    if (length > 0) this.bytes.set(payload!.subarray(start, end), at);
    this.commit(type, flags, stream, aux, length);
    return true;
  }

  /** Whether a frame with this payload length would fit right now. */
  fits(payloadLength: number): boolean {
    const size = align(FRAME_HEADER_BYTES + payloadLength);
    const used = (this.#ctl[TAIL]! - Atomics.load(this.#ctl, HEAD)) >>> 0;
    const pos = this.#ctl[TAIL]! & this.#mask;
    const contiguous = this.capacity - pos;
    const needed = size > contiguous ? contiguous + size : size;
    return this.capacity - used >= needed;
  }

  /**
   * Marks the writer as waiting for room and returns the head it saw, for
   * `Atomics.wait`/`waitAsync` on {@link headCell}. Returns null if room appeared meanwhile.
   */
  markBlocked(payloadLength: number): number | null {
    Atomics.store(this.#ctl, BLOCKED, 1);
    const head = Atomics.load(this.#ctl, HEAD);
    if (this.fits(payloadLength)) {
      Atomics.store(this.#ctl, BLOCKED, 0);
      return null;
    }
    return head;
  }

  /** The cell a blocked writer waits on: the reader notifies it after freeing room. */
  get headCell(): [Int32Array, number] {
    return [this.#ctl, HEAD];
  }

  // ---- reader side -------------------------------------------------------------------

  /**
   * Hands every published frame to `visit`, then frees their room at once (so payload
   * views are valid only during the visit: copy what must outlive it). Returns the number
   * of frames read.
   */
  drain(visit: FrameVisitor): number {
    const tail = Atomics.load(this.#ctl, TAIL);
    let head = this.#ctl[HEAD]!;
    if (head === tail) return 0;
    let n = 0;
    const words = this.#words;
    try {
      while (head !== tail) {
        const pos = head & this.#mask;
        const w = pos >>> 2;
        const size = words[w]!;
        const tf = words[w + 1]!;
        const type = tf & 0xff;
        if (type !== FrameType.PAD) {
          visit(type, (tf >>> 8) & 0xffff, words[w + 2]!, words[w + 3]!, this.bytes, pos + FRAME_HEADER_BYTES, payloadLengthOf(tf, size));
          n++;
        }
        head = (head + size) | 0;
      }
    } finally {
      Atomics.store(this.#ctl, HEAD, head);
      if (Atomics.load(this.#ctl, BLOCKED) === 1) {
        Atomics.store(this.#ctl, BLOCKED, 0);
        Atomics.notify(this.#ctl, HEAD);
      }
    }
    return n;
  }

  /** Bytes waiting to be read. */
  get used(): number {
    return (Atomics.load(this.#ctl, TAIL) - Atomics.load(this.#ctl, HEAD)) >>> 0;
  }

  /** Forgets everything in the ring. Only safe when neither side is using it. */
  reset(): void {
    Atomics.store(this.#ctl, HEAD, 0);
    Atomics.store(this.#ctl, TAIL, 0);
    Atomics.store(this.#ctl, BLOCKED, 0);
  }
}

function align(n: number): number {
  return (n + 15) & ~15;
}

function payloadLengthOf(tf: number, size: number): number {
  return size - FRAME_HEADER_BYTES - (tf >>> 24);
}
