/**
 * Runs code in a real browser (Debian's chromium, headless, driven by playwright-core) against
 * servers this process starts: a page origin that serves the browser bundle under
 * cross-origin isolation (COOP/COEP), the same routes on a second origin for cross-origin
 * requests, and whatever routes a test file adds. The browser is launched once per file.
 *
 * `run(body)` evaluates `body` as an async function of `nq` (the bundle's module) and `base`
 * (the page's origin) on the page;
 * `inWorker(body)` does the same in a dedicated Web Worker of the page; `onPage(body)` in a
 * page that is not cross-origin isolated. Errors come back as { error: { name, code, message } }.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { skipWithout } from './interop.js';
import { buildBrowser } from '../../scripts/build-browser.mjs';

export const CHROMIUM = '/usr/bin/chromium';

/** A route of a test file: return true when it answered. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, origins: Origins) => boolean | Promise<boolean>;

export interface Origins {
  /** The page's origin (cross-origin isolated). */
  page: string;
  /** Another origin: its routes answer with CORS headers under /cors/, without them elsewhere. */
  other: string;
}

export type Outcome<T> = { value: T } | { error: { name: string; code?: string; message: string } };

export interface BrowserHarness extends Origins {
  run<T>(body: string): Promise<Outcome<T>>;
  inWorker<T>(body: string): Promise<Outcome<T>>;
  /** In a page without cross-origin isolation. */
  onPlainPage<T>(body: string): Promise<Outcome<T>>;
  close(): Promise<void>;
}

/** null when chromium is missing off CI (the tests then skip, saying why). */
export function chromiumMissing(): boolean {
  return skipWithout('chromium', existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed`);
}

const RUNNER = `
const AsyncFunction = (async () => {}).constructor;
export async function run(body) {
  const nq = await import('/nodequests.js');
  try {
    return { value: await new AsyncFunction('nq', 'base', body)(nq, location.origin) };
  } catch (e) {
    return { error: { name: e?.constructor?.name ?? typeof e, code: e?.code, message: String(e?.message ?? e) } };
  }
}
`;
// A string, not a function: vitest rewrites a function's import() for Node.
const EVALUATE = `async (body, worker) => {
  if (!worker) return (await import('/runner.js')).run(body);
  const w = new Worker('/worker.js', { type: 'module' });
  const out = await new Promise((resolve, reject) => {
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => reject(new Error('worker failed: ' + e.message));
    w.postMessage(body);
  });
  w.terminate();
  return out;
}`;
const WORKER = `
import { run } from '/runner.js';
onmessage = async (e) => postMessage(await run(e.data));
`;

export async function openBrowser(routes: Route): Promise<BrowserHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'nq-browser-'));
  await buildBrowser({ outfile: join(dir, 'nodequests.js'), quiet: true });
  const bundle = readFileSync(join(dir, 'nodequests.js'));
  rmSync(dir, { recursive: true, force: true });

  const origins: Origins = { page: '', other: '' };
  const isolated = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'cross-origin' };
  const handle = async (req: IncomingMessage, res: ServerResponse, self: 'page' | 'other'): Promise<void> => {
    const url = new URL(req.url!, origins[self]);
    const js = { 'content-type': 'text/javascript', ...isolated };
    if (url.pathname === '/page.html') return void res.writeHead(200, { 'content-type': 'text/html', ...isolated }).end('<!doctype html><title>nq</title>');
    if (url.pathname === '/plain.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>plain</title>');
    if (url.pathname === '/nodequests.js') return void res.writeHead(200, js).end(bundle);
    if (url.pathname === '/runner.js') return void res.writeHead(200, js).end(RUNNER);
    if (url.pathname === '/worker.js') return void res.writeHead(200, js).end(WORKER);
    if (url.pathname.startsWith('/cors/')) {
      const cors = {
        'access-control-allow-origin': req.headers.origin ?? '*',
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-expose-headers': '*',
      };
      if (req.method === 'OPTIONS') return void res.writeHead(204, cors).end();
      for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    }
    if (await routes(req, res, url, origins)) return;
    res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route ${url.pathname}`);
  };
  const servers: Server[] = [];
  for (const self of ['page', 'other'] as const) {
    const server = createServer((req, res) => {
      handle(req, res, self).catch((err) => res.destroy(err as Error));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origins[self] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
  }

  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page: Page = await browser.newPage();
  await page.goto(`${origins.page}/page.html`);
  let plain: Page | null = null;

  const evaluate = <T>(p: Page, body: string, worker: boolean): Promise<Outcome<T>> =>
    withWatchdog(
      p.evaluate(`(${EVALUATE})(${JSON.stringify(body)}, ${worker})`) as Promise<Outcome<T>>,
      body,
    );

  return {
    ...origins,
    run: (body) => evaluate(page, body, false),
    inWorker: (body) => evaluate(page, body, true),
    async onPlainPage(body) {
      if (!plain) {
        plain = await browser.newPage();
        await plain.goto(`${origins.page}/plain.html`);
      }
      return evaluate(plain, body, false);
    },
    async close() {
      await browser.close();
      for (const s of servers) s.closeAllConnections();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
}

/** Every evaluation ends within 15 s, failing with the code that was running. */
function withWatchdog<T>(p: Promise<T>, body: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const watchdog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the browser did not answer within 15 s; running:\n${body}`)), 15_000);
  });
  return Promise.race([p, watchdog]).finally(() => clearTimeout(timer));
}

/** Reads a request's body. */
export async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
