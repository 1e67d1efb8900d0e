/**
 * HTTP/2 over TLS, small GETs, 128 in flight, against a `node:http2` server in another
 * process (certificate made with openssl at bench time): undici `allowH2` (its h2
 * concurrency raised with `pipelining`), `node:http2` by hand, and nodequests multiplexed,
 * async and sync. Rows alternate over rounds; medians; ratios against undici in each round.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { AsyncSession, Session } from '../src/index.js';
import { mainThreadBlockedMs } from '../src/engine/engine.js';

const IN_FLIGHT = 128;

interface Row {
  name: string;
  run(requests: number): Promise<void> | void;
  sync?: boolean;
}

export async function runH2Suite(o: { rounds: number; requests: number; log: (l: string) => void }): Promise<{ markdown: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nq-h2-bench-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { cwd: dir, stdio: 'ignore' });
  const server = spawn(process.execPath, [fileURLToPath(new URL('./h2-server.js', import.meta.url)), join(dir, 'c.pem'), join(dir, 'k.pem')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString()) as { port: number };
  const origin = `https://127.0.0.1:${port}`;
  const url = `${origin}/`;
  const ca = readFileSync(join(dir, 'c.pem'));

  const undici = new Client(origin, { allowH2: true, connect: { ca }, pipelining: IN_FLIGHT });
  const native = http2.connect(origin, { ca });
  const nqAsync = new AsyncSession({ verify: join(dir, 'c.pem'), multiplexed: true });
  const nqSync = new Session({ verify: join(dir, 'c.pem'), multiplexed: true });
  const concurrently = async (n: number, one: () => Promise<unknown>): Promise<void> => {
    let left = n;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await one();
    }));
  };
  const rows: Row[] = [
    { name: 'undici allowH2 (pipelining 128)', run: (n) => concurrently(n, async () => (await undici.request({ path: '/', method: 'GET' })).body.text()) },
    {
      name: 'node:http2 by hand',
      run: (n) =>
        concurrently(n, () => new Promise<void>((resolve, reject) => {
          const s = native.request({ ':path': '/' });
          s.on('data', () => {});
          s.on('end', resolve);
          s.on('error', reject);
          s.end();
        })),
    },
    {
      name: 'nodequests AsyncSession multiplexed',
      run: (n) => concurrently(n, async () => {
        const r = await nqAsync.get(url);
        await nqAsync.gather(r);
      }),
    },
    {
      name: 'nodequests Session multiplexed + gather()',
      sync: true,
      run: (n) => {
        for (let done = 0; done < n; done += IN_FLIGHT) {
          for (let i = 0; i < Math.min(IN_FLIGHT, n - done); i++) nqSync.get(url);
          nqSync.gather();
        }
      },
    },
  ];
  for (const row of rows) await row.run(2000); // warm-up: connections, JIT
  const results = rows.map(() => ({ rps: [] as number[], ratio: [] as number[], busy: [] as number[] }));
  for (let round = 0; round < o.rounds; round++) {
    const rps: number[] = [];
    for (const [i, row] of rows.entries()) {
      const elu0 = performance.eventLoopUtilization();
      const blocked0 = mainThreadBlockedMs();
      const t0 = performance.now();
      await row.run(o.requests);
      const ms = performance.now() - t0;
      const active = performance.eventLoopUtilization(elu0).active;
      const busy = row.sync ? ms - (mainThreadBlockedMs() - blocked0) : active;
      rps[i] = (o.requests / ms) * 1000;
      results[i]!.rps.push(rps[i]!);
      results[i]!.busy.push((busy * 1000) / o.requests);
      o.log(`h2 round ${round + 1}: ${row.name} ${Math.round(rps[i]!)} req/s`);
    }
    for (const [i] of rows.entries()) results[i]!.ratio.push(rps[i]! / rps[0]!);
  }
  undici.close();
  native.close();
  await nqAsync.close();
  nqSync.close();
  server.stdin!.end();

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const table = rows.map((row, i) => `| ${row.name} | ${Math.round(median(results[i]!.rps)).toLocaleString('en-US')} | ${median(results[i]!.ratio).toFixed(2)}x | ${median(results[i]!.busy).toFixed(1)} |`);
  const nq = Math.max(median(results[2]!.ratio), median(results[3]!.ratio));
  const markdown = [
    `### HTTP/2 over TLS: small GET, ${IN_FLIGHT} in flight`,
    '',
    `Server: node:http2 (TLS, one process) on 127.0.0.1, in another process. ${o.rounds} rounds × ${o.requests} requests a row, rows alternating, after a warm-up; medians.`,
    '',
    '| client | req/s (median) | x undici allowH2 | main-thread busy, us/req |',
    '| --- | ---: | ---: | ---: |',
    ...table,
    '',
    `Target: nodequests >= 2x undici allowH2: ${nq >= 2 ? 'met' : 'NOT met'} (${nq.toFixed(2)}x).`,
  ].join('\n');
  return { markdown };
}
