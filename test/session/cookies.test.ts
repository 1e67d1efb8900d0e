// Cookies as a user sees them, against real servers: what the session's jar keeps from
// responses (redirect hops included), what it sends where, and what stays out of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, type Response } from '../../dist/src/index.js';
import { startSemanticsServer, withClient, type Kind, type SemanticsServer } from '../helpers/semantics-server.js';

let srv: SemanticsServer;
beforeAll(async () => {
  srv = await startSemanticsServer();
});
afterAll(async () => {
  await srv.close();
});

const cookiesOf = (r: Response): Record<string, string> => (r.json() as { cookies: Record<string, string> }).cookies;
const rawCookie = (r: Response): string | null => (r.json() as { raw: string | null }).raw;
const setRaw = (...headers: string[]): string => `/cookies/set-raw?${headers.map((h) => `h=${encodeURIComponent(h)}`).join('&')}`;

describe.each(['sync', 'async'] as Kind[])('cookies (%s)', (kind) => {
  it('the session stores Set-Cookie from every redirect hop and sends them on the next hops', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/cookies/hops/3`);
      expect(cookiesOf(r)).toEqual({ hop3: '3', hop2: '2', hop1: '1' });
      // Each hop received what the earlier hops set.
      expect(r.history.map((h) => h.headers.get('x-echo-cookie') ?? null)).toEqual([null, 'hop3=3', 'hop3=3; hop2=2']);
      expect(r.history.map((h) => [...h.cookies].map((k) => k.name))).toEqual([['hop3'], ['hop2'], ['hop1']]);
      expect(c.session.cookies.toObject()).toEqual({ hop3: '3', hop2: '2', hop1: '1' });
      // ... and the next call sends them too.
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ hop3: '3', hop2: '2', hop1: '1' });
    });
  });

  it('several Set-Cookie fields of one response are all kept; r.cookies holds only what that response set', async () => {
    await withClient(kind, { cookies: { before: '0' } }, async (c) => {
      const r = await c.get(`${srv.base}/cookies/set?a=1&b=2`);
      expect(cookiesOf(r)).toEqual({ before: '0', a: '1', b: '2' });
      expect(r.cookies.size).toBe(0); // the final /cookies set nothing
      expect(r.history[0]!.cookies.toObject()).toEqual({ a: '1', b: '2' });
      expect(c.session.cookies.get('a')).toBe('1');
      expect(c.session.cookies.get('b')).toBe('2');
    });
  });

  it('sends a cookie only under its path', async () => {
    await withClient(kind, undefined, async (c) => {
      await c.get(`${srv.base}${setRaw('deep=1; Path=/cookies/deep', 'top=1; Path=/')}`);
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ top: '1' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies/deeper`))).toEqual({ top: '1' }); // not a path match
      // RFC 6265 5.4: the longer path first.
      expect(rawCookie(await c.get(`${srv.base}/cookies/deep/x`))).toBe('deep=1; top=1');
    });
  });

  it('sends a cookie only to the host that set it (host-only), whatever the port', async () => {
    await withClient(kind, undefined, async (c) => {
      const otherPortNum = new URL(srv.otherHost).port;
      // Set by localhost (the other server) ...
      await c.get(`${srv.otherHost}${setRaw('from_localhost=1; Path=/')}`);
      // ... sent to localhost on another port, not to 127.0.0.1.
      expect(cookiesOf(await c.get(`http://localhost:${srv.port}/cookies`))).toEqual({ from_localhost: '1' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({});
      expect(cookiesOf(await c.get(`http://127.0.0.1:${otherPortNum}/cookies`))).toEqual({});
      expect(c.session.cookies.get('from_localhost', { domain: 'localhost' })).toBe('1');
    });
  });

  it('a cookie set by a hop is not sent to another host the redirect leads to', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}${setRaw('mine=1; Path=/')}&redirect=${encodeURIComponent(`${srv.otherHost}/cookies`)}`);
      expect(r.headers.get('x-server')).toBe('other');
      expect(cookiesOf(r)).toEqual({});
      expect(c.session.cookies.get('mine', { domain: '127.0.0.1' })).toBe('1');
    });
  });

  it('a plain-http response cannot set a Secure cookie', async () => {
    await withClient(kind, undefined, async (c) => {
      await c.get(`${srv.base}${setRaw('sec=1; Path=/; Secure', 'plain=1; Path=/')}`);
      expect(c.session.cookies.toObject()).toEqual({ plain: '1' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ plain: '1' });
    });
  });

  it('per-request cookies go with every hop of that call and are not stored; what servers set still is', async () => {
    await withClient(kind, { cookies: { shared: 'session', keep: 'yes' } }, async (c) => {
      const r = await c.get(`${srv.base}/cookies/hops/2`, { cookies: { once: 'yes', shared: 'request' } });
      expect(r.history.map((h) => h.headers.get('x-echo-cookie'))).toEqual([
        expect.stringMatching(/^(?=.*once=yes)(?=.*shared=request)(?=.*keep=yes)/),
        expect.stringMatching(/^(?=.*once=yes)(?=.*shared=request)(?=.*hop2=2)/),
      ]);
      expect(cookiesOf(r)).toEqual({ keep: 'yes', shared: 'request', once: 'yes', hop2: '2', hop1: '1' });
      expect(c.session.cookies.get('once')).toBeUndefined();
      expect(c.session.cookies.get('shared')).toBe('session');
      expect(c.session.cookies.get('hop2')).toBe('2');
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ shared: 'session', keep: 'yes', hop2: '2', hop1: '1' });
    });
  });

  it('an expired Set-Cookie (Max-Age=0 or a past Expires) deletes the stored cookie', async () => {
    await withClient(kind, undefined, async (c) => {
      await c.get(`${srv.base}/cookies/set?a=1&b=2&c=3`);
      const r = await c.get(`${srv.base}/cookies/delete?a`);
      expect(cookiesOf(r)).toEqual({ b: '2', c: '3' });
      expect(c.session.cookies.get('a')).toBeUndefined();
      await c.get(`${srv.base}${setRaw('b=gone; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT')}`);
      expect(c.session.cookies.toObject()).toEqual({ c: '3' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ c: '3' });
    });
  });

  it('a server cannot delete a cookie that was set by hand for any host', async () => {
    await withClient(kind, undefined, async (c) => {
      c.session.cookies.set('hand', 'made');
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ hand: 'made' });
      await c.get(`${srv.base}/cookies/delete?hand`);
      expect(c.session.cookies.get('hand')).toBe('made');
      expect(cookiesOf(await c.get(`${srv.otherHost}/cookies`))).toEqual({ hand: 'made' });
    });
  });

  it('a cookie with Max-Age expires on time', async () => {
    await withClient(kind, undefined, async (c) => {
      await c.get(`${srv.base}${setRaw('brief=1; Path=/; Max-Age=1', 'long=1; Path=/; Max-Age=3600')}`);
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ brief: '1', long: '1' });
      await new Promise((r) => setTimeout(r, 1300));
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ long: '1' });
    });
  });

  it('allowIncomingCookies: false fills r.cookies but leaves session.cookies alone', async () => {
    await withClient(kind, { allowIncomingCookies: false, cookies: { pre: '1' } }, async (c) => {
      const hop = await c.get(`${srv.base}/cookies/set?k=v`, { allowRedirects: false });
      expect(hop.cookies.get('k')).toBe('v');
      const r = await c.get(`${srv.base}/cookies/hops/2`);
      expect(r.history.map((h) => h.cookies.toObject())).toEqual([{ hop2: '2' }, { hop1: '1' }]);
      expect(c.session.cookies.toObject()).toEqual({ pre: '1' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ pre: '1' });
    });
  });

  it('the session jar can be replaced and changed between requests', async () => {
    await withClient(kind, undefined, async (c) => {
      c.session.cookies = CookieJar.from({ replaced: '1' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ replaced: '1' });
      c.session.cookies.set('scoped', '2', { domain: 'localhost' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies`))).toEqual({ replaced: '1' });
      expect(cookiesOf(await c.get(`${srv.otherHost}/cookies`))).toEqual({ replaced: '1', scoped: '2' });
    });
  });

  it('a cookie value keeps its quotes and characters', async () => {
    await withClient(kind, undefined, async (c) => {
      await c.get(`${srv.base}${setRaw('q="a b"; Path=/', 'eq=x=y; Path=/')}`);
      expect(rawCookie(await c.get(`${srv.base}/cookies`))).toBe('q="a b"; eq=x=y');
    });
  });

  it('a Domain cookie goes to that domain and its subdomains; a foreign Domain is refused (names resolved in memory)', async () => {
    const hosts = ['a.example.test', 'b.example.test', 'example.test', 'other.test'].map((h) => `${h}:127.0.0.1`).join(',');
    await withClient(kind, { resolver: `in-memory://default/?hosts=${hosts}` }, async (c) => {
      const at = (host: string, p: string) => `http://${host}:${srv.port}${p}`;
      await c.get(at('a.example.test', setRaw('dom=1; Domain=example.test; Path=/', 'hostonly=1; Path=/', 'evil=1; Domain=other.test; Path=/')));
      expect(cookiesOf(await c.get(at('a.example.test', '/cookies')))).toEqual({ dom: '1', hostonly: '1' });
      expect(cookiesOf(await c.get(at('b.example.test', '/cookies')))).toEqual({ dom: '1' });
      expect(cookiesOf(await c.get(at('example.test', '/cookies')))).toEqual({ dom: '1' });
      expect(cookiesOf(await c.get(at('other.test', '/cookies')))).toEqual({});
      expect(c.session.cookies.get('evil')).toBeUndefined();
    });
  });

  it('a session built on a CookieJar fills that same jar', async () => {
    const jar = CookieJar.from({ given: '1' });
    await withClient(kind, { cookies: jar }, async (c) => {
      await c.get(`${srv.base}/cookies/set?from_server=2`);
      expect(jar.get('from_server')).toBe('2');
      expect(c.session.cookies).toBe(jar);
    });
  });

  it('per-request cookies may be a CookieJar, scoped by its domains', async () => {
    await withClient(kind, undefined, async (c) => {
      const jar = new CookieJar().set('here', '1', { domain: '127.0.0.1' }).set('there', '1', { domain: 'example.com' });
      expect(cookiesOf(await c.get(`${srv.base}/cookies`, { cookies: jar }))).toEqual({ here: '1' });
      expect(c.session.cookies.size).toBe(0);
    });
  });

  it('a Cookie header given in headers is sent when the jar has nothing for this host', async () => {
    await withClient(kind, undefined, async (c) => {
      expect(rawCookie(await c.get(`${srv.base}/cookies`, { headers: { Cookie: 'manual=1' } }))).toBe('manual=1');
      // The jar now holds a cookie, but for another host only.
      c.session.cookies.set('elsewhere', '1', { domain: 'example.com' });
      expect(rawCookie(await c.get(`${srv.base}/cookies`, { headers: { Cookie: 'manual=1' } }))).toBe('manual=1');
    });
  });

  it('a Cookie header given in headers wins over the jar, as in Requests', async () => {
    await withClient(kind, { cookies: { jar: '1' } }, async (c) => {
      expect(rawCookie(await c.get(`${srv.base}/cookies`, { headers: { Cookie: 'manual=1' } }))).toBe('manual=1');
    });
  });
});
