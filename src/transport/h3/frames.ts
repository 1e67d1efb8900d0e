/**
 * HTTP/3 framing (RFC 9114 §7) and QUIC variable-length integers (RFC 9000 §16), which
 * every HTTP/3 frame header, setting and stream type is made of.
 *
 * A request stream is read by {@link FrameReader}: DATA payloads are handed on as they
 * arrive, slices of the chunks read (a 64 MiB body is never gathered), while the other frames
 * (HEADERS, SETTINGS, GOAWAY) are gathered whole, up to a limit.
 */

export const FrameKind = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;

/** Unidirectional stream types (RFC 9114 §6.2, RFC 9204 §4.2). */
export const StreamKind = { CONTROL: 0x00, PUSH: 0x01, QPACK_ENCODER: 0x02, QPACK_DECODER: 0x03 } as const;

/** SETTINGS identifiers (RFC 9114 §7.2.4.1, RFC 9204 §5, RFC 9220 §3). */
export const Setting = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
  ENABLE_CONNECT_PROTOCOL: 0x08,
} as const;

/** Application error codes (RFC 9114 §8.1), as a stream reset or connection close carries them. */
export const H3Error: Record<number, string> = {
  0x100: 'H3_NO_ERROR',
  0x101: 'H3_GENERAL_PROTOCOL_ERROR',
  0x102: 'H3_INTERNAL_ERROR',
  0x103: 'H3_STREAM_CREATION_ERROR',
  0x104: 'H3_CLOSED_CRITICAL_STREAM',
  0x105: 'H3_FRAME_UNEXPECTED',
  0x106: 'H3_FRAME_ERROR',
  0x107: 'H3_EXCESSIVE_LOAD',
  0x108: 'H3_ID_ERROR',
  0x109: 'H3_SETTINGS_ERROR',
  0x10a: 'H3_MISSING_SETTINGS',
  0x10b: 'H3_REQUEST_REJECTED',
  0x10c: 'H3_REQUEST_CANCELLED',
  0x10d: 'H3_REQUEST_INCOMPLETE',
  0x10e: 'H3_MESSAGE_ERROR',
  0x10f: 'H3_CONNECT_ERROR',
  0x110: 'H3_VERSION_FALLBACK',
  0x200: 'QPACK_DECOMPRESSION_FAILED',
  0x201: 'QPACK_ENCODER_STREAM_ERROR',
  0x202: 'QPACK_DECODER_STREAM_ERROR',
};

export function h3ErrorName(code: number): string {
  return H3Error[code] ?? `0x${code.toString(16)}`;
}

/** Bytes a varint of this value takes. */
export function varintLength(value: number): number {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  if (value <= Number.MAX_SAFE_INTEGER) return 8;
  throw new RangeError(`varint out of range: ${value}`);
}

/** Writes `value` at `at`; returns the offset after it. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  const n = varintLength(value);
  if (n === 1) out[at] = value;
  else if (n === 2) {
    out[at] = 0x40 | (value >>> 8);
    out[at + 1] = value & 0xff;
  } else if (n === 4) {
    out[at] = 0x80 | (value >>> 24);
    out[at + 1] = (value >>> 16) & 0xff;
    out[at + 2] = (value >>> 8) & 0xff;
    out[at + 3] = value & 0xff;
  } else {
    const high = Math.floor(value / 0x100000000);
    const low = value >>> 0;
    out[at] = 0xc0 | (high >>> 24);
    out[at + 1] = (high >>> 16) & 0xff;
    out[at + 2] = (high >>> 8) & 0xff;
    out[at + 3] = high & 0xff;
    out[at + 4] = low >>> 24;
    out[at + 5] = (low >>> 16) & 0xff;
    out[at + 6] = (low >>> 8) & 0xff;
    out[at + 7] = low & 0xff;
  }
  return at + n;
}

export function encodeVarint(value: number): Buffer {
  const out = Buffer.allocUnsafe(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}

/**
 * Reads a varint at `at`: [value, offset after it], or null when the bytes end first. Values
 * past 2^53 (which no frame we accept needs) lose precision rather than fail.
 */
export function readVarint(buf: Uint8Array, at: number): [number, number] | null {
  if (at >= buf.length) return null;
  const first = buf[at]!;
  const n = 1 << (first >> 6);
  if (at + n > buf.length) return null;
  let value = first & 0x3f;
  for (let i = 1; i < n; i++) value = value * 256 + buf[at + i]!;
  return [value, at + n];
}

/** A frame: its type, length and payload. */
export function encodeFrame(type: number, payload: Uint8Array): Buffer {
  const head = varintLength(type) + varintLength(payload.length);
  const out = Buffer.allocUnsafe(head + payload.length);
  writeVarint(out, writeVarint(out, 0, type), payload.length);
  out.set(payload, head);
  return out;
}

/** A DATA frame's header alone: the payload follows as it is, uncopied. */
export function dataFrameHeader(length: number): Buffer {
  const out = Buffer.allocUnsafe(1 + varintLength(length));
  out[0] = FrameKind.DATA;
  writeVarint(out, 1, length);
  return out;
}

export function encodeSettings(settings: Array<[number, number]>): Buffer {
  const parts = settings.flatMap(([id, value]) => [encodeVarint(id), encodeVarint(value)]);
  return encodeFrame(FrameKind.SETTINGS, Buffer.concat(parts));
}

export function decodeSettings(payload: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  let at = 0;
  while (at < payload.length) {
    const id = readVarint(payload, at);
    const value = id && readVarint(payload, id[1]);
    if (!id || !value) throw new H3ProtocolError('H3_FRAME_ERROR', 'a SETTINGS frame ends inside a setting');
    if (out.has(id[0])) throw new H3ProtocolError('H3_SETTINGS_ERROR', `setting 0x${id[0].toString(16)} appears twice`);
    out.set(id[0], value[0]);
    at = value[1];
  }
  return out;
}

/** GOAWAY's payload: the first stream id the server will not process. */
export function decodeGoaway(payload: Uint8Array): number {
  const id = readVarint(payload, 0);
  if (!id || id[1] !== payload.length) throw new H3ProtocolError('H3_FRAME_ERROR', 'a malformed GOAWAY frame');
  return id[0];
}

/** A breach of RFC 9114 or 9204 by the peer, named by its error code. */
export class H3ProtocolError extends Error {
  readonly code = 'ERR_H3_PROTOCOL';
  constructor(
    readonly h3Code: string,
    message: string,
  ) {
    super(`${message} (${h3Code})`);
  }
}

export interface FrameSink {
  /** A whole frame other than DATA. */
  frame(type: number, payload: Buffer): void;
  /** Part of a DATA frame's payload, as it arrives. */
  data(chunk: Buffer): void;
}

/**
 * Splits a stream's bytes into frames. Frames of unknown or reserved types are skipped
 * (RFC 9114 §9), without holding their payload.
 */
export class FrameReader {
  readonly #sink: FrameSink;
  readonly #maxFrame: number;
  /** Bytes of a frame header cut by a chunk's end. */
  #pending: Buffer | null = null;
  #type = -1;
  /** Payload bytes still to come of the current frame; -1 between frames. */
  #left = -1;
  #parts: Buffer[] = [];

  constructor(sink: FrameSink, maxFrame = 64 * 1024) {
    this.#sink = sink;
    this.#maxFrame = maxFrame;
  }

  /** Whether the stream may end here: not inside a frame. */
  get atBoundary(): boolean {
    return this.#left === -1 && this.#pending === null;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#pending !== null) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let at = 0;
    while (at < buf.length) {
      if (this.#left === -1) {
        const type = readVarint(buf, at);
        const length = type && readVarint(buf, type[1]);
        if (!type || !length) {
          this.#pending = buf.subarray(at);
          return;
        }
        this.#type = type[0];
        this.#left = length[0];
        at = length[1];
        if (this.#type !== FrameKind.DATA && this.#known() && this.#left > this.#maxFrame) {
          throw new H3ProtocolError('H3_EXCESSIVE_LOAD', `a frame of type 0x${this.#type.toString(16)} and ${this.#left} bytes (at most ${this.#maxFrame} taken)`);
        }
        if (this.#left === 0) this.#end();
        continue;
      }
      const take = Math.min(this.#left, buf.length - at);
      const part = buf.subarray(at, at + take);
      at += take;
      this.#left -= take;
      if (this.#type === FrameKind.DATA) this.#sink.data(part);
      else if (this.#known()) this.#parts.push(part);
      if (this.#left === 0) this.#end();
    }
  }

  #known(): boolean {
    return this.#type <= FrameKind.MAX_PUSH_ID;
  }

  #end(): void {
    const type = this.#type;
    this.#left = -1;
    if (type === FrameKind.DATA || !this.#known()) return;
    const payload = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts);
    this.#parts = [];
    this.#sink.frame(type, payload);
  }
}
