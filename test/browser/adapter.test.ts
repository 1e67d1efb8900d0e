// The browser build's fetch carrier (src/browser/adapter.ts), in headless chromium: the async
// API on a page against servers of this file, on the page's origin and on another one (with
// and without CORS). Off CI, skipped (saying why) when chromium is not installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, chromiumMissing, openBrowser, type BrowserHarness, type Route } from '../helpers/browser.js';

const skip = chromiumMissing();

let attempts = 0;
const routes: Route = async (req, res, url) => {
  const path = url.pathname.replace(/^\/cors/, '');
  switch (path) {
    case '/echo': {
      const body = await bodyOf(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, query: url.search, headers: req.headers, body: body.toString('latin1') }));
      return true;
    }
    case '/status': {
      res.writeHead(Number(url.searchParams.get('code')), { 'content-type': 'text/plain' }).end('status');
      return true;
    }
    case '/latin1':
      res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.from('caf\xe9', 'latin1'));
      return true;
    case '/redirect':
      res.writeHead(302, { location: '/echo?from=redirect' }).end();
      return true;
    case '/flaky':
      attempts++;
      res.writeHead(attempts % 3 === 0 ? 200 : 503, { 'content-type': 'text/plain' }).end(`attempt ${attempts}`);
      return true;
    case '/hang':
      req.socket.setTimeout(10_000, () => req.socket.destroy());
      return true;
    case '/chunks': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const timer = setInterval(() => {
        res.write(`line ${n}\n`);
        if (++n === 5) clearInterval(timer), res.end();
      }, 20);
      return true;
    }
    case '/set-cookie':
      res.writeHead(200, { 'set-cookie': 'flavour=oat; Path=/; SameSite=Lax', 'content-type': 'text/plain' }).end('set');
      return true;
    case '/big':
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(100_000, 7));
      return true;
  }
  return false;
};

describe.skipIf(skip)('browser: AsyncSession on fetch', () => {
  let b: BrowserHarness;
  beforeAll(async () => {
    b = await openBrowser(routes);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
  });

  it('aget and apost with params, headers, JSON and form bodies; json(), codes, raiseForStatus', async () => {
    const out = await b.run(`
      const g = await nq.aget(base + '/echo', { params: { q: 'a b', n: [1, 2] }, headers: { 'X-Test': 'yes' } });
      const j = await nq.apost(base + '/echo', { json: { a: 1 } });
      const f = await nq.apost(base + '/echo', { data: { k: 'v w' } });
      const missing = await nq.aget(base + '/status?code=404');
      let raised = null;
      try { missing.raiseForStatus(); } catch (e) { raised = e.code; }
      return { g: g.json(), ok: g.statusCode === nq.codes.ok, j: j.json(), f: f.json(), status: missing.statusCode, raised };
    `);
    expect(out).toMatchObject({ value: { ok: true, status: 404, raised: 'NQ_ERR_HTTP' } });
    const v = (out as { value: any }).value;
    expect(v.g.query).toBe('?q=a+b&n=1&n=2');
    expect(v.g.headers['x-test']).toBe('yes');
    expect(v.j.body).toBe('{"a":1}');
    expect(v.j.headers['content-type']).toBe('application/json');
    expect(v.f.body).toBe('k=v+w');
    expect(v.f.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('multipart from FormData and files, with the boundary in Content-Type', async () => {
    const out = await b.run(`
      const fd = new FormData();
      fd.append('field', 'value');
      fd.append('upload', new Blob(['file body'], { type: 'text/plain' }), 'a.txt');
      const r = await nq.apost(base + '/echo', { data: fd });
      const r2 = await nq.apost(base + '/echo', { files: { doc: ['b.txt', 'hello'] } });
      return [r.json(), r2.json()];
    `);
    const [a, c] = (out as { value: any[] }).value;
    expect(a.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(a.body).toContain('name="field"\r\n\r\nvalue');
    expect(a.body).toContain('filename="a.txt"');
    expect(a.body).toContain('file body');
    expect(c.body).toContain('filename="b.txt"');
  });

  it('a Blob or async iterable body is sent whole; maxBodySize stops a bigger response with BodyTooLarge', async () => {
    const out = await b.run(`
      async function* parts() { yield new TextEncoder().encode('it'); yield new TextEncoder().encode('erable'); }
      const blob = (await nq.apost(base + '/echo', { data: new Blob(['from a blob'], { type: 'text/x-blob' }) })).json();
      const iterable = (await nq.apost(base + '/echo', { data: parts() })).json();
      let tooLarge = null;
      try { await nq.aget(base + '/big', { maxBodySize: 1000 }); } catch (e) { tooLarge = e.code; }
      return { blob: [blob.body, blob.headers['content-type']], iterable: iterable.body, tooLarge };
    `);
    expect(out).toEqual({ value: { blob: ['from a blob', 'text/x-blob'], iterable: 'iterable', tooLarge: 'NQ_ERR_BODY_TOO_LARGE' } });
  });

  it('text follows the declared charset', async () => {
    const out = await b.run(`const r = await nq.aget(base + '/latin1'); return [r.encoding, r.text];`);
    expect(out).toEqual({ value: ['iso-8859-1', 'café'] });
  });

  it('AsyncSession with baseUrl, session headers and params; the browser follows redirects and r.url says where it ended', async () => {
    const out = await b.run(`
      const s = new nq.AsyncSession({ baseUrl: location.origin, headers: { 'X-Session': '1' }, params: { s: 'p' } });
      const r = await s.get('/redirect');
      return { url: r.url, history: r.history.length, body: r.json() };
    `);
    const v = (out as { value: any }).value;
    expect(v.url).toBe(`${b.page}/echo?from=redirect`);
    expect(v.history).toBe(0);
    expect(v.body.headers['x-session']).toBe('1');
  });

  it('retries a 503 by statusForcelist', async () => {
    attempts = 0;
    const out = await b.run(`
      const s = new nq.AsyncSession({ retries: { total: 3, statusForcelist: [503], backoffFactor: 0 } });
      const r = await s.get(base + '/flaky');
      return [r.statusCode, r.text];
    `);
    expect(out).toEqual({ value: [200, 'attempt 3'] });
    expect(attempts).toBe(3);
  });

  it('hooks: response and preRequest run', async () => {
    const out = await b.run(`
      const seen = [];
      const r = await nq.aget(base + '/echo', { hooks: { preRequest: [(req) => { req.headers.set('X-Hooked', '1'); }], response: [(res) => { seen.push(res.statusCode); }] } });
      return { seen, hooked: r.json().headers['x-hooked'] };
    `);
    expect(out).toEqual({ value: { seen: [200], hooked: '1' } });
  });

  it('stream: true reads the fetch body stream with iterContent as it arrives', async () => {
    const out = await b.run(`
      const r = await nq.aget(base + '/chunks', { stream: true });
      const lines = [];
      for await (const line of r.iterLines()) lines.push(new TextDecoder().decode(line));
      return lines;
    `);
    expect(out).toEqual({ value: ['line 0', 'line 1', 'line 2', 'line 3', 'line 4'] });
  });

  it('multiplexed lazy responses resolved by gather', async () => {
    const out = await b.run(`
      const s = new nq.AsyncSession({ multiplexed: true });
      const rs = [await s.get(base + '/echo?i=1'), await s.get(base + '/echo?i=2'), await s.get(base + '/big')];
      await s.gather();
      return [rs[0].json().query, rs[1].json().query, rs[2].content.length];
    `);
    expect(out).toEqual({ value: ['?i=1', '?i=2', 100_000] });
  });

  it('a cross-origin request: answered where CORS allows it, a clear ConnectionError where it does not', async () => {
    const ok = await b.run(`return (await nq.aget('${b.other}/cors/echo', { headers: { 'X-Custom': 'c' } })).json().headers['x-custom'];`);
    expect(ok).toEqual({ value: 'c' });
    const refused = await b.run(`return await nq.aget('${b.other}/echo');`);
    expect(refused).toMatchObject({ error: { name: 'ConnectionError', code: 'NQ_ERR_CONNECTION' } });
    expect((refused as { error: { message: string } }).error.message).toMatch(/cross-origin response without CORS headers/);
  });

  it('cookies are the browser\'s: a Set-Cookie is kept by it, and credentials says which requests carry them', async () => {
    const out = await b.run(`
      await nq.aget(base + '/set-cookie');
      const cookie = async (url, credentials) => (await nq.aget(url, credentials ? { credentials } : undefined)).json().headers.cookie ?? null;
      return {
        page: document.cookie,
        sameOrigin: await cookie(base + '/echo'),
        omitted: await cookie(base + '/echo', 'omit'),
        crossDefault: await cookie('${b.other}/cors/echo'),
        crossIncluded: await cookie('${b.other}/cors/echo', 'include'),
        jar: (await nq.aget(base + '/echo')).cookies.size,
      };
    `);
    expect(out).toEqual({ value: { page: 'flavour=oat', sameOrigin: 'flavour=oat', omitted: null, crossDefault: null, crossIncluded: 'flavour=oat', jar: 0 } });
  });

  it('a signal aborts with RequestAborted; a read timeout ends with ReadTimeout', async () => {
    const out = await b.run(`
      const c = new AbortController();
      setTimeout(() => c.abort(), 100);
      const outcomes = [];
      for (const opts of [{ signal: c.signal }, { timeout: 200 }]) {
        try { await nq.aget(base + '/hang', opts); outcomes.push('answered'); } catch (e) { outcomes.push(e.code); }
      }
      return outcomes;
    `);
    expect(out).toEqual({ value: ['NQ_ERR_ABORTED', 'NQ_ERR_READ_TIMEOUT'] });
  });

  it('what the browser controls is refused with BrowserUnsupported, saying so', async () => {
    const out = await b.run(`
      const tries = [
        () => nq.aget(base + '/echo', { proxies: { http: 'http://127.0.0.1:1' } }),
        () => new nq.AsyncSession({ verify: false }).get(base + '/echo'),
        () => nq.aget(base + '/echo', { cookies: { a: '1' } }),
        () => new nq.AsyncSession({ resolver: 'in-memory://default/?hosts=x.test:127.0.0.1' }).get(base + '/echo'),
        () => new nq.AsyncSession({ app: { fetch: () => new Response('in process') } }).get(base + '/echo'),
      ];
      const out = [];
      for (const t of tries) { try { await t(); out.push('sent'); } catch (e) { out.push([e.code, e.message]); } }
      return out;
    `);
    const v = (out as { value: Array<[string, string]> }).value;
    expect(v.map((e) => e[0])).toEqual(Array(5).fill('NQ_ERR_BROWSER_UNSUPPORTED'));
    expect(v[0]![1]).toMatch(/proxies are the browser's/);
    expect(v[1]![1]).toMatch(/browser verifies certificates itself/);
    expect(v[2]![1]).toMatch(/credentials option/);
    expect(v[3]![1]).toMatch(/browser resolves names itself/);
    expect(v[4]![1]).toMatch(/app option cannot be used in the browser/);
  });

  it('a sync call on the main thread is a clear error saying where it can run', async () => {
    const out = await b.run(`return nq.get(base + '/echo').statusCode;`);
    expect(out).toMatchObject({ error: { code: 'NQ_ERR_BROWSER_UNSUPPORTED' } });
    expect((out as { error: { message: string } }).error.message).toMatch(/main thread.*Web Worker of a cross-origin-isolated page/);
  });
});
