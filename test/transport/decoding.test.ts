import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ContentDecodingError } from '../../dist/src/index.js';

const text = Buffer.from('nodequests '.repeat(20_000));
const bodies: Record<string, [string, Buffer]> = {
  gzip: ['gzip', zlib.gzipSync(text)],
  deflate: ['deflate', zlib.deflateSync(text)],
  rawdeflate: ['deflate', zlib.deflateRawSync(text)],
  br: ['br', zlib.brotliCompressSync(text)],
  zstd: ['zstd', execFileSync('zstd', ['-c', '-q'], { input: text })],
  stacked: ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(text))],
  corrupt: ['gzip', Buffer.from('definitely not gzip')],
  // Hex text compresses about 2:1, so the compressed body arrives in many full socket reads.
  big: ['gzip', zlib.gzipSync(Buffer.from(randomBytes(2 << 20).toString('hex')))],
};
let server: http.Server;
let base: string;
let acceptEncoding = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    acceptEncoding = req.headers['accept-encoding'] ?? '';
    const [encoding, body] = bodies[req.url!.slice(1)]!;
    res.writeHead(200, { 'content-encoding': encoding, 'content-type': 'text/plain' });
    // Dribbled out, so decoding happens across many socket reads.
    let at = 0;
    const step = () => {
      if (at >= body.length) return res.end();
      res.write(body.subarray(at, at + 4096));
      at += 4096;
      setImmediate(step);
    };
    step();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('decoding in the worker', () => {
  it('delivers every encoding decoded, and asks for exactly those', async () => {
    await using s = new AsyncSession();
    for (const name of ['gzip', 'deflate', 'rawdeflate', 'br', 'zstd', 'stacked']) {
      const r = await s.get(`${base}/${name}`);
      expect(r.content.equals(text), name).toBe(true);
    }
    expect(acceptEncoding).toBe('gzip, deflate, br, zstd');
  });

  it('regression: a body whose decoder input fills up does not stall (4 MiB gzipped 2:1)', async () => {
    // The decoder's output used to be paused whenever its input was full, so neither drained.
    await using s = new AsyncSession();
    const r = await s.get(`${base}/big`, { timeout: 5000 });
    expect(r.content.length).toBe(4 << 20);
  });

  it('a corrupt body is a ContentDecodingError', async () => {
    await using s = new AsyncSession();
    await expect(s.get(`${base}/corrupt`)).rejects.toBeInstanceOf(ContentDecodingError);
  });

  it('streams decoded chunks, and raw.read gives the bytes as sent', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${base}/gzip`, { stream: true });
    let n = 0;
    for await (const c of r.iterContent(10_000)) n += c.length;
    expect(n).toBe(text.length);
    const raw = await s.get(`${base}/gzip`, { stream: true });
    const sent = await raw.raw.read();
    expect(sent.equals(bodies.gzip![1])).toBe(true);
  });
});
