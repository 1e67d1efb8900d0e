import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ConnectionError, InvalidOption } from '../../dist/src/index.js';

// A name that resolves to a dead address (its SYNs are dropped: it times out) and a live one.
let live: http.Server;
let blackhole: ChildProcess;
let port: number;
const resolver = () => `in-memory://default/?hosts=dual.test:127.0.0.2,dual.test:127.0.0.1`;

beforeAll(async () => {
  live = http.createServer((_req, res) => res.end('live'));
  await new Promise<void>((r) => live.listen(0, '127.0.0.1', r));
  port = (live.address() as AddressInfo).port;
  blackhole = spawn('python3', [fileURLToPath(new URL('../fixtures/blackhole.py', import.meta.url)), '127.0.0.2', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(blackhole.stdout!, 'data');
});
afterAll(() => {
  blackhole.kill();
  live.close();
});

describe('happy eyeballs', () => {
  it('without it, the connect timeout is paid for the dead address first', async () => {
    await using s = new AsyncSession({ resolver: resolver(), timeout: { connect: 600, read: 5000 }, workers: 1 });
    const t0 = performance.now();
    const r = await s.get(`http://dual.test:${port}/`);
    expect(r.text).toBe('live');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(550);
    expect(r.connInfo!.destinationAddress).toBe('127.0.0.1');
  });

  it('with it, the live address answers at once and the other attempt is dropped', async () => {
    await using s = new AsyncSession({ resolver: resolver(), timeout: { connect: 10_000, read: 15_000 }, happyEyeballs: true, workers: 1 });
    // The worker is up before the clock starts: only the connection is timed.
    await s.get(`http://127.0.0.1:${port}/`);
    const t0 = performance.now();
    const r = await s.get(`http://dual.test:${port}/`);
    expect(r.text).toBe('live');
    // Not the ten seconds the dead address would cost (the margin is for a loaded machine).
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('with only dead addresses, the error says the connection timed out', async () => {
    await using s = new AsyncSession({ resolver: `in-memory://default/?hosts=dead.test:127.0.0.2`, timeout: { connect: 300, read: 5000 }, happyEyeballs: 2 });
    const e = await s.get(`http://dead.test:${port}/`).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e!.message).toMatch(/timed out/);
  });

  it('disableIpv4 leaves an IPv4-only name unreachable, saying so; both disabled is an error', async () => {
    await using s = new AsyncSession({ resolver: resolver(), disableIpv4: true });
    const e = await s.get(`http://dual.test:${port}/`).then(() => null, (err: Error) => err);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e!.message).toMatch(/only IPv4 addresses, and those are disabled/);
    expect(() => new AsyncSession({ disableIpv4: true, disableIpv6: true })).toThrow(InvalidOption);
    expect(() => new AsyncSession({ happyEyeballs: 0 })).toThrow(/happyEyeballs: 0/);
  });
});
