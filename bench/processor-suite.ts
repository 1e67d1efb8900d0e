/**
 * Processor suite ("CPU-heavy decoding off the main thread"): gzip'd JSON documents of
 * ~4.7 MB from a server in another process, 4 in flight, each parsed and reduced to a
 * summary. nodequests does it in the transport workers with a processor, so only the
 * summary reaches the main thread; `fetch` and undici (`interceptors.decompress`) decode,
 * parse and reduce on the main thread. Reported per row: documents/s and the main event
 * loop's delay p99 (`monitorEventLoopDelay`) while it ran, rows alternating per round,
 * medians over the rounds.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Agent, interceptors, request } from 'undici';
import { AsyncSession } from '../src/index.js';
import { summarize, type DocSummary } from './summarize.js';

export interface ProcessorSuiteOptions {
  rounds: number;
  seconds: number;
  log: (line: string) => void;
}

const IN_FLIGHT = 4;
const PROCESSOR = `${new URL('./summarize.js', import.meta.url).href}#summarizeBody`;

/** The document: deterministic, ~4.7 MB of JSON. */
function makeDocument(): Buffer {
  const categories = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  const items = Array.from({ length: 18_000 }, (_, i) => ({
    id: i,
    name: `item number ${i} of the benchmark document`,
    category: categories[i % categories.length],
    value: (i * 7919) % 1000,
    tags: ['one', 'two', 'three', `t${i % 17}`],
    nested: { a: i % 3, b: `${i}`.repeat(3), c: [i, i + 1, i + 2], flag: i % 2 === 0 },
    note: 'x'.repeat(40 + (i % 20)),
  }));
  return Buffer.from(JSON.stringify({ items }));
}

function serve(): void {
  const doc = makeDocument();
  const gz = gzipSync(doc);
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': gz.length });
    res.end(gz);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0, bytes: doc.length, gzipped: gz.length })}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

interface Row {
  name: string;
  /** Fetches and summarises documents, IN_FLIGHT at a time, until `stopAt`; returns how many. */
  run(url: string, stopAt: number): Promise<number>;
  close(): Promise<void>;
}

/** IN_FLIGHT loops of `one()` until `stopAt`. */
async function loops(stopAt: number, one: () => Promise<DocSummary>): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < stopAt) {
        const s = await one();
        if (s.items !== 18_000) throw new Error(`a summary of ${s.items} items`);
        done++;
      }
    }),
  );
  return done;
}

function nodequestsRow(): Row {
  const session = new AsyncSession();
  return {
    name: 'nodequests (processor in the workers)',
    async run(url, stopAt) {
      let done = 0;
      function* urls(): Generator<string> {
        while (performance.now() < stopAt) yield url;
      }
      for await (const item of session.map(urls(), { concurrency: IN_FLIGHT, processor: PROCESSOR })) {
        if (item.error) throw item.error;
        if ((item.result as DocSummary).items !== 18_000) throw new Error('a wrong summary');
        done++;
      }
      return done;
    },
    close: () => session.close(),
  };
}

function fetchRow(): Row {
  return {
    name: 'fetch (main thread)',
    run: (url, stopAt) => loops(stopAt, async () => summarize((await (await fetch(url)).json()) as Parameters<typeof summarize>[0])),
    close: async () => {},
  };
}

function undiciRow(): Row {
  const dispatcher = new Agent({ connections: IN_FLIGHT }).compose(interceptors.decompress());
  return {
    name: 'undici request + interceptors.decompress (main thread)',
    run: (url, stopAt) => loops(stopAt, async () => summarize((await (await request(url, { dispatcher })).body.json()) as Parameters<typeof summarize>[0])),
    close: () => dispatcher.close(),
  };
}

export async function runProcessorSuite(o: ProcessorSuiteOptions): Promise<{ markdown: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const info = JSON.parse(line.toString()) as { port: number; bytes: number; gzipped: number };
  const url = `http://127.0.0.1:${info.port}/doc.json`;
  const rows = [nodequestsRow(), fetchRow(), undiciRow()];
  const results = new Map<Row, Array<{ docsPerSec: number; delayP99: number }>>(rows.map((r) => [r, []]));
  try {
    // Warm-up: connections, workers, JIT.
    for (const row of rows) await row.run(url, performance.now() + 300);
    for (let round = 0; round < o.rounds; round++) {
      for (let i = 0; i < rows.length; i++) {
        const row = rows[(round + i) % rows.length]!;
        const delay = monitorEventLoopDelay({ resolution: 1 });
        delay.enable();
        const t0 = performance.now();
        const docs = await row.run(url, t0 + o.seconds * 1000);
        const ms = performance.now() - t0;
        delay.disable();
        const sample = { docsPerSec: (docs * 1000) / ms, delayP99: delay.percentile(99) / 1e6 };
        results.get(row)!.push(sample);
        o.log(`processor round ${round + 1}: ${row.name} ${sample.docsPerSec.toFixed(1)} docs/s, event-loop delay p99 ${sample.delayP99.toFixed(1)} ms`);
      }
    }
  } finally {
    await Promise.all(rows.map((r) => r.close()));
    child.stdin.end();
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const stats = rows.map((row) => {
    const s = results.get(row)!;
    return { row, docs: median(s.map((x) => x.docsPerSec)), delay: median(s.map((x) => x.delayP99)) };
  });
  const nq = stats[0]!;
  const markdown = [
    `### Decoding off the main thread (${(info.bytes / 1e6).toFixed(1)} MB JSON, ${(info.gzipped / 1e6).toFixed(2)} MB gzip'd, ${IN_FLIGHT} in flight, ${o.seconds} s a run, median of ${o.rounds} rounds)`,
    '',
    '| client | documents/s | nodequests × | event-loop delay p99 ms | nodequests ÷ |',
    '|---|---|---|---|---|',
    ...stats.map((s) => `| ${s.row.name} | ${s.docs.toFixed(1)} | ${s === nq ? '—' : (nq.docs / s.docs).toFixed(2)} | ${s.delay.toFixed(1)} | ${s === nq ? '—' : (s.delay / nq.delay).toFixed(1)} |`),
    '',
    'Each document is parsed and reduced to a summary; "nodequests ×" is its documents/s over that row\'s, "nodequests ÷" that row\'s delay over its.',
  ].join('\n');
  return { markdown };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--serve')) serve();
