import { describe, expect, it } from 'vitest';
import { BinaryWriter } from '../../dist/src/channel/binary.js';
import { encodeHeaderBlock } from '../../dist/src/channel/frames.js';
import { fieldFromBlock, headersFromBlock } from '../../dist/src/response/base-response.js';

// `text` and the Alt-Svc check read one field straight from the header block the worker
// sent; what they read must be what `r.headers.get()` would have said.
function block(flat: string[]): Buffer {
  const w = new BinaryWriter(256);
  encodeHeaderBlock(w, flat);
  return Buffer.from(w.buf.subarray(0, w.pos));
}

describe('fieldFromBlock', () => {
  const b = block([
    'Server', 'nginx',
    'Content-Type', 'text/html; charset=ISO-8859-1',
    'ALT-SVC', 'h3=":443"; ma=60',
    'X-Multi', 'one',
    'content-typo', 'not this one',
    'x-multi', 'two',
    'X-Latin', 'caf\u00e9',
  ]);

  it.each(['content-type', 'alt-svc', 'x-multi', 'x-latin', 'server', 'content-typ', 'absent'])('%s reads as Headers.get does', (name) => {
    expect(fieldFromBlock(b, name)).toBe(headersFromBlock(b).get(name));
  });

  it('joins repeated fields and keeps latin1 values', () => {
    expect(fieldFromBlock(b, 'x-multi')).toBe('one, two');
    expect(fieldFromBlock(b, 'x-latin')).toBe('caf\u00e9');
    expect(fieldFromBlock(block([]), 'content-type')).toBeUndefined();
  });
});
