import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession } from '../../dist/src/index.js';
import { ENCODINGS, jsonDocument, startDocServers, type DocServers } from './doc-servers.js';
import { syncScenario } from './sync-scenario.js';
import { watchdog } from './watchdog.js';

// A big JSON document gzip'd, as nginx's gzip_static serves it: ~4.8 MB decoded, far more
// than a worker's 4 MiB ring to the main thread.
const items = Array.from({ length: 60_000 }, (_, i) => ({ id: i, name: `item${i}`, tags: ['a', 'b', 'c'], value: (i * 7919) % 1000 }));
const json = Buffer.from(JSON.stringify(items));
const gzipped = zlib.gzipSync(json);

let server: http.Server;
let base: string;

let docs: DocServers;

beforeAll(async () => {
  docs = await startDocServers(jsonDocument(5 << 20));
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gzipped.length });
    res.end(gzipped);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await docs.close();
  await new Promise<void>((r) => server.close(() => r()));
});

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

const DECODING = new URL('./scenarios/decoding.mjs', import.meta.url);

interface Read {
  url: string;
  httpVersion: string;
  length: number;
  sha256: string;
}

/**
 * Every combination, each with six bodies at once (two per encoding) of a 5 MiB document:
 * six bodies decode to ~31 MiB against a 4 MiB ring to the main thread, and six 1 MiB
 * stream windows are more than a ring holds, so the ring is full for most of each case.
 * "slow" is a consumer that reads 16 KiB and sleeps, or for whole bodies a main thread that
 * is busy (async) or that gathers only after a while (sync).
 */
describe.each(['async', 'sync'] as const)('backpressure with decoding: %s', (api) => {
  describe.each(['HTTP/1.1', 'HTTP/2'] as const)('%s', (httpVersion) => {
    describe.each([1, 2])('workers: %i', (workers) => {
      it.each(['whole', 'whole-slow', 'stream', 'stream-slow'] as const)('%s', async (read) => {
        const base = httpVersion === 'HTTP/2' ? docs.h2 : docs.h1;
        const urls = ENCODINGS.flatMap((e) => [`${base}/doc/${e}?a`, `${base}/doc/${e}?b`]);
        const input = { api, urls, workers, read, caPath: docs.caPath };
        const results = await syncScenario<Read[]>(60_000, `${api} ${httpVersion} workers: ${workers} ${read}`, DECODING, input);
        expect(results).toEqual(urls.map((url) => ({ url, httpVersion, length: docs.doc.length, sha256: docs.sha256 })));
      });
    });
  });
});

describe('the issue\'s gather', () => {
  it('a sync multiplexed Session gathers 32 big gzip documents at once', async () => {
    // It failed after 65 s with "Transport worker N sent nothing ...; it is presumed dead".
    const urls = Array.from({ length: 32 }, (_, i) => `${docs.h1}/doc/gzip?${i}`);
    const input = { api: 'sync', urls, workers: undefined, read: 'whole', caPath: docs.caPath };
    const results = await syncScenario<Read[]>(60_000, 'sync gather of 32 gzip documents', DECODING, input);
    expect(results).toEqual(urls.map((url) => ({ url, httpVersion: 'HTTP/1.1', length: docs.doc.length, sha256: docs.sha256 })));
  });
});
