import { describe, expect, it } from 'vitest';
import { normalizeResolver, parseResolverUrl } from '../../dist/src/dns/resolver-spec.js';
import { createResolver } from '../../dist/src/dns/resolve.js';
import { makePki } from '../helpers/certs.js';

describe('resolver URLs', () => {
  it('parse system, in-memory with hosts (IPv6 in brackets) and a timeout in seconds', () => {
    expect(parseResolverUrl('system://')).toMatchObject({ protocol: 'system', name: 'system://', hosts: {}, only: [], timeout: 0, tls: null });
    expect(parseResolverUrl('in-memory://default/?hosts=a.test:127.0.0.1,a.test:[::1],B.test:10.0.0.1&timeout=2')).toMatchObject({
      protocol: 'in-memory',
      name: 'in-memory://default',
      hosts: { 'a.test': ['127.0.0.1', '::1'], 'b.test': ['10.0.0.1'] },
      timeout: 2000,
    });
  });

  it('parse dou, dot and doh with their default ports, paths and a default timeout', () => {
    expect(parseResolverUrl('dou://10.0.0.53')).toMatchObject({ protocol: 'dou', host: '10.0.0.53', port: 53, timeout: 5000, tls: null });
    expect(parseResolverUrl('dou://[::1]:5353/?source_address=[::1]')).toMatchObject({ host: '::1', port: 5353, sourceAddress: '::1' });
    expect(parseResolverUrl('dot://dns.example.test')).toMatchObject({ protocol: 'dot', host: 'dns.example.test', port: 853, tls: { verify: true, pin: null } });
    expect(parseResolverUrl('doh://dns.example.test')).toMatchObject({ protocol: 'doh', port: 443, path: '/dns-query', json: false, method: 'POST' });
    expect(parseResolverUrl('doh://u:p%40ss@dns.example.test:8443/resolve?method=get&timeout=0.5')).toMatchObject({
      name: 'doh://dns.example.test:8443/resolve',
      port: 8443,
      path: '/resolve',
      json: true,
      method: 'GET',
      credentials: 'u:p@ss',
      timeout: 500,
    });
  });

  it('providers expand to their documented endpoints', () => {
    expect(parseResolverUrl('doh+google://')).toMatchObject({ host: 'dns.google', port: 443, path: '/dns-query', name: 'doh+google://' });
    expect(parseResolverUrl('doh+cloudflare://default/?verify=false')).toMatchObject({ host: 'cloudflare-dns.com', tls: { verify: false } });
    expect(parseResolverUrl('dot+quad9://')).toMatchObject({ host: 'dns.quad9.net', port: 853 });
    expect(parseResolverUrl('dou+adguard://')).toMatchObject({ host: '94.140.14.14', port: 53 });
    expect(parseResolverUrl('doh+opendns://')).toMatchObject({ host: 'doh.opendns.com' });
    expect(parseResolverUrl('dot+nextdns://')).toMatchObject({ host: 'dns.nextdns.io' });
  });

  it('verify takes false, a CA bundle path or a pin, and hosts= takes name patterns', () => {
    const pki = makePki();
    expect(parseResolverUrl(`dot://127.0.0.1?verify=${encodeURIComponent(pki.caPath)}`).tls!.ca).toBe(pki.ca);
    expect(parseResolverUrl(`doh://127.0.0.1?verify=sha256_${pki.server.sha256}`).tls!.pin).toBe(pki.server.sha256);
    expect(parseResolverUrl('dou://10.0.0.53/?hosts=*.corp.internal,db.test,db.test:10.0.0.5')).toMatchObject({ only: ['*.corp.internal', 'db.test'], hosts: { 'db.test': ['10.0.0.5'] } });
  });

  it('a bad string is an InvalidOption naming the part that is wrong', () => {
    const bad: Array<[string, RegExp]> = [
      ['doq+adguard://', /doq \(DNS over QUIC\) is not built in nodequests; use dot or doh/],
      ['carrier-pigeon://', /unknown protocol "carrier-pigeon"/],
      ['doh+acme://', /unknown provider "acme"/],
      ['system+google://', /only dou, dot and doh take a provider/],
      ['in-memory://default/?hosts=nope!', /hosts entry "nope!"/],
      ['in-memory://default/?hosts=a.test:999.1.1.1', /hosts entry "a.test:999.1.1.1" is not name:address/],
      ['dou://', /dou needs a server/],
      ['dou://1.1.1.1?timeout=soon', /timeout "soon" must be a number of seconds > 0/],
      ['dou://1.1.1.1?verify=false', /verify applies to dot and doh only/],
      ['dot://1.1.1.1/path', /dot takes no path/],
      ['dou://1.1.1.1?source_address=here', /source_address "here" is not an IP address/],
      ['doh://1.1.1.1?method=PUT', /method "PUT" must be GET or POST/],
      ['doh://1.1.1.1?retries=3', /unknown parameter "retries"/],
      ['dot://1.1.1.1?verify=/no/such/ca.pem', /verify "\/no\/such\/ca.pem".*cannot read/],
      ['system://?verify=false', /verify applies to dou, dot and doh only/],
    ];
    for (const [url, message] of bad) {
      expect(() => parseResolverUrl(url), url).toThrow(message);
      try {
        parseResolverUrl(url);
      } catch (err) {
        expect((err as { code: string }).code, url).toBe('NQ_ERR_INVALID_OPTION');
        expect((err as Error).message, url).toContain(JSON.stringify(url));
      }
    }
  });

  it('NODEQUESTS_DNS_URL is the default under trustEnv only', () => {
    const env = { NODEQUESTS_DNS_URL: 'in-memory://default/?hosts=x.test:127.0.0.9' };
    expect(normalizeResolver(undefined, env, true)[0]!.hosts).toEqual({ 'x.test': ['127.0.0.9'] });
    expect(normalizeResolver(undefined, env, false)[0]!.protocol).toBe('system');
  });

  it('a list is tried in order, and addresses come interleaved, IPv6 first', async () => {
    const r = createResolver([parseResolverUrl('in-memory://default/?hosts=m.test:10.0.0.1,m.test:10.0.0.2,m.test:[::1]'), parseResolverUrl('system://')], { ipv4: true, ipv6: true });
    expect((await r.resolve('m.test')).addresses).toEqual([
      { address: '::1', family: 6 },
      { address: '10.0.0.1', family: 4 },
      { address: '10.0.0.2', family: 4 },
    ]);
    expect((await r.resolve('localhost')).addresses.map((a) => a.address)).toContain('127.0.0.1');
  });
});
