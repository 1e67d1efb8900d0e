import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AsyncSession, BodyTooLarge, ContentDecodingError, ReadTimeout, SessionClosedError, type AsyncServerSentEvents } from '../../dist/src/index.js';
import { until } from '../helpers/until.js';

// What the in-process carrier does with an app's answer beyond passing it on: decoding,
// limits, closing. Sessions have a read timeout, so a hang fails with the URL.
type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;
const session = (app: Listener, options: Record<string, unknown> = {}) => new AsyncSession({ app, timeout: 5_000, ...options });

const text = 'compressed by the app '.repeat(100);
const gzipApp: Listener = (req, res) => {
  res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain' });
  res.end(req.url === '/bad' ? Buffer.from('not gzip at all') : gzipSync(text));
};

describe('the in-process carrier', () => {
  it('undoes a Content-Encoding the app applied, read whole or streamed', async () => {
    await using s = session(gzipApp);
    expect((await s.get('/a')).text).toBe(text);
    const streamed = await s.get('/a', { stream: true });
    let got = '';
    for await (const c of streamed.iterContent(null)) got += String(c);
    expect(got).toBe(text);
  });

  it('leaves it on for a streamed body read raw', async () => {
    await using s = session(gzipApp);
    const r = await s.get('/a', { stream: true });
    expect(await r.raw.read()).toEqual(gzipSync(text));
  });

  it('fails a body that does not decode with ContentDecodingError', async () => {
    await using s = session(gzipApp);
    await expect(s.get('/bad')).rejects.toThrow(ContentDecodingError);
  });

  it('stops a body past maxBodySize with BodyTooLarge', async () => {
    await using s = session((req, res) => res.end(Buffer.alloc(4096)));
    await expect(s.get('/big', { maxBodySize: 1000 })).rejects.toThrow(BodyTooLarge);
  });

  it('ends requests in flight with SessionClosedError when the session closes, and the app sees them aborted', async () => {
    let aborted = false;
    let entered = false;
    const s = session((req) => {
      entered = true;
      req.on('aborted', () => (aborted = true));
    });
    const pending = s.get('/held');
    await until(() => entered, () => 'the app to get the request');
    await s.close();
    await expect(pending).rejects.toThrow(SessionClosedError);
    expect(aborted).toBe(true);
  });
});

// Event streams from an app in process: sse:// and psse:// give r.extension, events as the
// app writes them (it waits for /release before its second event).
const streams = (await import('../fixtures/apps/streams-app.mjs')) as Record<'server' | 'bare' | 'fetchApp', unknown>;
describe.each([
  { name: 'an Express app', app: streams.server },
  { name: 'a bare listener', app: streams.bare },
  { name: 'a fetch handler with a ReadableStream body', app: streams.fetchApp },
])('an event stream from $name', ({ app }) => {
  it('gives events as they come, over sse:// and psse://', async () => {
    await using s = new AsyncSession({ app, timeout: 5_000 });
    for (const scheme of ['sse', 'psse']) {
      const r = await s.get(`${scheme}://api.example/events`);
      const events = r.extension as AsyncServerSentEvents;
      expect(events.kind).toBe('sse');
      const first = await events.nextPayload();
      expect([first?.id, first?.data]).toEqual(['1', 'first']);
      expect((await s.get('/release')).statusCode).toBe(200);
      const second = await events.nextPayload();
      expect([second?.event, second?.json()]).toEqual(['update', { n: 2 }]);
      expect(await events.nextPayload()).toBeNull();
      expect(events.lastEventId).toBe('1');
    }
  });

  it('raises ReadTimeout when the app is quiet, and the stream stays usable', async () => {
    await using s = new AsyncSession({ app, timeout: 300 });
    const events = (await s.get('psse://x/events')).extension as AsyncServerSentEvents;
    expect((await events.nextPayload())?.data).toBe('first');
    await expect(events.nextPayload()).rejects.toThrow(ReadTimeout);
    expect(events.closed).toBe(false);
    await s.get('/release');
    expect((await events.nextPayload())?.event).toBe('update');
  });
});
