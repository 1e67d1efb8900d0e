import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession } from '../../../dist/src/index.js';
import { makePki, type TestPki } from '../../helpers/certs.js';
import { startH3Server, type H3Answer, type H3Server } from '../../helpers/h3-server.js';

let pki: TestPki;
let h3: H3Server;
let tcp: http2.Http2SecureServer;
let origin: string;
const sockets = new Set<Socket>();

const answer = (path: string): H3Answer => ({ headers: { 'content-type': 'text/plain', 'x-path': path }, body: `h3 ${path}` });

beforeAll(async () => {
  pki = makePki();
  h3 = await startH3Server({ cert: pki.server.cert, key: pki.server.key, handler: (req) => answer(req.path) });
  tcp = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key, allowHTTP1: true }, (req, res) => {
    res.setHeader('alt-svc', `h3=":${h3.port}"; ma=60`);
    res.end(`tcp ${req.url}`);
  });
  tcp.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
});
afterAll(async () => {
  tcp?.close();
  for (const s of sockets) s.destroy();
  await h3?.close();
});

describe('HTTP/3', () => {
  it('is used after an Alt-Svc h3 answer', async () => {
    await using s = new AsyncSession({ verify: pki.caPath });
    const first = await s.get(`${origin}/one`);
    expect([first.httpVersion, first.text]).toEqual(['HTTP/2', 'tcp /one']);
    const second = await s.get(`${origin}/two`);
    expect([second.httpVersion, second.text, second.headers.get('x-path')]).toEqual(['HTTP/3', 'h3 /two', '/two']);
    expect(second.connInfo?.httpVersion).toBe('HTTP/3');
    expect(second.connInfo?.quic?.version).toBe('QUICv1');
  });
});
