import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResolverUrl } from '../../dist/src/dns/resolver-spec.js';
import { createResolver, type Resolver } from '../../dist/src/dns/resolve.js';
import { startDnsServer } from '../fixtures/dns-server.mjs';
import { makePki, type TestPki } from '../helpers/certs.js';

// Each test asks for names of its own: the cache is the worker's (here: this test file's).
const zone: Record<string, { A?: string[]; AAAA?: string[]; ttl?: number; cname?: string }> = {};
for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'tls', 'get', 'post', 'json', 'pin', 'closing', 'list', 'only.corp']) zone[`${n}.test`] = { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1'] };
zone['big.test'] = { A: ['10.0.0.9'] };
zone['big2.test'] = { A: ['10.0.0.9'] };
zone['wrongid.test'] = { A: ['10.0.0.7'], AAAA: [] };
zone['spoofed.test'] = { A: ['10.0.0.7'], AAAA: [] };
zone['short.test'] = { A: ['10.0.0.5'], ttl: 1 };
zone['merge.test'] = { A: ['10.0.0.8'] };
zone['alias.test'] = { cname: 'target.test' };
zone['target.test'] = { A: ['10.0.0.6'] };
zone['v4only.test'] = { A: ['10.0.0.4'] };
zone['servfail4.test'] = { A: ['10.0.0.3'] };

let pki: TestPki;
let dns: Awaited<ReturnType<typeof startDnsServer>>;
const resolvers: Resolver[] = [];
const make = (...urls: string[]): Resolver => {
  const r = createResolver(urls.map((u) => parseResolverUrl(u)), { ipv4: true, ipv6: true });
  resolvers.push(r);
  return r;
};
const dou = (q = '') => `dou://127.0.0.1:${dns.ports.udp}${q}`;
const dot = (q = '') => `dot://127.0.0.1:${dns.ports.tls}/?verify=${encodeURIComponent(pki.caPath)}${q}`;
const doh = (path = '', q = '') => `doh://127.0.0.1:${dns.ports.https}${path}?verify=${encodeURIComponent(pki.caPath)}${q}`;

beforeAll(async () => {
  pki = makePki();
  dns = await startDnsServer({ zone, tls: { cert: pki.server.cert, key: pki.server.key } });
});
afterAll(async () => {
  for (const r of resolvers) r.close();
  await dns.close();
});

describe('DNS over UDP', () => {
  it('asks A and AAAA, and hands back IPv6 and IPv4 interleaved', async () => {
    const r = await make(dou()).resolve('a.test');
    expect(r).toEqual({
      addresses: [
        { address: 'fd00::1', family: 6 },
        { address: '10.0.0.1', family: 4 },
        { address: '10.0.0.2', family: 4 },
      ],
      resolver: `dou://127.0.0.1:${dns.ports.udp}`,
    });
    expect([dns.queries('a.test', 'A', 'udp'), dns.queries('a.test', 'AAAA', 'udp')]).toEqual([1, 1]);
  });

  it('asks again over TCP when the answer is truncated', async () => {
    expect((await make(dou()).resolve('big.test')).addresses).toEqual([{ address: '10.0.0.9', family: 4 }]);
    expect(dns.queries('big.test', 'A', 'udp')).toBe(1);
    expect(dns.queries('big.test', 'A', 'tcp')).toBe(1);
  });

  it('ignores a reply with another id, or from another port, and takes the right one', async () => {
    expect((await make(dou()).resolve('wrongid.test')).addresses).toEqual([{ address: '10.0.0.7', family: 4 }]);
    expect((await make(dou()).resolve('spoofed.test')).addresses).toEqual([{ address: '10.0.0.7', family: 4 }]);
  });

  it('NXDOMAIN ends the search, naming the host and the resolver', async () => {
    const r = make(dou(), 'in-memory://default/?hosts=nowhere.test:10.1.1.1');
    await expect(r.resolve('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND', message: `nowhere.test does not exist (NXDOMAIN from dou://127.0.0.1:${dns.ports.udp})` });
  });

  it('SERVFAIL, a silent server and a malformed answer fall through to the next resolver', async () => {
    const fallback = 'in-memory://default/?hosts=servfail.test:10.2.0.1,silent.test:10.2.0.2,malformed.test:10.2.0.3';
    const r = make(dou('?timeout=0.4'), fallback);
    expect((await r.resolve('servfail.test')).addresses).toEqual([{ address: '10.2.0.1', family: 4 }]);
    const started = performance.now();
    expect(await r.resolve('silent.test')).toEqual({ addresses: [{ address: '10.2.0.2', family: 4 }], resolver: 'in-memory://default' });
    expect(performance.now() - started).toBeLessThan(3000); // within its timeout, not the default 5 s
    // The silent server was asked again within the timeout (retransmission).
    expect(dns.queries('silent.test', 'A', 'udp')).toBe(3);
    expect((await r.resolve('malformed.test')).addresses).toEqual([{ address: '10.2.0.3', family: 4 }]);
    // Alone, a failing resolver's error says what went wrong, and where.
    await expect(make(dou('?timeout=0.3')).resolve('servfail.test')).rejects.toThrow(`servfail.test could not be resolved: dou://127.0.0.1:${dns.ports.udp}: answered SERVFAIL`);
    await expect(make(dou('?timeout=0.3')).resolve('malformed.test')).rejects.toThrow(/malformed answer/);
  });

  it('an empty AAAA answer beside a failed A query is a failure, not a name without addresses', async () => {
    const r = make(dou('?timeout=0.5'), 'in-memory://default/?hosts=servfail4.test:10.2.0.4');
    expect((await r.resolve('servfail4.test')).addresses).toEqual([{ address: '10.2.0.4', family: 4 }]);
  });

  it('caches within the TTL, and asks again once it expired', async () => {
    const r = make(dou());
    await r.resolve('short.test');
    await r.resolve('short.test');
    expect(dns.queries('short.test', 'A')).toBe(1);
    await new Promise((done) => setTimeout(done, 1100));
    await r.resolve('short.test');
    expect(dns.queries('short.test', 'A')).toBe(2);
  });

  it('merges identical lookups in flight: 50 at once cost one query per type', async () => {
    const r = make(dou());
    const all = await Promise.all(Array.from({ length: 50 }, () => r.resolve('merge.test')));
    expect(new Set(all.map((x) => x.addresses[0]!.address))).toEqual(new Set(['10.0.0.8']));
    expect([dns.queries('merge.test', 'A'), dns.queries('merge.test', 'AAAA')]).toEqual([1, 1]);
  });

  it('follows a CNAME chain', async () => {
    expect((await make(dou()).resolve('alias.test')).addresses).toEqual([{ address: '10.0.0.6', family: 4 }]);
  });

  it('a name with no address of an allowed family is refused, saying so', async () => {
    const r = createResolver([parseResolverUrl(dou())], { ipv4: false, ipv6: true });
    resolvers.push(r);
    await expect(r.resolve('v4only.test')).rejects.toThrow(/v4only.test has only IPv4 addresses, and those are disabled \(answered by dou/);
  });
});

describe('DNS over TLS and HTTPS', () => {
  it('dot: one TLS connection carries pipelined queries', async () => {
    const r = make(dot());
    const [x, y] = await Promise.all([r.resolve('tls.test'), r.resolve('b.test')]);
    expect(x.addresses.map((a) => a.address)).toEqual(['fd00::1', '10.0.0.1', '10.0.0.2']);
    expect(y.resolver).toBe(`dot://127.0.0.1:${dns.ports.tls}`);
    expect(dns.queries('tls.test', 'A', 'tls') + dns.queries('b.test', 'AAAA', 'tls')).toBe(2);
    expect(dns.open).toBeGreaterThanOrEqual(1);
  });

  it('doh: the wire format by POST and by GET, and the JSON API at /resolve', async () => {
    expect((await make(doh()).resolve('post.test')).addresses).toHaveLength(3);
    expect((await make(doh('', '&method=GET')).resolve('get.test')).addresses).toHaveLength(3);
    expect((await make(doh('/resolve')).resolve('json.test')).addresses).toHaveLength(3);
    expect([dns.queries('post.test', 'A', 'https'), dns.queries('get.test', 'AAAA', 'https'), dns.queries('json.test', 'A', 'https')]).toEqual([1, 1, 1]);
    await expect(make(doh('/resolve')).resolve('missing.test')).rejects.toThrow(/NXDOMAIN from doh:\/\/127.0.0.1/);
  });

  it('the resolver checks its server: an unknown CA fails, verify=false and a pin pass', async () => {
    const untrusted = make(`doh://127.0.0.1:${dns.ports.https}?timeout=2`);
    await expect(untrusted.resolve('c.test')).rejects.toThrow(/could not be resolved: doh:\/\/127.0.0.1:\d+: .*(certificate|self.signed|issuer)/i);
    expect((await make(`dot://127.0.0.1:${dns.ports.tls}?verify=false`).resolve('d.test')).addresses).toHaveLength(3);
    expect((await make(`doh://127.0.0.1:${dns.ports.https}?verify=sha256_${pki.server.sha256}`).resolve('pin.test')).addresses).toHaveLength(3);
    await expect(make(`dot://127.0.0.1:${dns.ports.tls}?timeout=2&verify=sha256_${'0'.repeat(64)}`).resolve('e.test')).rejects.toThrow(/pin mismatch/);
  });

  it('dot and doh: silence, SERVFAIL and malformed answers fall through too', async () => {
    const fallback = 'in-memory://default/?hosts=silent.test:10.5.0.1,servfail.test:10.5.0.2,malformed.test:10.5.0.3';
    for (const r of [make(dot('&timeout=0.4'), fallback), make(doh('', '&timeout=0.4'), fallback), make(doh('/resolve', '&timeout=0.4'), fallback)]) {
      for (const [name, address] of [['silent.test', '10.5.0.1'], ['servfail.test', '10.5.0.2'], ['malformed.test', '10.5.0.3']]) {
        expect((await r.resolve(name!)).addresses, name).toEqual([{ address, family: 4 }]);
      }
    }
  });

  it('source_address is where queries leave from, over UDP, TLS and HTTPS', async () => {
    await make(dou('?source_address=127.0.0.2')).resolve('h.test');
    await make(dot('&source_address=127.0.0.3')).resolve('h.test');
    await make(doh('', '&source_address=127.0.0.4')).resolve('h.test');
    expect([dns.sources.udp.has('127.0.0.2'), dns.sources.tls.has('127.0.0.3'), dns.sources.https.has('127.0.0.4')]).toEqual([true, true, true]);
  });

  it('close() ends the resolver\'s connections', async () => {
    const r = createResolver([parseResolverUrl(dot())], { ipv4: true, ipv6: true });
    await r.resolve('closing.test');
    const before = dns.open;
    r.close();
    const deadline = Date.now() + 3000;
    while (dns.open >= before && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
    expect(dns.open).toBeLessThan(before);
  });
});

describe('lists, tables and patterns', () => {
  it('localhost goes to the system whatever the resolvers, unless a table names it', async () => {
    expect((await make('null://').resolve('localhost')).resolver).toBe('system://');
    expect((await make(dou()).resolve('app.localhost')).resolver).toBe('system://');
    expect(dns.queries('app.localhost', 'A')).toBe(0);
    expect((await make(dou(), 'in-memory://default/?hosts=localhost:127.0.0.9').resolve('localhost')).addresses).toEqual([{ address: '127.0.0.9', family: 4 }]);
    await expect(make('null://').resolve('elsewhere.test')).rejects.toThrow(/no resolver of the session \(null:\/\/\) serves this name/);
  });

  it('hosts= patterns restrict a resolver to matching names; the rest go on down the list', async () => {
    const r = make(`${dou()}?hosts=*.corp.test`, 'in-memory://default/?hosts=f.test:10.3.0.1');
    expect((await r.resolve('f.test')).addresses).toEqual([{ address: '10.3.0.1', family: 4 }]);
    expect(dns.queries('f.test', 'A')).toBe(0);
    const s = make(`${dou()}?hosts=*.test`);
    expect((await s.resolve('list.test')).resolver).toBe(`dou://127.0.0.1:${dns.ports.udp}`);
  });

  it('a closed server falls through to the next', async () => {
    const r = make('dot://127.0.0.1:1/?timeout=2', 'in-memory://default/?hosts=g.test:10.4.0.1');
    expect(await r.resolve('g.test')).toEqual({ addresses: [{ address: '10.4.0.1', family: 4 }], resolver: 'in-memory://default' });
  });
});
