import { describe, expect, it } from 'vitest';
import { normalizeResolver, parseResolverUrl } from '../../dist/src/dns/resolver-spec.js';
import { createResolver } from '../../dist/src/dns/resolve.js';

describe('resolver URLs', () => {
  it('parse system, in-memory with hosts (IPv6 in brackets) and a timeout in seconds', () => {
    expect(parseResolverUrl('system://')).toEqual({ protocol: 'system', hosts: {}, timeout: 0 });
    expect(parseResolverUrl('in-memory://default/?hosts=a.test:127.0.0.1,a.test:[::1],B.test:10.0.0.1&timeout=2')).toEqual({
      protocol: 'in-memory',
      hosts: { 'a.test': ['127.0.0.1', '::1'], 'b.test': ['10.0.0.1'] },
      timeout: 2000,
    });
  });

  it('refuse what this version cannot do, by name', () => {
    expect(() => parseResolverUrl('doh+google://')).toThrow(/doh is not available in this version yet/);
    expect(() => parseResolverUrl('carrier-pigeon://')).toThrow(/unknown protocol "carrier-pigeon"/);
    expect(() => parseResolverUrl('in-memory://default/?hosts=nope')).toThrow(/hosts entry "nope"/);
  });

  it('NODEQUESTS_DNS_URL is the default under trustEnv only', () => {
    const env = { NODEQUESTS_DNS_URL: 'in-memory://default/?hosts=x.test:127.0.0.9' };
    expect(normalizeResolver(undefined, env, true)[0]!.hosts).toEqual({ 'x.test': ['127.0.0.9'] });
    expect(normalizeResolver(undefined, env, false)[0]!.protocol).toBe('system');
  });

  it('a list is tried in order, and addresses come interleaved, IPv6 first', async () => {
    const resolve = createResolver([parseResolverUrl('in-memory://default/?hosts=m.test:10.0.0.1,m.test:10.0.0.2,m.test:[::1]'), parseResolverUrl('system://')], { ipv4: true, ipv6: true });
    expect(await resolve('m.test')).toEqual([
      { address: '::1', family: 6 },
      { address: '10.0.0.1', family: 4 },
      { address: '10.0.0.2', family: 4 },
    ]);
    expect((await resolve('localhost'))[0]!.address).toBe('127.0.0.1'); // falls through to the system
    const none = createResolver([parseResolverUrl('null://')], { ipv4: true, ipv6: true });
    await expect(none('localhost')).rejects.toThrow(/ENOTFOUND/);
  });
});
