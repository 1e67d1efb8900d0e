/**
 * `nodequests crawl SEED...`: the crawler of src/jobs/crawl.ts with its flags, one JSONL line
 * per page (to `--out` or stdout), a progress line on a terminal and a summary on stderr.
 * Exits 0; 1 when there was nothing to crawl or every seed failed; 130 when interrupted
 * (SIGINT: nothing new starts, what was in flight is aborted, the output is flushed).
 * `--demo` (what `npm start` runs) crawls the embedded demo site, served from a child process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Crawler, CrawlReport, PageRecord } from '../jobs/crawl.js';
import { normalizeUrl } from '../jobs/normalize-url.js';
import { UsageError } from './usage-error.js';
import { httpUrl, wholeFlag } from './job-flags.js';

export const CRAWL_USAGE = `nodequests crawl SEED... [--max-pages N] [--concurrency N] [--per-host N] [--delay MS] [--depth N]
                 [--same-origin | --same-host] [--allow REGEX]... [--deny REGEX]... [--out FILE.jsonl [--resume]]
                 [--processor MODULE[#export]] [--workers N] [--user-agent UA] [--ignore-robots]
nodequests crawl --demo [--pages N] [...]   crawl the embedded demo site (what npm start runs)`;

export async function crawlCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'max-pages': { type: 'string' },
        concurrency: { type: 'string' },
        'per-host': { type: 'string' },
        delay: { type: 'string' },
        'same-origin': { type: 'boolean' },
        'same-host': { type: 'boolean' },
        allow: { type: 'string', multiple: true },
        deny: { type: 'string', multiple: true },
        depth: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean' },
        processor: { type: 'string' },
        workers: { type: 'string' },
        'user-agent': { type: 'string' },
        'ignore-robots': { type: 'boolean' },
        demo: { type: 'boolean' },
        pages: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v['same-origin'] && v['same-host']) throw new UsageError('crawl takes --same-origin or --same-host, not both');
  if (v.resume && v.out === undefined) throw new UsageError('--resume continues the crawl in --out FILE.jsonl: give --out');
  if (!v.demo && positionals.length === 0) throw new UsageError('crawl needs at least one seed URL, or --demo');
  const regexes = (list: string[] | undefined, name: string): RegExp[] =>
    (list ?? []).map((source) => {
      try {
        return new RegExp(source);
      } catch (err) {
        throw new UsageError(`--${name} takes a regular expression: ${(err as Error).message}`);
      }
    });
  const options = {
    maxPages: wholeFlag(v['max-pages'], 'max-pages', Infinity),
    concurrency: wholeFlag(v.concurrency, 'concurrency', 16),
    perHost: wholeFlag(v['per-host'], 'per-host', 2),
    delayMs: wholeFlag(v.delay, 'delay', 0, 0),
    depth: wholeFlag(v.depth, 'depth', Infinity, 0),
    scope: v['same-origin'] ? ('origin' as const) : ('host' as const),
    allow: regexes(v.allow, 'allow'),
    deny: regexes(v.deny, 'deny'),
    processor: v.processor === undefined ? null : processorUrl(v.processor),
    workers: v.workers === undefined ? undefined : wholeFlag(v.workers, 'workers', 1),
    userAgent: v['user-agent'],
    ignoreRobots: v['ignore-robots'] === true,
  };
  const seeds = positionals.map((s) => httpUrl(s, 'crawl'));
  let site: Awaited<ReturnType<typeof startDemoSite>> | null = null;
  let out = v.out;
  if (v.demo) {
    site = await startDemoSite(wholeFlag(v.pages, 'pages', 300));
    seeds.push(`${site.url}/`);
    out ??= join(tmpdir(), `nodequests-demo-${process.pid}.jsonl`);
    process.stderr.write(`demo site on ${site.url}, pages to ${out}\n`);
    process.stderr.write(`(it links ${site.broken} missing pages and ${site.redirects} redirects on purpose: expect that many 404s and 302s; its robots.txt keeps crawlers out of /private/)\n`);
  }
  try {
    return await crawlTo(seeds, out, v.resume === true, options);
  } finally {
    await site?.stop();
  }
}

async function crawlTo(seeds: string[], out: string | undefined, resume: boolean, options: Omit<ConstructorParameters<typeof Crawler>[0], 'seeds' | 'onPage'>): Promise<number> {
  const resumed = resume && out !== undefined ? readResumed(out) : [];
  const sink = out === undefined ? process.stdout : createWriteStream(out, { flags: resume ? 'a' : 'w' });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  const tty = process.stderr.isTTY === true;
  let lines = 0;
  // Loaded here, not with the command line: the other commands never need it.
  const { Crawler: CrawlerClass } = await import('../jobs/crawl.js');
  const crawler = new CrawlerClass({
    ...options,
    seeds,
    resumed,
    signal: controller.signal,
    onPage: (page) => {
      lines++;
      sink.write(`${JSON.stringify(page)}\n`);
    },
  });
  const progress = tty
    ? setInterval(() => {
        const p = crawler.progress;
        process.stderr.write(`\r${p.pages} pages  ${Math.round((p.pages * 1000) / Math.max(1, p.elapsedMs))} pages/s  ${p.queued} queued  ${p.failed} errors\x1b[K`);
      }, 200)
    : null;
  let report: CrawlReport;
  try {
    report = await crawler.run();
  } finally {
    if (progress) {
      clearInterval(progress);
      process.stderr.write('\r\x1b[K');
    }
    process.off('SIGINT', onSigint);
    // Every line written reaches the file (or the pipe) before the summary and the exit.
    if (sink === process.stdout) {
      if (sink.writableNeedDrain) await once(sink, 'drain');
    } else {
      sink.end();
      await once(sink, 'finish');
    }
  }
  process.stderr.write(`${formatReport(report, lines, out ?? 'stdout', options.maxPages ?? Infinity)}\n`);
  if (report.interrupted) return 130;
  if (report.seeds > 0 && report.failedSeeds.length === report.seeds) {
    const why = report.failedSeeds.map((f) => `  ${f.url}: ${f.reason}`).join('\n');
    process.stderr.write(`nodequests: the crawl failed at its seed${report.seeds > 1 ? 's' : ''}; nothing to crawl\n${why}\n`);
    return 1;
  }
  if (report.pages === 0) {
    process.stderr.write(`nodequests: nothing to crawl${report.resumed > 0 ? ` (the ${report.resumed} pages in ${out} left no new link)` : report.robots.disallowed > 0 ? ' (robots.txt disallows the seeds)' : ''}\n`);
    return 1;
  }
  return 0;
}

/**
 * The pages of a crawl being resumed. A line cut short by a crash is dropped from the file
 * too, so the lines appended after it stay valid JSONL.
 */
function readResumed(file: string): PageRecord[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(file, Buffer.byteLength(text.slice(0, end)));
  const pages: PageRecord[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    if (line.trim() === '') continue;
    try {
      const page = JSON.parse(line) as PageRecord;
      if (typeof page.url === 'string' && normalizeUrl(page.url) !== null) pages.push({ ...page, links: page.links ?? [], redirects: page.redirects ?? [], depth: page.depth ?? 0 });
    } catch {
      // not one of ours: left alone
    }
  }
  return pages;
}

/** A module path or URL, with an optional #export, as a processor specifier (a file: URL). */
function processorUrl(value: string): string {
  const hash = value.lastIndexOf('#');
  const module = hash > 0 ? value.slice(0, hash) : value;
  const name = hash > 0 ? value.slice(hash) : '';
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-zA-Z]:[\\/]/.test(module)) return value;
  return `${pathToFileURL(resolve(module)).href}${name}`;
}

function formatReport(r: CrawlReport, lines: number, out: string, maxPages: number): string {
  const counts = (m: Record<string, number>): string => Object.entries(m).map(([k, n]) => `${k}×${n}`).join(' ');
  const robots = r.robots.ignored ? 'ignored (--ignore-robots)' : `robots.txt of ${r.robots.hosts} host${r.robots.hosts === 1 ? '' : 's'} read, ${r.robots.disallowed} URLs disallowed`;
  const hosts = r.hosts.map((h) => `  ${h.host}: ${h.pages} pages, at most ${h.maxInFlight} at a time, ${h.delayMs} ms apart${h.robots ? `, robots.txt ${h.robots}` : ''}`);
  const why = r.interrupted ? 'interrupted' : r.pages + r.resumed >= maxPages ? `stopped at --max-pages ${maxPages}` : 'done';
  return [
    `crawled    ${r.pages} pages${r.resumed ? ` (after ${r.resumed} resumed)` : ''} in ${(r.elapsedMs / 1000).toFixed(2)} s, ${Math.round((r.pages * 1000) / Math.max(1, r.elapsedMs))} pages/s, ${why}`,
    `statuses   ${counts(r.statuses) || '-'}`,
    `errors     ${counts(r.errors) || 'none'}`,
    `robots     ${robots}`,
    `per host`,
    ...hosts,
    `skipped    ${r.skipped.outOfScope} links out of scope, ${r.skipped.tooDeep} too deep; ${r.queued} left in the queue`,
    `output     ${lines} JSONL lines to ${out}`,
  ].join('\n');
}

/** Starts the demo site server in a child process. */
export async function startDemoSite(pages: number): Promise<{ url: string; broken: number; redirects: number; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('../demo/site-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, '--pages', String(pages)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const { port, broken, redirects } = JSON.parse(line.toString()) as { port: number; broken: number; redirects: number };
  return {
    url: `http://127.0.0.1:${port}`,
    broken,
    redirects,
    async stop() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
