import { describe, expect, it } from 'vitest';
import { CookieJar } from '../dist/src/cookies.js';
import { InvalidOption } from '../dist/src/errors.js';

describe('CookieJar: by hand', () => {
  it('gets, sets and deletes; a missing cookie is undefined', () => {
    const jar = new CookieJar();
    expect(jar.get('a')).toBeUndefined();
    jar.set('a', '1');
    expect(jar.get('a')).toBe('1');
    expect(jar.size).toBe(1);
    jar.set('a', '2');
    expect(jar.get('a')).toBe('2');
    expect(jar.size).toBe(1);
    expect(jar.delete('a')).toBe(true);
    expect(jar.get('a')).toBeUndefined();
    expect(jar.delete('a')).toBe(false);
    expect(jar.size).toBe(0);
  });

  it('sends a cookie set without a domain to every host', () => {
    const jar = new CookieJar();
    jar.set('cookies_are', 'working');
    expect(jar.cookieHeaderFor('http://127.0.0.1:5000/cookies')).toBe('cookies_are=working');
    expect(jar.cookieHeaderFor('https://example.org/')).toBe('cookies_are=working');
  });

  it('scopes a cookie by domain and path (the quickstart example)', () => {
    const jar = new CookieJar();
    jar.set('tasty_cookie', 'yum', { domain: 'httpbin.org', path: '/cookies' });
    jar.set('gross_cookie', 'blech', { domain: 'httpbin.org', path: '/elsewhere' });
    expect(jar.cookieHeaderFor('https://httpbin.org/cookies')).toBe('tasty_cookie=yum');
    expect(jar.cookieHeaderFor('https://httpbin.org/elsewhere/x')).toBe('gross_cookie=blech');
    expect(jar.cookieHeaderFor('https://httpbin.org/')).toBeNull();
    expect(jar.cookieHeaderFor('https://other.org/cookies')).toBeNull();
  });

  it('sends a cookie set by hand for a domain to its subdomains', () => {
    const jar = new CookieJar();
    jar.set('c', '1', { domain: 'example.com' });
    expect(jar.cookieHeaderFor('https://api.example.com/')).toBe('c=1');
    expect(jar.cookieHeaderFor('https://example.com/')).toBe('c=1');
    expect(jar.cookieHeaderFor('https://notexample.com/')).toBeNull();
  });

  it('looks up by domain and path', () => {
    const jar = new CookieJar();
    jar.set('n', 'a', { domain: 'a.example' });
    jar.set('n', 'b', { domain: 'b.example', path: '/p' });
    expect(jar.get('n', { domain: 'a.example' })).toBe('a');
    expect(jar.get('n', { domain: '.b.example' })).toBe('b');
    expect(jar.get('n', { domain: 'b.example', path: '/' })).toBeUndefined();
    expect(jar.get('n', { path: '/p' })).toBe('b');
    expect(jar.get('n')).toBe('b'); // the most recent
    expect(jar.delete('n', { domain: 'a.example' })).toBe(true);
    expect(jar.get('n')).toBe('b');
    expect(jar.size).toBe(1);
  });

  it('refuses a value that is neither a string nor a number, naming the cookie', () => {
    const jar = new CookieJar();
    expect(() => jar.set('sid', Object.create(null))).toThrow(InvalidOption);
    expect(() => CookieJar.from({ sid: { a: 1 } as never })).toThrow(/Invalid value for cookie "sid": .*expected a string or a number/);
  });

  it('treats a null value as delete, as Requests does', () => {
    const jar = CookieJar.from({ a: '1' });
    jar.set('a', null);
    expect(jar.has('a')).toBe(false);
  });

  it('honours secure, httpOnly and expires set by hand', () => {
    const jar = new CookieJar();
    jar.set('s', '1', { domain: 'example.com', secure: true, httpOnly: true });
    jar.set('old', '1', { domain: 'example.com', expires: new Date(Date.now() - 1000) });
    jar.set('later', '1', { domain: 'example.com', expires: Date.now() + 60_000 });
    expect(jar.cookieHeaderFor('http://example.com/')).toBe('later=1');
    expect(jar.cookieHeaderFor('https://example.com/')).toBe('s=1; later=1');
    const later = [...jar].find((c) => c.name === 'later')!;
    expect(later.expires).toBeInstanceOf(Date);
    const s = [...jar].find((c) => c.name === 's')!;
    expect(s).toMatchObject({ name: 's', value: '1', domain: 'example.com', path: '/', secure: true, httpOnly: true, expires: null });
    expect(jar.has('old')).toBe(false);
  });

  it('refuses names and values that cannot go in a Cookie header', () => {
    const jar = new CookieJar();
    expect(() => jar.set('a;b', '1')).toThrow(InvalidOption);
    expect(() => jar.set('a', 'x;y')).toThrow(InvalidOption);
    expect(() => jar.set('a', 'x\r\ny')).toThrow(InvalidOption);
    expect(() => jar.set('a', 'x', { expires: 'not a date' })).toThrow(InvalidOption);
  });

  it('iterates cookie objects, oldest first', () => {
    const jar = new CookieJar();
    jar.set('first', '1');
    jar.set('second', '2', { domain: 'example.com', path: '/x' });
    expect([...jar].map((c) => [c.name, c.value, c.domain, c.path])).toEqual([
      ['first', '1', '', '/'],
      ['second', '2', 'example.com', '/x'],
    ]);
    expect(jar.toObject()).toEqual({ first: '1', second: '2' });
  });

  it('clears everything, or one domain', () => {
    const jar = new CookieJar();
    jar.set('a', '1', { domain: 'a.example' });
    jar.set('b', '1', { domain: 'b.example' });
    jar.set('c', '1');
    jar.clear('a.example');
    expect([...jar].map((c) => c.name)).toEqual(['b', 'c']);
    jar.clear();
    expect(jar.size).toBe(0);
  });
});

describe('CookieJar: from responses', () => {
  it('stores Set-Cookie from a loopback IP and sends it back to it only', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['sid=abc; Path=/', 'pref=dark'], 'http://127.0.0.1:8080/account/login');
    expect(jar.get('sid')).toBe('abc');
    // `pref` has the default path /account (the directory of /account/login).
    expect(jar.cookieHeaderFor('http://127.0.0.1:8080/')).toBe('sid=abc');
    // Cookies do not depend on the port.
    expect(jar.cookieHeaderFor('http://127.0.0.1:9999/account/x')).toBe('pref=dark; sid=abc');
    expect(jar.cookieHeaderFor('http://127.0.0.2:8080/')).toBeNull();
    expect(jar.cookieHeaderFor('http://localhost:8080/')).toBeNull();
  });

  it('works for localhost, with and without Domain=', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['a=1', 'b=2; Domain=localhost'], 'http://localhost:3000/');
    expect(jar.cookieHeaderFor('http://localhost:4000/')).toBe('a=1; b=2');
    expect(jar.cookieHeaderFor('http://127.0.0.1:3000/')).toBeNull();
  });

  it('works for an IPv6 loopback', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['v6=1'], 'http://[::1]:3000/');
    expect(jar.cookieHeaderFor('http://[::1]:3000/')).toBe('v6=1');
  });

  it('deletes a cookie when the server expires it (Max-Age=0 or a past Expires)', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['a=1; Path=/', 'b=2; Path=/'], 'http://127.0.0.1/');
    jar.setFromResponse(['a=; Max-Age=0; Path=/'], 'http://127.0.0.1/');
    jar.setFromResponse(['b=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/'], 'http://127.0.0.1/');
    expect(jar.get('a')).toBeUndefined();
    expect(jar.get('b')).toBeUndefined();
    expect(jar.size).toBe(0);
    expect(jar.cookieHeaderFor('http://127.0.0.1/')).toBeNull();
  });

  it('a server cannot expire a cookie set by hand for any host, only its own', () => {
    const jar = CookieJar.from({ session: 'x' });
    jar.setFromResponse(['session=mine; Path=/'], 'http://127.0.0.1/login');
    jar.setFromResponse(['session=; Max-Age=0; Path=/'], 'http://127.0.0.1/logout');
    jar.setFromResponse(['session=; Max-Age=0; Path=/'], 'http://evil.test/');
    expect([...jar].map((c) => [c.domain, c.value])).toEqual([['', 'x']]);
    expect(jar.cookieHeaderFor('http://other.test/')).toBe('session=x');
  });

  it("prefers a host's own cookie over an any-host one with the same name", () => {
    const jar = CookieJar.from({ token: 'default' });
    jar.setFromResponse(['token=server; Path=/'], 'http://127.0.0.1/');
    expect(jar.cookieHeaderFor('http://127.0.0.1/')).toBe('token=server');
    expect(jar.cookieHeaderFor('http://other.test/')).toBe('token=default');
    expect(jar.get('token')).toBe('server');
  });

  it('honours Max-Age in the future', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['m=1; Max-Age=3600'], 'http://127.0.0.1/');
    const c = [...jar][0]!;
    expect(c.expires!.getTime()).toBeGreaterThan(Date.now() + 3500_000);
  });

  it('refuses a Secure cookie from plain http, localhost included; takes it from https and wss', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['s=1; Secure; Path=/', 'p=1; Path=/'], 'http://127.0.0.1/');
    jar.setFromResponse(['s2=1; Secure; Path=/'], 'http://localhost/');
    expect(jar.toObject()).toEqual({ p: '1' });
    jar.setFromResponse(['s=1; Secure; Path=/'], 'https://127.0.0.1/');
    jar.setFromResponse(['w=1; Secure; Path=/'], 'wss://127.0.0.1/');
    expect(jar.toObject()).toEqual({ p: '1', s: '1', w: '1' });
  });

  it('sends Secure cookies only over https/wss/sse, even for localhost', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['s=1; Secure', 'p=1'], 'https://127.0.0.1/');
    expect(jar.cookieHeaderFor('http://127.0.0.1/')).toBe('p=1');
    expect(jar.cookieHeaderFor('https://127.0.0.1/')).toBe('s=1; p=1');
    expect(jar.cookieHeaderFor('wss://127.0.0.1/')).toBe('s=1; p=1');
    expect(jar.cookieHeaderFor('sse://127.0.0.1/')).toBe('s=1; p=1');
    expect(jar.cookieHeaderFor('psse://127.0.0.1/')).toBe('p=1');
    expect(jar.cookieHeaderFor('ws://127.0.0.1/')).toBe('p=1');
  });

  it('matches paths and orders longer paths first', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['root=1; Path=/', 'deep=2; Path=/a/b', 'mid=3; Path=/a'], 'http://example.com/');
    expect(jar.cookieHeaderFor('http://example.com/a/b/c')).toBe('deep=2; mid=3; root=1');
    expect(jar.cookieHeaderFor('http://example.com/ab')).toBe('root=1');
  });

  it('ignores cookies for another domain or a public suffix', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['x=1; Domain=evil.com', 'y=1; Domain=com', 'garbage'], 'http://example.com/');
    expect(jar.size).toBe(0);
  });

  it('scopes a Domain= cookie to subdomains and a host-only one to the host', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['d=1; Domain=example.com', 'h=1'], 'http://www.example.com/');
    expect(jar.cookieHeaderFor('http://api.example.com/')).toBe('d=1');
    expect(jar.cookieHeaderFor('http://www.example.com/')).toBe('d=1; h=1');
  });

  it('handles unix socket URLs', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['u=1'], 'http+unix://%2Ftmp%2Fs.sock/p');
    expect(jar.cookieHeaderFor('http+unix://%2Ftmp%2Fs.sock/q')).toBe('u=1');
  });
});

describe('CookieJar: copies and serialisation', () => {
  it('builds from a record, pairs or a jar', () => {
    expect(CookieJar.from({ a: '1', b: '2', c: null }).toObject()).toEqual({ a: '1', b: '2' });
    expect(CookieJar.from([['a', '1'], ['b', '2']]).toObject()).toEqual({ a: '1', b: '2' });
    const src = CookieJar.from({ a: '1' });
    const copy = CookieJar.from(src);
    copy.set('a', '2');
    expect(src.get('a')).toBe('1');
    expect(() => CookieJar.from(42 as never)).toThrow(InvalidOption);
  });

  it('copies independently', () => {
    const jar = new CookieJar();
    jar.setFromResponse(['s=1'], 'http://127.0.0.1/');
    const copy = jar.copy();
    copy.set('extra', '1');
    copy.setFromResponse(['s=2'], 'http://127.0.0.1/');
    expect(jar.get('s')).toBe('1');
    expect(jar.has('extra')).toBe(false);
    expect(copy.get('s')).toBe('2');
  });

  it('merges, replacing same domain/path/name', () => {
    const a = new CookieJar();
    a.set('x', '1', { domain: 'h.test' });
    a.set('keep', '1');
    const b = new CookieJar();
    b.set('x', '2', { domain: 'h.test' });
    a.merge(b).merge({ fromRecord: 'y' });
    expect(a.get('x')).toBe('2');
    expect(a.size).toBe(3);
    expect(a.get('fromRecord')).toBe('y');
  });

  it('round-trips through JSON with every attribute', () => {
    const jar = new CookieJar();
    jar.set('any', 'host');
    jar.set('s', 'v', { domain: 'example.com', path: '/p', secure: true, httpOnly: true, expires: new Date('2099-01-01T00:00:00Z') });
    jar.setFromResponse(['h=1'], 'http://127.0.0.1/');
    const again = CookieJar.fromJSON(JSON.parse(JSON.stringify(jar)));
    expect([...again]).toEqual([...jar]);
    expect(CookieJar.fromJSON(JSON.stringify(jar)).size).toBe(3);
    expect(again.cookieHeaderFor('http://127.0.0.1/')).toBe('any=host; h=1');
    expect(() => CookieJar.fromJSON('{nope')).toThrow(InvalidOption);
    expect(() => CookieJar.fromJSON({} as never)).toThrow(InvalidOption);
  });
});
