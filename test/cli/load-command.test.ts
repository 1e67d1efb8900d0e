import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const nq = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    // The child's own timeout is the watchdog: a hang fails with what it printed.
    execFile(process.execPath, [cli, ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });

let served = 0;
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    served++;
    if (req.url === '/reset') return req.socket.destroy();
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => res.writeHead(req.method === 'POST' && body === 'ping' && req.headers['x-a'] === '1' ? 201 : 200).end('hello'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('nodequests load', () => {
  it('--json prints one object of the documented shape; exit 0', async () => {
    served = 0;
    const { code, stdout } = await nq('load', `${base}/`, '-c', '4', '-n', '200', '-m', 'post', '-H', 'X-A: 1', '-b', 'ping', '--json');
    expect(code).toBe(0);
    const r = JSON.parse(stdout);
    expect(Object.keys(r).sort()).toEqual(['bytes', 'durationMs', 'errors', 'latency', 'requests', 'rps', 'statuses']);
    expect(Object.keys(r.latency).sort()).toEqual(['max', 'p50', 'p90', 'p99', 'p999']);
    for (const v of Object.values(r.latency)) expect(typeof v).toBe('number');
    expect(r.latency.p50).toBeLessThanOrEqual(r.latency.p99);
    expect(r.latency.p999).toBeLessThanOrEqual(r.latency.max);
    expect(r).toMatchObject({ requests: 200, bytes: 1000, statuses: { '201': 200 }, errors: {} });
    expect(served).toBe(200);
    expect(r.rps).toBeGreaterThan(0);
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it('counts failures by error code and exits 1', async () => {
    const { code, stdout } = await nq('load', `${base}/reset`, '-c', '2', '-n', '20', '--json');
    expect(code).toBe(1);
    const r = JSON.parse(stdout);
    expect(r.requests).toBe(0);
    expect(r.errors).toEqual({ NQ_ERR_CONNECTION: 20 });
  });

  it('prints a live line per second and a summary', async () => {
    const { code, stdout, stderr } = await nq('load', `${base}/`, '-c', '2', '-d', '1.5');
    expect(code).toBe(0);
    expect(stderr).toMatch(/req\/s.*p50 ms.*p99 ms.*errors/);
    expect(stderr).toMatch(/^\s+1s\s+\d+/m);
    expect(stdout).toMatch(/^requests\s+\d+ in /m);
    expect(stdout).toMatch(/p99\.9 [\d.]+ ms/);
  });

  it('refuses a bad flag, naming it', async () => {
    const { code, stderr } = await nq('load', `${base}/`, '-c', 'many');
    expect(code).toBe(1);
    expect(stderr).toMatch(/--connections takes a whole number >= 1, got "many"/);
  });
});
