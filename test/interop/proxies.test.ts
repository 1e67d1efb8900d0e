import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ProxyError } from '../../dist/src/index.js';
// @ts-expect-error: a plain JavaScript module of the project's scripts
import { checkProxies, startDante, startTinyproxy } from '../../scripts/interop/proxies.mjs';
import { makePki, type TestPki } from '../helpers/certs.js';
import { skipWithout } from '../helpers/interop.js';

const missing = checkProxies() as { tinyproxy: string | null; dante: string | null };
const skip = { tinyproxy: skipWithout('tinyproxy', missing.tinyproxy), dante: skipWithout('dante', missing.dante) };

let target: http.Server;
let secure: https.Server;
let plainUrl: string;
let secureUrl: string;
let pki: TestPki;
const stops: Array<() => void> = [];
let tinyproxy: { url: string } | null = null;
let dante: { url: string } | null = null;

beforeAll(async () => {
  pki = makePki();
  target = http.createServer((req, res) => res.end(`via=${req.headers.via ?? '-'} ${req.url}`));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  plainUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  secure = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => res.end(`secure ${req.url}`));
  await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
  const securePort = (secure.address() as AddressInfo).port;
  secureUrl = `https://127.0.0.1:${securePort}`;
  if (!skip.tinyproxy) {
    const t = await startTinyproxy({ connectPorts: [securePort] });
    tinyproxy = t;
    stops.push(t.stop);
  }
  if (!skip.dante) {
    const d = await startDante();
    dante = d;
    stops.push(d.stop);
  }
});
afterAll(() => {
  for (const stop of stops) stop();
  target.close();
  secure.close();
});

describe.skipIf(skip.tinyproxy)('through Debian tinyproxy', () => {
  it('an http GET goes through the forward proxy (it adds Via)', async () => {
    await using s = new AsyncSession({ proxies: { http: tinyproxy!.url } });
    const r = await s.get(`${plainUrl}/a`);
    expect(r.text).toMatch(/^via=1\.1 .*tinyproxy.* \/a$/);
  });

  it('an https GET goes through a CONNECT tunnel', async () => {
    await using s = new AsyncSession({ proxies: { https: tinyproxy!.url }, verify: pki.caPath, timeout: 5000 });
    expect((await s.get(`${secureUrl}/s`)).text).toBe('secure /s');
  });

  it('CONNECT to a port tinyproxy refuses is a ProxyError naming the proxy', async () => {
    await using s = new AsyncSession({ proxies: { https: tinyproxy!.url }, verify: false, timeout: 5000 });
    const e = await s.get(`https://127.0.0.1:1/`).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ProxyError);
    expect(e!.message).toContain(tinyproxy!.url);
  });
});

describe.skipIf(skip.dante)('through Debian dante (SOCKS5)', () => {
  it('an http GET and an https GET go through socks5h', async () => {
    await using s = new AsyncSession({ proxies: { all: dante!.url }, verify: pki.caPath });
    expect((await s.get(`${plainUrl}/d`)).text).toBe('via=- /d');
    expect((await s.get(`${secureUrl}/ds`)).text).toBe('secure /ds');
  });

  it('socks5 resolves the name here: a name only the session knows reaches its server through dante', async () => {
    const port = new URL(plainUrl).port;
    const resolver = 'in-memory://default/?hosts=only-here.test:127.0.0.1';
    await using s = new AsyncSession({ proxies: { all: dante!.url.replace('socks5h:', 'socks5:') }, resolver, timeout: 5000 });
    expect((await s.get(`http://only-here.test:${port}/local`)).text).toBe('via=- /local');
  });
});
