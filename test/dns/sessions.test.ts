// Custom resolvers end to end: a session's requests to names of a test zone, resolved in the
// workers by a DNS server of the test's, reach a local HTTP server.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ConnectionError, Session } from '../../dist/src/index.js';
import { startDnsServer } from '../fixtures/dns-server.mjs';
import { makePki, type TestPki } from '../helpers/certs.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { until } from '../helpers/until.js';

const zone: Record<string, { A?: string[]; AAAA?: string[]; ttl?: number }> = {};
for (const n of ['udp', 'tls', 'https', 'json', 'burst', 'env', 'close', 'sync-udp', 'sync-https']) zone[`${n}.site.test`] = { A: ['127.0.0.1'] };

let pki: TestPki;
let dns: Awaited<ReturnType<typeof startDnsServer>>;
let site: http.Server;
let port: number;
/** Holds the one-worker engine open: each test's sessions close, and the last to close would tear it down. */
let keeper: AsyncSession;

beforeAll(async () => {
  pki = makePki();
  dns = await startDnsServer({ zone, tls: { cert: pki.server.cert, key: pki.server.key } });
  site = http.createServer((req, res) => res.end(`hello ${req.headers.host}`));
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  port = (site.address() as AddressInfo).port;
  keeper = new AsyncSession({ workers: 1 });
  await keeper.get(`http://127.0.0.1:${port}/`);
});
afterAll(async () => {
  await keeper.close();
  site.closeAllConnections();
  await new Promise((r) => site.close(r));
  await dns.close();
});

const ca = () => `verify=${encodeURIComponent(pki.caPath)}`;

describe('AsyncSession with a custom resolver', () => {
  it('reaches a name through dou, dot, doh and the JSON API; connInfo names the resolver and the resolution time', async () => {
    const cases = [
      ['udp', `dou://127.0.0.1:${dns.ports.udp}`, `dou://127.0.0.1:${dns.ports.udp}`],
      ['tls', `dot://127.0.0.1:${dns.ports.tls}?${ca()}`, `dot://127.0.0.1:${dns.ports.tls}`],
      ['https', `doh://127.0.0.1:${dns.ports.https}?${ca()}`, `doh://127.0.0.1:${dns.ports.https}`],
      ['json', `doh://127.0.0.1:${dns.ports.https}/resolve?${ca()}`, `doh://127.0.0.1:${dns.ports.https}/resolve`],
    ] as const;
    for (const [label, resolver, name] of cases) {
      await using s = new AsyncSession({ resolver, workers: 1 });
      const r = await s.get(`http://${label}.site.test:${port}/`);
      expect(r.text, label).toBe(`hello ${label}.site.test:${port}`);
      expect(r.connInfo!.resolver, label).toBe(name);
      expect(r.connInfo!.timings.resolution, label).toBeGreaterThanOrEqual(0);
      expect(r.connInfo!.destinationAddress, label).toBe('127.0.0.1');
    }
  });

  it('NXDOMAIN is a ConnectionError naming the host and the resolver', async () => {
    await using s = new AsyncSession({ resolver: `dou://127.0.0.1:${dns.ports.udp}`, workers: 1, retries: 0 });
    const err = await s.get(`http://nowhere.site.test:${port}/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toContain(`nowhere.site.test does not exist (NXDOMAIN from dou://127.0.0.1:${dns.ports.udp})`);
  });

  it('50 concurrent requests to a new name cost one query per type', async () => {
    await using s = new AsyncSession({ resolver: `dou://127.0.0.1:${dns.ports.udp}`, workers: 1 });
    const rs = await Promise.all(Array.from({ length: 50 }, () => s.get(`http://burst.site.test:${port}/`)));
    expect(rs.every((r) => r.statusCode === 200)).toBe(true);
    expect([dns.queries('burst.site.test', 'A'), dns.queries('burst.site.test', 'AAAA')]).toEqual([1, 1]);
  });

  // Without trustEnv the name would go to the system's resolver, off this machine: that half
  // is checked where the option is read (resolver-spec.test.ts).
  it('NODEQUESTS_DNS_URL is the default under trustEnv', async () => {
    process.env.NODEQUESTS_DNS_URL = `dou://127.0.0.1:${dns.ports.udp}`;
    try {
      await using s = new AsyncSession({ workers: 1 });
      expect((await s.get(`http://env.site.test:${port}/`)).connInfo!.resolver).toBe(`dou://127.0.0.1:${dns.ports.udp}`);
    } finally {
      delete process.env.NODEQUESTS_DNS_URL;
    }
  });

  it("the session's resolvers are closed with it", async () => {
    const before = dns.open;
    const s = new AsyncSession({ resolver: `dot://127.0.0.1:${dns.ports.tls}?${ca()}`, workers: 1 });
    await s.get(`http://close.site.test:${port}/`);
    expect(dns.open).toBe(before + 1);
    await s.close();
    await until(() => dns.open === before, () => `the DoT connection is still open (${dns.open} open, ${before} before)`, 5000);
  });
});

describe('Session (sync) with a custom resolver', () => {
  let child: ChildProcess;
  let ports: { udp: number; tls: number; https: number };
  let server: ServerProcess;

  beforeAll(async () => {
    // The sync API blocks this thread: its DNS and HTTP servers live in other processes.
    child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/dns-server.mjs', import.meta.url)), JSON.stringify({ zone, tls: { cert: pki.server.cert, key: pki.server.key } })], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    ports = JSON.parse(line.toString()) as typeof ports;
    server = await startServerProcess();
  });
  afterAll(async () => {
    child.stdin!.end();
    if (child.exitCode === null) await once(child, 'exit');
    await server.close();
  });

  it('resolves through dou and doh', () => {
    for (const [label, resolver] of [
      ['sync-udp', `dou://127.0.0.1:${ports.udp}`],
      ['sync-https', `doh://127.0.0.1:${ports.https}?${ca()}`],
    ] as const) {
      using s = new Session({ resolver, workers: 1, timeout: 10_000 });
      const r = s.get(`http://${label}.site.test:${server.port}/echo`);
      expect(r.statusCode, label).toBe(200);
      expect(r.json().headers.host, label).toBe(`${label}.site.test:${server.port}`);
      expect(r.connInfo!.resolver, label).toBe(resolver.split('?')[0]);
    }
  });
});
