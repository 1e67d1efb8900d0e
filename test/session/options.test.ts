import { describe, expect, it } from 'vitest';
import { AsyncSession, InvalidOption } from '../../dist/src/index.js';

describe('HTTP/3 options', () => {
  it('http3Origins takes https origins, and refuses anything else naming the value', async () => {
    await using ok = new AsyncSession({ http3Origins: ['https://example.test', 'https://example.test:8443/path'] });
    expect(ok.settings.http3Origins).toEqual(['https://example.test', 'https://example.test:8443']);
    expect(() => new AsyncSession({ http3Origins: ['http://example.test'] })).toThrow(InvalidOption);
    expect(() => new AsyncSession({ http3Origins: ['not a url'] })).toThrow(/http3Origins: "not a url"; expected an https origin/);
    expect(() => new AsyncSession({ http3Origins: 'https://example.test' as never })).toThrow(/expected a list of https origins/);
  });

  it('follows Alt-Svc only under disableHttp3: false; disableHttp3: true also drops the listed origins', async () => {
    await using unset = new AsyncSession({ http3Origins: ['https://a.test'] });
    expect([unset.settings.http3, unset.settings.http3Origins]).toEqual([false, ['https://a.test']]);
    await using on = new AsyncSession({ disableHttp3: false });
    expect(on.settings.http3).toBe(true);
    await using off = new AsyncSession({ disableHttp3: true, http3Origins: ['https://a.test'] });
    expect([off.settings.http3, off.settings.http3Origins]).toEqual([false, []]);
  });
});
