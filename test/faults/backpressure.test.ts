import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession } from '../../dist/src/index.js';
import { watchdog } from './watchdog.js';

// A big JSON document gzip'd, as nginx's gzip_static serves it: ~4.8 MB decoded, far more
// than a worker's 4 MiB ring to the main thread.
const items = Array.from({ length: 60_000 }, (_, i) => ({ id: i, name: `item${i}`, tags: ['a', 'b', 'c'], value: (i * 7919) % 1000 }));
const json = Buffer.from(JSON.stringify(items));
const gzipped = zlib.gzipSync(json);

let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gzipped.length });
    res.end(gzipped);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('backpressure with decoding', () => {
  it('regression: four loops fetching a big gzip document on one worker never hang', async () => {
    // The decoder's output was paused on a full channel while the socket was already paused
    // (for a full decoder): no wake-up was registered for that pause, and the request
    // stalled for good. With one worker it happened within ~15 documents.
    await using s = new AsyncSession({ workers: 1 });
    let done = 0;
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 15; i++) {
        const r = await s.get(`${base}/doc.json`);
        expect(r.content.equals(json)).toBe(true);
        done++;
      }
    };
    await watchdog(60_000, 'four loops of 15 gzip documents', () => Promise.all([loop(), loop(), loop(), loop()]), () => ({ documentsDone: done }));
    expect(done).toBe(60);
  });
});
