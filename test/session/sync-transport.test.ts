// The sync Session over every transport path the async tests cover: the sync path is the
// engine's own blocking code (Atomics.wait on the rings), so each needs its own test. The
// peers run in a worker thread (test/fixtures/sync-peers.mjs): a sync call blocks this one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyError, Session } from '../../dist/src/index.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { DECODED, startSyncPeers, type SyncPeers } from '../helpers/sync-peers.js';

let pki: TestPki;
let peers: SyncPeers;
beforeAll(async () => {
  pki = makePki();
  peers = await startSyncPeers(pki);
});
afterAll(() => peers.close());

const basic = `Basic ${Buffer.from('user:pass').toString('base64')}`;
const withCreds = (url: string) => url.replace('http://', 'http://user:pass@');

describe('sync Session', () => {
  it('speaks HTTP/2, and connInfo describes the connection', () => {
    const s = new Session({ verify: pki.caPath, workers: 1 });
    try {
      const r = s.get(`${peers.h2}/over-h2`);
      expect(r.text).toBe('2.0 /over-h2');
      expect(r.httpVersion).toBe('HTTP/2');
      const info = r.connInfo!;
      expect(info.tlsVersion).toMatch(/^TLSv1\.[23]$/);
      expect(info.peerCertificate!.subject.CN).toBe('localhost');
      expect(info.destinationPort).toBe(Number(new URL(peers.h2).port));
      // The second request is a stream of the same connection.
      expect(s.get(`${peers.h2}/again`).connInfo!.established.getTime()).toBe(info.established.getTime());
    } finally {
      s.close();
    }
    const h1 = new Session({ verify: pki.caPath, workers: 1, disableHttp2: true });
    try {
      expect(h1.get(`${peers.h2}/h1`).text).toBe('1.1 /h1');
    } finally {
      h1.close();
    }
  });

  it('sends over a unix socket', () => {
    const s = new Session();
    try {
      expect(s.get(`${peers.unix}/path?q=1`).text).toBe('unix GET /path?q=1');
      expect(s.post(`${peers.unix}/form`, { data: 'x' }).text).toBe('unix POST /form');
    } finally {
      s.close();
    }
  });

  it('pools() shows its pools while it blocks for nothing', () => {
    const s = new Session({ verify: pki.caPath, workers: 1 });
    try {
      s.get(`${peers.h2}/a`);
      s.get(`${peers.enc}/br`);
      const pools = s.pools();
      expect(pools.map((p) => p.origin).sort()).toEqual([peers.enc, peers.h2].sort());
      for (const p of pools) expect(p).toMatchObject({ connected: 1, running: 0, pending: 0 });
    } finally {
      s.close();
    }
  });

  it('decodes br, zstd and deflate, and asks for them', () => {
    const s = new Session();
    try {
      for (const name of ['br', 'zstd', 'deflate']) {
        const r = s.get(`${peers.enc}/${name}`);
        expect([name, r.headers.get('content-encoding'), r.text]).toEqual([name, name, DECODED]);
        expect(r.headers.get('x-accept-encoding')).toBe('gzip, deflate, br, zstd');
      }
    } finally {
      s.close();
    }
  });

  it('goes through a forward proxy with Proxy-Authorization, and a 407 without it is a ProxyError', async () => {
    const s = new Session({ proxies: { http: withCreds(peers.proxy) } });
    try {
      const r = s.get(`${peers.plain}/through`);
      expect(r.json()).toEqual({ url: '/through', via: '1.1 sync-proxy', proxyAuth: null });
    } finally {
      s.close();
    }
    expect(await peers.seen()).toEqual([{ line: `GET ${peers.plain}/through`, auth: basic }]);
    const anonymous = new Session({ proxies: { http: peers.proxy } });
    try {
      expect(() => anonymous.get(`${peers.plain}/through`)).toThrow(ProxyError);
      expect(() => anonymous.get(`${peers.plain}/through`)).toThrow(/Proxy http:\/\/127\.0\.0\.1:\d+ failed .*Proxy Authentication Required \(407\)/);
    } finally {
      anonymous.close();
    }
    expect((await peers.seen()).map((x) => x.auth)).toEqual([null, null]);
  });

  it('tunnels https through the proxy with CONNECT, and a 407 to CONNECT is a ProxyError', async () => {
    const s = new Session({ proxies: { https: withCreds(peers.proxy) }, verify: pki.caPath });
    try {
      expect(s.get(`${peers.h2}/tunnelled`).text).toMatch(/^(2\.0|1\.1) \/tunnelled$/);
    } finally {
      s.close();
    }
    expect(await peers.seen()).toEqual([{ line: `CONNECT 127.0.0.1:${new URL(peers.h2).port}`, auth: basic }]);
    const anonymous = new Session({ proxies: { https: peers.proxy }, verify: pki.caPath });
    try {
      expect(() => anonymous.get(`${peers.h2}/tunnelled`)).toThrow(ProxyError);
    } finally {
      anonymous.close();
    }
    expect((await peers.seen()).map((x) => x.auth)).toEqual([null]);
  });

  it('takes the proxy and its credentials from the environment (HTTP_PROXY)', async () => {
    process.env.HTTP_PROXY = withCreds(peers.proxy);
    try {
      const s = new Session();
      try {
        expect(s.get(`${peers.plain}/from-env`).json()).toEqual({ url: '/from-env', via: '1.1 sync-proxy', proxyAuth: null });
      } finally {
        s.close();
      }
    } finally {
      delete process.env.HTTP_PROXY;
    }
    expect(await peers.seen()).toEqual([{ line: `GET ${peers.plain}/from-env`, auth: basic }]);
  });
});
