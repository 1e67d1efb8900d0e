import { readdirSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ConnectionError } from '../../dist/src/index.js';
import { Engine } from '../../dist/src/engine/engine.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { syncScenario } from './sync-scenario.js';
import { until, watchdog } from './watchdog.js';

// One server in this thread, counting what it serves. `/hold/*` is answered only when a
// test releases it, so requests can be caught in flight. An HTTP/2 one (TLS) beside it.
let server: http.Server;
let base: string;
let h2server: http2.Http2SecureServer;
let h2base: string;
let pki: TestPki;
let served = 0;
const held: http.ServerResponse[] = [];
const sockets = new Set<Socket>();
/** Called on every request the server receives. */
let onRequest: (() => void) | null = null;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    served++;
    onRequest?.();
    if (req.url!.startsWith('/hold/')) return void held.push(res);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`ok ${req.url}`);
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', 1024, r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pki = makePki();
  h2server = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
    served++;
    onRequest?.();
    res.end(`ok ${req.url}`);
  });
  h2server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => h2server.listen(0, '127.0.0.1', r));
  h2base = `https://127.0.0.1:${(h2server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([server, h2server].map((s) => new Promise((r) => s.close(r))));
});

function releaseHeld(): void {
  for (const res of held.splice(0)) if (!res.destroyed) res.end(`ok ${res.req.url}`);
}

/** The kinds of active resources there are more of in `after` than in `before`. */
function grown(before: string[], after: string[]): string[] {
  const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;
  return [...new Set(after)].filter((kind) => count(after, kind) > count(before, kind));
}

/** Runs the full collector (the faults project runs with --expose-gc). */
function gc(): void {
  (globalThis as { gc?: () => void }).gc!();
}

describe('the engine under stress', () => {
  it.each(['HTTP/1.1', 'HTTP/2'] as const)('10 000 requests in flight on one AsyncSession all complete (%s)', async (httpVersion) => {
    const n = 10_000;
    const origin = httpVersion === 'HTTP/2' ? h2base : base;
    await using s = new AsyncSession({ verify: pki.caPath });
    expect((await s.get(`${origin}/warm-up`)).httpVersion).toBe(httpVersion);
    const engine = Engine.acquire();
    let peak = 0;
    onRequest = () => void (peak = Math.max(peak, engine.inFlight));
    const before = served;
    try {
      const rs = await watchdog(90_000, `${n} requests in flight`, () => Promise.all(Array.from({ length: n }, (_, i) => s.get(`${origin}/n/${i}`))), () => ({ served: served - before, peak }));
      expect(rs.filter((r, i) => r.statusCode !== 200 || r.text !== `ok /n/${i}`)).toEqual([]);
      expect(served - before).toBe(n);
      // They really were all in flight at once: the server saw the engine carrying every one.
      expect(peak).toBe(n);
    } finally {
      onRequest = null;
      engine.release();
    }
  });

  it('5 000 lazy responses in one sync gather all complete', async () => {
    const count = 5000;
    const before = served;
    const result = await syncScenario<{ responses: number; wrong: number }>(90_000, `a sync gather of ${count}`, new URL('./scenarios/gather.mjs', import.meta.url), { base, count });
    expect(result).toMatchObject({ responses: count, wrong: 0 });
    expect(served - before).toBe(count);
  });

  describe.each(['terminate()', 'process.exit'] as const)('a worker killed mid-request by %s', (how) => {
    it('fails exactly its requests with a ConnectionError; the others complete; the next request succeeds', async () => {
      const n = 16;
      await using s = new AsyncSession({ workers: 2 });
      const engine = Engine.acquire(2);
      const notes = () => ({ held: held.length, engine: engine.diagnostics() });
      try {
        const alive = () => engine.diagnostics().workers.filter((w) => w.state === 'alive');
        // The second worker starts only when load asks for it: started here.
        engine.startWorkers();
        await until(10_000, 'both workers up', () => alive().length === 2, notes);
        const outcomes = Array.from({ length: n }, (_, i) =>
          s.get(`${base}/hold/${i}`).then(
            (r) => ({ text: r.text, error: null }),
            (error: unknown) => ({ text: null, error: error as Error }),
          ),
        );
        await until(20_000, `the server holding all ${n} requests`, () => held.length === n, notes);
        // Which worker carries which request, from the engine's own view.
        const { inFlight, workers } = engine.diagnostics();
        const threadOf = new Map(workers.map((w) => [w.slot, w.threadId]));
        const owner = new Map(inFlight.map((x) => [x.request.replace(/^GET /, ''), threadOf.get(x.slot)!]));
        const [victim, survivor] = workers.map((w) => w.threadId);

        if (how === 'terminate()') {
          await engine.pool.threads.find((t) => t.threadId === victim)!.terminate();
        } else {
          // The pool picks the thread that runs the task; whichever it is becomes the victim.
          void engine.pool.run({ op: 'exit', code: 9 }).catch(() => {});
        }
        await until(20_000, 'the engine noticing the death', () => !alive().some((w) => w.threadId === victim) || !alive().some((w) => w.threadId === survivor), notes);
        const dead = alive().some((w) => w.threadId === victim) ? survivor! : victim!;
        // The survivor's requests are still held: they complete only now, after the death.
        releaseHeld();
        const results = await watchdog(30_000, 'the requests after the death', () => Promise.all(outcomes), notes);

        const urls = Array.from({ length: n }, (_, i) => `${base}/hold/${i}`);
        const code = how === 'terminate()' ? 1 : 9;
        const mine = urls.filter((u) => owner.get(u) === dead);
        expect(mine.length).toBeGreaterThan(0);
        expect(mine.length).toBeLessThan(n);
        results.forEach((r, i) => {
          if (owner.get(urls[i]!) === dead) {
            expect(r.error).toBeInstanceOf(ConnectionError);
            expect(r.error!.message).toContain(`transport worker ${dead} exited with code ${code}`);
          } else {
            expect(r).toEqual({ text: `ok /hold/${i}`, error: null });
          }
        });
        const next = await watchdog(20_000, 'the next request', () => s.get(`${base}/after`), notes);
        expect(next.text).toBe('ok /after');
      } finally {
        releaseHeld();
        engine.release();
      }
    });
  });

  it('300 sessions opened, used and closed leave no threads, handles, sockets or heap behind', async () => {
    // An anchor keeps the engine (and its pool of threads) alive, as a long-lived
    // application's first session would; every other session opens its own pools in it.
    await using anchor = new AsyncSession({ workers: 2 });
    await anchor.get(`${base}/anchor`);
    const engine = Engine.acquire(2);
    const cycle = async (sessions: number) => {
      for (let done = 0; done < sessions; done += 10) {
        await Promise.all(
          Array.from({ length: 10 }, async (_, i) => {
            const s = new AsyncSession({ workers: 2 });
            const rs = await Promise.all([1, 2, 3].map((k) => s.get(`${base}/session/${done + i}/${k}`)));
            expect(rs.map((r) => r.text)).toEqual([1, 2, 3].map((k) => `ok /session/${done + i}/${k}`));
            await s.close();
          }),
        );
      }
    };
    const measure = () => {
      gc();
      const { sessions, workers } = engine.diagnostics();
      return {
        threads: engine.pool.threads.length,
        handles: process.getActiveResourcesInfo().sort(),
        sockets: sockets.size,
        sessions,
        workerSessions: workers.reduce((sum, w) => sum + w.sessions, 0),
        heapMB: process.memoryUsage().heapUsed / 2 ** 20,
      };
    };
    // Only the anchor's connection and the anchor's session, in one worker, stay.
    const warmSockets = sockets.size;
    // (<=: a connection of an earlier test may still be closing.)
    const settled = () => sockets.size <= warmSockets && measure().workerSessions === 1;
    try {
      await watchdog(60_000, 'warm-up: 30 sessions', () => cycle(30));
      // A closed session's connections are closed by its worker: wait for the server to see it.
      await until(10_000, 'the warm-up sessions closing in the workers', settled, measure);
      const baseline = measure();
      await watchdog(90_000, '300 sessions', () => cycle(300), () => ({ sockets: sockets.size, served }));
      await until(10_000, 'the sessions closing in the workers', settled, measure);
      const after = measure();
      expect(after.threads).toBe(2);
      expect(grown(baseline.handles, after.handles)).toEqual([]);
      expect(after.sockets).toBeLessThanOrEqual(baseline.sockets);
      expect(after.sessions).toBe(1);
      // The engine keeps the descriptions of its last 4096 connections for connInfo (a
      // bounded cache, ~0.6 KB each): about 0.8 MB for these 300 sessions' ~900 connections.
      // Anything a session left behind (its responses, its exchanges) would add to that.
      expect(after.heapMB - baseline.heapMB).toBeLessThan(3);
    } finally {
      engine.release();
    }
  });

  it('engines started and shut down ten times give back their threads and shared memory', async () => {
    // The last session of an engine shuts its pool down; each engine holds 10 MiB of rings.
    const measure = () => {
      gc();
      return { osThreads: readdirSync('/proc/self/task').length, sharedMB: process.memoryUsage().arrayBuffers / 2 ** 20 };
    };
    const lifecycle = async (i: number) => {
      const s = new AsyncSession({ workers: 1 });
      expect((await s.get(`${base}/engine/${i}`)).text).toBe(`ok /engine/${i}`);
      await s.close();
    };
    await watchdog(30_000, 'a first engine', () => lifecycle(0));
    // Its pool is destroyed just after the release; give its thread a moment to end.
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = measure();
    for (let i = 1; i <= 10; i++) await watchdog(30_000, `engine ${i}`, () => lifecycle(i));
    let after = measure();
    await until(15_000, 'the engines\' threads and rings going', () => {
      after = measure();
      return after.osThreads <= baseline.osThreads && after.sharedMB < baseline.sharedMB + 5;
    }, () => ({ baseline, after }));
  });
});
