// httpbin 0.7 under gunicorn (Debian's packages), in other processes on loopback: what a
// real server makes of our requests. Off CI, skipped (saying why) when httpbin is not
// installed; on CI that fails the file (scripts/interop/install.sh installs it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncResponse, AsyncSession, HTTPError, Session } from '../../dist/src/index.js';
import { checkPeers, startPeers, type Peer } from '../../scripts/interop/peers.mjs';
import { skipWithout } from '../helpers/interop.js';

const skip = skipWithout('httpbin', checkPeers().httpbin);

interface Echo {
  args: Record<string, string>;
  data: string;
  form: Record<string, string>;
  files: Record<string, string>;
  json: unknown;
  headers: Record<string, string>;
  url: string;
}

describe.skipIf(skip)('httpbin interop', () => {
  let peer: Peer;
  let base: string;
  let s: Session;
  let a: AsyncSession;

  beforeAll(async () => {
    peer = (await startPeers({ only: ['httpbin'] })).httpbin!;
    base = peer.url;
    s = new Session();
    a = new AsyncSession();
  }, 60_000);
  afterAll(async () => {
    s?.close();
    await a?.close();
    await peer?.stop();
  });

  describe('Session (sync)', () => {
    it('GET /get sends the query, and the URL as given', () => {
      const r = s.get(`${base}/get?x=1`, { params: { y: ['2', '3'] } });
      expect(r.statusCode).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
      const echo = r.json<Echo>();
      expect(echo.args).toEqual({ x: '1', y: ['2', '3'] });
      expect(echo.url).toBe(`${base}/get?x=1&y=2&y=3`);
    });

    it('HEAD /get has the headers of a GET and no body', () => {
      const r = s.head(`${base}/get`);
      expect(r.statusCode).toBe(200);
      expect(Number(r.headers.get('content-length'))).toBeGreaterThan(0);
      expect(r.content.length).toBe(0);
    });

    it('/headers shows our User-Agent and our own headers', () => {
      const echo = s.get(`${base}/headers`, { headers: { 'X-Interop': 'yes' } }).json<Echo>();
      expect(echo.headers['User-Agent']).toMatch(/^nodequests\/\d+\.\d+\.\d+/);
      expect(echo.headers['X-Interop']).toBe('yes');
      expect(echo.headers.Host).toBe(`127.0.0.1:${peer.port}`);
    });

    it('POST /post echoes a text body, a form, JSON and a multipart file', () => {
      const text = s.post(`${base}/post`, { data: 'plain body \u00e9', headers: { 'Content-Type': 'text/plain; charset=utf-8' } }).json<Echo>();
      expect(text.data).toBe('plain body \u00e9');

      const form = s.post(`${base}/post`, { data: { a: '1', b: 'two words' } }).json<Echo>();
      expect(form.form).toEqual({ a: '1', b: 'two words' });
      expect(form.headers['Content-Type']).toBe('application/x-www-form-urlencoded');

      const json = s.post(`${base}/post`, { json: { n: 1, list: [true, null, 'x'] } }).json<Echo>();
      expect(json.json).toEqual({ n: 1, list: [true, null, 'x'] });

      const multi = s.post(`${base}/post`, { data: { field: 'v' }, files: { upload: ['a.txt', 'file content\n', 'text/plain'] } }).json<Echo>();
      expect(multi.form).toEqual({ field: 'v' });
      expect(multi.files).toEqual({ upload: 'file content\n' });
      expect(multi.headers['Content-Type']).toMatch(/^multipart\/form-data; boundary=/);
    });

    it('POST /post round-trips 1 MiB of bytes', () => {
      const body = Buffer.alloc(1 << 20, 'abcdefghijklmnopqrstuvwxyz');
      const echo = s.post(`${base}/post`, { data: body, headers: { 'Content-Type': 'text/plain' } }).json<Echo>();
      expect(echo.data.length).toBe(body.length);
      expect(echo.data).toBe(body.toString());
    });

    it('/status/404 is a 404 whose raiseForStatus() throws HTTPError with httpbin\'s reason', () => {
      const url = `${base}/status/404`;
      const r = s.get(url);
      expect(r.statusCode).toBe(404);
      expect(r.ok).toBe(false);
      expect(r.reason).toBe('NOT FOUND');
      expect(() => r.raiseForStatus()).toThrow(HTTPError);
      expect(() => r.raiseForStatus()).toThrow(`404 Client Error: NOT FOUND for url: ${url}`);
      try {
        r.raiseForStatus();
      } catch (err) {
        expect((err as HTTPError).response).toBe(r);
      }
    });

    it('/status/500 raises a Server Error', () => {
      const url = `${base}/status/500`;
      expect(() => s.get(url).raiseForStatus()).toThrow(`500 Server Error: INTERNAL SERVER ERROR for url: ${url}`);
    });

    it('/bytes/N returns N bytes, the same ones for the same seed', () => {
      const r = s.get(`${base}/bytes/4096?seed=7`);
      expect(r.statusCode).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/octet-stream');
      expect(r.content.length).toBe(4096);
      expect(s.get(`${base}/bytes/4096?seed=7`).content.equals(r.content)).toBe(true);
    });

    it('/stream/N read with stream: true and iterLines() gives N JSON lines', () => {
      const r = s.get(`${base}/stream/25`, { stream: true });
      expect(r.statusCode).toBe(200);
      const lines = [...r.iterLines({ decodeUnicode: true })] as string[];
      expect(lines).toHaveLength(25);
      expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    });

    it('follows /redirect/3 to /get and keeps the history', () => {
      const r = s.get(`${base}/redirect/3`);
      expect(r.statusCode).toBe(200);
      expect(r.url).toBe(`${base}/get`);
      expect(r.history.map((h) => h.statusCode)).toEqual([302, 302, 302]);
    });

    it('answers /basic-auth with the right credentials and 401 without them', () => {
      expect(s.get(`${base}/basic-auth/user/pw`, { auth: ['user', 'pw'] }).json()).toEqual({ authenticated: true, user: 'user' });
      expect(s.get(`${base}/basic-auth/user/pw`, { auth: ['user', 'wrong'] }).statusCode).toBe(401);
    });

    it('keeps cookies that /cookies/set sets and sends them back', () => {
      const jarSession = new Session();
      try {
        const r = jarSession.get(`${base}/cookies/set?flavour=oat`);
        expect(r.json()).toEqual({ cookies: { flavour: 'oat' } });
        expect(jarSession.cookies.get('flavour')).toBe('oat');
        expect(jarSession.get(`${base}/cookies`).json()).toEqual({ cookies: { flavour: 'oat' } });
      } finally {
        jarSession.close();
      }
    });

    it('runs 32 multiplexed requests and gathers them', () => {
      const m = new Session({ multiplexed: true, poolMaxsize: 8 });
      try {
        const rs = Array.from({ length: 32 }, (_, i) => m.get(`${base}/get?i=${i}`));
        m.gather();
        expect(rs.map((r) => r.lazy)).toEqual(Array(32).fill(false));
        expect(rs.map((r) => r.json<Echo>().args.i)).toEqual(Array.from({ length: 32 }, (_, i) => String(i)));
      } finally {
        m.close();
      }
    });
  });

  describe('AsyncSession', () => {
    it('GET /get and HEAD /get', async () => {
      const r = await a.get(`${base}/get`, { params: { q: 'async' } });
      expect(r.statusCode).toBe(200);
      expect(r.json<Echo>().args).toEqual({ q: 'async' });
      const h = await a.head(`${base}/get`);
      expect(h.statusCode).toBe(200);
      expect(h.content.length).toBe(0);
    });

    it('/headers shows our User-Agent', async () => {
      const echo = (await a.get(`${base}/headers`)).json<Echo>();
      expect(echo.headers['User-Agent']).toMatch(/^nodequests\/\d+\.\d+\.\d+/);
    });

    it('POST /post echoes JSON and a form', async () => {
      const [json, form] = await Promise.all([
        a.post(`${base}/post`, { json: { hello: 'world', n: [1, 2, 3] } }),
        a.post(`${base}/post`, { data: [['k', 'v1'], ['k', 'v2']] }),
      ]);
      expect(json.json<Echo>().json).toEqual({ hello: 'world', n: [1, 2, 3] });
      expect(form.json<Echo>().form).toEqual({ k: ['v1', 'v2'] });
    });

    it('/status/404 raises HTTPError with httpbin\'s reason', async () => {
      const url = `${base}/status/404`;
      const r = await a.get(url);
      expect(r.statusCode).toBe(404);
      expect(() => r.raiseForStatus()).toThrow(HTTPError);
      expect(() => r.raiseForStatus()).toThrow(`404 Client Error: NOT FOUND for url: ${url}`);
    });

    it('/bytes/N: the same bytes as the sync session for the same seed', async () => {
      const r = await a.get(`${base}/bytes/2048?seed=11`);
      expect(r.content.length).toBe(2048);
      expect(r.content.equals(s.get(`${base}/bytes/2048?seed=11`).content)).toBe(true);
    });

    it('/stream/N with stream: true and iterLines()', async () => {
      const r = await a.get(`${base}/stream/40`, { stream: true });
      expect(r).toBeInstanceOf(AsyncResponse);
      const ids: number[] = [];
      for await (const line of r.iterLines({ decodeUnicode: true })) ids.push((JSON.parse(line as string) as { id: number }).id);
      expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i));
    });

    it('100 concurrent GETs all come back right', async () => {
      const rs = await Promise.all(Array.from({ length: 100 }, (_, i) => a.get(`${base}/anything/${i}`)));
      expect(rs.map((r) => (r.json() as { url: string }).url)).toEqual(Array.from({ length: 100 }, (_, i) => `${base}/anything/${i}`));
    });
  });
});
