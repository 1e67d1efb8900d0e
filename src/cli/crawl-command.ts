/**
 * `nodequests crawl [URL] [--demo]`: crawls same-origin links from a start page through an
 * AsyncSession, a bounded number in flight, with a live progress line and a summary.
 * `--demo` (what `npm start` runs) first starts the embedded demo site in a child process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { AsyncSession } from '../session/async-session.js';
import { extractLinks } from '../demo/site.js';
import { intFlag, parseArgs, UsageError } from './args.js';
import { Progress } from './progress.js';
import { CrawlStats, formatSummary, type CrawlSummary } from './stats.js';

export const CRAWL_USAGE = `nodequests crawl URL [--concurrency N] [--max-pages N] [--workers N] [--json]
nodequests crawl --demo [--pages N] [...]   crawl the embedded demo site (what npm start runs)`;

export async function crawlCommand(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, {
    demo: {},
    json: {},
    pages: { value: true },
    concurrency: { value: true },
    'max-pages': { value: true },
    workers: { value: true },
  });
  const concurrency = intFlag(args, 'concurrency', 32);
  const maxPages = intFlag(args, 'max-pages', Number.MAX_SAFE_INTEGER);
  const workers = args.flags.workers === undefined ? undefined : intFlag(args, 'workers', 1);
  let start = args.positionals[0];
  let site: { stop(): Promise<void> } | null = null;
  if (args.flags.demo) {
    const demo = await startDemoSite(intFlag(args, 'pages', 300));
    site = demo;
    start = `${demo.url}/`;
    if (!args.flags.json) process.stderr.write(`demo site on ${demo.url} (it links to a few /missing/ pages on purpose: expect some 404s)\n`);
  }
  if (!start) throw new UsageError(`crawl needs a start URL, or --demo\n${CRAWL_USAGE}`);
  try {
    const { seedFailure, ...summary } = await crawl(start, { concurrency, maxPages, workers, progress: !args.flags.json });
    process.stdout.write(args.flags.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`);
    if (seedFailure !== null) {
      process.stderr.write(`nodequests: crawl: the start page ${start} failed: ${seedFailure}; nothing to crawl\n`);
      return 1;
    }
    return 0;
  } finally {
    await site?.stop();
  }
}

export interface CrawlOptions {
  concurrency: number;
  maxPages: number;
  workers?: number;
  progress: boolean;
}

/**
 * Crawls from `start`, following same-origin links, and returns the summary, with why the
 * start page failed (an error, or a status that is not 2xx) or null.
 */
export async function crawl(start: string, options: CrawlOptions): Promise<CrawlSummary & { seedFailure: string | null }> {
  let seedFailure: string | null = null;
  const stats = new CrawlStats();
  const seen = new Set<string>([start]);
  const queue = [start];
  await using session = new AsyncSession({ poolMaxsize: options.concurrency, workers: options.workers, timeout: 15_000 });
  const progress = options.progress ? new Progress(stats, () => seen.size) : null;

  const visit = async (url: string): Promise<void> => {
    const t0 = performance.now();
    try {
      const r = await session.get(url);
      const body = r.content;
      stats.recordResponse(r.statusCode, body.length, performance.now() - t0);
      if (url === start && (r.statusCode < 200 || r.statusCode >= 300)) seedFailure = `HTTP ${r.statusCode} ${r.reason}`;
      if (r.ok && /html/.test(r.headers.get('content-type') ?? '')) {
        for (const link of extractLinks(r.text ?? '', r.url)) {
          if (seen.size >= options.maxPages || seen.has(link)) continue;
          seen.add(link);
          queue.push(link);
        }
      }
    } catch (err) {
      stats.recordError((err as { code?: string }).code ?? (err as Error).name ?? 'Error');
      if (url === start) seedFailure = `${(err as Error).name}: ${(err as Error).message}`;
    }
  };

  await new Promise<void>((resolve) => {
    let active = 0;
    const pump = (): void => {
      while (active < options.concurrency && queue.length > 0) {
        active++;
        void visit(queue.shift()!).then(() => {
          active--;
          pump();
        });
      }
      if (active === 0 && queue.length === 0) resolve();
    };
    pump();
  });
  progress?.stop();
  return { ...stats.summary(), seedFailure };
}

/** Starts the demo site server in a child process. */
export async function startDemoSite(pages: number): Promise<{ url: string; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('../demo/site-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, '--pages', String(pages)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString()) as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
