import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession } from '../../dist/src/index.js';

interface Counted {
  url: string;
  open: Set<Socket>;
  maxOpen: number;
  server: http.Server;
}

async function countedServer(delayMs = 0): Promise<Counted> {
  const c: Counted = { url: '', open: new Set(), maxOpen: 0, server: http.createServer((_req, res) => setTimeout(() => res.end('ok'), delayMs)) };
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
    const [slow] = servers;
    slow!.maxOpen = 0;
    await using s = new AsyncSession({ workers: 2, poolMaxsize: 4 });
    await Promise.all([s.get(slow!.url), s.get(slow!.url)]); // both workers up
    slow!.maxOpen = 0;
    const inFlight = Promise.all(Array.from({ length: 20 }, () => s.get(slow!.url)));
    await new Promise((r) => setTimeout(r, 50));
    const pools = s.pools().filter((p) => p.origin === new URL(slow!.url).origin);
    expect(pools.map((p) => [p.connected, p.running + p.pending])).toEqual([
      [4, 10],
      [4, 10],
    ]);
    expect((await inFlight).every((r) => r.text === 'ok')).toBe(true);
    expect(slow!.maxOpen).toBe(8);
  });

  it('poolConnections: the least recently used origin loses its pool', async () => {
    const [, a, b] = servers;
    await using s = new AsyncSession({ workers: 1, poolConnections: 1 });
    await s.get(a!.url);
    expect(a!.open.size).toBe(1);
    await s.get(b!.url); // a's pool is closed to make room
    await new Promise((r) => setTimeout(r, 100));
    expect(a!.open.size).toBe(0);
    expect(b!.open.size).toBe(1);
  });
});

describe('inspecting a session', () => {
  it('shows its pools: origins, open connections, in flight', async () => {
    const { inspect } = await import('node:util');
    const [slow, a] = servers;
    await using s = new AsyncSession({ workers: 1, poolMaxsize: 2 });
    await s.get(a!.url);
    const inFlight = Promise.all([s.get(slow!.url), s.get(slow!.url), s.get(slow!.url)]);
    await new Promise((r) => setTimeout(r, 50));
    const pools = s.pools();
    const slowPool = pools.find((p) => p.origin === new URL(slow!.url).origin)!;
    expect(slowPool.running + slowPool.pending).toBe(3);
    expect(slowPool.connected).toBe(2);
    expect(pools.find((p) => p.origin === new URL(a!.url).origin)).toMatchObject({ connected: 1, running: 0, pending: 0 });
    expect(inspect(s)).toMatch(/^<AsyncSession pools=\[.*127\.0\.0\.1.*\(2 open, \d running, \d queued\)/);
    await inFlight;
  });
});
