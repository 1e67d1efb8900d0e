import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, AsyncResponse, MultiplexingError, Response, SessionClosedError } from '../../dist/src/index.js';

// The async API does not block this thread, so its peer can live here.
let server: http.Server;
let base: string;
let inFlight = 0;
let maxInFlight = 0;
/** Requests with `gate=N` are held until N of them are in flight together. */
let gated: Array<() => void> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const q = new URL(req.url!, 'http://x').searchParams;
    const answer = () => {
      inFlight--;
      res.setHeader('content-type', 'text/plain');
      res.end(`hi ${req.url}`);
    };
    if (q.has('gate')) {
      gated.push(answer);
      if (gated.length === Number(q.get('gate'))) for (const release of gated.splice(0)) release();
      return;
    }
    setTimeout(answer, Number(q.get('delay') ?? 0));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('AsyncSession', () => {
  it('resolves a complete response', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${base}/a`);
    expect(r).toBeInstanceOf(Response);
    expect(r.statusCode).toBe(200);
    expect(r.text).toBe('hi /a');
  });

  it('carries 100 concurrent requests overlapping in time', async () => {
    await using s = new AsyncSession({ poolMaxsize: 100 });
    maxInFlight = 0;
    gated = [];
    // The server answers none until all 100 are in flight at once: without that much
    // concurrency this never completes (the watchdog says how many got there).
    const all = Promise.all(Array.from({ length: 100 }, (_, i) => s.get(`${base}/c${i}?gate=100`)));
    const rs = await Promise.race([
      all,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`only ${gated.length} of 100 requests reached the server together within 20 s`)), 20_000).unref()),
    ]);
    expect(rs.map((r) => r.text)).toEqual(Array.from({ length: 100 }, (_, i) => `hi /c${i}?gate=100`));
    expect(maxInFlight).toBe(100);
  });

  it('multiplexed: lazy until gathered, and reading early says to await gather()', async () => {
    await using s = new AsyncSession({ multiplexed: true });
    const a = await s.get(`${base}/x?delay=100`);
    const b = await s.get(`${base}/y?delay=10`);
    expect(a.lazy).toBe(true);
    expect(() => a.statusCode).toThrow(MultiplexingError);
    expect(() => a.statusCode).toThrow(/await session\.gather\(\)/);
    const got = await s.gather();
    expect(got).toEqual([b, a]); // completion order
    expect(a.text).toBe('hi /x?delay=100');
    expect(b.statusCode).toBe(200);
  });

  it('multiplexed gather with maxFetch stops after that many', async () => {
    await using s = new AsyncSession({ multiplexed: true });
    const slow = await s.get(`${base}/s?delay=500`);
    const fast = await s.get(`${base}/f?delay=20`);
    expect(await s.gather(slow, fast, { maxFetch: 1 })).toEqual([fast]);
    expect(slow.lazy).toBe(true);
    await s.gather(slow);
    expect(slow.text).toBe('hi /s?delay=500');
  });

  it('stream: true gives an AsyncResponse read by awaiting', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${base}/stream`, { stream: true });
    expect(r).toBeInstanceOf(AsyncResponse);
    expect(r.statusCode).toBe(200);
    expect(await r.text()).toBe('hi /stream');
  });

  it('closing ends requests in flight with SessionClosedError, and closing twice is harmless', async () => {
    const s = new AsyncSession();
    const pending = s.get(`${base}/slow?delay=2000`);
    await new Promise((r) => setTimeout(r, 50));
    await s.close();
    await s.close();
    await expect(pending).rejects.toBeInstanceOf(SessionClosedError);
    await expect(s.get(`${base}/after`)).rejects.toBeInstanceOf(SessionClosedError);
  });
});
