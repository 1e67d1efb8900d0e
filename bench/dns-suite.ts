/**
 * Name resolution. Lookups/s of the workers' resolver (src/dns/resolve.ts, run here on the
 * main thread) through DNS over UDP and over HTTPS against Debian's unbound on loopback,
 * with the cache cold (a new name every lookup: A and AAAA asked) and warm (one name), next
 * to Node's `dns.resolve4` (c-ares, pointed at the same unbound, the same new names) and
 * `dns.lookup` (getaddrinfo; it cannot be pointed at a server, so it resolves `localhost`
 * from /etc/hosts, its cheapest case). Then small GETs (AsyncSession, 64 in flight, keep-alive)
 * to nginx by a name of unbound's zone through a custom resolver (cache warm) against the
 * same server by `localhost` through the system's. Lookups run 32 at a time.
 */
import dns from 'node:dns';
import { AsyncSession } from '../src/index.js';
import { createResolver } from '../src/dns/resolve.js';
import { parseResolverUrl } from '../src/dns/resolver-spec.js';
import { startNginx } from './nginx.js';
import { startNodeServer, type BenchServer } from './server.js';
import { median } from './stats.js';

type Peers = typeof import('../scripts/interop/peers.mjs');

const IN_FLIGHT = 32;
const GET_IN_FLIGHT = 64;

export interface DnsSuiteOptions {
  rounds: number;
  /** Seconds each row runs per round. */
  seconds: number;
  log: (line: string) => void;
}

/** Runs `call` IN_FLIGHT at a time until `ms` have passed; calls per second. */
async function rate(ms: number, call: (i: number) => Promise<unknown>, width = IN_FLIGHT): Promise<number> {
  let started = 0;
  let n = 0;
  const start = performance.now();
  const stop = start + ms;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (performance.now() < stop) {
        await call(started++);
        n++;
      }
    }),
  );
  return (n * 1000) / (performance.now() - start);
}

export async function runDnsSuite(o: DnsSuiteOptions): Promise<{ markdown: string }> {
  const peers = (await import(new URL('../../scripts/interop/peers.mjs', import.meta.url).href)) as Peers;
  const missing = peers.checkPeers().unbound;
  if (missing !== null) return { markdown: `### Name resolution\n\nNot run: ${missing}.` };
  const unbound = await peers.startUnbound();
  const server: BenchServer = (await startNginx()) ?? (await startNodeServer());
  const udp = `dou://127.0.0.1:${unbound.ports.udp}`;
  const https = `doh://127.0.0.1:${unbound.ports.https}?verify=sha256_${unbound.sha256}`;
  const families = { ipv4: true, ipv6: true };
  const douResolver = createResolver([parseResolverUrl(udp)], families);
  const dohResolver = createResolver([parseResolverUrl(https)], families);
  const cares = new dns.promises.Resolver();
  cares.setServers([`127.0.0.1:${unbound.ports.udp}`]);
  // Cold rows never ask for a name twice: each round and row has its own prefix.
  let prefix = 0;
  const cold = (resolve: (name: string) => Promise<unknown>) => {
    const p = prefix++;
    return (i: number) => resolve(`n${i}.r${p}.wild.interop.test`);
  };
  const site = new URL(server.url);
  const viaSystem = new AsyncSession({ workers: 1 });
  const viaCustom = new AsyncSession({ workers: 1, resolver: udp });
  const systemUrl = `${site.protocol}//localhost:${site.port}/`;
  const customUrl = `${site.protocol}//www.interop.test:${site.port}/`;

  const lookups: Array<[string, () => (i: number) => Promise<unknown>]> = [
    ['dns.lookup (getaddrinfo), localhost from /etc/hosts', () => () => dns.promises.lookup('localhost')],
    ['dns.resolve4 (c-ares) over UDP, new names', () => cold((n) => cares.resolve4(n))],
    ['nodequests dou, cache cold (A + AAAA)', () => cold((n) => douResolver.resolve(n))],
    ['nodequests dou, cache warm', () => () => douResolver.resolve('www.interop.test')],
    ['nodequests doh (HTTP/2), cache cold (A + AAAA)', () => cold((n) => dohResolver.resolve(n))],
    ['nodequests doh, cache warm', () => () => dohResolver.resolve('www.interop.test')],
  ];
  const gets: Array<[string, () => Promise<unknown>]> = [
    ['AsyncSession small GET, system resolver (localhost)', async () => (await viaSystem.get(systemUrl)).content],
    ['AsyncSession small GET, dou resolver, cache warm', async () => (await viaCustom.get(customUrl)).content],
  ];
  const rates = new Map<string, number[]>([...lookups, ...gets].map(([name]) => [name, []]));
  const getRatios: number[] = [];
  try {
    for (const [, make] of lookups) await rate(200, make()); // sockets, connections, JIT
    for (const [, call] of gets) await rate(200, call, GET_IN_FLIGHT);
    for (let round = 0; round < o.rounds; round++) {
      for (const [name, make] of lookups) rates.get(name)!.push(await rate(o.seconds * 1000, make()));
      const inRound = [];
      for (let i = 0; i < gets.length; i++) {
        const [name, call] = gets[(i + round) % gets.length]!;
        const r = await rate(o.seconds * 1000, call, GET_IN_FLIGHT);
        rates.get(name)!.push(r);
        inRound[(i + round) % gets.length] = r;
      }
      getRatios.push(inRound[1]! / inRound[0]!);
      o.log(`dns: round ${round + 1}: ${[...rates].map(([n, v]) => `${n} ${Math.round(v.at(-1)!)}/s`).join(', ')}`);
    }
  } finally {
    douResolver.close();
    dohResolver.close();
    await viaSystem.close();
    await viaCustom.close();
    await server.stop();
    await unbound.stop();
  }
  const lines = [
    '### Name resolution',
    '',
    `Server: unbound ${unbound.url} (UDP, HTTPS/2) on 127.0.0.1; HTTP: ${server.name}. ${o.rounds} rounds x ${o.seconds} s a row; medians. Lookups ${IN_FLIGHT} at a time, GETs ${GET_IN_FLIGHT}.`,
    '',
    '| row | per second (median) |',
    '| --- | ---: |',
  ];
  for (const [name, values] of rates) lines.push(`| ${name} | ${Math.round(median(values)).toLocaleString('en-US')} |`);
  const ratio = median(getRatios);
  lines.push('', `Target: small GETs with a custom resolver within 5% of the system resolver: ${ratio >= 0.95 ? 'met' : 'NOT met'} (${ratio.toFixed(3)}x).`);
  return { markdown: lines.join('\n') };
}
