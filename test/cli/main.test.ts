import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const nq = (...args: string[]) => run(process.execPath, [cli, ...args], { encoding: 'buffer', timeout: 60_000 }).then(
  (r) => ({ code: 0, stdout: r.stdout as Buffer, stderr: r.stderr.toString() }),
  (e: { code: number; stdout: Buffer; stderr: Buffer }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr.toString() }),
);

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/missing') return res.writeHead(404).end('gone');
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(200, { 'x-seen-header': String(req.headers['x-a'] ?? ''), 'content-type': 'application/octet-stream' });
      res.end(Buffer.concat([Buffer.from(`${req.method} ${body}|`), Buffer.from([0, 255, 1])]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('nodequests command', () => {
  it('help prints JSON about this install', async () => {
    const { code, stdout } = await nq('help');
    expect(code).toBe(0);
    const report = JSON.parse(stdout.toString());
    expect(report.runtime.node).toBe(process.version);
    expect(report.protocols['HTTP/3']).toBe(false);
    expect(report.protocols['HTTP/3 note']).toMatch(/not available/);
    expect(report.decoders).toEqual(['gzip', 'deflate', 'br', 'zstd']);
  });

  it('get prints the body bytes; -i adds the status line and headers; -H and -d are sent', async () => {
    const plain = await nq('get', `${base}/x`);
    expect(plain.code).toBe(0);
    expect(plain.stdout.equals(Buffer.concat([Buffer.from('GET |'), Buffer.from([0, 255, 1])]))).toBe(true);
    const withHead = await nq('post', `${base}/x`, '-i', '-H', 'X-A: yes', '-d', 'payload');
    const text = withHead.stdout.toString('latin1');
    expect(text.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(text).toMatch(/x-seen-header: yes\r\n/i);
    expect(text).toContain('\r\n\r\nPOST payload|');
  });

  it('exits 1 on a 4xx and 2 on an error, saying which', async () => {
    expect((await nq('get', `${base}/missing`)).code).toBe(1);
    const refused = await nq('get', 'http://127.0.0.1:1/');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^nodequests: ConnectionError: .*ECONNREFUSED/);
    const usage = await nq('get');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/get needs a URL/);
  });
});
