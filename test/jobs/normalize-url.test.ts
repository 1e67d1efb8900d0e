import { describe, expect, it } from 'vitest';
import { normalizeUrl } from '../../dist/src/jobs/normalize-url.js';

describe('normalizeUrl', () => {
  it('gives one form for the ways one page is linked', () => {
    const forms = ['HTTP://Example.COM:80/a/../~user', 'http://example.com/%7euser#top', 'http://example.com/%7Euser?', 'http://example.com:80/./~user'];
    for (const f of forms) expect(normalizeUrl(f), f).toBe('http://example.com/~user');
  });

  it('keeps reserved escapes (in upper case), the query and its order', () => {
    expect(normalizeUrl('https://h:443/x%2fy?b=%41&a=1')).toBe('https://h/x%2Fy?b=A&a=1');
    expect(normalizeUrl('http://h/p q')).toBe('http://h/p%20q');
  });

  it('resolves against a base; refuses what is not http(s) or not a URL', () => {
    expect(normalizeUrl('../c', 'http://h/a/b/')).toBe('http://h/a/c');
    expect(normalizeUrl('mailto:x@h')).toBeNull();
    expect(normalizeUrl('http://')).toBeNull();
  });
});
