/**
 * The soak: one AsyncSession sending requests at full speed to a node:http server in
 * another process, with the process's RSS and the main thread's heap (after a full GC when
 * `--expose-gc` is given) sampled every second. Prints one JSON line a sample on stdout and
 * a summary line at the end, so a test (test/faults/soak.test.ts) or a person can read it.
 *
 *   node --expose-gc dist/bench/soak.js            # SOAK_SECONDS=3600 by default
 *   SOAK_SECONDS=600 nice node --expose-gc dist/bench/soak.js
 *
 * Each request is a GET or a small POST whose body is read and whose headers are parsed:
 * the paths a crawler's requests take through the channel, the flow and the response.
 */
import { fileURLToPath } from 'node:url';
import { AsyncSession } from '../src/index.js';
import { machineLine } from './machine.js';
import { startNodeServer } from './server.js';

export interface SoakSample {
  /** Seconds since the start. */
  t: number;
  requests: number;
  rssMB: number;
  heapMB: number;
  /** Live handles and requests of the main thread (sockets, timers, workers). */
  resources: number;
}

export interface SoakSummary {
  seconds: number;
  requests: number;
  perSecond: number;
  failures: number;
  /** Medians of the first and last third of the samples after the warm-up. */
  rssMB: { first: number; last: number };
  heapMB: { first: number; last: number };
  machine: string;
}

/** In-flight requests: enough to keep both workers and the server busy. */
const CONCURRENCY = 64;
const POST_BODY = Buffer.alloc(512, 'x');

/** Medians of the first and last third of the samples taken after `warmupSeconds`. */
export function thirds(samples: SoakSample[], warmupSeconds: number, key: 'rssMB' | 'heapMB'): { first: number; last: number } {
  const steady = samples.filter((s) => s.t > warmupSeconds).map((s) => s[key]);
  const third = Math.max(1, Math.floor(steady.length / 3));
  return { first: median(steady.slice(0, third)), last: median(steady.slice(-third)) };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function soak(seconds: number, onSample: (s: SoakSample) => void): Promise<SoakSummary> {
  const server = await startNodeServer();
  const session = new AsyncSession({ workers: 2 });
  const gc = (globalThis as { gc?: () => void }).gc;
  const samples: SoakSample[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  let requests = 0;
  let failures = 0;
  const sampler = setInterval(() => {
    gc?.();
    const m = process.memoryUsage();
    const s: SoakSample = {
      t: Math.round((performance.now() - started) / 1000),
      requests,
      rssMB: round(m.rss / 2 ** 20),
      heapMB: round(m.heapUsed / 2 ** 20),
      resources: process.getActiveResourcesInfo().length,
    };
    samples.push(s);
    onSample(s);
  }, 1000);
  const loop = async (n: number): Promise<void> => {
    for (let i = 0; performance.now() < deadline; i++) {
      try {
        const r = i % 4 === 3 ? await session.post(`${server.url}soak/${n}`, { data: POST_BODY }) : await session.get(`${server.url}soak/${n}?i=${i}`);
        if (r.text !== 'ok\n' || r.headers.get('content-type') !== 'text/plain') failures++;
      } catch {
        failures++;
      }
      requests++;
    }
  };
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => loop(n)));
  } finally {
    clearInterval(sampler);
    await session.close();
    await server.stop();
  }
  // The first seconds start the workers, open the connections and grow the heaps.
  const warmup = Math.min(10, seconds / 3);
  return {
    seconds,
    requests,
    perSecond: Math.round(requests / seconds),
    failures,
    rssMB: thirds(samples, warmup, 'rssMB'),
    heapMB: thirds(samples, warmup, 'heapMB'),
    machine: machineLine(),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.env.SOAK_SECONDS ?? 3600);
  const summary = await soak(seconds, (s) => process.stdout.write(`${JSON.stringify(s)}\n`));
  process.stdout.write(`${JSON.stringify({ summary })}\n`);
}
