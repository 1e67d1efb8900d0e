import { describe, expect, it } from 'vitest';
import { huffmanDecode, huffmanEncode } from '../../../dist/src/transport/h3/huffman.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

// RFC 7541 Appendix C.4 and C.6: the strings of the examples with Huffman coding.
const EXAMPLES: Array<[string, string]> = [
  ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
  ['no-cache', 'a8eb 1064 9cbf'],
  ['custom-key', '25a8 49e9 5ba9 7d7f'],
  ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
  ['302', '6402'],
  ['private', 'aec3 771a 4b'],
  ['Mon, 21 Oct 2013 20:13:21 GMT', 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
  ['https://www.example.com', '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
  ['gzip', '9bd9 ab'],
  ['foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1', '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07'],
];

describe('HPACK/QPACK Huffman code (RFC 7541 Appendix B)', () => {
  it.each(EXAMPLES)('decodes and encodes %j as in Appendix C', (text, coded) => {
    expect(huffmanDecode(hex(coded))).toBe(text);
    expect(huffmanEncode(text)).toEqual(hex(coded));
  });

  it('round-trips every byte value', () => {
    const all = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
    expect(huffmanDecode(huffmanEncode(all))).toBe(all);
  });

  it('refuses padding that is not EOS bits, or longer than 7 bits', () => {
    expect(huffmanDecode(hex('1f'))).toBe('a'); // 00011, then three 1s
    expect(() => huffmanDecode(hex('18'))).toThrow(/padding/); // 00011, then 000
    expect(() => huffmanDecode(hex('9bd9 ab ff'))).toThrow(/padding/);
  });
});
