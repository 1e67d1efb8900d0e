import http from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLoad } from '../../dist/src/jobs/load.js';
import { InvalidHeader, InvalidMethod } from '../../dist/src/index.js';

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

  /** A server of its own for one test, closed after it. */
  async function withServer(handler: http.RequestListener, run: (url: string) => Promise<void>): Promise<void> {
    const other = http.createServer(handler);
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      await run(`http://127.0.0.1:${(other.address() as AddressInfo).port}/path?q=1`);
    } finally {
      other.closeAllConnections();
      await new Promise<void>((r) => other.close(() => r()));
    }
  }

  it('sends the method, headers and body as given, and frames the body with its length', async () => {
    const seen: string[] = [];
    await withServer(
      (req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c));
        req.on('end', () => {
          seen.push(`${req.method} ${req.url} ${req.headers['x-load']} ${req.headers['content-length']} ${body}`);
          res.end();
        });
      },
      async (target) => {
        const r = await generateLoad({ url: target, method: 'PUT', headers: ['X-Load', 'yes'], body: Buffer.from('{"a":1}'), connections: 3, requests: 30, workers: 1 });
        expect(r).toMatchObject({ requests: 30, errors: {} });
      },
    );
    expect(new Set(seen)).toEqual(new Set(['PUT /path?q=1 yes 7 {"a":1}']));
    expect(seen).toHaveLength(30);
  }, 20_000);

  it('counts chunked bodies, and carries on when the server closes connections after answering', async () => {
    let n = 0;
    await withServer(
      (req, res) => {
        n++;
        // Every third answer closes its connection; the others are chunked on a kept one.
        if (n % 3 === 0) res.setHeader('Connection', 'close');
        res.write('abc');
        res.end('defg');
      },
      async (target) => {
        const r = await generateLoad({ url: target, connections: 4, requests: 300, workers: 1 });
        expect(r).toMatchObject({ requests: 300, statuses: { '200': 300 }, errors: {} });
        expect(r.bytes).toBe(300 * 7);
      },
    );
    expect(n).toBe(300);
  }, 20_000);

  it('counts a server that does not speak HTTP as failures by code, and ends', async () => {
    const liar = net.createServer((socket) => socket.once('data', () => socket.end('SSH-2.0-not-http\r\n\r\n')));
    await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
    try {
      const r = await generateLoad({ url: `http://127.0.0.1:${(liar.address() as AddressInfo).port}/`, connections: 2, requests: 20, workers: 1 });
      expect(r.requests).toBe(0);
      expect(r.errors).toEqual({ NQ_ERR_CONNECTION: 20 });
    } finally {
      await new Promise<void>((r) => liar.close(() => r()));
    }
  }, 20_000);

  it('fails a request the server leaves unanswered past its timeout, and goes on on a fresh connection', async () => {
    let n = 0;
    await withServer(
      (_req, res) => {
        // The first two requests (one on each connection) are never answered.
        if (n++ >= 2) res.end('ok');
      },
      async (target) => {
        const r = await generateLoad({ url: target, connections: 2, requests: 10, timeoutMs: 300, workers: 1 });
        expect(r.errors).toEqual({ NQ_ERR_TIMEOUT: 2 });
        expect(r.requests).toBe(8);
      },
    );
    expect(n).toBe(10);
  }, 20_000);

  it('refuses a bad method or header, and a framing field, before sending anything', async () => {
    await expect(generateLoad({ url, method: 'GE T', requests: 1 })).rejects.toThrow(InvalidMethod);
    await expect(generateLoad({ url, headers: ['X-Bad', 'a\r\nInjected: 1'], requests: 1 })).rejects.toThrow(InvalidHeader);
    await expect(generateLoad({ url, headers: ['Transfer-Encoding', 'chunked'], requests: 1 })).rejects.toThrow(/sets how each request is framed/);
    await expect(generateLoad({ url, headers: ['Content-Length', '5'], body: Buffer.from('abc'), requests: 1 })).rejects.toThrow(/the body is 3 bytes/);
  });

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
