// What a hostile server can make a worker take: body size (received and decoded), the body
// of a redirect or challenge that is followed, zstd windows, stacked codings, 1xx floods.
// The servers make their bodies as they send them and count what they wrote.
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, BodyTooLarge, ConnectionError, ContentDecodingError, HTTPDigestAuth, Response, Session } from '../../dist/src/index.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const BLOCK = Buffer.alloc(64 * 1024, 'x');
const text = Buffer.from('nodequests '.repeat(10_000));
/** Bytes the server managed to write of its big bodies, and whether the client hung up on them. */
let written = 0;
let closedEarly = 0;

/** Writes n bytes of a body as fast as the client takes them, never holding more than a block. */
function pump(res: http.ServerResponse, n: number): void {
  let left = n;
  res.on('close', () => {
    if (left > 0) closedEarly++;
  });
  const step = (): void => {
    while (left > 0 && !res.destroyed) {
      const c = BLOCK.subarray(0, Math.min(left, BLOCK.length));
      left -= c.length;
      written += c.length;
      if (!res.write(c)) return void res.once('drain', step);
    }
    if (left === 0) res.end();
  };
  step();
}

/** A zstd frame header declaring a 2^windowLog window, then one RLE block of 16 bytes. */
function zstdWindowBomb(windowLog: number): Buffer {
  const block = 1 | (1 << 1) | (16 << 3);
  return Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3, block & 0xff, block >> 8, 0, 0x61]);
}

let server: http.Server;
let base: string;
let raw: net.Server;
let rawBase: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [route, arg] = req.url!.split('/').filter(Boolean);
    const n = Number(arg);
    switch (route) {
      case 'bytes': // n bytes, length unknown to the client
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return pump(res, n);
      case 'gzip-zeros': // n zeros, gzipped (a decompression bomb when n is large)
        res.writeHead(200, { 'content-encoding': 'gzip' });
        return void res.end(zlib.gzipSync(Buffer.alloc(n)));
      case 'zstd-window':
        res.writeHead(200, { 'content-encoding': 'zstd' });
        return void res.end(zstdWindowBomb(n));
      case 'layers': {
        let body = text;
        for (let i = 0; i < n; i++) body = zlib.gzipSync(body);
        res.writeHead(200, { 'content-encoding': Array(n).fill('gzip').join(', ') });
        return void res.end(body);
      }
      case 'redirect-bytes':
        res.writeHead(302, { location: '/ok', 'content-length': n });
        return pump(res, n);
      case 'challenge-bytes':
        res.writeHead(401, { 'www-authenticate': 'Digest realm="r", nonce="n", qop="auth"', 'content-length': n });
        return pump(res, n);
      default:
        res.end('ok');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Informational heads, as many as the path says, then a 200.
  raw = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', (d) => {
      const n = Number(d.toString('latin1').split(' ')[1]!.slice(1));
      const early = 'HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n';
      const write = (left: number): void => {
        if (sock.destroyed) return;
        if (left === 0) return void sock.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        const k = Math.min(left, 100);
        if (sock.write(early.repeat(k))) setImmediate(() => write(left - k));
        else sock.once('drain', () => write(left - k));
      };
      write(n);
    });
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  rawBase = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => raw.close(() => r()));
});

function reset(): void {
  written = 0;
  closedEarly = 0;
}

describe('zstd and stacked codings (one worker)', () => {
  it('regression: a zstd body declaring a 256 MiB window is refused, and the worker serves the next request', async () => {
    await using s = new AsyncSession({ workers: 1 });
    const err = await s.get(`${base}/zstd-window/28`, { timeout: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentDecodingError);
    expect((err as Error).message).toMatch(/zstd frame declares a window of 268435456 bytes \(256 MiB\); at most 8388608 bytes \(8 MiB\)/);
    const next = await s.get(`${base}/ok`, { timeout: 20_000 });
    expect(next.statusCode).toBe(200);
    expect(next.text).toBe('ok');
  });

  it('regression: six stacked gzip codings are refused; five are undone', async () => {
    await using s = new AsyncSession({ workers: 1 });
    expect((await s.get(`${base}/layers/5`)).content.equals(text)).toBe(true);
    const err = await s.get(`${base}/layers/6`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentDecodingError);
    expect((err as Error).message).toMatch(/encoded 6 times over .*at most 5 codings/);
  });
});

describe('maxBodySize', () => {
  it('regression: a plain body past the limit stops with BodyTooLarge and the connection closed, read whole or streamed', async () => {
    await using s = new AsyncSession({ maxBodySize: 1 << 20 });
    reset();
    const err = await s.get(`${base}/bytes/${64 << 20}`, { timeout: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLarge);
    expect((err as Error).message).toMatch(/more than 1048576 bytes \(maxBodySize\)/);
    await expect.poll(() => closedEarly, { timeout: 10_000 }).toBe(1);
    expect(written).toBeLessThan(32 << 20);

    reset();
    const r = await s.get(`${base}/bytes/${64 << 20}`, { stream: true, maxBodySize: 2 << 20, timeout: 20_000 });
    let got = 0;
    const streamed = (async () => {
      for await (const c of r.iterContent(1 << 16)) got += c.length;
    })();
    await expect(streamed).rejects.toBeInstanceOf(BodyTooLarge);
    expect(got).toBeLessThanOrEqual(2 << 20);
    await expect.poll(() => closedEarly, { timeout: 10_000 }).toBe(1);
  });

  it('a request option overrides the session, and null lifts the limit', async () => {
    await using s = new AsyncSession({ maxBodySize: 1000 });
    await expect(s.get(`${base}/bytes/1001`)).rejects.toBeInstanceOf(BodyTooLarge);
    expect((await s.get(`${base}/bytes/1000`)).content.length).toBe(1000);
    expect((await s.get(`${base}/bytes/5000`, { maxBodySize: 5000 })).content.length).toBe(5000);
    expect((await s.get(`${base}/bytes/${3 << 20}`, { maxBodySize: null })).content.length).toBe(3 << 20);
  });

  it('regression: counts the decoded size too: a small gzip that inflates past the limit is refused', async () => {
    await using s = new AsyncSession({ maxBodySize: 1 << 20 });
    const err = await s.get(`${base}/gzip-zeros/${32 << 20}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BodyTooLarge);
    expect((err as Error).message).toMatch(/decodes to more than 1048576 bytes .*maxBodySize/);
    expect((await s.get(`${base}/gzip-zeros/${1 << 20}`)).content.length).toBe(1 << 20);
  });

  it('rejects a maxBodySize that is not a byte count', () => {
    expect(() => new Session({ maxBodySize: -1 })).toThrow(/Invalid option maxBodySize: -1; expected a whole number of bytes >= 0, or null/);
    expect(() => new Session({ maxBodySize: '1MB' as never })).toThrow(/maxBodySize: "1MB"/);
  });
});

describe('bodies of hops that are followed', () => {
  it('regression: a 302 with a 64 MiB body is drained up to 64 KiB, its connection closed, and followed', async () => {
    for (const stream of [false, true]) {
      await using s = new AsyncSession();
      reset();
      const r = await s.get(`${base}/redirect-bytes/${64 << 20}`, { stream, timeout: 20_000 });
      expect(r.statusCode).toBe(200);
      expect(r instanceof Response ? r.text : await r.text()).toBe('ok');
      expect(r.history.map((h) => h.statusCode)).toEqual([302]);
      const hop = r.history[0] as Response;
      expect(() => hop.content).toThrow(BodyTooLarge);
      expect(() => hop.content).toThrow(/more than 65536 bytes \(the limit for the body of a 302 that is followed\)/);
      await expect.poll(() => closedEarly, { timeout: 10_000 }).toBe(1);
      expect(written, `stream: ${stream}`).toBeLessThan(32 << 20);
    }
  });

  it('a small redirect body is kept whole in history, and an unfollowed redirect keeps its whole body', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${base}/redirect-bytes/5000`);
    expect((r.history[0] as Response).content.length).toBe(5000);
    const unfollowed = await s.get(`${base}/redirect-bytes/${1 << 20}`, { allowRedirects: false });
    expect(unfollowed.statusCode).toBe(302);
    expect(unfollowed.content.length).toBe(1 << 20);
  });

  it('regression: a 401 that a Digest challenge answers has its body drained only up to 64 KiB', async () => {
    await using s = new AsyncSession({ auth: new HTTPDigestAuth('u', 'p') });
    reset();
    const r = await s.get(`${base}/challenge-bytes/${8 << 20}`, { timeout: 20_000 });
    // The server challenges again: that second 401 is final, read whole up to maxBodySize.
    expect(r.statusCode).toBe(401);
    expect(() => (r.history[0] as Response).content).toThrow(/more than 65536 bytes \(the limit for the body of a 401 that is followed\)/);
    expect(r.content.length).toBe(8 << 20);
  });
});

describe('informational responses', () => {
  it('regression: of 500 103s only the first 16 are kept; the 200 after them is the response', async () => {
    await using s = new AsyncSession();
    let early = 0;
    const r = await s.get(`${rawBase}/500`, { hooks: { earlyResponse: () => void early++ }, timeout: 20_000 });
    expect(r.statusCode).toBe(200);
    expect(r.text).toBe('ok');
    expect(early).toBe(16);
  });

  it('a flood of more than 1000 fails the request', async () => {
    await using s = new AsyncSession();
    const err = await s.get(`${rawBase}/2000`, { timeout: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/more than 1000 informational \(1xx\) responses/);
  });
});

describe('the sync API', () => {
  let peer: ServerProcess;
  beforeAll(async () => {
    peer = await startServerProcess();
  });
  afterAll(() => peer.close());

  const bigWritten = (s: Session): number => Number(s.get(`${peer.url}/big-written`).text);

  it('regression: stops a plain body at maxBodySize, and a followed redirect body at 64 KiB', () => {
    using s = new Session({ workers: 1 });
    s.get(`${peer.url}/reset-stats`);
    expect(() => s.get(`${peer.url}/bytes/${64 << 20}`, { maxBodySize: 1 << 20, timeout: 20_000 })).toThrow(BodyTooLarge);
    expect(bigWritten(s)).toBeLessThan(32 << 20);

    s.get(`${peer.url}/reset-stats`);
    const r = s.get(`${peer.url}/redirect-bytes/${64 << 20}`, { stream: true, timeout: 20_000 });
    expect(r.statusCode).toBe(200);
    expect(() => r.history[0]!.content).toThrow(/more than 65536 bytes/);
    expect(bigWritten(s)).toBeLessThan(32 << 20);
  });
});
