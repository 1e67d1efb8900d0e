// Misbehaving peers: each fault ends in its own typed error, within its time limit, and the
// session carries the next request as if nothing happened. Every case runs on the async
// API; the ones a sync caller meets most also on the sync one (peers in a worker thread).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ChunkedEncodingError, ConnectionError, BodyTooLarge,
  ContentDecodingError, InvalidHeader, ReadTimeout, RequestException, SSLError, Timeout,
  type AsyncResponse, type RequestOptions, type Response,
} from '../../dist/src/index.js';
import { guarded, openSession, type AnySession, type Kind } from './guarded.js';
import { startPeers, type Peers } from './peers.js';

let peers: Peers;
beforeAll(async () => {
  peers = await startPeers();
});
afterAll(() => peers.close());
beforeEach(() => peers.reset());

type ErrorClass = typeof RequestException;

/** The error must be of exactly this class (not only a subclass of a wider one). */
function expectExactly(error: (Error & Record<string, any>) | undefined, Class: ErrorClass): void {
  if (!(error instanceof Class) || error.name !== Class.name) {
    throw new Error(`expected ${Class.name}, got ${error ? `${error.name}: ${error.message}` : 'a response'}`);
  }
}

const send = (s: AnySession, url: string, options?: RequestOptions): Response | Promise<Response | AsyncResponse> => s.get(url, options);

/** The session answers its next request normally. */
async function expectUsable(kind: Kind, s: AnySession, url: string): Promise<void> {
  const next = await guarded(kind, 15_000, `the request after the fault (${url})`, () => {
    const r = send(s, url, { timeout: 10_000 });
    // (A multiplexed sync session's response is lazy: reading it here runs it under the guard.)
    return r instanceof Promise ? r.then((x) => x.statusCode) : r.statusCode;
  });
  expect(next.error?.message).toBeUndefined();
  expect(next.value).toBe(200);
}

interface Case {
  name: string;
  path: string;
  error: ErrorClass;
  /** Also run on the sync API. */
  sync?: boolean;
  timeout?: RequestOptions['timeout'];
  /** The fault must end the call within this (ms): its timeout where one is the cause, else well before the watchdog. */
  within: number;
  /** What the peer must (not) have done. */
  check?: (stats: Record<string, number>) => void;
}

const GENEROUS = { connect: 10_000, read: 10_000, total: 20_000 };

const HTTP1_CASES: Case[] = [
  { name: 'reset before the head', path: '/reset-before-head', error: ConnectionError, sync: true, within: 10_000 },
  { name: 'reset mid-head', path: '/reset-mid-head', error: ConnectionError, within: 10_000 },
  { name: 'reset mid-body', path: '/reset-mid-body', error: ChunkedEncodingError, sync: true, within: 10_000 },
  { name: 'a Content-Length body cut short', path: '/truncated-length', error: ChunkedEncodingError, sync: true, within: 10_000 },
  { name: 'a chunked body cut short', path: '/truncated-chunked', error: ChunkedEncodingError, sync: true, within: 10_000 },
  { name: 'conflicting Content-Length fields', path: '/conflicting-length', error: InvalidHeader, sync: true, within: 10_000 },
  { name: 'a garbage status line', path: '/garbage-status', error: ConnectionError, sync: true, within: 10_000 },
  { name: 'a 1 MB header line', path: '/long-header-line', error: InvalidHeader, sync: true, within: 10_000 },
  {
    name: 'a 100 MB header block: the client stops reading at the head limit',
    path: '/huge-header-block',
    error: InvalidHeader,
    sync: true,
    within: 10_000,
    // The peer could only write what the socket buffers took before the client hung up.
    check: (stats) => expect(stats.headerBlockBytes).toBeLessThan(32 << 20),
  },
  { name: 'a corrupt gzip stream', path: '/corrupt-gzip', error: ContentDecodingError, sync: true, within: 10_000 },
  { name: 'a server that accepts and never answers: read timeout', path: '/silent', error: ReadTimeout, sync: true, timeout: { connect: 5_000, read: 1_000 }, within: 1_000 + 5_000 },
  {
    name: 'a byte every 300 ms: the read timeout never fires, the total timeout does',
    path: '/drip',
    error: Timeout,
    sync: true,
    timeout: { connect: 5_000, read: 1_500, total: 3_000 },
    within: 3_000 + 5_000,
  },
  {
    name: 'an endless body read whole: the total timeout ends it',
    path: '/endless',
    error: Timeout,
    sync: true,
    timeout: { connect: 5_000, read: 5_000, total: 1_500 },
    within: 1_500 + 5_000,
  },
];

describe.each(['async', 'sync'] as Kind[])('HTTP/1.1 peers (%s)', (kind) => {
  for (const c of HTTP1_CASES.filter((x) => kind === 'async' || x.sync)) {
    it(`${c.name} → ${c.error.name}`, async () => {
      const s = openSession(kind, { workers: 1, poolMaxsize: 1 });
      try {
        const r = await guarded(kind, c.within + 15_000, c.name, () => send(s, `${peers.raw}${c.path}`, { timeout: c.timeout ?? GENEROUS }));
        expectExactly(r.error, c.error);
        expect(r.ms).toBeLessThan(c.within);
        c.check?.(await peers.stats());
        await expectUsable(kind, s, `${peers.raw}/ok`);
      } finally {
        await s.close();
      }
    });
  }

  it('an invalid TLS record (garbage after the ClientHello) → SSLError, on one connection attempt', async () => {
    const s = openSession(kind, { workers: 1 });
    try {
      const r = await guarded(kind, 25_000, 'garbage TLS', () => send(s, peers.tlsGarbage, { timeout: GENEROUS }));
      expectExactly(r.error, SSLError);
      expect(r.ms).toBeLessThan(10_000);
      expect((await peers.stats()).tlsGarbage).toBe(1);
      await expectUsable(kind, s, `${peers.raw}/ok`);
    } finally {
      await s.close();
    }
  });
});

describe('HTTP/1.1 peers, streamed bodies (async)', () => {
  it('an endless body with a consumer that stops: the peer is held back, and close() frees the connection', async () => {
    await using s = openSession('async', { workers: 1, poolMaxsize: 1 }) as import('../../dist/src/index.js').AsyncSession;
    const r = await guarded('async', 20_000, 'endless body, streamed', async () => {
      const res = await s.get(`${peers.raw}/endless`, { stream: true, timeout: GENEROUS });
      let read = 0;
      for await (const chunk of res.iterContent(64 * 1024)) {
        read += chunk.length;
        if (read >= 1 << 20) break;
      }
      // The consumer stops: the worker's window and the socket buffers fill and the peer's
      // writes stop short, though it would go on forever at ~8 MB/s.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const stalled = (await peers.stats()).endlessBytes!;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const later = (await peers.stats()).endlessBytes!;
      await res.close();
      return { read, stalled, later };
    });
    expect(r.error?.message).toBeUndefined();
    expect(r.value!.stalled).toBeLessThan(32 << 20);
    expect(r.value!.later - r.value!.stalled).toBeLessThan(4 << 20);
    await expectUsable('async', s, `${peers.raw}/ok`);
  });

  it.each([false, true])('a gzip bomb (1 MB that decodes past 1 GiB) → BodyTooLarge at its maxBodySize (stream: %s)', async (stream) => {
    await using s = openSession('async', { workers: 1, poolMaxsize: 1 }) as import('../../dist/src/index.js').AsyncSession;
    let decoded = 0;
    const limit = 64 << 20;
    const r = await guarded('async', 90_000, 'gzip bomb', async () => {
      const options = { maxBodySize: limit, timeout: { connect: 10_000, read: 30_000 } };
      if (!stream) {
        decoded = (await s.get(`${peers.raw}/gzip-bomb`, options)).content.length;
        return;
      }
      const res = await s.get(`${peers.raw}/gzip-bomb`, { ...options, stream: true });
      for await (const chunk of res.iterContent(1 << 20)) decoded += chunk.length;
    });
    expectExactly(r.error, BodyTooLarge);
    expect(r.error!.message).toMatch(/maxBodySize/);
    expect(decoded).toBeLessThanOrEqual(limit);
    await expectUsable('async', s, `${peers.raw}/ok`);
  });
});

describe.each(['async', 'sync'] as Kind[])('HTTP/2 peers (%s)', (kind) => {
  const h2Session = (): AnySession => openSession(kind, { workers: 1, disableHttp1: true, multiplexed: kind === 'sync' });

  /** Starts `n` requests at once and waits for all of them: an AsyncSession's promises, a sync session's gather. */
  async function burst(s: AnySession, n: number, url: string, what: string): Promise<Array<{ status?: number; error?: Error }>> {
    const r = await guarded(kind, 30_000, what, async () => {
      const responses = Array.from({ length: n }, () => send(s, url, { timeout: GENEROUS }));
      if (kind === 'sync') {
        (s as import('../../dist/src/index.js').Session).gather();
        return (responses as Response[]).map((res) => {
          try {
            return { status: res.statusCode };
          } catch (error) {
            return { error: error as Error };
          }
        });
      }
      const settled = await Promise.allSettled(responses as Array<Promise<Response>>);
      return settled.map((x) => (x.status === 'fulfilled' ? { status: x.value.statusCode } : { error: x.reason as Error }));
    });
    expect(r.error?.message).toBeUndefined();
    return r.value!;
  }

  it('GOAWAY(INTERNAL_ERROR) mid-body → ChunkedEncodingError; the next request goes on a new connection', async () => {
    const s = h2Session();
    try {
      const r = await guarded(kind, 25_000, 'goaway mid-body', () => {
        const res = send(s, `${peers.h2}/goaway-error`, { timeout: GENEROUS });
        return kind === 'sync' ? (res as Response).content : res;
      });
      expectExactly(r.error, ChunkedEncodingError);
      expect(r.ms).toBeLessThan(10_000);
      await expectUsable(kind, s, `${peers.h2}/ok`);
      expect((await peers.stats())['h2 sessions']).toBe(2);
    } finally {
      await s.close();
    }
  });

  it('a flood of RST_STREAM(INTERNAL_ERROR): every stream fails with ConnectionError, none is replayed', async () => {
    const s = h2Session();
    try {
      const results = await burst(s, 50, `${peers.h2}/rst?code=2`, '50 streams reset');
      for (const x of results) expectExactly(x.error as any, ConnectionError);
      expect((await peers.stats())['h2 /rst']).toBe(50);
      await expectUsable(kind, s, `${peers.h2}/ok`);
    } finally {
      await s.close();
    }
  });

  it('a flood of RST_STREAM(REFUSED_STREAM): each stream is replayed exactly once, then fails with ConnectionError', async () => {
    const s = h2Session();
    try {
      const results = await burst(s, 50, `${peers.h2}/rst?code=7`, '50 streams refused');
      for (const x of results) expectExactly(x.error as any, ConnectionError);
      expect((await peers.stats())['h2 /rst']).toBe(100);
      await expectUsable(kind, s, `${peers.h2}/ok`);
    } finally {
      await s.close();
    }
  });

  it('SETTINGS_MAX_CONCURRENT_STREAMS = 1: a burst of 20 all completes, one stream at a time', async () => {
    const s = h2Session();
    try {
      const results = await burst(s, 20, `${peers.h2One}/slow`, '20 streams under a limit of 1');
      expect(results.map((x) => x.status ?? x.error?.message)).toEqual(Array(20).fill(200));
      const stats = await peers.stats();
      expect(stats['h2One maxActive']).toBe(1);
      expect(stats['h2One /slow']).toBe(20); // none refused and sent again
    } finally {
      await s.close();
    }
  });
});
