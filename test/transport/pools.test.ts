import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession } from '../../dist/src/index.js';
import { until } from '../helpers/until.js';

interface Counted {
  url: string;
  open: Set<Socket>;
  maxOpen: number;
  server: http.Server;
  /** While true, answers wait in `held` until released. */
  hold: boolean;
  held: Array<() => void>;
}

async function countedServer(delayMs = 0): Promise<Counted> {
  const c: Counted = {
    url: '',
    open: new Set(),
    maxOpen: 0,
    hold: false,
    held: [],
    server: http.createServer((_req, res) => (c.hold ? c.held.push(() => res.end('ok')) : setTimeout(() => res.end('ok'), delayMs))),
  };
  c.server.on('connection', (s) => {
    c.open.add(s);
    c.maxOpen = Math.max(c.maxOpen, c.open.size);
    s.on('close', () => c.open.delete(s));
  });
  await new Promise<void>((r) => c.server.listen(0, '127.0.0.1', r));
  c.url = `http://127.0.0.1:${(c.server.address() as AddressInfo).port}/`;
  return c;
}

const servers: Counted[] = [];
beforeAll(async () => {
  for (let i = 0; i < 3; i++) servers.push(await countedServer(i === 0 ? 100 : 0));
});
afterAll(() => {
  for (const c of servers) c.server.close();
});

describe('pools', () => {
  it('more requests than poolMaxsize queue for the pool and all complete', async () => {
    const [slow] = servers;
    await using s = new AsyncSession({ workers: 1, poolMaxsize: 2 });
    const rs = await Promise.all(Array.from({ length: 10 }, () => s.get(slow!.url)));
    expect(rs.every((r) => r.text === 'ok')).toBe(true);
    // Never more than two connections to the origin at once.
    expect(slow!.maxOpen).toBe(2);
  });

  it('with two workers, an HTTP/1.1 origin is served from both, each with its own pool', async () => {
    // Answers wait for the gate, so the pools can be looked at while all 20 are in flight.
    let open = true;
    const held: Array<() => void> = [];
    const gated = http.createServer((_req, res) => (open ? res.end('ok') : held.push(() => res.end('ok'))));
    const sockets = new Set<Socket>();
    gated.on('connection', (sock) => (sockets.add(sock), sock.on('close', () => sockets.delete(sock))));
    let maxOpen = 0;
    gated.on('connection', () => (maxOpen = Math.max(maxOpen, sockets.size)));
    await new Promise<void>((r) => gated.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(gated.address() as AddressInfo).port}/`;
    try {
      await using s = new AsyncSession({ workers: 2, poolMaxsize: 4 });
      const mine = () => s.pools().filter((p) => p.origin === new URL(url).origin);
      // Bursts: the first starts the second worker (one worker serves until load asks for
      // more), and until it is up, the first takes everything.
      for (let i = 0; i < 100 && mine().length < 2; i++) await Promise.all(Array.from({ length: 8 }, () => s.get(url)));
      open = false;
      // The warm-up bursts may have opened every connection already.
      maxOpen = sockets.size;
      const inFlight = Promise.all(Array.from({ length: 20 }, () => s.get(url)));
      await until(() => held.length === 8, () => `${held.length} of 8 requests held at the server`);
      expect(mine().map((p) => [p.connected, p.running + p.pending])).toEqual([
        [4, 10],
        [4, 10],
      ]);
      open = true;
      for (const answer of held.splice(0)) answer();
      expect((await inFlight).every((r) => r.text === 'ok')).toBe(true);
      expect(maxOpen).toBe(8);
    } finally {
      for (const sock of sockets) sock.destroy();
      gated.close();
    }
  });

  it('poolConnections: the least recently used origin loses its pool', async () => {
    const [, a, b] = servers;
    await using s = new AsyncSession({ workers: 1, poolConnections: 1 });
    await s.get(a!.url);
    expect(a!.open.size).toBe(1);
    await s.get(b!.url); // a's pool is closed to make room
    await until(() => a!.open.size === 0, () => `a still has ${a!.open.size} connection(s) open`);
    expect(b!.open.size).toBe(1);
  });
});

describe('inspecting a session', () => {
  it('shows its pools: origins, open connections, in flight', async () => {
    const { inspect } = await import('node:util');
    const [slow, a] = servers;
    await using s = new AsyncSession({ workers: 1, poolMaxsize: 2 });
    await s.get(a!.url);
    // Held at the server: two on the pool's two connections, the third queued behind them.
    slow!.hold = true;
    const inFlight = Promise.all([s.get(slow!.url), s.get(slow!.url), s.get(slow!.url)]);
    await until(() => slow!.held.length === 2, () => `${slow!.held.length} of 2 requests held at the server`);
    const pools = s.pools();
    const slowPool = pools.find((p) => p.origin === new URL(slow!.url).origin)!;
    expect(slowPool.running + slowPool.pending).toBe(3);
    expect(slowPool.connected).toBe(2);
    expect(pools.find((p) => p.origin === new URL(a!.url).origin)).toMatchObject({ connected: 1, running: 0, pending: 0 });
    expect(inspect(s)).toMatch(/^<AsyncSession pools=\[.*127\.0\.0\.1.*\(2 open, \d running, \d queued\)/);
    slow!.hold = false; // the third is answered as it comes
    for (const answer of slow!.held.splice(0)) answer();
    await inFlight;
  });
});
