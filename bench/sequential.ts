/**
 * One request at a time, as most scripts make them: undici `request()` against nodequests'
 * sync `get` and `AsyncSession.get`, on the same server, rows alternating within each
 * round; medians of the rates and of the per-round ratios to undici.
 */
import { Agent, request as undiciRequest } from 'undici';
import { AsyncSession, Session } from '../src/index.js';
import { startNginx } from './nginx.js';
import { startNodeServer, type BenchServer } from './server.js';
import { median, rate } from './stats.js';

export interface SequentialOptions {
  rounds: number;
  /** Seconds each row runs per round. */
  seconds: number;
  nodeServer: boolean;
  log: (line: string) => void;
}

const BASELINE = 'undici request(), one at a time';

export async function runSequentialSuite(o: SequentialOptions): Promise<{ markdown: string }> {
  const server: BenchServer = (!o.nodeServer && (await startNginx())) || (await startNodeServer());
  const url = server.url;
  const agent = new Agent();
  const sync = new Session();
  const async_ = new AsyncSession();
  const rows: Array<[string, () => unknown]> = [
    [BASELINE, async () => {
      const r = await undiciRequest(url, { dispatcher: agent });
      await r.body.arrayBuffer();
    }],
    ['nodequests get (Session), one at a time', () => sync.get(url).content],
    ['nodequests AsyncSession.get, one at a time', async () => (await async_.get(url)).content],
  ];
  const rates = new Map<string, number[]>(rows.map(([name]) => [name, []]));
  const ratios = new Map<string, number[]>(rows.map(([name]) => [name, []]));
  try {
    for (const [, call] of rows) await rate(300, call); // pools, connections, JIT
    for (let round = 0; round < o.rounds; round++) {
      const inRound = new Map<string, number>();
      for (let i = 0; i < rows.length; i++) {
        const [name, call] = rows[(i + round) % rows.length]!;
        inRound.set(name, await rate(o.seconds * 1000, call));
      }
      for (const [name, v] of inRound) {
        rates.get(name)!.push(v);
        ratios.get(name)!.push(v / inRound.get(BASELINE)!);
      }
      o.log(`sequential: round ${round + 1}: ${[...inRound].map(([n, v]) => `${n} ${Math.round(v)}/s`).join(', ')}`);
    }
  } finally {
    sync.close();
    await async_.close();
    await agent.close();
    await server.stop();
  }
  const lines = [
    '### One request at a time: small GET, HTTP/1.1',
    '',
    `Server: ${server.name} on 127.0.0.1. ${o.rounds} rounds x ${o.seconds} s a row, rows alternating; medians (ratios taken within each round).`,
    '',
    '| client | req/s (median) | latency, us | x undici request() |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [name] of rows) {
    const r = median(rates.get(name)!);
    lines.push(`| ${name} | ${Math.round(r).toLocaleString('en-US')} | ${(1e6 / r).toFixed(0)} | ${median(ratios.get(name)!).toFixed(2)}x |`);
  }
  const worst = Math.min(...rows.slice(1).map(([name]) => median(ratios.get(name)!)));
  lines.push('', `Target: nodequests >= 0.8x undici request() one at a time: ${worst >= 0.8 ? 'met' : 'NOT met'} (worst ${worst.toFixed(2)}x).`);
  return { markdown: lines.join('\n') };
}
