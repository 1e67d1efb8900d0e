import { afterEach, describe, expect, it, vi } from 'vitest';
import { DnsCache, NEGATIVE_TTL, TTL_CAP, TTL_FLOOR } from '../../dist/src/dns/cache.js';

const answer = (address: string) => ({ addresses: [{ address, family: 4 as const }], nxdomain: false });

describe('the DNS cache', () => {
  afterEach(() => vi.useRealTimers());

  it('forgets the least recently used name beyond its capacity', () => {
    const c = new DnsCache(2);
    c.set('a', answer('10.0.0.1'), 60);
    c.set('b', answer('10.0.0.2'), 60);
    expect(c.get('a')).toBeDefined(); // a is now the most recent
    c.set('c', answer('10.0.0.3'), 60);
    expect([c.get('a') !== undefined, c.get('b') !== undefined, c.get('c') !== undefined]).toEqual([true, false, true]);
    expect(c.size).toBe(2);
  });

  it('keeps an answer for its TTL held between the floor and the cap, and a negative one briefly', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const c = new DnsCache();
    c.set('zero', answer('10.0.0.1'), 0);
    c.set('long', answer('10.0.0.2'), 86_400);
    c.set('gone', { addresses: [], nxdomain: true }, null);
    vi.advanceTimersByTime(TTL_FLOOR * 1000 - 10);
    expect(c.get('zero')).toBeDefined();
    vi.advanceTimersByTime(20);
    expect(c.get('zero')).toBeUndefined();
    expect(c.get('gone')).toEqual({ addresses: [], nxdomain: true, expires: expect.any(Number) });
    vi.advanceTimersByTime(NEGATIVE_TTL * 1000);
    expect(c.get('gone')).toBeUndefined();
    vi.advanceTimersByTime(TTL_CAP * 1000 - (TTL_FLOOR * 1000 + 10 + NEGATIVE_TTL * 1000) - 100);
    expect(c.get('long')).toBeDefined();
    vi.advanceTimersByTime(200);
    expect(c.get('long')).toBeUndefined();
  });
});
