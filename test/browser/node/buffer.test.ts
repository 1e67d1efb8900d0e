// The browser build's Buffer (src/browser/node/buffer.ts) answers as Node's Buffer does, for
// every method the shared code and readers of r.content use: checked on random inputs
// against Node's own.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Buffer as Slim, isUtf8 } from '../../../dist/src/browser/node/buffer.js';

const ENCODINGS = ['utf8', 'latin1', 'binary', 'ascii', 'hex', 'base64'] as const;
const bytes = fc.uint8Array({ maxLength: 300 });
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 }));

describe('browser Buffer', () => {
  it('toString and from(string) agree with Node for every encoding, whole or a range', () => {
    fc.assert(
      fc.property(bytes, text, fc.constantFrom(...ENCODINGS), fc.nat(), fc.nat(), (b, s, enc, x, y) => {
        const [start, end] = [Math.min(x, y) % (b.length + 1), Math.max(x, y) % (b.length + 1)];
        expect(Slim.from(b).toString(enc, start, Math.max(start, end))).toBe(Buffer.from(b).toString(enc, start, Math.max(start, end)));
        if (enc !== 'hex' && enc !== 'base64') expect([...Slim.from(s, enc)]).toEqual([...Buffer.from(s, enc)]);
        expect(Slim.byteLength(s, 'utf8')).toBe(Buffer.byteLength(s, 'utf8'));
      }),
    );
  });

  it('concat, indexOf and includes of byte sequences, equals, copy and write agree with Node', () => {
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 5 }), bytes, fc.nat(64), text, (parts, needle, at, s) => {
        const slim = Slim.concat(parts);
        const node = Buffer.concat(parts);
        expect([...slim]).toEqual([...node]);
        const n = needle.subarray(0, 3);
        expect(slim.indexOf(n)).toBe(node.indexOf(n));
        expect(slim.includes(n)).toBe(node.includes(n));
        expect(slim.equals(Slim.from(node))).toBe(true);
        const [a, b] = [Slim.alloc(40, 7), Buffer.alloc(40, 7)];
        expect(slim.copy(a, at % 40)).toBe(node.copy(b, at % 40));
        expect([...a]).toEqual([...b]);
        const ascii = s.replace(/[^\x20-\x7e]/g, '');
        expect(a.write(ascii, at % 40, 40 - (at % 40), 'latin1')).toBe(b.write(ascii, at % 40, 40 - (at % 40), 'latin1'));
        expect([...a]).toEqual([...b]);
      }),
    );
  });

  it('reads and writes little-endian fields as Node, and slice is a view', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.nat(), fc.double(), (u16, u32, f64) => {
        const [a, b] = [Slim.alloc(14), Buffer.alloc(14)];
        expect(a.writeUInt16LE(u16, 0)).toBe(b.writeUInt16LE(u16, 0));
        expect(a.writeUInt32LE(u32 >>> 0, 2)).toBe(b.writeUInt32LE(u32 >>> 0, 2));
        expect(a.writeDoubleLE(f64, 6)).toBe(b.writeDoubleLE(f64, 6));
        expect([...a]).toEqual([...b]);
        expect([a.readUInt16LE(0), a.readUInt32LE(2), a.readDoubleLE(6)]).toEqual([b.readUInt16LE(0), b.readUInt32LE(2), b.readDoubleLE(6)]);
      }),
    );
    const whole = Slim.from('abcdef');
    whole.slice(1, 3)[0] = 0x58;
    expect(whole.toString()).toBe('aXcdef');
    expect(Slim.from(new Uint8Array([1, 2, 3]).buffer, 1, 2).toJSON()).toEqual({ type: 'Buffer', data: [2, 3] });
  });

  it('isUtf8 as node:buffer', async () => {
    const { isUtf8: nodeIsUtf8 } = await import('node:buffer');
    fc.assert(
      fc.property(fc.oneof(bytes, text.map((t) => new TextEncoder().encode(t))), (b) => {
        expect(isUtf8(b)).toBe(nodeIsUtf8(b));
      }),
    );
  });
});
