import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncSession, ConnectionError, HTTPDigestAuth, RetryError, StreamConsumedError, TooManyRedirects, RequestAborted, type PreparedRequest,
} from '../../dist/src/index.js';

// The policy of a call (src/session/flow.ts) against a server that echoes what it got.
let server: http.Server;
let other: http.Server;
let base: string;
let otherBase: string;
const flaky = new Map<string, number>();

function digestOk(header: string | undefined, method: string, uri: string): boolean {
  if (!header?.startsWith('Digest ')) return false;
  const p = Object.fromEntries([...header.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1], m[2]]));
  const md5 = (s: string) => createHash('md5').update(s).digest('hex');
  const ha1 = md5(`user:realm@test:pass`);
  const ha2 = md5(`${method}:${uri}`);
  return p.username === 'user' && p.nonce === 'n0nce' && p.response === md5(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`);
}

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const u = new URL(req.url!, 'http://x');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    const echo = () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    };
    const [, route, arg] = u.pathname.split('/');
    switch (route) {
      case 'redirect-to':
        res.writeHead(Number(u.searchParams.get('status') ?? 302), { location: u.searchParams.get('url')! });
        return res.end('moving');
      case 'redirect': {
        const n = Number(arg);
        res.writeHead(302, { location: n > 1 ? `/redirect/${n - 1}` : '/anything' });
        return res.end();
      }
      case 'cookies-set':
        res.setHeader('set-cookie', [...u.searchParams].map(([k, v]) => `${k}=${v}; Path=/`));
        res.writeHead(302, { location: '/anything' });
        return res.end();
      case 'cookies-expire':
        res.setHeader('set-cookie', `${arg}=; Path=/; Max-Age=0`);
        return res.end('expired');
      case 'digest':
        if (digestOk(req.headers.authorization, req.method!, req.url!)) return res.end('digest ok');
        res.writeHead(401, { 'www-authenticate': 'Digest realm="realm@test", qop="auth", nonce="n0nce", opaque="0paque", algorithm=MD5' });
        return res.end('who are you');
      case 'flaky': {
        const n = (flaky.get(arg!) ?? 0) + 1;
        flaky.set(arg!, n);
        if (n <= Number(u.searchParams.get('fail'))) {
          res.writeHead(503, u.searchParams.has('after') ? { 'retry-after': u.searchParams.get('after')! } : {});
          return res.end(`attempt ${n}`);
        }
        return res.end(`ok after ${n}`);
      }
      case 'hints':
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        return setTimeout(() => res.end('with hints'), 20);
      case 'slow':
        return setTimeout(() => res.end('slow'), 2000);
      default:
        return echo();
    }
  });
}

beforeAll(async () => {
  server = http.createServer(handler);
  other = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Another host name for the same machine: a host change as far as credentials go.
  otherBase = `http://localhost:${(other.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  other.close();
});

type Echo = { method: string; url: string; headers: Record<string, string>; body: string };

describe('redirects', () => {
  it('are followed with history oldest first, each with its own url', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${base}/redirect/3`);
    expect(r.statusCode).toBe(200);
    expect(r.url).toBe(`${base}/anything`);
    expect(r.history.map((h) => [h.statusCode, h.url])).toEqual([
      [302, `${base}/redirect/3`],
      [302, `${base}/redirect/2`],
      [302, `${base}/redirect/1`],
    ]);
  });

  it('HEAD does not follow unless asked; allowRedirects: false stops any verb', async () => {
    await using s = new AsyncSession();
    expect((await s.head(`${base}/redirect/1`)).statusCode).toBe(302);
    expect((await s.head(`${base}/redirect/1`, { allowRedirects: true })).statusCode).toBe(200);
    expect((await s.get(`${base}/redirect/1`, { allowRedirects: false })).statusCode).toBe(302);
  });

  it('302 and 303 turn POST into GET without the body; 307 and 308 keep both', async () => {
    await using s = new AsyncSession();
    for (const status of [301, 302, 303]) {
      const r = await s.post(`${base}/redirect-to?url=/anything&status=${status}`, { data: 'payload', headers: { 'Content-Type': 'text/plain' } });
      const echo = r.json() as Echo;
      expect([status, echo.method, echo.body, echo.headers['content-type']]).toEqual([status, 'GET', '', undefined]);
    }
    for (const status of [307, 308]) {
      const echo = (await s.post(`${base}/redirect-to?url=/anything&status=${status}`, { data: 'payload' })).json() as Echo;
      expect([status, echo.method, echo.body]).toEqual([status, 'POST', 'payload']);
    }
  });

  it('a one-shot stream cannot be replayed on a 307, and says so', async () => {
    await using s = new AsyncSession();
    const body = Readable.from([Buffer.from('once')]);
    await expect(s.post(`${base}/redirect-to?url=/anything&status=307`, { data: body })).rejects.toBeInstanceOf(StreamConsumedError);
  });

  it('maxRedirects, then TooManyRedirects carrying the last response', async () => {
    await using s = new AsyncSession({ maxRedirects: 2 });
    const e = await s.get(`${base}/redirect/5`).then(() => null, (err: TooManyRedirects) => err);
    expect(e).toBeInstanceOf(TooManyRedirects);
    expect(e!.response.statusCode).toBe(302);
    expect(e!.response.url).toBe(`${base}/redirect/3`);
  });

  it('drops Authorization on a host change, keeps it on the same host', async () => {
    await using s = new AsyncSession({ auth: ['user', 'pass'] });
    const same = (await s.get(`${base}/redirect-to?url=/anything`)).json() as Echo;
    expect(same.headers.authorization).toMatch(/^Basic /);
    const away = (await s.get(`${base}/redirect-to?url=${encodeURIComponent(`${otherBase}/anything`)}`)).json() as Echo;
    expect(away.headers.authorization).toBeUndefined();
  });

  it('carries the fragment, resolves relative locations', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${base}/redirect-to?url=anything%3Fq%3D1#frag`);
    expect(r.url).toBe(`${base}/anything?q=1#frag`);
    expect((r.json() as Echo).url).toBe('/anything?q=1'); // the fragment never goes on the wire
    const own = await s.get(`${base}/redirect-to?url=${encodeURIComponent('/anything#theirs')}#mine`);
    expect(own.url).toBe(`${base}/anything#theirs`);
  });
});

describe('cookies', () => {
  it('the session stores cookies from redirect hops and sends them on', async () => {
    await using s = new AsyncSession();
    const echo = (await s.get(`${base}/cookies-set?a=1&b=2`)).json() as Echo;
    expect(echo.headers.cookie).toBe('a=1; b=2');
    expect(s.cookies.get('a')).toBe('1');
    await s.get(`${base}/cookies-expire/a`);
    expect(s.cookies.get('a')).toBeUndefined();
    expect(((await s.get(`${base}/anything`)).json() as Echo).headers.cookie).toBe('b=2');
  });

  it('request cookies apply to that call only; allowIncomingCookies: false leaves the jar alone', async () => {
    await using s = new AsyncSession();
    const echo = (await s.get(`${base}/anything`, { cookies: { once: 'yes' } })).json() as Echo;
    expect(echo.headers.cookie).toBe('once=yes');
    expect(s.cookies.get('once')).toBeUndefined();
    await using closed = new AsyncSession({ allowIncomingCookies: false });
    const r = await closed.get(`${base}/cookies-set?c=3`, { allowRedirects: false });
    expect(r.cookies.get('c')).toBe('3');
    expect(closed.cookies.size).toBe(0);
  });
});

describe('auth', () => {
  it('Basic from a pair, Bearer from a string, a custom scheme, and URL credentials', async () => {
    await using s = new AsyncSession();
    const basic = (await s.get(`${base}/anything`, { auth: ['user', 'pass'] })).json() as Echo;
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
    expect(((await s.get(`${base}/anything`, { auth: 'tok' })).json() as Echo).headers.authorization).toBe('Bearer tok');
    const custom = { apply: (r: PreparedRequest) => (r.headers.set('X-Signed', 'yes'), r) };
    expect(((await s.get(`${base}/anything`, { auth: custom })).json() as Echo).headers['x-signed']).toBe('yes');
    const inUrl = (await s.get(base.replace('http://', 'http://u%40x:p%3Aw@') + '/anything')).json() as Echo;
    expect(inUrl.headers.authorization).toBe(`Basic ${Buffer.from('u@x:p:w').toString('base64')}`);
  });

  it('.netrc (NETRC) supplies credentials under trustEnv, and not without it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'nq-netrc-')), 'netrc');
    writeFileSync(file, 'machine 127.0.0.1 login nu password np\n');
    const saved = process.env.NETRC;
    process.env.NETRC = file;
    try {
      await using s = new AsyncSession();
      const echo = (await s.get(`${base}/anything`)).json() as Echo;
      expect(echo.headers.authorization).toBe(`Basic ${Buffer.from('nu:np').toString('base64')}`);
      await using off = new AsyncSession({ trustEnv: false });
      expect(((await off.get(`${base}/anything`)).json() as Echo).headers.authorization).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.NETRC;
      else process.env.NETRC = saved;
    }
  });

  it('Digest answers the server challenge', async () => {
    await using s = new AsyncSession();
    expect((await s.get(`${base}/digest`)).statusCode).toBe(401);
    const r = await s.get(`${base}/digest`, { auth: new HTTPDigestAuth('user', 'pass') });
    expect(r.statusCode).toBe(200);
    expect(r.text).toBe('digest ok');
    expect((await s.get(`${base}/digest`, { auth: new HTTPDigestAuth('user', 'wrong') })).statusCode).toBe(401);
  });
});

describe('retries', () => {
  it('retries a listed status, honouring Retry-After, then succeeds', async () => {
    await using s = new AsyncSession({ retries: { total: 3, statusForcelist: [503] } });
    const t0 = performance.now();
    const r = await s.get(`${base}/flaky/a?fail=2&after=1`);
    expect(r.text).toBe('ok after 3');
    expect(performance.now() - t0).toBeGreaterThan(1500); // two waits of Retry-After: 1 s
  });

  it('gives RetryError with the last response when exhausted; POST is not retried by default', async () => {
    await using s = new AsyncSession({ retries: { total: 1, statusForcelist: [503] } });
    const e = await s.get(`${base}/flaky/b?fail=5`).then(() => null, (err: RetryError) => err);
    expect(e).toBeInstanceOf(RetryError);
    expect(e!.response.statusCode).toBe(503);
    expect((await s.post(`${base}/flaky/c?fail=1`)).statusCode).toBe(503);
    expect(flaky.get('c')).toBe(1);
  });

  it('retries a refused connection for GET; when exhausted it is still a ConnectionError, as in Requests', async () => {
    await using s = new AsyncSession({ retries: 2 });
    const e = await s.get('http://127.0.0.1:1/').then(() => null, (err: ConnectionError) => err);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e!.attempts).toBe(3);
    expect(e!.message).toMatch(/ECONNREFUSED.*max retries \(2\)/i);
  });
});

describe('hooks', () => {
  it('run in order, session first, and a returned value replaces the object', async () => {
    const seen: string[] = [];
    await using s = new AsyncSession({ hooks: { preSend: () => void seen.push('session preSend') } });
    const r = await s.get(`${base}/redirect/1`, {
      hooks: {
        preRequest: (req) => {
          seen.push('preRequest');
          req.headers.set('X-Hooked', '1');
        },
        preSend: (req) => void seen.push(`preSend ${new URL(req.url).pathname}`),
        response: (resp) => {
          seen.push(`response ${resp.statusCode}`);
        },
      },
    });
    expect(seen).toEqual(['preRequest', 'session preSend', 'preSend /redirect/1', 'session preSend', 'preSend /anything', 'response 200']);
    expect((r.json() as Echo).headers['x-hooked']).toBe('1');
  });

  it('report upload and download progress, and 103 Early Hints', async () => {
    const uploads: Array<{ bytes: number; done: boolean }> = [];
    const downloads: number[] = [];
    const early: number[] = [];
    await using s = new AsyncSession();
    const data = Buffer.alloc(1 << 20, 1);
    await s.post(`${base}/anything`, { data, hooks: { onUpload: (p) => void uploads.push(p), onDownload: (p) => void downloads.push(p.bytes) } });
    expect(uploads.at(-1)).toMatchObject({ bytes: 1 << 20, done: true });
    expect(uploads.length).toBeGreaterThan(1);
    expect(downloads.at(-1)).toBeGreaterThan(1 << 20);
    const r = await s.get(`${base}/hints`, { hooks: { earlyResponse: (e) => void early.push(e.statusCode) } });
    expect(early).toEqual([103]);
    expect(r.text).toBe('with hints');
  });
});

describe('request options on the wire', () => {
  it('params merge into the query before the fragment; the fragment is not sent', async () => {
    await using s = new AsyncSession({ params: { s: 'session' } });
    const echo = (await s.get(`${base}/anything?x=1#top`, { params: { k: ['a', 'b'], gone: null } })).json() as Echo;
    expect(echo.url).toBe('/anything?x=1&s=session&k=a&k=b');
  });

  it('form, JSON and multipart bodies, with their Content-Type', async () => {
    await using s = new AsyncSession();
    const form = (await s.post(`${base}/anything`, { data: { a: '1', b: ['2', '3'] } })).json() as Echo;
    expect([form.body, form.headers['content-type']]).toEqual(['a=1&b=2&b=3', 'application/x-www-form-urlencoded']);
    const json = (await s.post(`${base}/anything`, { json: { x: [1, 2] } })).json() as Echo;
    expect([json.body, json.headers['content-type']]).toEqual(['{"x":[1,2]}', 'application/json']);
    const multi = (await s.post(`${base}/anything`, { files: { f: ['a.txt', 'file body', 'text/plain'] }, data: { field: 'v' } })).json() as Echo;
    const parsed = await new Response(multi.body, { headers: { 'content-type': multi.headers['content-type']! } }).formData();
    expect(parsed.get('field')).toBe('v');
    expect(await (parsed.get('f') as File).text()).toBe('file body');
    expect((parsed.get('f') as File).name).toBe('a.txt');
  });

  it('streams an async iterable of unknown length chunked', async () => {
    await using s = new AsyncSession();
    async function* parts() {
      yield Buffer.from('one,');
      yield Buffer.from('two');
    }
    const echo = (await s.post(`${base}/anything`, { data: parts() })).json() as Echo;
    expect(echo.body).toBe('one,two');
    expect(echo.headers['transfer-encoding']).toBe('chunked');
  });

  it('session headers sit under request headers; null removes; defaults are there', async () => {
    await using s = new AsyncSession({ headers: { 'X-Session': 's', 'X-Both': 'session' } });
    const echo = (await s.get(`${base}/anything`, { headers: { 'X-Both': 'request', 'X-Session': null } })).json() as Echo;
    expect(echo.headers['x-both']).toBe('request');
    expect(echo.headers['x-session']).toBeUndefined();
    expect(echo.headers['user-agent']).toMatch(/^nodequests\/\d/);
    expect(echo.headers.accept).toBe('*/*');
    expect(echo.headers['accept-encoding']).toBe('gzip, deflate, br, zstd');
  });

  it('an AbortSignal ends a request with RequestAborted', async () => {
    await using s = new AsyncSession();
    const controller = new AbortController();
    const pending = s.get(`${base}/slow`, { signal: controller.signal });
    setTimeout(() => controller.abort('enough'), 50);
    await expect(pending).rejects.toBeInstanceOf(RequestAborted);
  });
});
