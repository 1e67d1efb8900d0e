/**
 * The embedded demo site `npm start` crawls: a few hundred linked pages, made the same way
 * every time from a seed, with some large pages (served gzipped), some slow ones, a few
 * broken links and redirects, and a robots.txt that keeps crawlers out of `/private/`
 * (linked from some pages). No network needed: it is served on 127.0.0.1.
 */

/** What the site's robots.txt says. */
export const ROBOTS_TXT = 'User-agent: *\nDisallow: /private/\n';

export interface Page {
  path: string;
  status: number;
  /** Delay before answering, ms. */
  delayMs: number;
  /** Where a redirect points. */
  location?: string;
  body: string;
  links: string[];
}

export interface SiteOptions {
  pages?: number;
  seed?: number;
}

/** A small deterministic PRNG (mulberry32): the same seed gives the same site. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['worker', 'ring', 'frame', 'session', 'lazy', 'gather', 'socket', 'stream', 'header', 'cookie', 'redirect', 'retry', 'crawl', 'load', 'decode'];

/** Builds the site: `/` and `/page/1` … `/page/N-1`, plus `/go/K` redirects and broken links. */
export function buildSite({ pages = 300, seed = 7 }: SiteOptions = {}): Map<string, Page> {
  const rand = prng(seed);
  const site = new Map<string, Page>();
  const pathOf = (i: number) => (i === 0 ? '/' : `/page/${i}`);
  for (let i = 0; i < pages; i++) {
    // A chain through every page makes all of them reachable; the rest are random.
    const links = [pathOf((i + 1) % pages)];
    for (let k = 0; k < 6; k++) links.push(pathOf(Math.floor(rand() * pages)));
    if (i % 20 === 3) links.push(`/missing/${i}`);
    if (i % 30 === 5) links.push(`/go/${Math.floor(rand() * pages)}`);
    if (i % 15 === 8) links.push(`/private/${i}`);
    const large = i % 25 === 24;
    const filler = large ? paragraph(rand, 512 * 1024 + Math.floor(rand() * 1536 * 1024)) : paragraph(rand, 2_000 + Math.floor(rand() * 8_000));
    const body = `<!doctype html><html><head><title>Page ${i}</title></head><body><h1>Page ${i}</h1>\n${links
      .map((l) => `<a href="${l}">${l}</a>`)
      .join(' ')}\n<p>${filler}</p></body></html>\n`;
    site.set(pathOf(i), { path: pathOf(i), status: 200, delayMs: i % 10 === 9 ? 50 + Math.floor(rand() * 250) : 0, body, links });
  }
  for (const page of [...site.values()]) {
    for (const link of page.links) {
      if (link.startsWith('/go/')) site.set(link, { path: link, status: 302, delayMs: 0, location: pathOf(Number(link.slice(4))), body: '', links: [] });
    }
  }
  return site;
}

function paragraph(rand: () => number, bytes: number): string {
  const parts: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = WORDS[Math.floor(rand() * WORDS.length)]!;
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ');
}
