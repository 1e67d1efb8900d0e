import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCrawlSite, type CrawlSite } from '../helpers/crawl-site.js';
import { until } from '../helpers/until.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

interface Run {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  signal(s: NodeJS.Signals): void;
}

/** Runs the CLI; a run that outlives its watchdog is killed, and its output says how far it got. */
function nq(...args: string[]): Run {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err += c));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = new Promise<number>((resolve) =>
    child.on('close', (c, sig) => {
      clearTimeout(watchdog);
      resolve(c ?? (sig === 'SIGKILL' ? -9 : -1));
    }),
  );
  return { code, stdout: () => out, stderr: () => err, signal: (s) => child.kill(s) };
}

const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

let site: CrawlSite;
let dir: string;
beforeAll(async () => {
  site = await startCrawlSite(100, 300);
  dir = mkdtempSync(join(tmpdir(), 'nq-crawl-'));
});
afterAll(async () => {
  await site.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('nodequests crawl', () => {
  it('SIGINT mid-crawl: valid JSONL, exit 130; --resume then fetches none of it again', async () => {
    site.slow.reset();
    const out = join(dir, 'interrupted.jsonl');
    const first = nq('crawl', `${site.slow.url}/s/0`, '--out', out, '--per-host', '2');
    await until(() => lines(out).length >= 3, () => `3 lines in ${out}; stderr: ${first.stderr()}`);
    first.signal('SIGINT');
    expect(await first.code).toBe(130);
    expect(first.stderr()).toMatch(/interrupted/);
    const done = lines(out).map((l) => JSON.parse(l) as { url: string; status: number });
    expect(done.length).toBeGreaterThanOrEqual(3);
    for (const p of done) expect(p.status).toBe(200);
    const resumed = nq('crawl', `${site.slow.url}/s/0`, '--out', out, '--resume', '--max-pages', String(done.length + 3));
    expect(await resumed.code).toBe(0);
    expect(resumed.stderr()).toMatch(/crawled\s+3 pages \(after \d+ resumed\)/);
    const all = lines(out).map((l) => JSON.parse(l) as { url: string });
    expect(all).toHaveLength(done.length + 3);
    for (const p of done) expect(site.slow.hits.get(new URL(p.url).pathname), p.url).toBe(1);
    expect(new Set(all.map((p) => p.url)).size).toBe(all.length);
  });

  it('writes JSONL to stdout by default, with a processor given as a path#export', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/processors.mjs', import.meta.url));
    const run = nq('crawl', `${site.main.url}/p/0`, '--max-pages', '5', '--processor', `${fixture}#describe`);
    expect(await run.code).toBe(0);
    const pages = run.stdout().trim().split('\n').map((l) => JSON.parse(l));
    expect(pages).toHaveLength(5);
    for (const p of pages) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['url', 'status', 'bytes', 'contentType', 'elapsedMs', 'redirects', 'links', 'result']));
      expect(p.result.threadId).not.toBe(0);
    }
    expect(run.stderr()).toMatch(/^crawled\s+5 pages/m);
  });

  it('says so and exits 1 when the seed fails or there is nothing to crawl', async () => {
    // At once: each start of the command costs its workers' start-up.
    const refused = nq('crawl', 'http://127.0.0.1:1/', '--out', join(dir, 'refused.jsonl'));
    const disallowed = nq('crawl', `${site.main.url}/private/1`);
    const usage = nq('crawl', '--resume');
    expect(await refused.code).toBe(1);
    expect(refused.stderr()).toMatch(/failed at its seed; nothing to crawl\n  http:\/\/127\.0\.0\.1:1\/: no answer from 127\.0\.0\.1:1 \(robots\.txt: NQ_ERR_CONNECTION\)/);
    expect(await disallowed.code).toBe(1);
    expect(disallowed.stderr()).toMatch(/nothing to crawl \(robots.txt disallows the seeds\)/);
    expect(await usage.code).toBe(1);
    expect(usage.stderr()).toMatch(/--resume continues the crawl in --out/);
  });

  it('--demo crawls the embedded site and shows robots, per-host limits and the JSONL in its summary', async () => {
    const out = join(dir, 'demo.jsonl');
    const run = nq('crawl', '--demo', '--pages', '40', '--max-pages', '40', '--out', out);
    expect(await run.code).toBe(0);
    const summary = run.stderr();
    expect(summary).toMatch(/robots\s+robots\.txt of 1 host read, [1-9]\d* URLs disallowed/);
    expect(summary).toMatch(/127\.0\.0\.1:\d+: 40 pages, at most 2 at a time/);
    expect(summary).toMatch(new RegExp(`output\\s+40 JSONL lines to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(lines(out)).toHaveLength(40);
  });

  it('--demo says how many 404s and 302s the site has on purpose, and the whole crawl meets exactly those', async () => {
    const out = join(dir, 'demo-all.jsonl');
    const run = nq('crawl', '--demo', '--pages', '40', '--out', out);
    expect(await run.code).toBe(0);
    const summary = run.stderr();
    const announced = /links (\d+) missing pages and (\d+) redirects on purpose/.exec(summary);
    expect(announced, summary).not.toBeNull();
    const [, broken, redirects] = announced!.map(Number);
    expect(broken).toBeGreaterThan(0);
    const statuses = lines(out).map((l) => (JSON.parse(l) as { status: number }).status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(broken!);
    expect(statuses.filter((s) => s === 302)).toHaveLength(redirects!);
  });
});
