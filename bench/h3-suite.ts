/**
 * HTTP/3 against HTTP/2, both to Debian's caddy on loopback (one port: QUIC on UDP, TLS on
 * TCP): small GETs (AsyncSession, 32 in flight, one worker) and a 64 MiB download, checked
 * by sha256, with nodequests over each protocol, and curl over HTTP/3 where Debian's curl
 * speaks it (the curl of Debian 12 is built without HTTP/3: that row says so). Rows
 * alternate over rounds; medians. To see where a worker's time goes, run the suite under
 * `node --cpu-prof --cpu-prof-dir=DIR` (worker threads inherit the flag: one profile each).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { AsyncSession } from '../src/index.js';

type Peers = typeof import('../scripts/interop/peers.mjs');

const IN_FLIGHT = 32;
const BIG = 64 * 1024 * 1024;

export interface H3SuiteOptions {
  rounds: number;
  /** Small GETs a row runs per round. */
  requests: number;
  log: (line: string) => void;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Whether this curl speaks HTTP/3, and why not when it does not. */
function curlHttp3(): string | null {
  try {
    const features = execFileSync('curl', ['--version'], { encoding: 'utf8' });
    return /\bHTTP3\b/.test(features) ? null : `${features.split('\n')[0]!.split(' (')[0]} is built without HTTP/3 (no HTTP3 among its features)`;
  } catch {
    return 'curl is not installed';
  }
}

export async function runH3Suite(o: H3SuiteOptions): Promise<{ markdown: string }> {
  const peers = (await import(new URL('../../scripts/interop/peers.mjs', import.meta.url).href)) as Peers;
  const missing = peers.checkPeers().caddy;
  if (missing !== null) return { markdown: `### HTTP/3\n\nNot run: ${missing}.` };
  const caddy = await peers.startCaddy({ bigSize: BIG });
  const pin = `sha256_${caddy.sha256}`;
  const h3 = new AsyncSession({ verify: pin, http3Origins: [caddy.url], workers: 1, timeout: 300_000 });
  const h2 = new AsyncSession({ verify: pin, disableHttp3: true, workers: 1, timeout: 300_000 });
  const curlMissing = curlHttp3();
  const small = `${caddy.url}${caddy.files.small.path}`;
  const big = `${caddy.url}${caddy.files.big.path}`;

  const gets = async (s: AsyncSession, version: string): Promise<number> => {
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next++ < o.requests) {
          const r = await s.get(small);
          if (r.httpVersion !== version) throw new Error(`expected ${version}, got ${r.httpVersion}`);
        }
      }),
    );
    return (o.requests * 1000) / (performance.now() - t0);
  };
  const download = async (s: AsyncSession, version: string): Promise<number> => {
    const t0 = performance.now();
    const r = await s.get(big);
    const ms = performance.now() - t0;
    if (r.httpVersion !== version) throw new Error(`expected ${version}, got ${r.httpVersion}`);
    if (createHash('sha256').update(r.content).digest('hex') !== caddy.files.big.sha256) throw new Error(`the ${version} download does not match its sha256`);
    return BIG / 1e6 / (ms / 1000);
  };
  const curl = (): number => {
    const t0 = performance.now();
    execFileSync('curl', ['--http3-only', '-sk', '-o', '/dev/null', big]);
    return BIG / 1e6 / ((performance.now() - t0) / 1000);
  };

  const rows: Array<[string, string, () => Promise<number> | number]> = [
    ['nodequests HTTP/3, small GETs', 'req/s', () => gets(h3, 'HTTP/3')],
    ['nodequests HTTP/2, small GETs', 'req/s', () => gets(h2, 'HTTP/2')],
    ['nodequests HTTP/3, 64 MiB download', 'MB/s', () => download(h3, 'HTTP/3')],
    ['nodequests HTTP/2, 64 MiB download', 'MB/s', () => download(h2, 'HTTP/2')],
  ];
  if (curlMissing === null) rows.push(['curl --http3-only, 64 MiB download', 'MB/s', curl]);
  const results = new Map<string, number[]>(rows.map(([name]) => [name, []]));
  try {
    // Warm-up: connections made, the QUIC layer loaded.
    await h3.get(small);
    await h2.get(small);
    for (let round = 0; round < o.rounds; round++) {
      for (const [name, unit, run] of rows) {
        const value = await run();
        results.get(name)!.push(value);
        o.log(`h3 round ${round + 1}: ${name}: ${value.toFixed(1)} ${unit}`);
      }
    }
  } finally {
    await h3.close();
    await h2.close();
    await caddy.stop();
  }
  const lines = [
    '### HTTP/3',
    '',
    `Server: Debian's caddy on 127.0.0.1 (HTTP/3 on UDP, HTTP/2 over TLS on TCP, one port). ${o.rounds} rounds; small GETs ${o.requests} a row, ${IN_FLIGHT} in flight, one worker; downloads checked by sha256; medians.`,
    '',
    '| Row | Median |',
    '| --- | ---: |',
    ...rows.map(([name, unit]) => `| ${name} | ${median(results.get(name)!).toFixed(1)} ${unit} |`),
  ];
  if (curlMissing !== null) lines.push('', `curl over HTTP/3: not run: ${curlMissing}.`);
  return { markdown: lines.join('\n') };
}
