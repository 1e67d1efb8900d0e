/**
 * Testing an app in process, one request at a time as a test suite makes them: a trivial
 * Express and Hono app through nodequests (`AsyncSession({ app })` on this thread, and the
 * sync `Session` with the app's module loaded in the workers) against supertest (which
 * listens on an ephemeral port for every request) and light-my-request (Fastify's inject,
 * given the Node listener), and Hono's own `app.request()` for Hono. Rows alternate within
 * each round; medians of the rates and of the per-round ratios.
 */
import { execFile } from 'node:child_process';
import type { RequestListener } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import inject from 'light-my-request';
import supertest from 'supertest';
import { AsyncSession, Session } from '../src/index.js';
import { median, rate } from './stats.js';

export interface AppSuiteOptions {
  rounds: number;
  /** Seconds each row runs per round. */
  seconds: number;
  log: (line: string) => void;
}

type Row = [name: string, call: () => unknown];

const moduleOf = (file: string): string => pathToFileURL(fileURLToPath(new URL(`../../bench/apps/${file}`, import.meta.url))).href;

interface Measured {
  lines: string[];
  /** Median over rounds of `name`'s rate over `base`'s in the same round. */
  ratio: (name: string, base: string) => number;
  median: (name: string) => number;
}

async function measure(title: string, rows: Row[], o: AppSuiteOptions): Promise<Measured> {
  const rates = new Map<string, number[]>(rows.map(([name]) => [name, []]));
  for (const [, call] of rows) await rate(300, call); // JIT, workers, module loading
  const perRound: Array<Map<string, number>> = [];
  for (let round = 0; round < o.rounds; round++) {
    const inRound = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) {
      const [name, call] = rows[(i + round) % rows.length]!;
      inRound.set(name, await rate(o.seconds * 1000, call));
    }
    for (const [name, v] of inRound) rates.get(name)!.push(v);
    perRound.push(inRound);
    o.log(`apps (${title}): round ${round + 1}: ${[...inRound].map(([n, v]) => `${n} ${Math.round(v)}/s`).join(', ')}`);
  }
  const ratio = (name: string, base: string): number => median(perRound.map((r) => r.get(name)! / r.get(base)!));
  const lines = [`| ${title}: client | req/s (median) | latency, us |`, '| --- | ---: | ---: |'];
  for (const [name] of rows) {
    const r = median(rates.get(name)!);
    lines.push(`| ${name} | ${Math.round(r).toLocaleString('en-US')} | ${(1e6 / r).toFixed(0)} |`);
  }
  return { lines, ratio, median: (name) => median(rates.get(name)!) };
}

/** nodequests and light-my-request on Express, each alone in a fresh process, alternating. */
async function measureAlone(o: AppSuiteOptions): Promise<{ lines: string[]; ratio: number }> {
  const script = fileURLToPath(new URL('../../bench/apps/express-rate.mjs', import.meta.url));
  const run = (client: string): Promise<number> =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [script, client, String(2 * o.seconds)], { timeout: 60_000 }, (err, stdout) =>
        err ? reject(err) : resolve((JSON.parse(stdout) as { rate: number }).rate),
      ),
    );
  const clients = ['nodequests', 'light-my-request'];
  const rates: Record<string, number[]> = { nodequests: [], 'light-my-request': [] };
  const ratios: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const client of round % 2 ? [...clients].reverse() : clients) rates[client]!.push(await run(client));
    ratios.push(rates.nodequests!.at(-1)! / rates['light-my-request']!.at(-1)!);
    o.log(`apps (Express alone): round ${round + 1}: nodequests ${Math.round(rates.nodequests!.at(-1)!)}/s, light-my-request ${Math.round(rates['light-my-request']!.at(-1)!)}/s`);
  }
  const row = (name: string, values: number[]): string => `| ${name} | ${Math.round(median(values)).toLocaleString('en-US')} | ${(1e6 / median(values)).toFixed(0)} |`;
  return {
    lines: ['| Express 5, each alone in a process: client | req/s (median) | latency, us |', '| --- | ---: | ---: |', row(NQ_ALONE, rates.nodequests!), row(LMR, rates['light-my-request']!)],
    ratio: median(ratios),
  };
}

const NQ_ALONE = 'nodequests AsyncSession({ app })';
const LMR = 'light-my-request inject(listener)';

export async function runAppSuite(o: AppSuiteOptions): Promise<{ markdown: string }> {
  const express = (await import(moduleOf('express-app.mjs'))) as { make(): RequestListener };
  const { app: honoApp } = (await import(moduleOf('hono-app.mjs'))) as { app: { fetch(r: Request): Promise<Response>; request(path: string): Promise<Response> } };
  const honoListener = getRequestListener(honoApp.fetch);
  const forSupertest = express.make();
  const expressAsync = new AsyncSession({ app: express.make() });
  const expressSync = new Session({ app: `${moduleOf('express-app.mjs')}#app` });
  const honoAsync = new AsyncSession({ app: honoApp });
  const NQ = 'nodequests AsyncSession({ app })';
  const NQ_SYNC = 'nodequests Session({ app: module })';
  const ST = 'supertest(app)';
  try {
    const hono = await measure(
      'Hono',
      [
        [NQ, async () => (await honoAsync.get('/')).json()],
        [ST, async () => (await supertest(honoListener).get('/')).body],
        [LMR, async () => (await inject(honoListener, { url: '/' })).json()],
        ["Hono's app.request()", async () => (await honoApp.request('/')).json()],
      ],
      o,
    );
    const expressRows = await measure(
      'Express 5',
      [
        [NQ, async () => (await expressAsync.get('/')).json()],
        [NQ_SYNC, () => expressSync.get('/').json()],
        [ST, async () => (await supertest(forSupertest).get('/')).body],
      ],
      o,
    );
    const alone = await measureAlone(o);
    const targets: string[] = [];
    const verdict = (name: string, st: number, lmr: number): string =>
      `${name}: ${st.toFixed(2)}x supertest (target >= 2x: ${st >= 2 ? 'met' : 'NOT met'}), ${lmr.toFixed(2)}x light-my-request (target >= 1x: ${lmr >= 1 ? 'met' : 'NOT met'}).`;
    targets.push(verdict('Express', expressRows.ratio(NQ, ST), alone.ratio));
    targets.push(verdict('Hono', hono.ratio(NQ, ST), hono.ratio(NQ, LMR)));
    const lines = [
      '### Testing an app in process: one request at a time, a trivial JSON GET',
      '',
      `${o.rounds} rounds x ${o.seconds} s a row, rows alternating; medians (ratios taken within each round). supertest is used as its README shows, \`request(app)\`, which listens on an ephemeral port for each request. Against light-my-request on Express each client runs alone in a fresh process (bench/apps/express-rate.mjs: a 1 s warm-up, then twice a row's time), the two alternating: light-my-request rewires the prototypes every Express app of its process shares, so it cannot share one.`,
      '',
      ...hono.lines,
      '',
      ...expressRows.lines,
      '',
      ...alone.lines,
      '',
      ...targets,
    ];
    return { markdown: lines.join('\n') };
  } finally {
    await expressAsync.close();
    expressSync.close();
    await honoAsync.close();
  }
}
