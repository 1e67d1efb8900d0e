/**
 * Load generation on the transport workers: the main thread splits the plan between them,
 * sends each its share as a one-shot task of the worker pool, and merges the HDR histograms they report every
 * interval. The requests never touch the main thread, so it is not the bottleneck.
 *
 * @example
 * ```ts
 * const result = await generateLoad({ url: 'http://127.0.0.1:8080/', connections: 64, durationMs: 10_000 });
 * console.log(result.rps, result.latency.p99);
 * ```
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { Engine } from '../engine/engine.js';
import { LOAD_HISTOGRAM, type LoadPlan, type LoadReport, type LoadTask } from '../channel/load-plan.js';
import { Headers } from '../headers.js';
import { InvalidHeader } from '../errors.js';
import { prepareMethod } from '../request/prepare.js';
import { normalizeSessionOptions } from '../session/options.js';
import { transportConfigOf } from '../session/transport-config.js';

export interface LoadOptions {
  url: string;
  method?: string;
  /** Flat [name, value, …]. */
  headers?: string[];
  body?: Uint8Array | null;
  connections?: number;
  /** Total requests; without it the run lasts `durationMs`. */
  requests?: number;
  durationMs?: number;
  /** Requests per second in all, on a fixed timetable (open model); 0 or absent: closed model. */
  rate?: number;
  http2?: boolean;
  /**
   * Transport workers generating the load; default one per core but one, which is left to
   * the server when it runs on the same machine (on two cores, two workers and the server
   * contend for them and the server answers less: measured 97 000 req/s against 114 000).
   */
  workers?: number;
  timeoutMs?: number;
  intervalMs?: number;
  /** Called once per interval with what happened in it. */
  onInterval?: (interval: LoadInterval) => void;
  /** Stops sending new requests; those in flight finish. */
  signal?: AbortSignal;
}

/** Latencies in ms. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface LoadInterval {
  elapsedMs: number;
  requests: number;
  rps: number;
  errors: number;
  latency: LatencySummary;
}

/** The shape `nodequests load --json` prints. */
export interface LoadResult {
  requests: number;
  durationMs: number;
  rps: number;
  bytes: number;
  latency: LatencySummary;
  statuses: Record<string, number>;
  errors: Record<string, number>;
}

/** Runs the load and returns its totals. */
export async function generateLoad(o: LoadOptions): Promise<LoadResult> {
  const connections = o.connections ?? 64;
  const durationMs = o.requests === undefined ? (o.durationMs ?? 10_000) : (o.durationMs ?? Infinity);
  const requests = o.requests ?? Infinity;
  const intervalMs = o.intervalMs ?? 1000;
  const method = prepareMethod(o.method ?? 'GET');
  const headers = checkHeaders(o.headers ?? [], o.body ?? null);
  const config = transportConfigOf(normalizeSessionOptions({ poolMaxsize: connections, disableHttp1: o.http2 === true, disableHttp2: o.http2 !== true }));
  const engine = Engine.acquire(o.workers ?? Math.max(1, availableParallelism() - 1));
  const total = histogram();
  const tick = histogram();
  const sums = { requests: 0, bytes: 0, statuses: {} as Record<string, number>, errors: {} as Record<string, number> };
  let tickRequests = 0;
  let tickErrors = 0;
  const absorb = (report: LoadReport): void => {
    const h = hdr.decodeFromCompressedBase64(report.histogram, 32, false);
    total.add(h);
    tick.add(h);
    h.destroy();
    sums.requests += report.requests;
    sums.bytes += report.bytes;
    tickRequests += report.requests;
    for (const [k, v] of Object.entries(report.statuses)) sums.statuses[k] = (sums.statuses[k] ?? 0) + v;
    for (const [k, v] of Object.entries(report.errors)) {
      sums.errors[k] = (sums.errors[k] ?? 0) + v;
      tickErrors += v;
    }
  };
  try {
    await engine.whenLive();
    // Workers beyond the connections would have nothing to do.
    const shares = Math.max(1, Math.min(engine.size, connections));
    const split = (n: number, i: number): number => (Number.isFinite(n) ? Math.floor(n / shares) + (i < n % shares ? 1 : 0) : n);
    const ports: MessagePort[] = [];
    const tasks: Array<Promise<LoadReport>> = [];
    const started = performance.now();
    let lastTick = started;
    const ticker = setInterval(() => {
      const now = performance.now();
      o.onInterval?.({ elapsedMs: now - started, requests: tickRequests, rps: (tickRequests * 1000) / (now - lastTick), errors: tickErrors, latency: summary(tick) });
      lastTick = now;
      tick.reset();
      tickRequests = 0;
      tickErrors = 0;
    }, intervalMs);
    for (let i = 0; i < shares; i++) {
      const plan: LoadPlan = {
        url: o.url,
        method,
        headers,
        body: o.body ?? null,
        config,
        connections: split(connections, i),
        requests: split(requests, i),
        durationMs,
        rate: (o.rate ?? 0) / shares,
        timeoutMs: o.timeoutMs ?? 0,
        // Reported more often than shown, so each line has the whole of its second.
        intervalMs: intervalMs / 4,
      };
      const { port1, port2 } = new MessageChannel();
      port1.on('message', absorb);
      ports.push(port1);
      const task: LoadTask = { op: 'load', plan, port: port2 as unknown as LoadTask['port'] };
      tasks.push(engine.pool.run(task, [port2]) as Promise<LoadReport>);
    }
    let elapsed = 0;
    const stop = (): void => ports.forEach((p) => p.postMessage('stop'));
    o.signal?.addEventListener('abort', stop, { once: true });
    try {
      for (const last of await Promise.all(tasks)) {
        absorb(last);
        elapsed = Math.max(elapsed, last.elapsedMs);
      }
    } finally {
      o.signal?.removeEventListener('abort', stop);
      clearInterval(ticker);
      ports.forEach((p) => p.close());
    }
    return {
      requests: sums.requests,
      durationMs: Math.round(elapsed),
      rps: Math.round((sums.requests * 1000) / elapsed),
      bytes: sums.bytes,
      latency: summary(total),
      statuses: sums.statuses,
      errors: sums.errors,
    };
  } finally {
    total.destroy();
    tick.destroy();
    engine.release();
  }
}

/** Fields the generator frames itself: the request's length, and the connection it owns. */
const FRAMING = new Set(['transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te']);

/**
 * The headers as given, checked once here (the workers write them as they are): names and
 * values as RFC 9110 allows, no framing fields, and a Content-Length only if it is the body's.
 */
function checkHeaders(flat: readonly string[], body: Uint8Array | null): string[] {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
  new Headers(pairs);
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (FRAMING.has(lower)) throw new InvalidHeader(`Invalid header ${name}: the load generator sets how each request is framed; remove it`);
    if (lower === 'content-length' && value.trim() !== String(body?.length ?? 0)) {
      throw new InvalidHeader(`Invalid header Content-Length: ${JSON.stringify(value)}: the body is ${body?.length ?? 0} bytes`);
    }
  }
  return [...flat];
}

function histogram(): hdr.Histogram {
  return hdr.build({ ...LOAD_HISTOGRAM, useWebAssembly: false });
}

/** Percentiles of a histogram of microseconds, in ms to the microsecond. */
function summary(h: hdr.Histogram): LatencySummary {
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}
