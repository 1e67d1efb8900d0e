// Redirects as a user sees them, against real servers: which are followed, with which
// method and body, what history and url say, when credentials stay behind.
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncSession, InvalidSchema, InvalidURL, RequestException, StreamConsumedError, TooManyRedirects, type Response,
} from '../../dist/src/index.js';
import { makePki, type TestPki } from '../helpers/certs.js';
import { echoOf, makeClient, rejection, startSemanticsServer, withClient, type Kind, type SemanticsServer } from '../helpers/semantics-server.js';

let srv: SemanticsServer;
let pki: TestPki;
beforeAll(async () => {
  // An https server too, for the scheme changes.
  pki = makePki();
  srv = await startSemanticsServer({ certPath: join(pki.dir, 'server.pem'), keyPath: join(pki.dir, 'server.key') });
});
afterAll(async () => {
  await srv.close();
});

const to = (location: string, status = 302): string => `/redirect-to?url=${encodeURIComponent(location)}&status_code=${status}`;

describe.each(['sync', 'async'] as Kind[])('redirects (%s)', (kind) => {
  it('are followed for GET, POST, PUT, PATCH, DELETE and OPTIONS', async () => {
    await withClient(kind, undefined, async (c) => {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const r = await c.request(method, `${srv.base}${to('/anything', 307)}`);
        expect([method, r.statusCode, r.history.length, echoOf(r).method]).toEqual([method, 200, 1, method]);
      }
    });
  });

  it('HEAD is not followed unless allowRedirects: true', async () => {
    await withClient(kind, undefined, async (c) => {
      const stay = await c.request('HEAD', `${srv.base}/redirect/2`);
      expect(stay.statusCode).toBe(302);
      expect(stay.headers.get('location')).toBe('/redirect/1');
      expect(stay.history).toEqual([]);
      const follow = await c.request('HEAD', `${srv.base}/redirect/2`, { allowRedirects: true });
      expect(follow.statusCode).toBe(200);
      expect(follow.history.map((h) => h.statusCode)).toEqual([302, 302]);
      expect(follow.headers.get('x-echo-method')).toBe('HEAD');
      expect(follow.url).toBe(`${srv.base}/get`);
    });
  });

  it('allowRedirects: false returns the redirect itself for any verb', async () => {
    await withClient(kind, undefined, async (c) => {
      for (const method of ['GET', 'POST']) {
        const r = await c.request(method, `${srv.base}${to('/anything', 301)}`, { allowRedirects: false });
        expect([r.statusCode, r.history.length, r.headers.get('location')]).toEqual([301, 0, '/anything']);
      }
    });
  });

  it('301, 302 and 303 turn POST into GET and drop the body and its headers', async () => {
    await withClient(kind, undefined, async (c) => {
      for (const status of [301, 302, 303]) {
        const r = await c.post(`${srv.base}${to('/anything', status)}`, { data: { field: 'value' } });
        const e = echoOf(r);
        expect({ status, method: e.method, body: e.body }).toEqual({ status, method: 'GET', body: '' });
        expect({ status, type: e.headers['content-type'], length: e.headers['content-length'], te: e.headers['transfer-encoding'] })
          .toEqual({ status, type: undefined, length: undefined, te: undefined });
        // The hop itself was a POST with the body.
        expect(r.history[0]!.headers.get('x-echo-method')).toBe('POST');
        expect(r.request.method).toBe('GET');
        expect(r.request.body).toBeNull();
      }
    });
  });

  it('302 and 303 turn PUT into GET too (as Requests does), 301 keeps it; HEAD stays a HEAD', async () => {
    await withClient(kind, undefined, async (c) => {
      expect(echoOf(await c.request('PUT', `${srv.base}${to('/anything', 303)}`, { data: 'x' })).method).toBe('GET');
      const put302 = echoOf(await c.request('PUT', `${srv.base}${to('/anything', 302)}`, { data: 'x' }));
      expect([put302.method, put302.body]).toEqual(['GET', '']);
      const put301 = echoOf(await c.request('PUT', `${srv.base}${to('/anything', 301)}`, { data: 'x' }));
      expect([put301.method, put301.body]).toEqual(['PUT', 'x']);
      const head = await c.request('HEAD', `${srv.base}${to('/anything', 303)}`, { allowRedirects: true });
      expect(head.headers.get('x-echo-method')).toBe('HEAD');
    });
  });

  it('307 and 308 keep the method, the body and its Content-Type', async () => {
    await withClient(kind, undefined, async (c) => {
      for (const status of [307, 308]) {
        for (const method of ['POST', 'PUT', 'PATCH']) {
          const r = await c.request(method, `${srv.base}${to('/anything', status)}`, { json: { status, method } });
          const e = echoOf(r);
          expect([status, e.method, e.body, e.headers['content-type'], e.headers['content-length']])
            .toEqual([status, method, JSON.stringify({ status, method }), 'application/json', String(JSON.stringify({ status, method }).length)]);
        }
      }
    });
  });

  it('a bytes body of 1 MiB is sent again, intact, after a 307', async () => {
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 13) % 256;
    const { createHash } = await import('node:crypto');
    await withClient(kind, undefined, async (c) => {
      const e = echoOf(await c.post(`${srv.base}${to('/anything', 307)}`, { data: body }));
      expect([e.bodyLength, e.sha256]).toEqual([body.length, createHash('sha256').update(body).digest('hex')]);
    });
  });

  it('history is oldest first, each hop with its own url, status and body; the final url is the last', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/redirect/3`);
      expect(r.statusCode).toBe(200);
      expect(r.url).toBe(`${srv.base}/get`);
      expect(r.history.map((h) => [h.statusCode, h.url])).toEqual([
        [302, `${srv.base}/redirect/3`],
        [302, `${srv.base}/redirect/2`],
        [302, `${srv.base}/redirect/1`],
      ]);
      expect(r.history.map((h) => h.headers.get('x-echo-url'))).toEqual(['/redirect/3', '/redirect/2', '/redirect/1']);
      expect((r.history[0] as Response).text).toBe('redirecting');
      expect(r.history[2]!.request.url).toBe(`${srv.base}/redirect/1`);
    });
  });

  it('follows absolute Locations and every form of relative one', async () => {
    await withClient(kind, undefined, async (c) => {
      const abs = await c.get(`${srv.base}/absolute-redirect/2`);
      expect([abs.url, abs.history.length]).toEqual([`${srv.base}/get`, 2]);
      // "2", then "../get": relative to the current path.
      const rel = await c.get(`${srv.base}/relative-redirect/3`);
      expect(rel.history.map((h) => h.url)).toEqual([
        `${srv.base}/relative-redirect/3`,
        `${srv.base}/relative-redirect/2`,
        `${srv.base}/relative-redirect/1`,
      ]);
      expect(rel.url).toBe(`${srv.base}/get`);
      // A sibling of /redirect-to, a query-only reference, and a scheme-relative one.
      expect(echoOf(await c.get(`${srv.base}${to('anything/x?y=1')}`)).url).toBe('/anything/x?y=1');
      expect(echoOf(await c.get(`${srv.base}${to('?url=/anything/q')}`)).url).toBe('/anything/q');
      const schemeRelative = await c.get(`${srv.base}${to(`//localhost:${new URL(srv.otherHost).port}/anything`)}`);
      expect([echoOf(schemeRelative).server, schemeRelative.url]).toEqual(['other', `${srv.otherHost}/anything`]);
    });
  });

  it('reads a Location sent as raw UTF-8 and sends it percent-encoded', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/redirect-to?utf8=1&url=${encodeURIComponent('/anything/café')}`);
      expect(echoOf(r).url).toBe('/anything/caf%C3%A9');
      expect(r.url).toBe(`${srv.base}/anything/caf%C3%A9`);
    });
  });

  it('the fragment is carried to the final url unless a Location brings its own; it never goes on the wire', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/redirect/2#section`);
      expect(r.url).toBe(`${srv.base}/get#section`);
      expect(r.history.map((h) => h.url)).toEqual([`${srv.base}/redirect/2#section`, `${srv.base}/redirect/1#section`]);
      expect(echoOf(r).url).toBe('/get');
      expect(r.history.map((h) => h.headers.get('x-echo-url'))).toEqual(['/redirect/2', '/redirect/1']);
      const own = await c.get(`${srv.base}${to('/anything#theirs')}#mine`);
      expect(own.url).toBe(`${srv.base}/anything#theirs`);
      expect(echoOf(own).url).toBe('/anything');
    });
  });

  it('maxRedirects hops are followed; one more gives TooManyRedirects carrying the last response', async () => {
    await withClient(kind, { maxRedirects: 2 }, async (c) => {
      expect((await c.get(`${srv.base}/redirect/2`)).statusCode).toBe(200);
      const e = await rejection(c.get(`${srv.base}/redirect/4`));
      expect(e).toBeInstanceOf(TooManyRedirects);
      expect(e.message).toMatch(/2 redirects/);
      const last = e.response as Response;
      expect(last.statusCode).toBe(302);
      expect(last.url).toBe(`${srv.base}/redirect/2`);
      expect(last.headers.get('location')).toBe('/redirect/1');
      expect(last.history.map((h) => h.url)).toEqual([`${srv.base}/redirect/4`, `${srv.base}/redirect/3`]);
      expect(e.request.url).toBe(`${srv.base}/redirect/2`);
    });
  });

  it('the session maxRedirects is mutable; 0 refuses any redirect; the default follows 30', async () => {
    await withClient(kind, undefined, async (c) => {
      expect((await c.get(`${srv.base}/redirect/30`)).history).toHaveLength(30);
      expect(await rejection(c.get(`${srv.base}/redirect/31`))).toBeInstanceOf(TooManyRedirects);
      c.session.maxRedirects = 0;
      expect(await rejection(c.get(`${srv.base}/redirect/1`))).toBeInstanceOf(TooManyRedirects);
      expect((await c.get(`${srv.base}/get`)).statusCode).toBe(200);
    });
  });

  it('a 3xx without Location is the response', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/redirect-no-location/302`);
      expect([r.statusCode, r.history.length, r.text]).toEqual([302, 0, 'no location']);
    });
  });

  it('Authorization is kept on the same host, dropped on a host change', async () => {
    await withClient(kind, { auth: ['user', 'pass'] }, async (c) => {
      const basic = `Basic ${Buffer.from('user:pass').toString('base64')}`;
      const same = await c.get(`${srv.base}${to('/anything')}`);
      expect(echoOf(same).headers.authorization).toBe(basic);
      const away = await c.get(`${srv.base}${to(`${srv.otherHost}/anything`)}`);
      expect(away.history[0]!.headers.get('x-echo-authorization')).toBe(basic);
      expect(echoOf(away).server).toBe('other');
      expect(echoOf(away).headers.authorization).toBeUndefined();
    });
  });

  it('Authorization is dropped on a port change of the same host', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}${to(`${srv.otherPort}/anything`)}`, { auth: 'secret-token' });
      expect(r.history[0]!.headers.get('x-echo-authorization')).toBe('Bearer secret-token');
      expect(echoOf(r).server).toBe('other');
      expect(echoOf(r).headers.authorization).toBeUndefined();
    });
  });

  it('Authorization is dropped going from https to http, and from http to https on other than the default ports', async () => {
    await withClient(kind, { verify: pki.caPath, auth: ['user', 'pass'] }, async (c) => {
      const down = await c.get(`${srv.tls}${to(`${srv.base}/anything`)}`);
      expect(down.history[0]!.headers.get('x-server')).toBe('tls');
      expect(down.history[0]!.headers.get('x-echo-authorization')).toMatch(/^Basic /);
      expect([echoOf(down).server, echoOf(down).headers.authorization]).toEqual(['main', undefined]);
      const up = await c.get(`${srv.base}${to(`${srv.tls}/anything`)}`);
      expect([echoOf(up).server, echoOf(up).headers.authorization]).toEqual(['tls', undefined]);
      // Same scheme, same host and port: kept.
      const same = await c.get(`${srv.tls}${to('/anything')}`);
      expect(echoOf(same).headers.authorization).toMatch(/^Basic /);
    });
  });

  it('a Secure cookie set over https is not sent after a redirect to http', async () => {
    await withClient(kind, { verify: pki.caPath }, async (c) => {
      const set = `/cookies/set-raw?h=${encodeURIComponent('sec=1; Path=/; Secure')}&h=${encodeURIComponent('plain=1; Path=/')}`;
      const r = await c.get(`${srv.tls}${set}&redirect=${encodeURIComponent(`${srv.base}/cookies`)}`);
      expect(r.headers.get('x-server')).toBe('main');
      expect((r.json() as { cookies: Record<string, string> }).cookies).toEqual({ plain: '1' });
      expect((await c.get(`${srv.tls}/cookies`)).headers.get('x-echo-cookie')).toBe('sec=1; plain=1');
    });
  });

  it('an Authorization header given in headers is dropped off-host too, and does not come back on a redirect home', async () => {
    await withClient(kind, undefined, async (c) => {
      const back = `${srv.base}/anything`;
      const r = await c.get(`${srv.base}${to(`${srv.otherHost}${to(back)}`)}`, { headers: { Authorization: 'Custom abc' } });
      expect(r.history.map((h) => h.headers.get('x-echo-authorization') ?? null)).toEqual(['Custom abc', null]);
      expect(echoOf(r).headers.authorization).toBeUndefined();
    });
  });

  it('Proxy-Authorization never follows a redirect: not to another host, port or scheme, nor on the same origin', async () => {
    await withClient(kind, { verify: pki.caPath }, async (c) => {
      const headers = { 'Proxy-Authorization': 'Basic cHJveHk6c2VjcmV0' };
      expect(echoOf(await c.get(`${srv.base}/anything`, { headers })).headers['proxy-authorization']).toBe(headers['Proxy-Authorization']);
      for (const target of [`${srv.otherHost}/anything`, `${srv.otherPort}/anything`, '/anything']) {
        const r = await c.get(`${srv.base}${to(target)}`, { headers });
        expect([target, echoOf(r).headers['proxy-authorization']]).toEqual([target, undefined]);
      }
      const down = await c.get(`${srv.tls}${to(`${srv.base}/anything`)}`, { headers });
      expect([echoOf(down).server, echoOf(down).headers['proxy-authorization']]).toEqual(['main', undefined]);
    });
  });

  it('sensitiveHeaders (session and request) are dropped off-origin like Authorization, kept on the same origin', async () => {
    await withClient(kind, { sensitiveHeaders: ['X-Api-Key'] }, async (c) => {
      const headers = { 'X-Api-Key': 'k1', 'X-Session-Token': 't1', 'X-Other': 'o' };
      const away = await c.get(`${srv.base}${to(`${srv.otherHost}/anything`)}`, { headers, sensitiveHeaders: ['x-session-token'] });
      expect(echoOf(away).server).toBe('other');
      const seen = echoOf(away).headers;
      expect([seen['x-api-key'], seen['x-session-token'], seen['x-other']]).toEqual([undefined, undefined, 'o']);
      const port = echoOf(await c.get(`${srv.base}${to(`${srv.otherPort}/anything`)}`, { headers })).headers;
      expect([port['x-api-key'], port['x-session-token']]).toEqual([undefined, 't1']);
      const same = echoOf(await c.get(`${srv.base}${to('/anything')}`, { headers, sensitiveHeaders: ['X-Session-Token'] })).headers;
      expect([same['x-api-key'], same['x-session-token']]).toEqual(['k1', 't1']);
    });
    expect(() => makeClient(kind, { sensitiveHeaders: 'X-Api-Key' as unknown as string[] })).toThrow(/sensitiveHeaders: "X-Api-Key"; expected a list of header names/);
  });

  it('a Location that is not a URL fails with InvalidURL naming it, not a TypeError', async () => {
    await withClient(kind, undefined, async (c) => {
      for (const location of ['http://exa mple.com/', 'http://[::1/']) {
        const e = await rejection(c.get(`${srv.base}${to(location)}`));
        expect(e, location).toBeInstanceOf(RequestException);
        expect(e, location).toBeInstanceOf(InvalidURL);
        expect(e.message).toContain(location);
      }
      expect((await c.get(`${srv.base}/get`)).statusCode).toBe(200);
    });
  });

  it('a Location with a scheme nodequests does not speak fails with InvalidSchema, and the session carries on', async () => {
    await withClient(kind, undefined, async (c) => {
      for (const location of ['ftp://example.com/file', 'mailto:someone@example.com']) {
        const e = await rejection(c.get(`${srv.base}${to(location)}`));
        expect(e, location).toBeInstanceOf(InvalidSchema);
        expect(e.message).toContain(location.split(':')[0]);
      }
      expect((await c.get(`${srv.base}/get`)).statusCode).toBe(200);
    });
  });

});

describe('a hostile redirect does not hurt other requests (async)', () => {
  it('a redirect to ftp:// does not fail a request in flight on the same worker', async () => {
    await using s = new AsyncSession({ workers: 1 });
    const slow = s.get(`${srv.base}/delay/600`);
    await new Promise((r) => setTimeout(r, 100));
    await rejection(s.get(`${srv.base}${to('ftp://example.com/file')}`));
    expect((await slow).statusCode).toBe(200);
  });
});

describe('redirects with one-shot bodies (async)', () => {
  it('a one-shot stream on 307 fails with StreamConsumedError naming the redirect', async () => {
    await using s = new AsyncSession();
    for (const status of [307, 308]) {
      const body = Readable.from([Buffer.from('only '), Buffer.from('once')]);
      const e = await rejection(s.post(`${srv.base}${to('/anything', status)}`, { data: body }));
      expect(e).toBeInstanceOf(StreamConsumedError);
      expect(e.message).toContain(String(status));
      expect(e.message).toContain(`${srv.base}/anything`);
    }
  });

  it('stream: true follows redirects and streams the final body', async () => {
    await using s = new AsyncSession();
    const r = await s.get(`${srv.base}/redirect-to?url=${encodeURIComponent('/bytes/200000')}`, { stream: true });
    expect([r.statusCode, r.history.length, (r.history[0] as Response).text]).toEqual([200, 1, 'redirecting']);
    let n = 0;
    for await (const chunk of await r.iterContent(65536)) n += chunk.length;
    expect(n).toBe(200000);
  });

  it('a 307 with a Blob body sends it again', async () => {
    await using s = new AsyncSession();
    const r = await s.post(`${srv.base}${to('/anything', 307)}`, { data: new Blob(['blob body'], { type: 'text/plain' }) });
    expect([echoOf(r).method, echoOf(r).body, echoOf(r).headers['content-type']]).toEqual(['POST', 'blob body', 'text/plain']);
  });

  it('an async generator body on 303 is dropped, so the redirect is followed', async () => {
    await using s = new AsyncSession();
    async function* gen() {
      yield Buffer.from('streamed');
    }
    const r = await s.post(`${srv.base}${to('/anything', 303)}`, { data: gen() });
    expect(r.history[0]!.headers.get('x-echo-method')).toBe('POST');
    expect([echoOf(r).method, echoOf(r).body]).toEqual(['GET', '']);
  });
});
