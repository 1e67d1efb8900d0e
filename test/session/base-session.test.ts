import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, InvalidOption, RequestException, Session, SSLError, Timeout, TooManyRedirects } from '../../dist/src/index.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { startHttpProxy, type TestProxy } from '../helpers/proxy-server.js';

// Session attributes set after construction: each must validate, and take effect on the
// very next request (the call plan a session keeps must not outlive them). The async API
// does not block this thread, so the peers live here; every request carries its own
// timeout so that nothing can hang past it.

interface Seen {
  url: string;
  headers: http.IncomingHttpHeaders;
}

let server: http.Server;
let base: string;
let seen: Seen[] = [];
let secure: https.Server;
let secureBase: string;
let secureHits = 0;
let pki: TestPki;
let proxy: TestProxy;
const LIMIT = { timeout: 10_000 };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url!, headers: req.headers });
    if (req.url!.startsWith('/redirect')) {
      res.writeHead(302, { location: '/landing' });
      res.end();
    } else if (req.url!.startsWith('/slow')) {
      setTimeout(() => res.end('late'), 3_000);
    } else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pki = makePki();
  secure = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (_req, res) => {
    secureHits++;
    res.end('secure');
  });
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  secureBase = `https://127.0.0.1:${(secure.address() as AddressInfo).port}`;
  proxy = await startHttpProxy();
});
afterAll(async () => {
  server.closeAllConnections();
  secure.closeAllConnections();
  await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => secure.close(r)), proxy.close()]);
});

/** What the server saw of the last request. */
function last(): Seen {
  return seen.at(-1)!;
}

describe('session attributes set after construction take effect on the next request', () => {
  it('headers', async () => {
    await using s = new AsyncSession();
    await s.get(`${base}/`, LIMIT);
    expect(last().headers['x-team']).toBeUndefined();
    s.headers = { 'X-Team': 'blue' };
    await s.get(`${base}/`, LIMIT);
    expect(last().headers['x-team']).toBe('blue');
    // The object handed back is the one sent: changing it in place counts too.
    s.headers.set('X-Team', 'red');
    await s.get(`${base}/`, LIMIT);
    expect(last().headers['x-team']).toBe('red');
  });

  it('cookies', async () => {
    await using s = new AsyncSession();
    await s.get(`${base}/`, LIMIT);
    expect(last().headers.cookie).toBeUndefined();
    s.cookies = { flavour: 'oat' };
    await s.get(`${base}/`, LIMIT);
    expect(last().headers.cookie).toBe('flavour=oat');
  });

  it('auth', async () => {
    await using s = new AsyncSession();
    s.auth = ['user', 'pass'];
    await s.get(`${base}/`, LIMIT);
    expect(last().headers.authorization).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
    s.auth = null;
    await s.get(`${base}/`, LIMIT);
    expect(last().headers.authorization).toBeUndefined();
  });

  it('params', async () => {
    await using s = new AsyncSession();
    s.params = { page: 2 };
    await s.get(`${base}/list`, LIMIT);
    expect(last().url).toBe('/list?page=2');
  });

  it('verify', async () => {
    await using s = new AsyncSession();
    await expect(s.get(`${secureBase}/`, LIMIT)).rejects.toBeInstanceOf(SSLError);
    s.verify = pki.caPath;
    const before = secureHits;
    expect((await s.get(`${secureBase}/`, LIMIT)).text).toBe('secure');
    expect(secureHits).toBe(before + 1);
    expect(s.verify).toBe(pki.ca);
  });

  it('proxies', async () => {
    await using s = new AsyncSession({ trustEnv: false });
    await s.get(`${base}/direct`, LIMIT);
    expect(proxy.seen.some((x) => x.line.includes('/direct'))).toBe(false);
    s.proxies = { http: proxy.url };
    await s.get(`${base}/proxied`, LIMIT);
    expect(proxy.seen.map((x) => x.line)).toContain(`GET ${base}/proxied`);
    s.proxies = null;
    await s.get(`${base}/direct-again`, LIMIT);
    expect(proxy.seen.some((x) => x.line.includes('/direct-again'))).toBe(false);
  });

  it('trustEnv: the environment proxy applies once the session trusts it', async () => {
    const saved = { http_proxy: process.env.http_proxy, HTTP_PROXY: process.env.HTTP_PROXY, no_proxy: process.env.no_proxy, NO_PROXY: process.env.NO_PROXY };
    process.env.http_proxy = proxy.url;
    process.env.no_proxy = '';
    process.env.NO_PROXY = '';
    try {
      await using s = new AsyncSession({ trustEnv: false });
      await s.get(`${base}/untrusted`, LIMIT);
      expect(proxy.seen.some((x) => x.line.includes('/untrusted'))).toBe(false);
      s.trustEnv = true;
      expect(s.trustEnv).toBe(true);
      await s.get(`${base}/trusted`, LIMIT);
      expect(proxy.seen.map((x) => x.line)).toContain(`GET ${base}/trusted`);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('timeout', async () => {
    await using s = new AsyncSession();
    s.timeout = 300;
    expect(s.timeout).toEqual({ connect: 300, read: 300, total: 0 });
    const t0 = performance.now();
    await expect(s.get(`${base}/slow`)).rejects.toBeInstanceOf(Timeout);
    // Well before the server's answer (3 s) and the default (30 s).
    expect(performance.now() - t0).toBeLessThan(2_900);
  });

  it('maxRedirects', async () => {
    await using s = new AsyncSession();
    expect((await s.get(`${base}/redirect`, LIMIT)).url).toBe(`${base}/landing`);
    s.maxRedirects = 0;
    seen = [];
    await expect(s.get(`${base}/redirect`, LIMIT)).rejects.toBeInstanceOf(TooManyRedirects);
    expect(seen.map((x) => x.url)).toEqual(['/redirect']);
  });

  it('hooks', async () => {
    await using s = new AsyncSession();
    s.hooks = { preSend: (r) => void r.headers.set('X-Hooked', 'yes') };
    await s.get(`${base}/`, LIMIT);
    expect(last().headers['x-hooked']).toBe('yes');
    // A request's own hooks run after the session's.
    await s.get(`${base}/`, { ...LIMIT, hooks: { preSend: (r) => void r.headers.set('X-Hooked', 'request') } });
    expect(last().headers['x-hooked']).toBe('request');
    s.hooks = null;
    await s.get(`${base}/`, LIMIT);
    expect(last().headers['x-hooked']).toBeUndefined();
  });

  it('baseUrl', async () => {
    await using s = new AsyncSession();
    s.baseUrl = `${base}/api`;
    await s.get('users', LIMIT);
    expect(last().url).toBe('/api/users');
  });
});

describe('a bad value for a session attribute', () => {
  const bad: Array<[string, unknown]> = [
    ['headers', { 'Bad Name': 'x' }],
    ['cookies', 42],
    ['auth', ['only-user']],
    ['params', 42],
    ['verify', 42],
    ['proxies', { http: 'ftp://proxy' }],
    ['timeout', -1],
    ['maxRedirects', 1.5],
    ['hooks', { response: 'not a function' }],
    ['trustEnv', 'yes'],
    ['baseUrl', 42],
  ];

  it.each(bad)('%s is refused as InvalidOption, naming it, and the old value stays', (name, value) => {
    const s = new AsyncSession();
    const attributes = s as unknown as Record<string, unknown>;
    const before = attributes[name];
    let error: unknown;
    try {
      attributes[name] = value;
    } catch (err) {
      error = err;
    }
    // Headers report a bad name as InvalidHeader, as the constructor does; both are request errors.
    expect(error).toBeInstanceOf(RequestException);
    if (name !== 'headers') expect(error).toBeInstanceOf(InvalidOption);
    expect(attributes[name]).toBe(before);
    void s.close();
  });
});

describe('credentials (the browser build\'s cookie mode)', () => {
  it('is checked where it is given, on a session and on a request, naming the bad value', async () => {
    expect(() => new AsyncSession({ credentials: 'always' as never })).toThrow(/Invalid option credentials: "always"; expected 'omit', 'same-origin' or 'include'/);
    await using a = new AsyncSession({ credentials: 'include' });
    await expect(a.get('http://127.0.0.1:9/', { credentials: 'everywhere' as never })).rejects.toThrow(InvalidOption);
  });
});

describe('an unknown attribute', () => {
  it('throws TypeError on either session instead of being ignored', async () => {
    await using a = new AsyncSession();
    using s = new Session();
    expect(() => {
      (a as unknown as Record<string, unknown>).maxRedirect = 3;
    }).toThrow(TypeError);
    expect(() => {
      (s as unknown as Record<string, unknown>).maxRedirect = 3;
    }).toThrow(TypeError);
    expect(a.maxRedirects).toBe(30);
  });

  it('does not stop subclasses from adding fields of their own', async () => {
    class Tagged extends AsyncSession {
      tag = 'mine';
    }
    await using t = new Tagged();
    expect(t.tag).toBe('mine');
  });
});
