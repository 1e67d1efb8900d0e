// What users of other Node clients hit: the keep-alive reuse race, connections held by
// unread bodies, no cap on connections per origin, GOAWAY handled as a plain error, and a
// phase of a request that no timeout covers. Counted at the server, on both APIs.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectionError, ConnectTimeout, ReadTimeout, RequestException, Timeout,
  type AsyncSession, type RequestOptions, type Response, type Session,
} from '../../dist/src/index.js';
import { guarded, openSession, type AnySession, type Kind } from './guarded.js';
import { startPeers, type Peers } from './peers.js';

let peers: Peers;
let blackhole: ChildProcess;
let blackholeUrl: string;
beforeAll(async () => {
  peers = await startPeers();
  // A listener whose accept queue is full: connection attempts to it hang.
  blackhole = spawn('python3', [fileURLToPath(new URL('../fixtures/blackhole.py', import.meta.url)), '127.0.0.3'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(blackhole.stdout!, 'data')) as [Buffer];
  blackholeUrl = `http://127.0.0.3:${line.toString().trim()}`;
});
afterAll(async () => {
  blackhole.kill();
  await peers.close();
});
beforeEach(() => peers.reset());

const KINDS: Kind[] = ['async', 'sync'];

/** One request's status, or the error it failed with; a sync session's call blocks in here. */
function statusOf(s: AnySession, method: string, url: string, options?: RequestOptions): number | Promise<number> {
  const r = s.request(method, url, options);
  return r instanceof Promise ? r.then((x) => x.statusCode) : r.statusCode;
}

async function run<T>(kind: Kind, ms: number, what: string, work: () => T | Promise<T>): Promise<T> {
  const r = await guarded(kind, ms, what, work);
  if (r.error) throw r.error;
  return r.value!;
}

function expectExactly(error: unknown, Class: typeof RequestException): void {
  const e = error as Error | undefined;
  if (!(e instanceof Class) || e.name !== Class.name) throw new Error(`expected ${Class.name}, got ${e ? `${e.name}: ${e.message}` : 'a response'}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(KINDS)('the keep-alive reuse race (%s)', (kind) => {
  it('a server that closes idle sockets at 1 s (and says Keep-Alive: timeout=1), a request every second: none fails', async () => {
    const s = openSession(kind, { workers: 1, poolMaxsize: 1 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push(await run(kind, 15_000, `keep-alive request ${i}`, () => statusOf(s, 'GET', `${peers.keepAlive}/`, { timeout: 10_000 })));
        await sleep(1_000);
      }
      expect(statuses).toEqual(Array(6).fill(200));
      const stats = await peers.stats();
      expect(stats['keepAlive requests']).toBe(6);
      // No socket was reused past the server's hint (undici keeps one for the hint less 2 s).
      expect(stats['keepAlive sockets']).toBe(6);
    } finally {
      await s.close();
    }
  });

  it.each(['close-on-reuse', 'reset-on-reuse'])('a kept-alive socket %s with no byte of answer: an idempotent request is sent again once, on a new connection', async (route) => {
    const s = openSession(kind, { workers: 1, poolMaxsize: 1 });
    try {
      const url = `${peers.raw}/${route}`;
      const first = await run(kind, 15_000, 'first request', () => statusOf(s, 'GET', url, { timeout: 10_000 }));
      const second = await run(kind, 15_000, 'request on the stale socket', () => statusOf(s, 'GET', url, { timeout: 10_000 }));
      expect([first, second]).toEqual([200, 200]);
      const stats = await peers.stats();
      expect(stats[`raw /${route}`]).toBe(3);
      expect(stats.rawSockets).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('a POST on such a socket is not sent again (the server may have acted on it): ConnectionError', async () => {
    const s = openSession(kind, { workers: 1, poolMaxsize: 1 });
    try {
      const url = `${peers.raw}/close-on-reuse`;
      await run(kind, 15_000, 'first POST', () => statusOf(s, 'POST', url, { data: 'a', timeout: 10_000 }));
      const r = await guarded(kind, 15_000, 'POST on the stale socket', () => statusOf(s, 'POST', url, { data: 'b', timeout: 10_000 }));
      expectExactly(r.error, ConnectionError);
      expect((await peers.stats())['raw /close-on-reuse']).toBe(2);
    } finally {
      await s.close();
    }
  });
});

describe.each(KINDS)('unread bodies never hold a connection (%s)', (kind) => {
  it('redirects with bodies, 4xx and 5xx (read or not) and HEAD, on a pool of one connection: all on one socket', async () => {
    const s = openSession(kind, { workers: 1, poolMaxsize: 1 });
    try {
      const p = peers.polite;
      const statuses = await run(kind, 30_000, 'a sequence of unread bodies', async () => {
        const out: number[] = [];
        const one = async (method: string, path: string, read: boolean): Promise<void> => {
          const r = s.request(method, `${p}${path}`, { timeout: 10_000 });
          const res = (r instanceof Promise ? await r : r) as Response;
          if (read) expect(res.content.length).toBeGreaterThan(0);
          out.push(res.statusCode);
        };
        await one('GET', '/redirect', false);
        await one('GET', '/status/404', false);
        await one('GET', '/status/500', true);
        await one('GET', '/status/503', false);
        await one('HEAD', '/big', false);
        await one('GET', '/redirect', true);
        await one('GET', '/ok', true);
        return out;
      });
      expect(statuses).toEqual([200, 404, 500, 503, 200, 200, 200]);
      const stats = await peers.stats();
      expect(stats['polite requests']).toBe(9); // the two redirects are two requests each
      expect(stats['polite connections']).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('a HEAD answered with a body anyway (a misbehaving server) does not spill into the next response', async () => {
    const s = openSession(kind, { workers: 1, poolMaxsize: 1 });
    try {
      const texts = await run(kind, 30_000, 'HEAD with a body, then GET', async () => {
        const out: string[] = [];
        for (const [method, path] of [['HEAD', '/head-with-body'], ['GET', '/ok'], ['HEAD', '/head-with-body'], ['HEAD', '/head-with-body'], ['GET', '/ok']] as const) {
          const r = s.request(method, `${peers.raw}${path}`, { timeout: 10_000 });
          const res = (r instanceof Promise ? await r : r) as Response;
          out.push(`${res.statusCode} ${res.text}`);
        }
        return out;
      });
      expect(texts).toEqual(['200 ', '200 ok', '200 ', '200 ', '200 ok']);
    } finally {
      await s.close();
    }
  });
});

describe('unread streamed bodies (async)', () => {
  it('a streamed error response closed unread frees its connection for the next request', async () => {
    await using s = openSession('async', { workers: 1, poolMaxsize: 1 }) as AsyncSession;
    const statuses = await run('async', 30_000, 'streamed responses closed unread', async () => {
      const out: number[] = [];
      for (const path of ['/status/404', '/status/500', '/big']) {
        const r = await s.get(`${peers.polite}${path}`, { stream: true, timeout: 10_000 });
        out.push(r.statusCode);
        await r.close();
      }
      out.push((await s.get(`${peers.polite}/ok`, { timeout: 10_000 })).statusCode);
      return out;
    });
    expect(statuses).toEqual([404, 500, 200, 200]);
  });
});

describe.each(KINDS)('connections per origin are capped, the rest queued (%s)', (kind) => {
  const burst = async (s: AnySession, n: number): Promise<number[]> =>
    run(kind, 60_000, `${n} requests at once`, async () => {
      const rs = Array.from({ length: n }, () => s.get(`${peers.polite}/slow`, { timeout: 30_000 }));
      if (kind === 'sync') {
        (s as Session).gather();
        return (rs as Response[]).map((r) => r.statusCode);
      }
      return (await Promise.all(rs as Array<Promise<Response>>)).map((r) => r.statusCode);
    });

  it('by default: poolMaxsize (10) per worker, so 60 requests on 2 workers open at most 20 connections', async () => {
    const s = openSession(kind, { workers: 2, multiplexed: kind === 'sync' });
    try {
      expect(await burst(s, 60)).toEqual(Array(60).fill(200));
      const stats = await peers.stats();
      expect(stats['polite connections']).toBeLessThanOrEqual(20);
      expect(stats['polite maxActive']).toBeLessThanOrEqual(20);
    } finally {
      await s.close();
    }
  });

  it('poolMaxsize: 3 on 1 worker: 30 requests, at most 3 connections, all complete', async () => {
    const s = openSession(kind, { workers: 1, poolMaxsize: 3, multiplexed: kind === 'sync' });
    try {
      expect(await burst(s, 30)).toEqual(Array(30).fill(200));
      const stats = await peers.stats();
      expect(stats['polite connections']).toBeLessThanOrEqual(3);
      expect(stats['polite maxActive']).toBeLessThanOrEqual(3);
    } finally {
      await s.close();
    }
  });
});

describe.each(KINDS)('GOAWAY with a last-stream-id (%s)', (kind) => {
  it.each(['GET', 'POST'])('%s: streams up to it complete on their connection, those above are sent again on a new one', async (method) => {
    const s = openSession(kind, { workers: 1, disableHttp1: true, multiplexed: kind === 'sync' });
    try {
      const texts = await run(kind, 30_000, 'six streams cut by a GOAWAY', async () => {
        const options = { timeout: 10_000, ...(method === 'POST' ? { data: 'x' } : {}) };
        const rs = Array.from({ length: 6 }, () => s.request(method, `${peers.h2}/goaway`, options));
        if (kind === 'sync') {
          (s as Session).gather();
          return (rs as Response[]).map((r) => r.text!);
        }
        return (await Promise.all(rs as Array<Promise<Response>>)).map((r) => r.text!);
      });
      // "ok <connection> <stream id>": three answered on the first connection, three on the second.
      const byConnection = texts.map((t) => t.split(' ')[1]).sort();
      expect(byConnection).toEqual(['1', '1', '1', '2', '2', '2']);
      const stats = await peers.stats();
      expect(stats['h2 sessions']).toBe(2);
      expect(stats['h2 /goaway answered']).toBe(6);
      expect(stats['h2 /goaway']).toBe(9); // the three above last-stream-id reached the server twice, were answered once
    } finally {
      await s.close();
    }
  });
});

describe.each(KINDS)('every phase has its timeout (%s)', (kind) => {
  // Upper bounds only, with a wide margin: this machine is shared and noisy.
  const MARGIN = 5_000;

  const phases: Array<{ phase: string; url: () => string; method?: string; options: RequestOptions; error: typeof RequestException; within: number; check?: (stats: Record<string, number>) => void }> = [
    { phase: 'connect (a blackholed listener)', url: () => blackholeUrl, options: { timeout: { connect: 800, read: 30_000 } }, error: ConnectTimeout, within: 800 },
    {
      phase: 'TLS handshake (a server that never answers the ClientHello)',
      url: () => peers.tlsSilent,
      options: { timeout: { connect: 800, read: 30_000 } },
      error: ConnectTimeout,
      within: 800,
      // One attempt: a second one would double the time the caller waits.
      check: (stats) => expect(stats.tlsSilent).toBe(1),
    },
    {
      phase: 'send (a server that stops reading a 32 MiB upload)',
      url: () => `${peers.raw}/unread-upload`,
      method: 'POST',
      options: { data: Buffer.alloc(32 << 20), timeout: { connect: 5_000, read: 800 } },
      error: ReadTimeout,
      within: 800,
    },
    { phase: 'first byte (a server that never answers)', url: () => `${peers.raw}/silent`, options: { timeout: { connect: 5_000, read: 800 } }, error: ReadTimeout, within: 800 },
    { phase: 'idle read (a body that stops)', url: () => `${peers.raw}/stall-body`, options: { timeout: { connect: 5_000, read: 800 } }, error: ReadTimeout, within: 800 },
    { phase: 'total (a body that drips a byte every 300 ms)', url: () => `${peers.raw}/drip`, options: { timeout: { connect: 5_000, read: 800, total: 2_000 } }, error: Timeout, within: 2_000 },
  ];

  for (const p of phases) {
    it(`${p.phase} → ${p.error.name}`, async () => {
      const s = openSession(kind, { workers: 1 });
      try {
        const r = await guarded(kind, p.within + MARGIN + 20_000, p.phase, () => statusOf(s, p.method ?? 'GET', p.url(), p.options));
        expectExactly(r.error, p.error);
        expect(r.ms).toBeLessThan(p.within + MARGIN);
        p.check?.(await peers.stats());
        expect(await run(kind, 15_000, 'the next request', () => statusOf(s, 'GET', `${peers.raw}/ok`, { timeout: 10_000 }))).toBe(200);
      } finally {
        await s.close();
      }
    });
  }

  // The read timeout runs from the last byte the kernel took, and loopback's buffers take up
  // to ~36 MB (tcp_wmem 4 MiB + tcp_rmem 32 MiB here) that the server still reads after the
  // client is done: at the peer's ~100 MB/s that tail stays well under 800 ms, where at
  // 10 MB/s it did not (a 32 MiB body then ended in ReadTimeout about one run in five).
  it('a slow upload that keeps moving is not a send stall: 96 MiB taken for over a second under a read timeout of 800 ms', async () => {
    const s = openSession(kind, { workers: 1 });
    try {
      const r = await run(kind, 60_000, 'slow upload', async () => {
        const res = s.post(`${peers.raw}/slow-upload`, { data: Buffer.alloc(96 << 20), timeout: { connect: 5_000, read: 800 } });
        return (res instanceof Promise ? await res : res).text;
      });
      expect(r).toBe(String(96 << 20));
    } finally {
      await s.close();
    }
  });
});
