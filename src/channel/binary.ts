/**
 * Little-endian writer and reader for frame payloads. The writer grows one scratch buffer
 * and reuses it, so encoding a frame allocates nothing once warm; the reader reads in place
 * from the ring.
 */
/** Strings up to this length are tried by {@link BinaryWriter}'s ASCII path. */
const SHORT_STRING = 128;

export class BinaryWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = 4096) {
    this.buf = Buffer.allocUnsafe(size);
  }

  reset(): this {
    this.pos = 0;
    return this;
  }

  /** The bytes written since the last reset (a view: copy before the next reset). */
  get view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  #ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.#ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.#ensure(2);
    this.pos = this.buf.writeUInt16LE(v, this.pos);
    return this;
  }

  u32(v: number): this {
    this.#ensure(4);
    this.pos = this.buf.writeUInt32LE(v >>> 0, this.pos);
    return this;
  }

  f64(v: number): this {
    this.#ensure(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
    return this;
  }

  str16(s: string, enc: 'latin1' | 'utf8'): this {
    if (this.#short(s, 2)) return this;
    const n = enc === 'latin1' ? s.length : Buffer.byteLength(s, 'utf8');
    this.u16(n);
    this.#ensure(n);
    this.pos += this.buf.write(s, this.pos, n, enc);
    return this;
  }

  str32(s: string, enc: 'latin1' | 'utf8'): this {
    if (this.#short(s, 4)) return this;
    const n = enc === 'latin1' ? s.length : Buffer.byteLength(s, 'utf8');
    this.u32(n);
    this.#ensure(n);
    this.pos += this.buf.write(s, this.pos, n, enc);
    return this;
  }

  /**
   * Writes a short ASCII string (the same bytes in latin1 and UTF-8) with its length in
   * `lengthBytes`, in JavaScript: a request's method, URL and header fields are mostly that,
   * and a call into native code per string (to measure it, then to write it) cost more than
   * the copy. False, with nothing written, for anything else.
   */
  #short(s: string, lengthBytes: 2 | 4): boolean {
    const n = s.length;
    if (n > SHORT_STRING) return false;
    this.#ensure(lengthBytes + n);
    const buf = this.buf;
    const at = this.pos + lengthBytes;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return false;
      buf[at + i] = c;
    }
    if (lengthBytes === 2) buf.writeUInt16LE(n, this.pos);
    else buf.writeUInt32LE(n, this.pos);
    this.pos = at + n;
    return true;
  }

  /** A latin1 string or raw bytes (as undici hands header names and values), u16 length. */
  bytes16(v: string | Uint8Array): this {
    if (typeof v === 'string') return this.str16(v, 'latin1');
    this.u16(v.length);
    return this.raw(v);
  }

  bytes32(v: string | Uint8Array): this {
    if (typeof v === 'string') return this.str32(v, 'latin1');
    this.u32(v.length);
    return this.raw(v);
  }

  raw(v: Uint8Array): this {
    this.#ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }
}

export class BinaryReader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  /** Points the reader at another region, so one reader serves every frame. */
  at(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  u8(): number {
    return this.buf[this.pos++]!;
  }

  u16(): number {
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  str16(enc: 'latin1' | 'utf8'): string {
    return this.#str(this.u16(), enc);
  }

  str32(enc: 'latin1' | 'utf8'): string {
    return this.#str(this.u32(), enc);
  }

  #str(n: number, enc: 'latin1' | 'utf8'): string {
    if (n === 0) return ''; // most optional fields of a frame are empty
    const at = this.pos;
    this.pos += n;
    return this.buf.toString(enc, at, at + n);
  }

  get remaining(): number {
    return this.end - this.pos;
  }
}
