// Server-Sent Events in the browser build (a streamed fetch body read as events by the shared
// classes of src/extensions/), in headless chromium against event streams of this file: events, raw events, json(), the end
// of the stream, a read timeout that leaves the stream usable, and a sync Session in a worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, openBrowser, type BrowserHarness, type Route } from '../helpers/browser.js';

const skip = chromiumMissing();

const routes: Route = (req, res, url) => {
  if (url.pathname !== '/events') return false;
  const pause = Number(url.searchParams.get('pause') ?? 0);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(`id: 1\nevent: greet\ndata: {"n":1,"accept":${JSON.stringify(req.headers.accept)}}\n\n`);
  res.write(': a comment, no event\n\n');
  setTimeout(() => {
    res.write('retry: 500\ndata: two\ndata: lines\n\n');
    res.end('data: three\n\n');
  }, pause);
  return true;
};

describe.skipIf(skip)('browser: SSE over fetch streaming', () => {
  let b: BrowserHarness;
  let sse: string;
  beforeAll(async () => {
    b = await openBrowser(routes);
    sse = b.page.replace(/^http:/, 'psse:');
  }, 60_000);
  afterAll(async () => {
    await b?.close();
  });

  it('AsyncSession: events with id, event, data, retry and json(); null at the end', async () => {
    const out = await b.run(`
      const r = await nq.aget('${sse}/events');
      const x = r.extension;
      const got = [];
      for await (const e of x) got.push({ id: e.id, event: e.event, data: e.data, retry: e.retry });
      const first = got[0];
      return { status: r.statusCode, got, json: JSON.parse(first.data), end: await x.nextPayload(), closed: x.closed };
    `);
    expect(out).toEqual({
      value: {
        status: 200,
        got: [
          { id: '1', event: 'greet', data: '{"n":1,"accept":"text/event-stream"}', retry: null },
          // The last event id stays with the stream until another is set, as in Node.
          { id: '1', event: 'message', data: 'two\nlines', retry: 500 },
          { id: '1', event: 'message', data: 'three', retry: null },
        ],
        json: { n: 1, accept: 'text/event-stream' },
        end: null,
        closed: true,
      },
    });
  });

  it('raw: true gives the event text; a read timeout leaves the stream usable', async () => {
    const out = await b.run(`
      const x = (await nq.aget('${sse}/events?pause=400', { timeout: 150 })).extension;
      const got = [await x.nextPayload({ raw: true })];
      try { await x.nextPayload(); got.push('no timeout'); } catch (e) { got.push(e.code); }
      await new Promise((r) => setTimeout(r, 400));
      await x.nextPayload();
      got.push(await x.nextPayload({ raw: true }));
      return got;
    `);
    expect(out).toEqual({ value: ['id: 1\nevent: greet\ndata: {"n":1,"accept":"text/event-stream"}', 'NQ_ERR_READ_TIMEOUT', 'data: three'] });
  });

  it('a sync Session in a worker reads events by blocking', async () => {
    const out = await b.inWorker(`
      const x = new nq.Session().get('${sse}/events?pause=100').extension;
      const got = [];
      for (const e of x) got.push(e.data);
      return got;
    `);
    expect(out).toEqual({ value: ['{"n":1,"accept":"text/event-stream"}', 'two\nlines', 'three'] });
  });
});
