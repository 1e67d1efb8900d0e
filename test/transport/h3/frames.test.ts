import { describe, expect, it } from 'vitest';
import { FrameKind, FrameReader, H3ProtocolError, Setting, decodeGoaway, decodeSettings, encodeFrame, encodeSettings, encodeVarint, readVarint } from '../../../dist/src/transport/h3/frames.js';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

describe('QUIC varints (RFC 9000 §16, Appendix A.1)', () => {
  it('decodes the RFC examples', () => {
    expect(readVarint(hex('9d7f3e7d'), 0)).toEqual([494878333, 4]);
    expect(readVarint(hex('7bbd'), 0)).toEqual([15293, 2]);
    expect(readVarint(hex('25'), 0)).toEqual([37, 1]);
    expect(readVarint(hex('4025'), 0)).toEqual([37, 2]); // the same value in two bytes
  });

  it('encodes in the fewest bytes, up to 2^53', () => {
    expect(encodeVarint(494878333)).toEqual(hex('9d7f3e7d'));
    expect(encodeVarint(15293)).toEqual(hex('7bbd'));
    expect(encodeVarint(37)).toEqual(hex('25'));
    const big = 2 ** 40 + 5;
    expect(encodeVarint(big)).toHaveLength(8);
    expect(readVarint(encodeVarint(big), 0)).toEqual([big, 8]);
  });

  it('says when the bytes end inside a varint', () => {
    expect(readVarint(hex('9d7f3e'), 0)).toBeNull();
  });
});

describe('HTTP/3 frames (RFC 9114 §7)', () => {
  it('round-trips SETTINGS, and refuses a setting given twice', () => {
    const frame = encodeSettings([[Setting.QPACK_MAX_TABLE_CAPACITY, 0], [Setting.MAX_FIELD_SECTION_SIZE, 65536]]);
    expect(frame.subarray(0, 2)).toEqual(hex('04 07'));
    expect([...decodeSettings(frame.subarray(2))]).toEqual([[1, 0], [6, 65536]]);
    expect(() => decodeSettings(hex('0100 0101'))).toThrow(H3ProtocolError);
  });

  it('reads GOAWAY', () => {
    expect(decodeGoaway(hex('4004'))).toBe(4);
  });

  it('splits frames cut anywhere, streams DATA and skips reserved types', () => {
    const wire = Buffer.concat([
      encodeFrame(FrameKind.HEADERS, hex('0000d1')),
      encodeFrame(0x21, Buffer.alloc(300)), // reserved (0x1f * N + 0x21): ignored
      encodeFrame(FrameKind.DATA, Buffer.from('hello ')),
      encodeFrame(FrameKind.DATA, Buffer.from('world')),
    ]);
    for (let step = 1; step <= wire.length; step += 3) {
      const frames: Array<[number, string]> = [];
      let data = '';
      const reader = new FrameReader({ frame: (t, p) => frames.push([t, p.toString('hex')]), data: (c) => (data += c.toString()) });
      for (let at = 0; at < wire.length; at += step) reader.push(wire.subarray(at, at + step));
      expect(frames).toEqual([[FrameKind.HEADERS, '0000d1']]);
      expect(data).toBe('hello world');
      expect(reader.atBoundary).toBe(true);
    }
  });

  it('refuses a control frame larger than its limit before holding it', () => {
    const reader = new FrameReader({ frame: () => {}, data: () => {} }, 100);
    expect(() => reader.push(hex('01 4400'))).toThrow(/H3_EXCESSIVE_LOAD/);
  });
});
