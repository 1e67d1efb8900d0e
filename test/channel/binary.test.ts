import { describe, expect, it } from 'vitest';
import { BinaryReader, BinaryWriter } from '../../dist/src/channel/binary.js';

// Short ASCII strings take a path of their own in the writer; everything else goes through
// Buffer's encoder. Both must give the same bytes and read back the same.
const samples = ['', 'GET', 'http://127.0.0.1:8080/a?b=c', 'x'.repeat(128), 'y'.repeat(129), 'x'.repeat(5000)];
const latin1 = ['café', 'naïve; q=0.9', 'é'.repeat(200)];
const utf8 = ['https://example.test/ünï/€', '😀 and text', 'a'.repeat(127) + 'é'];

describe('BinaryWriter and BinaryReader', () => {
  it('round-trips strings of every kind and length, with u16 and u32 lengths, in a writer that grows', () => {
    const w = new BinaryWriter(8);
    for (const s of [...samples, ...latin1]) w.str16(s, 'latin1').str32(s, 'latin1');
    for (const s of [...samples, ...utf8]) w.str16(s, 'utf8').str32(s, 'utf8');
    w.u32(0xdeadbeef);
    const r = new BinaryReader(Buffer.from(w.view));
    for (const s of [...samples, ...latin1]) {
      expect(r.str16('latin1')).toBe(s);
      expect(r.str32('latin1')).toBe(s);
    }
    for (const s of [...samples, ...utf8]) {
      expect(r.str16('utf8')).toBe(s);
      expect(r.str32('utf8')).toBe(s);
    }
    expect(r.u32()).toBe(0xdeadbeef);
    expect(r.remaining).toBe(0);
  });

  it('writes the bytes Buffer would: latin1 as latin1, UTF-8 as UTF-8, after the length', () => {
    const w = new BinaryWriter(4);
    w.str16('ab', 'latin1').str32('é€', 'utf8').str16('é', 'latin1');
    const e = Buffer.from('é€', 'utf8');
    expect([...w.view]).toEqual([2, 0, 0x61, 0x62, e.length, 0, 0, 0, ...e, 1, 0, 0xe9]);
  });
});
