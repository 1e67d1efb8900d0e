import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLoad } from '../../dist/src/jobs/load.js';

/** Arrival times at the server, ms (performance.now of this process). */
const arrivals: number[] = [];
/** Requests arriving between `after` and `after + ms` past the first are held until then. */
let stall: { after: number; ms: number } | null = null;
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const now = performance.now();
    arrivals.push(now);
    // From the first arrival: the workers' start-up on a loaded machine is not part of the plan.
    const from = arrivals[0]! + (stall?.after ?? 0);
    const until = from + (stall?.ms ?? 0);
    if (stall && now >= from && now < until) setTimeout(() => res.end('late'), until - now);
    else res.end('ok');
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const reset = (): void => {
  arrivals.length = 0;
  stall = null;
};

describe('generateLoad', () => {
  it('counts exactly the requests the server answered', async () => {
    reset();
    const r = await generateLoad({ url, connections: 8, requests: 600, workers: 2 });
    expect(arrivals.length).toBe(600);
    expect(r.requests).toBe(600);
    expect(r.statuses).toEqual({ '200': 600 });
    expect(r.errors).toEqual({});
    expect(r.bytes).toBe(600 * 2);
  }, 20_000);

  it('holds a fixed rate (-R), counted at the server', async () => {
    reset();
    const r = await generateLoad({ url, connections: 8, rate: 300, durationMs: 4000, workers: 2 });
    // The timetable has exactly rate × duration requests, whatever the timers did.
    expect(arrivals.length).toBe(1200);
    expect(r.requests).toBe(1200);
    // And they arrive at that rate over three seconds past the start-up: a late timer is
    // caught up by the timetable, so only a stall at the window's very edges moves the count.
    const first = Math.min(...arrivals);
    const inWindow = arrivals.filter((t) => t >= first + 500 && t < first + 3500).length;
    expect(inWindow).toBeGreaterThanOrEqual(855);
    expect(inWindow).toBeLessThanOrEqual(945);
  }, 20_000);

  it('counts a stall against every request due during it (open model), not only those it held (closed)', async () => {
    const stalled = async (rate: number): Promise<{ p90: number; max: number }> => {
      reset();
      // 400 ms after the first request, the server holds everything for 500 ms.
      stall = { after: 400, ms: 500 };
      const r = await generateLoad({ url, connections: 4, rate, durationMs: 1600, workers: 1 });
      return r.latency;
    };
    const open = await stalled(200);
    // ~100 of the 320 requests were due during the stall: the first tenth of all waited 300-500 ms.
    expect(open.max).toBeGreaterThanOrEqual(400);
    expect(open.p90).toBeGreaterThanOrEqual(200);
    const closed = await stalled(0);
    // Four connections, four slow requests: the percentiles never see the stall.
    expect(closed.max).toBeGreaterThanOrEqual(400);
    expect(closed.p90).toBeLessThan(100);
  }, 20_000);

  it('--http2 speaks HTTP/2 (prior knowledge on http:)', async () => {
    const versions = new Map<string, number>();
    const h2 = http2.createServer((req, res) => {
      versions.set(req.httpVersion, (versions.get(req.httpVersion) ?? 0) + 1);
      res.end('h2');
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    try {
      const r = await generateLoad({ url: `http://127.0.0.1:${(h2.address() as AddressInfo).port}/`, http2: true, connections: 4, requests: 300, workers: 1 });
      expect(r).toMatchObject({ requests: 300, statuses: { '200': 300 }, errors: {} });
      expect(Object.fromEntries(versions)).toEqual({ '2.0': 300 });
    } finally {
      await new Promise<void>((r) => h2.close(() => r()));
    }
  }, 20_000);
});
