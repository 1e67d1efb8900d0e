/**
 * HTTP/2 over TLS, small GETs, 128 in flight, against nginx serving HTTP/2 (one worker
 * process) or, when nginx is absent or `nodeServer` is set, a `node:http2` server in
 * another process; the certificate is made with openssl at bench time. Rows: undici
 * `allowH2` as a user gets it (an Agent, and a single Client, with default options), undici
 * tuned (one Client, its h2 concurrency raised with `pipelining`), `node:http2` by hand, and nodequests
 * multiplexed, async and sync. Rows alternate over rounds; medians; ratios against the
 * undici rows of the same round.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Agent, Client } from 'undici';
import { AsyncSession, Session } from '../src/index.js';
import { mainThreadBlockedMs } from '../src/engine/engine.js';
import { startNginx } from './nginx.js';

const IN_FLIGHT = 128;

interface Row {
  name: string;
  run(requests: number): Promise<void> | void;
  sync?: boolean;
}

export async function runH2Suite(o: { rounds: number; requests: number; nodeServer: boolean; log: (l: string) => void }): Promise<{ markdown: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'nq-h2-bench-'));
  const cert = join(dir, 'c.pem');
  const key = join(dir, 'k.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const server = (o.nodeServer ? null : await startNginx({ cert, key })) ?? (await startNodeH2Server(cert, key));
  o.log(`h2 server: ${server.name}`);
  const url = server.url;
  const origin = new URL(url).origin;
  const ca = readFileSync(cert);

  const undiciDefault = new Agent({ allowH2: true, connect: { ca } });
  const undiciOne = new Client(origin, { allowH2: true, connect: { ca } });
  const undici = new Client(origin, { allowH2: true, connect: { ca }, pipelining: IN_FLIGHT });
  const native = http2.connect(origin, { ca });
  const nqAsync = new AsyncSession({ verify: cert, multiplexed: true });
  const nqSync = new Session({ verify: cert, multiplexed: true });
  const concurrently = async (n: number, one: () => Promise<unknown>): Promise<void> => {
    let left = n;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (left-- > 0) await one();
    }));
  };
  const rows: Row[] = [
    { name: 'undici Agent allowH2, defaults', run: (n) => concurrently(n, async () => (await undiciDefault.request({ origin, path: '/', method: 'GET' })).body.text()) },
    { name: 'undici Client allowH2, defaults (one stream at a time)', run: (n) => concurrently(n, async () => (await undiciOne.request({ path: '/', method: 'GET' })).body.text()) },
    { name: 'undici Client allowH2, pipelining 128', run: (n) => concurrently(n, async () => (await undici.request({ path: '/', method: 'GET' })).body.text()) },
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
  // The rows every row is compared with, by index: undici's Agent defaults, Client defaults,
  // tuned, and node:http2 by hand.
  const baselines = [0, 1, 2, 3];
  const results = rows.map(() => ({ rps: [] as number[], ratios: baselines.map(() => [] as number[]), busy: [] as number[] }));
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
    for (const [i] of rows.entries()) baselines.forEach((b, k) => results[i]!.ratios[k]!.push(rps[i]! / rps[b]!));
  }
  await undiciDefault.close();
  await undiciOne.close();
  undici.close();
  native.close();
  await nqAsync.close();
  nqSync.close();
  await server.stop();

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const table = rows.map(
    (row, i) =>
      `| ${row.name} | ${Math.round(median(results[i]!.rps)).toLocaleString('en-US')} | ${results[i]!.ratios.map((r) => `${median(r).toFixed(2)}x`).join(' | ')} | ${median(results[i]!.busy).toFixed(1)} |`,
  );
  // The nodequests rows are the last two; each figure is the better of them.
  const best = (k: number): number => Math.max(median(results[rows.length - 2]!.ratios[k]!), median(results[rows.length - 1]!.ratios[k]!));
  const verdict = (k: number, target = 2): string => `${best(k) >= target ? 'met' : 'NOT met'} (${best(k).toFixed(2)}x)`;
  const markdown = [
    `### HTTP/2 over TLS: small GET, ${IN_FLIGHT} in flight`,
    '',
    `Server: ${server.name} on 127.0.0.1. ${o.rounds} rounds × ${o.requests} requests a row, rows alternating, after a warm-up; medians (ratios taken within each round).`,
    '',
    '| client | req/s (median) | x undici Agent allowH2 | x undici Client allowH2 | x undici tuned | x node:http2 by hand | main-thread busy, us/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...table,
    '',
    `Targets: nodequests >= 2x undici allowH2 as it comes: the Agent ${verdict(0)}, a Client ${verdict(1)}; >= 1.5x undici tuned by hand (pipelining ${IN_FLIGHT}): ${verdict(2, 1.5)}; >= 0.8x node:http2 by hand: ${verdict(3, 0.8)} (the better nodequests row).`,
  ].join('\n');
  return { markdown };
}

/** The fallback server: bench/h2-server.ts in its own process. */
async function startNodeH2Server(cert: string, key: string): Promise<{ name: string; url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./h2-server.js', import.meta.url)), cert, key], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const { port } = JSON.parse(line.toString()) as { port: number };
  return {
    name: `node:http2 ${process.version} (TLS, one process)`,
    url: `https://127.0.0.1:${port}/`,
    stop: async () => {
      child.stdin!.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
