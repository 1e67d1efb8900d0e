import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession } from '../../dist/src/index.js';
import { Homes } from '../../dist/src/engine/homes.js';

// Which worker a request goes to, seen from the server: the socket each request came on.
let server: http.Server;
let url: string;
const sockets = new Set<Socket>();
let held: Array<() => void> = [];
let holding = false;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    sockets.add(req.socket);
    if (holding) held.push(() => res.end('ok'));
    else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('origin affinity', () => {
  it('sequential requests from a session with two workers arrive on one socket', async () => {
    await using s = new AsyncSession({ workers: 2 });
    sockets.clear();
    for (let i = 0; i < 20; i++) expect((await s.get(url)).statusCode).toBe(200);
    expect(sockets.size).toBe(1);
  });

  it('a burst of 64 still spreads over every worker', async () => {
    await using s = new AsyncSession({ workers: 2, poolMaxsize: 64 });
    // Both workers up (a fresh engine's second worker may still be starting after the first
    // answers): bursts until each worker has a pool for the origin.
    const warm = Date.now() + 10_000;
    while (s.pools().length < 2 && Date.now() < warm) await Promise.all(Array.from({ length: 16 }, () => s.get(url)));
    expect(s.pools().length, 'workers serving the origin after the warm-up').toBe(2);
    sockets.clear();
    held = [];
    holding = true;
    const burst = Array.from({ length: 64 }, () => s.get(url));
    // Every request reaches the server before any is answered (held there), so the count
    // of sockets is the count of requests the workers carried at once.
    const deadline = Date.now() + 10_000;
    while (held.length < 64 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(held.length, 'requests that reached the server').toBe(64);
    const perWorker = s.pools().map((p) => p.connected);
    holding = false;
    for (const answer of held) answer();
    for (const r of await Promise.all(burst)) expect(r.statusCode).toBe(200);
    expect(perWorker.length, 'workers with a pool for the origin').toBe(2);
    for (const n of perWorker) expect(n).toBeGreaterThanOrEqual(16);
  });
});

describe('Homes', () => {
  const alive = (): boolean => true;

  it('gives each origin its own home, also one whose text begins with the last one', () => {
    const homes = new Homes(4);
    let next = 0;
    const pick = (): number => next++;
    const a = homes.homeOf(1, 'http://h:1/x', false, alive, pick);
    expect(homes.homeOf(1, 'http://h:1/y?q', false, alive, pick)).toBe(a);
    expect(homes.homeOf(1, 'http://h:1', false, alive, pick)).toBe(a);
    const b = homes.homeOf(1, 'http://h:10/x', false, alive, pick);
    expect(b).not.toBe(a);
    expect(b.origin).toBe('http://h:10');
    expect(homes.homeOf(1, 'http://h:1.example/x', false, alive, pick).origin).toBe('http://h:1.example');
    expect(homes.homeOf(1, 'http://h:1/z', false, alive, pick)).toBe(a);
    // Another session has homes of its own.
    expect(homes.homeOf(2, 'http://h:1/x', false, alive, pick)).not.toBe(a);
  });

  it('forgets a session\'s homes, and a probing home whose request failed', () => {
    const homes = new Homes(4);
    let next = 0;
    const pick = (): number => next++;
    const a = homes.homeOf(1, 'http://h:1/x', false, alive, pick);
    homes.forgetSession(1);
    expect(homes.homeOf(1, 'http://h:1/x', false, alive, pick)).not.toBe(a);
    const probing = homes.homeOf(1, 'https://h2/x', true, alive, pick);
    probing.unsettled();
    expect(homes.homeOf(1, 'https://h2/x', true, alive, pick)).not.toBe(probing);
  });

  it('moves a home whose worker died to a live one', () => {
    const homes = new Homes(4);
    const a = homes.homeOf(1, 'http://h:1/x', false, alive, () => 0);
    expect(homes.homeOf(1, 'http://h:1/y', false, (slot) => slot !== 0, () => 3)).toBe(a);
    expect(a.slot).toBe(3);
  });
});
