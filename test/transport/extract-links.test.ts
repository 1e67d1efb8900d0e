import { describe, expect, it } from 'vitest';
import { pageLinks } from '../../dist/src/transport/extract-links.js';

const html = (s: string): Uint8Array => new TextEncoder().encode(s);
const page = { url: 'http://h.test/dir/page', status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } };

describe('pageLinks', () => {
  it('reads a, area and page-naming link tags with a tokenizer, resolved against <base>', () => {
    const body = html(`<HTML><head><link rel="stylesheet" href="s.css"><link rel="Next" href="p2"><base href="/other/"></head>
      <body><a href="a#frag">a</a> <a class=x href='/b'>b</a> <area href="c"> <a href="mailto:m@h">m</a> <a href="javascript:void 0">j</a>
      <a name="no-href">n</a> <a href="a#frag">again</a> <a href="http://elsewhere.test/d?q=1&amp;r=2">d</a>
      <!-- <a href="/commented">x</a> --> <script>var s = '<a href="/in-script">';</script></body></HTML>`);
    expect(pageLinks(body, page)).toEqual({
      bytes: body.length,
      links: ['http://h.test/other/p2', 'http://h.test/other/a#frag', 'http://h.test/b', 'http://h.test/other/c', 'http://elsewhere.test/d?q=1&r=2'],
    });
  });

  it('reads no links from a page that is not HTML or not a success', () => {
    const body = html('<a href="/x">x</a>');
    expect(pageLinks(body, { ...page, headers: { 'content-type': 'application/json' } }).links).toEqual([]);
    expect(pageLinks(body, { ...page, status: 404 }).links).toEqual([]);
  });
});
