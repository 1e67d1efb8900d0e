/**
 * Turning body bytes into text: which encoding, and the decoding itself.
 */
import { TextDecoder } from 'node:util';
import { InvalidOption } from '../errors.js';

/** Decodes with `encoding` (any label TextDecoder knows); null when there is no encoding. */
export function decodeBody(bytes: Uint8Array, encoding: string | null): string | null {
  if (encoding === null) return null;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding);
  } catch {
    throw new InvalidOption(`Unknown encoding ${JSON.stringify(encoding)}: expected a label such as utf-8, iso-8859-1 or shift_jis`);
  }
  return decoder.decode(bytes);
}

/**
 * Decodes a JSON body. JSON text is Unicode; which form is told by a BOM or, without one,
 * by where the zero bytes fall in the first four (RFC 4627 §3, as Requests' guess_json_utf).
 * UTF-32 has no TextDecoder, so it is decoded by hand.
 */
export function decodeJsonText(bytes: Uint8Array): string {
  const b = bytes;
  const at = (i: number) => (i < b.length ? b[i]! : -1);
  if (at(0) === 0 && at(1) === 0 && at(2) === 0xfe && at(3) === 0xff) return utf32(b.subarray(4), false);
  if (at(0) === 0xff && at(1) === 0xfe && at(2) === 0 && at(3) === 0) return utf32(b.subarray(4), true);
  if (at(0) === 0xef && at(1) === 0xbb && at(2) === 0xbf) return new TextDecoder('utf-8').decode(b.subarray(3));
  if (at(0) === 0xfe && at(1) === 0xff) return new TextDecoder('utf-16be').decode(b.subarray(2));
  if (at(0) === 0xff && at(1) === 0xfe) return new TextDecoder('utf-16le').decode(b.subarray(2));
  if (b.length >= 4) {
    const zeros = [at(0) === 0, at(1) === 0, at(2) === 0, at(3) === 0].map(Number).join('');
    if (zeros === '1110') return utf32(b, false);
    if (zeros === '0111') return utf32(b, true);
    if (zeros === '1010') return new TextDecoder('utf-16be').decode(b);
    if (zeros === '0101') return new TextDecoder('utf-16le').decode(b);
  }
  return new TextDecoder('utf-8').decode(b);
}

function utf32(b: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength - (b.byteLength % 4));
  const points: number[] = [];
  for (let i = 0; i < view.byteLength; i += 4) points.push(view.getUint32(i, littleEndian));
  let out = '';
  for (let i = 0; i < points.length; i += 8192) out += String.fromCodePoint(...points.slice(i, i + 8192));
  return out;
}
