/**
 * QPACK (RFC 9204) with a dynamic table of capacity 0: we announce
 * QPACK_MAX_TABLE_CAPACITY 0 and QPACK_BLOCKED_STREAMS 0, so a field section is the static
 * table (Appendix A) and literals, and no field section waits on the encoder stream. A server
 * that refers to a dynamic table anyway breaks the protocol (QPACK_DECOMPRESSION_FAILED).
 */
import { H3ProtocolError } from './frames.js';
import { huffmanDecode, huffmanEncode, huffmanLength } from './huffman.js';

/** RFC 9204 Appendix A, index 0–98. */
export const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':path', '/'], ['age', '0'], ['content-disposition', ''], ['content-length', '0'], ['cookie', ''], ['date', ''], ['etag', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['last-modified', ''], ['link', ''], ['location', ''], ['referer', ''], ['set-cookie', ''],
  [':method', 'CONNECT'], [':method', 'DELETE'], [':method', 'GET'], [':method', 'HEAD'], [':method', 'OPTIONS'], [':method', 'POST'], [':method', 'PUT'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '103'], [':status', '200'], [':status', '304'], [':status', '404'], [':status', '503'],
  ['accept', '*/*'], ['accept', 'application/dns-message'], ['accept-encoding', 'gzip, deflate, br'], ['accept-ranges', 'bytes'],
  ['access-control-allow-headers', 'cache-control'], ['access-control-allow-headers', 'content-type'], ['access-control-allow-origin', '*'],
  ['cache-control', 'max-age=0'], ['cache-control', 'max-age=2592000'], ['cache-control', 'max-age=604800'], ['cache-control', 'no-cache'],
  ['cache-control', 'no-store'], ['cache-control', 'public, max-age=31536000'], ['content-encoding', 'br'], ['content-encoding', 'gzip'],
  ['content-type', 'application/dns-message'], ['content-type', 'application/javascript'], ['content-type', 'application/json'],
  ['content-type', 'application/x-www-form-urlencoded'], ['content-type', 'image/gif'], ['content-type', 'image/jpeg'], ['content-type', 'image/png'],
  ['content-type', 'text/css'], ['content-type', 'text/html; charset=utf-8'], ['content-type', 'text/plain'], ['content-type', 'text/plain;charset=utf-8'],
  ['range', 'bytes=0-'], ['strict-transport-security', 'max-age=31536000'], ['strict-transport-security', 'max-age=31536000; includesubdomains'],
  ['strict-transport-security', 'max-age=31536000; includesubdomains; preload'], ['vary', 'accept-encoding'], ['vary', 'origin'],
  ['x-content-type-options', 'nosniff'], ['x-xss-protection', '1; mode=block'], [':status', '100'], [':status', '204'], [':status', '206'],
  [':status', '302'], [':status', '400'], [':status', '403'], [':status', '421'], [':status', '425'], [':status', '500'], ['accept-language', ''],
  ['access-control-allow-credentials', 'FALSE'], ['access-control-allow-credentials', 'TRUE'], ['access-control-allow-headers', '*'],
  ['access-control-allow-methods', 'get'], ['access-control-allow-methods', 'get, post, options'], ['access-control-allow-methods', 'options'],
  ['access-control-expose-headers', 'content-length'], ['access-control-request-headers', 'content-type'], ['access-control-request-method', 'get'],
  ['access-control-request-method', 'post'], ['alt-svc', 'clear'], ['authorization', ''],
  ['content-security-policy', "script-src 'none'; object-src 'none'; base-uri 'none'"], ['early-data', '1'], ['expect-ct', ''], ['forwarded', ''],
  ['if-range', ''], ['origin', ''], ['purpose', 'prefetch'], ['server', ''], ['timing-allow-origin', '*'], ['upgrade-insecure-requests', '1'],
  ['user-agent', ''], ['x-forwarded-for', ''], ['x-frame-options', 'deny'], ['x-frame-options', 'sameorigin'],
];

// name → index of its first entry; "name\0value" → index.
const byName = new Map<string, number>();
const byField = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  if (!byName.has(name)) byName.set(name, i);
  byField.set(`${name}\0${value}`, i);
});

/** Writes a prefixed integer (RFC 7541 §5.1) whose first byte carries `flags` above `prefix` bits. */
function pushInt(out: number[], flags: number, prefix: number, value: number): void {
  const max = (1 << prefix) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  value -= max;
  while (value >= 128) {
    out.push((value % 128) | 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** A string literal whose length prefix has `prefix` bits, the H flag just above them; Huffman-coded when shorter. */
function pushString(out: number[], flags: number, prefix: number, text: string): void {
  const coded = huffmanLength(text);
  if (coded < text.length) {
    pushInt(out, flags | (1 << prefix), prefix, coded);
    for (const b of huffmanEncode(text)) out.push(b);
  } else {
    pushInt(out, flags, prefix, text.length);
    for (let i = 0; i < text.length; i++) out.push(text.charCodeAt(i) & 0xff);
  }
}

/** Encodes a field section (names already lower-case) for a HEADERS frame. */
export function encodeFieldSection(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  // Required Insert Count 0, Base 0 (§4.5.1): nothing refers to a dynamic table.
  const out: number[] = [0, 0];
  for (const [name, value] of fields) {
    const exact = byField.get(`${name}\0${value}`);
    if (exact !== undefined) {
      pushInt(out, 0xc0, 6, exact); // Indexed field line, static (§4.5.2)
      continue;
    }
    const named = byName.get(name);
    if (named !== undefined) {
      pushInt(out, 0x50, 4, named); // Literal with name reference, static (§4.5.4)
      pushString(out, 0, 7, value);
    } else {
      pushString(out, 0x20, 3, name); // Literal with literal name (§4.5.6)
      pushString(out, 0, 7, value);
    }
  }
  return Buffer.from(out);
}

/** A reader over a field section. */
class Cursor {
  at = 0;
  constructor(readonly buf: Uint8Array) {}

  int(prefix: number): number {
    const max = (1 << prefix) - 1;
    let value = this.byte() & max;
    if (value < max) return value;
    let shift = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 127) * shift;
      shift *= 128;
      if ((b & 128) === 0) return value;
      if (shift > 2 ** 49) throw failed('an integer too large');
    }
  }

  string(prefix: number): string {
    const huffman = (this.buf[this.at]! >> prefix) & 1;
    const length = this.int(prefix);
    if (this.at + length > this.buf.length) throw failed('a string runs past the end of the field section');
    const bytes = this.buf.subarray(this.at, this.at + length);
    this.at += length;
    if (!huffman) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    try {
      return huffmanDecode(bytes);
    } catch (err) {
      throw failed((err as Error).message);
    }
  }

  byte(): number {
    if (this.at >= this.buf.length) throw failed('the field section ends inside a field line');
    return this.buf[this.at++]!;
  }
}

function failed(what: string): H3ProtocolError {
  return new H3ProtocolError('QPACK_DECOMPRESSION_FAILED', `QPACK: ${what}`);
}

function fromStatic(index: number): readonly [string, string] {
  const entry = STATIC_TABLE[index];
  if (!entry) throw failed(`static table index ${index} does not exist`);
  return entry;
}

/** Decodes a field section into a flat [name, value, …] list, in order. */
export function decodeFieldSection(block: Uint8Array): string[] {
  const c = new Cursor(block);
  if (c.int(8) !== 0) throw failed('the field section refers to a dynamic table, whose capacity we set to 0');
  c.int(7); // Delta Base: meaningless without a dynamic table
  const out: string[] = [];
  while (c.at < block.length) {
    const first = block[c.at]!;
    if (first & 0x80) {
      if (!(first & 0x40)) throw failed('an indexed field line refers to the dynamic table');
      const [name, value] = fromStatic(c.int(6));
      out.push(name, value);
    } else if (first & 0x40) {
      if (!(first & 0x10)) throw failed('a literal field line refers to the dynamic table');
      const name = fromStatic(c.int(4))[0];
      out.push(name, c.string(7));
    } else if (first & 0x20) {
      const name = c.string(3);
      out.push(name, c.string(7));
    } else {
      throw failed('a field line refers to the dynamic table (post-base index)');
    }
  }
  return out;
}
