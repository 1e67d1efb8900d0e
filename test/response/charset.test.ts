import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { apparentEncoding, charsetFromContentType, detectEncoding } from '../../dist/src/response/charset.js';

// 「これは日本語のテキストです。」 in Shift_JIS, repeated so the detector has enough to go on.
const shiftJis = Buffer.concat(Array(10).fill(Buffer.from('82b182ea82cd93fa967b8cea82cc8365834c8358836782c582b78142', 'hex')));
const latin1French = Buffer.from('Ceci est un texte français avec des accents: é è à ç ù, assez long pour être détecté correctement.', 'latin1');

describe('charset', () => {
  it('reads the charset parameter, quoted or not, in any case', () => {
    expect(charsetFromContentType('text/html; charset=ISO-8859-1')).toBe('iso-8859-1');
    expect(charsetFromContentType('text/html;CHARSET="utf-8"')).toBe('utf-8');
    expect(charsetFromContentType('text/html')).toBeNull();
    expect(charsetFromContentType(undefined)).toBeNull();
  });

  it('prefers the declared charset, then a BOM, then valid UTF-8', () => {
    expect(detectEncoding(Buffer.from('abc'), 'text/plain; charset=windows-1252')).toBe('windows-1252');
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x41, 0]), 'text/plain')).toBe('utf-16le');
    expect(detectEncoding(Buffer.from('héllo'), 'text/plain')).toBe('utf-8');
    expect(detectEncoding(Buffer.from('plain ascii'), null)).toBe('utf-8');
  });

  it('guesses legacy charsets when confident', () => {
    expect(detectEncoding(shiftJis, 'text/plain')).toBe('shift_jis');
    expect(apparentEncoding(latin1French)).toBe('iso-8859-1');
  });

  it('says nothing rather than guess on noise', () => {
    expect(detectEncoding(randomBytes(4000), 'application/octet-stream')).toBeNull();
  });
});
