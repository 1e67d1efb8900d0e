import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLoad } from '../../dist/src/jobs/load.js';

/** Arrival times at the server, ms (performance.now of this process). */
const arrivals: number[] = [];
/** Requests arriving inside [from, until) are held until `until`. */
let stall: { from: number; until: number } | null = null;
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const now = performance.now();
    arrivals.push(now);
    if (stall && now >= stall.from && now < stall.until) setTimeout(() => res.end('late'), stall.until - now);
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
    const r = await generateLoad({ url, connections: 8, rate: 300, durationMs: 3000, workers: 2 });
    // The timetable has exactly rate × duration requests, whatever the timers did.
    expect(arrivals.length).toBe(900);
    expect(r.requests).toBe(900);
    // And they arrive at that rate: the middle two seconds, past the start-up.
    const first = Math.min(...arrivals);
    const inWindow = arrivals.filter((t) => t >= first + 500 && t < first + 2500).length;
    expect(inWindow).toBeGreaterThanOrEqual(570);
    expect(inWindow).toBeLessThanOrEqual(630);
  }, 20_000);

  it('counts a stall against every request due during it (open model), not only those it held (closed)', async () => {
    const stalled = async (rate: number): Promise<{ p90: number; max: number }> => {
      reset();
      // The stall starts with the first request after 400 ms and holds everything for 500 ms.
      const start = performance.now();
      stall = { from: start + 400, until: start + 900 };
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
});
