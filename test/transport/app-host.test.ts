import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, InvalidOption, ReadTimeout, Session } from '../../dist/src/index.js';
import { withSyncWatchdog } from '../helpers/sync-watchdog.js';

// Module apps served by the transport workers for a sync Session (this thread blocks, so
// it could not run the app itself).
const bare = pathToFileURL(new URL('../fixtures/apps/bare-app.mjs', import.meta.url).pathname).href;

// Sessions share their transport workers while any is open: one held for the whole file
// spares each test the start of a new pool of workers.
let keeper: Session;
beforeAll(() => {
  keeper = new Session({ app: bare, timeout: 5_000 });
  withSyncWatchdog(15_000, 'the keeper session', () => keeper.get('/whoami'));
});
afterAll(() => keeper.close());

function withSession<T>(what: string, options: ConstructorParameters<typeof Session>[0], work: (s: Session) => T): T {
  return withSyncWatchdog(15_000, what, () => {
    const s = new Session({ timeout: 5_000, ...options });
    try {
      return work(s);
    } finally {
      s.close();
    }
  });
}

describe('a module app in the transport workers', () => {
  it('serves the default export, with any host, and says app in connInfo', () => {
    withSession('whoami', { app: bare }, (s) => {
      const r = s.get('http://api.example:81/whoami?x=1');
      expect(r.json()).toEqual({ method: 'GET', url: '/whoami?x=1', host: 'api.example:81', ip: '127.0.0.1', httpVersion: '1.1' });
      expect(r.connInfo).toMatchObject({ app: bare, destinationAddress: null });
    });
  });

  it('serves an AsyncSession too, from the workers', async () => {
    await using s = new AsyncSession({ app: `${bare}#listener`, timeout: 5_000 });
    const r = await s.get('/whoami');
    expect(r.json()).toMatchObject({ url: '/whoami', ip: '127.0.0.1' });
    expect(r.connInfo?.app).toBe(`${bare}#listener`);
  });

  it('resolves lazy responses with gather', () => {
    withSession('gather', { app: bare, multiplexed: true }, (s) => {
      const a = s.get('/whoami?a');
      const b = s.get('/nothing-here');
      expect(s.gather()).toHaveLength(2);
      expect(a.json()).toMatchObject({ url: '/whoami?a' });
      expect([b.statusCode, b.text]).toEqual([404, 'no such page']);
    });
  });

  it('ignores pools, HTTP versions, proxies and TLS options', () => {
    withSession('options', { app: `${bare}#listener`, proxies: { all: 'http://127.0.0.1:9' }, disableHttp1: true, poolMaxsize: 1, verify: false }, (s) => {
      expect(s.get('https://secure.example/whoami').json()).toMatchObject({ host: 'secure.example' });
    });
  });

  it('undoes a Content-Encoding the app applied, as for a server', () => {
    withSession('gzip', { app: bare }, (s) => {
      expect(s.get('/gzip').text).toBe('unzipped text');
    });
  });

  it('answers a throw with a 500 carrying the message; the appError hook gets the error rebuilt', () => {
    const seen: string[] = [];
    withSession('throw', { app: bare, hooks: { appError: (e: unknown, request) => seen.push(`${(e as Error).name}: ${(e as Error).message} @ ${request.url}`) } }, (s) => {
      const r = s.get('/throw?n=1');
      expect([r.statusCode, r.text]).toEqual([500, 'bare listener failed on ?n=1']);
    });
    expect(seen).toEqual(['TypeError: bare listener failed on ?n=1 @ http://localhost/throw?n=1']);
  });

  it('fails an app that never answers with the read timeout', () => {
    withSession('never', { app: bare }, (s) => {
      expect(() => s.get('/never', { timeout: 200 })).toThrow(ReadTimeout);
    });
  });

  it('says why a module cannot be served: missing, no such export, not an app', () => {
    withSession('load failures', { app: `${bare}#nope` }, (s) => {
      expect(() => s.get('/')).toThrow(/has no export named "nope" \(it exports: default, listener, notAnApp\)/);
    });
    withSession('load failures', { app: `${bare}#notAnApp` }, (s) => {
      expect(() => s.get('/')).toThrow(InvalidOption);
    });
    withSession('load failures', { app: bare.replace('bare-app', 'no-such-app') }, (s) => {
      expect(() => s.get('/')).toThrow(/Invalid option app: cannot load .*no-such-app\.mjs/);
    });
  });

  it('refuses a function or an object for a sync Session, showing the module form', () => {
    expect(() => new Session({ app: () => {} })).toThrow(InvalidOption);
    expect(() => new Session({ app: { fetch: () => new Response('') } })).toThrow(/cannot call an app given as an object.*pathToFileURL\('\.\/app\.js'\)\.href \+ '#app'/);
    expect(() => new Session({ app: 'app.js' })).toThrow(/not a module URL/);
    expect(() => new Session({ app: 42 as never })).toThrow(/neither a function/);
  });
});
