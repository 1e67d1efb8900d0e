// Debian's unbound, in another process on loopback, serving the zone interop.test over UDP,
// TLS and HTTPS (its DNS over HTTPS is HTTP/2 only); requests to a name of that zone reach
// nginx through each protocol, from the sync and the async API. Off CI, skipped (saying why)
// when unbound or nginx is not installed; on CI that fails the file (scripts/interop/install.sh).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ConnectionError, Session } from '../../dist/src/index.js';
import { checkPeers, startPeers, type NginxPeer, type UnboundPeer } from '../../scripts/interop/peers.mjs';
import { skipWithout } from '../helpers/interop.js';

const available = checkPeers();
const skip = skipWithout('unbound', available.unbound) || skipWithout('nginx', available.nginx);

describe.skipIf(skip)('unbound interop', () => {
  let nginx: NginxPeer;
  let unbound: UnboundPeer;
  const resolvers = (): Array<[string, string]> => [
    ['dou', `dou://127.0.0.1:${unbound.ports.udp}`],
    ['dot', `dot://127.0.0.1:${unbound.ports.tls}`],
    ['doh', `doh://127.0.0.1:${unbound.ports.https}`],
  ];
  const pinned = (url: string): string => (url.startsWith('dou') ? url : `${url}?verify=sha256_${unbound.sha256}`);

  beforeAll(async () => {
    const peers = await startPeers({ only: ['nginx', 'unbound'] });
    nginx = peers.nginx!;
    unbound = peers.unbound!;
  }, 60_000);
  afterAll(async () => {
    await nginx?.stop();
    await unbound?.stop();
  });

  it('AsyncSession reaches nginx by a name of the zone through dou, dot and doh', async () => {
    for (const [proto, url] of resolvers()) {
      await using s = new AsyncSession({ resolver: pinned(url), workers: 1, timeout: 10_000, retries: 0 });
      const r = await s.get(`http://www.interop.test:${nginx.port}/small.txt`);
      expect(r.text, proto).toBe('hello from nginx\n');
      expect(r.connInfo!.resolver, proto).toBe(url);
      await expect(s.get(`http://missing.interop.test:${nginx.port}/small.txt`), proto).rejects.toThrow(ConnectionError);
    }
  });

  it('Session (sync) does the same', () => {
    for (const [proto, url] of resolvers()) {
      using s = new Session({ resolver: pinned(url), workers: 1, timeout: 10_000 });
      const r = s.get(`http://www.interop.test:${nginx.port}/small.txt`);
      expect(r.text, proto).toBe('hello from nginx\n');
      expect(r.connInfo!.resolver, proto).toBe(url);
    }
  });

  it('unbound\'s certificate is checked: without a pin or its CA, dot and doh fail', async () => {
    await using s = new AsyncSession({ resolver: `doh://127.0.0.1:${unbound.ports.https}?timeout=3`, workers: 1, retries: 0 });
    await expect(s.get(`http://www.interop.test:${nginx.port}/small.txt`)).rejects.toThrow(/could not be resolved: doh:\/\/127.0.0.1:\d+: .*certificate/i);
  });
});
