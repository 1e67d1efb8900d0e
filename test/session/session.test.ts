import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session, Response, SessionClosedError, InvalidOption } from '../../dist/src/index.js';
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

describe('Session (sync)', () => {
  it('returns a complete response from a blocking call', () => {
    const r = s.get(`${server.url}/echo?x=1`, { headers: { 'X-Test': 'yes' } });
    expect(r).toBeInstanceOf(Response);
    expect(r.lazy).toBe(false);
    expect(r.statusCode).toBe(200);
    expect(r.ok).toBe(true);
    expect(String(r)).toBe('<Response HTTP/1.1 [200]>');
    const echoed = r.json() as { method: string; url: string; headers: Record<string, string> };
    expect(echoed.method).toBe('GET');
    expect(echoed.url).toBe('/echo?x=1');
    expect(echoed.headers['x-test']).toBe('yes');
    expect(echoed.headers['user-agent']).toMatch(/^nodequests\//);
  });

  it('refuses a streamed body up front, naming the way out; bytes of the same content go', () => {
    for (const data of [Readable.from([Buffer.from('abc')]), new Blob(['abc']), (async function* () { yield Buffer.from('abc'); })()]) {
      const e = (() => {
        try {
          s.post(`${server.url}/echo`, { data });
          return null;
        } catch (err) {
          return err as Error;
        }
      })();
      expect(e).toBeInstanceOf(InvalidOption);
      expect(e!.message).toContain('AsyncSession');
    }
    expect((s.post(`${server.url}/echo`, { data: Buffer.from('abc') }).json() as { body: string }).body).toBe('abc');
  });

  it('serves calls made in a tight loop that never yields to the event loop', () => {
    let timerFired = false;
    const timer = setTimeout(() => (timerFired = true), 0);
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) statuses.push(s.get(`${server.url}/status/${200 + (i % 5)}`).statusCode);
    // The loop ran to the end without the event loop turning once.
    expect(timerFired).toBe(false);
    clearTimeout(timer);
    expect(statuses.slice(0, 5)).toEqual([200, 201, 202, 203, 204]);
    expect(statuses).toHaveLength(200);
  });

  it('works from inside a synchronous callback', () => {
    // JSON.parse's reviver and Array#map callbacks cannot await anything.
    const parsed = JSON.parse('{"a":"/status/201","b":"/status/202"}', (key, value) =>
      key ? s.get(server.url + value).statusCode : value,
    );
    expect(parsed).toEqual({ a: 201, b: 202 });
    expect(['/delay/1', '/delay/2'].map((p) => s.get(server.url + p).text)).toEqual(['delayed 1', 'delayed 2']);
  });

  it('round-trips a 1 MiB POST body, verified by hash', () => {
    const body = Buffer.alloc(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 256;
    const r = s.post(`${server.url}/hash`, { data: body });
    expect(r.text).toBe(`${createHash('sha256').update(body).digest('hex')} ${body.length}`);
  });

  it('sends Content-Length: 0 on a POST without a body and none on a GET', () => {
    const post = s.post(`${server.url}/echo`).json() as { headers: Record<string, string> };
    expect(post.headers['content-length']).toBe('0');
    const get = s.get(`${server.url}/echo`).json() as { headers: Record<string, string> };
    expect(get.headers['content-length']).toBeUndefined();
  });

  it('rejects use after close with SessionClosedError, and closing twice is harmless', () => {
    const t = new Session();
    expect(t.get(`${server.url}/status/200`).statusCode).toBe(200);
    t.close();
    t.close();
    expect(() => t.get(`${server.url}/status/200`)).toThrow(SessionClosedError);
  });

  it('names a bad option and its value', () => {
    expect(() => s.get(`${server.url}/`, { timeout: -5 })).toThrow(InvalidOption);
    expect(() => s.get(`${server.url}/`, { timeout: -5 })).toThrow(/timeout.*-5/);
    expect(() => new Session({ workers: 0 })).toThrow(/workers.*0/);
    expect(() => s.get(`${server.url}/`, { bogus: 1 } as never)).toThrow(/Unknown option "bogus"/);
  });
});

describe('Session (sync) policy', () => {
  it('follows redirects, keeps the hop cookies, and retries, blocking', () => {
    const t = new Session({ retries: 2 });
    try {
      const r = t.post(`${server.url}/redirect-to?url=/echo&status=303`, { data: 'x' });
      expect(r.history.map((h) => h.statusCode)).toEqual([303]);
      const echo = r.json() as { method: string; headers: Record<string, string> };
      expect(echo.method).toBe('GET');
      expect(echo.headers.cookie).toBe('hop=1');
      expect(t.cookies.get('hop')).toBe('1');
    } finally {
      t.close();
    }
  });

  it('a lazy multiplexed response follows its redirects when resolved', () => {
    const m = new Session({ multiplexed: true });
    try {
      const r = m.get(`${server.url}/redirect-to?url=/status/201`);
      expect(r.lazy).toBe(true);
      expect(r.statusCode).toBe(201);
      expect(r.history).toHaveLength(1);
    } finally {
      m.close();
    }
  });
});

describe('Session (multiplexed)', () => {
  it('returns lazy responses at once and resolves one on first access', async () => {
    await fetch(`${server.url}/reset-stats`);
    const m = new Session({ multiplexed: true });
    try {
      const rs = [300, 300, 300].map((d) => m.get(`${server.url}/delay/${d}`));
      expect(rs.every((r) => r.lazy)).toBe(true);
      expect(rs[1]!.statusCode).toBe(200); // resolves this one
      expect(rs[1]!.lazy).toBe(false);
      m.gather();
      expect(rs.map((r) => r.text)).toEqual(['delayed 300', 'delayed 300', 'delayed 300']);
    } finally {
      m.close();
    }
    // No get() waited for its response: the server had all three at once.
    expect(await (await fetch(`${server.url}/max-in-flight`)).text()).toBe('3');
  });

  it('gather with maxFetch resolves the first to complete, in completion order', () => {
    const m = new Session({ multiplexed: true });
    try {
      const slow = m.get(`${server.url}/delay/600`);
      const fast = m.get(`${server.url}/delay/50`);
      const mid = m.get(`${server.url}/delay/250`);
      const got = m.gather({ maxFetch: 2 });
      expect(got).toEqual([fast, mid]);
      expect(fast.lazy).toBe(false);
      expect(mid.lazy).toBe(false);
      expect(slow.lazy).toBe(true);
      expect(m.gather(slow)).toEqual([slow]);
      expect(slow.text).toBe('delayed 600');
    } finally {
      m.close();
    }
  });

  it('a failed lazy request throws when read, not at gather', () => {
    const m = new Session({ multiplexed: true });
    try {
      const bad = m.get('http://127.0.0.1:1/');
      const good = m.get(`${server.url}/status/200`);
      // gather() resolves what succeeded; the failure stays with its response.
      expect(m.gather()).toEqual([good]);
      expect(bad.lazy).toBe(true);
      expect(() => bad.statusCode).toThrow(/ECONNREFUSED/);
    } finally {
      m.close();
    }
  });
});
