/**
 * The crawler behind `nodequests crawl`: a frontier per host (src/jobs/frontier.ts), robots.txt
 * per host (src/jobs/robots.ts), pages fetched through one AsyncSession with their links
 * extracted in the transport workers (src/transport/extract-links.ts, a processor: the HTML never
 * crosses to this thread), URLs normalised (src/jobs/normalize-url.ts) and fetched once.
 *
 * `maxPages` is exact: a page counts when its request starts, so never more start; pages of
 * a resumed crawl count too. Redirects are followed here rather than by the session, so
 * that a target is fetched once: a redirect to a URL seen before (or out of scope, or
 * disallowed) ends its page there, with the 3xx as its status. Each page ends as one {@link PageRecord}, given to `onPage` in
 * completion order; a page cut short by `signal` gets none (a resumed crawl fetches it).
 *
 * @example
 * ```ts
 * const report = await new Crawler({ seeds: ['http://127.0.0.1:8080/'], maxPages: 100, onPage: (p) => console.log(p.url) }).run();
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncSession } from '../session/async-session.js';
import { RequestAborted, type RequestException } from '../errors.js';
import { VERSION } from '../version.js';
import { Frontier, type FrontierEntry, type HostState } from './frontier.js';
import type { PageLinks } from '../channel/page-links.js';
import { normalizeUrl } from './normalize-url.js';
import { isRedirect } from '../channel/redirect-statuses.js';
import { fetchRobots, type HostRules } from './robots.js';

/** The link extractor, as a processor the workers load. */
const LINKS_PROCESSOR = `${new URL('../transport/extract-links.js', import.meta.url).href}#pageLinks`;
/** Redirects followed for one page at most. */
const MAX_REDIRECTS = 10;

export interface CrawlOptions {
  seeds: readonly string[];
  /** Pages fetched at most, resumed ones included. Default: no limit. */
  maxPages?: number;
  /** Requests in flight at once, in all. Default 16. */
  concurrency?: number;
  /** Requests in flight to one host at once. Default 2. */
  perHost?: number;
  /** Between the starts of two requests to one host, ms (a longer Crawl-delay wins). Default 0. */
  delayMs?: number;
  /** Which links are followed: the seeds' hosts (default) or their origins; `allow` replaces both. */
  scope?: 'host' | 'origin';
  /** A link is followed only if one of these matches it (the whole normalised URL). */
  allow?: readonly RegExp[];
  /** A link is never followed if one of these matches it. */
  deny?: readonly RegExp[];
  /** Links followed this many hops from a seed at most. Default: no limit. */
  depth?: number;
  /** A processor (`module#export`) run on each page in the workers; its result goes in the record. */
  processor?: string | null;
  processorTimeout?: number;
  workers?: number;
  userAgent?: string;
  ignoreRobots?: boolean;
  /** Per page, ms. Default 30 000. */
  timeoutMs?: number;
  /** Records of a crawl being resumed: not fetched again; their links re-enter the frontier. */
  resumed?: Iterable<PageRecord>;
  /** Stops taking pages; those in flight are aborted and get no record. */
  signal?: AbortSignal;
  /** Called for each page, in completion order. */
  onPage(record: PageRecord): void;
}

/** One line of the crawl's JSONL. */
export interface PageRecord {
  url: string;
  depth: number;
  /** The final response's status; null when the request failed. */
  status: number | null;
  /** Decoded body bytes. */
  bytes: number;
  contentType: string | null;
  elapsedMs: number;
  /** Every redirect met, in order (the last is the page itself when it was not followed). */
  redirects: Array<{ url: string; status: number; location: string | null }>;
  /** Its links, normalised, each once (in or out of scope). */
  links: string[];
  /** The processor's result, with a processor. */
  result?: unknown;
  error?: { code: string; message: string };
}

export interface CrawlReport {
  pages: number;
  resumed: number;
  failed: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  seeds: number;
  /** Seeds that failed, each with why: an error, a 4xx/5xx, or a host that gave no robots.txt. */
  failedSeeds: Array<{ url: string; reason: string }>;
  robots: { hosts: number; disallowed: number; ignored: boolean };
  skipped: { outOfScope: number; tooDeep: number };
  hosts: Array<{ host: string; pages: number; maxInFlight: number; delayMs: number; robots: string | null }>;
  /** Pages still waiting when the crawl ended (at maxPages, or interrupted). */
  queued: number;
  interrupted: boolean;
  elapsedMs: number;
}

export class Crawler {
  readonly #o: CrawlOptions;
  readonly #frontier: Frontier;
  readonly #rules = new Map<string, HostRules>();
  readonly #seeds: Set<string>;
  readonly #maxPages: number;
  readonly #maxDepth: number;
  readonly #concurrency: number;
  readonly #userAgent: string;
  readonly #started = performance.now();
  readonly #inScope: (url: string) => boolean;
  readonly #session: AsyncSession;
  readonly #abort = new AbortController();
  #done: () => void = () => {};
  #taken = 0;
  #active = 0;
  #robotsPending = 0;
  #timer: NodeJS.Timeout | null = null;
  readonly #report: CrawlReport;

  constructor(o: CrawlOptions) {
    this.#o = o;
    this.#maxPages = o.maxPages ?? Infinity;
    this.#maxDepth = o.depth ?? Infinity;
    this.#concurrency = o.concurrency ?? 16;
    this.#userAgent = o.userAgent ?? `nodequests-crawler/${VERSION}`;
    const delayMs = o.delayMs ?? 0;
    this.#frontier = new Frontier(o.perHost ?? 2, delayMs, (host) => this.#onNewHost(host));
    this.#seeds = new Set(o.seeds.map((s) => normalizeUrl(s) ?? s));
    const hosts = new Set([...this.#seeds].map((s) => new URL(s).host));
    const origins = new Set([...this.#seeds].map((s) => new URL(s).origin));
    const allow = o.allow ?? [];
    const deny = o.deny ?? [];
    this.#inScope = (url) => {
      if (deny.some((r) => r.test(url))) return false;
      if (allow.length > 0) return allow.some((r) => r.test(url));
      const u = new URL(url);
      return o.scope === 'origin' ? origins.has(u.origin) : hosts.has(u.host);
    };
    this.#session = new AsyncSession({ workers: o.workers, poolMaxsize: o.perHost ?? 2, timeout: o.timeoutMs ?? 30_000 });
    this.#report = {
      pages: 0,
      resumed: 0,
      failed: 0,
      statuses: {},
      errors: {},
      seeds: this.#seeds.size,
      failedSeeds: [],
      robots: { hosts: 0, disallowed: 0, ignored: o.ignoreRobots === true },
      skipped: { outOfScope: 0, tooDeep: 0 },
      hosts: [],
      queued: 0,
      interrupted: false,
      elapsedMs: 0,
    };
  }

  /** Numbers for a progress line: pages written, pages waiting, failures, ms since the start. */
  get progress(): { pages: number; queued: number; failed: number; elapsedMs: number } {
    return { pages: this.#report.pages, queued: this.#frontier.queued, failed: this.#report.failed, elapsedMs: performance.now() - this.#started };
  }

  async run(): Promise<CrawlReport> {
    const onAbort = (): void => {
      this.#report.interrupted = true;
      this.#abort.abort(new RequestAborted('The crawl was interrupted'));
      this.#pump();
    };
    this.#o.signal?.addEventListener('abort', onAbort, { once: true });
    const finished = new Promise<void>((resolve) => (this.#done = resolve));
    try {
      const resumed = [...(this.#o.resumed ?? [])];
      for (const page of resumed) {
        this.#frontier.see(page.url);
        for (const hop of page.redirects) if (hop.location) this.#see(hop.location, hop.url);
      }
      this.#taken = this.#report.resumed = resumed.length;
      for (const page of resumed) this.#follow(page.links, page.depth + 1);
      for (const seed of this.#seeds) this.#frontier.add(seed, 0);
      if (this.#o.signal?.aborted) onAbort();
      this.#pump();
      await finished;
    } finally {
      this.#o.signal?.removeEventListener('abort', onAbort);
      if (this.#timer) clearTimeout(this.#timer);
      await this.#session.close();
    }
    const r = this.#report;
    r.queued = this.#frontier.queued;
    r.elapsedMs = Math.round(performance.now() - this.#started);
    r.hosts = [...this.#frontier.hosts].map((h) => ({ host: h.host, pages: h.pages, maxInFlight: h.maxActive, delayMs: h.delayMs, robots: this.#rules.get(h.host)?.source ?? null }));
    return r;
  }

  #see(href: string, base: string): void {
    const url = normalizeUrl(href, base);
    if (url) this.#frontier.see(url);
  }

  /** Queues the links of a page `depth` hops from a seed, as far as scope and depth allow. */
  #follow(links: readonly string[], depth: number): void {
    for (const url of links) {
      if (this.#frontier.has(url)) continue;
      if (!this.#inScope(url)) {
        this.#frontier.see(url);
        this.#report.skipped.outOfScope++;
      } else if (depth > this.#maxDepth) {
        this.#frontier.see(url);
        this.#report.skipped.tooDeep++;
      } else {
        this.#frontier.add(url, depth);
      }
    }
  }

  /** Starts what may start; ends the crawl when nothing is left to do. */
  #pump(): void {
    const stopped = this.#abort.signal.aborted;
    while (!stopped && this.#active < this.#concurrency && this.#taken < this.#maxPages) {
      const next = this.#frontier.take(performance.now(), this.#admit);
      if (next === null) break;
      if ('waitMs' in next) {
        this.#timer ??= setTimeout(() => {
          this.#timer = null;
          this.#pump();
        }, next.waitMs);
        break;
      }
      this.#taken++;
      this.#active++;
      void this.#fetch(next.entry, next.host);
    }
    const idle = this.#active === 0 && (stopped || this.#taken >= this.#maxPages || (this.#robotsPending === 0 && this.#timer === null));
    if (idle) this.#done();
  }

  readonly #admit = (entry: FrontierEntry, host: HostState): boolean => {
    if (this.#allowed(entry.url)) return true;
    this.#report.robots.disallowed++;
    // A seed whose host gave no robots.txt (no answer, a 5xx) failed: its host is down.
    if (this.#seeds.has(entry.url) && !this.#rules.get(host.host)!.answered) this.#report.failedSeeds.push({ url: entry.url, reason: `no answer from ${host.host} (robots.txt: ${this.#rules.get(host.host)!.source})` });
    return false;
  };

  /** What robots.txt says of a URL, when its host's is known. */
  #allowed(url: string): boolean {
    const rules = this.#rules.get(new URL(url).host);
    return rules === undefined || rules.allowed(url);
  }

  #onNewHost(host: HostState): void {
    if (this.#o.ignoreRobots) return;
    host.waiting = true;
    this.#robotsPending++;
    const origin = new URL(host.queue[0]?.url ?? `http://${host.host}`).origin;
    void fetchRobots(this.#session, origin, this.#userAgent, this.#o.timeoutMs ?? 30_000, this.#abort.signal).then((rules) => {
      this.#rules.set(host.host, rules);
      this.#report.robots.hosts++;
      host.delayMs = Math.max(host.delayMs, rules.crawlDelayMs);
      // robots.txt was a request to the host too: the delay runs from it.
      host.nextAt = performance.now() + host.delayMs;
      host.waiting = false;
      this.#robotsPending--;
      this.#pump();
    });
  }

  async #fetch(entry: FrontierEntry, host: HostState): Promise<void> {
    const started = performance.now();
    const user = this.#o.processor ?? null;
    const record: PageRecord = { url: entry.url, depth: entry.depth, status: null, bytes: 0, contentType: null, elapsedMs: 0, redirects: [], links: [] };
    let write = true;
    try {
      let url = entry.url;
      let r;
      for (;;) {
        r = await this.#session.get(url, {
          headers: { 'user-agent': this.#userAgent },
          allowRedirects: false,
          processor: user === null ? LINKS_PROCESSOR : [LINKS_PROCESSOR, user],
          processorTimeout: this.#o.processorTimeout,
          signal: this.#abort.signal,
        });
        const location = isRedirect(r.statusCode) ? (r.headers.get('location') ?? null) : null;
        if (location === null) break;
        record.redirects.push({ url, status: r.statusCode, location });
        const next = normalizeUrl(location, url);
        if (next === null || record.redirects.length > MAX_REDIRECTS || !this.#inScope(next) || !this.#allowed(next) || !this.#frontier.see(next)) break;
        // A hop is a request to its host too: it keeps that host's delay.
        const to = this.#frontier.hostOf(next);
        if (to) {
          const wait = to.nextAt - performance.now();
          if (wait > 0) await sleep(wait, undefined, { signal: this.#abort.signal });
          to.nextAt = performance.now() + to.delayMs;
        }
        url = next;
      }
      const [page, result] = user === null ? [r.result as PageLinks, undefined] : (r.result as [PageLinks, unknown]);
      record.status = r.statusCode;
      record.bytes = page.bytes;
      record.contentType = r.headers.get('content-type') ?? null;
      record.links = [...new Set(page.links.map((l) => normalizeUrl(l)).filter((l): l is string => l !== null))];
      if (user !== null) record.result = result;
      this.#report.statuses[r.statusCode] = (this.#report.statuses[r.statusCode] ?? 0) + 1;
      if (r.statusCode >= 400 && this.#seeds.has(entry.url)) this.#report.failedSeeds.push({ url: entry.url, reason: `HTTP ${r.statusCode} ${r.reason}` });
      this.#follow(record.links, entry.depth + 1);
    } catch (err) {
      const e = err as RequestException;
      if (this.#abort.signal.aborted) write = false;
      else {
        record.error = { code: e.code ?? 'NQ_ERR_REQUEST', message: e.message };
        this.#report.failed++;
        this.#report.errors[record.error.code] = (this.#report.errors[record.error.code] ?? 0) + 1;
        if (this.#seeds.has(entry.url)) this.#report.failedSeeds.push({ url: entry.url, reason: `${e.name}: ${e.message}` });
      }
    } finally {
      this.#active--;
      this.#frontier.finished(host);
    }
    if (write) {
      record.elapsedMs = Math.round(performance.now() - started);
      this.#report.pages++;
      this.#o.onPage(record);
    }
    this.#pump();
  }
}
