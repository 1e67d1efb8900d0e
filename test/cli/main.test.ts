import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../dist/src/cli/bin.js', import.meta.url));
const nq = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    // The watchdog: a hung command is killed and the failing assertion shows its output.
    execFile(process.execPath, [cli, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });

let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/forbidden') return res.writeHead(403).end('no');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<a href="/forbidden">x</a>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('nodequests command', { timeout: 180_000 }, () => {
  it('--help, -h and help print the usage on stdout, with every command', async () => {
    for (const words of [['--help'], ['-h'], ['help']]) {
      const { code, stdout, stderr } = await nq(...words);
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^usage: nodequests \[METHOD\] URL \[ITEM\.\.\.\]/);
      for (const flag of ['--data-binary', '--cacert', '--max-redirs', '--check-status', '--resolver', 'nodequests crawl', 'nodequests doctor']) {
        expect(stdout).toContain(flag);
      }
    }
  });

  it('version and --version print the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await nq('version')).stdout).toBe(`${version}\n`);
    expect((await nq('--version')).stdout).toBe(`${version}\n`);
  });

  it('doctor (and help --json) print JSON about this install', async () => {
    for (const words of [['doctor'], ['help', '--json']]) {
      const { code, stdout } = await nq(...words);
      expect(code).toBe(0);
      const report = JSON.parse(stdout);
      expect(report.runtime.node).toBe(process.version);
      // The optional QUIC layer is installed in this checkout, with its Linux x64 binary.
      expect(report.protocols['HTTP/3']).toBe(process.platform === 'linux' && process.arch === 'x64');
      expect(report.protocols['HTTP/3 note']).toMatch(/@matrixai\/quic/);
      expect(report.decoders).toEqual(['gzip', 'deflate', 'br', 'zstd']);
    }
  });

  it('no arguments, a METHOD without URL or an unknown option: one message on stderr, exit 1, nothing on stdout', async () => {
    const bare = await nq();
    expect(bare).toMatchObject({ code: 1, stdout: '' });
    expect(bare.stderr).toBe('nodequests: no URL given\n(nodequests --help shows the usage)\n');
    const noUrl = await nq('get');
    expect(noUrl).toMatchObject({ code: 1, stdout: '' });
    expect(noUrl.stderr.match(/usage/g)).toHaveLength(1);
    expect(noUrl.stderr).toMatch(/^nodequests: GET needs a URL/);
    const unknown = await nq('--frobnicate', `${base}/`);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown option '--frobnicate'/);
  });
});

describe('crawl', { timeout: 180_000 }, () => {
  it('crawl --demo crawls exactly --max-pages pages, one JSONL line each', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nq-cli-crawl-')), 'demo.jsonl');
    const { code, stderr } = await nq('crawl', '--demo', '--max-pages', '37', '--out', out);
    expect(code).toBe(0);
    const pages = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { status: number });
    expect(pages).toHaveLength(37);
    expect(pages.filter((p) => p.status === 200).length).toBeGreaterThan(30);
    expect(stderr).toMatch(/^crawled\s+37 pages/m);
  });

  it('a start page that answers 403 or refuses the connection is reported on stderr, exit 1', async () => {
    const forbidden = await nq('crawl', `${base}/forbidden`);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain(`nodequests: the crawl failed at its seed; nothing to crawl\n  ${base}/forbidden: HTTP 403 Forbidden`);
    const refused = await nq('crawl', 'http://127.0.0.1:1/');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/http:\/\/127\.0\.0\.1:1\/: no answer from 127\.0\.0\.1:1/);
    const followed = await nq('crawl', `${base}/`);
    expect(followed.code).toBe(0);
    expect(followed.stderr).toMatch(/^statuses\s+200×1 +403×1/m);
  });
});
