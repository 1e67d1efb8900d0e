import http from 'node:http';
import http2 from 'node:http2';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, ReadTimeout, ServerSentEvent, Session, type AsyncServerSentEvents, type SyncServerSentEvents } from '../../dist/src/index.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { until } from '../helpers/until.js';
import { startExtensionPeers } from '../helpers/extension-peers.js';
import { startHttpProxy } from '../helpers/proxy-server.js';
import { withSyncWatchdog } from '../helpers/sync-watchdog.js';

/**
 * Event streams through the async API against servers in this process (HTTP/1.1, HTTP/2
 * over TLS, a unix socket); the sync API's against test/fixtures/extension-peers.mjs in
 * another process, since its calls block this thread.
 */

/** Requests the servers saw, and the responses still open (to watch them close). */
const seen: Array<{ method: string; url: string; lastEventId: string | undefined; accept: string | undefined; body: string }> = [];
const open = new Set<http.ServerResponse | http2.Http2ServerResponse>();
let closedStreams = 0;

function events(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  let body = '';
  req.on('data', (d: Buffer) => (body += d));
  req.on('end', () => {
    const url = req.url!;
    seen.push({ method: req.method!, url, lastEventId: req.headers['last-event-id'] as string | undefined, accept: req.headers.accept, body });
    if (url === '/moved') {
      res.writeHead(302, { location: '/feed' });
      res.end();
      return;
    }
    if (url === '/not-events') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('plain');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (url === '/feed') {
      const from = Number(req.headers['last-event-id'] ?? 0);
      for (let i = from + 1; i <= from + 3; i++) res.write(`id: ${i}\ndata: {"n":${i}}\n\n`);
      res.end();
    } else if (url === '/shapes') {
      // CRLF and CR line ends, a comment, retry, an event type, multi-line data, a BOM.
      res.write('\ufeff: hello\r\n\r\nretry: 2500\r\nevent: greet\r\ndata: line one\r\ndata: line two\r\n\r\n');
      res.write('data: cr\r\rid: 9\ndata: after id\n\n');
      res.end('data: never dispatched');
    } else if (url === '/echo-body') {
      res.end(`data: ${body}\n\n`);
    } else if (url === '/quiet') {
      open.add(res);
      res.write(': open\n\n');
      res.on('close', () => {
        closedStreams++;
        open.delete(res);
      });
    } else if (url === '/flood') {
      // Writes until its socket backs up, then reports how far it got.
      open.add(res);
      res.on('close', () => {
        closedStreams++;
        open.delete(res);
      });
      const line = `data: ${'x'.repeat(1000)}\n\n`;
      let n = 0;
      const pump = (): void => {
        while (n < 100_000 && res.write(line)) n++;
        flooded = n;
        if (n < 100_000) res.once('drain', () => { n++; pump(); });
      };
      pump();
    }
  });
}

let flooded = 0;
let pki: TestPki;
// Holds the shared engine for the whole file: each test's own session then finds its workers
// running instead of starting new ones.
const keeper = new AsyncSession();
const h1 = http.createServer(events);
let h2: http2.Http2SecureServer;
const unixPath = join(mkdtempSync(join(tmpdir(), 'nq-sse-')), 'sse.sock');
const unixServer = http.createServer(events);
let base: string;
let h2Base: string;

beforeAll(async () => {
  pki = makePki();
  h2 = http2.createSecureServer({ cert: pki.server.cert, key: pki.server.key }, events);
  await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => unixServer.listen(unixPath, r));
  base = `psse://127.0.0.1:${(h1.address() as AddressInfo).port}`;
  h2Base = `sse://localhost:${(h2.address() as AddressInfo).port}`;
  void (await keeper.get(`http://127.0.0.1:${(h1.address() as AddressInfo).port}/not-events`)).text;
});

afterAll(async () => {
  await keeper.close();
  for (const res of open) res.destroy();
  h1.closeAllConnections();
  await Promise.all([h1, h2, unixServer].map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const sse = (r: { extension: unknown }): AsyncServerSentEvents => r.extension as AsyncServerSentEvents;

describe('Server-Sent Events (AsyncSession)', () => {
  it('reads events over HTTP/1.1 (psse://), asking for text/event-stream, then null at the end', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const r = await s.get(`${base}/feed`);
    expect(r.statusCode).toBe(200);
    const stream = sse(r);
    expect(stream.kind).toBe('sse');
    const got: ServerSentEvent[] = [];
    for await (const e of stream) got.push(e);
    expect(got.map((e) => [e.id, e.event, e.json()])).toEqual([
      ['1', 'message', { n: 1 }],
      ['2', 'message', { n: 2 }],
      ['3', 'message', { n: 3 }],
    ]);
    expect(got[0]).toBeInstanceOf(ServerSentEvent);
    expect(await stream.nextPayload()).toBeNull();
    expect(stream.closed).toBe(true);
    expect(seen.at(-1)!.accept).toBe('text/event-stream');
  });

  it('parses every line ending, comments, retry, types and multi-line data; raw gives the text', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const parsed = sse(await s.get(`${base}/shapes`));
    const first = (await parsed.nextPayload())!;
    expect([first.event, first.data, first.retry, first.id]).toEqual(['greet', 'line one\nline two', 2500, null]);
    expect((await parsed.nextPayload())!.data).toBe('cr');
    const third = (await parsed.nextPayload())!;
    expect([third.id, third.data]).toEqual(['9', 'after id']);
    expect(await parsed.nextPayload()).toBeNull();
    expect(parsed.lastEventId).toBe('9');

    const raw = sse(await s.get(`${base}/shapes`));
    expect(await raw.nextPayload({ raw: true })).toBe(': hello');
    expect(await raw.nextPayload({ raw: true })).toBe('retry: 2500\nevent: greet\ndata: line one\ndata: line two');
  });

  it('works over HTTP/2 (sse://), with POST, and after a redirect', async () => {
    await using s = new AsyncSession({ timeout: 5000, verify: pki.caPath });
    const r = await s.get(`${h2Base}/feed`);
    expect(r.httpVersion).toBe('HTTP/2');
    expect((await sse(r).nextPayload())!.data).toBe('{"n":1}');
    await sse(r).close();

    const posted = await s.post(`${h2Base}/echo-body`, { data: 'question' });
    expect((await sse(posted).nextPayload())!.data).toBe('question');

    const moved = await s.get(`${base}/moved`);
    expect(moved.history.map((h) => h.statusCode)).toEqual([302]);
    expect((await sse(moved).nextPayload())!.id).toBe('1');
    await sse(moved).close();
  });

  it('over a unix socket (psse+unix://)', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const r = await s.get(`psse+unix://${encodeURIComponent(unixPath)}/feed`);
    expect((await sse(r).nextPayload())!.json()).toEqual({ n: 1 });
    await sse(r).close();
  });

  it('through an HTTP proxy (psse://, an absolute-form request): events pass as they are written; close() reaches the server', async () => {
    const proxy = await startHttpProxy();
    try {
      await using s = new AsyncSession({ timeout: 5000, proxies: { http: proxy.url } });
      const feed = sse(await s.get(`${base}/feed`));
      const ids: Array<string | null> = [];
      for await (const e of feed) ids.push(e.id);
      expect(ids).toEqual(['1', '2', '3']);
      const origin = base.replace('psse:', 'http:');
      expect(proxy.seen.map((x) => x.line)).toEqual([`GET ${origin}/feed`]);
      expect(seen.at(-1)!.accept).toBe('text/event-stream');

      const before = open.size;
      const live = sse(await s.get(`${base}/quiet`));
      await until(() => open.size > before, () => 'the server to open the stream');
      const res = [...open].at(-1)!;
      res.write('data: live\n\n');
      // The stream is still open at the server: the proxy relayed the event, not the end.
      expect((await live.nextPayload())!.data).toBe('live');
      const closedBefore = closedStreams;
      await live.close();
      await until(() => closedStreams > closedBefore, () => 'the server to see the stream closed through the proxy', 5000);
    } finally {
      await proxy.close();
    }
  });

  it('resumes with Last-Event-ID when the user sends it back', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const first = sse(await s.get(`${base}/feed`));
    while ((await first.nextPayload()) !== null);
    const again = sse(await s.get(`${base}/feed`, { headers: { 'Last-Event-ID': first.lastEventId! } }));
    expect((await again.nextPayload())!.id).toBe('4');
    expect(seen.at(-1)!.lastEventId).toBe('3');
    await again.close();
  });

  it('a ReadTimeout leaves the stream open; close() closes the connection rather than draining it', async () => {
    await using s = new AsyncSession({ timeout: { connect: 5000, read: 150 } });
    const stream = sse(await s.get(`${base}/quiet`));
    await expect(stream.nextPayload()).rejects.toBeInstanceOf(ReadTimeout);
    expect(stream.closed).toBe(false);
    const [res] = [...open];
    res!.write('data: late\n\n');
    expect((await stream.nextPayload())!.data).toBe('late');
    const before = closedStreams;
    await stream.close();
    await until(() => closedStreams > before, () => 'the server to see the stream closed');
    expect(await stream.nextPayload()).toBeNull();
  });

  it('a response that is not an event stream has extension === null', async () => {
    await using s = new AsyncSession({ timeout: 5000 });
    const r = await s.get(`${base}/not-events`);
    expect(r.extension).toBeNull();
    expect(await r.text()).toBe('plain');
  });

  it('a reader that stops reading stops the server (its socket backs up), and reads on later', async () => {
    await using s = new AsyncSession({ timeout: 10_000 });
    const stream = sse(await s.get(`${base}/flood`));
    expect((await stream.nextPayload())!.data.length).toBe(1000);
    // ~1 KB events: the window (1 MiB) and the kernel's buffers hold a few thousand at most.
    await until(() => flooded > 0, () => 'the server to start');
    await new Promise((r) => setTimeout(r, 400));
    const stalledAt = flooded;
    expect(stalledAt).toBeLessThan(50_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(flooded).toBe(stalledAt);
    for (let i = 0; i < 3000; i++) await stream.nextPayload();
    await until(() => flooded > stalledAt, () => `the server to write again (stuck at ${flooded})`);
    await stream.close();
  });
});

describe('Server-Sent Events (Session)', () => {
  let peers: Awaited<ReturnType<typeof startExtensionPeers>>;
  beforeAll(async () => {
    peers = await startExtensionPeers();
  });
  afterAll(() => peers.close());

  it('blocks for each event, resumes with Last-Event-ID, and a ReadTimeout leaves the stream usable', () => {
    withSyncWatchdog(20_000, 'sync event stream', () => {
      const s = new Session({ timeout: { connect: 5000, read: 150 } });
      try {
        const r = s.get(`psse://127.0.0.1:${peers.port}/feed`);
        const stream = r.extension as SyncServerSentEvents;
        expect([...stream].map((e) => e.data)).toEqual(['1', '2', '3']);
        expect(stream.nextPayload()).toBeNull();
        const resumed = s.get(`psse://127.0.0.1:${peers.port}/feed`, { headers: { 'Last-Event-ID': stream.lastEventId! } }).extension as SyncServerSentEvents;
        expect(resumed.nextPayload({ raw: true })).toBe('id: 4\ndata: 4');
        resumed.close();
        expect(resumed.nextPayload()).toBeNull();

        const later = s.get(`psse://127.0.0.1:${peers.port}/later`).extension as SyncServerSentEvents;
        expect(() => later.nextPayload()).toThrow(ReadTimeout);
        let event: ServerSentEvent | null | undefined;
        for (let i = 0; i < 40 && event === undefined; i++) {
          try {
            event = later.nextPayload();
          } catch (e) {
            if (!(e instanceof ReadTimeout)) throw e;
          }
        }
        expect(event?.data).toBe('late');
      } finally {
        s.close();
      }
    });
  });
});
