/**
 * Whole processes, as a user starts them: a script that makes one request and exits, and
 * the command line, beside undici `request()`, `fetch` and curl. Each row is a fresh process
 * (Node's start included), run `runs` times with the rows alternating; medians of the wall
 * time from spawn to exit and of the peak RSS (all threads), read by `/usr/bin/time` where
 * it exists.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from './nginx.js';
import { startNodeServer, type BenchServer } from './server.js';

export interface ColdStartOptions {
  runs: number;
  nodeServer: boolean;
  log: (line: string) => void;
}

const BASELINE = 'undici request() script';
const root = fileURLToPath(new URL('../../', import.meta.url));
const TIME = '/usr/bin/time';

interface Sample {
  ms: number;
  rssKiB: number | null;
}

function once(command: string, args: string[]): Promise<Sample> {
  const timed = existsSync(TIME);
  const [cmd, argv] = timed ? [TIME, ['-f', '%M', command, ...args]] : [command, args];
  const started = performance.now();
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`));
      const rss = timed ? Number(stderr.trim().split('\n').at(-1)) : NaN;
      resolve({ ms, rssKiB: Number.isFinite(rss) ? rss : null });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function runColdStartSuite(o: ColdStartOptions): Promise<{ markdown: string }> {
  const server: BenchServer = (!o.nodeServer && (await startNginx())) || (await startNodeServer());
  const url = server.url;
  const dir = mkdtempSync(join(tmpdir(), 'nq-cold-'));
  const script = (name: string, body: string): string => {
    const file = join(dir, name);
    writeFileSync(file, body);
    return file;
  };
  const index = JSON.stringify(join(root, 'dist/src/index.js'));
  const undici = JSON.stringify(join(root, 'node_modules/undici/index.js'));
  const rows: Array<[string, string, string[]]> = [
    [BASELINE, process.execPath, [script('undici.mjs', `import { request } from ${undici};\nawait (await request(${JSON.stringify(url)})).body.text();\n`)]],
    ['fetch script', process.execPath, [script('fetch.mjs', `await (await fetch(${JSON.stringify(url)})).text();\n`)]],
    ['nodequests get() script (sync)', process.execPath, [script('get.mjs', `import { get } from ${index};\nget(${JSON.stringify(url)}).text;\n`)]],
    ['nodequests aget() script', process.execPath, [script('aget.mjs', `import { aget } from ${index};\n(await aget(${JSON.stringify(url)})).text;\n`)]],
    ['nodequests CLI get', process.execPath, [join(root, 'dist/src/cli/bin.js'), url]],
  ];
  if (spawnSync('curl', ['--version']).status === 0) rows.push(['curl', 'curl', ['-s', '-o', '/dev/null', url]]);

  const samples = new Map<string, Sample[]>(rows.map(([name]) => [name, []]));
  try {
    // A first pass warms the disk cache (and Node's compile cache where it has one).
    for (const [, cmd, args] of rows) await once(cmd, args);
    for (let run = 0; run < o.runs; run++) {
      for (const [name, cmd, args] of rows) samples.get(name)!.push(await once(cmd, args));
      o.log(`cold start: run ${run + 1}/${o.runs}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await server.stop();
  }

  const base = samples.get(BASELINE)!;
  const baseMs = median(base.map((s) => s.ms));
  const baseRss = base[0]!.rssKiB === null ? null : median(base.map((s) => s.rssKiB!));
  const lines = [
    `**Whole process, one request** (${o.runs} runs a row, rows alternating, medians; wall time from spawn to exit, peak RSS of all threads):`,
    '',
    '| process | wall ms | x undici request() | peak RSS MiB | x undici request() |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const [name] of rows) {
    const s = samples.get(name)!;
    const ms = median(s.map((x) => x.ms));
    const rss = s[0]!.rssKiB === null ? null : median(s.map((x) => x.rssKiB!));
    const rssCell = rss === null ? '-' : (rss / 1024).toFixed(1);
    const rssRatio = rss === null || baseRss === null ? '-' : `${(rss / baseRss).toFixed(2)}x`;
    lines.push(`| ${name} | ${ms.toFixed(0)} | ${(ms / baseMs).toFixed(2)}x | ${rssCell} | ${rssRatio} |`);
  }
  return { markdown: lines.join('\n') };
}
