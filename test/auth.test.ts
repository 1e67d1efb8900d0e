import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BearerTokenAuth, HTTPBasicAuth, HTTPDigestAuth, authFromUrl, normalizeAuth, parseChallenges,
} from '../dist/src/auth.js';
import { Headers } from '../dist/src/headers.js';
import { InvalidOption } from '../dist/src/errors.js';

function request(url = 'http://h/dir/index.html', method = 'GET') {
  return { method, url, headers: new Headers(), body: null };
}

/** Reads `name=value` / `name="value"` out of an Authorization: Digest value. */
function param(header: string, name: string): string | undefined {
  const m = new RegExp(`(?:^Digest |, )${name.replace('*', '\\*')}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^,]*))`).exec(header);
  return m ? (m[1] ?? m[2]) : undefined;
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

// RFC 7616 section 3.9.1: the server offers SHA-256 first, then MD5.
const RFC = {
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};
const challenge = (alg: string) =>
  `Digest realm="${RFC.realm}", qop="auth, auth-int", algorithm=${alg}, nonce="${RFC.nonce}", opaque="${RFC.opaque}"`;

describe('HTTPDigestAuth: RFC 7616 examples', () => {
  it('answers the SHA-256 challenge with the RFC response', () => {
    const auth = new HTTPDigestAuth('Mufasa', 'Circle of Life', { cnonce: () => RFC.cnonce });
    const value = auth.challengeResponse({ method: 'GET', url: 'http://www.example.org/dir/index.html' }, `${challenge('SHA-256')}, ${challenge('MD5')}`)!;
    expect(value.startsWith('Digest ')).toBe(true);
    expect(param(value, 'response')).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(param(value, 'username')).toBe('Mufasa');
    expect(param(value, 'realm')).toBe(RFC.realm);
    expect(param(value, 'uri')).toBe('/dir/index.html');
    expect(param(value, 'algorithm')).toBe('SHA-256');
    expect(param(value, 'nonce')).toBe(RFC.nonce);
    expect(param(value, 'nc')).toBe('00000001');
    expect(param(value, 'cnonce')).toBe(RFC.cnonce);
    expect(param(value, 'qop')).toBe('auth');
    expect(param(value, 'opaque')).toBe(RFC.opaque);
  });

  it('answers the MD5 challenge with the RFC response', () => {
    const auth = new HTTPDigestAuth('Mufasa', 'Circle of Life', { cnonce: () => RFC.cnonce });
    const value = auth.challengeResponse({ method: 'GET', url: 'http://www.example.org/dir/index.html' }, challenge('MD5'))!;
    expect(param(value, 'response')).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('matches a hand computation of the RFC 7616 MD5 example', () => {
    const ha1 = md5(`Mufasa:${RFC.realm}:Circle of Life`);
    const ha2 = md5('GET:/dir/index.html');
    expect(md5(`${ha1}:${RFC.nonce}:00000001:${RFC.cnonce}:auth:${ha2}`)).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  // The inputs of RFC 7616 3.9.2. The response printed in the RFC cannot be reproduced
  // from them by any reading of the algorithm (a known flaw of that example), so the
  // expected value is computed here by hand, step by step, from section 3.4.1.
  it('answers the RFC 7616 3.9.2 challenge (SHA-512-256, userhash, non-ASCII user)', () => {
    const user = 'J\u00e4s\u00f8n Doe';
    const realm = 'api@example.org';
    const nonce = '5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK';
    const cnonce = 'NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v';
    const auth = new HTTPDigestAuth(user, 'Secret, or not?', { cnonce: () => cnonce });
    const value = auth.challengeResponse(
      { method: 'GET', url: 'https://api.example.org/doe.json' },
      `Digest realm="${realm}", qop="auth", algorithm=SHA-512-256, nonce="${nonce}", ` +
        'opaque="HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS", charset=UTF-8, userhash=true',
    )!;
    const h = (s: string) => createHash('sha512-256').update(s, 'utf8').digest('hex');
    const ha1 = h(`${user}:${realm}:Secret, or not?`);
    const ha2 = h('GET:/doe.json');
    expect(param(value, 'response')).toBe(h(`${ha1}:${nonce}:00000001:${cnonce}:auth:${ha2}`));
    expect(param(value, 'response')).toBe('3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5');
    // With userhash the name goes hashed: H(username ":" realm).
    expect(param(value, 'username')).toBe(h(`${user}:${realm}`));
    expect(param(value, 'username')).toBe('793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b');
    expect(param(value, 'userhash')).toBe('true');
    expect(param(value, 'algorithm')).toBe('SHA-512-256');
  });

  it('sends a non-ASCII username as username* without userhash', () => {
    const auth = new HTTPDigestAuth('Jäsøn', 'pw');
    const value = auth.challengeResponse(request(), 'Digest realm="r", nonce="n", qop="auth"')!;
    expect(param(value, 'username*')).toBe("UTF-8''J%C3%A4s%C3%B8n");
    expect(param(value, 'username')).toBeUndefined();
  });
});

describe('HTTPDigestAuth: the exchange', () => {
  it('matches the RFC 2617 example (MD5, qop=auth)', () => {
    const auth = new HTTPDigestAuth('Mufasa', 'Circle Of Life', { cnonce: () => '0a4f113b' });
    const value = auth.challengeResponse(
      { method: 'GET', url: 'http://www.nowhere.org/dir/index.html' },
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )!;
    expect(param(value, 'response')).toBe('6629fae49393a05397450978507c4ef1');
    // No algorithm in the challenge means MD5.
    expect(param(value, 'algorithm')).toBe('MD5');
  });

  it('answers a challenge without qop the RFC 2069 way', () => {
    const auth = new HTTPDigestAuth('u', 'p');
    const value = auth.challengeResponse(request('http://h/x?y=1', 'POST'), 'Digest realm="r", nonce="abc"')!;
    const expected = md5(`${md5('u:r:p')}:abc:${md5('POST:/x?y=1')}`);
    expect(param(value, 'response')).toBe(expected);
    expect(param(value, 'qop')).toBeUndefined();
    expect(param(value, 'nc')).toBeUndefined();
    expect(param(value, 'uri')).toBe('/x?y=1');
  });

  it('computes MD5-sess and SHA-256-sess by hand', () => {
    for (const [alg, H] of [['MD5-sess', md5], ['SHA-256-sess', sha256]] as const) {
      const auth = new HTTPDigestAuth('user', 'pass', { cnonce: () => 'cn' });
      const value = auth.challengeResponse(request(), `Digest realm="r", nonce="n", qop="auth", algorithm=${alg}`)!;
      const ha1 = H(`${H('user:r:pass')}:n:cn`);
      const ha2 = H('GET:/dir/index.html');
      expect(param(value, 'response'), alg).toBe(H(`${ha1}:n:00000001:cn:auth:${ha2}`));
      expect(param(value, 'algorithm')).toBe(alg);
    }
  });

  it('counts nonce uses and restarts with a new nonce', () => {
    const auth = new HTTPDigestAuth('u', 'p');
    const first = auth.challengeResponse(request(), 'Digest realm="r", nonce="n1", qop="auth"')!;
    expect(param(first, 'nc')).toBe('00000001');
    // Later requests answer up front with the next count.
    const r2 = auth.apply(request());
    expect(param(r2.headers.get('authorization')!, 'nc')).toBe('00000002');
    const r3 = auth.apply(request('http://h/other'));
    const v3 = r3.headers.get('authorization')!;
    expect(param(v3, 'nc')).toBe('00000003');
    expect(param(v3, 'uri')).toBe('/other');
    expect(param(v3, 'cnonce')).not.toBe(param(first, 'cnonce'));
    // A stale nonce: the server sends a new one and the count restarts.
    const again = auth.challengeResponse(request(), 'Digest realm="r", nonce="n2", qop="auth", stale=true')!;
    expect(param(again, 'nc')).toBe('00000001');
    expect(param(again, 'nonce')).toBe('n2');
  });

  it('leaves a request alone until a challenge was seen', () => {
    const r = new HTTPDigestAuth('u', 'p').apply(request());
    expect(r.headers.has('authorization')).toBe(false);
  });

  it('returns null for what it cannot answer', () => {
    const auth = new HTTPDigestAuth('u', 'p');
    expect(auth.challengeResponse(request(), 'Basic realm="x"')).toBeNull();
    expect(auth.challengeResponse(request(), 'Digest realm="r", nonce="n", qop="auth-int"')).toBeNull();
    expect(auth.challengeResponse(request(), 'Digest realm="r", nonce="n", algorithm=UNKNOWN')).toBeNull();
    expect(auth.challengeResponse(request(), 'Digest realm="r"')).toBeNull();
  });

  it('picks the Digest challenge among others, the first usable one', () => {
    const auth = new HTTPDigestAuth('u', 'p');
    const value = auth.challengeResponse(
      request(),
      'Basic realm="b", Digest realm="r", nonce="x", algorithm=FOO, Digest realm="r2", nonce="y", qop="auth"',
    )!;
    expect(param(value, 'realm')).toBe('r2');
  });
});

describe('parseChallenges', () => {
  it('splits several challenges and unquotes values', () => {
    const cs = parseChallenges('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"');
    expect(cs).toEqual([
      { scheme: 'Newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
      { scheme: 'Basic', params: { realm: 'simple' } },
    ]);
  });

  it('reads token68 challenges and lower-cases parameter names', () => {
    expect(parseChallenges('Negotiate abc+/==, Digest Realm="r"')).toEqual([
      { scheme: 'Negotiate', params: {}, token68: 'abc+/==' },
      { scheme: 'Digest', params: { realm: 'r' } },
    ]);
  });
});

describe('Basic and Bearer', () => {
  it('sets a Basic header', () => {
    const r = new HTTPBasicAuth('user', 'pass').apply(request());
    expect(r.headers.get('Authorization')).toBe('Basic dXNlcjpwYXNz');
  });

  it('encodes Basic credentials as UTF-8', () => {
    const value = new HTTPBasicAuth('üser', 'päss').header;
    expect(Buffer.from(value.slice(6), 'base64').toString('utf8')).toBe('üser:päss');
  });

  it('sets a Bearer header', () => {
    expect(new BearerTokenAuth('t0k3n').apply(request()).headers.get('authorization')).toBe('Bearer t0k3n');
  });
});

describe('normalizeAuth', () => {
  it('makes [user, pass] Basic and a string Bearer', () => {
    expect(normalizeAuth(['u', 'p'])).toBeInstanceOf(HTTPBasicAuth);
    expect(normalizeAuth('tok')).toBeInstanceOf(BearerTokenAuth);
    expect(normalizeAuth(null)).toBeNull();
    expect(normalizeAuth(undefined)).toBeNull();
  });

  it('keeps instances and any object with apply', () => {
    const digest = new HTTPDigestAuth('u', 'p');
    expect(normalizeAuth(digest)).toBe(digest);
    const custom = { apply: (r: ReturnType<typeof request>) => (r.headers.set('X-Key', 'k'), r) };
    expect(normalizeAuth(custom)).toBe(custom);
  });

  it('wraps a function as apply', () => {
    const auth = normalizeAuth((r: ReturnType<typeof request>) => {
      r.headers.set('X-Fn', '1');
    })!;
    const r = auth.apply(request() as never);
    expect(r.headers.get('x-fn')).toBe('1');
  });

  it.each([42, {}, ['only-user'], ['u', 'p', 'x'], [{}, 'p'], '', true])('refuses %j with InvalidOption naming it', (bad) => {
    expect(() => normalizeAuth(bad)).toThrow(InvalidOption);
    expect(() => normalizeAuth(bad)).toThrow(/Invalid auth/);
  });
});

describe('authFromUrl', () => {
  it('reads percent-decoded credentials', () => {
    expect(authFromUrl(new URL('http://me:p%40ss%3Aw@h/'))).toEqual(['me', 'p@ss:w']);
    expect(authFromUrl(new URL('http://us%C3%A9r@h/'))).toEqual(['usér', '']);
    expect(authFromUrl(new URL('http://:secret@h/'))).toEqual(['', 'secret']);
  });

  it('is null without credentials', () => {
    expect(authFromUrl(new URL('http://h/'))).toBeNull();
  });
});
