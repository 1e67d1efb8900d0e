import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { AsyncSession, ConnectionError, ReadTimeout } from '../../dist/src/index.js';
import { until } from '../helpers/until.js';

// A bare Node listener called in process: what it sees of the request and what its
// response calls do, through the session API. Sessions have a read timeout, so an app
// that hangs fails with the URL instead of stalling.
type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;
const session = (app: Listener, options: Record<string, unknown> = {}) => new AsyncSession({ app, timeout: 5_000, ...options });

describe('a Node listener in process', () => {
  it('gets an IncomingMessage as a server would parse it', async () => {
    let seen: Record<string, unknown> = {};
    await using s = session((req, res) => {
      seen = {
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        remoteAddress: req.socket.remoteAddress,
        rawHeaders: req.rawHeaders,
        headers: req.headers,
      };
      res.end('ok');
    });
    const r = await s.request('PATCH', 'http://api.example:8080/a/b?x=1&y=%20', { headers: { 'X-Trace': 'T1', 'x-trace': 'T2' }, data: 'hi' });
    expect(r.text).toBe('ok');
    expect(seen).toMatchObject({ method: 'PATCH', url: '/a/b?x=1&y=%20', httpVersion: '1.1', remoteAddress: '127.0.0.1' });
    const raw = seen.rawHeaders as string[];
    expect(raw.slice(0, 2)).toEqual(['Host', 'api.example:8080']);
    expect((seen.headers as Record<string, string>)['content-length']).toBe('2');
    expect((seen.headers as Record<string, string>).host).toBe('api.example:8080');
  });

  it('resolves a relative URL against http://localhost, or the baseUrl given', async () => {
    const urls: string[] = [];
    const app: Listener = (req, res) => {
      urls.push(`${req.headers.host}${req.url}`);
      res.end();
    };
    await using a = session(app);
    await a.get('/hello?x=1');
    await using b = session(app, { baseUrl: 'http://api.test/v1/' });
    await b.get('users');
    expect(urls).toEqual(['localhost/hello?x=1', 'api.test/v1/users']);
  });

  it('takes the head Node builds: writeHead, setHeader, a status text, Content-Length for end(data)', async () => {
    await using s = session((req, res) => {
      res.setHeader('X-Set', ['a', 'b']);
      if (req.url === '/head') res.writeHead(299, 'Fine Indeed', { 'Content-Type': 'text/x-test' });
      res.end('body!');
    });
    const r = await s.get('/head');
    expect(r.statusCode).toBe(299);
    expect(r.reason).toBe('Fine Indeed');
    expect(r.headers.get('content-type')).toBe('text/x-test');
    expect(r.headers.get('x-set')).toBe('a, b');
    const plain = await s.get('/plain');
    expect(plain.headers.get('content-length')).toBe('5');
    expect(plain.headers.has('connection')).toBe(false);
  });

  it("has run the app's 'finish' handlers when the caller gets the response, in a loop of requests", async () => {
    // Each request here completes without a turn of the event loop; a loop of them must
    // still let the app's ticks run (they once piled up until the loop ended, with every
    // request kept in memory).
    const finished: number[] = [];
    const unfinishedAtReturn: number[] = [];
    let n = 0;
    await using s = session((_req, res) => {
      const id = ++n;
      res.on('finish', () => finished.push(id));
      res.end(String(id));
    });
    for (let i = 1; i <= 50; i++) {
      const r = await s.get('/');
      if (!finished.includes(Number(r.text))) unfinishedAtReturn.push(i);
    }
    expect(unfinishedAtReturn).toEqual([]);
    expect(finished).toHaveLength(50);
  });

  it('sends no body for HEAD, as a server does', async () => {
    await using s = session((req, res) => {
      res.setHeader('Content-Length', '5');
      res.end('abcde');
    });
    const r = await s.head('/x');
    expect(r.headers.get('content-length')).toBe('5');
    expect(r.content.length).toBe(0);
  });

  it('hands the head over at flushHeaders(), before any of the body', async () => {
    let release = (): void => {};
    await using s = session(async (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.flushHeaders();
      await new Promise<void>((r) => (release = r));
      res.end('later');
    });
    const r = await s.get('/flush', { stream: true });
    expect(r.statusCode).toBe(200);
    release();
    expect(await r.text()).toBe('later');
  });

  it('streams an upload: the app reads the first part before the rest is produced', async () => {
    let firstSeen = false;
    const received: string[] = [];
    await using s = session((req, res) => {
      req.on('data', (c: Buffer) => {
        received.push(c.toString());
        firstSeen = true;
      });
      req.on('end', () => res.end(`got ${received.join('|')} te=${req.headers['transfer-encoding']}`));
    });
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('one');
      await until(() => firstSeen, () => 'the app to receive the first part of the upload');
      yield Buffer.from('two');
    }
    const r = await s.post('/up', { data: body() });
    expect(r.text).toBe('got one|two te=chunked');
  });

  it('write() says false while the reader is behind, and drain comes when it reads', async () => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    let refusedAt = -1;
    let drained = false;
    await using s = session((req, res) => {
      let written = 0;
      const pump = (): void => {
        while (written < 64) {
          written++;
          if (!res.write(chunk)) {
            if (refusedAt < 0) refusedAt = written;
            res.once('drain', () => {
              drained = true;
              pump();
            });
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const r = await s.get('/big', { stream: true });
    // Nothing is read yet: the app is held at the window (1 MiB), well short of 4 MiB.
    await until(() => refusedAt > 0, () => 'write() to return false');
    expect(refusedAt).toBeLessThan(64);
    expect(drained).toBe(false);
    let total = 0;
    for await (const c of r.iterContent(null)) total += (c as Buffer).length;
    expect(total).toBe(64 * chunk.length);
    expect(drained).toBe(true);
  });

  it('answers a throw or a rejection with a 500 carrying the message, and tells the appError hook', async () => {
    const errors: string[] = [];
    await using s = session(
      (req) => {
        if (req.url === '/sync') throw new Error('thrown here');
        return Promise.reject(new Error('rejected there'));
      },
      { hooks: { appError: (e: unknown, request: { url: string }) => errors.push(`${(e as Error).message} @ ${request.url}`) } },
    );
    const a = await s.get('/sync');
    expect([a.statusCode, a.text]).toEqual([500, 'thrown here']);
    const b = await s.get('/async');
    expect([b.statusCode, b.text]).toEqual([500, 'rejected there']);
    expect(errors).toEqual(['thrown here @ http://localhost/sync', 'rejected there @ http://localhost/async']);
  });

  it('fails an app that never answers with the read timeout, and the app sees the request aborted', async () => {
    let aborted = false;
    await using s = session((req) => {
      req.on('aborted', () => (aborted = true));
    });
    await expect(s.get('/never', { timeout: 200 })).rejects.toThrow(ReadTimeout);
    expect(aborted).toBe(true);
  });

  it('fails the request, with no response, when the app destroys it as a server drops a connection', async () => {
    const hooked: unknown[] = [];
    await using s = session((req, res) => void res.destroy(), { hooks: { appError: (e: unknown) => hooked.push(e) } });
    await expect(s.get('/drop')).rejects.toThrow(ConnectionError);
    await expect(s.get('/drop')).rejects.toThrow(/The app destroyed the response \(GET http:\/\/localhost\/drop\)/);
    expect(hooked).toEqual([]);
  });

  it('takes an http.Server for its request listeners, without listening', async () => {
    const server = createServer((req, res) => res.end(`server saw ${req.url}`));
    await using s = new AsyncSession({ app: server, timeout: 5_000 });
    expect((await s.get('/via-server')).text).toBe('server saw /via-server');
    expect(server.listening).toBe(false);
  });

  it('carries retries, auth and gather', async () => {
    let calls = 0;
    await using s = new AsyncSession({
      app: (req: IncomingMessage, res: ServerResponse) => {
        calls++;
        if (req.url === '/flaky' && calls === 1) return void res.writeHead(503, { 'Retry-After': '0' }).end();
        res.end(`${req.url} ${req.headers.authorization ?? '-'}`);
      },
      retries: { total: 2, statusForcelist: [503], backoffFactor: 0 },
      auth: ['ann', 'pw'],
      multiplexed: true,
      timeout: 5_000,
    });
    const a = await s.get('/flaky');
    const b = await s.get('/b');
    const done = await s.gather();
    expect(done).toHaveLength(2);
    expect(a.text).toBe(`/flaky Basic ${Buffer.from('ann:pw').toString('base64')}`);
    expect(b.statusCode).toBe(200);
    expect(calls).toBe(3);
  });
});
