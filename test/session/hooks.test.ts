// Hooks as a user sees them, against real servers: when each runs, in which order, what
// it is given, and that a returned value replaces the object.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncSession, HTTPDigestAuth, InvalidOption, InvalidSchema, Session,
  type BaseResponse, type EarlyResponse, type PreparedRequest, type Progress,
} from '../../dist/src/index.js';
import { echoOf, rejection, startSemanticsServer, uid, withClient, type Kind, type SemanticsServer } from '../helpers/semantics-server.js';

let srv: SemanticsServer;
beforeAll(async () => {
  srv = await startSemanticsServer();
});
afterAll(async () => {
  await srv.close();
});

const path = (r: PreparedRequest): string => new URL(r.url).pathname;

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31) % 256;
  return b;
}

/** Progress events are cumulative: bytes never go down, only the last one is done. */
function expectWellFormed(events: Progress[], total: number | null, last: number): void {
  expect(events.length).toBeGreaterThan(0);
  for (let i = 1; i < events.length; i++) expect(events[i]!.bytes).toBeGreaterThanOrEqual(events[i - 1]!.bytes);
  expect(events.every((e) => e.total === total)).toBe(true);
  expect(events.slice(0, -1).some((e) => e.done)).toBe(false);
  expect(events.at(-1)).toEqual({ bytes: last, total, done: true });
}

describe.each(['sync', 'async'] as Kind[])('hooks (%s)', (kind) => {
  it('preRequest runs once per call, preSend before every hop; response only with the final response', async () => {
    const seen: string[] = [];
    await withClient(kind, undefined, async (c) => {
      await c.get(`${srv.base}/redirect/2`, {
        hooks: {
          preRequest: (r) => void seen.push(`preRequest ${path(r)}`),
          preSend: (r) => void seen.push(`preSend ${r.method} ${path(r)}`),
          response: (r) => void seen.push(`response ${r.statusCode} ${new URL(r.url).pathname}`),
        },
      });
    });
    expect(seen).toEqual([
      'preRequest /redirect/2',
      'preSend GET /redirect/2',
      'preSend GET /redirect/1',
      'preSend GET /get',
      'response 200 /get',
    ]);
  });

  it('a URL a preSend hook sets is checked and sent as a parser serializes it (no fragment, spaces escaped)', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/redirect/1`, {
        hooks: { preSend: (req) => ({ ...req, url: `${srv.base}/get?moved=a b#not-sent` }) },
      });
      expect(echoOf(r).url).toBe('/get?moved=a%20b');
      const bad = await rejection(c.get(`${srv.base}/get`, { hooks: { preSend: (req) => ({ ...req, url: 'ftp://example.test/' }) } }));
      expect(bad).toBeInstanceOf(InvalidSchema);
    });
  });

  it('preSend runs again for each retry and for the Digest answer, and sees the Authorization it carries', async () => {
    await withClient(kind, { retries: { total: 2, statusForcelist: [503] } }, async (c) => {
      const retried: number[] = [];
      await c.get(`${srv.base}/flaky?id=${uid('h')}&fail=2`, { hooks: { preSend: () => void retried.push(1) } });
      expect(retried).toHaveLength(3);
      const auths: Array<string | null> = [];
      const r = await c.get(`${srv.base}/digest-auth/auth/u/p`, {
        auth: new HTTPDigestAuth('u', 'p'),
        hooks: { preSend: (req) => void auths.push(req.headers.get('authorization')?.split(' ')[0] ?? null) },
      });
      expect(r.statusCode).toBe(200);
      expect(auths).toEqual([null, 'Digest']);
    });
  });

  it('what preSend sets goes on the wire, hop by hop', async () => {
    await withClient(kind, undefined, async (c) => {
      let n = 0;
      const r = await c.get(`${srv.base}/redirect/2`, { hooks: { preSend: (req) => void req.headers.set('X-Hop', String(++n)) } });
      expect(echoOf(r).headers['x-hop']).toBe('3');
    });
  });

  it('a hook that returns a value replaces the request it was given', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/anything/original`, {
        hooks: {
          preRequest: (req): PreparedRequest => ({ ...req, url: `${srv.base}/anything/replaced`, headers: req.headers.copy().set('X-New', 'yes') }),
          preSend: [(req) => ({ ...req, method: 'PUT' }), () => undefined, (req) => void req.headers.set('X-Last', req.method)],
        },
      });
      const e = echoOf(r);
      expect([e.method, e.path, e.headers['x-new'], e.headers['x-last']]).toEqual(['PUT', '/anything/replaced', 'yes', 'PUT']);
    });
  });

  it('a response hook that returns a value replaces the response; undefined keeps it', async () => {
    await withClient(kind, undefined, async (c) => {
      const marker = { replaced: true } as unknown as BaseResponse;
      const kept: BaseResponse[] = [];
      const r = await c.get(`${srv.base}/status/418`, { hooks: { response: [(res) => void kept.push(res), () => marker] } });
      expect(r).toBe(marker);
      expect(kept[0]!.statusCode).toBe(418);
      const same = await c.get(`${srv.base}/status/200`, { hooks: { response: () => null as unknown as undefined } });
      expect(same.statusCode).toBe(200);
    });
  });

  it('session hooks run before request hooks, for every kind of hook', async () => {
    const order: string[] = [];
    const mark = (who: string, what: string) => () => void order.push(`${who} ${what}`);
    const kinds = ['preRequest', 'preSend', 'response', 'onDownload', 'earlyResponse'] as const;
    const hooks = (who: string) => Object.fromEntries(kinds.map((k) => [k, mark(who, k)]));
    await withClient(kind, { hooks: hooks('session') }, async (c) => {
      await c.get(`${srv.base}/early-hints`, { hooks: hooks('request') });
    });
    for (const k of kinds) {
      const mine = order.filter((o) => o.endsWith(` ${k}`));
      expect(mine.length, k).toBeGreaterThanOrEqual(2);
      expect(mine.slice(0, 2), k).toEqual([`session ${k}`, `request ${k}`]);
    }
  });

  it('session hooks can be replaced between requests', async () => {
    await withClient(kind, undefined, async (c) => {
      const seen: number[] = [];
      c.session.hooks = { response: (r) => void seen.push(r.statusCode) };
      await c.get(`${srv.base}/status/201`);
      c.session.hooks = null;
      await c.get(`${srv.base}/status/202`);
      expect(seen).toEqual([201]);
    });
  });

  it('onUpload reports a 1 MiB POST as it goes: bytes, total, done at the end', async () => {
    const body = pattern(1 << 20);
    const events: Progress[] = [];
    const requests = new Set<string>();
    await withClient(kind, undefined, async (c) => {
      const r = await c.post(`${srv.base}/anything`, {
        data: body,
        hooks: {
          onUpload: (p, req) => {
            events.push({ ...p });
            requests.add(req.url);
          },
        },
      });
      expect(echoOf(r).sha256).toBe(createHash('sha256').update(body).digest('hex'));
    });
    expect(events.length).toBeGreaterThan(1);
    expectWellFormed(events, 1 << 20, 1 << 20);
    expect([...requests]).toEqual([`${srv.base}/anything`]);
  });

  it('onDownload reports a body with a Content-Length and a chunked one', async () => {
    await withClient(kind, undefined, async (c) => {
      const sized: Progress[] = [];
      const r = await c.get(`${srv.base}/bytes/${1 << 20}`, { hooks: { onDownload: (p) => void sized.push({ ...p }) } });
      expect(r.content!.length).toBe(1 << 20);
      expectWellFormed(sized, 1 << 20, 1 << 20);
      const chunked: Progress[] = [];
      await c.get(`${srv.base}/stream-bytes/100000`, { hooks: { onDownload: (p) => void chunked.push({ ...p }) } });
      expectWellFormed(chunked, null, 100000);
    });
  });

  it('onDownload counts a compressed body in the same unit as its total', async () => {
    await withClient(kind, undefined, async (c) => {
      const events: Progress[] = [];
      const r = await c.get(`${srv.base}/gzip/100000`, { hooks: { onDownload: (p) => void events.push({ ...p }) } });
      expect(r.text!.length).toBe(100000);
      const last = events.at(-1)!;
      expect(last.done).toBe(true);
      // Decoded bytes, so the Content-Length (of the encoded body) is no total for them.
      expect(last.bytes).toBe(100000);
      expect(events.map((e) => e.total)).toEqual(events.map(() => null));
    });
  });

  it('a request replaced by a hook is what r.url and redirects start from', async () => {
    await withClient(kind, undefined, async (c) => {
      const r = await c.get(`${srv.base}/anything/original`, {
        hooks: { preRequest: (req) => ({ ...req, url: `${srv.otherPort}/redirect-to?url=${encodeURIComponent('/anything/landed')}` }) },
      });
      expect([echoOf(r).server, echoOf(r).url]).toEqual(['other', '/anything/landed']);
      expect(r.history[0]!.url).toBe(`${srv.otherPort}/redirect-to?url=${encodeURIComponent('/anything/landed')}`);
      expect(r.url).toBe(`${srv.otherPort}/anything/landed`);
    });
  });

  it('earlyResponse receives a 103 Early Hints with its Link fields; the response is the 200 after it', async () => {
    await withClient(kind, undefined, async (c) => {
      const early: EarlyResponse[] = [];
      const r = await c.get(`${srv.base}/early-hints`, { hooks: { earlyResponse: (e) => void early.push(e) } });
      expect(early.map((e) => e.statusCode)).toEqual([103]);
      expect(early[0]!.headers.get('link')).toBe('</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script');
      expect([r.statusCode, r.text]).toEqual([200, 'hinted']);
    });
  });

  it('each of several 103 responses reaches earlyResponse, in order', async () => {
    await withClient(kind, undefined, async (c) => {
      const links: string[] = [];
      await c.get(`${srv.base}/early-hints?n=2`, { hooks: { earlyResponse: (e) => void links.push(e.headers.get('link')!) } });
      expect(links).toEqual(['</style.css>; rel=preload; as=style, </app.js>; rel=preload; as=script', '</font.woff2>; rel=preload; as=font']);
    });
  });

  it('onUpload reports a small body too (sent inline with the request head)', async () => {
    await withClient(kind, undefined, async (c) => {
      const events: Progress[] = [];
      await c.post(`${srv.base}/anything`, { data: 'small', hooks: { onUpload: (p) => void events.push({ ...p }) } });
      expectWellFormed(events, 5, 5);
    });
  });

  it('a hook that throws fails the call with its error, and the session carries on', async () => {
    await withClient(kind, undefined, async (c) => {
      const boom = new Error('hook failed');
      for (const hooks of [
        { preRequest: () => { throw boom; } },
        { preSend: () => { throw boom; } },
        { response: () => { throw boom; } },
        { onDownload: () => { throw boom; } },
      ]) {
        expect(await rejection(c.get(`${srv.base}/get`, { hooks }))).toBe(boom);
      }
      expect((await c.get(`${srv.base}/get`)).statusCode).toBe(200);
    });
  });

  it('unknown hook names and non-functions are refused by name', async () => {
    await withClient(kind, undefined, async (c) => {
      const bad = await rejection(c.get(`${srv.base}/get`, { hooks: { onResponse: () => {} } as never }));
      expect(bad).toBeInstanceOf(InvalidOption);
      expect(bad.message).toContain('onResponse');
      const notFn = await rejection(c.get(`${srv.base}/get`, { hooks: { response: 'nope' } as never }));
      expect(notFn).toBeInstanceOf(InvalidOption);
      expect(notFn.message).toContain('hooks.response');
    });
  });
});

describe('hooks (one API each)', () => {
  it('sync: a response hook may answer a 401 by sending the request again with credentials', () => {
    const s = new Session();
    try {
      const url = `${srv.base}/basic-auth/u/p`;
      const r = s.get(url, { hooks: { response: (res) => (res.statusCode === 401 ? s.get(url, { auth: ['u', 'p'] }) : undefined) } });
      expect(r.statusCode).toBe(200);
    } finally {
      s.close();
    }
  });

  it('async: onUpload for a streamed body of unknown length has no total, and says done at the end', async () => {
    await using s = new AsyncSession();
    const events: Progress[] = [];
    async function* parts() {
      for (let i = 0; i < 8; i++) yield pattern(64 * 1024);
    }
    const r = await s.post(`${srv.base}/anything`, { data: parts(), hooks: { onUpload: (p) => void events.push({ ...p }) } });
    expect(echoOf(r).bodyLength).toBe(8 * 64 * 1024);
    expectWellFormed(events, null, 8 * 64 * 1024);
  });

  it('async: onUpload for a Blob knows the total', async () => {
    await using s = new AsyncSession();
    const events: Progress[] = [];
    await s.post(`${srv.base}/anything`, { data: new Blob([new Uint8Array(pattern(300_000))]), hooks: { onUpload: (p) => void events.push({ ...p }) } });
    expectWellFormed(events, 300_000, 300_000);
  });
});

describe('hooks that return the wrong thing', () => {
  it('a preRequest or preSend hook that returns something other than a request is an InvalidOption naming it', async () => {
    for (const kind of ['sync', 'async'] as Kind[]) {
      await withClient(kind, undefined, async (c) => {
        const id = uid('bad-hook');
        for (const hooks of [{ preRequest: () => 1 }, { preSend: () => ({ url: 'x' }) }]) {
          const e = await rejection(c.get(`${srv.base}/flaky?id=${id}`, { hooks: hooks as never }));
          expect(e).toBeInstanceOf(InvalidOption);
          expect(e.message).toMatch(/(preRequest|preSend) hook returned/);
        }
        expect(await srv.count(id)).toBe(0);
      });
    }
  });
});
