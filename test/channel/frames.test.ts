import { describe, expect, it } from 'vitest';
import { BinaryReader, BinaryWriter } from '../../dist/src/channel/binary.js';
import { decodeRequestHead, encodeRequestHead, type RequestHead } from '../../dist/src/channel/frames.js';

function head(headers: readonly string[], url = 'http://h/a'): RequestHead {
  return {
    connectTimeout: 1,
    readTimeout: 2,
    totalTimeout: 0,
    bodyLength: -1,
    maxBodySize: Infinity,
    flags: 0,
    method: 'GET',
    url,
    headers,
    tls: '',
    proxy: 'http://proxy:3128',
    processor: '',
    processorTimeout: 5,
    maxPayload: 100,
  };
}

/** Encodes and decodes one request head, as the engine and a worker do. */
function roundTrip(h: RequestHead): RequestHead {
  const w = new BinaryWriter(64);
  encodeRequestHead(w, h);
  return decodeRequestHead(new BinaryReader(Buffer.from(w.buf.subarray(0, w.pos))));
}

describe('REQUEST frames', () => {
  it('carry every field of the head, headers included, request after request', () => {
    const session = Object.freeze(['User-Agent', 'nq', 'Accept', '*/*']);
    const other = Object.freeze(['User-Agent', 'nq', 'Accept', 'text/html', 'X-Ünïcode', 'é']);
    for (const [fields, url] of [
      [session, 'http://h/1'],
      [session, 'http://h/2'],
      [Object.freeze(['User-Agent', 'nq', 'Accept', '*/+']), 'http://h/2b'], // same length, other bytes
      [other, 'http://h/3'],
      [session, 'http://h/4'],
      [Object.freeze([]), 'http://h/5'],
      [other, 'http://h/6'],
    ] as const) {
      const decoded = roundTrip(head(fields, url));
      expect(decoded).toEqual(head([...fields], url));
    }
  });

  it('take a request\'s own header list as it is now, even the same array changed in place', () => {
    const fields = ['Accept', '*/*'];
    expect(roundTrip(head(fields)).headers).toEqual(['Accept', '*/*']);
    fields[1] = 'text/plain';
    fields.push('X-Later', '1');
    expect(roundTrip(head(fields)).headers).toEqual(['Accept', 'text/plain', 'X-Later', '1']);
  });

  it('hand a worker header fields it cannot change under the next request', () => {
    const first = roundTrip(head(Object.freeze(['Accept', '*/*']))).headers;
    expect(Object.isFrozen(first)).toBe(true);
    expect(roundTrip(head(Object.freeze(['Accept', '*/*']))).headers).toEqual(['Accept', '*/*']);
  });
});
