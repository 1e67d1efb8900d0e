// Debian's caddy, in another process on loopback, serving files over HTTP/3 (QUIC) and over
// HTTP/1.1 and HTTP/2 on the same port, announcing h3 by Alt-Svc. Off CI, skipped (saying
// why) when caddy is not installed; on CI that fails the file (scripts/interop/install.sh).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, Session } from '../../dist/src/index.js';
import { checkPeers, startPeers, type CaddyPeer } from '../../scripts/interop/peers.mjs';
import { skipWithout } from '../helpers/interop.js';

const skip = skipWithout('caddy', checkPeers().caddy);

describe.skipIf(skip)('caddy interop (HTTP/3)', () => {
  let caddy: CaddyPeer;
  const pin = (): string => `sha256_${caddy.sha256}`;

  beforeAll(async () => {
    caddy = (await startPeers({ only: ['caddy'] })).caddy!;
  }, 60_000);
  afterAll(async () => {
    await caddy?.stop();
  });

  it('upgrades from HTTP/2 by its Alt-Svc, and reads it over QUIC', async () => {
    await using s = new AsyncSession({ verify: pin(), disableHttp3: false, workers: 1 });
    const first = await s.get(`${caddy.url}${caddy.files.small.path}`);
    expect(first.httpVersion).toBe('HTTP/2');
    expect(first.headers.get('alt-svc')).toMatch(new RegExp(`h3=":${caddy.port}"`));
    const second = await s.get(`${caddy.url}${caddy.files.small.path}`);
    expect([second.httpVersion, second.text]).toEqual(['HTTP/3', 'hello from caddy\n']);
    expect(second.connInfo?.quic?.version).toBe('QUICv1');
  });

  it('decodes what it compresses (zstd, gzip) over HTTP/3', async () => {
    await using s = new AsyncSession({ verify: pin(), http3Origins: [caddy.url], workers: 1 });
    for (const encoding of ['zstd', 'gzip']) {
      const r = await s.get(`${caddy.url}${caddy.files.text.path}`, { headers: { 'accept-encoding': encoding } });
      expect([r.httpVersion, r.headers.get('content-encoding')], encoding).toEqual(['HTTP/3', encoding]);
      expect(createHash('sha256').update(r.content).digest('hex'), encoding).toBe(caddy.files.text.sha256);
    }
  });

  // The QUIC layer carries a few MB/s (README, HTTP/3): this takes 10-20 s.
  it('downloads 64 MiB intact (sha256), from the sync API too', async () => {
    await using s = new AsyncSession({ verify: pin(), http3Origins: [caddy.url], workers: 1, timeout: 60_000 });
    const r = await s.get(`${caddy.url}${caddy.files.big.path}`);
    expect(r.httpVersion).toBe('HTTP/3');
    expect(createHash('sha256').update(r.content).digest('hex')).toBe(caddy.files.big.sha256);
    using sync = new Session({ verify: pin(), http3Origins: [caddy.url], workers: 1 });
    const small = sync.get(`${caddy.url}${caddy.files.small.path}`);
    expect([small.httpVersion, small.text]).toEqual(['HTTP/3', 'hello from caddy\n']);
  }, 120_000);
});
