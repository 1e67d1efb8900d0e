import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsyncSession } from '../../dist/src/index.js';
import { Crawler, type CrawlOptions, type PageRecord } from '../../dist/src/jobs/crawl.js';
import { startCrawlSite, type CrawlSite } from '../helpers/crawl-site.js';

let site: CrawlSite;
// Holds the two-worker engine the crawls share, so each crawl does not start its own workers.
let keeper: AsyncSession;
beforeAll(async () => {
  site = await startCrawlSite(300);
  keeper = new AsyncSession({ workers: 2 });
  await keeper.get(`${site.offsite.url}/warm-up`);
});
afterAll(async () => {
  await keeper.close();
  await site.close();
});

const reset = (): void => [site.main, site.slow, site.offsite].forEach((h) => h.reset());


async function crawl(options: Omit<CrawlOptions, 'onPage'>): Promise<{ pages: PageRecord[]; report: Awaited<ReturnType<Crawler['run']>> }> {
  const pages: PageRecord[] = [];
  const report = await new Crawler({ workers: 2, ...options, onPage: (p) => pages.push(p) }).run();
  return { pages, report };
}

/** Requests a page took: its redirects, and itself unless it ended on one. */
const requestsOf = (pages: PageRecord[]): number => pages.reduce((n, p) => n + p.redirects.length + (p.status !== null && p.status >= 300 && p.status < 400 ? 0 : 1), 0);

const pagePaths = (h: CrawlSite['main']): string[] => [...h.hits.keys()].filter((p) => p !== '/robots.txt');

describe('Crawler', () => {
  it('crawls every reachable page once: normalised, robots honoured, off-site left alone', async () => {
    reset();
    const { pages, report } = await crawl({ seeds: [`${site.main.url}/p/0`], concurrency: 8, perHost: 4 });
    // Every page, each requested once however it was linked (fragment, relative, %3N).
    for (let i = 0; i < 300; i++) expect(site.main.hits.get(`/p/${i}`), `/p/${i}`).toBe(1);
    for (const [path, n] of site.main.hits) expect(n, path).toBe(1);
    expect(site.main.hits.get('/robots.txt')).toBe(1);
    expect([...site.main.hits.keys()].filter((p) => p.startsWith('/private/'))).toEqual([]);
    expect(report.robots.disallowed).toBe(30);
    expect(site.offsite.hits.size).toBe(0);
    expect(site.slow.hits.size).toBe(0);
    expect(report.skipped.outOfScope).toBeGreaterThan(300);
    // 404s and redirects are pages with their status; a redirect's target is not fetched again.
    const missing = pages.filter((p) => p.url.includes('/missing/'));
    expect(missing.length).toBe(12);
    expect(missing.every((p) => p.status === 404 && p.links.length === 0)).toBe(true);
    const redirected = pages.filter((p) => p.redirects.length > 0);
    expect(redirected.length).toBe(10);
    for (const p of redirected) {
      expect(p.redirects).toEqual([{ url: p.url, status: 302, location: `/landing/${p.url.split('/').pop()}` }]);
      expect(p).toMatchObject({ status: 200, links: [`${site.main.url}/p/${p.url.split('/').pop()}`] });
    }
    expect(pagePaths(site.main).length).toBe(requestsOf(pages));
    // Links of a gzip'd page (i % 3 === 0) were read after decoding; <link rel=next> counts, stylesheets do not.
    const p57 = pages.find((p) => p.url === `${site.main.url}/p/57`)!;
    expect(p57.links).toContain(`${site.main.url}/p/157`);
    expect(p57.links).not.toContain(`${site.main.url}/style.css`);
    const p0 = pages.find((p) => p.url === `${site.main.url}/p/0`)!;
    expect(p0).toMatchObject({ status: 200, depth: 0, contentType: 'text/html; charset=utf-8' });
    expect(p0.links).toEqual([`${site.main.url}/p/1`, `${site.main.url}/p/3`, `${site.main.url}/p/5`, `${site.main.url}/p/0`, `${site.offsite.url}/from/0`]);
  });

  it('--max-pages is exact: never more requests than that', async () => {
    reset();
    const { pages, report } = await crawl({ seeds: [`${site.main.url}/p/0`], maxPages: 57, concurrency: 16, perHost: 8 });
    expect(pages).toHaveLength(57);
    expect(pagePaths(site.main)).toHaveLength(requestsOf(pages));
    expect(requestsOf(pages)).toBeLessThanOrEqual(57 + pages.filter((p) => p.redirects.length > 0).length);
    expect(report.queued).toBeGreaterThan(0);
  });

  it('keeps per-host limits and delays, observed at the servers', async () => {
    reset();
    const { pages } = await crawl({ seeds: [`${site.main.url}/p/0`, `${site.slow.url}/s/0`], maxPages: 30, concurrency: 8, perHost: 2, delayMs: 80 });
    expect(pages).toHaveLength(30);
    for (const h of [site.main, site.slow]) {
      expect(h.maxInFlight).toBeLessThanOrEqual(2);
      const gaps = h.arrivals.slice(1).map((t, i) => t - h.arrivals[i]!);
      // Starts are 80 ms apart at the crawler. Without the delay most would come a few ms
      // apart; with it, a server thread held up on a loaded machine still bunches a few
      // arrivals together, so the median and the mean are what is held to it.
      const sorted = [...gaps].sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThanOrEqual(75);
      expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeGreaterThanOrEqual(78);
    }
    expect(site.slow.arrivals.length).toBeGreaterThanOrEqual(3);
  });

  it("a redirect's second request keeps its host's delay", async () => {
    reset();
    const { pages } = await crawl({ seeds: [`${site.main.url}/go/4`], maxPages: 1, delayMs: 500 });
    expect(pages[0]).toMatchObject({ status: 200, redirects: [{ status: 302, location: '/landing/4' }] });
    const [go, landing] = site.main.arrivals;
    expect([...site.main.hits.keys()]).toEqual(['/robots.txt', '/go/4', '/landing/4']);
    expect(landing! - go!).toBeGreaterThanOrEqual(450);
  });

  it('a slow host holds only its own queue', async () => {
    reset();
    await crawl({ seeds: [`${site.slow.url}/s/0`, `${site.main.url}/p/0`], maxPages: 60, concurrency: 4, perHost: 2 });
    expect(site.slow.maxInFlight).toBeLessThanOrEqual(2);
    expect(site.slow.arrivals.length).toBeGreaterThanOrEqual(1);
    expect(site.main.arrivals.length).toBeGreaterThan(2 * site.slow.arrivals.length);
  });

  it('resumes without fetching again what was crawled; its links re-enter the frontier', async () => {
    reset();
    const first = await crawl({ seeds: [`${site.main.url}/p/0`], maxPages: 40 });
    const seen = new Set(first.pages.map((p) => p.url));
    const before = new Map(site.main.hits);
    const second = await crawl({ seeds: [`${site.main.url}/p/0`], maxPages: 100, resumed: first.pages });
    expect(second.report.resumed).toBe(40);
    expect(second.pages).toHaveLength(60);
    for (const p of second.pages) expect(seen.has(p.url), p.url).toBe(false);
    for (const [path, n] of site.main.hits) if (path !== '/robots.txt') expect(n - (before.get(path) ?? 0) <= 1 && n, path).toBe(1);
  });

  it('counts a seed that failed, and one robots.txt keeps out', async () => {
    const refused = await crawl({ seeds: ['http://127.0.0.1:1/'], ignoreRobots: true });
    expect(refused.report).toMatchObject({ pages: 1, seeds: 1, errors: { NQ_ERR_CONNECTION: 1 } });
    expect(refused.report.failedSeeds).toEqual([{ url: 'http://127.0.0.1:1/', reason: expect.stringMatching(/^ConnectionError: /) }]);
    expect(refused.pages[0]!.error).toMatchObject({ code: 'NQ_ERR_CONNECTION', message: expect.stringMatching(/ECONNREFUSED/) });
    const down = await crawl({ seeds: ['http://127.0.0.1:1/'] });
    expect(down.report.failedSeeds).toHaveLength(1);
    expect(down.report).toMatchObject({ pages: 0, hosts: [{ host: '127.0.0.1:1', robots: 'NQ_ERR_CONNECTION' }] });
    const disallowed = await crawl({ seeds: [`${site.main.url}/private/1`] });
    expect(disallowed.report.failedSeeds).toEqual([]);
    expect(disallowed.report).toMatchObject({ pages: 0, robots: { hosts: 1, disallowed: 1 } });
  });

  it('runs a processor on each page in the workers; its result goes in the record beside the links', async () => {
    reset();
    const processor = `${new URL('../fixtures/processors.mjs', import.meta.url).href}#describe`;
    const { pages } = await crawl({ seeds: [`${site.main.url}/p/0`], maxPages: 10, processor, depth: 1 });
    expect(pages.length).toBeGreaterThan(3);
    for (const p of pages.filter((p) => p.status === 200)) {
      expect(p.result).toMatchObject({ status: 200, url: p.url, bytes: p.bytes });
      expect((p.result as { threadId: number }).threadId).not.toBe(0);
    }
    // depth 1: the seed and its links, nothing further.
    expect(Math.max(...pages.map((p) => p.depth))).toBe(1);
  });
});
