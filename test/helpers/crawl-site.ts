/**
 * A site for the crawler tests, on loopback: `main` (hundreds of linked pages, robots.txt
 * keeping crawlers out of /private/, gzip'd pages, redirects, 404s, links off-site and to the
 * other hosts), `slow` (a host whose every answer takes a while) and `offsite` (which no
 * crawl should ever reach). Each host counts what it was asked, when, and how many at once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface SiteHost {
  url: string;
  /** Requests by path. */
  hits: Map<string, number>;
  /** Arrival times (performance.now) of every request but robots.txt. */
  arrivals: number[];
  maxInFlight: number;
  reset(): void;
  close(): Promise<void>;
}

export interface CrawlSite {
  main: SiteHost;
  slow: SiteHost;
  offsite: SiteHost;
  pages: number;
  close(): Promise<void>;
}

type Handler = (path: string, req: http.IncomingMessage, res: http.ServerResponse) => void;

async function host(handle: Handler): Promise<SiteHost> {
  let inFlight = 0;
  const h: SiteHost = {
    url: '',
    hits: new Map(),
    arrivals: [],
    maxInFlight: 0,
    reset() {
      h.hits.clear();
      h.arrivals.length = 0;
      h.maxInFlight = 0;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = http.createServer((req, res) => {
    const path = req.url!;
    h.hits.set(path, (h.hits.get(path) ?? 0) + 1);
    if (path !== '/robots.txt') h.arrivals.push(performance.now());
    inFlight++;
    h.maxInFlight = Math.max(h.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    handle(path, req, res);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  h.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return h;
}

const html = (res: http.ServerResponse, body: string, gzip: boolean): void => {
  if (gzip) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip' });
    res.end(gzipSync(body));
  } else {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body);
  }
};

/** `pages` pages on `main`, /p/0 … /p/N-1, every one reachable from /p/0. */
export async function startCrawlSite(pages = 300, slowMs = 150): Promise<CrawlSite> {
  const offsite = await host((_, __, res) => res.end('<a href="/x">x</a>'));
  const slow = await host((path, _, res) => {
    if (path === '/robots.txt') return res.writeHead(404).end();
    const j = Number(path.split('/')[2] ?? 0);
    setTimeout(() => html(res, `<a href="/s/${j + 1}">next</a> <a href="/s/${j + 2}">skip</a>`, false), slowMs);
  });
  const main = await host((path, _, res) => {
    if (path === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('User-agent: *\nDisallow: /private/\n');
    }
    // Each /go/K is linked once and leads to a page linked from nowhere else.
    if (path.startsWith('/go/')) return res.writeHead(302, { location: `/landing/${path.slice(4)}` }).end();
    if (path.startsWith('/landing/')) return html(res, `<a href="/p/${path.slice(9)}">back</a>`, false);
    const m = /^\/p\/(\d+)$/.exec(path);
    const i = m ? Number(m[1]) : -1;
    if (i < 0 || i >= pages) return res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>gone</h1> <a href="/p/0">home</a>');
    const links = [
      `/p/${(i + 1) % pages}`,
      `/p/${(i * 7 + 3) % pages}#section`,
      `${(i * 13 + 5) % pages}`, // relative to /p/
      `/p/%3${i % 10}`, // /p/0 … /p/9, percent-encoded
      `${offsite.url}/from/${i}`,
    ];
    if (i % 10 === 1) links.push(`/private/${i}`);
    if (i % 25 === 2) links.push(`/missing/${i}`);
    if (i % 30 === 4) links.push(`/go/${i}`);
    if (i % 40 === 6) links.push(`${slow.url}/s/0`);
    const head = i % 50 === 7 ? `<link rel="next" href="/p/${(i + 100) % pages}"><link rel="stylesheet" href="/style.css">` : '';
    html(res, `<!doctype html><html><head><title>${i}</title>${head}</head><body>${links.map((l) => `<a href="${l}">${l}</a>`).join('\n')}</body></html>`, i % 3 === 0);
  });
  return {
    main,
    slow,
    offsite,
    pages,
    close: async () => {
      await Promise.all([main.close(), slow.close(), offsite.close()]);
    },
  };
}
