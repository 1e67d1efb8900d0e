import { describe, expect, it } from 'vitest';
import { STATIC_TABLE, decodeFieldSection, encodeFieldSection } from '../../../dist/src/transport/h3/qpack.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('QPACK with no dynamic table (RFC 9204)', () => {
  it('has the 99 entries of the static table (Appendix A)', () => {
    expect(STATIC_TABLE).toHaveLength(99);
    expect(STATIC_TABLE[17]).toEqual([':method', 'GET']);
    expect(STATIC_TABLE[25]).toEqual([':status', '200']);
    expect(STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
  });

  it('decodes Appendix B.1: a literal with a static name reference', () => {
    expect(decodeFieldSection(hex('0000 510b 2f69 6e64 6578 2e68 746d 6c'))).toEqual([':path', '/index.html']);
  });

  it('refuses field sections that use a dynamic table (Appendix B.2 on)', () => {
    // B.2's request: Required Insert Count 2, two post-base indexed lines.
    expect(() => decodeFieldSection(hex('0381 10 11'))).toThrow(/QPACK_DECOMPRESSION_FAILED/);
    // A relative dynamic index with Required Insert Count 0.
    expect(() => decodeFieldSection(hex('0000 80'))).toThrow(/dynamic table/);
  });

  it('encodes static matches as indexes, names by reference, the rest as literals', () => {
    const fields: Array<[string, string]> = [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'www.example.com'],
      [':path', '/index.html'],
      ['user-agent', 'nodequests'],
      ['x-custom', 'Ünïcode-latin1 value'],
    ];
    const block = encodeFieldSection(fields);
    expect(block.subarray(0, 4)).toEqual(hex('0000 d1d7')); // prefix, then indexes 17 and 23
    expect(decodeFieldSection(block)).toEqual(fields.flat());
  });

  it('decodes a Huffman-coded literal name and long lengths', () => {
    const long = 'x'.repeat(1000);
    expect(decodeFieldSection(encodeFieldSection([['content-security-policy', long]]))).toEqual(['content-security-policy', long]);
    expect(decodeFieldSection(encodeFieldSection([['www-authenticate', 'Basic']]))).toEqual(['www-authenticate', 'Basic']);
  });

  it('fails on a field section cut short', () => {
    expect(() => decodeFieldSection(hex('0000 510b 2f69'))).toThrow(/QPACK_DECOMPRESSION_FAILED/);
  });
});
