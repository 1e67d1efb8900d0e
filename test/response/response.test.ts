import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession, Session } from '../../dist/src/index.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let s: Session;
beforeAll(async () => {
  server = await startServerProcess();
  s = new Session();
});
afterAll(async () => {
  s.close();
  await server.close();
});

describe('Response', () => {
  it('exposes status, reason, url, version, elapsed and case-insensitive headers', () => {
    const r = s.get(`${server.url}/status/201`);
    expect(r.statusCode).toBe(201);
    expect(r.reason).toBe('Created');
    expect(r.ok).toBe(true);
    expect(r.url).toBe(`${server.url}/status/201`);
    expect(r.httpVersion).toBe('HTTP/1.1');
    expect(r.elapsed).toBeGreaterThan(0);
    // Milliseconds to the microsecond: no float noise such as 14.398725000000013.
    expect(Math.round(r.elapsed * 1000) / 1000).toBe(r.elapsed);
    expect(String(r.elapsed)).toMatch(/^\d+(\.\d{1,3})?$/);
    expect(r.headers.get('CONTENT-TYPE')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('content-type')).toBe(r.headers.get('Content-Type'));
    expect(r.request.method).toBe('GET');
    expect(s.get(`${server.url}/status/404`).ok).toBe(false);
  });

  it('joins repeated fields and keeps Set-Cookie apart', () => {
    const r = s.get(`${server.url}/repeated`);
    expect(r.headers.get('x-multi')).toBe('a, b');
    expect(r.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('decodes text with the Content-Type charset, and encoding is settable', () => {
    const r = s.get(`${server.url}/latin1`);
    expect(r.encoding).toBe('iso-8859-1');
    expect(r.text).toBe('café');
    r.encoding = 'utf-8';
    expect(r.text).toBe('caf\ufffd');
    expect(s.get(`${server.url}/json`).json()).toEqual({ ok: true, n: 42, s: 'héllo' });
  });

  it('tells a legacy charset from the bytes, and gives no text for noise', () => {
    const jp = s.get(`${server.url}/shift-jis`);
    expect(jp.encoding).toBe('shift_jis');
    expect(jp.text!.startsWith('これは日本語のテキストです。')).toBe(true);
    expect(jp.apparentEncoding).toBe('shift_jis');
    const noise = s.get(`${server.url}/noise`);
    expect(noise.encoding).toBeNull();
    expect(noise.text).toBeNull();
    noise.encoding = 'latin1';
    expect(noise.text).toHaveLength(4000);
    noise.encoding = 'no-such-charset';
    expect(() => noise.text).toThrow(/Unknown encoding "no-such-charset"/);
  });

  it('oheaders: an object view with parameters and dates', () => {
    const r = s.get(`${server.url}/described`);
    const o = r.oheaders as Record<string, any>;
    expect(o.contentType.mime).toBe('text/html');
    expect(o.contentType.charset).toBe('UTF-8');
    expect(String(o.contentType)).toBe('text/html; charset=UTF-8');
    expect(o.date).toBeInstanceOf(Date);
    expect(o.date.toISOString()).toBe('2026-11-24T12:00:00.000Z');
    expect(o.xMany.map(String)).toEqual(['one', 'two']);
    expect(o.notThere).toBeUndefined();
    expect('contentType' in o).toBe(true);
  });

  it('links: the Link header by rel, resolved against the URL', () => {
    const r = s.get(`${server.url}/described`);
    expect(r.links.next!.url).toBe('https://api.example.test/items?page=2');
    expect(r.links.last).toEqual({ url: `${server.url}/items?page=9`, rel: 'last' });
  });

  it('json() reads UTF-16 with a BOM and UTF-32 without one', () => {
    expect(s.get(`${server.url}/json-utf16`).json()).toEqual({ k: 'välue' });
    expect(s.get(`${server.url}/json-utf32`).json()).toEqual({ k: '\u{1F600}' });
  });

  it('iterContent yields chunks of the asked size', () => {
    const r = s.get(`${server.url}/bytes/1000`, { stream: true });
    const sizes = [...r.iterContent(300)].map((c) => c.length);
    expect(sizes).toEqual([300, 300, 300, 100]);
  });

  it('iterLines joins lines cut across chunks', () => {
    const r = s.get(`${server.url}/lines`, { stream: true });
    const lines = [...r.iterLines({ decodeUnicode: true })];
    expect(lines).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
  });

  it('iterContent with decodeUnicode yields strings', () => {
    const r = s.get(`${server.url}/json`, { stream: true });
    const text = [...r.iterContent(3, true)].join('');
    expect(JSON.parse(text)).toEqual({ ok: true, n: 42, s: 'héllo' });
  });

  it('close() abandons an unread streamed body and the session carries on', () => {
    const r = s.get(`${server.url}/bytes/${64 << 20}`, { stream: true });
    const first = r.iterContent(1024).next().value as Buffer;
    expect(first.length).toBe(1024);
    r.close();
    expect(s.get(`${server.url}/status/200`).statusCode).toBe(200);
  });

  it('AsyncResponse: iterContent, iterLines and content by awaiting', async () => {
    await using a = new AsyncSession();
    const r1 = await a.get(`${server.url}/bytes/1000`, { stream: true });
    const sizes: number[] = [];
    for await (const c of r1.iterContent(400)) sizes.push(c.length);
    expect(sizes).toEqual([400, 400, 200]);
    const r2 = await a.get(`${server.url}/lines`, { stream: true });
    const lines: string[] = [];
    for await (const l of r2.iterLines({ decodeUnicode: true })) lines.push(l as string);
    expect(lines).toHaveLength(50);
    expect(lines[49]).toBe('line 49');
    const r3 = await a.get(`${server.url}/json`, { stream: true });
    expect(await r3.json()).toEqual({ ok: true, n: 42, s: 'héllo' });
  });
});
