import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { rootCertificates, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, SSLError } from '../../dist/src/index.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { startHttpProxy, startSocks5Proxy, type TestProxy } from '../helpers/proxy-server.js';
import { contextFor, profileKeyOf } from '../../dist/src/transport/connector.js';
import type { TlsConfig } from '../../dist/src/session/tls.js';

const profile = (ca: string | null): TlsConfig => ({ verify: true, ca, withRoots: false, caFiles: [], pin: null, cert: null, key: null, passphrase: null });

describe('TLS contexts', () => {
  it('are built once per profile: a big CA list is parsed once, not for every connection', () => {
    const big = profile(rootCertificates.join('\n'));
    const key = profileKeyOf(big);
    const first = contextFor(key, big);
    expect(contextFor(profileKeyOf(profile(rootCertificates.join('\n'))), big)).toBe(first);
    const other = profile(rootCertificates[0]!);
    expect(contextFor(profileKeyOf(other), other)).not.toBe(first);
  });
});

// Servers with certificates made here, on loopback. Each answers with its protocol version.
let pki: TestPki;
const servers: Array<{ close(): unknown }> = [];
let proxy: TestProxy;
let socks: TestProxy;

async function listen(server: https.Server | http2.Http2SecureServer, host: string): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, host, r));
  return (server.address() as AddressInfo).port;
}

const answer = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
  res.end(`ok ${req.httpVersion}`);
};

/** An HTTP/1.1 https server on `host` with the given certificate. */
const h1 = (cert: { cert: string; key: string }, host = '127.0.0.1') => listen(https.createServer(cert, answer), host);
/** An HTTP/2-only server on `host` with the given certificate. */
const h2 = (cert: { cert: string; key: string }, host = '127.0.0.1') => listen(http2.createSecureServer({ ...cert, allowHTTP1: false }, answer), host);

let dnsOnly: { cert: string; key: string };
let ipOnly: { cert: string; key: string };

beforeAll(async () => {
  pki = makePki();
  dnsOnly = pki.issue('dns-only', 'subjectAltName=DNS:localhost');
  ipOnly = pki.issue('ip-only', 'subjectAltName=IP:127.0.0.1,IP:::1');
  proxy = await startHttpProxy();
  socks = await startSocks5Proxy();
});
afterAll(async () => {
  for (const s of servers) s.close();
  await proxy.close();
  await socks.close();
});

const failure = (p: Promise<unknown>): Promise<Error | null> => p.then(() => null, (e: unknown) => e as Error);

describe('the name a certificate is checked against', () => {
  it('an https URL with an IP address is checked against the IP SANs, not against "localhost"', async () => {
    const dns = await h1(dnsOnly);
    const ip = await h1(ipOnly);
    await using s = new AsyncSession({ verify: pki.caPath });
    const e = await failure(s.get(`https://127.0.0.1:${dns}/`));
    expect(e).toBeInstanceOf(SSLError);
    expect(e!.message).toMatch(/IP: 127\.0\.0\.1 is not in the cert's list/);
    expect((await s.get(`https://localhost:${dns}/`)).text).toBe('ok 1.1');
    expect((await s.get(`https://127.0.0.1:${ip}/`)).text).toBe('ok 1.1');
    expect(await failure(s.get(`https://localhost:${ip}/`))).toBeInstanceOf(SSLError);
  });

  it('an IPv6 literal is checked against the IPv6 SANs', async () => {
    const ip = await h1(ipOnly, '::1');
    const dns = await h1(dnsOnly, '::1');
    await using s = new AsyncSession({ verify: pki.caPath });
    expect((await s.get(`https://[::1]:${ip}/`)).text).toBe('ok 1.1');
    expect(await failure(s.get(`https://[::1]:${dns}/`))).toBeInstanceOf(SSLError);
  });

  it('the same over HTTP/2', async () => {
    const dns = await h2(dnsOnly);
    const ip = await h2(ipOnly);
    await using s = new AsyncSession({ verify: pki.caPath });
    expect(await failure(s.get(`https://127.0.0.1:${dns}/`))).toBeInstanceOf(SSLError);
    expect((await s.get(`https://127.0.0.1:${ip}/`)).text).toBe('ok 2.0');
    expect((await s.get(`https://localhost:${dns}/`)).text).toBe('ok 2.0');
  });

  it('the same through a CONNECT proxy and through SOCKS5', async () => {
    const dns = await h1(dnsOnly);
    const ip = await h1(ipOnly);
    for (const via of [proxy.url, socks.url]) {
      await using s = new AsyncSession({ verify: pki.caPath, proxies: { https: via } });
      expect(await failure(s.get(`https://127.0.0.1:${dns}/`))).toBeInstanceOf(SSLError);
      expect((await s.get(`https://127.0.0.1:${ip}/`)).text).toBe('ok 1.1');
    }
  });

  it('a Host header does not change the name checked: the URL\'s host is', async () => {
    const port = await h1(pki.wrongHost); // a certificate for wrong.test only
    await using s = new AsyncSession({ verify: pki.caPath });
    const e = await failure(s.get(`https://localhost:${port}/`, { headers: { Host: 'wrong.test' } }));
    expect(e).toBeInstanceOf(SSLError);
    expect(e!.message).toMatch(/localhost/);
    await using proxied = new AsyncSession({ verify: pki.caPath, proxies: { https: proxy.url } });
    expect(await failure(proxied.get(`https://localhost:${port}/`, { headers: { Host: 'wrong.test' } }))).toBeInstanceOf(SSLError);
  });
});

describe('certificate pins', () => {
  it('hold through a CONNECT proxy as they do directly', async () => {
    const port = await h1(pki.server);
    const url = `https://localhost:${port}/`;
    const wrong = `sha256_${'0'.repeat(64)}`;
    await using direct = new AsyncSession({ verify: wrong });
    expect((await failure(direct.get(url)))?.message).toMatch(/pin mismatch/);
    await using proxied = new AsyncSession({ verify: wrong, proxies: { https: proxy.url } });
    const e = await failure(proxied.get(url));
    expect(e).toBeInstanceOf(SSLError);
    expect(e!.message).toMatch(/pin mismatch/);
    expect(proxy.seen.some((x) => x.line === `CONNECT localhost:${port}`)).toBe(true);
    // The right pin is all it takes, through the proxy too: the CA is not consulted.
    await using pinned = new AsyncSession({ verify: `sha256_${pki.server.sha256}`, proxies: { https: proxy.url } });
    expect((await pinned.get(url)).text).toBe('ok 1.1');
  });
});

describe('TLS session resumption', () => {
  /** A server that closes every connection after one response, and says which handshakes resumed. */
  async function resumingServer(): Promise<{ url: string; resumed: boolean[] }> {
    const resumed: boolean[] = [];
    const server = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
      res.setHeader('connection', 'close');
      res.end('ok');
    });
    server.on('secureConnection', (s: TLSSocket) => resumed.push(s.isSessionReused()));
    const port = await listen(server, '127.0.0.1');
    return { url: `https://localhost:${port}/`, resumed };
  }

  // HTTP/1.1 only: one connection per request (no ALPN probe first), so the server's count is exact.
  it('resumes within a session, never across sessions sharing a worker', async () => {
    const { url, resumed } = await resumingServer();
    await using a = new AsyncSession({ verify: pki.caPath, workers: 1, disableHttp2: true });
    await using b = new AsyncSession({ verify: pki.caPath, workers: 1, disableHttp2: true });
    await a.get(url);
    await a.get(url);
    await b.get(url);
    expect(resumed).toEqual([false, true, false]);
  });

  it('never across routes: a ticket from a proxied connection is not offered directly', async () => {
    const { url, resumed } = await resumingServer();
    socks.seen.length = 0;
    await using s = new AsyncSession({ verify: pki.caPath, workers: 1, disableHttp2: true });
    await s.get(url, { proxies: { https: socks.url } });
    await s.get(url);
    await s.get(url, { proxies: { https: proxy.url } });
    expect(resumed).toEqual([false, false, false]);
    expect(socks.seen.length).toBe(1);
  });
});
