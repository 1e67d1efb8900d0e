import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AsyncSession } from '../../dist/src/index.js';
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

describe('isRedirect and isPermanentRedirect', () => {
  it('say whether a response could be followed, and whether for good (as Requests tells)', async () => {
    // /NNN answers that status, with a Location unless the path ends in /bare.
    const server = http.createServer((req, res) => {
      const [, status, bare] = req.url!.split('/');
      res.writeHead(Number(status), bare ? {} : { location: '/200' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await using s = new AsyncSession({ workers: 1 });
      const seen: Record<string, [boolean, boolean]> = {};
      for (const path of ['301', '302', '303', '307', '308', '200', '304', '301/bare']) {
        const r = await s.get(`${base}/${path}`, { allowRedirects: false });
        seen[path] = [r.isRedirect, r.isPermanentRedirect];
      }
      expect(seen).toEqual({
        301: [true, true], 302: [true, false], 303: [true, false], 307: [true, false], 308: [true, true],
        200: [false, false], 304: [false, false], '301/bare': [false, false],
      });
    } finally {
      server.close();
    }
  });
});
