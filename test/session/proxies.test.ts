import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ProxyError, ConnectionError, InvalidOption, SSLError } from '../../dist/src/index.js';
import { bypasses, proxiesFromEnv } from '../../dist/src/session/proxies.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { startHttpProxy, startSocks5Proxy, type TestProxy } from '../helpers/proxy-server.js';

let target: http.Server;
let secureTarget: https.Server;
let plainUrl: string;
let secureUrl: string;
let proxy: TestProxy;
let socks: TestProxy;
let pki: TestPki;

beforeAll(async () => {
  pki = makePki();
  target = http.createServer((req, res) => res.end(`target saw ${req.url} via=${req.headers.via ?? '-'}`));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  plainUrl = `http://localhost:${(target.address() as AddressInfo).port}`;
  secureTarget = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => res.end(`secure ${req.url}`));
  await new Promise<void>((r) => secureTarget.listen(0, '127.0.0.1', r));
  secureUrl = `https://localhost:${(secureTarget.address() as AddressInfo).port}`;
  proxy = await startHttpProxy();
  socks = await startSocks5Proxy();
});
afterAll(async () => {
  target.close();
  secureTarget.close();
  await proxy.close();
  await socks.close();
});
const saved = { ...process.env };
afterEach(() => {
  for (const k of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'NO_PROXY', 'no_proxy', 'ALL_PROXY']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  proxy.seen.length = 0;
  socks.seen.length = 0;
});

describe('proxies', () => {
  it('sends http requests to a forward proxy in absolute form', async () => {
    await using s = new AsyncSession({ proxies: { http: proxy.url } });
    const r = await s.get(`${plainUrl}/a?b=1`);
    expect(r.text).toBe('target saw /a?b=1 via=1.1 test-proxy');
    expect(proxy.seen[0]!.line).toBe(`GET ${plainUrl}/a?b=1`);
  });

  it('tunnels https through CONNECT, and credentials become Proxy-Authorization', async () => {
    const withCreds = proxy.url.replace('http://', 'http://user:p%40ss@');
    await using s = new AsyncSession({ proxies: { https: withCreds }, verify: pki.caPath });
    const r = await s.get(`${secureUrl}/s`);
    expect(r.text).toBe('secure /s');
    expect(proxy.seen[0]!.line).toBe(`CONNECT ${new URL(secureUrl).host}`);
    expect(proxy.seen[0]!.auth).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('socks5h hands the name to the proxy', async () => {
    await using s = new AsyncSession({ proxies: { all: socks.url } });
    expect((await s.get(`${plainUrl}/socks`)).text).toBe('target saw /socks via=-');
    expect(socks.seen[0]!.line).toBe(`SOCKS5 CONNECT localhost:${new URL(plainUrl).port}`);
  });

  it('socks5 resolves the name here, with the session\'s resolver, and asks the proxy for the address', async () => {
    const port = new URL(plainUrl).port;
    const local = socks.url.replace('socks5h:', 'socks5:');
    // A name only this session's resolver knows: the proxy could not resolve it.
    const resolver = 'in-memory://default/?hosts=only-here.test:127.0.0.1';
    await using s = new AsyncSession({ proxies: { all: local }, resolver });
    expect((await s.get(`http://only-here.test:${port}/local`)).text).toBe('target saw /local via=-');
    expect(socks.seen.map((x) => x.line)).toEqual([`SOCKS5 CONNECT 127.0.0.1:${port}`]);

    await using remote = new AsyncSession({ proxies: { all: socks.url }, resolver });
    const e = await remote.get(`http://only-here.test:${port}/remote`).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ProxyError);
    expect(e!.message).toContain(socks.url.replace(/\/$/, ''));
    expect(socks.seen[1]!.line).toBe(`SOCKS5 CONNECT only-here.test:${port}`);
  });

  it('socks5 credentials are sent as username/password; wrong ones are a ProxyError', async () => {
    const guarded = await startSocks5Proxy({ username: 'ann', password: 's3cr@t' });
    try {
      await using s = new AsyncSession({ proxies: { all: guarded.url } });
      expect((await s.get(`${plainUrl}/auth`)).text).toBe('target saw /auth via=-');
      expect(guarded.seen[0]!.auth).toBe('ann:s3cr@t');
      await using wrong = new AsyncSession({ proxies: { all: guarded.url.replace('s3cr%40t', 'nope') } });
      await expect(wrong.get(`${plainUrl}/auth`)).rejects.toBeInstanceOf(ProxyError);
      await using none = new AsyncSession({ proxies: { all: guarded.url.replace(/ann:[^@]+@/, '') } });
      await expect(none.get(`${plainUrl}/auth`)).rejects.toBeInstanceOf(ProxyError);
    } finally {
      await guarded.close();
    }
  });

  it('https through SOCKS5 verifies the target\'s certificate and negotiates HTTP/2', async () => {
    const h2 = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => res.end(`h2 ${req.url}`));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    const url = `https://localhost:${(h2.address() as AddressInfo).port}`;
    try {
      await using s = new AsyncSession({ proxies: { https: socks.url }, verify: pki.caPath });
      const r = await s.get(`${url}/tls`);
      expect(r.text).toBe('h2 /tls');
      expect(r.httpVersion).toBe('HTTP/2');
      expect(r.connInfo!.tlsVersion).toMatch(/^TLSv1\.[23]$/);
      await using unverified = new AsyncSession({ proxies: { https: socks.url } });
      await expect(unverified.get(`${url}/tls`)).rejects.toBeInstanceOf(SSLError);
    } finally {
      h2.close();
    }
  });

  it('a SOCKS5 proxy that is down is a ProxyError naming it', async () => {
    await using s = new AsyncSession({ proxies: { all: 'socks5://127.0.0.1:1' } });
    const e = await s.get(`${plainUrl}/x`).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ProxyError);
    expect(e!.message).toContain('socks5://127.0.0.1:1');
  });

  it('reads HTTP_PROXY and NO_PROXY under trustEnv, and ignores them without it', async () => {
    process.env.HTTP_PROXY = proxy.url;
    await using env = new AsyncSession();
    expect((await env.get(`${plainUrl}/env`)).text).toContain('via=1.1 test-proxy');
    // The environment is read when a session is made.
    process.env.NO_PROXY = 'example.test,localhost';
    expect((await env.get(`${plainUrl}/still-proxied`)).text).toContain('via=1.1 test-proxy');
    await using bypassing = new AsyncSession();
    expect((await bypassing.get(`${plainUrl}/bypass`)).text).toContain('via=-');
    delete process.env.NO_PROXY;
    await using off = new AsyncSession({ trustEnv: false });
    expect((await off.get(`${plainUrl}/off`)).text).toContain('via=-');
  });

  it('an empty lower-case http_proxy means no proxy; HTTP_PROXY is ignored under CGI (httpoxy)', () => {
    const upper = 'http://upper.test:3128';
    expect(proxiesFromEnv({ http_proxy: '', HTTP_PROXY: upper })).toEqual({});
    expect(proxiesFromEnv({ HTTP_PROXY: upper, REQUEST_METHOD: 'GET' })).toEqual({});
    expect(proxiesFromEnv({ HTTP_PROXY: upper })).toEqual({ http: `${upper}/` });
    // Only HTTP_PROXY can come from a request header; the rest still count under CGI.
    expect(proxiesFromEnv({ http_proxy: 'http://lower.test:1', HTTPS_PROXY: upper, REQUEST_METHOD: 'GET' })).toEqual({ http: 'http://lower.test:1/', https: `${upper}/` });
  });

  it('an empty http_proxy in the environment sends requests direct (end to end)', async () => {
    process.env.HTTP_PROXY = proxy.url;
    process.env.http_proxy = '';
    await using s = new AsyncSession();
    expect((await s.get(`${plainUrl}/empty-lower`)).text).toContain('via=-');
    expect(proxy.seen).toEqual([]);
  });

  it('a request can opt out with null for its scheme', async () => {
    await using s = new AsyncSession({ proxies: { http: proxy.url } });
    expect((await s.get(`${plainUrl}/direct`, { proxies: { http: null } })).text).toContain('via=-');
  });

  it('a proxy that is down is a ProxyError naming it', async () => {
    await using s = new AsyncSession({ proxies: { http: 'http://127.0.0.1:1' } });
    const e = await s.get(`${plainUrl}/x`).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ProxyError);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e!.message).toContain('http://127.0.0.1:1');
  });

  it("a refused proxy's message says the proxy could not be reached, not the target", async () => {
    await using s = new AsyncSession({ proxies: { http: 'http://127.0.0.1:1' } });
    const e = await s.get(`${plainUrl}/x`).then(() => null, (err: Error) => err);
    expect(e!.message).toMatch(/^Failed to reach proxy http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1 \(requesting http:\/\/localhost:\d+\)$/);
    expect(e!.message).not.toContain(`Failed to reach ${plainUrl}`);
  });

  it('a bad proxy URL is an InvalidOption', () => {
    expect(() => new AsyncSession({ proxies: { http: 'ftp://x' } })).toThrow(InvalidOption);
  });

  it('NO_PROXY matches domains, ports, IPv6 and CIDR ranges', () => {
    const u = (s: string) => new URL(s);
    expect(bypasses(u('http://a.example.com/'), 'example.com')).toBe(true);
    expect(bypasses(u('http://a.example.com/'), '.example.com')).toBe(true);
    expect(bypasses(u('http://example.org/'), 'example.com')).toBe(false);
    expect(bypasses(u('http://h:8080/'), 'h:8080')).toBe(true);
    expect(bypasses(u('http://h:8081/'), 'h:8080')).toBe(false);
    expect(bypasses(u('http://[::1]:8080/'), '[::1]:8080')).toBe(true);
    expect(bypasses(u('http://[::1]/'), '::1')).toBe(true);
    expect(bypasses(u('http://10.1.2.3/'), '10.0.0.0/8')).toBe(true);
    expect(bypasses(u('http://11.1.2.3/'), '10.0.0.0/8')).toBe(false);
    expect(bypasses(u('http://anything/'), '*')).toBe(true);
  });
});
