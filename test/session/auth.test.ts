// Authentication as a user sees it, against real servers: Basic, Bearer, custom schemes,
// Digest against a route that checks the answer for real, URL credentials and .netrc.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncSession, HTTPBasicAuth, HTTPDigestAuth, StreamConsumedError, type PreparedRequest, type Response,
} from '../../dist/src/index.js';
import { startSemanticsServer, uid, withClient, type Kind, type SemanticsServer } from '../helpers/semantics-server.js';

let srv: SemanticsServer;
let dir: string;
const savedNetrc = process.env.NETRC;
beforeAll(async () => {
  srv = await startSemanticsServer();
  dir = mkdtempSync(join(tmpdir(), 'nq-auth-'));
  // No netrc unless a test writes one: the machine's own ~/.netrc must not leak in.
  process.env.NETRC = join(dir, 'none');
});
afterAll(async () => {
  if (savedNetrc === undefined) delete process.env.NETRC;
  else process.env.NETRC = savedNetrc;
  rmSync(dir, { recursive: true, force: true });
  await srv.close();
});

const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
const authz = (r: Response): string | undefined => r.headers.get('x-echo-authorization');
type DigestBody = { authenticated: boolean; user: string; nc: string; body: string; headers: Record<string, string> };

/** Runs fn with NETRC pointing at a file holding `text`. */
async function withNetrc<T>(text: string, fn: (file: string) => Promise<T>): Promise<T> {
  const file = join(dir, `netrc-${uid('n')}`);
  writeFileSync(file, text);
  const before = process.env.NETRC;
  process.env.NETRC = file;
  try {
    return await fn(file);
  } finally {
    process.env.NETRC = before;
  }
}

describe.each(['sync', 'async'] as Kind[])('auth (%s)', (kind) => {
  it('[user, password] is Basic: 401 without, 200 with, 401 with a wrong password', async () => {
    await withClient(kind, undefined, async (c) => {
      expect((await c.get(`${srv.base}/basic-auth/user/passwd`)).statusCode).toBe(401);
      const ok = await c.get(`${srv.base}/basic-auth/user/passwd`, { auth: ['user', 'passwd'] });
      expect([ok.statusCode, ok.json()]).toEqual([200, { authenticated: true, user: 'user' }]);
      expect((await c.get(`${srv.base}/basic-auth/user/passwd`, { auth: ['user', 'nope'] })).statusCode).toBe(401);
      expect((await c.get(`${srv.base}/basic-auth/user/passwd`, { auth: new HTTPBasicAuth('user', 'passwd') })).statusCode).toBe(200);
    });
  });

  it('Basic sends user and password as UTF-8', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/anything`, { auth: ['usér', 'pässwörd'] });
      expect(authz(r)).toBe(`Basic ${Buffer.from('usér:pässwörd', 'utf8').toString('base64')}`);
    });
  });

  it('a string is a Bearer token', async () => {
    await withClient(kind, undefined, async (c) => {
      expect((await c.get(`${srv.base}/bearer`)).statusCode).toBe(401);
      const r = await c.get(`${srv.base}/bearer`, { auth: 'abc.def.ghi' });
      expect([r.statusCode, r.json()]).toEqual([200, { authenticated: true, token: 'abc.def.ghi' }]);
    });
  });

  it('a custom scheme: an object with apply(request) adds what it wants', async () => {
    await withClient(kind, undefined, async (c) => {
      const seen: string[] = [];
      const signer = {
        apply(r: PreparedRequest): PreparedRequest {
          seen.push(`${r.method} ${r.url}`);
          r.headers.set('X-Signature', `sig(${r.method} ${new URL(r.url).pathname})`);
          return r;
        },
      };
      const r = await c.post(`${srv.base}/anything/signed`, { auth: signer, data: 'x' });
      expect((r.json() as { headers: Record<string, string> }).headers['x-signature']).toBe('sig(POST /anything/signed)');
      expect(seen).toEqual([`POST ${srv.base}/anything/signed`]);
    });
  });

  it('HTTPDigestAuth answers the real challenge: 401 without, 200 with, 401 with a wrong password', async () => {
    await withClient(kind, undefined, async (c) => {
      const url = `${srv.base}/digest-auth/auth/user/passwd`;
      const without = await c.get(url);
      expect(without.statusCode).toBe(401);
      expect(without.headers.get('www-authenticate')).toMatch(/^Digest realm=/);
      const r = await c.get(url, { auth: new HTTPDigestAuth('user', 'passwd') });
      expect(r.statusCode).toBe(200);
      expect((r.json() as DigestBody).authenticated).toBe(true);
      // The challenge answered on the way is in the history, as in Requests.
      expect(r.history.map((h) => h.statusCode)).toEqual([401]);
      expect(r.history[0]!.headers.get('www-authenticate')).toMatch(/^Digest /);
      const wrong = await c.get(url, { auth: new HTTPDigestAuth('user', 'wrong') });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers.get('x-digest-failure')).toBe('wrong response hash');
    });
  });

  it('Digest signs the query string too, and SHA-256', async () => {
    await withClient(kind, undefined, async (c) => {
      const q = await c.get(`${srv.base}/digest-auth/auth/u/p?a=1&b=two`, { auth: new HTTPDigestAuth('u', 'p') });
      expect(q.statusCode).toBe(200);
      const sha = await c.get(`${srv.base}/digest-auth/auth/u/p/SHA-256`, { auth: new HTTPDigestAuth('u', 'p') });
      expect(sha.statusCode).toBe(200);
    });
  });

  it('Digest resends a bytes body intact after the challenge', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.post(`${srv.base}/digest-auth/auth/u/p`, { auth: new HTTPDigestAuth('u', 'p'), json: { payload: 'é'.repeat(100) } });
      expect(r.statusCode).toBe(200);
      const got = r.json() as DigestBody;
      expect(JSON.parse(got.body)).toEqual({ payload: 'é'.repeat(100) });
      expect(got.headers['content-type']).toBe('application/json');
    });
  });

  it('Digest reuses the nonce on the next request: no second 401, the nonce count goes up', async () => {
    await withClient(kind, undefined, async (c) => {
      const id = uid('digest');
      const auth = new HTTPDigestAuth('u', 'p');
      const first = await c.get(`${srv.base}/digest-auth/auth/u/p?count=${id}`, { auth });
      expect([first.statusCode, (first.json() as DigestBody).nc]).toEqual([200, '00000001']);
      expect(await srv.count(id)).toBe(2); // the challenge, then the answer
      const second = await c.get(`${srv.base}/digest-auth/auth/u/p?count=${id}`, { auth });
      expect([second.statusCode, (second.json() as DigestBody).nc]).toEqual([200, '00000002']);
      expect(await srv.count(id)).toBe(3); // one more request, answered up front
    });
  });

  it('Digest as the session auth; a cookie the challenge sets goes back with the answer', async () => {
    await withClient(kind, { auth: new HTTPDigestAuth('u', 'p') }, async (c) => {
      expect((await c.get(`${srv.base}/digest-auth/auth/u/p?cookie=1`)).statusCode).toBe(200);
    });
    await withClient(kind, { auth: new HTTPDigestAuth('u', 'p'), allowIncomingCookies: false }, async (c) => {
      expect((await c.get(`${srv.base}/digest-auth/auth/u/p?cookie=1`)).statusCode).toBe(200);
      expect(c.session.cookies.size).toBe(0);
    });
  });

  it('Digest answers a challenge met after a same-host redirect', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/redirect-to?url=${encodeURIComponent('/digest-auth/auth/u/p')}`, { auth: new HTTPDigestAuth('u', 'p') });
      expect([r.statusCode, r.history.map((h) => h.statusCode)]).toEqual([200, [302, 401]]);
    });
  });

  it('credentials in the URL become Basic auth, percent-decoded, and do not stay in r.url', async () => {
    await withClient(kind, undefined, async (c) => {
      const url = srv.base.replace('http://', 'http://us%40er:p%3Ass%20w@') + '/basic-auth/us@er/p:ss w';
      const r = await c.get(url);
      expect(r.statusCode).toBe(200);
      expect(authz(r)).toBe(basic('us@er', 'p:ss w'));
      expect(r.url).toBe(`${srv.base}/basic-auth/us@er/p:ss%20w`);
      expect(r.request.url).not.toContain('p%3Ass');
    });
  });

  it('auth= wins over the session auth, over URL credentials and over an Authorization header', async () => {
    await withClient(kind, { auth: ['session', 'pw'] }, async (c) => {
      expect(authz(await c.get(`${srv.base}/anything`))).toBe(basic('session', 'pw'));
      expect(authz(await c.get(`${srv.base}/anything`, { auth: ['request', 'pw'] }))).toBe(basic('request', 'pw'));
      expect(authz(await c.get(`${srv.base}/anything`, { auth: 'tok', headers: { Authorization: 'Custom x' } }))).toBe('Bearer tok');
      const inUrl = srv.base.replace('http://', 'http://url:pw@') + '/anything';
      expect(authz(await c.get(inUrl, { auth: ['request', 'pw'] }))).toBe(basic('request', 'pw'));
    });
  });

  it('auth: null sends no credentials even when the session has some; the session auth is mutable', async () => {
    await withClient(kind, { auth: ['session', 'pw'] }, async (c) => {
      expect(authz(await c.get(`${srv.base}/anything`, { auth: null }))).toBeUndefined();
      c.session.auth = 'new-token';
      expect(authz(await c.get(`${srv.base}/anything`))).toBe('Bearer new-token');
      c.session.auth = null;
      expect(authz(await c.get(`${srv.base}/anything`))).toBeUndefined();
      expect(authz(await c.get(`${srv.base}/anything`, { headers: { Authorization: 'Custom mine' } }))).toBe('Custom mine');
    });
  });

  it('.netrc (via NETRC) supplies Basic credentials for its machine, and the default entry for others', async () => {
    await withNetrc('machine 127.0.0.1 login nu password np\ndefault login du password dp\n', async () => {
      await withClient(kind, undefined, async (c) => {
        const r = await c.get(`${srv.base}/basic-auth/nu/np`);
        expect(r.statusCode).toBe(200);
        expect(authz(await c.get(`${srv.otherHost}/anything`))).toBe(basic('du', 'dp'));
        // auth= and the session's auth come first.
        expect(authz(await c.get(`${srv.base}/anything`, { auth: 'tok' }))).toBe('Bearer tok');
      });
      await withClient(kind, { auth: ['session', 'pw'] }, async (c) => {
        expect(authz(await c.get(`${srv.base}/anything`))).toBe(basic('session', 'pw'));
      });
    });
  });

  it('.netrc overrides an Authorization given in headers (Niquests documents this order)', async () => {
    await withNetrc('machine 127.0.0.1 login nu password np\n', async () => {
      await withClient(kind, undefined, async (c) => {
        expect(authz(await c.get(`${srv.base}/anything`, { headers: { Authorization: 'Custom header' } }))).toBe(basic('nu', 'np'));
      });
    });
  });

  it('after a redirect to another host, that host\'s .netrc entry applies (Requests rebuild_auth)', async () => {
    await withNetrc('machine 127.0.0.1 login here password 1\nmachine localhost login there password 2\n', async () => {
      await withClient(kind, undefined, async (c) => {
        const r = await c.get(`${srv.base}/redirect-to?url=${encodeURIComponent(`${srv.otherHost}/anything`)}`);
        expect(r.history[0]!.headers.get('x-echo-authorization')).toBe(basic('here', '1'));
        expect(authz(r)).toBe(basic('there', '2'));
      });
    });
  });

  it('trustEnv: false ignores .netrc', async () => {
    await withNetrc('machine 127.0.0.1 login nu password np\n', async () => {
      await withClient(kind, { trustEnv: false }, async (c) => {
        const r = await c.get(`${srv.base}/basic-auth/nu/np`);
        expect(r.statusCode).toBe(401);
        expect(authz(r)).toBeUndefined();
      });
    });
  });

  it('the netrc file is read once per session: later edits reach new sessions only', async () => {
    await withNetrc('machine 127.0.0.1 login first password one\n', async (file) => {
      await withClient(kind, undefined, async (c) => {
        expect(authz(await c.get(`${srv.base}/anything`))).toBe(basic('first', 'one'));
        writeFileSync(file, 'machine 127.0.0.1 login second password two\n');
        expect(authz(await c.get(`${srv.base}/anything`))).toBe(basic('first', 'one'));
        await withClient(kind, undefined, async (fresh) => {
          expect(authz(await fresh.get(`${srv.base}/anything`))).toBe(basic('second', 'two'));
        });
      });
    });
  });
});

describe('auth with one-shot bodies (async)', () => {
  it('a Digest challenge to a POST with a one-shot stream never resends it empty', async () => {
    await using s = new AsyncSession();
    const outcome = await s
      .post(`${srv.base}/digest-auth/auth/u/p`, { data: Readable.from([Buffer.from('stream body')]), auth: new HTTPDigestAuth('u', 'p') })
      .then((r) => r, (e: Error) => e);
    // The challenge cannot be answered without sending the body again: the user is told
    // so, and why (never a resend with an empty body).
    expect(outcome).toBeInstanceOf(StreamConsumedError);
    expect((outcome as Error).message).toMatch(/Cannot answer the 401 authentication challenge .*one-shot stream/);
  });

  it('a Digest challenge to a POST with a Blob resends it whole', async () => {
    await using s = new AsyncSession();
    const r = await s.post(`${srv.base}/digest-auth/auth/u/p`, { data: new Blob(['blob body']), auth: new HTTPDigestAuth('u', 'p') });
    expect(r.statusCode).toBe(200);
    expect((r.json() as DigestBody).body).toBe('blob body');
  });
});
