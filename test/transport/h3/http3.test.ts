import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ChunkedEncodingError, SSLError } from '../../../dist/src/index.js';
import { makePki, type TestPki } from '../../helpers/certs.js';
import { startH3Server, type H3Answer, type H3Request, type H3Server } from '../../helpers/h3-server.js';

let pki: TestPki;
const closers: Array<() => unknown> = [];

/** An origin serving HTTP/3 on UDP and HTTP/2 on TCP, both on one port; TCP answers announce h3 by Alt-Svc. */
async function h3Origin(handler: (req: H3Request) => H3Answer | Promise<H3Answer>, maxStreams?: number, clientCa?: string, tries = 5): Promise<{ origin: string; h3: H3Server; tcpHits: string[] }> {
  const h3 = await startH3Server({ cert: pki.server.cert, key: pki.server.key, handler, maxStreams, clientCa });
  const tcpHits: string[] = [];
  const sockets = new Set<Socket>();
  const tcp = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key, allowHTTP1: true }, (req, res) => {
    tcpHits.push(req.url);
    res.setHeader('alt-svc', `h3=":${h3.port}"; ma=60`);
    res.end(`tcp ${req.url}`);
  });
  tcp.on('connection', (s: Socket) => sockets.add(s));
  try {
    await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(h3.port, '127.0.0.1', resolve));
  } catch (err) {
    // The UDP port's number is taken on TCP: another pair.
    await h3.close();
    if (tries === 0) throw err;
    return h3Origin(handler, maxStreams, clientCa, tries - 1);
  }
  closers.push(() => {
    tcp.close();
    for (const s of sockets) s.destroy();
  }, () => h3.close());
  return { origin: `https://127.0.0.1:${h3.port}`, h3, tcpHits };
}

const echo = (req: H3Request): H3Answer => ({ headers: { 'content-type': 'text/plain', 'x-path': req.path }, body: `h3 ${req.method} ${req.path} ${req.body.length}` });

let plain: Awaited<ReturnType<typeof h3Origin>>;

beforeAll(async () => {
  pki = makePki();
  plain = await h3Origin(echo);
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('HTTP/3', () => {
  it('is used after an Alt-Svc h3 answer under disableHttp3: false, with connInfo naming QUIC', async () => {
    await using s = new AsyncSession({ verify: pki.caPath, disableHttp3: false });
    const first = await s.get(`${plain.origin}/one`);
    expect([first.httpVersion, first.text]).toEqual(['HTTP/2', 'tcp /one']);
    const second = await s.get(`${plain.origin}/two`);
    expect([second.httpVersion, second.text, second.headers.get('x-path')]).toEqual(['HTTP/3', 'h3 GET /two 0', '/two']);
    expect(second.connInfo?.httpVersion).toBe('HTTP/3');
    expect(second.connInfo?.quic).toMatchObject({ version: 'QUICv1', alpn: 'h3', peerInitialMaxStreamsBidi: 100 });
    expect(second.connInfo?.peerCertificate?.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(pki.server.sha256);
  });

  it('is not used by default on an Alt-Svc answer alone, and never with disableHttp3: true', async () => {
    await using quiet = new AsyncSession({ verify: pki.caPath });
    for (const path of ['/a', '/b']) expect((await quiet.get(`${plain.origin}${path}`)).httpVersion).toBe('HTTP/2');
    await using off = new AsyncSession({ verify: pki.caPath, disableHttp3: true, http3Origins: [plain.origin] });
    for (const path of ['/c', '/d']) expect((await off.get(`${plain.origin}${path}`)).httpVersion).toBe('HTTP/2');
  });

  it('is used from the first request for an origin listed in http3Origins', async () => {
    const hits = plain.tcpHits.length;
    await using s = new AsyncSession({ verify: pki.caPath, http3Origins: [plain.origin] });
    const r = await s.get(`${plain.origin}/first`);
    expect([r.httpVersion, r.text]).toEqual(['HTTP/3', 'h3 GET /first 0']);
    expect(plain.tcpHits.length).toBe(hits);
  });

  it('takes the TLS options: verify false, a pin; an untrusted certificate fails as over TCP', async () => {
    await using unverified = new AsyncSession({ verify: false, http3Origins: [plain.origin] });
    expect((await unverified.get(`${plain.origin}/v`)).httpVersion).toBe('HTTP/3');
    await using pinned = new AsyncSession({ verify: `sha256_${pki.server.sha256}`, http3Origins: [plain.origin] });
    expect((await pinned.get(`${plain.origin}/p`)).httpVersion).toBe('HTTP/3');
    // The QUIC handshake fails, TCP is tried, and its certificate error is the one the user gets.
    const hits = plain.tcpHits.length;
    await using strict = new AsyncSession({ http3Origins: [plain.origin] });
    await expect(strict.get(`${plain.origin}/untrusted`)).rejects.toBeInstanceOf(SSLError);
    await using wrongPin = new AsyncSession({ verify: `sha256_${'0'.repeat(64)}`, http3Origins: [plain.origin] });
    await expect(wrongPin.get(`${plain.origin}/wrong-pin`)).rejects.toThrow(/pin mismatch/);
    expect(plain.tcpHits.length).toBe(hits);
    expect(plain.h3.seen.some((q) => q.path === '/untrusted' || q.path === '/wrong-pin')).toBe(false);
  });

  it('presents a client certificate to a server that asks for one', async () => {
    const mutual = await h3Origin(echo, undefined, pki.ca);
    await using withCert = new AsyncSession({ verify: pki.caPath, cert: [pki.client.certPath, pki.client.keyPath], http3Origins: [mutual.origin] });
    expect((await withCert.get(`${mutual.origin}/mtls`)).httpVersion).toBe('HTTP/3');
    // Without one the QUIC handshake fails, and TCP (which asks for none here) answers.
    await using without = new AsyncSession({ verify: pki.caPath, http3Origins: [mutual.origin] });
    expect((await without.get(`${mutual.origin}/none`)).httpVersion).toBe('HTTP/2');
  });

  it('falls back to TCP when UDP gets no answer, and leaves the origin to TCP afterwards', async () => {
    const sink = dgram.createSocket('udp4');
    let packets = 0;
    sink.on('message', () => packets++);
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
    closers.push(() => sink.close());
    const tcp = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
      res.setHeader('alt-svc', `h3=":${(sink.address() as AddressInfo).port}"`);
      res.end(`tcp ${req.url}`);
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    closers.push(() => tcp.close());
    const origin = `https://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
    await using s = new AsyncSession({ verify: pki.caPath, timeout: { connect: 1000 }, disableHttp3: false });
    expect((await s.get(`${origin}/announce`)).httpVersion).toBe('HTTP/2');
    const t0 = performance.now();
    const r = await s.get(`${origin}/fallback`);
    expect([r.httpVersion, r.text]).toEqual(['HTTP/2', 'tcp /fallback']);
    // The QUIC attempt gets half the connect timeout (500 ms); without that bound it would
    // wait out the QUIC idle timeout (30 s). The bound leaves room for a loaded machine.
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(packets).toBeGreaterThan(0); // QUIC was tried
    const tried = packets;
    expect((await s.get(`${origin}/after`)).httpVersion).toBe('HTTP/2');
    await new Promise((r) => setTimeout(r, 100));
    expect(packets).toBe(tried);
  });

  it('queues requests beyond the server stream limit (MAX_STREAMS) instead of failing them', async () => {
    const limited = await h3Origin(async (req) => {
      await new Promise((r) => setTimeout(r, 20));
      return echo(req);
    }, 3);
    await using s = new AsyncSession({ verify: pki.caPath, http3Origins: [limited.origin] });
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => s.get(`${limited.origin}/n${i}`)));
    expect(all.map((r) => r.text)).toEqual(Array.from({ length: 20 }, (_, i) => `h3 GET /n${i} 0`));
    expect(all.every((r) => r.httpVersion === 'HTTP/3')).toBe(true);
    expect(limited.h3.maxConcurrent).toBeLessThanOrEqual(3);
    expect(limited.h3.seen).toHaveLength(20);
  });

  it('carries the requests of several workers on one QUIC connection (the origin is homed, as for HTTP/2)', async () => {
    const homed = await h3Origin(async (req) => {
      await new Promise((r) => setTimeout(r, 20));
      return echo(req);
    });
    await using s = new AsyncSession({ verify: pki.caPath, http3Origins: [homed.origin], workers: 2 });
    expect((await s.get(`${homed.origin}/first`)).httpVersion).toBe('HTTP/3');
    const burst = await Promise.all(Array.from({ length: 64 }, (_, i) => s.get(`${homed.origin}/b${i}`)));
    expect(burst.every((r) => r.httpVersion === 'HTTP/3')).toBe(true);
    expect(homed.h3.connections).toBe(1);
  });

  it('decodes gzip and zstd bodies', async () => {
    const text = 'compressed over QUIC '.repeat(500);
    const coded = await h3Origin((req) =>
      req.path === '/gzip'
        ? { headers: { 'content-encoding': 'gzip' }, body: gzipSync(text) }
        : { headers: { 'content-encoding': 'zstd' }, body: execFileSync('zstd', ['-c', '-q'], { input: text }) },
    );
    await using s = new AsyncSession({ verify: pki.caPath, http3Origins: [coded.origin] });
    for (const path of ['/gzip', '/zstd']) {
      const r = await s.get(`${coded.origin}${path}`);
      expect([r.httpVersion, r.text]).toEqual(['HTTP/3', text]);
    }
  });

  it('uploads a body in hand and a streamed one', async () => {
    await using s = new AsyncSession({ verify: pki.caPath, http3Origins: [plain.origin] });
    const r = await s.post(`${plain.origin}/up`, { data: Buffer.alloc(100_000, 7) });
    expect([r.httpVersion, r.text]).toEqual(['HTTP/3', 'h3 POST /up 100000']);
    async function* parts(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 10; i++) yield Buffer.alloc(10_000, i);
    }
    const streamed = await s.post(`${plain.origin}/streamed`, { data: parts() });
    expect(streamed.text).toBe('h3 POST /streamed 100000');
    const seen = plain.h3.seen.find((q) => q.path === '/streamed')!;
    expect(seen.body.subarray(99_999)[0]).toBe(9);
  });

  it('a stream the server resets fails that request only, with a typed error', async () => {
    const resetting = await h3Origin(async (req) => {
      if (req.path === '/reset') return { reset: 0x10c, afterHead: true };
      await new Promise((r) => setTimeout(r, 30));
      return echo(req);
    });
    await using s = new AsyncSession({ verify: pki.caPath, http3Origins: [resetting.origin] });
    const [ok, cut, ok2] = await Promise.allSettled([s.get(`${resetting.origin}/a`), s.get(`${resetting.origin}/reset`), s.get(`${resetting.origin}/b`)]);
    expect(ok.status === 'fulfilled' && ok.value.text).toBe('h3 GET /a 0');
    expect(ok2.status === 'fulfilled' && ok2.value.text).toBe('h3 GET /b 0');
    expect(cut.status).toBe('rejected');
    const err = (cut as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(ChunkedEncodingError);
    expect(String(err.message)).toMatch(/H3_REQUEST_CANCELLED/);
  });

  // 1 MiB: our test server runs on the same QUIC package in JavaScript, and both ends share
  // this machine; the 64 MiB download is the interop test's, against caddy.
  it('downloads a body of many DATA frames intact (sha256)', async () => {
    const block = randomBytes(64 * 1024);
    const big = await h3Origin(() => ({ headers: { 'content-length': String(16 * block.length) }, body: Array.from({ length: 16 }, () => block) }));
    const want = createHash('sha256');
    for (let i = 0; i < 16; i++) want.update(block);
    await using s = new AsyncSession({ verify: pki.caPath, http3Origins: [big.origin] });
    const r = await s.get(`${big.origin}/big`);
    expect(r.httpVersion).toBe('HTTP/3');
    expect(r.content.length).toBe(16 * block.length);
    expect(createHash('sha256').update(r.content).digest('hex')).toBe(want.digest('hex'));
  });
});
