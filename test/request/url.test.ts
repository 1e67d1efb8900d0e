import { describe, expect, it } from 'vitest';
import { encodeParams, prepareUrl, unixSocketOf, wireUrl } from '../../dist/src/request/url.js';
import { InvalidOption, InvalidSchema, InvalidURL, MissingSchema } from '../../dist/src/errors.js';

describe('prepareUrl: schemes', () => {
  it('strips surrounding whitespace and lowercases a mixed-case scheme and host', () => {
    expect(prepareUrl('  HTTP://Example.COM/a \n').href).toBe('http://example.com/a');
    expect(prepareUrl('HtTpS://example.com').href).toBe('https://example.com/');
  });

  it.each([
    'http://h/', 'https://h/', 'ws://h/', 'wss://h/', 'wss+rfc8441://h/', 'sse://h/', 'psse://h/',
    'http+unix://%2Ftmp%2Fs.sock/', 'ws+unix://%2Ftmp%2Fs.sock/', 'psse+unix://%2Ftmp%2Fs.sock/',
  ])('accepts %s', (url) => {
    expect(prepareUrl(url).href).toBe(url);
  });

  it('reports a missing scheme with the URL and a suggestion', () => {
    expect(() => prepareUrl('example.com/x')).toThrow(MissingSchema);
    expect(() => prepareUrl('example.com/x')).toThrow(/"example\.com\/x".*http:\/\/example\.com\/x/);
    // host:port parses as scheme "localhost" in WHATWG; it is still a missing scheme.
    expect(() => prepareUrl('localhost:8080/x')).toThrow(MissingSchema);
    expect(() => prepareUrl('')).toThrow(MissingSchema);
  });

  it('MissingSchema and InvalidSchema are InvalidURL too', () => {
    expect(() => prepareUrl('example.com')).toThrow(InvalidURL);
    expect(() => prepareUrl('ftp://h/')).toThrow(InvalidURL);
  });

  it.each(['ftp://h/x', 'file:///etc/passwd', 'mailto:a@b', 'gopher://h'])('refuses the scheme of %s, naming the URL', (url) => {
    let err: unknown;
    try {
      prepareUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidSchema);
    expect((err as Error).message).toContain(JSON.stringify(url));
  });

  it('names the schemes it serves when it refuses one', () => {
    expect(() => prepareUrl('ftp://h/x')).toThrow(
      /^Invalid URL "ftp:\/\/h\/x": scheme "ftp" is not supported \(nodequests speaks http, https, http\+unix, ws, wss, ws\+unix, wss\+rfc8441, sse, psse and psse\+unix\)$/,
    );
  });

  it.each(['http://*', 'http://*.example.com/', 'http:///path', 'http://', 'https://.example.com', 'http://a..b/',
    'http://exa mple.com', 'sse://', 'http+unix:///x', 'http://[::1/', `http://${'a'.repeat(64)}.com/`])(
    'refuses %s as InvalidURL naming it',
    (url) => {
      let err: unknown;
      try {
        prepareUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidURL);
      expect(err).not.toBeInstanceOf(InvalidSchema);
      expect((err as Error).message).toContain(JSON.stringify(url.trim()));
    },
  );

  it('refuses a value that is not a string or URL with InvalidURL, not a TypeError', () => {
    expect(() => prepareUrl(42 as never)).toThrow(InvalidURL);
    expect(() => prepareUrl(null as never)).toThrow(InvalidURL);
  });

  it('accepts a URL object and IP hosts', () => {
    expect(prepareUrl(new URL('http://127.0.0.1:8080/x')).href).toBe('http://127.0.0.1:8080/x');
    expect(prepareUrl('http://[::1]:8080/').host).toBe('[::1]:8080');
    expect(prepareUrl('http://host.example./').hostname).toBe('host.example.');
  });
});

describe('prepareUrl: encoding', () => {
  it('turns a Unicode host into punycode', () => {
    expect(prepareUrl('http://bücher.example/').hostname).toBe('xn--bcher-kva.example');
    expect(prepareUrl('https://☃.net/').hostname).toBe('xn--n3h.net');
  });

  it('does the same for schemes the WHATWG parser does not know', () => {
    expect(prepareUrl('sse://Bücher.Example/x').href).toBe('sse://xn--bcher-kva.example/x');
    expect(prepareUrl('wss+rfc8441://EXAMPLE.com').href).toBe('wss+rfc8441://example.com/');
  });

  it('percent-encodes a non-ASCII path once and never re-encodes %XX', () => {
    expect(prepareUrl('http://h/päth').pathname).toBe('/p%C3%A4th');
    expect(prepareUrl('http://h/p%C3%A4th').pathname).toBe('/p%C3%A4th');
    expect(prepareUrl('http://h/a%20b/c d').pathname).toBe('/a%20b/c%20d');
    expect(prepareUrl('http://h/?q=ü').search).toBe('?q=%C3%BC');
  });

  it('escapes a lone % that does not start an escape', () => {
    expect(prepareUrl('http://h/100%').pathname).toBe('/100%25');
    expect(prepareUrl('http://h/?p=5%&q=%41').search).toBe('?p=5%25&q=%41');
  });

  it('keeps the fragment on the URL and wireUrl drops it', () => {
    const u = prepareUrl('http://h/p?a=1#sec');
    expect(u.hash).toBe('#sec');
    expect(wireUrl(u)).toBe('http://h/p?a=1');
    expect(wireUrl(prepareUrl('http://h'))).toBe('http://h/');
  });

  it('gives non-special schemes a root path', () => {
    expect(prepareUrl('sse://h').pathname).toBe('/');
    expect(prepareUrl('http+unix://%2Ftmp%2Fs.sock').pathname).toBe('/');
  });
});

describe('prepareUrl: params', () => {
  it('encodes a record, repeating keys for arrays and dropping null/undefined', () => {
    const u = prepareUrl('http://h/get', { key1: 'value1', key2: ['value2', 'value3'], none: null, undef: undefined });
    expect(u.href).toBe('http://h/get?key1=value1&key2=value2&key2=value3');
  });

  it('drops null entries inside an array value', () => {
    expect(prepareUrl('http://h/', { a: ['1', null, '2'] }).search).toBe('?a=1&a=2');
  });

  it('stringifies numbers and booleans and form-encodes reserved characters', () => {
    expect(prepareUrl('http://h/', { n: 1, b: true, s: 'a b&c=d', u: 'é' }).search).toBe('?n=1&b=true&s=a+b%26c%3Dd&u=%C3%A9');
  });

  it('accepts a list of pairs, URLSearchParams, a Map and a string', () => {
    expect(prepareUrl('http://h/', [['a', '1'], ['a', '2']]).search).toBe('?a=1&a=2');
    expect(prepareUrl('http://h/', new URLSearchParams({ q: 'x y' })).search).toBe('?q=x+y');
    expect(prepareUrl('http://h/', new Map([['m', 'v']]) as never).search).toBe('?m=v');
    expect(prepareUrl('http://h/', 'raw=1&x=%20').search).toBe('?raw=1&x=%20');
    expect(prepareUrl('http://h/', '?lead=1').search).toBe('?lead=1');
  });

  it('merges into an existing query with & and places it before the fragment', () => {
    const u = prepareUrl('http://h/p?a=1#frag', { b: '2' });
    expect(u.href).toBe('http://h/p?a=1&b=2#frag');
    expect(wireUrl(u)).toBe('http://h/p?a=1&b=2');
  });

  it('leaves the URL alone for empty params', () => {
    expect(prepareUrl('http://h/p?a=1', {}).href).toBe('http://h/p?a=1');
    expect(prepareUrl('http://h/p', null).href).toBe('http://h/p');
    expect(prepareUrl('http://h/p', '').href).toBe('http://h/p');
  });

  it('refuses a nested object as a value, naming the key', () => {
    expect(() => prepareUrl('http://h/', { deep: { x: 1 } } as never)).toThrow(InvalidOption);
    expect(() => prepareUrl('http://h/', { deep: { x: 1 } } as never)).toThrow(/"deep"/);
    expect(() => prepareUrl('http://h/', [['only-one']] as never)).toThrow(InvalidOption);
    expect(() => encodeParams(5 as never)).toThrow(InvalidOption);
  });
});

describe('prepareUrl: baseUrl', () => {
  it.each([
    ['users', 'http://h/api/v1', 'http://h/api/v1/users'],
    ['/users', 'http://h/api/v1', 'http://h/api/v1/users'],
    ['users', 'http://h/api/v1/', 'http://h/api/v1/users'],
    ['/users/1?x=1', 'http://h/api/v1/', 'http://h/api/v1/users/1?x=1'],
    ['', 'http://h/api', 'http://h/api'],
    ['?page=2', 'http://h/api', 'http://h/api?page=2'],
    ['version', 'http+unix://%2Fvar%2Frun%2Fdocker.sock', 'http+unix://%2Fvar%2Frun%2Fdocker.sock/version'],
  ])('%s on %s gives %s', (url, base, expected) => {
    expect(prepareUrl(url, null, base).href).toBe(expected);
  });

  it('is ignored for an absolute URL', () => {
    expect(prepareUrl('https://other.example/x', null, 'http://h/api').href).toBe('https://other.example/x');
    expect(prepareUrl('HTTP://other.example/x', null, 'http://h/api').href).toBe('http://other.example/x');
  });

  it('combines with params', () => {
    expect(prepareUrl('users', { page: 2 }, 'http://h/api/v1').href).toBe('http://h/api/v1/users?page=2');
  });
});

describe('unix sockets', () => {
  it('takes the percent-encoded socket path as host and decodes it', () => {
    const u = prepareUrl('http+unix://%2Fvar%2Frun%2Fdocker.sock/version?all=1');
    expect(unixSocketOf(u)).toBe('/var/run/docker.sock');
    expect(u.pathname).toBe('/version');
    expect(wireUrl(u)).toBe('http+unix://%2Fvar%2Frun%2Fdocker.sock/version?all=1');
  });

  it('decodes lower-case escapes and works for every +unix scheme', () => {
    expect(unixSocketOf(prepareUrl('ws+unix://%2ftmp%2fa.sock/'))).toBe('/tmp/a.sock');
    expect(unixSocketOf(prepareUrl('psse+unix://%2Ftmp%2Fb.sock/sse'))).toBe('/tmp/b.sock');
  });

  it('is null for other schemes', () => {
    expect(unixSocketOf(prepareUrl('http://h/'))).toBeNull();
  });
});

describe('encodeParams: names that are not text', () => {
  it('fuzz counterexample: a pair whose name is an object ([[{ __proto__: null }, "v"]])', () => {
    for (const params of [[[Object.create(null), 'v']], new Map([[{}, 'v']]), [[Symbol('k'), 'v']]]) {
      expect(() => encodeParams(params as never)).toThrow(InvalidOption);
    }
  });

  it('numbers, bigints and booleans as names are written out', () => {
    expect(encodeParams([[1, 'a'], [2n, 'b'], [true, 'c']] as never)).toBe('1=a&2=b&true=c');
  });
});
