// The pure rules under the request flow: redirects, retries, timeouts.
import { describe, expect, it } from 'vitest';
import { redirectMethod, redirectTarget, shouldStripAuth } from '../../dist/src/session/redirects.js';
import { RetryState, normalizeRetries, parseRetryAfter } from '../../dist/src/session/retry.js';
import { defaultTimeouts, normalizeTimeout } from '../../dist/src/session/options.js';

const u = (s: string) => new URL(s);

describe('redirect rules', () => {
  it('which hops keep Authorization', () => {
    expect(shouldStripAuth(u('http://a.test/x'), u('http://a.test/y'))).toBe(false);
    expect(shouldStripAuth(u('http://a.test/'), u('http://b.test/'))).toBe(true);
    expect(shouldStripAuth(u('https://a.test/'), u('http://a.test/'))).toBe(true); // downgrade
    expect(shouldStripAuth(u('http://a.test:8080/'), u('http://a.test:8081/'))).toBe(true); // port change
    expect(shouldStripAuth(u('http://a.test/'), u('https://a.test/'))).toBe(false); // upgrade on default ports
    expect(shouldStripAuth(u('http://a.test:8080/'), u('https://a.test/'))).toBe(true);
  });

  it('which method the next hop uses', () => {
    expect(redirectMethod(303, 'PUT')).toBe('GET');
    expect(redirectMethod(303, 'HEAD')).toBe('HEAD');
    expect(redirectMethod(302, 'POST')).toBe('GET');
    expect(redirectMethod(301, 'POST')).toBe('GET');
    expect(redirectMethod(302, 'PUT')).toBe('GET');
    expect(redirectMethod(302, 'HEAD')).toBe('HEAD');
    expect(redirectMethod(301, 'PUT')).toBe('PUT');
    expect(redirectMethod(307, 'POST')).toBe('POST');
    expect(redirectMethod(308, 'PATCH')).toBe('PATCH');
  });

  it('resolves relative locations, keeps the fragment unless Location has one, reads UTF-8 locations', () => {
    expect(redirectTarget(u('http://a.test/d/p#f'), 'q?x=1').href).toBe('http://a.test/d/q?x=1#f');
    expect(redirectTarget(u('http://a.test/p#f'), '/o#g').href).toBe('http://a.test/o#g');
    const raw = Buffer.from('/café', 'utf8').toString('latin1'); // as header bytes arrive
    expect(redirectTarget(u('http://a.test/'), raw).pathname).toBe('/caf%C3%A9');
  });
});

describe('retry policy', () => {
  it('counts, backs off exponentially after the first retry, caps the wait', () => {
    const r = new RetryState(normalizeRetries({ total: 4, backoffFactor: 100, backoffMax: 300 }));
    expect([r.next(undefined), r.next(undefined), r.next(undefined), r.next(undefined)]).toEqual([0, 100, 200, 300]);
    expect(r.exhausted).toBe(true);
  });

  it('retries idempotent methods only, unless told; Retry-After in seconds or as a date', () => {
    const p = normalizeRetries({ total: 1, statusForcelist: [503] });
    const r = new RetryState(p);
    expect(r.retriesStatus(503, 'GET')).toBe(true);
    expect(r.retriesStatus(503, 'POST')).toBe(false);
    expect(new RetryState(normalizeRetries({ total: 1, statusForcelist: [503], allowedMethods: ['POST'] })).retriesStatus(503, 'POST')).toBe(true);
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(() => normalizeRetries(-1)).toThrow(/retries.*-1/);
  });
});

describe('timeouts', () => {
  it('defaults: 30 s for GET, HEAD, OPTIONS; 120 s for the rest; no total', () => {
    expect(defaultTimeouts('GET')).toEqual({ connect: 30_000, read: 30_000, total: 0 });
    expect(defaultTimeouts('OPTIONS').read).toBe(30_000);
    expect(defaultTimeouts('POST')).toEqual({ connect: 120_000, read: 120_000, total: 0 });
  });

  it('a number applies to connect and read; an object per phase; null means none; bad values are named', () => {
    expect(normalizeTimeout(5000, 'timeout')).toEqual({ connect: 5000, read: 5000, total: 0 });
    expect(normalizeTimeout({ connect: 1, total: 9 }, 'timeout')).toEqual({ connect: 1, read: 0, total: 9 });
    expect(normalizeTimeout(null, 'timeout')).toEqual({ connect: 0, read: 0, total: 0 });
    expect(() => normalizeTimeout({ read: -1 }, 'timeout')).toThrow(/timeout\.read: -1/);
    expect(() => normalizeTimeout({ reed: 1 } as never, 'timeout')).toThrow(/Unknown field timeout\.reed/);
  });
});
