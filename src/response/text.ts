/**
 * Turning body bytes into text: which encoding, and the decoding itself.
 */
import { InvalidOption } from '../errors.js';
import { decoderFor } from './charset.js';

/** Decodes with `encoding` (any label TextDecoder knows); null when there is no encoding. */
export function decodeBody(bytes: Uint8Array, encoding: string | null): string | null {
  if (encoding === null) return null;
  const decoder = decoderFor(encoding);
  if (decoder === null) throw new InvalidOption(`Unknown encoding ${JSON.stringify(encoding)}: expected a label such as utf-8, iso-8859-1 or shift_jis`);
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
  if (at(0) === 0xef && at(1) === 0xbb && at(2) === 0xbf) return decoderFor('utf-8')!.decode(b.subarray(3));
  if (at(0) === 0xfe && at(1) === 0xff) return decoderFor('utf-16be')!.decode(b.subarray(2));
  if (at(0) === 0xff && at(1) === 0xfe) return decoderFor('utf-16le')!.decode(b.subarray(2));
  if (b.length >= 4) {
    // Which of the first four bytes are zero, as bits 3..0.
    const zeros = (b[0] === 0 ? 8 : 0) | (b[1] === 0 ? 4 : 0) | (b[2] === 0 ? 2 : 0) | (b[3] === 0 ? 1 : 0);
    if (zeros === 0b1110) return utf32(b, false);
    if (zeros === 0b0111) return utf32(b, true);
    if (zeros === 0b1010) return decoderFor('utf-16be')!.decode(b);
    if (zeros === 0b0101) return decoderFor('utf-16le')!.decode(b);
  }
  return decoderFor('utf-8')!.decode(b);
}

function utf32(b: Uint8Array, littleEndian: boolean): string {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength - (b.byteLength % 4));
  const points: number[] = [];
  for (let i = 0; i < view.byteLength; i += 4) points.push(view.getUint32(i, littleEndian));
  let out = '';
  for (let i = 0; i < points.length; i += 8192) out += String.fromCodePoint(...points.slice(i, i + 8192));
  return out;
}
