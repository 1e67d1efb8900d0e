import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, InvalidOption } from '../../dist/src/index.js';
import { Engine } from '../../dist/src/engine/engine.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { until } from '../helpers/until.js';

let pki: TestPki;
let secure: http2.Http2SecureServer;
let cleartext: http2.Http2Server;
let secureUrl: string;
let h2cUrl: string;
const secureSockets = new Set<Socket>();
const h2cSockets = new Set<Socket>();

const handler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => {
  if (req.url === '/fields') {
    res.writeEarlyHints({ link: '</a.css>; rel=preload' });
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.setHeader('x-multi', ['one', 'two']);
    res.setHeader('content-encoding', 'gzip');
    res.end(gzipSync('fields over h2'));
    return;
  }
  const q = new URL(req.url, 'http://x').searchParams;
  const answer = () => res.end(`${req.httpVersion} ${req.url}`);
  if (q.has('gate')) {
    // Held until `gate` such requests are in flight together.
    gated.push(answer);
    if (gated.length === Number(q.get('gate'))) for (const release of gated.splice(0)) release();
    return;
  }
  setTimeout(answer, Number(q.get('delay') ?? 0));
};
const gated: Array<() => void> = [];

beforeAll(async () => {
  pki = makePki();
  secure = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key, allowHTTP1: true }, handler);
  secure.on('connection', (s: Socket) => secureSockets.add(s));
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  secureUrl = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
  cleartext = http2.createServer(handler);
  cleartext.on('connection', (s: Socket) => h2cSockets.add(s));
  await new Promise<void>((r) => cleartext.listen(0, '127.0.0.1', r));
  h2cUrl = `http://127.0.0.1:${(cleartext.address() as AddressInfo).port}`;
});
afterAll(() => {
  secure.close();
  cleartext.close();
  for (const s of [...secureSockets, ...h2cSockets]) s.destroy();
});

describe('HTTP/2', () => {
  it('is negotiated by ALPN over https', async () => {
    await using s = new AsyncSession({ verify: pki.caPath });
    const r = await s.get(`${secureUrl}/a`);
    expect(r.httpVersion).toBe('HTTP/2');
    expect(r.text).toBe('2.0 /a');
    expect(String(r)).toBe('<Response HTTP/2 [200]>');
  });

  it('carries response fields as sent: repeats, Set-Cookie into the jar, 103 before the head, gzip decoded', async () => {
    await using s = new AsyncSession({ verify: pki.caPath });
    const early: string[] = [];
    const r = await s.get(`${secureUrl}/fields`, { hooks: { earlyResponse: (e) => void early.push(`${e.statusCode} ${e.headers.get('link')}`) } });
    expect(r.httpVersion).toBe('HTTP/2');
    expect(early).toEqual(['103 </a.css>; rel=preload']);
    expect(r.headers.get('x-multi')).toBe('one, two');
    expect(r.text).toBe('fields over h2');
    expect(s.cookies.toObject()).toEqual({ a: '1', b: '2' });
  });

  it('an HTTP/2 origin whose worker died is served from a new one', async () => {
    await using s = new AsyncSession({ verify: pki.caPath, multiplexed: true, workers: 2 });
    await s.gather(await s.get(`${secureUrl}/before`));
    const engine = Engine.acquire(2);
    try {
      // Both, so the origin's home is surely among them; the pool starts replacements.
      await Promise.all(engine.pool.threads.map((t) => t.terminate()));
      const r = await s.get(`${secureUrl}/after`);
      await s.gather(r);
      expect([r.httpVersion, r.text]).toEqual(['HTTP/2', '2.0 /after']);
    } finally {
      engine.release();
    }
  });

  it('disableHttp2 keeps to HTTP/1.1', async () => {
    await using s = new AsyncSession({ verify: pki.caPath, disableHttp2: true });
    const r = await s.get(`${secureUrl}/b`);
    expect(r.httpVersion).toBe('HTTP/1.1');
    expect(r.text).toBe('1.1 /b');
  });

  it('disableHttp1 on http:// speaks h2c with prior knowledge', async () => {
    await using s = new AsyncSession({ disableHttp1: true });
    const r = await s.get(`${h2cUrl}/c`);
    expect(r.httpVersion).toBe('HTTP/2');
    expect(r.text).toBe('2.0 /c');
  });

  it('a streamed body that does not match its Content-Length is refused, as over HTTP/1.1', async () => {
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('hel');
      yield Buffer.from('lo');
    }
    await using s = new AsyncSession({ disableHttp1: true });
    for (const length of ['3', '10']) {
      const e = await s.post(`${h2cUrl}/upload`, { data: body(), headers: { 'Content-Length': length } }).then(() => null, (err: Error) => err);
      expect([length, e?.name, e?.message]).toEqual([length, 'ConnectionError', expect.stringMatching(/Request body length does not match content-length header/)]);
    }
    expect((await s.post(`${h2cUrl}/upload`, { data: body(), headers: { 'Content-Length': '5' } })).text).toBe('2.0 /upload');
  });

  it('disabling both is a clear error', () => {
    expect(() => new AsyncSession({ disableHttp1: true, disableHttp2: true })).toThrow(InvalidOption);
    expect(() => new AsyncSession({ disableHttp1: true, disableHttp2: true })).toThrow(/no protocol/);
  });

  it('a multiplexed session carries 100 concurrent requests as streams of one connection, with two workers too', async () => {
    // Two workers: an HTTP/2 origin still gets one connection (its requests go to one worker).
    await using s = new AsyncSession({ verify: pki.caPath, multiplexed: true, workers: 2 });
    const before = secureSockets.size;
    // The server answers none until all 100 are in flight at once.
    const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => s.get(`${secureUrl}/m${i}?gate=100`)));
    await Promise.race([
      s.gather(...rs),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${gated.length} of 100 requests reached the server together within 20 s`)), 20_000).unref()),
    ]);
    expect(rs.map((r) => r.text)).toEqual(Array.from({ length: 100 }, (_, i) => `2.0 /m${i}?gate=100`));
    expect(secureSockets.size - before).toBe(1);
    // Later requests, one by one or in a burst, stay on it.
    await s.gather(await s.get(`${secureUrl}/later`));
    await s.gather(...(await Promise.all(Array.from({ length: 20 }, (_, i) => s.get(`${secureUrl}/again${i}`)))));
    expect(secureSockets.size - before).toBe(1);
    expect(s.pools().filter((p) => p.origin === secureUrl)).toHaveLength(1);
  });
});

describe('Alt-Svc', () => {
  it('is parsed and remembered per origin', async () => {
    const { createServer } = await import('node:http');
    const srv = createServer((_req, res) => {
      res.setHeader('alt-svc', 'h3=":4433"; ma=60, h2="alt.test:443"');
      res.end('ok');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    await using s = new AsyncSession();
    await s.get(`${origin}/x`);
    const services = s.altSvc.get(origin);
    expect(services.map(({ protocol, host, port }) => ({ protocol, host, port }))).toEqual([
      { protocol: 'h3', host: '', port: 4433 },
      { protocol: 'h2', host: 'alt.test', port: 443 },
    ]);
    expect(services[0]!.expires - Date.now()).toBeLessThanOrEqual(60_000);
    srv.close();
  });
});

describe('HTTP/2 refusals', () => {
  it('a stream refused with HTTP_1_1_REQUIRED is sent again over HTTP/1.1', async () => {
    const srv = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key, allowHTTP1: true }, (req, res) => {
      if (req.httpVersion === '2.0') {
        req.stream.on('error', () => {}); // closing with an error code is the point
        req.stream.close(http2.constants.NGHTTP2_HTTP_1_1_REQUIRED);
      } else res.end(`served over ${req.httpVersion}`);
    });
    srv.on('sessionError', () => {});
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    await using s = new AsyncSession({ verify: pki.caPath, workers: 1 });
    const r = await s.get(`https://127.0.0.1:${(srv.address() as AddressInfo).port}/h1-only`);
    expect(r.httpVersion).toBe('HTTP/1.1');
    expect(r.text).toBe('served over 1.1');
    srv.close();
  });

  it('requests cut by a GOAWAY are sent again on a new connection', async () => {
    let sessions = 0;
    const srv = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key });
    srv.on('session', (session) => {
      sessions++;
      session.on('error', () => {});
    });
    srv.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      // The first connection answers its first stream, then says it will take no more.
      if (sessions === 1 && stream.id > 1) {
        stream.session!.goaway(http2.constants.NGHTTP2_NO_ERROR, 1);
        return;
      }
      setTimeout(() => {
        // undici drops the whole connection on a GOAWAY, so even stream 1 may be gone (and retried).
        if (stream.destroyed || stream.closed) return;
        stream.respond({ ':status': 200 });
        stream.end(`ok ${headers[':path']}`);
      }, 20);
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    await using s = new AsyncSession({ verify: pki.caPath, workers: 1, multiplexed: true });
    const rs = await Promise.all([1, 2, 3].map((i) => s.get(`${base}/g${i}`)));
    await s.gather(...rs);
    expect(rs.map((r) => r.text)).toEqual(['ok /g1', 'ok /g2', 'ok /g3']);
    expect(sessions).toBeGreaterThanOrEqual(2);
    srv.close();
  });
});

describe('HTTP/2 keep-alive', () => {
  it('an idle connection is kept warm with PINGs at keepaliveDelay', async () => {
    let pings = 0;
    const srv = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key }, (_req, res) => res.end('ok'));
    srv.on('session', (session) => session.on('ping', () => pings++));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const s = new AsyncSession({ verify: pki.caPath, workers: 1, keepaliveDelay: 150 });
    await s.get(`https://127.0.0.1:${(srv.address() as AddressInfo).port}/`);
    // No request follows: only keep-alive PINGs can arrive.
    await until(() => pings >= 2, () => `${pings} PINGs so far`);
    await s.close();
    srv.close();
  });
});

describe('HTTP/2 bodies', () => {
  it('streams a large upload and a large download, with backpressure, over one h2 connection', async () => {
    const { createHash } = await import('node:crypto');
    const srv = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
      if (req.method === 'POST') {
        const h = createHash('sha256');
        req.on('data', (c) => h.update(c));
        req.on('end', () => res.end(h.digest('hex')));
        return;
      }
      const block = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < 8 << 20) {
          sent += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const base = `https://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const s = new AsyncSession({ verify: pki.caPath, workers: 1 });
    const chunk = Buffer.alloc(256 * 1024, 3);
    async function* body() {
      for (let i = 0; i < 8; i++) yield chunk;
    }
    const expected = createHash('sha256');
    for (let i = 0; i < 8; i++) expected.update(chunk);
    const up = await s.post(`${base}/up`, { data: body() });
    expect(up.httpVersion).toBe('HTTP/2');
    expect(up.text).toBe(expected.digest('hex'));
    const down = await s.get(`${base}/down`, { stream: true });
    let n = 0;
    for await (const c of down.iterContent(null)) {
      n += c.length;
      if (n < 1 << 20) await new Promise((r) => setTimeout(r, 1)); // a slow start
    }
    expect(n).toBe(8 << 20);
    await s.close();
    srv.close();
  });
});
