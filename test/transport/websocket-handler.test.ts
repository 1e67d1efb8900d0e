import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { AsyncResponse, AsyncSession, BodyTooLarge, ConnectionError, InvalidOption, InvalidSchema, ReadTimeout, type AsyncWebSocket } from '../../dist/src/index.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { startHttpProxy, startSocks5Proxy } from '../helpers/proxy-server.js';
import { until } from '../helpers/until.js';

/**
 * WebSockets through the async API against `ws` servers in this process: TCP, TLS, a unix
 * socket and HTTP/2 (RFC 8441). The sync API's own tests are test/extensions/websocket.test.ts.
 */

interface Peer {
  /** What the last handshake carried. */
  handshakes: http.IncomingMessage[];
  /** The server-side sockets, newest last. */
  clients: WebSocket[];
}

/** Echoes every message back as it came (text as text, binary as binary). */
function echo(ws: WebSocket): void {
  ws.on('message', (data, binary) => {
    const text = binary ? null : data.toString();
    if (text === 'close-4001') ws.close(4001, 'asked to');
    else if (text?.startsWith('send-bytes ')) ws.send(Buffer.alloc(Number(text.slice(11)), 1));
    else if (text === 'go-away') (ws as unknown as { _socket: Socket })._socket.destroy();
    else ws.send(data, { binary });
  });
}

function attach(server: http.Server | https.Server, peer: Peer, wss = new WebSocketServer({ noServer: true, perMessageDeflate: true })): WebSocketServer {
  // /plain: no permessage-deflate, for the volume tests (zlib would be most of their time).
  const plain = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  wss.on('headers', (headers, req) => {
    if (req.url === '/cookie') headers.push('Set-Cookie: from101=yes; Path=/');
  });
  server.on('upgrade', (req, socket, head) => {
    peer.handshakes.push(req);
    if (req.url === '/deny') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 9\r\n\r\nforbidden');
      return;
    }
    // Redirects: relative (stays ws://), to an http:// URL (a WebSocket asked for: ws://), to ftp://.
    const location = { '/moved': '/echo', '/moved-http': `http://${req.headers.host}/echo`, '/moved-ftp': 'ftp://127.0.0.1/echo' }[req.url ?? ''];
    if (location !== undefined) {
      socket.end(`HTTP/1.1 302 Found\r\nlocation: ${location}\r\ncontent-length: 5\r\n\r\nmoved`);
      return;
    }
    (req.url === '/plain' ? plain : wss).handleUpgrade(req, socket, head, (ws) => {
      peer.clients.push(ws);
      if (req.url === '/cookie') ws.send(req.headers.cookie ?? '');
      echo(ws);
    });
  });
  return wss;
}

let pki: TestPki;
// Holds the shared engine for the whole file: each test's own session then finds its workers
// running instead of starting new ones.
const keeper = new AsyncSession();
const peer: Peer = { handshakes: [], clients: [] };
const server = http.createServer((req, res) => res.end('plain'));
let tlsServer: https.Server;
const unixPath = join(mkdtempSync(join(tmpdir(), 'nq-ws-')), 'ws.sock');
const unixServer = http.createServer();
let base: string;

beforeAll(async () => {
  pki = makePki();
  tlsServer = https.createServer({ cert: pki.server.cert, key: pki.server.key });
  attach(server, peer);
  attach(tlsServer, peer);
  attach(unixServer, peer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => unixServer.listen(unixPath, r));
  base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  void (await keeper.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text;
});

afterAll(async () => {
  await keeper.close();
  for (const ws of peer.clients) ws.terminate();
  await Promise.all([server, tlsServer, unixServer].map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const wsOf = (r: { extension: unknown }): AsyncWebSocket => r.extension as AsyncWebSocket;

describe('WebSocket (AsyncSession)', () => {
  it('opens with 101, echoes text and binary, and closes with 1000', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const r = await s.get(`${base}/echo`);
    expect(r.statusCode).toBe(101);
    const ws = wsOf(r);
    expect(ws.kind).toBe('websocket');
    await ws.sendPayload('héllo');
    expect(await ws.nextPayload()).toBe('héllo');
    await ws.sendPayload(new Uint8Array([0, 1, 2, 255]));
    const bin = await ws.nextPayload();
    expect(Buffer.isBuffer(bin)).toBe(true);
    expect([...(bin as Buffer)]).toEqual([0, 1, 2, 255]);
    await ws.sendPayload('');
    expect(await ws.nextPayload()).toBe('');
    await ws.close();
    expect(ws.closed).toBe(true);
    expect(ws.closeCode).toBe(1000);
    expect(await ws.nextPayload()).toBeNull();
  });

  it('negotiates permessage-deflate and carries 16 MiB messages both ways, intact', async () => {
    await using s = new AsyncSession({ timeout: 20_000 });
    const r = await s.get(`${base}/echo`);
    expect(r.headers.get('sec-websocket-extensions')).toMatch(/permessage-deflate/);
    const ws = wsOf(r);
    const big = Buffer.alloc(16 << 20);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    await ws.sendPayload(big);
    const back = (await ws.nextPayload()) as Buffer;
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
    await ws.close();
  });

  it('reads a message the server sent in fragments as one', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const ws = wsOf(await s.get(`${base}/echo`));
    await until(() => peer.clients.length > 0 && peer.clients.at(-1)!.readyState === WebSocket.OPEN, () => 'server side open');
    const server = peer.clients.at(-1)!;
    server.send('frag', { fin: false });
    server.send('men', { fin: false });
    server.send('ted', { fin: true });
    expect(await ws.nextPayload()).toBe('fragmented');
    await ws.close();
  });

  it('hands the server\'s close code to the user, and the user\'s to the server', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const ws = wsOf(await s.get(`${base}/echo`));
    await ws.sendPayload('close-4001');
    expect(await ws.nextPayload()).toBeNull();
    expect(ws.closeCode).toBe(4001);
    expect(ws.closeReason).toBe('asked to');

    const ws2 = wsOf(await s.get(`${base}/echo`));
    const serverSide = await serverSocketFor(ws2);
    const heard = new Promise<[number, string]>((resolve) => serverSide.once('close', (code, reason) => resolve([code, reason.toString()])));
    await ws2.close(4321, 'bye now');
    expect(await heard).toEqual([4321, 'bye now']);
    await expect(ws2.sendPayload('late')).rejects.toBeInstanceOf(ConnectionError);
  });

  it('fails with ConnectionError when the server goes away in the middle of a message', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const ws = wsOf(await s.get(`${base}/echo`));
    const serverSide = await serverSocketFor(ws);
    const raw = (serverSide as unknown as { _socket: Socket })._socket;
    // A binary frame header announcing 1000 bytes, then 10 of them, then the socket goes.
    raw.write(Buffer.concat([Buffer.from([0x82, 126, 0x03, 0xe8]), Buffer.alloc(10)]));
    raw.destroy();
    await expect(ws.nextPayload()).rejects.toBeInstanceOf(ConnectionError);
  });

  it('refuses a 16 MiB message over a 1 MiB maxPayload with BodyTooLarge, compressed or not; the server hears 1009', async () => {
    await using s = new AsyncSession({ timeout: 5000, maxPayload: 1 << 20 });
    // /echo negotiates permessage-deflate: 16 MiB of one byte is a few KiB on the wire.
    for (const path of ['/plain', '/echo']) {
      const ws = wsOf(await s.get(`${base}${path}`));
      const serverSide = await serverSocketFor(ws);
      const closed = new Promise<number>((resolve) => serverSide.once('close', (code) => resolve(code)));
      await ws.sendPayload(`send-bytes ${16 << 20}`);
      const err = await ws.nextPayload().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BodyTooLarge);
      expect((err as Error).message).toMatch(/more than 1048576 bytes \(maxPayload\)/);
      expect(await closed).toBe(1009);
    }
  });

  it('a request\'s maxPayload wins over the session\'s (null: no limit); maxBodySize does not limit messages', async () => {
    await using s = new AsyncSession({ timeout: 5000, maxPayload: 1024, maxBodySize: 1024 });
    const ws = wsOf(await s.get(`${base}/plain`, { maxPayload: null }));
    await ws.sendPayload('send-bytes 4096');
    expect(((await ws.nextPayload()) as Buffer).length).toBe(4096);
    await ws.close();
    const small = wsOf(await s.get(`${base}/plain`, { maxPayload: 100 }));
    await small.sendPayload('send-bytes 101');
    await expect(small.nextPayload()).rejects.toBeInstanceOf(BodyTooLarge);
  });

  it('refuses a maxPayload that is not a whole number of bytes >= 1 before connecting', async () => {
    for (const bad of [0, -1, 1.5, '1024', {}]) {
      expect(() => new AsyncSession({ maxPayload: bad as number })).toThrow(/Invalid option maxPayload: .*expected a whole number of bytes >= 1, or null/);
    }
    await using s = new AsyncSession({ timeout: 5000 });
    const before = peer.handshakes.length;
    await expect(s.get(`${base}/echo`, { maxPayload: 0 })).rejects.toBeInstanceOf(InvalidOption);
    expect(peer.handshakes.length).toBe(before);
  });

  it('a ReadTimeout leaves the WebSocket open and usable', async () => {
    await using s = new AsyncSession({ timeout: { connect: 5000, read: 150 } });
    const ws = wsOf(await s.get(`${base}/echo`));
    await expect(ws.nextPayload()).rejects.toBeInstanceOf(ReadTimeout);
    expect(ws.closed).toBe(false);
    await ws.sendPayload('still here');
    // Each wait is 150 ms: on a loaded machine the echo may take more than one.
    expect(await untilTimeoutsPass(() => ws.nextPayload())).toBe('still here');
    await ws.close();
  });

  it('sends pings the server hears, and iterates with for await until the server closes', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const ws = wsOf(await s.get(`${base}/echo`));
    const serverSide = await serverSocketFor(ws);
    const pinged = new Promise<string>((resolve) => serverSide.once('ping', (d) => resolve(d.toString())));
    await ws.ping('are you there');
    expect(await pinged).toBe('are you there');
    for (const m of ['a', 'b', 'c']) serverSide.send(m);
    serverSide.close(1000);
    const got: unknown[] = [];
    for await (const m of ws) got.push(m);
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('a multiplexed session hands out an async response for a WebSocket, resolved by gather()', async () => {
    await using s = new AsyncSession({ timeout: 5000, multiplexed: true });
    const r = await s.get(`${base}/echo`);
    expect(r).toBeInstanceOf(AsyncResponse);
    await s.gather();
    await wsOf(r).sendPayload('lazy');
    expect(await wsOf(r).nextPayload()).toBe('lazy');
    await wsOf(r).close();
  });

  it('a refused upgrade is a plain response with extension === null', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const r = await s.get(`${base}/deny`);
    expect(r.statusCode).toBe(403);
    expect(r.extension).toBeNull();
    expect(await r.text()).toBe('forbidden');
  });

  it('follows a redirect of the handshake to the new WebSocket (a relative or http:// Location); allowRedirects: false gives the 302', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    for (const path of ['/moved', '/moved-http']) {
      const before = peer.handshakes.length;
      const r = await s.get(`${base}${path}`);
      expect(r.statusCode).toBe(101);
      expect(r.url).toBe(`${base}/echo`);
      expect(r.history.map((h) => [h.statusCode, h.url])).toEqual([[302, `${base}${path}`]]);
      expect(peer.handshakes.slice(before).map((h) => h.url)).toEqual([path, '/echo']);
      await wsOf(r).sendPayload('moved along');
      expect(await wsOf(r).nextPayload()).toBe('moved along');
      await wsOf(r).close();
    }
    const r = await s.get(`${base}/moved`, { allowRedirects: false });
    expect(r.statusCode).toBe(302);
    expect(r.extension).toBeNull();
    expect(r.headers.get('location')).toBe('/echo');
    expect(await r.text()).toBe('moved');
    const err = await s.get(`${base}/moved-ftp`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidSchema);
    expect((err as Error).message).toMatch(/ftp:\/\/127\.0\.0\.1\/echo/);
  });

  it('sends the session\'s cookies, auth and headers with the handshake; keeps the 101\'s cookies; runs hooks on the 101', async () => {
    const statuses: number[] = [];
    await using s = new AsyncSession({ timeout: 5000, auth: ['user', 'pass'], headers: { 'X-Trace': 't1' }, hooks: { response: [(r) => { statuses.push(r.statusCode); }] } });
    s.cookies.set('session', 'abc', { domain: '127.0.0.1' });
    const ws = wsOf(await s.get(`${base}/cookie`));
    expect(await ws.nextPayload()).toBe('session=abc');
    const hs = peer.handshakes.at(-1)!;
    expect(hs.headers.authorization).toBe(`Basic ${Buffer.from('user:pass').toString('base64')}`);
    expect(hs.headers['x-trace']).toBe('t1');
    expect(statuses).toEqual([101]);
    expect(s.cookies.get('from101')).toBe('yes');
    await ws.close();
  });

  it('over TLS (wss://) with the session\'s trust settings', async () => {
    await using s = new AsyncSession({ timeout: 5000, verify: pki.caPath });
    const r = await s.get(`wss://localhost:${(tlsServer.address() as AddressInfo).port}/echo`);
    expect(r.statusCode).toBe(101);
    await wsOf(r).sendPayload('secure');
    expect(await wsOf(r).nextPayload()).toBe('secure');
    await wsOf(r).close();
    await using untrusting = new AsyncSession({ timeout: 5000 });
    await expect(untrusting.get(`wss://localhost:${(tlsServer.address() as AddressInfo).port}/echo`)).rejects.toBeInstanceOf(ConnectionError);
  });

  it('over a unix socket (ws+unix://)', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const r = await s.get(`ws+unix://${encodeURIComponent(unixPath)}/echo`);
    expect(r.statusCode).toBe(101);
    await wsOf(r).sendPayload('local');
    expect(await wsOf(r).nextPayload()).toBe('local');
    expect(peer.handshakes.at(-1)!.url).toBe('/echo');
    await wsOf(r).close();
  });

  it('through an HTTP proxy (CONNECT) and a SOCKS5 proxy', async () => {
    const httpProxy = await startHttpProxy();
    const socks = await startSocks5Proxy();
    try {
      for (const proxy of [httpProxy.url, socks.url]) {
        await using s = new AsyncSession({ timeout: 5000, proxies: { http: proxy } });
        const ws = wsOf(await s.get(`${base}/echo`));
        await ws.sendPayload(`via ${proxy}`);
        expect(await ws.nextPayload()).toBe(`via ${proxy}`);
        await ws.close();
      }
      expect(httpProxy.seen.map((x) => x.line)).toEqual([`CONNECT 127.0.0.1:${(server.address() as AddressInfo).port}`]);
      expect(socks.seen.length).toBe(1);
    } finally {
      await httpProxy.close();
      await socks.close();
    }
  });

  it('a reader that stops reading stops the socket: the server\'s writes back up, and everything arrives later in order', async () => {
    await using s = new AsyncSession({ timeout: 10_000 });
    const ws = wsOf(await s.get(`${base}/echo`));
    const serverSide = await serverSocketFor(ws);
    const raw = (serverSide as unknown as { _socket: Socket })._socket;
    let sent = 0;
    // Write until the server's own socket holds 4 MiB it cannot hand to the client.
    while (raw.writableLength < 4 << 20 && sent < 4096) {
      const message = Buffer.alloc(64 * 1024, 3);
      message.writeUInt32BE(sent, 0);
      serverSide.send(message, { compress: false });
      sent++;
      if (sent % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(sent).toBeLessThan(4096);
    // The worker took at most its window (1 MiB) plus what the kernel buffers; it stays so.
    await new Promise((r) => setTimeout(r, 300));
    expect(raw.writableLength).toBeGreaterThan(2 << 20);
    for (let i = 0; i < sent; i++) {
      const m = (await ws.nextPayload()) as Buffer;
      expect(m.readUInt32BE(0)).toBe(i);
    }
    await ws.close();
  });

  it('a sender faster than the server reads is paused (the async sendPayload waits)', async () => {
    await using s = new AsyncSession({ timeout: 10_000 });
    const ws = wsOf(await s.get(`${base}/plain`));
    const serverSide = await serverSocketFor(ws);
    serverSide.pause();
    let received = 0;
    serverSide.removeAllListeners('message');
    serverSide.on('message', () => received++);
    // Random bytes, in case anything on the way compresses.
    const chunk = randomBytes(256 * 1024);
    let done = 0;
    const sends = Array.from({ length: 128 }, () => ws.sendPayload(chunk).then(() => done++));
    // 32 MiB offered against a server that reads nothing: the window and the kernel's
    // buffers take some of it, the rest waits on the main thread.
    await new Promise((r) => setTimeout(r, 300));
    expect(done).toBeLessThan(100);
    expect(received).toBe(0);
    serverSide.resume();
    await Promise.all(sends);
    await until(() => received === 128, () => `server received ${received} of 128`);
    await ws.close();
  });
});

/** An HTTP/2 server taking WebSockets on extended CONNECT streams, framed by `ws`'s server side. */
async function startH2WebSocketServer(): Promise<{ url: string; seen: string[]; closes: number[]; close(): Promise<void> }> {
  const h2 = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key, settings: { enableConnectProtocol: true } });
  const seen: string[] = [];
  const closes: number[] = [];
  h2.on('stream', (stream, headers) => {
    seen.push(`${headers[':method']} ${headers[':protocol']} ${headers[':path']} ${headers.cookie ?? ''}`);
    stream.respond({ ':status': 200 });
    // The stream is the socket. closeTimeout: ws built without an address has none (its
    // close timer would fire at once and drop the stream).
    const ws = new WebSocket(null as unknown as string, undefined, { closeTimeout: 30_000 } as WebSocket.ClientOptions);
    (ws as unknown as { setSocket(s: unknown, h: Buffer, o: object): void }).setSocket(stream, Buffer.alloc(0), { maxPayload: 1 << 20, allowSynchronousEvents: true });
    echo(ws);
    ws.on('close', (code) => closes.push(code));
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  return { url: `wss+rfc8441://localhost:${(h2.address() as AddressInfo).port}`, seen, closes, close: () => new Promise<void>((r) => h2.close(() => r())) };
}

describe('WebSocket over HTTP/2 (wss+rfc8441://)', () => {
  it('opens a WebSocket on an extended CONNECT stream when the server enables it', async () => {
    const h2 = await startH2WebSocketServer();
    try {
      await using s = new AsyncSession({ timeout: 5000, verify: pki.caPath });
      s.cookies.set('k', 'v', { domain: 'localhost' });
      const r = await s.get(`${h2.url}/chat?x=1`);
      expect(r.statusCode).toBe(200);
      expect(r.httpVersion).toBe('HTTP/2');
      const ws = wsOf(r);
      await ws.sendPayload('over h2');
      expect(await ws.nextPayload()).toBe('over h2');
      await ws.sendPayload(Buffer.from([7, 7]));
      expect([...((await ws.nextPayload()) as Buffer)]).toEqual([7, 7]);
      await ws.close(4000);
      expect(ws.closed).toBe(true);
      expect(ws.closeCode).toBe(4000);
      await until(() => h2.closes.length > 0, () => 'the server to see the close');
      expect(h2.closes).toEqual([4000]);
      expect(h2.seen).toEqual(['CONNECT websocket /chat?x=1 k=v']);
    } finally {
      await h2.close();
    }
  });

  it('hears the server\'s answering close frame every time (the stream is not dropped after our close)', async () => {
    const h2 = await startH2WebSocketServer();
    try {
      await using s = new AsyncSession({ timeout: 5000, verify: pki.caPath });
      // The loss was intermittent (about one close in ten): 40 in a row, within a few seconds.
      const codes: Array<number | null> = [];
      const t0 = performance.now();
      for (let i = 0; i < 40 && performance.now() - t0 < 6000; i++) {
        const ws = wsOf(await s.get(`${h2.url}/echo`));
        await ws.sendPayload('x');
        expect(await ws.nextPayload()).toBe('x');
        await ws.close(3000 + i, `round ${i}`);
        codes.push(ws.closeCode);
      }
      expect(codes.length).toBeGreaterThanOrEqual(20);
      expect(codes).toEqual(codes.map((_, i) => 3000 + i));
    } finally {
      await h2.close();
    }
  });

  it('says clearly that the server does not enable extended CONNECT', async () => {
    const h2 = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key });
    h2.on('stream', (stream) => stream.respond({ ':status': 200 }));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    try {
      await using s = new AsyncSession({ timeout: 5000, verify: pki.caPath });
      const err = await s.get(`wss+rfc8441://localhost:${(h2.address() as AddressInfo).port}/`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionError);
      expect((err as Error).message).toMatch(/SETTINGS_ENABLE_CONNECT_PROTOCOL/);
    } finally {
      await new Promise<void>((r) => h2.close(() => r()));
    }
  });
});

/** What `read` gives once a read does not time out (within 10 s): ReadTimeouts are waited through. */
async function untilTimeoutsPass<T>(read: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof ReadTimeout) || performance.now() - t0 > 10_000) throw err;
    }
  }
}

/** The server's end of the connection the newest client WebSocket made. */
async function serverSocketFor(_ws: AsyncWebSocket): Promise<WebSocket> {
  await until(() => peer.clients.length > 0 && peer.clients.at(-1)!.readyState === WebSocket.OPEN, () => 'the server side to open');
  return peer.clients.at(-1)!;
}

