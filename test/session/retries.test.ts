// Retries as a user sees them, against real servers that fail on purpose a given number
// of times: how many attempts, how long between them, what is retried and what is not.
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AsyncSession, ConnectionError, InvalidOption, ReadTimeout, RequestAborted, RetryError, Session, SSLError, StreamConsumedError, type Response,
} from '../../dist/src/index.js';
import { makePki } from '../helpers/certs.js';
import { echoOf, rejection, startSemanticsServer, uid, withClient, type Kind, type SemanticsServer } from '../helpers/semantics-server.js';

let srv: SemanticsServer;
/** A port nothing listens on: connections to it are refused. */
let refused: string;
beforeAll(async () => {
  // The https server's certificate is signed by a CA nobody trusts: every handshake fails.
  const pki = makePki();
  srv = await startSemanticsServer({ certPath: join(pki.dir, 'server.pem'), keyPath: join(pki.dir, 'server.key') });
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  refused = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  await srv.close();
});

const on503 = { total: 3, statusForcelist: [503] };

describe.each(['sync', 'async'] as Kind[])('retries (%s)', (kind) => {
  it('a listed status is retried until it succeeds; each attempt reaches the server', async () => {
    await withClient(kind, { retries: on503 }, async (c) => {
      const id = uid('flaky');
      const r = await c.get(`${srv.base}/flaky?id=${id}&fail=2`);
      expect(r.statusCode).toBe(200);
      expect(echoOf(r).attempt).toBe(3);
      expect(await srv.count(id)).toBe(3);
      expect(r.history).toEqual([]); // retries are not redirects
    });
  });

  it('Retry-After is waited for; respectRetryAfter: false and backoffMax cut the wait (pauses measured at the server)', async () => {
    const waited = uid('ra');
    await withClient(kind, { retries: { total: 1, statusForcelist: [503] } }, async (c) => {
      expect((await c.get(`${srv.base}/flaky?id=${waited}&fail=1&retry_after=1`)).statusCode).toBe(200);
    });
    // The clocks of the two processes differ in when they start, not in their rate.
    expect((await srv.gaps(waited))[0]).toBeGreaterThanOrEqual(950);
    // Ten minutes asked for: not sitting them out is what is checked, with all the margin a
    // loaded machine needs.
    for (const option of [{ respectRetryAfter: false }, { backoffMax: 100 }]) {
      const id = uid('ra');
      await withClient(kind, { retries: { total: 1, statusForcelist: [503], ...option } }, async (c) => {
        expect((await c.get(`${srv.base}/flaky?id=${id}&fail=1&retry_after=600`)).statusCode).toBe(200);
      });
      const gaps = await srv.gaps(id);
      expect(gaps).toHaveLength(1);
      expect(gaps[0]).toBeLessThan(20_000);
    }
  });

  it('Retry-After as an HTTP date is waited for too (loosely measured)', async () => {
    await withClient(kind, { retries: { total: 1, statusForcelist: [503] } }, async (c) => {
      const at = new Date(Date.now() + 2500).toUTCString(); // whole seconds: between 1.5 and 2.5 s away
      const t0 = performance.now();
      const r = await c.get(`${srv.base}/flaky?id=${uid('date')}&fail=1&retry_after=${encodeURIComponent(at)}`);
      expect(r.statusCode).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(1000);
    });
  });

  it('backs off between attempts by backoffFactor (loosely measured)', async () => {
    await withClient(kind, { retries: { total: 3, statusForcelist: [503], backoffFactor: 200 } }, async (c) => {
      const t0 = performance.now();
      // No wait before the first retry, then 200 ms, then 400 ms.
      expect((await c.get(`${srv.base}/flaky?id=${uid('bo')}&fail=3`)).statusCode).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(550);
    });
  });

  it('exhausted: RetryError carrying the last response, which can still be read', async () => {
    await withClient(kind, { retries: { total: 2, statusForcelist: [503] } }, async (c) => {
      const id = uid('exhaust');
      const e = await rejection(c.get(`${srv.base}/flaky?id=${id}&fail=10`));
      expect(e).toBeInstanceOf(RetryError);
      expect(e.message).toContain('Max retries (2)');
      expect(e.message).toContain(`/flaky?id=${id}`);
      const last = e.response as Response;
      expect(last.statusCode).toBe(503);
      expect(last.headers.get('x-attempt')).toBe('3');
      expect(last.text).toBe('failure 3');
      expect(await srv.count(id)).toBe(3);
    });
  });

  it('a status not listed is the response, at once', async () => {
    await withClient(kind, { retries: on503 }, async (c) => {
      const id = uid('500');
      const r = await c.get(`${srv.base}/flaky?id=${id}&fail=1&status=500`);
      expect(r.statusCode).toBe(500);
      expect(await srv.count(id)).toBe(1);
    });
  });

  it('POST is not retried by default; allowedMethods can allow it, and the body goes again', async () => {
    await withClient(kind, { retries: on503 }, async (c) => {
      const id = uid('post');
      const r = await c.post(`${srv.base}/flaky?id=${id}&fail=1`, { data: 'payload' });
      expect(r.statusCode).toBe(503);
      expect(await srv.count(id)).toBe(1);
    });
    await withClient(kind, { retries: { ...on503, allowedMethods: ['POST'] } }, async (c) => {
      const id = uid('post');
      const r = await c.post(`${srv.base}/flaky?id=${id}&fail=2`, { data: 'payload' });
      expect([r.statusCode, echoOf(r).body, echoOf(r).attempt]).toEqual([200, 'payload', 3]);
    });
  });

  it('PUT and DELETE are idempotent, so retried by default', async () => {
    await withClient(kind, { retries: on503 }, async (c) => {
      for (const method of ['PUT', 'DELETE']) {
        const r = await c.request(method, `${srv.base}/flaky?id=${uid(method)}&fail=1`, { data: 'x' });
        expect([method, r.statusCode, echoOf(r).body]).toEqual([method, 200, 'x']);
      }
    });
  });

  it('a connection reset is retried for GET', async () => {
    await withClient(kind, { retries: 2 }, async (c) => {
      const id = uid('reset');
      const r = await c.get(`${srv.base}/reset?id=${id}&fail=2`);
      expect([r.statusCode, echoOf(r).attempt]).toEqual([200, 3]);
    });
  });

  it('without retries a reset is a ConnectionError; POST is not retried', async () => {
    await withClient(kind, undefined, async (c) => {
      const id = uid('reset');
      expect(await rejection(c.get(`${srv.base}/reset?id=${id}&fail=1`))).toBeInstanceOf(ConnectionError);
      expect(await srv.count(id)).toBe(1);
    });
    await withClient(kind, { retries: 2 }, async (c) => {
      const post = uid('reset-post');
      const e = await rejection(c.post(`${srv.base}/reset?id=${post}&fail=1`, { data: 'x' }));
      expect(e).toBeInstanceOf(ConnectionError);
      expect(await srv.count(post)).toBe(1);
    });
  });

  it('errors keep their kind when retries run out: a reset on every attempt is a ConnectionError with the attempts on it', async () => {
    await withClient(kind, { retries: 2 }, async (c) => {
      const id = uid('reset-get');
      const e = await rejection(c.get(`${srv.base}/reset?id=${id}&fail=5`));
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e).not.toBeInstanceOf(RetryError);
      expect(e.attempts).toBe(3);
      expect(e.message).toContain('3 attempts');
      expect(e.cause).toBeInstanceOf(ConnectionError); // the last attempt's own error
      expect(await srv.count(id)).toBe(3);
    });
  });

  it('errors keep their kind when retries run out: refused on every attempt is a ConnectionError', async () => {
    await withClient(kind, { retries: 2 }, async (c) => {
      const e = await rejection(c.get(refused));
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e).not.toBeInstanceOf(RetryError);
      expect(e.attempts).toBe(3);
      expect(e.message).toMatch(/ECONNREFUSED|refused/i);
    });
  });

  it('errors keep their kind when retries run out: a read timeout on every attempt is a ReadTimeout', async () => {
    await withClient(kind, { retries: 1 }, async (c) => {
      const id = uid('slow-all');
      const e = await rejection(c.get(`${srv.base}/slow-once?id=${id}&fail=5&ms=3000`, { timeout: 300 }));
      expect(e).toBeInstanceOf(ReadTimeout);
      expect(e).not.toBeInstanceOf(RetryError);
      expect(e.attempts).toBe(2);
      expect(await srv.count(id)).toBe(2);
    });
  });

  it('errors keep their kind when retries run out: a TLS failure is an SSLError', async () => {
    await withClient(kind, { retries: 1 }, async (c) => {
      const e = await rejection(c.get(`${srv.tls}/get`));
      expect(e).toBeInstanceOf(SSLError);
      expect(e).not.toBeInstanceOf(RetryError);
      expect(e.attempts).toBe(2);
    });
  });

  it('a listed status that persists is a RetryError (not a ConnectionError) with the last response and the attempts', async () => {
    await withClient(kind, { retries: { total: 1, statusForcelist: [503] } }, async (c) => {
      const id = uid('persist');
      const e = await rejection(c.get(`${srv.base}/flaky?id=${id}&fail=10`));
      expect(e).toBeInstanceOf(RetryError);
      expect(e).not.toBeInstanceOf(ConnectionError);
      expect(e.attempts).toBe(2);
      expect((e.response as Response).statusCode).toBe(503);
      expect(await srv.count(id)).toBe(2);
    });
  });

  it('retries: true means 3 retries', async () => {
    // A session each: a connection the server closes unanswered after it was kept alive is
    // the keep-alive race, which the transport answers with one replay of its own.
    await withClient(kind, { retries: true }, async (c) => {
      expect((await c.get(`${srv.base}/reset?id=${uid('t')}&fail=3`)).statusCode).toBe(200);
    });
    await withClient(kind, { retries: true }, async (c) => {
      const e = await rejection(c.get(`${srv.base}/reset?id=${uid('t')}&fail=4`));
      expect([e instanceof ConnectionError, e.attempts]).toEqual([true, 4]);
    });
  });

  it('a read timeout is retried for GET', async () => {
    await withClient(kind, { retries: 1 }, async (c) => {
      const id = uid('slow');
      const r = await c.get(`${srv.base}/slow-once?id=${id}&fail=1&ms=3000`, { timeout: 300 });
      expect([r.statusCode, echoOf(r).attempt]).toEqual([200, 2]);
    });
    await withClient(kind, undefined, async (c) => {
      expect(await rejection(c.get(`${srv.base}/slow-once?id=${uid('slow')}&fail=1&ms=3000`, { timeout: 300 }))).toBeInstanceOf(ReadTimeout);
    });
  });

  it('a redirect hop can be retried too', async () => {
    await withClient(kind, { retries: on503 }, async (c) => {
      const id = uid('hop');
      const r = await c.get(`${srv.base}/redirect-to?url=${encodeURIComponent(`/flaky?id=${id}&fail=1`)}`);
      expect([r.statusCode, r.history.length, echoOf(r).attempt]).toEqual([200, 1, 2]);
    });
  });
});

describe('retries (async only)', () => {
  it('a retried PUT with a one-shot stream body is never resent empty', async () => {
    await using s = new AsyncSession({ retries: on503 });
    for (const make of [() => Readable.from([Buffer.from('stream body')]), async function* () { yield Buffer.from('stream body'); }]) {
      const id = uid('stream');
      const outcome = await s.put(`${srv.base}/flaky?id=${id}&fail=1`, { data: make() }).then((r) => r, (e: Error) => e);
      // A body that cannot be sent again is not retried: the 503 is the response, and the
      // server saw one attempt (never a second one with an empty body).
      expect(outcome).not.toBeInstanceOf(Error);
      expect((outcome as Response).statusCode).toBe(503);
      expect(await srv.count(id)).toBe(1);
    }
  });

  it('an abort while waiting out Retry-After ends the call at once with RequestAborted', async () => {
    await using s = new AsyncSession({ retries: on503 });
    const controller = new AbortController();
    const t0 = performance.now();
    setTimeout(() => controller.abort(), 200);
    const e = await rejection(s.get(`${srv.base}/flaky?id=${uid('abort')}&fail=5&retry_after=60`, { signal: controller.signal }));
    expect(e).toBeInstanceOf(RequestAborted);
    // Not the minute asked for (the margin is for a loaded machine).
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('concurrent calls keep their own attempt counts', async () => {
    await using s = new AsyncSession({ retries: on503 });
    const ids = [uid('c'), uid('c'), uid('c')];
    const rs = await Promise.all(ids.map((id, i) => s.get(`${srv.base}/flaky?id=${id}&fail=${i}`)));
    expect(rs.map((r) => echoOf(r).attempt)).toEqual([1, 2, 3]);
  });
});

describe('retry policy input', () => {
  it('fuzz counterexamples: lists and flags of the wrong type are refused by name, not a TypeError', () => {
    const bad: Array<[unknown, string]> = [
      [{ total: 1, statusForcelist: 5 }, 'statusForcelist'],
      [{ total: 1, statusForcelist: ['503'] }, 'statusForcelist'],
      [{ total: 1, allowedMethods: 'GET' }, 'allowedMethods'],
      [{ total: 1, allowedMethods: [1] }, 'allowedMethods'],
      [{ total: 1, respectRetryAfter: 'no' }, 'respectRetryAfter'],
      [{ total: 1.5 }, 'total'],
      [{ total: 1, backoffMax: 2 ** 40 }, 'backoffMax'],
    ];
    for (const [retries, field] of bad) {
      expect(() => new Session({ retries: retries as never })).toThrow(InvalidOption);
      expect(() => new Session({ retries: retries as never })).toThrow(`retries.${field}`);
    }
  });

  it('a Set is as good as an array', async () => {
    await withClient('async', { retries: { total: 1, statusForcelist: new Set([503]) as never, allowedMethods: new Set(['get']) as never } }, async (c) => {
      const id = uid('set');
      expect((await c.get(`${srv.base}/flaky?id=${id}&fail=1`)).statusCode).toBe(200);
      expect(await srv.count(id)).toBe(2);
    });
  });
});
