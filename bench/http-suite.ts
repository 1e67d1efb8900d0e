/**
 * HTTP suite: small GETs with 64 requests in flight, from this process to a server in
 * another process (nginx when installed, else bench/server.ts), comparing undici with
 * nodequests' two APIs.
 *
 * Every row runs once per round for a fixed time, rows alternating (the order rotates
 * each round), after a warm-up of every row. Reported per row: the median req/s over the
 * rounds, the median of its ratio to undici `request()` in the same round, and the main
 * thread's busy time per request:
 * - async rows: the event loop's active time (`performance.eventLoopUtilization()`);
 * - the sync row: wall time minus the time spent blocked in `Atomics.wait`
 *   (`mainThreadBlockedMs()`), since a blocked thread counts as busy to the loop's clock.
 * Both are wall-clock measures, so they also count time the main thread was runnable but
 * off the CPU (on 2 cores, nodequests' main thread shares them with its workers and the
 * server). Where Linux offers it, the main thread's own CPU time (schedstat) is reported too.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool, request as undiciRequest, type Dispatcher } from 'undici';
import { AsyncSession, Session } from '../src/index.js';
import { mainThreadBlockedMs } from '../src/engine/engine.js';
import { processCpuMs, processTreeCpuMs } from './machine.js';
import { startNginx } from './nginx.js';
import { startNodeServer, type BenchServer } from './server.js';

export interface HttpSuiteOptions {
  rounds: number;
  /** Seconds each row runs per round. */
  seconds: number;
  /** Seconds each row runs in the warm-up. */
  warmupSeconds: number;
  /** Requests in flight. */
  inFlight: number;
  /** Use the node:http server even when nginx is installed. */
  nodeServer: boolean;
  log: (line: string) => void;
}

export const HTTP_DEFAULTS: HttpSuiteOptions = {
  rounds: 5,
  seconds: 2,
  warmupSeconds: 0.5,
  inFlight: 64,
  nodeServer: false,
  log: (line) => console.error(line),
};

/** One row's measurement in one round. */
interface Sample {
  requests: number;
  ms: number;
  busyMs: number;
  /** The main thread's CPU time, or NaN where it cannot be read. */
  cpuMs: number;
  /** This process's CPU time, every thread (NaN until filled in by the suite). */
  processCpuMs: number;
  /** The server's CPU time over the same stretch, or NaN. */
  serverCpuMs: number;
}

interface Row {
  name: string;
  /** Runs requests until `stopAt` (performance.now clock); returns the measurement. */
  run(stopAt: number): Promise<Sample>;
  close(): Promise<void>;
}

export interface HttpRowResult {
  name: string;
  reqPerSec: number | null;
  minReqPerSec: number | null;
  maxReqPerSec: number | null;
  ratio: number | null;
  busyUsPerReq: number | null;
  busyRatio: number | null;
  cpuUsPerReq: number | null;
  /** This process's CPU per request, all threads; and the server's. */
  processCpuUsPerReq: number | null;
  serverCpuUsPerReq: number | null;
  error: string | null;
}

export interface HttpSuiteResult {
  server: string;
  options: Omit<HttpSuiteOptions, 'log'>;
  rows: HttpRowResult[];
  targets: Array<{ text: string; met: boolean | null }>;
  markdown: string;
}

const BASELINE = 'undici request()';
const DISPATCH = 'undici Pool.dispatch, bare handler';
const ASYNC = 'nodequests AsyncSession';
const SYNC = 'nodequests Session multiplexed + gather()';

export async function runHttpSuite(partial: Partial<HttpSuiteOptions> = {}): Promise<HttpSuiteResult> {
  const opts: HttpSuiteOptions = { ...HTTP_DEFAULTS, ...partial };
  const { log } = opts;
  const server: BenchServer = (!opts.nodeServer && (await startNginx())) || (await startNodeServer());
  log(`http: server ${server.name} at ${server.url}`);
  const rows: Row[] = [
    undiciRequestRow(server.url, opts.inFlight),
    undiciDispatchRow(server.url, opts.inFlight),
    asyncSessionRow(ASYNC, server.url, opts.inFlight, undefined),
    syncSessionRow(SYNC, server.url, opts.inFlight, undefined),
    asyncSessionRow(`${ASYNC}, workers: 1`, server.url, opts.inFlight, 1),
    syncSessionRow(`${SYNC}, workers: 1`, server.url, opts.inFlight, 1),
  ];
  const samples = new Map<string, Array<Sample | null>>(rows.map((r) => [r.name, []]));
  const errors = new Map<string, string>();

  const runRow = async (row: Row, seconds: number): Promise<Sample | null> => {
    if (errors.has(row.name)) return null;
    try {
      const cpu0 = mainThreadCpuMs();
      const process0 = processCpuMs();
      const server0 = processTreeCpuMs(server.pid);
      const s = await row.run(performance.now() + seconds * 1000);
      s.cpuMs = mainThreadCpuMs() - cpu0;
      s.processCpuMs = processCpuMs() - process0;
      s.serverCpuMs = processTreeCpuMs(server.pid) - server0;
      return s;
    } catch (err) {
      const message = describeError(err);
      errors.set(row.name, message);
      log(`http: ${row.name} failed: ${message}`);
      return null;
    }
  };

  try {
    log(`http: warm-up, ${opts.warmupSeconds} s a row`);
    for (const row of rows) await runRow(row, opts.warmupSeconds);
    for (let round = 0; round < opts.rounds; round++) {
      const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
      for (const row of order) {
        const s = await runRow(row, opts.seconds);
        samples.get(row.name)!.push(s);
        if (s) log(`http: round ${round + 1} ${row.name}: ${Math.round((s.requests * 1000) / s.ms)} req/s, ${((s.busyMs * 1000) / s.requests).toFixed(1)} us busy/req`);
      }
    }
  } finally {
    for (const row of rows) await row.close().catch(() => {});
    await server.stop();
  }

  const base = samples.get(BASELINE)!;
  const results: HttpRowResult[] = rows.map((row) => {
    const list = samples.get(row.name)!;
    const rates: number[] = [];
    const busy: number[] = [];
    const ratios: number[] = [];
    const busyRatios: number[] = [];
    const cpu: number[] = [];
    const processCpu: number[] = [];
    const serverCpu: number[] = [];
    list.forEach((s, round) => {
      if (!s || s.requests === 0) return;
      const rate = (s.requests * 1000) / s.ms;
      const us = (s.busyMs * 1000) / s.requests;
      rates.push(rate);
      busy.push(us);
      if (!Number.isNaN(s.cpuMs)) cpu.push((s.cpuMs * 1000) / s.requests);
      processCpu.push((s.processCpuMs * 1000) / s.requests);
      if (!Number.isNaN(s.serverCpuMs)) serverCpu.push((s.serverCpuMs * 1000) / s.requests);
      const b = base[round];
      if (b && b.requests > 0) {
        ratios.push(rate / ((b.requests * 1000) / b.ms));
        busyRatios.push(us / ((b.busyMs * 1000) / b.requests));
      }
    });
    return {
      name: row.name,
      reqPerSec: median(rates),
      minReqPerSec: rates.length ? Math.min(...rates) : null,
      maxReqPerSec: rates.length ? Math.max(...rates) : null,
      ratio: median(ratios),
      busyUsPerReq: median(busy),
      busyRatio: median(busyRatios),
      cpuUsPerReq: median(cpu),
      processCpuUsPerReq: median(processCpu),
      serverCpuUsPerReq: median(serverCpu),
      error: errors.get(row.name) ?? null,
    };
  });

  const byName = new Map(results.map((r) => [r.name, r]));
  const asyncRatio = byName.get(ASYNC)?.ratio ?? null;
  const syncRatio = byName.get(SYNC)?.ratio ?? null;
  const cpuOf = (name: string): number | null => byName.get(name)?.cpuUsPerReq ?? null;
  const targets = [
    { text: `AsyncSession >= 1.0x undici request() (stretch 1.2x): ${fmtRatio(asyncRatio)}`, met: asyncRatio === null ? null : asyncRatio >= 1 },
    { text: `Session multiplexed + gather() >= 1.0x undici request(): ${fmtRatio(syncRatio)}`, met: syncRatio === null ? null : syncRatio >= 1 },
    {
      text: `main-thread CPU per request <= 5 us: AsyncSession ${fmtUs(cpuOf(ASYNC))}, Session ${fmtUs(cpuOf(SYNC))}`,
      met: cpuOf(ASYNC) === null || cpuOf(SYNC) === null ? null : cpuOf(ASYNC)! <= 5 && cpuOf(SYNC)! <= 5,
    },
  ];
  const { log: _log, ...shown } = opts;
  const result: HttpSuiteResult = { server: server.name, options: shown, rows: results, targets, markdown: '' };
  result.markdown = httpMarkdown(result);
  return result;
}

// ---- rows ----------------------------------------------------------------------------

function newPool(url: string, connections: number): Pool {
  return new Pool(new URL(url).origin, { connections, keepAliveTimeout: 60_000, pipelining: 1 });
}

/** `inFlight` loops, each awaiting one request after another, under the event-loop clock. */
async function measureLoops(inFlight: number, stopAt: number, one: () => Promise<void>): Promise<Sample> {
  let requests = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      await one();
      requests++;
    }
  };
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: inFlight }, loop));
  const ms = performance.now() - t0;
  const busyMs = performance.eventLoopUtilization(elu0).active;
  return { requests, ms, busyMs, cpuMs: NaN, processCpuMs: NaN, serverCpuMs: NaN };
}

function undiciRequestRow(url: string, inFlight: number): Row {
  const pool = newPool(url, inFlight);
  return {
    name: BASELINE,
    run: (stopAt) =>
      measureLoops(inFlight, stopAt, async () => {
        const { statusCode, body } = await undiciRequest(url, { dispatcher: pool });
        const bytes = await body.arrayBuffer();
        if (statusCode !== 200 || bytes.byteLength === 0) throw new Error(`undici request(): status ${statusCode}, ${bytes.byteLength} bytes`);
      }),
    close: () => pool.close(),
  };
}

/** The lowest level undici offers: callbacks only, no streams, no promises. */
class BareHandler implements Dispatcher.DispatchHandler {
  status = 0;
  bytes = 0;
  constructor(private readonly done: (err: Error | null, h: BareHandler) => void) {}
  onConnect(): void {}
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }
  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }
  onComplete(): void {
    this.done(null, this);
  }
  onError(err: Error): void {
    this.done(err, this);
  }
}

function undiciDispatchRow(url: string, inFlight: number): Row {
  const pool = newPool(url, inFlight);
  const u = new URL(url);
  const dispatchOptions: Dispatcher.DispatchOptions = { origin: u.origin, path: u.pathname + u.search, method: 'GET' };
  return {
    name: DISPATCH,
    run: (stopAt) =>
      new Promise<Sample>((resolve, reject) => {
        let requests = 0;
        let active = 0;
        let failed = false;
        const elu0 = performance.eventLoopUtilization();
        const t0 = performance.now();
        const done = (err: Error | null, h: BareHandler): void => {
          active--;
          if (failed) return;
          if (err || h.status !== 200 || h.bytes === 0) {
            failed = true;
            reject(err ?? new Error(`dispatch: status ${h.status}, ${h.bytes} bytes`));
            return;
          }
          requests++;
          if (performance.now() < stopAt) start();
          else if (active === 0) {
            const ms = performance.now() - t0;
            resolve({ requests, ms, busyMs: performance.eventLoopUtilization(elu0).active, cpuMs: NaN, processCpuMs: NaN, serverCpuMs: NaN });
          }
        };
        const start = (): void => {
          active++;
          pool.dispatch(dispatchOptions, new BareHandler(done));
        };
        for (let i = 0; i < inFlight; i++) start();
      }),
    close: () => pool.close(),
  };
}

function asyncSessionRow(name: string, url: string, inFlight: number, workers: number | undefined): Row {
  const session = new AsyncSession({ poolMaxsize: inFlight, ...(workers ? { workers } : {}) });
  return {
    name,
    run: (stopAt) =>
      measureLoops(inFlight, stopAt, async () => {
        const r = await session.get(url);
        if (r.statusCode !== 200 || r.content.length === 0) throw new Error(`AsyncSession: status ${r.statusCode}, ${r.content.length} bytes`);
      }),
    close: () => session.close(),
  };
}

function syncSessionRow(name: string, url: string, inFlight: number, workers: number | undefined): Row {
  const session = new Session({ multiplexed: true, poolMaxsize: inFlight, ...(workers ? { workers } : {}) });
  return {
    name,
    async run(stopAt) {
      let requests = 0;
      const blocked0 = mainThreadBlockedMs();
      const t0 = performance.now();
      while (performance.now() < stopAt) {
        const rs = Array.from({ length: inFlight }, () => session.get(url));
        session.gather();
        for (const r of rs) {
          if (r.statusCode !== 200 || r.content.length === 0) throw new Error(`Session: status ${r.statusCode}, ${r.content.length} bytes`);
        }
        requests += rs.length;
      }
      const ms = performance.now() - t0;
      return { requests, ms, busyMs: ms - (mainThreadBlockedMs() - blocked0), cpuMs: NaN, processCpuMs: NaN, serverCpuMs: NaN };
    },
    close: async () => session.close(),
  };
}

// ---- report --------------------------------------------------------------------------

function httpMarkdown(r: HttpSuiteResult): string {
  const o = r.options;
  const lines = [
    `### HTTP: small GET, HTTP/1.1, ${o.inFlight} in flight`,
    '',
    `Server: ${r.server}, in another process on 127.0.0.1. ${o.rounds} rounds x ${o.seconds} s a row, rows alternating, after a ${o.warmupSeconds} s warm-up of each.`,
    `Every client may open ${o.inFlight} connections per pool (undici \`connections\`, nodequests \`poolMaxsize\`; nodequests has one pool per worker).`,
    'Medians over the rounds; the ratios are taken within each round, then their median.',
    '',
    '| client | req/s (median) | min - max | x undici request() | main-thread busy, us/req | main-thread CPU, us/req | process CPU, us/req | server CPU, us/req |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of r.rows) {
    if (row.reqPerSec === null) {
      lines.push(`| ${row.name} | failed | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${row.name}${row.error ? ' (failed in some rounds)' : ''} | ${fmtInt(row.reqPerSec)} | ${fmtInt(row.minReqPerSec!)} - ${fmtInt(row.maxReqPerSec!)} | ${fmtRatio(row.ratio)} | ${row.busyUsPerReq!.toFixed(1)} | ${fmtUs(row.cpuUsPerReq)} | ${fmtUs(row.processCpuUsPerReq)} | ${fmtUs(row.serverCpuUsPerReq)} |`,
    );
  }
  lines.push(
    '',
    'Busy: event-loop active time (async rows) or wall time minus time blocked in `Atomics.wait` (sync rows), per request; it includes time the thread was runnable but descheduled. Main-thread CPU: its on-CPU time from /proc schedstat. Process CPU: every thread of this process (`process.cpuUsage()`): for nodequests the main thread plus the transport workers. Server CPU: the server\'s processes, from /proc (10 ms ticks). On two cores shared with the server, throughput is about 2 cores / (process CPU + server CPU) per request.',
    '',
    ...projection(r),
    '',
    'Targets:',
  );
  for (const t of r.targets) lines.push(`- ${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met'}: ${t.text}`);
  const failures = r.rows.filter((row) => row.error);
  if (failures.length) {
    lines.push('', 'Failures:');
    for (const f of failures) lines.push(`- ${f.name}: ${f.error}`);
  }
  return lines.join('\n');
}

/**
 * What the per-thread costs imply on a bigger machine, with the server elsewhere: undici
 * `request()` runs on one thread, so its ceiling is one core over its CPU per request;
 * nodequests' main thread is one core over its main-thread CPU, its workers share the rest.
 */
function projection(r: HttpSuiteResult): string[] {
  const undici = r.rows.find((row) => row.name === BASELINE);
  const nq = r.rows.find((row) => row.name === ASYNC);
  if (!undici?.processCpuUsPerReq || !nq?.cpuUsPerReq || !nq.processCpuUsPerReq) return [];
  const main = nq.cpuUsPerReq;
  const workers = nq.processCpuUsPerReq - main;
  const lines = [
    `Projection from these per-thread costs (server on other cores; undici request() ${undici.processCpuUsPerReq.toFixed(1)} us a request on its one thread; nodequests AsyncSession main thread ${main.toFixed(1)} us, workers ${workers.toFixed(1)} us):`,
    '',
    '| client cores | undici request() ceiling, req/s | nodequests AsyncSession ceiling, req/s (workers = cores - 1) |',
    '| ---: | ---: | ---: |',
  ];
  for (const cores of [2, 8, 16]) {
    const nqCeiling = Math.min(1e6 / main, ((cores - 1) * 1e6) / workers);
    lines.push(`| ${cores} | ${fmtInt(1e6 / undici.processCpuUsPerReq)} | ${fmtInt(nqCeiling)} |`);
  }
  return lines;
}

function fmtUs(us: number | null): string {
  return us === null ? 'n/a' : us.toFixed(1);
}

/** The main thread's on-CPU time in ms (Linux schedstat; its thread id is the pid), or NaN. */
function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtRatio(r: number | null): string {
  return r === null ? 'n/a' : `${r.toFixed(2)}x`;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}${'code' in err ? ` (${String((err as { code: unknown }).code)})` : ''}: ${err.message}`;
  return String(err);
}
