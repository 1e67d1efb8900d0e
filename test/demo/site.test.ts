import { describe, expect, it } from 'vitest';
import { buildSite } from '../../dist/src/demo/site.js';

describe('demo site', () => {
  it('is the same every time for a seed', () => {
    const a = buildSite({ pages: 50, seed: 3 });
    const b = buildSite({ pages: 50, seed: 3 });
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect(a.get('/page/7')!.body).toBe(b.get('/page/7')!.body);
    expect(buildSite({ pages: 50, seed: 4 }).get('/page/7')!.body).not.toBe(a.get('/page/7')!.body);
  });

  it('reaches every page from / and has large, slow, broken and redirecting links', () => {
    const site = buildSite({ pages: 300 });
    const seen = new Set(['/']);
    const queue = ['/'];
    while (queue.length) {
      const page = site.get(queue.shift()!);
      if (!page) continue;
      for (const l of page.status === 302 ? [page.location!] : page.links) {
        if (!seen.has(l)) {
          seen.add(l);
          queue.push(l);
        }
      }
    }
    const pages = [...site.values()].filter((p) => p.status === 200);
    expect(pages).toHaveLength(300);
    expect(pages.every((p) => seen.has(p.path))).toBe(true);
    expect(pages.filter((p) => p.body.length > 512 * 1024).length).toBeGreaterThanOrEqual(10);
    expect(pages.filter((p) => p.delayMs >= 50).length).toBeGreaterThanOrEqual(25);
    expect([...seen].filter((l) => l.startsWith('/missing/')).length).toBeGreaterThan(5);
    expect([...site.values()].filter((p) => p.status === 302).length).toBeGreaterThan(3);
    expect([...seen].filter((l) => l.startsWith('/private/')).length).toBeGreaterThan(5);
  });
});
