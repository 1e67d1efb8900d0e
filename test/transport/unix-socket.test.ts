import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, InvalidSchema } from '../../dist/src/index.js';

const socketPath = join(mkdtempSync(join(tmpdir(), 'nq-sock-')), 'server.sock');
const server = http.createServer((req, res) => res.end(`${req.method} ${req.url} via unix`));
const base = `http+unix://${encodeURIComponent(socketPath)}`;

beforeAll(() => new Promise<void>((r) => server.listen(socketPath, r)));
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('http+unix', () => {
  it('talks HTTP/1.1 over a unix socket named in the URL', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${base}/version?x=1`);
    expect(r.statusCode).toBe(200);
    expect(r.text).toBe('GET /version?x=1 via unix');
  });

  it('works with baseUrl', async () => {
    await using s = new AsyncSession({ baseUrl: `${base}/api` });
    expect((await s.post('items', { data: 'x' })).text).toBe('POST /api/items via unix');
  });

  it('speaks h2c over a unix socket with disableHttp1', async () => {
    const { default: http2 } = await import('node:http2');
    const h2Path = join(mkdtempSync(join(tmpdir(), 'nq-sock-')), 'h2.sock');
    const h2 = http2.createServer((req, res) => res.end(`${req.httpVersion} ${req.url}`));
    await new Promise<void>((r) => h2.listen(h2Path, r));
    const s = new AsyncSession({ disableHttp1: true });
    const r = await s.get(`http+unix://${encodeURIComponent(h2Path)}/x`);
    expect(r.httpVersion).toBe('HTTP/2');
    expect(r.text).toBe('2.0 /x');
    await s.close(); // the server's close waits for its sessions
    await new Promise<void>((r) => h2.close(() => r()));
  });

  it('schemes nodequests does not speak say so', async () => {
    await using s = new AsyncSession();
    await expect(s.get('ftp://127.0.0.1:1/')).rejects.toBeInstanceOf(InvalidSchema);
  });
});
