import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ChunkedEncodingError } from '../../dist/src/index.js';

const SIZE = 32 << 20;
const body = Buffer.alloc(SIZE, 'n');
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/lies') {
      // Announces 2 GiB, sends 128 KiB, hangs up.
      res.writeHead(200, { 'content-length': 2 ** 31 });
      res.write(body.subarray(0, 128 * 1024), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let at = 0; at < SIZE; at += 1 << 20) res.write(body.subarray(at, at + (1 << 20)));
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SIZE });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('a body read whole', () => {
  it('with a Content-Length, is held once on the main thread: gathered into one buffer, never chunks joined at the end', async () => {
    await using s = new AsyncSession({ workers: 1 });
    await s.get(`${base}/`); // pools, workers and buffers warm
    const before = process.memoryUsage().arrayBuffers;
    const r = await s.get(`${base}/`);
    const content = r.content;
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(content.equals(body)).toBe(true);
    // Chunks plus their concatenation held ~2x the body; one buffer holds it once.
    expect(grown).toBeLessThan(SIZE * 1.5);
  });

  it('a length the server only announces is not allocated up front', async () => {
    await using s = new AsyncSession({ workers: 1 });
    const before = process.memoryUsage().arrayBuffers;
    const failed = await s.get(`${base}/lies`, { maxBodySize: null }).then(
      () => null,
      (e: Error) => e,
    );
    expect(failed).toBeInstanceOf(ChunkedEncodingError);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
  });

  it('without a length, still arrives whole and right', async () => {
    await using s = new AsyncSession({ workers: 1 });
    const r = await s.get(`${base}/chunked`);
    expect(r.content.equals(body)).toBe(true);
  });
});
