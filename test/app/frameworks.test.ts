import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, Session } from '../../dist/src/index.js';
import { withSyncWatchdog } from '../helpers/sync-watchdog.js';

// The same apps through the whole Session API twice: in process on this thread
// (AsyncSession, the app object itself) and loaded by the transport workers from their
// module (Session, which blocks this thread and so cannot run an app here). Every session
// has a read timeout, so an app that hangs fails its test with the URL it hung on.
const fixtures = new URL('../fixtures/apps/', import.meta.url);
const frameworks = [
  { name: 'Express 5', file: 'express-app.mjs', prefix: 'express' },
  { name: 'Koa', file: 'koa-app.mjs', prefix: 'koa' },
  { name: 'Hono', file: 'hono-app.mjs', prefix: 'hono' },
] as const;

const file = { file: ['notes.txt', 'hello\nmultipart', 'text/plain'] };

// Sessions share their transport workers while any is open: one held for the whole file
// spares each sync test the start of a new pool of workers.
let keeper: Session;
beforeAll(() => {
  keeper = new Session({ app: pathToFileURL(new URL('bare-app.mjs', fixtures).pathname).href, timeout: 5_000 });
  withSyncWatchdog(15_000, 'the keeper session', () => keeper.get('/whoami'));
});
afterAll(() => keeper.close());

describe.each(frameworks)('$name', ({ file: module, prefix }) => {
  const specifier = `${pathToFileURL(new URL(module, fixtures).pathname).href}#app`;

  describe('AsyncSession, in process', () => {
    const session = async (): Promise<AsyncSession> => {
      const { app } = (await import(new URL(module, fixtures).href)) as { app: never };
      return new AsyncSession({ app, timeout: 5_000 });
    };

    it('keeps a cookie set on a redirect and sends it to the redirect target', async () => {
      await using s = await session();
      const r = await s.get('/login');
      expect(r.statusCode).toBe(200);
      expect(r.history.map((h) => h.statusCode)).toEqual([302]);
      expect(r.json()).toMatchObject({ sid: `sid=${prefix}-1`, host: 'localhost' });
      expect(s.cookies.get('sid')).toBe(`${prefix}-1`);
    });

    it('sends JSON and params, and any host reaches the app with that Host', async () => {
      await using s = await session();
      const posted = await s.post('http://api.example/json', { json: { a: [1, 2], b: 'ü' } });
      expect(posted.statusCode).toBe(201);
      expect(posted.json()).toEqual({ got: { a: [1, 2], b: 'ü' } });
      const me = await s.get('https://api.example:8443/me', { params: { q: 'x y' } });
      expect(me.json()).toMatchObject({ host: 'api.example', protocol: 'https', query: { q: 'x y' } });
    });

    it("uploads multipart that the framework's own parser reads", async () => {
      await using s = await session();
      const r = await s.post('/upload', { data: { title: 'T' }, files: file });
      expect(r.json()).toEqual({ title: 'T', name: 'notes.txt', type: 'text/plain', text: 'hello\nmultipart' });
    });

    it("answers an error with the framework's own 500", async () => {
      await using s = await session();
      const r = await s.get('/boom');
      expect(r.statusCode).toBe(500);
    });

    it('streams a body written over time: the first part is read before the rest is written', async () => {
      await using s = await session();
      const r = await s.get('/stream', { stream: true });
      const chunks = r.iterContent(null)[Symbol.asyncIterator]();
      const first = await chunks.next();
      expect(Buffer.from(first.value as Uint8Array).toString()).toBe('first\n');
      expect((await s.get('/release')).text).toBe('released');
      let rest = '';
      for (let c = await chunks.next(); !c.done; c = await chunks.next()) rest += Buffer.from(c.value as Uint8Array).toString();
      expect(rest).toBe('second\n');
    });
  });

  describe('Session, the module loaded in the transport workers', () => {
    const run = <T>(what: string, work: (s: Session) => T): T =>
      withSyncWatchdog(15_000, what, () => {
        const s = new Session({ app: specifier, timeout: 5_000 });
        try {
          return work(s);
        } finally {
          s.close();
        }
      });

    it('keeps a cookie set on a redirect and sends it to the redirect target', () => {
      run('login', (s) => {
        const r = s.get('/login');
        expect(r.history.map((h) => h.statusCode)).toEqual([302]);
        expect(r.json()).toMatchObject({ sid: `sid=${prefix}-1` });
        expect(r.connInfo?.app).toBe(specifier);
      });
    });

    it('sends JSON, multipart and gets the 500', () => {
      run('json, upload, boom', (s) => {
        expect(s.post('http://api.example/json', { json: { n: 1 } }).json()).toEqual({ got: { n: 1 } });
        expect(s.post('/upload', { data: { title: 'T' }, files: file }).json()).toMatchObject({ title: 'T', text: 'hello\nmultipart' });
        expect(s.get('/boom').statusCode).toBe(500);
      });
    });

    it('streams a body written over time', () => {
      run('stream', (s) => {
        const r = s.get('/stream', { stream: true });
        const chunks = r.iterContent(null)[Symbol.iterator]();
        expect(Buffer.from(chunks.next().value as Uint8Array).toString()).toBe('first\n');
        expect(s.get('/release').text).toBe('released');
        let rest = '';
        for (let c = chunks.next(); !c.done; c = chunks.next()) rest += Buffer.from(c.value as Uint8Array).toString();
        expect(rest).toBe('second\n');
      });
    });
  });
});
