import { describe, expect, it } from 'vitest';
import { AsyncSession, ReadTimeout } from '../../dist/src/index.js';
import { until } from '../helpers/until.js';

// A fetch handler (`{ fetch }`) called in process: the WHATWG Request it gets and how its
// Response is read. Sessions have a read timeout, so a hang fails with the URL.
type Fetch = (request: Request) => Response | Promise<Response>;
const session = (fetch: Fetch, options: Record<string, unknown> = {}) => new AsyncSession({ app: { fetch }, timeout: 5_000, ...options });

describe('a fetch handler in process', () => {
  it('gets a Request with the method, the URL, the headers and the body', async () => {
    let seen: Record<string, unknown> = {};
    await using s = session(async (request) => {
      seen = { method: request.method, url: request.url, trace: request.headers.get('x-trace'), body: await request.text() };
      return new Response('ok');
    });
    const r = await s.put('https://api.example/v1/x?y=1', { headers: { 'X-Trace': 't' }, data: 'payload' });
    expect(r.text).toBe('ok');
    expect(seen).toEqual({ method: 'PUT', url: 'https://api.example/v1/x?y=1', trace: 't', body: 'payload' });
  });

  it('streams an upload into request.body: the first part is read before the rest is produced', async () => {
    let firstSeen = false;
    await using s = session(async (request) => {
      const parts: string[] = [];
      const reader = request.body!.getReader();
      for (let c = await reader.read(); !c.done; c = await reader.read()) {
        parts.push(Buffer.from(c.value).toString());
        firstSeen = true;
      }
      return new Response(parts.join('|'));
    });
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from('one');
      await until(() => firstSeen, () => 'the app to read the first part of the upload');
      yield Buffer.from('two');
    }
    expect((await s.post('/up', { data: body() })).text).toBe('one|two');
  });

  it('reads a ReadableStream body as it is produced', async () => {
    let more = (): void => {};
    await using s = session(() => {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('a'));
          await new Promise<void>((r) => (more = r));
          controller.enqueue(encoder.encode('b'));
          controller.close();
        },
      });
      return new Response(body, { status: 207, statusText: 'Multi', headers: [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']] });
    });
    const r = await s.get('/s', { stream: true });
    expect([r.statusCode, r.reason]).toEqual([207, 'Multi']);
    expect(r.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(s.cookies.get('b')).toBe('2');
    const it = r.iterContent(null)[Symbol.asyncIterator]();
    expect(String((await it.next()).value)).toBe('a');
    more();
    expect(String((await it.next()).value)).toBe('b');
    expect((await it.next()).done).toBe(true);
  });

  it('answers a rejection, or something other than a Response, with a 500 carrying the message', async () => {
    const errors: string[] = [];
    await using s = session(
      async (request) => {
        if (request.url.endsWith('/reject')) throw new Error('fetch failed here');
        return 'not a response' as unknown as Response;
      },
      { hooks: { appError: (e: unknown) => errors.push((e as Error).message) } },
    );
    const a = await s.get('/reject');
    expect([a.statusCode, a.text]).toEqual([500, 'fetch failed here']);
    const b = await s.get('/other');
    expect(b.statusCode).toBe(500);
    expect(b.text).toMatch(/returned string; expected a Response/);
    expect(errors).toHaveLength(2);
  });

  it('fails a handler that never answers with the read timeout', async () => {
    await using s = session(() => new Promise<Response>(() => {}));
    await expect(s.get('/never', { timeout: 200 })).rejects.toThrow(ReadTimeout);
  });

  it('cancels the body of a response the caller stops reading', async () => {
    let cancelled: unknown = null;
    await using s = session(() => {
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => controller.enqueue(new Uint8Array(64 * 1024)),
        cancel: (reason) => void (cancelled = reason ?? 'cancelled'),
      });
      return new Response(body);
    });
    const r = await s.get('/endless', { stream: true });
    await r.iterContent(null)[Symbol.asyncIterator]().next();
    await r.close();
    await until(() => cancelled !== null, () => 'the body stream to be cancelled');
  });

  it('says app in connInfo, and a bare function is taken for a Node listener', async () => {
    await using s = session(() => new Response('x'));
    const r = await s.get('/');
    expect(r.connInfo).toMatchObject({ app: 'fetch', destinationAddress: null, tlsVersion: null });
    // A function with one parameter is still a listener (req, res): it gets a Node request.
    let gotUrl: unknown;
    await using l = new AsyncSession({ app: (req: { url: string; socket: unknown }, res: { end(s: string): void }) => ((gotUrl = req.url), res.end('listener')), timeout: 5_000 });
    expect((await l.get('/q?x=1')).text).toBe('listener');
    expect(gotUrl).toBe('/q?x=1');
  });
});
