// Debian's nginx, in another process on loopback, serving static files: a small one, a
// 32 MiB one (streamed and checked by hash), a gzip_static one and text that `gzip on`
// compresses; keep-alive reuse seen from nginx's side ($connection). Off CI, skipped (saying
// why) when nginx is not installed; on CI that fails the file (scripts/interop/install.sh).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, Session } from '../../dist/src/index.js';
import { checkPeers, startPeers, type NginxPeer } from '../../scripts/interop/peers.mjs';
import { skipWithout } from '../helpers/interop.js';

const skip = skipWithout('nginx', checkPeers().nginx);

const CHUNK = 65536;

describe.skipIf(skip)('nginx interop', () => {
  let peer: NginxPeer;
  let base: string;
  let s: Session;
  let a: AsyncSession;

  beforeAll(async () => {
    peer = (await startPeers({ only: ['nginx'] })).nginx!;
    base = peer.url;
    s = new Session();
    a = new AsyncSession();
  }, 60_000);
  afterAll(async () => {
    s?.close();
    await a?.close();
    await peer?.stop();
  });

  /** [connection serial, requests on it so far], from nginx's $connection variables. */
  const conn = (text: string | null): [number, number] => {
    const [c, n] = text!.trim().split(' ').map(Number);
    return [c!, n!];
  };

  describe('Session (sync)', () => {
    it('GET a small file', () => {
      const r = s.get(base + peer.files.small.path);
      expect(r.statusCode).toBe(200);
      expect(r.httpVersion).toBe('HTTP/1.1');
      expect(r.headers.get('server')).toMatch(/^nginx\//);
      expect(r.headers.get('content-type')).toBe('text/plain');
      expect(r.text).toBe('hello from nginx\n');
    });

    it('HEAD the 32 MiB file: its length, no body', () => {
      const r = s.head(base + peer.files.big.path);
      expect(r.statusCode).toBe(200);
      expect(Number(r.headers.get('content-length'))).toBe(32 << 20);
      expect(r.content.length).toBe(0);
    });

    it('a missing file is a 404', () => {
      const r = s.get(`${base}/no-such-file`);
      expect(r.statusCode).toBe(404);
      expect(() => r.raiseForStatus()).toThrow(`404 Client Error: Not Found for url: ${base}/no-such-file`);
    });

    it('streams the 32 MiB file through iterContent(65536), sha256 intact', () => {
      const r = s.get(base + peer.files.big.path, { stream: true });
      expect(r.statusCode).toBe(200);
      const hash = createHash('sha256');
      let total = 0;
      let chunks = 0;
      let odd = 0;
      for (const chunk of r.iterContent(CHUNK) as Generator<Buffer>) {
        hash.update(chunk);
        total += chunk.length;
        chunks++;
        if (chunk.length !== CHUNK) odd++;
      }
      expect(total).toBe(peer.files.big.size);
      expect(chunks).toBe(peer.files.big.size / CHUNK);
      expect(odd).toBe(0);
      expect(hash.digest('hex')).toBe(peer.files.big.sha256);
    });

    it('reuses one keep-alive connection for requests made one after another', () => {
      const one = new Session({ workers: 1 });
      try {
        const seen = Array.from({ length: 5 }, () => conn(one.get(`${base}/conn`).text));
        expect(new Set(seen.map(([c]) => c)).size).toBe(1);
        const counts = seen.map(([, n]) => n);
        expect(counts).toEqual(counts.map((_, i) => counts[0]! + i));
      } finally {
        one.close();
      }
    });

    it('gzip_static: sends the precompressed file as it is; raw.read() gives its exact bytes', () => {
      const { text } = peer.files;
      const r = s.get(base + text.path, { stream: true, headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.headers.get('content-encoding')).toBe('gzip');
      // gzip_static serves the .gz file with its length (on-the-fly gzip would be chunked).
      expect(Number(r.headers.get('content-length'))).toBe(text.gz.size);
      const bytes = r.raw.read();
      expect(bytes.length).toBe(text.gz.size);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(text.gz.sha256);
    });

    it('without gzip in Accept-Encoding, the file comes as it is', () => {
      const r = s.get(base + peer.files.text.path, { headers: { 'Accept-Encoding': 'identity' } });
      expect(r.headers.get('content-encoding')).toBeUndefined();
      expect(r.content.length).toBe(peer.files.text.size);
      expect(createHash('sha256').update(r.content).digest('hex')).toBe(peer.files.text.sha256);
    });

    it('multiplexed: 64 lazy GETs gathered at once', () => {
      const m = new Session({ multiplexed: true, poolMaxsize: 16 });
      try {
        const rs = Array.from({ length: 64 }, () => m.get(base + peer.files.small.path));
        m.gather();
        expect(rs.every((r) => !r.lazy && r.statusCode === 200 && r.text === 'hello from nginx\n')).toBe(true);
      } finally {
        m.close();
      }
    });
  });

  describe('AsyncSession', () => {
    it('GET a small file', async () => {
      const r = await a.get(base + peer.files.small.path);
      expect(r.statusCode).toBe(200);
      expect(r.text).toBe('hello from nginx\n');
    });

    it('streams the 32 MiB file through iterContent(65536), sha256 intact', async () => {
      const r = await a.get(base + peer.files.big.path, { stream: true });
      expect(r.statusCode).toBe(200);
      const hash = createHash('sha256');
      let total = 0;
      let odd = 0;
      for await (const chunk of r.iterContent(CHUNK)) {
        hash.update(chunk as Buffer);
        total += chunk.length;
        if (chunk.length !== CHUNK) odd++;
      }
      expect(total).toBe(peer.files.big.size);
      expect(odd).toBe(0);
      expect(hash.digest('hex')).toBe(peer.files.big.sha256);
    });

    it('reads the 32 MiB file whole, sha256 intact', async () => {
      const r = await a.get(base + peer.files.big.path);
      expect(r.content.length).toBe(peer.files.big.size);
      expect(createHash('sha256').update(r.content).digest('hex')).toBe(peer.files.big.sha256);
    });

    it('reuses one keep-alive connection for requests made one after another', async () => {
      await using one = new AsyncSession({ workers: 1 });
      const seen: Array<[number, number]> = [];
      for (let i = 0; i < 5; i++) seen.push(conn((await one.get(`${base}/conn`)).text));
      expect(new Set(seen.map(([c]) => c)).size).toBe(1);
      expect(seen.map(([, n]) => n - seen[0]![1])).toEqual([0, 1, 2, 3, 4]);
    });

    it('keeps at most poolMaxsize connections for 64 concurrent requests', async () => {
      await using few = new AsyncSession({ workers: 1, poolMaxsize: 4 });
      const rs = await Promise.all(Array.from({ length: 64 }, () => few.get(`${base}/conn`)));
      const connections = new Set(rs.map((r) => conn(r.text)[0]));
      expect(connections.size).toBeLessThanOrEqual(4);
    });
  });

  // Decoding happens in the transport worker (src/transport/decoder.ts).
  describe('Content-Encoding: gzip, decoded', () => {
    it('gzip_static: the precompressed file is decoded (sync)', () => {
      const r = s.get(base + peer.files.text.path, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.headers.get('content-encoding')).toBe('gzip');
      expect(r.content.length).toBe(peer.files.text.size);
      expect(createHash('sha256').update(r.content).digest('hex')).toBe(peer.files.text.sha256);
    });

    it('gzip on: text compressed on the fly (chunked) is decoded (sync)', () => {
      const r = s.get(base + peer.files.dynamic.path, { headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.headers.get('content-encoding')).toBe('gzip');
      expect(r.headers.get('content-length')).toBeUndefined();
      expect(createHash('sha256').update(r.content).digest('hex')).toBe(peer.files.dynamic.sha256);
      expect((r.json() as { items: unknown[] }).items).toHaveLength(500);
    });

    it('gzip_static, decoded, streamed through iterContent (async)', async () => {
      const r = await a.get(base + peer.files.text.path, { stream: true, headers: { 'Accept-Encoding': 'gzip' } });
      expect(r.headers.get('content-encoding')).toBe('gzip');
      const chunks: Buffer[] = [];
      for await (const chunk of r.iterContent(1000)) chunks.push(chunk as Buffer);
      expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(peer.files.text.sha256);
    });
  });
});
