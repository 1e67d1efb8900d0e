// The browser's sync API (src/browser/sync-carrier.ts), in headless chromium: Session and get
// in a Web Worker of a cross-origin-isolated page block while the helper worker fetches; on a
// page without cross-origin isolation a sync call is refused, saying where it can run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, chromiumMissing, openBrowser, type BrowserHarness, type Route } from '../helpers/browser.js';

const skip = chromiumMissing();

let servedOnce = false;
const routes: Route = async (req, res, url, origins) => {
  switch (url.pathname) {
    case '/once/nodequests.js': {
      // The bundle once: the helper worker that loads it again then fails to start.
      if (servedOnce) return void res.writeHead(404).end(), true;
      servedOnce = true;
      const bundle = Buffer.from(await (await fetch(`${origins.page}/nodequests.js`)).arrayBuffer());
      res.writeHead(200, { 'content-type': 'text/javascript', 'cross-origin-resource-policy': 'same-origin' }).end(bundle);
      return true;
    }
    case '/echo': {
      const body = await bodyOf(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, query: url.search, body: body.toString('latin1') }));
      return true;
    }
    case '/slow':
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('late'), Number(url.searchParams.get('ms')));
      return true;
    case '/hang':
      req.socket.setTimeout(10_000, () => req.socket.destroy());
      return true;
    case '/chunks': {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const timer = setInterval(() => {
        res.write(`part ${n};`);
        if (++n === 4) clearInterval(timer), res.end();
      }, 20);
      return true;
    }
    case '/big':
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.alloc(3_000_000, 9));
      return true;
  }
  return false;
};

describe.skipIf(skip)('browser: the sync API in a Web Worker', () => {
  let b: BrowserHarness;
  beforeAll(async () => {
    b = await openBrowser(routes);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
  });

  it('get and a Session block until the response is in: params, JSON body, json(), text', async () => {
    const out = await b.inWorker(`
      const r = nq.get(base + '/echo', { params: { a: 1 } });
      const s = new nq.Session({ baseUrl: base });
      const p = s.post('/echo', { json: { x: [1, 2] } });
      const slow = s.get('/slow?ms=150');
      return { get: r.json(), post: p.json(), slow: slow.text, isolated: self.crossOriginIsolated };
    `);
    expect(out).toEqual({
      value: { get: { method: 'GET', query: '?a=1', body: '' }, post: { method: 'POST', query: '', body: '{"x":[1,2]}' }, slow: 'late', isolated: true },
    });
  });

  it('a 3 MB body crosses the ring whole; stream: true reads it as it comes', async () => {
    const out = await b.inWorker(`
      const big = nq.get(base + '/big');
      const r = new nq.Session().get(base + '/chunks', { stream: true });
      const parts = [];
      for (const chunk of r.iterContent(1)) parts.push(new TextDecoder().decode(chunk));
      return { size: big.content.length, last: big.content[big.content.length - 1], text: parts.join('') };
    `);
    expect(out).toEqual({ value: { size: 3_000_000, last: 9, text: 'part 0;part 1;part 2;part 3;' } });
  });

  it('a multiplexed Session gathers lazy responses', async () => {
    const out = await b.inWorker(`
      const s = new nq.Session({ multiplexed: true });
      const rs = [s.get(base + '/slow?ms=100'), s.get(base + '/echo?i=2')];
      s.gather();
      return [rs[0].text, rs[1].json().query];
    `);
    expect(out).toEqual({ value: ['late', '?i=2'] });
  });

  it('a blocked call ends on a read timeout and on an AbortSignal.timeout deadline', async () => {
    const out = await b.inWorker(`
      const out = [];
      for (const opts of [{ timeout: 200 }, { signal: AbortSignal.timeout(200) }]) {
        try { nq.get(base + '/hang', opts); out.push('answered'); } catch (e) { out.push(e.code); }
      }
      return out;
    `);
    expect(out).toEqual({ value: ['NQ_ERR_READ_TIMEOUT', 'NQ_ERR_ABORTED'] });
  });

  it('a helper worker that cannot load gives the sync API up with a clear error, and the module still loads', async () => {
    const out = await b.run(`
      const w = new Worker(URL.createObjectURL(new Blob([
        "import('" + base + "/once/nodequests.js').then((nq) => { try { nq.get('" + base + "/echo'); postMessage('answered'); } catch (e) { postMessage(e.code + ': ' + e.message); } });"
      ], { type: 'text/javascript' })), { type: 'module' });
      const out = await new Promise((resolve) => (w.onmessage = (e) => resolve(e.data)));
      w.terminate();
      return out;
    `);
    expect((out as { value: string }).value).toMatch(/^NQ_ERR_BROWSER_UNSUPPORTED: .*cannot run in this worker: its helper worker \(.*once\/nodequests\.js\) failed to load/);
  });

  it('without cross-origin isolation a sync call is refused, saying where it can run; the async API works there', async () => {
    const out = await b.onPlainPage(`
      const w = new Worker(URL.createObjectURL(new Blob([
        "import('" + base + "/runner.js').then(async (m) => postMessage(await m.run('return nq.get(base + \\\\'/echo\\\\').statusCode')));"
      ], { type: 'text/javascript' })), { type: 'module' });
      const sync = await new Promise((resolve) => (w.onmessage = (e) => resolve(e.data)));
      w.terminate();
      const r = await nq.aget(base + '/echo');
      return { sync, async: r.statusCode };
    `);
    const v = (out as { value: { sync: { error: { code: string; message: string } }; async: number } }).value;
    expect(v.async).toBe(200);
    expect(v.sync.error.code).toBe('NQ_ERR_BROWSER_UNSUPPORTED');
    expect(v.sync.error.message).toMatch(/cross-origin-isolated page/);
  });
});
