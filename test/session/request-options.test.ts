// Request options as the server receives them: params, URLs, bodies (encoded and
// streamed), Content-Length, headers and their merging, baseUrl, timeouts, abort signals.
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncSession, InvalidHeader, InvalidOption, ReadTimeout, RequestAborted, RequestException, Session, Timeout, VERSION,
  type PreparedRequest,
} from '../../dist/src/index.js';
import { supportedEncodings } from '../../dist/src/channel/encodings.js';
import { echoOf, rejection, startSemanticsServer, uid, withClient, type Echo, type Kind, type SemanticsServer } from '../helpers/semantics-server.js';
import { until } from '../helpers/until.js';

let srv: SemanticsServer;
let dir: string;
beforeAll(async () => {
  srv = await startSemanticsServer();
  dir = mkdtempSync(join(tmpdir(), 'nq-opts-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await srv.close();
});

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) % 256;
  return b;
}
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** The multipart body the server got, parsed by the platform's own parser. */
async function formDataOf(e: Echo, raw: Buffer): Promise<FormData> {
  return new globalThis.Response(new Uint8Array(raw), { headers: { 'content-type': e.headers['content-type']! } }).formData();
}

describe.each(['sync', 'async'] as Kind[])('params on the wire (%s)', (kind) => {
  it('a record: arrays repeat the key, null and undefined drop it, scalars are text, values form-encoded', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/anything`, { params: { q: 'a b&c=d', tag: ['x', 'y'], n: 2, ok: true, skip: null, gone: undefined, uni: 'é€' } });
      expect(echoOf(r).url).toBe('/anything?q=a+b%26c%3Dd&tag=x&tag=y&n=2&ok=true&uni=%C3%A9%E2%82%AC');
      expect(echoOf(r).args).toEqual({ q: ['a b&c=d'], tag: ['x', 'y'], n: ['2'], ok: ['true'], uni: ['é€'] });
    });
  });

  it('merge after an existing query; the fragment stays in r.url but is never sent', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/anything?x=1&x=2#frag`, { params: { y: '3' } });
      expect(echoOf(r).url).toBe('/anything?x=1&x=2&y=3');
      expect(r.url).toBe(`${srv.base}/anything?x=1&x=2&y=3#frag`);
      expect(r.request.url).toBe(`${srv.base}/anything?x=1&x=2&y=3`);
    });
  });

  it('pairs, URLSearchParams and a string (taken as already encoded)', async () => {
    await withClient(kind, undefined, async (c) => {
      expect(echoOf(await c.get(`${srv.base}/anything`, { params: [['k', 'v1'], ['k', 'v2']] })).url).toBe('/anything?k=v1&k=v2');
      expect(echoOf(await c.get(`${srv.base}/anything`, { params: new URLSearchParams({ a: '1 2' }) })).url).toBe('/anything?a=1+2');
      expect(echoOf(await c.get(`${srv.base}/anything?z=0`, { params: '?raw=%41%20b' })).url).toBe('/anything?z=0&raw=%41%20b');
    });
  });

  it('a param already in the URL is kept next to the same param given in params, as in Requests', async () => {
    await withClient(kind, undefined, async (c) => {
      expect(echoOf(await c.get(`${srv.base}/anything?page=1`, { params: { page: 2 } })).url).toBe('/anything?page=1&page=2');
    });
  });

  it('session params come first, request params after', async () => {
    await withClient(kind, { params: { api_key: 'k' } }, async (c) => {
      expect(echoOf(await c.get(`${srv.base}/anything?x=1`, { params: { page: 2 } })).url).toBe('/anything?x=1&api_key=k&page=2');
      c.session.params = { v: '2' };
      expect(echoOf(await c.get(`${srv.base}/anything`)).url).toBe('/anything?v=2');
    });
  });

  it('a request param overrides the session param of the same name, and null removes it (Requests merge_setting)', async () => {
    await withClient(kind, { params: { page: 1, token: 'abc', keep: 'yes' } }, async (c) => {
      const e = echoOf(await c.get(`${srv.base}/anything`, { params: { page: 2, token: null } }));
      expect(e.args).toEqual({ page: ['2'], keep: ['yes'] });
    });
  });

  it('a param value that cannot be sent is refused, naming the key', async () => {
    await withClient(kind, undefined, async (c) => {
      const e = await rejection(c.get(`${srv.base}/anything`, { params: { bad: { nested: 1 } } as never }));
      expect(e).toBeInstanceOf(InvalidOption);
      expect(e.message).toContain('"bad"');
    });
  });
});

describe.each(['sync', 'async'] as Kind[])('URLs on the wire (%s)', (kind) => {
  it('a non-ASCII path is percent-encoded once; an encoded one is left alone; a lone % is escaped', async () => {
    await withClient(kind, undefined, async (c) => {
      expect(echoOf(await c.get(`${srv.base}/anything/päth/ü`)).url).toBe('/anything/p%C3%A4th/%C3%BC');
      expect(echoOf(await c.get(`${srv.base}/anything/a%20b%2Fc`)).url).toBe('/anything/a%20b%2Fc');
      expect(echoOf(await c.get(`${srv.base}/anything/100%`)).url).toBe('/anything/100%25');
    });
  });

  it('a Unicode host goes on the wire as punycode (resolved in memory: no DNS needed)', async () => {
    await withClient(kind, { resolver: 'in-memory://default/?hosts=xn--bcher-kva.test:127.0.0.1' }, async (c) => {
      const r = await c.get(`http://bücher.test:${srv.port}/anything`);
      expect(echoOf(r).headers.host).toBe(`xn--bcher-kva.test:${srv.port}`);
      expect(r.url).toBe(`http://xn--bcher-kva.test:${srv.port}/anything`);
      const upper = await c.get(`http://BÜCHER.test:${srv.port}/anything`);
      expect(echoOf(upper).headers.host).toBe(`xn--bcher-kva.test:${srv.port}`);
    });
  });

  it('baseUrl: relative URLs are appended to it (its path kept), absolute ones ignore it; it can change', async () => {
    await withClient(kind, { baseUrl: `${srv.base}/anything/api/v1/` }, async (c) => {
      expect(echoOf(await c.get('users')).url).toBe('/anything/api/v1/users');
      expect(echoOf(await c.get('/users/7', { params: { full: 1 } })).url).toBe('/anything/api/v1/users/7?full=1');
      expect(echoOf(await c.get(`${srv.base}/anything/abs`)).url).toBe('/anything/abs');
      c.session.baseUrl = `${srv.otherPort}/anything`;
      const r = await c.get('x');
      expect([echoOf(r).server, echoOf(r).url]).toEqual(['other', '/anything/x']);
    });
  });
});

describe.each(['sync', 'async'] as Kind[])('encoded bodies as received (%s)', (kind) => {
  it('a record or pairs are form-encoded, with their Content-Type and Content-Length', async () => {
    await withClient(kind, undefined, async (c) => {
      const e = echoOf(await c.post(`${srv.base}/anything`, { data: { name: 'a b', tag: ['x', 'é'], none: null } }));
      expect([e.body, e.headers['content-type'], e.headers['content-length']]).toEqual([
        'name=a+b&tag=x&tag=%C3%A9', 'application/x-www-form-urlencoded', String('name=a+b&tag=x&tag=%C3%A9'.length),
      ]);
      expect(echoOf(await c.post(`${srv.base}/anything`, { data: [['k', '1'], ['k', '2']] })).body).toBe('k=1&k=2');
      expect(echoOf(await c.post(`${srv.base}/anything`, { data: new URLSearchParams({ u: 'v' }) })).body).toBe('u=v');
    });
  });

  it('json: the JSON text as UTF-8, application/json, the byte length; a Content-Type given is kept', async () => {
    await withClient(kind, undefined, async (c) => {
      const value = { s: 'héllo €', n: [1, 2.5, null], nested: { ok: true } };
      const e = echoOf(await c.post(`${srv.base}/anything`, { json: value }));
      expect(JSON.parse(e.body!)).toEqual(value);
      expect(e.headers['content-type']).toBe('application/json');
      expect(e.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(value))));
      const typed = echoOf(await c.post(`${srv.base}/anything`, { json: [1], headers: { 'Content-Type': 'application/vnd.api+json' } }));
      expect([typed.body, typed.headers['content-type']]).toEqual(['[1]', 'application/vnd.api+json']);
      // data wins over json.
      expect(echoOf(await c.post(`${srv.base}/anything`, { data: 'raw', json: { x: 1 } })).body).toBe('raw');
    });
  });

  it('a string or bytes goes as given, without a Content-Type', async () => {
    await withClient(kind, undefined, async (c) => {
      const s = echoOf(await c.post(`${srv.base}/anything`, { data: 'plain text é' }));
      expect([s.body, s.headers['content-type'], s.headers['content-length']]).toEqual(['plain text é', undefined, String(Buffer.byteLength('plain text é'))]);
      const bytes = pattern(5000);
      const b = echoOf(await c.request('PUT', `${srv.base}/anything`, { data: new Uint8Array(bytes) }));
      expect([b.sha256, b.bodyLength]).toEqual([sha(bytes), 5000]);
    });
  });

  it('files (with data fields) arrive as multipart/form-data the platform can parse', async () => {
    await withClient(kind, undefined, async (c) => {
      const binary = pattern(70_000);
      const r = await c.post(`${srv.base}/anything`, {
        data: { field: 'välue', many: ['1', '2'] },
        files: {
          text: ['notes.txt', 'file body', 'text/plain'],
          bin: ['blob.bin', binary, 'application/octet-stream', { 'X-Part': 'yes' }],
          bare: Buffer.from('no name'),
        },
      });
      const e = echoOf(r);
      expect(e.headers['content-type']).toMatch(/^multipart\/form-data; boundary=.+/);
      expect(e.headers['content-length']).toBe(String(e.bodyLength));
      const raw = Buffer.from((r.request.body as Uint8Array));
      expect(sha(raw)).toBe(e.sha256);
      const form = await formDataOf(e, raw);
      expect(form.get('field')).toBe('välue');
      expect(form.getAll('many')).toEqual(['1', '2']);
      const text = form.get('text') as File;
      expect([text.name, text.type, await text.text()]).toEqual(['notes.txt', 'text/plain', 'file body']);
      const bin = form.get('bin') as File;
      expect([bin.name, sha(Buffer.from(await bin.arrayBuffer()))]).toEqual(['blob.bin', sha(binary)]);
      expect(raw.toString('latin1')).toContain('X-Part: yes');
      expect(await (form.get('bare') as File).text()).toBe('no name');
    });
  });

  it('a record with a multipart Content-Type is sent as multipart, reusing the boundary given', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.post(`${srv.base}/anything`, { data: { a: '1' }, headers: { 'Content-Type': 'multipart/form-data; boundary=myBoundary123' } });
      const e = echoOf(r);
      expect(e.headers['content-type']).toBe('multipart/form-data; boundary=myBoundary123');
      expect(e.body).toContain('--myBoundary123\r\n');
      const form = await formDataOf(e, Buffer.from(e.body!, 'utf8'));
      expect(form.get('a')).toBe('1');
    });
  });
});

describe.each(['sync', 'async'] as Kind[])('Content-Length (%s)', (kind) => {
  it('no body: none on GET and HEAD, 0 on POST, PUT and PATCH', async () => {
    await withClient(kind, undefined, async (c) => {
      const lengths: Record<string, string | undefined> = {};
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        lengths[method] = echoOf(await c.request(method, `${srv.base}/anything`)).headers['content-length'];
      }
      // Over HTTP/1.1 undici leaves out `Content-Length: 0` for DELETE and OPTIONS, as RFC
      // 9110 §8.6 advises for methods that do not anticipate a body (a known gap against
      // Requests, which sends 0 for OPTIONS too).
      expect(lengths).toEqual({ GET: undefined, POST: '0', PUT: '0', PATCH: '0', DELETE: undefined, OPTIONS: undefined });
      const head = await c.request('HEAD', `${srv.base}/anything`);
      expect(head.headers.get('x-echo-method')).toBe('HEAD');
    });
  });

  it('a known length replaces a wrong Content-Length given by the user', async () => {
    await withClient(kind, undefined, async (c) => {
      const e = echoOf(await c.post(`${srv.base}/anything`, { data: 'twelve bytes', headers: { 'Content-Length': '999' } }));
      expect([e.body, e.headers['content-length']]).toEqual(['twelve bytes', '12']);
    });
  });

  it('a GET with a body says how long it is', async () => {
    await withClient(kind, undefined, async (c) => {
      const e = echoOf(await c.get(`${srv.base}/anything`, { data: 'q' }));
      expect([e.body, e.headers['content-length']]).toEqual(['q', '1']);
    });
  });
});

describe('streamed bodies (async)', () => {
  it('a Readable of unknown length is sent chunked and arrives intact', async () => {
    await using s = new AsyncSession();
    const data = pattern(1 << 20);
    const chunks = Array.from({ length: 16 }, (_, i) => data.subarray(i * 65536, (i + 1) * 65536));
    const e = echoOf(await s.post(`${srv.base}/anything`, { data: Readable.from(chunks) }));
    expect([e.chunked, e.headers['content-length'], e.bodyLength, e.sha256]).toEqual([true, undefined, data.length, sha(data)]);
  });

  it('an async generator is sent chunked, strings and bytes alike', async () => {
    await using s = new AsyncSession();
    async function* gen() {
      yield 'text, ';
      await new Promise((r) => setTimeout(r, 20));
      yield Buffer.from('bytes, ');
      yield new Uint8Array([0x65, 0x6e, 0x64]);
    }
    const e = echoOf(await s.put(`${srv.base}/anything`, { data: gen() }));
    expect([e.chunked, e.body]).toEqual([true, 'text, bytes, end']);
  });

  it('a Blob has a known length: Content-Length, not chunked, its type as Content-Type', async () => {
    await using s = new AsyncSession();
    const data = pattern(300_000);
    const e = echoOf(await s.post(`${srv.base}/anything`, { data: new Blob([new Uint8Array(data)], { type: 'application/x-test' }) }));
    expect([e.chunked, e.headers['content-length'], e.headers['content-type'], e.sha256]).toEqual([false, '300000', 'application/x-test', sha(data)]);
  });

  it('a file stream has a known length: Content-Length, not chunked', async () => {
    await using s = new AsyncSession();
    const data = pattern(200_000);
    const file = join(dir, 'upload.bin');
    writeFileSync(file, data);
    const e = echoOf(await s.post(`${srv.base}/anything`, { data: createReadStream(file) }));
    expect([e.chunked, e.headers['content-length'], e.sha256]).toEqual([false, '200000', sha(data)]);
  });

  it('a Content-Length given for a stream is trusted: sent as is, not chunked', async () => {
    await using s = new AsyncSession();
    async function* gen() {
      yield Buffer.from('0123456789');
    }
    const e = echoOf(await s.post(`${srv.base}/anything`, { data: gen(), headers: { 'Content-Length': '10' } }));
    expect([e.chunked, e.headers['content-length'], e.body]).toEqual([false, '10', '0123456789']);
  });

  it('multipart with a streamed file part arrives intact, chunked', async () => {
    await using s = new AsyncSession();
    const text = 'abcdefghij'.repeat(15_000);
    const part = Readable.from([Buffer.from(text.slice(0, 50_000)), Buffer.from(text.slice(50_000))]);
    const e = echoOf(await s.post(`${srv.base}/anything`, { files: { up: ['stream.txt', part, 'text/plain'] }, data: { f: 'v' } }));
    expect(e.chunked).toBe(true);
    const form = await formDataOf(e, Buffer.from(e.body!, 'utf8'));
    expect(form.get('f')).toBe('v');
    const file = form.get('up') as File;
    expect([file.name, file.type, (await file.text()) === text]).toEqual(['stream.txt', 'text/plain', true]);
  });

  it('a synchronous Session refuses a streamed body with a message that says to use AsyncSession', () => {
    const s = new Session();
    try {
      let err: unknown;
      try {
        s.post(`${srv.base}/anything`, { data: Readable.from(['x']) });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RequestException);
      expect((err as Error).message).toMatch(/AsyncSession/);
    } finally {
      s.close();
    }
  });
});

describe.each(['sync', 'async'] as Kind[])('headers (%s)', (kind) => {
  it('defaults: User-Agent nodequests/<version>, Accept */*, Accept-Encoding what this build decodes', async () => {
    await withClient(kind, undefined, async (c) => {
      const h = echoOf(await c.get(`${srv.base}/anything`)).headers;
      expect(h['user-agent']).toBe(`nodequests/${VERSION}`);
      expect(h.accept).toBe('*/*');
      expect(h['accept-encoding']).toBe(supportedEncodings().join(', '));
      expect(supportedEncodings()).toEqual(expect.arrayContaining(['gzip', 'deflate', 'br']));
    });
  });

  it('session headers sit under request headers (any case); null removes a session or default header', async () => {
    await withClient(kind, { headers: { 'X-Session': 's', 'x-both': 'session', 'User-Agent': 'my-app/1.0' } }, async (c) => {
      const h = echoOf(await c.get(`${srv.base}/anything`, { headers: { 'X-BOTH': 'request', 'X-Request': 'r' } })).headers;
      expect([h['x-session'], h['x-both'], h['x-request'], h['user-agent']]).toEqual(['s', 'request', 'r', 'my-app/1.0']);
      const removed = echoOf(await c.get(`${srv.base}/anything`, { headers: { 'X-Session': null, 'User-Agent': null, Accept: null } })).headers;
      expect([removed['x-session'], removed['user-agent'], removed.accept]).toEqual([undefined, undefined, undefined]);
      // The session's own headers are untouched by a request's.
      expect(c.session.headers.get('x-session')).toBe('s');
    });
  });

  it('a Host header given is sent as given; list values are joined, numbers are text', async () => {
    await withClient(kind, undefined, async (c) => {
      expect(echoOf(await c.get(`${srv.base}/anything`, { headers: { Host: 'virtual.test' } })).headers.host).toBe('virtual.test');
      const h = echoOf(await c.get(`${srv.base}/anything`, { headers: { 'X-Multi': ['a', 'b'], 'X-Num': 5 } })).headers;
      expect([h['x-multi'], h['x-num']]).toEqual(['a, b', '5']);
    });
  });

  it('a Host header given is not carried to the next host of a redirect', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/redirect-to?url=${encodeURIComponent(`${srv.otherPort}/anything`)}`, { headers: { Host: 'virtual.test' } });
      expect(echoOf(r).headers.host).toBe(new URL(srv.otherPort).host);
    });
  });

  it('session headers can change between requests', async () => {
    await withClient(kind, undefined, async (c) => {
      c.session.headers.set('X-Later', '1');
      expect(echoOf(await c.get(`${srv.base}/anything`)).headers['x-later']).toBe('1');
      c.session.headers.delete('x-later');
      expect(echoOf(await c.get(`${srv.base}/anything`)).headers['x-later']).toBeUndefined();
    });
  });

  it('a header that cannot be sent is refused by name, before anything is sent', async () => {
    await withClient(kind, undefined, async (c) => {
      const value = await rejection(c.get(`${srv.base}/anything`, { headers: { 'X-Bad': 'a\r\nInjected: 1' } }));
      expect(value).toBeInstanceOf(InvalidHeader);
      expect(value.message).toContain('X-Bad');
      const name = await rejection(c.get(`${srv.base}/anything`, { headers: { 'Bad Name': 'x' } }));
      expect(name).toBeInstanceOf(InvalidHeader);
    });
  });
});

describe.each(['sync', 'async'] as Kind[])('timeouts (%s)', (kind) => {
  it('the default lets a response that takes over a second arrive', async () => {
    await withClient(kind, undefined, async (c) => {
      expect((await c.get(`${srv.base}/delay/1200`)).statusCode).toBe(200);
    });
  });

  it('the session timeout applies; a request timeout overrides it; null means none', async () => {
    await withClient(kind, { timeout: 300 }, async (c) => {
      expect(await rejection(c.get(`${srv.base}/delay/2500`))).toBeInstanceOf(ReadTimeout);
      expect((await c.get(`${srv.base}/delay/1200`, { timeout: 5000 })).statusCode).toBe(200);
      expect((await c.get(`${srv.base}/delay/1200`, { timeout: null })).statusCode).toBe(200);
    });
  });

  it('a read timeout below a second fires when asked, not a second later (measured at the server)', async () => {
    await withClient(kind, undefined, async (c) => {
      await c.get(`${srv.base}/get`); // warm up the connection
      const id = uid('read');
      expect(await rejection(c.get(`${srv.base}/delay/3000?id=${id}`, { timeout: 150 }))).toBeInstanceOf(ReadTimeout);
      // How long the request stayed open, seen by the server: 150 ms, not rounded up to a
      // second (the rest of the margin is for a loaded machine).
      // (The server may hear of the close a moment after the client gave up.)
      let gaps: number[] = [];
      await until(() => gaps.length === 1, () => `the server has not seen the request close (gaps ${JSON.stringify(gaps)})`, 10_000, async () => void (gaps = await srv.gaps(id)));
      const [waited] = gaps;
      expect(waited).toBeGreaterThanOrEqual(100);
      expect(waited).toBeLessThan(900);
    });
  });

  it('a total timeout ends a response that trickles in without ever idling', async () => {
    await withClient(kind, undefined, async (c) => {
      const t0 = performance.now();
      const e = await rejection(c.get(`${srv.base}/drip?n=600&interval=100`, { timeout: { read: 2000, total: 600 } }));
      // The drip lasts a minute and never idles for the read timeout: only the total ends it.
      expect(e).toBeInstanceOf(Timeout);
      expect(e.message).toMatch(/exceeded its total timeout/);
      expect(performance.now() - t0).toBeLessThan(30_000);
    });
  });

  it('the total timeout covers the whole call: redirect hops add up', async () => {
    await withClient(kind, undefined, async (c) => {
      // Three hops of 300 ms each: every one is within 700 ms, the call is not.
      const hop = (next: string) => `/redirect-to?delay=300&url=${encodeURIComponent(next)}`;
      const url = `${srv.base}${hop(hop(hop('/get')))}`;
      const e = await rejection(c.get(url, { timeout: { total: 700 } }));
      // Each hop alone is within the limit: only the call's total can have ended it.
      expect(e).toBeInstanceOf(Timeout);
      expect(e.message).toMatch(/exceeded its total timeout/);
      expect((await c.get(url, { timeout: { total: 5000 } })).history.length).toBe(3);
    });
  });

  it('the total timeout covers retries and their pauses: a Retry-After past it fails at once', async () => {
    await withClient(kind, { retries: { total: 3, statusForcelist: [503] } }, async (c) => {
      await c.get(`${srv.base}/get`); // the workers are up before the clock starts
      const id = uid('total');
      const t0 = performance.now();
      const e = await rejection(c.get(`${srv.base}/flaky?id=${id}&fail=1&retry_after=600`, { timeout: { total: 15_000 } }));
      expect(e).toBeInstanceOf(Timeout);
      expect(e.message).toContain('total timeout of 15000 ms');
      // It did not sit out the ten minutes, nor wait for the deadline: it knew the pause
      // would not fit. (Milliseconds here; the margin is for a loaded machine.)
      expect(performance.now() - t0).toBeLessThan(10_000);
      expect(await srv.count(id)).toBe(1);
    });
  });

  it('a bad timeout is refused by name', async () => {
    await withClient(kind, undefined, async (c) => {
      const e = await rejection(c.get(`${srv.base}/get`, { timeout: { connect: -1 } }));
      expect(e).toBeInstanceOf(InvalidOption);
      expect(e.message).toContain('timeout.connect');
    });
  });
});

describe('durations and counts past what the runtime can do', () => {
  it('fuzz counterexample: a timeout past the timer limit (2 ** 40 ms) is refused, not turned into 1 ms', async () => {
    for (const opts of [{ timeout: 2 ** 40 }, { timeout: { read: 2 ** 31 } }, { keepaliveDelay: 2 ** 40 }] as const) {
      const e = await rejection((async () => new Session(opts as never))());
      expect(e).toBeInstanceOf(InvalidOption);
      expect(e.message).toContain('2147483647');
    }
    await using s = new AsyncSession();
    expect(await rejection(s.get(`${srv.base}/get`, { timeout: 2 ** 40 }))).toBeInstanceOf(InvalidOption);
    // The largest one a timer holds is fine.
    expect((await s.get(`${srv.base}/get`, { timeout: 2 ** 31 - 1 })).statusCode).toBe(200);
  });

  it('fuzz counterexample: a worker count no machine can start (1e6) is refused instead of hanging', () => {
    expect(() => new Session({ workers: 1e6 })).toThrow(InvalidOption);
    expect(() => new Session({ workers: 65 })).toThrow('workers');
  });
});

describe('signal', () => {
  it('aborting a slow request ends it at once with RequestAborted carrying the reason (async)', async () => {
    await using s = new AsyncSession();
    const controller = new AbortController();
    const t0 = performance.now();
    setTimeout(() => controller.abort(new Error('user went away')), 150);
    const e = await rejection(s.get(`${srv.base}/delay/60000`, { signal: controller.signal }));
    expect(e).toBeInstanceOf(RequestAborted);
    expect(e.message).toContain('user went away');
    // Not the minute the server would take (the margin is for a loaded machine).
    expect(performance.now() - t0).toBeLessThan(20_000);
    // The session is fine afterwards.
    expect((await s.get(`${srv.base}/get`)).statusCode).toBe(200);
  });

  it('AbortSignal.timeout works as a deadline (async)', async () => {
    await using s = new AsyncSession();
    expect(await rejection(s.get(`${srv.base}/delay/5000`, { signal: AbortSignal.timeout(100) }))).toBeInstanceOf(RequestAborted);
  });

  it('an already aborted signal fails at once and sends nothing (sync and async)', async () => {
    for (const kind of ['sync', 'async'] as Kind[]) {
      await withClient(kind, undefined, async (c) => {
        const id = uid('pre');
        const e = await rejection(c.get(`${srv.base}/flaky?id=${id}`, { signal: AbortSignal.abort('too late') }));
        expect(e).toBeInstanceOf(RequestAborted);
        expect(e.message).toContain('too late');
        await new Promise((r) => setTimeout(r, 100));
        expect(await srv.count(id)).toBe(0);
      });
    }
  });

  it('aborting while a streamed body is read ends the reading with RequestAborted (async)', async () => {
    await using s = new AsyncSession();
    const controller = new AbortController();
    const r = await s.get(`${srv.base}/drip?n=40&interval=50`, { stream: true, signal: controller.signal });
    let got = 0;
    const e = await rejection(
      (async () => {
        for await (const chunk of await r.iterContent(1)) {
          got += chunk.length;
          if (got === 3) controller.abort();
        }
      })(),
    );
    expect(e).toBeInstanceOf(RequestAborted);
    expect(got).toBeLessThan(40);
  });

  it('aborting a slow upload ends it (async)', async () => {
    await using s = new AsyncSession();
    const controller = new AbortController();
    async function* slow() {
      for (let i = 0; i < 1200; i++) {
        yield Buffer.from('x');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    setTimeout(() => controller.abort(), 200);
    const t0 = performance.now();
    expect(await rejection(s.post(`${srv.base}/anything`, { data: slow(), signal: controller.signal }))).toBeInstanceOf(RequestAborted);
    // The upload would last a minute (the margin is for a loaded machine).
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('aborting while a later redirect hop is in flight ends the call at once (async)', async () => {
    await using s = new AsyncSession();
    const controller = new AbortController();
    const seen: string[] = [];
    let abortedAt = 0;
    const preSend = (r: PreparedRequest): void => {
      const path = new URL(r.url).pathname;
      seen.push(path);
      // Abort once the second hop is on its way.
      if (path === '/delay/60000') setTimeout(() => ((abortedAt = performance.now()), controller.abort()), 100);
    };
    const e = await rejection(s.get(`${srv.base}/redirect-to?url=${encodeURIComponent('/delay/60000')}`, { signal: controller.signal, hooks: { preSend } }));
    expect(e).toBeInstanceOf(RequestAborted);
    expect(seen).toEqual(['/redirect-to', '/delay/60000']);
    expect(performance.now() - abortedAt).toBeLessThan(20_000);
  });

  it('aborting after the response is complete changes nothing (async)', async () => {
    await using s = new AsyncSession();
    const controller = new AbortController();
    const r = await s.get(`${srv.base}/bytes/1000`, { signal: controller.signal });
    controller.abort();
    expect(r.content!.length).toBe(1000);
  });

  // A sync call blocks the event loop, so a signal's own timer cannot fire while it waits.
  it('AbortSignal.timeout ends a blocking sync call with RequestAborted; the session stays usable', async () => {
    using s = new Session();
    const t0 = performance.now();
    const e = await rejection((async () => s.get(`${srv.base}/delay/20000`, { signal: AbortSignal.timeout(200) }))());
    expect(e).toBeInstanceOf(RequestAborted);
    expect(e.message).toContain('timeout');
    expect(performance.now() - t0).toBeLessThan(10_000); // the server would answer after 20 s
    expect(s.get(`${srv.base}/get`).statusCode).toBe(200);
  });

  it('AbortSignal.any with a timeout ends a blocking sync call too, also while it waits out Retry-After', async () => {
    using s = new Session({ retries: { total: 3, statusForcelist: [503] } });
    const t0 = performance.now();
    const signal = AbortSignal.any([new AbortController().signal, AbortSignal.timeout(200)]);
    expect(await rejection((async () => s.get(`${srv.base}/delay/20000`, { signal }))())).toBeInstanceOf(RequestAborted);
    const id = uid('sync-abort-pause');
    expect(await rejection((async () => s.get(`${srv.base}/flaky?id=${id}&fail=5&retry_after=20`, { signal: AbortSignal.timeout(300) }))())).toBeInstanceOf(RequestAborted);
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(await srv.count(id)).toBe(1);
    expect(s.get(`${srv.base}/get`).statusCode).toBe(200);
  });

  it('a sync gather ends at a lazy response\'s AbortSignal.timeout; the others complete', async () => {
    using s = new Session({ multiplexed: true });
    const slow = s.get(`${srv.base}/delay/20000`, { signal: AbortSignal.timeout(200) });
    const fast = s.get(`${srv.base}/get`);
    const t0 = performance.now();
    s.gather();
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(fast.statusCode).toBe(200);
    expect(() => slow.statusCode).toThrow(RequestAborted);
  });

  it('a signal aborted by a hook during a sync call ends it', async () => {
    using s = new Session();
    const controller = new AbortController();
    let got = 0;
    const onDownload = ({ bytes }: { bytes: number }): void => {
      got = bytes;
      if (bytes >= 3) controller.abort(new Error('enough'));
    };
    const e = await rejection((async () => s.get(`${srv.base}/drip?n=200&interval=50`, { signal: controller.signal, hooks: { onDownload } }))());
    expect(e).toBeInstanceOf(RequestAborted);
    expect(e.message).toContain('enough');
    expect(got).toBeLessThan(200);
    expect(s.get(`${srv.base}/get`).statusCode).toBe(200);
  });

  it('a signal aborted by a preSend hook ends the call before that request is sent, on the first hop or a later one (sync and async)', async () => {
    for (const kind of ['sync', 'async'] as Kind[]) {
      for (const hop of ['first', 'redirected'] as const) {
        await withClient(kind, undefined, async (c) => {
          const controller = new AbortController();
          const id = uid('presend-abort');
          const target = `/flaky?id=${id}`;
          const url = hop === 'first' ? `${srv.base}${target}` : `${srv.base}/redirect-to?url=${encodeURIComponent(target)}`;
          const preSend = (r: PreparedRequest): void => {
            if (r.url.includes('/flaky')) controller.abort('changed my mind');
          };
          const e = await rejection(c.get(url, { signal: controller.signal, hooks: { preSend } }));
          expect([kind, hop, e instanceof RequestAborted, e.message]).toEqual([kind, hop, true, expect.stringContaining('changed my mind')]);
          await new Promise((r) => setTimeout(r, 100));
          expect(await srv.count(id)).toBe(0);
          expect((await c.get(`${srv.base}/get`)).statusCode).toBe(200);
        });
      }
    }
  });

  it('a signal that is not an AbortSignal is refused by name', async () => {
    await using s = new AsyncSession();
    const e = await rejection(s.get(`${srv.base}/get`, { signal: { aborted: false } as never }));
    expect(e).toBeInstanceOf(InvalidOption);
    expect(e.message).toContain('signal');
  });
});
