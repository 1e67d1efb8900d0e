import { describe, expect, it } from 'vitest';
import { FramingError, ResponseFramer, type FramedResponse } from '../../dist/src/transport/response-framer.js';

// The load generator's framing of HTTP/1.1 responses (RFC 9112 §6.3), fed whole, in one
// read with several responses, and split at every byte.

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

/** Feeds `wire` in pieces of `step` bytes; returns every response framed, then the close's. */
function frame(wire: string, { step = Infinity, head = false, close = false } = {}): FramedResponse[] {
  const framer = new ResponseFramer(head);
  const buf = bytes(wire);
  const out: FramedResponse[] = [];
  const size = Number.isFinite(step) ? step : buf.length;
  for (let at = 0; at < buf.length; at += size) out.push(...framer.push(buf.subarray(at, at + size)));
  if (close) {
    const last = framer.end();
    if (last) out.push(last);
  }
  return out;
}

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n';
const LENGTH = 'HTTP/1.1 201 Created\r\ncontent-length: 3\r\n\r\nabc';

describe('ResponseFramer', () => {
  it('frames a Content-Length body, a chunked one (extensions, trailers), and both in one read', () => {
    expect(frame(LENGTH)).toEqual([{ status: 201, bodyBytes: 3, keepAlive: true }]);
    expect(frame(CHUNKED)).toEqual([{ status: 200, bodyBytes: 11, keepAlive: true }]);
    expect(frame(LENGTH + CHUNKED + LENGTH).map((r) => r.status)).toEqual([201, 200, 201]);
  });

  it('gives the same answers when the bytes arrive one at a time', () => {
    const wire = LENGTH + CHUNKED + 'HTTP/1.1 204 No Content\r\n\r\n' + LENGTH;
    const whole = frame(wire);
    expect(whole).toHaveLength(4);
    for (const step of [1, 2, 3, 7]) expect(frame(wire, { step })).toEqual(whole);
  });

  it('reads no body after HEAD, 204 and 304, and skips an interim 100', () => {
    expect(frame('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n' + LENGTH, { head: true })).toEqual([
      { status: 200, bodyBytes: 0, keepAlive: true },
      { status: 201, bodyBytes: 0, keepAlive: true },
    ]);
    expect(frame('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n' + LENGTH).map((r) => r.status)).toEqual([304, 201]);
    expect(frame('HTTP/1.1 100 Continue\r\n\r\n' + LENGTH)).toEqual([{ status: 201, bodyBytes: 3, keepAlive: true }]);
  });

  it('reads a body without length to the close, and says the connection does not stay', () => {
    expect(frame('HTTP/1.1 200 OK\r\n\r\nall of this', { close: true })).toEqual([{ status: 200, bodyBytes: 11, keepAlive: false }]);
    expect(frame('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok')[0]!.keepAlive).toBe(false);
    expect(frame('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')[0]!.keepAlive).toBe(false);
    expect(frame('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok')[0]!.keepAlive).toBe(true);
  });

  it('refuses what is not a response, a bad length or chunk, and a response cut short', () => {
    expect(() => frame('SSH-2.0-OpenSSH\r\n\r\n')).toThrow(FramingError);
    expect(() => frame('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n')).toThrow(/bad Content-Length/);
    expect(() => frame('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n')).toThrow(/bad Content-Length/);
    expect(() => frame('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).toThrow(/bad chunk size/);
    expect(() => frame('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX')).toThrow(/not followed by CRLF/);
    expect(() => frame('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc', { close: true })).toThrow(/closed in the middle/);
    expect(() => frame(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(17_000)}`)).toThrow(/longer than/);
  });

  it('says whether a response is under way', () => {
    const framer = new ResponseFramer(false);
    expect(framer.busy).toBe(false);
    framer.push(bytes('HTTP/1.1 200 OK\r\nContent-Le'));
    expect(framer.busy).toBe(true);
    expect(framer.push(bytes('ngth: 1\r\n\r\nx'))).toEqual([{ status: 200, bodyBytes: 1, keepAlive: true }]);
    expect(framer.busy).toBe(false);
    expect(framer.end()).toBeNull();
  });
});
