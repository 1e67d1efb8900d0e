/**
 * Channel suite (tinybench): how fast frames move through a {@link Ring}, in one thread and
 * across threads, against `postMessage`, for 64 B and 64 KiB payloads.
 *
 * - single thread: a batch of frames written, then drained (no copy out);
 * - across threads: the main thread produces, a worker consumes, draining when its
 *   {@link Bell} rings (`Atomics.waitAsync`) and copying each payload into a Buffer of its
 *   own, as the engine does with response bodies; the producer waits for room when the ring
 *   is full. Each benchmark iteration sends a batch and waits until the consumer has it all;
 * - `postMessage` of 64 B Uint8Arrays (structured clone), and of 64 KiB ArrayBuffers,
 *   each freshly filled and transferred, to the same worker, with the same wait.
 *
 * This file is also the consumer worker's entry point (see the bottom).
 */
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Bench, type Task } from 'tinybench';
import { Bell } from '../src/channel/bell.js';
import { FrameType } from '../src/channel/frames.js';
import { Ring } from '../src/channel/ring.js';

export interface ChannelSuiteOptions {
  /** tinybench time budget per task, ms. */
  timeMs: number;
  warmupMs: number;
  log: (line: string) => void;
}

export const CHANNEL_DEFAULTS: ChannelSuiteOptions = { timeMs: 1500, warmupMs: 300, log: (line) => console.error(line) };

export interface ChannelRowResult {
  name: string;
  payload: number;
  framesPerSec: number;
  mibPerSec: number;
  rme: number;
  samples: number;
}

export interface ChannelSuiteResult {
  rows: ChannelRowResult[];
  verdict: string;
  markdown: string;
}

const SMALL = 64;
const LARGE = 64 * 1024;
const RING_BYTES = 4 << 20;
/** Counter cells shared with the consumer: frames consumed, the count to notify at. */
const CONSUMED = 0;
const TARGET = 1;

interface Consumer {
  ring: Ring;
  bell: Bell;
  counters: Int32Array;
  worker: Worker;
}

export async function runChannelSuite(partial: Partial<ChannelSuiteOptions> = {}): Promise<ChannelSuiteResult> {
  const opts: ChannelSuiteOptions = { ...CHANNEL_DEFAULTS, ...partial };
  const bench = new Bench({ time: opts.timeMs, warmupTime: opts.warmupMs, iterations: 5, warmupIterations: 2 });
  /** Frames each task moves per iteration, by task name. */
  const batch = new Map<string, [number, number]>();
  const add = (name: string, payload: number, frames: number, fn: () => void): void => {
    batch.set(name, [payload, frames]);
    bench.add(name, fn);
  };

  // ---- one thread ----
  const local = new Ring(Ring.create(RING_BYTES));
  let sink = 0;
  const count = (_t: number, _f: number, _s: number, _a: number, _b: Buffer, _start: number, length: number): void => {
    sink += length;
  };
  for (const [payload, frames] of [
    [SMALL, 1024],
    [LARGE, 16],
  ] as const) {
    const data = filled(payload);
    add(`Ring, one thread: write + drain, ${label(payload)}`, payload, frames, () => {
      for (let i = 0; i < frames; i++) if (!local.write(FrameType.RESPONSE_BODY, 0, i, 0, data)) throw new Error('ring full');
      local.drain(count);
    });
  }

  // ---- across threads ----
  const consumer = await startConsumer();
  try {
    for (const [payload, frames, ringEvery] of [
      [SMALL, 20_000, 64],
      [LARGE, 1_000, 1],
    ] as const) {
      const data = filled(payload);
      add(`Ring, main -> worker (Bell + waitAsync, copy out), ${label(payload)}`, payload, frames, () => {
        const target = expect(consumer, frames);
        const { ring, bell } = consumer;
        for (let i = 0; i < frames; i++) {
          while (!ring.write(FrameType.RESPONSE_BODY, 0, i, 0, data)) {
            bell.ring();
            const seen = ring.markBlocked(payload);
            if (seen !== null) {
              const [cells, index] = ring.headCell;
              Atomics.wait(cells, index, seen, 100);
            }
          }
          if (i % ringEvery === ringEvery - 1) bell.ring();
        }
        bell.ring();
        waitFor(consumer, target);
      });
    }
    const small = filled(SMALL);
    add(`postMessage, main -> worker: Uint8Array (cloned), ${label(SMALL)}`, SMALL, 20_000, () => {
      const target = expect(consumer, 20_000);
      for (let i = 0; i < 20_000; i++) consumer.worker.postMessage(small);
      waitFor(consumer, target);
    });
    const large = filled(LARGE);
    add(`postMessage, main -> worker: ArrayBuffer filled + transferred, ${label(LARGE)}`, LARGE, 1_000, () => {
      const target = expect(consumer, 1_000);
      for (let i = 0; i < 1_000; i++) {
        const ab = new ArrayBuffer(LARGE);
        new Uint8Array(ab).set(large);
        consumer.worker.postMessage(ab, [ab]);
      }
      waitFor(consumer, target);
    });

    for (const task of bench.tasks) {
      const t0 = performance.now();
      await task.run();
      opts.log(`channel: ${task.name}: ${summary(task, batch.get(task.name)![1])} (${Math.round(performance.now() - t0)} ms)`);
    }
  } finally {
    await consumer.worker.terminate();
  }
  if (sink < 0) console.log(sink); // keeps the drain visitor's work observable

  const rows: ChannelRowResult[] = bench.tasks.map((task) => {
    const [payload, frames] = batch.get(task.name)!;
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`channel bench ${task.name}: ${r.state === 'errored' ? r.error.message : r.state}`);
    const framesPerSec = (frames * 1000) / r.latency.mean;
    return { name: task.name, payload, framesPerSec, mibPerSec: (framesPerSec * payload) / 2 ** 20, rme: r.latency.rme, samples: r.latency.samplesCount };
  });
  const find = (prefix: string, payload: number): ChannelRowResult | undefined => rows.find((r) => r.name.startsWith(prefix) && r.payload === payload);
  const ringLarge = find('Ring, main -> worker', LARGE);
  const transfer = find('postMessage', LARGE);
  const ringSmall = find('Ring, main -> worker', SMALL);
  const msgSmall = find('postMessage', SMALL);
  const verdict = [
    ringLarge && transfer
      ? `64 KiB across threads: ${ringLarge.framesPerSec > transfer.framesPerSec ? 'the ring is faster' : 'a transferred ArrayBuffer is faster'} here (ring ${fmt(ringLarge.framesPerSec)}/s vs transfer ${fmt(transfer.framesPerSec)}/s, ${(ringLarge.framesPerSec / transfer.framesPerSec).toFixed(2)}x).`
      : '',
    ringSmall && msgSmall
      ? `64 B across threads: ring ${fmt(ringSmall.framesPerSec)}/s vs postMessage ${fmt(msgSmall.framesPerSec)}/s (${(ringSmall.framesPerSec / msgSmall.framesPerSec).toFixed(2)}x).`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  const result: ChannelSuiteResult = { rows, verdict, markdown: '' };
  result.markdown = channelMarkdown(result, opts);
  return result;
}

// ---- the consumer side, seen from main ---------------------------------------------------

async function startConsumer(): Promise<Consumer> {
  const ringSab = Ring.create(RING_BYTES);
  const bellSab = Bell.create();
  const counterSab = new SharedArrayBuffer(64);
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'channel-consumer', ringSab, bellSab, counterSab } });
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  worker.on('error', (err) => console.error('channel consumer failed:', err));
  return { ring: new Ring(ringSab), bell: new Bell(bellSab), counters: new Int32Array(counterSab), worker };
}

/** Arms the consumer to notify once `frames` more have arrived; returns the count to wait for. */
function expect(c: Consumer, frames: number): number {
  const target = Atomics.load(c.counters, CONSUMED) + frames;
  Atomics.store(c.counters, TARGET, target);
  return target;
}

function waitFor(c: Consumer, target: number): void {
  const started = performance.now();
  for (;;) {
    const n = Atomics.load(c.counters, CONSUMED);
    if (n >= target) return;
    Atomics.wait(c.counters, CONSUMED, n, 50);
    if (performance.now() - started > 30_000) throw new Error(`channel consumer stalled at ${n}/${target}`);
  }
}

// ---- report ---------------------------------------------------------------------------

function channelMarkdown(r: ChannelSuiteResult, opts: ChannelSuiteOptions): string {
  const lines = [
    '### Channel: frames through a SharedArrayBuffer ring vs postMessage',
    '',
    `tinybench, ${opts.timeMs} ms a task after ${opts.warmupMs} ms of warm-up; each iteration moves a batch of frames, and across threads it ends when the consumer has them all. Ring: ${RING_BYTES >> 20} MiB.`,
    '',
    '| case | payload | frames/s | MiB/s | +/- (rme) | samples |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of r.rows) {
    lines.push(`| ${row.name.replace(/, (64 B|64 KiB)$/, '')} | ${label(row.payload)} | ${fmt(row.framesPerSec)} | ${fmt(row.mibPerSec)} | ${row.rme.toFixed(1)}% | ${row.samples} |`);
  }
  if (r.verdict) lines.push('', r.verdict);
  return lines.join('\n');
}

function summary(task: Task, frames: number): string {
  const r = task.result;
  if (r.state !== 'completed') return r.state === 'errored' ? `error: ${r.error.message}` : r.state;
  return `${fmt((frames * 1000) / r.latency.mean)} frames/s, ${r.latency.samplesCount} samples`;
}

function filled(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

function label(payload: number): string {
  return payload >= 1024 ? `${payload / 1024} KiB` : `${payload} B`;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

// ---- the consumer worker ----------------------------------------------------------------

interface ConsumerData {
  role: 'channel-consumer';
  ringSab: SharedArrayBuffer;
  bellSab: SharedArrayBuffer;
  counterSab: SharedArrayBuffer;
}

function runConsumer(data: ConsumerData): void {
  const ring = new Ring(data.ringSab);
  const bell = new Bell(data.bellSab);
  const counters = new Int32Array(data.counterSab);
  // A pending waitAsync does not keep a worker alive; this does, until terminate().
  setInterval(() => {}, 1 << 30);
  let kept = 0;
  const arrived = (n: number): void => {
    const total = Atomics.add(counters, CONSUMED, n) + n;
    if (total >= Atomics.load(counters, TARGET)) Atomics.notify(counters, CONSUMED);
  };
  const copyOut = (_t: number, _f: number, _s: number, _a: number, bytes: Buffer, start: number, length: number): void => {
    const own = Buffer.allocUnsafe(length);
    bytes.copy(own, 0, start, start + length);
    kept += own.length;
  };
  parentPort!.on('message', (m: Uint8Array | ArrayBuffer) => {
    kept += m.byteLength;
    arrived(1);
  });
  void (async () => {
    for (;;) {
      const seen = bell.sample();
      const n = ring.drain(copyOut);
      if (n > 0) {
        arrived(n);
        continue;
      }
      await bell.waitAsync(seen);
    }
  })();
  parentPort!.postMessage('ready');
}

if (!isMainThread && (workerData as ConsumerData | null)?.role === 'channel-consumer') runConsumer(workerData as ConsumerData);
