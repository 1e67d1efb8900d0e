/**
 * The engine: a pool of transport workers and the main thread's end of their channels.
 *
 * A small pool of threads (worker-pool.ts) starts and replaces the workers; each claims a slot of shared rings
 * (channel/slots.ts) and from then on every request and response crosses as frames, never
 * as messages. Engines are shared by every session that asks for the same number of
 * workers, and each session keeps its own pools inside them.
 *
 * Waiting comes in two forms over the same state:
 * - sync: {@link Engine.waitUntil} blocks in `Atomics.wait` on the main bell and reads the
 *   rings itself; it never needs the event loop (rule 1 of docs/architecture.md);
 * - async: a pump awaits `Atomics.waitAsync` on the same bell while anything is in flight.
 * A ref'd timer holds the process open only while requests are in flight (rule 5).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { CredentialsInit } from '../session/options.js';
import { BinaryReader, BinaryWriter } from '../channel/binary.js';
import {
  BODY_NONE,
  BODY_UNKNOWN,
  FrameFlag,
  FrameType,
  MessageFlag,
  RequestFlag,
  decodeError,
  decodeResponseHeadFixed,
  encodeRequestHead,
} from '../channel/frames.js';
import { SlotState, SlotTable, type SlotDescription, type SlotTableInit } from '../channel/slots.js';
import { IdTable } from '../channel/id-table.js';
import { ConnectionError, InvalidOption, SessionClosedError, errorFromCode, type RequestException } from '../errors.js';
import type { PreparedRequest, StreamedBody } from '../request/prepared-request.js';
import type { ExtensionKind } from '../request/prepare.js';
import { mayNegotiateHttp2 } from '../channel/protocols.js';
import type { PoolStats, TransportSessionConfig } from '../channel/session-config.js';
import { UPLOAD_WINDOW } from '../channel/windows.js';
import { Exchange, type ReceivedHead } from './exchange.js';
import { AFFINITY, Homes } from './homes.js';
import { transportWorkerFile } from './worker-file.js';
import { WorkerPool } from './worker-pool.js';

const TO_WORKER_BYTES = 1 << 20;
const TO_MAIN_BYTES = 4 << 20;
/** Bodies up to this size travel inside the REQUEST frame itself. */
const INLINE_BODY_LIMIT = 64 * 1024;
/** Connection descriptions kept for `connInfo`. */
const MAX_CONNECTIONS = 4096;
/** How long a blocked caller sleeps between checks for a silent (hard-killed) worker. */
const SYNC_SLICE_MS = 250;
/**
 * Spinning before sleeping (see {@link Engine.waitUntil}): only while this few requests are
 * in flight (a busy engine gets frames without sleeping anyway, and a spinning main thread
 * would take a core from the workers), and only while replies have been coming within the
 * spin. A blocked sync caller has nothing else to do, so it spins longer; an async one holds
 * its event loop while it spins, so it spins less.
 */
const SPIN_MAX_IN_FLIGHT = 2;
/**
 * A sync wait that began with more than this in flight (a big `gather`) never spins, even
 * once it is down to its last requests: the spin would cost each batch up to a reply's time
 * of CPU, which a few requests repay in latency and many do not.
 */
const SPIN_MAX_BATCH = 8;
const SYNC_SPIN_US = 1000;
const ASYNC_SPIN_US = 250;
/** The longest the async pump reads frames without letting the event loop take a turn. */
const PUMP_SLICE_MS = 2;
/**
 * In flight past this, one worker has more than its share and the others are started:
 * an HTTP/1.1 origin spills off its home worker past {@link AFFINITY} (homes.ts).
 */
const GROW_IN_FLIGHT = AFFINITY;
/** How long a sync caller waits for a live worker before giving up. */
const WORKER_START_LIMIT_MS = 10_000;
/** How long a worker gets to handle SHUTDOWN before it is stopped anyway. */
const WORKER_STOP_LIMIT_MS = 2000;

/** What a request needs from its session to cross the channel. */
export interface SendOptions {
  sessionId: number;
  connectTimeout: number;
  readTimeout: number;
  totalTimeout: number;
  /** The consumer streams the body (a window applies). */
  windowed: boolean;
  /** The most the response body may be, received and decoded (Infinity: no limit). */
  maxBodySize: number;
  /** A redirect response will be followed, a 401 answered: their bodies are only drained. */
  followsRedirects: boolean;
  answersChallenge: boolean;
  /** The caller will block: uploads are pumped synchronously. */
  sync: boolean;
  /** JSON of the request's TlsConfig when it is not the session's; '' otherwise. */
  tls: string;
  /** The proxy to go through, or ''. */
  proxy: string;
  /** Whether the browser's cookies go with the request (browser carrier only; the engine has a jar instead). */
  credentials: CredentialsInit;
  /** What the response becomes if the server agrees (a WebSocket, an event stream), or null. */
  extension: ExtensionKind | null;
  /** The processor to run on the final body in the worker (`specifier#export`), or ''. */
  processor: string;
  processorTimeout: number;
  /** The largest WebSocket message taken (Infinity: no limit). */
  maxPayload: number;
}

/** A snapshot of the engine's state: see {@link Engine.diagnostics}. */
export interface EngineDiagnostics {
  /** Sessions open on this engine. */
  sessions: number;
  inFlight: Array<{ id: number; slot: number; request: string; head: number | null; receivedBytes: number; unreadChunks: number; windowed: boolean; idleMs: number }>;
  /** Per slot; `stopped`: the main thread saw its worker stop, the slot is not yet freed. */
  workers: Array<Omit<SlotDescription, 'state'> & { state: SlotDescription['state'] | 'stopped' }>;
}

const engines = new Map<number, Engine>();
/** Engines whose workers have not been terminated yet. */
const running = new Set<Engine>();
let nextSessionId = 1;
let blockedMs = 0;

/** {@link Engine.diagnostics} of every engine this thread runs, keyed by worker count. */
export function engineDiagnostics(): Record<number, EngineDiagnostics> {
  return Object.fromEntries([...engines].map(([size, engine]) => [size, engine.diagnostics()]));
}

/**
 * The shared slot tables of every engine this thread runs, keyed by worker count. Another
 * thread can wrap one in a SlotTable and describe the workers while this thread is blocked
 * in a sync call (the fault suite's watchdog for sync scenarios does).
 */
export function engineTables(): Record<number, SlotTableInit> {
  return Object.fromEntries([...engines].map(([size, engine]) => [size, engine.table.init]));
}

/**
 * Total time this thread has spent blocked in `Atomics.wait` for responses, in ms. The
 * benchmarks subtract it from wall time to get the main thread's busy time under the sync
 * API, where the event-loop utilisation would count blocking as busy.
 */
export function mainThreadBlockedMs(): number {
  return blockedMs;
}

export class Engine {
  readonly size: number;
  readonly pool: WorkerPool;
  readonly table: SlotTable;
  readonly #exchanges = new IdTable<Exchange>();
  readonly #sessions = new Map<number, TransportSessionConfig>();
  readonly #homes: Homes;
  /** A slot whose worker can take frames: attached, and not seen stopped. */
  readonly #alive = (slot: number): boolean => this.table.state(slot) === SlotState.ALIVE && !this.#stoppedSlots.has(slot);
  /** Which sessions each slot has been told about. */
  readonly #opened: Array<Set<number>>;
  readonly #deathReasons: Array<string | null>;
  /** Slots written to since their bell last rang (a flag per slot, not a Set: see channel/id-table.ts). */
  readonly #dirtySlots: Uint8Array;
  /** Slots whose worker was seen stopped before its `exit` event came (see #failStoppedWorkers). */
  readonly #stoppedSlots = new Set<number>();
  readonly #writer = new BinaryWriter(16 * 1024);
  readonly #reader = new BinaryReader(Buffer.alloc(0));
  readonly #keepAlive: NodeJS.Timeout;
  #checkedAt = 0;
  #users = 0;
  #drainingSlot = 0;
  #drainedAt = 0;
  #statsReplies: { asked: Set<number>; replies: PoolStats[] } | null = null;
  /** ConnectionInfo JSON by {@link connectionKey}, the most recent MAX_CONNECTIONS. */
  readonly #connections = new Map<number, string>();
  #seq = 0;
  #nextStream = 1;
  #roundRobin = 0;
  #pumpRunning = false;
  #bellScheduled = false;
  #destroyed = false;
  /** Load has asked for every worker (see {@link startWorkers}); a dead one is replaced. */
  #grown = false;
  /** The workers (by thread id) sent SHUTDOWN. */
  readonly #told = new Set<number>();
  /** Moving average of how long a wait for frames lasted, in us: replies due soon are spun for. */
  #replyUs = 0;
  /** Frames applied to exchanges so far: the pump tells whether a drain brought anything. */
  #applied = 0;

  static {
    // Node stops the threads still running once the process's exit handlers have run: the
    // workers are told to shut down first, and waited for (see #stopBeforeExit).
    process.on('exit', () => {
      for (const engine of running) engine.#stopBeforeExit();
    });
  }

  /** The shared engine with `size` workers, started on first use. */
  static acquire(size?: number): Engine {
    const n = size ?? Math.max(1, availableParallelism());
    let engine = engines.get(n);
    if (!engine || engine.#destroyed) {
      engine = new Engine(n);
      engines.set(n, engine);
    }
    engine.#users++;
    return engine;
  }

  private constructor(size: number) {
    this.size = size;
    this.table = SlotTable.allocate(size * 2, TO_WORKER_BYTES, TO_MAIN_BYTES);
    this.#homes = new Homes(size * 2);
    this.#opened = this.table.slots.map(() => new Set());
    this.#dirtySlots = new Uint8Array(this.table.slots.length);
    this.#deathReasons = this.table.slots.map(() => null);
    // One worker starts now, the others when load asks for them (startWorkers): a script
    // making one request at a time never pays for loading the transport into more threads,
    // and its first request does not share the cores with their start-up.
    this.pool = new WorkerPool({ file: transportWorkerFile(), workerData: this.table.init, maxThreads: size, onExit: (tid, code) => this.#workerExited(tid, code) });
    this.#keepAlive = setInterval(() => {}, 1 << 30);
    this.#keepAlive.unref();
    running.add(this);
  }

  /** Registers a session's transport settings; returns its id. */
  openSession(config: TransportSessionConfig): number {
    this.#assertOpen();
    const id = nextSessionId++;
    this.#sessions.set(id, config);
    return id;
  }

  /** Fails the session's requests in flight and closes its pools in every worker. */
  closeSession(id: number): void {
    if (!this.#sessions.delete(id)) return;
    this.#homes.forgetSession(id);
    for (const ex of this.#exchanges.values()) {
      if (ex.sessionId === id) this.#fail(ex, new SessionClosedError('The session was closed with this request in flight', { request: ex.request }), true);
    }
    for (const slot of this.table.slots) {
      if (this.#opened[slot.index]!.delete(id)) this.#sendControl(slot.index, FrameType.SESSION_CLOSE, 0, id);
    }
    this.#ringBells();
  }

  /** Drops one user; the last one shuts the workers down. */
  release(): void {
    if (--this.#users > 0 || this.#destroyed) return;
    this.#destroyed = true;
    if (engines.get(this.size) === this) engines.delete(this.size);
    clearInterval(this.#keepAlive);
    // Hosts leave their Atomics.waitAsync loops first: ending a thread with a wait pending
    // is what the workers should not be put through. And a worker is stopped only once it
    // has handled SHUTDOWN: until then a QUIC socket of it may be receiving, and on Node 20
    // stopping a thread then can abort the process (stopReceiving in quic-loader.ts).
    this.#shutDownWorkers();
    // A worker still loading its module is not terminated: stopping a thread in the middle of
    // loading an ES module has taken whole processes down ("FATAL ERROR: v8::Module::IsGraphAsync
    // must be used on an instantiated module", seen when the module was loaded through
    // require()). The pool goes once every worker has attached (its module is loaded) or
    // stopped; while one is loading, the timer holds the process open, since exiting would
    // stop it too.
    const released = performance.now();
    const destroy = (): void => {
      this.#shutDownWorkers(); // those that attached since
      const waited = performance.now() - released;
      if ((this.#workersLoading() && waited < WORKER_START_LIMIT_MS) || (this.#workersStopping() && waited < WORKER_STOP_LIMIT_MS)) {
        setTimeout(destroy, 20);
        return;
      }
      running.delete(this);
      void this.pool.destroy().catch(() => {});
    };
    const first = setTimeout(destroy, 50);
    if (!this.#workersLoading()) first.unref();
  }

  /**
   * Starts the workers not yet running, up to {@link size}, and keeps that many from now on;
   * returns at once (each claims a slot as it comes up, which a blocked caller sees in
   * shared memory).
   */
  startWorkers(): void {
    this.#grown = true;
    if (!this.#destroyed) this.pool.grow();
  }

  /** Whether some worker of the pool has neither attached to a slot nor stopped. */
  #workersLoading(): boolean {
    const attached = new Set(this.table.slots.filter((slot) => this.table.state(slot.index) !== SlotState.FREE).map((slot) => this.table.threadId(slot.index)));
    return this.pool.threads.some((worker) => !attached.has(worker.threadId) && !hasStopped(worker));
  }

  /** Sends SHUTDOWN to each live worker not sent one yet. */
  #shutDownWorkers(): void {
    for (const slot of this.table.slots) {
      const thread = this.table.threadId(slot.index);
      if (!this.#alive(slot.index) || this.#told.has(thread)) continue;
      this.#told.add(thread);
      this.#sendControl(slot.index, FrameType.SHUTDOWN, 0, 0);
    }
    this.#ringBells();
  }

  /** Whether some worker sent SHUTDOWN has neither handled it (SlotState.SHUT) nor stopped. */
  #workersStopping(): boolean {
    return this.table.slots.some((slot) => this.#alive(slot.index) && !this.#stopped(slot.index));
  }

  /** Blocks until every worker has handled SHUTDOWN, or {@link WORKER_STOP_LIMIT_MS}. */
  #stopBeforeExit(): void {
    const bell = this.table.mainBell;
    const until = performance.now() + WORKER_STOP_LIMIT_MS;
    for (;;) {
      const seen = bell.sample();
      this.#shutDownWorkers();
      if (!this.#workersStopping() || performance.now() >= until) return;
      bell.wait(seen, until - performance.now());
    }
  }

  /** Whether some worker has attached and can take requests now. */
  get hasLiveWorker(): boolean {
    for (const slot of this.table.slots) if (this.#alive(slot.index)) return true;
    return false;
  }

  /**
   * Waits, without blocking the event loop, until a worker can take requests: while the
   * pool starts, or while the pool replaces a dead worker (which needs this loop to turn).
   */
  async whenLive(): Promise<void> {
    const started = performance.now();
    while (!this.hasLiveWorker) {
      this.#assertOpen();
      if (performance.now() - started > WORKER_START_LIMIT_MS) throw new ConnectionError(`No transport worker became ready within ${WORKER_START_LIMIT_MS} ms`);
      const seen = this.table.mainBell.sample();
      this.drain();
      if (this.hasLiveWorker) return;
      await Promise.race([this.table.mainBell.waitAsync(seen), new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /**
   * The session's pools in every worker: origin, open connections, requests running and
   * queued. Blocks briefly (each live worker answers from its own loop).
   */
  poolStats(sessionId: number): PoolStats[] {
    const asked = new Set<number>();
    for (const slot of this.table.slots) {
      if (!this.#alive(slot.index) || !this.#opened[slot.index]!.has(sessionId)) continue;
      const id = this.#newStreamId();
      asked.add(id);
      this.#sendControl(slot.index, FrameType.STATS, id, sessionId);
    }
    const replies: PoolStats[] = [];
    this.#statsReplies = { asked, replies };
    const deadline = performance.now() + 1000;
    this.waitUntil(() => asked.size === 0 || performance.now() > deadline, () => deadline);
    this.#statsReplies = null;
    return replies;
  }

  /**
   * What the engine holds right now, for a watchdog to print when something hangs: every
   * request in flight (its worker, how far it got, how long since its last frame) and, per
   * worker, what each ring and its outbox hold. Reads shared memory only, so it works
   * whatever the workers' loops are doing.
   */
  diagnostics(): EngineDiagnostics {
    const now = performance.now();
    return {
      sessions: this.#sessions.size,
      inFlight: this.#exchanges.values().map((ex) => ({
        id: ex.id,
        slot: ex.slot,
        request: `${ex.request.method} ${ex.request.url}`,
        head: ex.head?.status ?? null,
        receivedBytes: ex.receivedBytes,
        unreadChunks: ex.chunks.length,
        windowed: ex.windowed,
        idleMs: Math.round(now - ex.lastActivity),
      })),
      workers: this.table.describe().map((w) => (this.#stoppedSlots.has(w.slot) ? { ...w, state: 'stopped' } : w)),
    };
  }

  /** Number of requests in flight on this engine. */
  get inFlight(): number {
    return this.#exchanges.size;
  }

  // ---- sending -------------------------------------------------------------------------

  send(request: PreparedRequest, opts: SendOptions): Exchange {
    this.#assertOpen();
    const config = this.#sessions.get(opts.sessionId);
    const mayBeH2 = config !== undefined && mayNegotiateHttp2(request.url, config.http1, config.http2);
    const home = this.#homes.homeOf(opts.sessionId, request.url, mayBeH2, this.#alive, opts.sync ? this.#pickForSync : this.#pickForAsync);
    const slot = home.pick(this.#alive);
    if (!this.#opened[slot]!.has(opts.sessionId)) {
      if (!config) throw new SessionClosedError('The session is closed', { request });
      const json = Buffer.from(JSON.stringify(config));
      this.#assertFits(slot, json.length, 'The session\'s settings (TLS options included)', request);
      this.#sendControl(slot, FrameType.SESSION_OPEN, 0, opts.sessionId, json);
      this.#opened[slot]!.add(opts.sessionId);
    }
    const id = this.#newStreamId();
    const stallLimit = opts.readTimeout > 0 ? opts.connectTimeout + opts.readTimeout + 5_000 : 0;
    const ex = new Exchange(id, slot, opts.sessionId, request, opts.windowed, stallLimit, UPLOAD_WINDOW);
    ex.home = home;
    ex.extension = opts.extension;
    ex.readTimeout = opts.readTimeout;
    const body = request.body;
    ex.bodyLength = body === null ? 0 : body instanceof Uint8Array ? body.length : body.length;
    const inline = body instanceof Uint8Array && body.length <= INLINE_BODY_LIMIT;
    const bodyLength = body === null ? BODY_NONE : (ex.bodyLength ?? BODY_UNKNOWN);
    const w = this.#writer.reset();
    encodeRequestHead(w, {
      connectTimeout: opts.connectTimeout,
      readTimeout: opts.readTimeout,
      totalTimeout: opts.totalTimeout,
      bodyLength,
      maxBodySize: opts.maxBodySize,
      flags:
        (opts.windowed ? RequestFlag.WINDOWED : 0) |
        (inline ? RequestFlag.INLINE_BODY : 0) |
        (opts.followsRedirects ? RequestFlag.FOLLOWS_REDIRECTS : 0) |
        (opts.answersChallenge ? RequestFlag.ANSWERS_CHALLENGE : 0) |
        (opts.extension !== null ? RequestFlag.LONG_LIVED : 0),
      method: request.method,
      url: request.url,
      headers: request.headers.fields(),
      tls: opts.tls,
      proxy: opts.proxy,
      processor: opts.processor,
      processorTimeout: opts.processorTimeout,
      maxPayload: opts.maxPayload,
    });
    if (inline) w.raw(body);
    this.#assertFits(slot, w.pos, `The request's head (URL, headers and TLS options)`, request);
    this.#exchanges.set(id, ex);
    home.took(slot);
    if (this.#exchanges.size === 1) this.#keepAlive.ref();
    if (this.#exchanges.size > GROW_IN_FLIGHT && !this.#grown) this.startWorkers();
    this.#sendFrame(slot, FrameType.REQUEST, 0, id, opts.sessionId, w.buf, 0, w.pos);

    if (body !== null && !inline) {
      if (opts.sync) this.#uploadSync(ex, body as Uint8Array);
      else void this.#uploadAsync(ex, body);
    }
    // The only request in flight goes out at once; with more, one bell per turn of the loop.
    if (opts.sync || this.#exchanges.size === 1) this.#ringBells();
    else this.#scheduleBells();
    if (!opts.sync) this.#runPump();
    return ex;
  }

  /** Stops an exchange the caller no longer wants; any later frames for it are dropped. */
  cancel(ex: Exchange, reason?: RequestException): void {
    if (this.#exchanges.get(ex.id) === undefined) return;
    this.#fail(ex, reason ?? new ConnectionError('Request cancelled', { request: ex.request }), true);
    this.#ringBells();
  }

  /** Tells the worker a windowed consumer has taken `bytes`. */
  credit(ex: Exchange, bytes: number, flags = 0): void {
    if (this.#exchanges.get(ex.id) === undefined || bytes <= 0) return;
    this.#sendFrame(ex.slot, FrameType.CREDIT, flags, ex.id, bytes, undefined, 0, 0);
    this.#scheduleBells();
  }

  /**
   * Sends a WebSocket message in pieces of at most a frame, each as the worker has room for
   * it (the upload window): a server that does not read pauses the sender. Blocks for a sync
   * caller, awaits otherwise; false if the exchange ended first.
   */
  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: true): boolean;
  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: false): Promise<boolean>;
  sendMessage(ex: Exchange, data: Uint8Array, binary: boolean, sync: boolean): boolean | Promise<boolean> {
    const max = this.table.slots[ex.slot]!.toWorker.maxPayload;
    const kind = binary ? MessageFlag.BINARY : 0;
    const piece = (at: number): number => {
      const n = Math.min(max, data.length - at, ex.uploadCredit);
      const last = at + n === data.length;
      this.#sendFrame(ex.slot, FrameType.WS_SEND, kind | (last ? MessageFlag.FIN : 0), ex.id, 0, data, at, at + n);
      ex.uploadCredit -= n;
      return at + n;
    };
    // An empty message is one empty piece; a window that is shut waits before any piece.
    const canSend = (): boolean => ex.uploadCredit > 0 || ex.done;
    if (sync) {
      let at = 0;
      do {
        if (!canSend()) this.waitUntil(canSend);
        if (ex.done) return false;
        at = piece(at);
      } while (at < data.length);
      this.#ringBells();
      return true;
    }
    return (async () => {
      let at = 0;
      do {
        while (!canSend()) await ex.changed();
        if (ex.done) return false;
        at = piece(at);
        this.#scheduleBells();
      } while (at < data.length);
      return true;
    })();
  }

  /** Sends a WebSocket control frame (WS_PING, WS_CLOSE) to the exchange's worker. */
  control(ex: Exchange, type: number, aux: number, payload: Uint8Array | undefined): void {
    if (this.#exchanges.get(ex.id) === undefined) return;
    this.#sendFrame(ex.slot, type, 0, ex.id, aux, payload, 0, payload?.length ?? 0);
    this.#ringBells();
  }

  // ---- waiting ---------------------------------------------------------------------------

  /**
   * Blocks the calling thread, reading the rings, until `done()` is true. Never touches
   * the event loop. Exchanges whose worker went silent past their stall limit are failed.
   * `wakeAt` (performance.now clock) makes it look again by then even if no frame came.
   */
  waitUntil(done: () => boolean, wakeAt?: () => number): void {
    this.#ringBells();
    const bell = this.table.mainBell;
    // A gather of many that is down to its last ones would spin for those at the end of
    // every batch (measured: an eighth of the main thread's time under a gather of 64),
    // where one wake-up a batch costs little.
    const spinUs = this.#exchanges.size <= SPIN_MAX_BATCH ? SYNC_SPIN_US : 0;
    for (;;) {
      const seen = bell.sample();
      this.drain();
      if (done()) return;
      this.#ringBells();
      const t0 = performance.now();
      if (!bell.spin(seen, this.#spinBudget(spinUs))) {
        const slice = wakeAt ? Math.max(0, Math.min(SYNC_SLICE_MS, wakeAt() - t0)) : SYNC_SLICE_MS;
        bell.wait(seen, slice);
        blockedMs += performance.now() - t0;
      }
      const t1 = performance.now();
      this.#noteWait(t1 - t0);
      // Busy bells from other workers must not postpone noticing a dead one.
      if (t1 - this.#checkedAt >= SYNC_SLICE_MS) {
        this.#checkedAt = t1;
        this.#failStoppedWorkers();
        this.#failStalled();
      }
    }
  }

  /**
   * How long to spin before sleeping: a sleeping thread takes ~40 us to wake here, more
   * than a small request's whole work. Spinning pays only when a reply is due within the
   * spin, so only with few requests in flight and while recent replies came that fast.
   */
  #spinBudget(spinUs: number): number {
    return this.#exchanges.size <= SPIN_MAX_IN_FLIGHT && this.#replyUs < spinUs ? spinUs : 0;
  }

  /** Folds a wait of `ms` into the moving average of reply times. */
  #noteWait(ms: number): void {
    this.#replyUs += (ms * 1000 - this.#replyUs) / 8;
  }

  /** Reads every frame waiting in every ring and applies it. */
  drain(): void {
    // One clock reading for every frame of this pass, not one per frame.
    this.#drainedAt = performance.now();
    for (const slot of this.table.slots) {
      const state = this.table.state(slot.index);
      if (state === SlotState.FREE) continue;
      this.#drainingSlot = slot.index;
      slot.toMain.drain(this.#onFrame);
      if (state === SlotState.DEAD) this.#buryWorker(slot.index);
    }
  }

  #runPump(): void {
    if (this.#pumpRunning) return;
    this.#pumpRunning = true;
    // Started after this turn's callers have run, not inside the send that starts it: when a
    // drain completed every request at once, their callers send the next ones one after the
    // other, and a pump started by the first of them would spin for its answer while holding
    // all the others back (a sixth of the main thread's time with 64 in flight).
    setImmediate(this.#startPump);
  }

  readonly #startPump = (): void => void this.#pump();

  async #pump(): Promise<void> {
    const bell = this.table.mainBell;
    // When the event loop last had a turn: frames that keep coming (a spin that always
    // catches the next ring, a count that has always moved) must not hold it for good.
    let yielded = performance.now();
    try {
      while (this.#exchanges.size > 0 && !this.#destroyed) {
        const seen = bell.sample();
        const applied = this.#applied;
        this.drain();
        if (this.#exchanges.size === 0) break;
        const t0 = performance.now();
        if (t0 - yielded > PUMP_SLICE_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          yielded = performance.now();
          continue;
        }
        // With a reply due soon, a short spin beats the thread hop of a waitAsync wake-up; but
        // not after a drain that brought frames: the callers of what it completed run only once
        // this function awaits, and they are about to send more (the count of requests in flight
        // that allowed the spin is stale until they have).
        const budget = this.#applied === applied ? this.#spinBudget(ASYNC_SPIN_US) : 0;
        if (!bell.spin(seen, budget) && (await bell.waitAsync(seen))) yielded = performance.now();
        this.#noteWait(performance.now() - t0);
      }
    } finally {
      this.#pumpRunning = false;
    }
  }

  readonly #onFrame = (type: number, flags: number, stream: number, aux: number, bytes: Buffer, start: number, length: number): void => {
    if (type === FrameType.WORKER_EXIT) {
      // The slot is marked dead right after; remember why for the requests it takes down.
      this.#deathReasons[this.#drainingSlot] = bytes.toString('utf8', start, start + length);
      return;
    }
    if (type === FrameType.CONNECTION) {
      // Kept while recent: a response names its connection only by id.
      if (this.#connections.size >= MAX_CONNECTIONS) this.#connections.delete(this.#connections.keys().next().value!);
      this.#connections.set(connectionKey(this.#drainingSlot, stream), bytes.toString('utf8', start, start + length));
      return;
    }
    if (type === FrameType.POOL_STATS) {
      const pending = this.#statsReplies;
      if (pending?.asked.delete(stream)) pending.replies.push(...(JSON.parse(bytes.toString('utf8', start, start + length)) as PoolStats[]));
      return;
    }
    const ex = this.#exchanges.get(stream);
    if (!ex) return; // cancelled or failed already
    switch (type) {
      case FrameType.RESPONSE_HEAD:
      case FrameType.RESPONSE_INFO: {
        const fixed = decodeResponseHeadFixed(this.#reader.at(bytes, start, start + length));
        // Copied: the ring's room is reused (allocUnsafe and copy: no view made to copy from).
        const headerBlock = Buffer.allocUnsafe(start + length - this.#reader.pos);
        bytes.copy(headerBlock, 0, this.#reader.pos, start + length);
        const head: ReceivedHead = {
          status: fixed.status,
          httpVersion: fixed.httpVersion,
          statusText: fixed.statusText,
          headerBlock,
          flags,
          requestSent: fixed.requestSent,
          firstByte: fixed.firstByte,
          bodyLength: fixed.bodyLength,
          connection: aux === 0 ? null : (this.#connections.get(connectionKey(this.#drainingSlot, aux)) ?? null),
        };
        if (type === FrameType.RESPONSE_INFO) {
          ex.informational.push(head);
          this.#emit(ex, 'informational', 0);
        } else {
          ex.head = head;
          ex.headAt = this.#drainedAt;
          ex.headSeq = ++this.#seq;
          ex.home?.settle(head.httpVersion);
          // A WebSocket or an event stream may stay quiet for good: silence is not a dead worker.
          if (ex.extension !== null) ex.stallLimit = 0;
          // A response means the whole body was sent (or is no longer wanted).
          if (ex.bodyLength === null || ex.uploaded < ex.bodyLength) {
            if (ex.bodyLength !== null) ex.uploaded = ex.bodyLength;
            this.#emit(ex, 'upload', ex.uploaded);
          }
        }
        break;
      }
      case FrameType.RESPONSE_BODY:
        ex.receive(bytes, start, length);
        this.#emit(ex, 'download', ex.receivedBytes);
        break;
      case FrameType.RESPONSE_END:
        ex.end(length > 0 ? Buffer.from(bytes.subarray(start, start + length)) : null);
        this.#finish(ex);
        this.#emit(ex, 'download', ex.receivedBytes);
        break;
      case FrameType.RESPONSE_ERROR: {
        const { code, message } = decodeError(this.#reader.at(bytes, start, start + length));
        ex.error = errorFromCode(code, message, { request: ex.request });
        this.#finish(ex);
        break;
      }
      case FrameType.WS_MESSAGE:
        ex.receivePiece(bytes, start, length, flags);
        break;
      case FrameType.WS_CLOSED:
        ex.closeCode = aux;
        ex.closeReason = bytes.toString('utf8', start, start + length);
        ex.end(null);
        this.#finish(ex);
        break;
      case FrameType.APP_ERROR: {
        const thrown = JSON.parse(bytes.toString('utf8', start, start + length)) as { name: string; message: string; stack: string };
        ex.appError = Object.assign(new Error(thrown.message), thrown);
        break;
      }
      case FrameType.UPLOAD_CREDIT:
        ex.uploadCredit += aux;
        ex.uploaded += aux;
        this.#emit(ex, 'upload', ex.uploaded);
        break;
    }
    this.#applied++;
    ex.notify(this.#drainedAt);
  };

  /** Tells a progress listener; a listener that throws fails its request with that error. */
  #emit(ex: Exchange, event: 'upload' | 'download' | 'informational', bytes: number): void {
    if (ex.onEvent === null) return;
    try {
      ex.onEvent(event, bytes);
    } catch (err) {
      if (!ex.done) this.#fail(ex, err as RequestException, true);
      else ex.error ??= err as RequestException;
    }
  }

  #finish(ex: Exchange): void {
    ex.home?.released(ex.slot);
    ex.doneSeq = ++this.#seq;
    if (ex.headSeq === 0) ex.headSeq = ex.doneSeq;
    this.#exchanges.delete(ex.id);
    if (this.#exchanges.size === 0) this.#keepAlive.unref();
  }

  #fail(ex: Exchange, error: RequestException, tellWorker: boolean): void {
    if (tellWorker && this.#alive(ex.slot)) this.#sendControl(ex.slot, FrameType.CANCEL, ex.id, 0);
    if (ex.head === null) ex.home?.unsettled();
    ex.error = error;
    this.#finish(ex);
    ex.notify();
  }

  #failStalled(): void {
    const now = performance.now();
    for (const ex of this.#exchanges.values()) {
      if (ex.stallLimit > 0 && now - ex.lastActivity > ex.stallLimit) {
        const tid = this.table.threadId(ex.slot);
        this.#fail(ex, new ConnectionError(`Transport worker ${tid} sent nothing for ${Math.round(now - ex.lastActivity)} ms; it is presumed dead`, { request: ex.request }), true);
      }
    }
  }

  /** A worker died: fail exactly its requests in flight, then free its slot for a replacement. */
  #buryWorker(slot: number): void {
    this.#failSlot(slot, this.#deathReasons[slot] ?? `transport worker ${this.table.threadId(slot)} exited`);
    this.#stoppedSlots.delete(slot);
    this.#opened[slot]!.clear();
    this.#deathReasons[slot] = null;
    this.#dirtySlots[slot] = 0;
    this.table.free(slot);
  }

  /** A worker's thread ended: its slot is marked dead, to catch deaths no exit hook reported. */
  #workerExited(tid: number, code: number): void {
    if (this.#destroyed) return;
    for (const slot of this.table.slots) {
      const state = this.table.state(slot.index);
      if (this.table.threadId(slot.index) === tid && (state === SlotState.ALIVE || state === SlotState.CLAIMED)) {
        this.#deathReasons[slot.index] ??= `transport worker ${tid} exited with code ${code}`;
        this.table.markDead(slot.index);
      }
    }
    this.drain();
  }

  /** Whether the worker serving `slot` has stopped (see {@link hasStopped}). */
  #stopped(slot: number): boolean {
    const worker = this.pool.find(this.table.threadId(slot));
    return worker !== undefined && hasStopped(worker);
  }

  #failSlot(slot: number, reason: string): void {
    for (const ex of this.#exchanges.values()) {
      if (ex.slot === slot) {
        this.#fail(ex, new ConnectionError(`Connection lost: ${reason} while this request was in flight`, { request: ex.request }), false);
      }
    }
  }

  /**
   * Fails the requests of workers that have stopped, after reading what they sent, and takes
   * their slots out of use. The slot is freed only on the Worker's `exit` event (the usual
   * burial): until then the thread may not be quite gone, and a replacement could not start
   * before that event anyway.
   */
  #failStoppedWorkers(): void {
    for (const slot of this.table.slots) {
      const state = this.table.state(slot.index);
      if (this.#stoppedSlots.has(slot.index) || (state !== SlotState.ALIVE && state !== SlotState.CLAIMED) || !this.#stopped(slot.index)) continue;
      this.drain();
      this.#stoppedSlots.add(slot.index);
      this.#failSlot(slot.index, `transport worker ${this.table.threadId(slot.index)} stopped`);
    }
  }

  // ---- slots and frames -------------------------------------------------------------

  readonly #pickForSync = (): number => this.#pickSlot(true);
  readonly #pickForAsync = (): number => this.#pickSlot(false);

  #pickSlot(sync: boolean): number {
    const slots = this.table.slots;
    const started = performance.now();
    this.#failStoppedWorkers();
    for (;;) {
      for (let i = 0; i < slots.length; i++) {
        const index = (this.#roundRobin + i) % slots.length;
        if (this.#alive(index)) {
          this.#roundRobin = index + 1;
          return index;
        }
      }
      // No worker has attached yet (the pool is starting) or all have died. The slot table
      // is shared memory, so waiting needs no event loop; only a replacement of a dead
      // worker needs one, hence the limit, and a synchronous caller whose every worker has
      // stopped is told at once.
      const threads = this.pool.threads;
      if (sync && threads.length > 0 && threads.every(hasStopped)) {
        throw new ConnectionError(
          `Every transport worker (${threads.length}) has died; their replacements start when the event loop turns, which a synchronous caller cannot wait for`,
        );
      }
      if (performance.now() - started > WORKER_START_LIMIT_MS) {
        throw new ConnectionError(
          `No transport worker became ready within ${WORKER_START_LIMIT_MS} ms` +
            (sync ? ' (a crashed worker is replaced when the event loop turns; a synchronous caller cannot wait for that)' : ''),
        );
      }
      const seen = this.table.mainBell.sample();
      this.drain();
      this.table.mainBell.wait(seen, 20);
    }
  }

  /** A frame larger than the ring itself could never be written: refuse it, never wait for it. */
  #assertFits(slot: number, bytes: number, what: string, request: PreparedRequest): void {
    const largest = this.table.slots[slot]!.toWorker.largestPayload;
    if (bytes > largest) {
      throw new InvalidOption(`${what} for ${request.method} ${request.url} take ${bytes} bytes; the channel to the transport workers carries at most ${largest} in one frame`, { request });
    }
  }

  #sendControl(slot: number, type: number, stream: number, aux: number, payload?: Buffer): void {
    this.#sendFrame(slot, type, 0, stream, aux, payload, 0, payload?.length ?? 0);
  }

  /**
   * Writes a frame to a worker. A full ring means the worker is behind; the main thread
   * then waits for room (blocking, which is brief: the worker drains eagerly).
   */
  #sendFrame(slot: number, type: number, flags: number, stream: number, aux: number, payload: Uint8Array | undefined, start: number, end: number): void {
    const ring = this.table.slots[slot]!.toWorker;
    while (!ring.write(type, flags, stream, aux, payload, start, end)) {
      if (this.#stopped(slot)) this.#failStoppedWorkers();
      if (!this.#alive(slot)) return; // its requests are failed by #failSlot
      const seen = ring.markBlocked(end - start);
      this.table.slots[slot]!.workerBell.ring();
      if (seen !== null) {
        const [cells, index] = ring.headCell;
        Atomics.wait(cells, index, seen, SYNC_SLICE_MS);
      }
    }
    this.#dirtySlots[slot] = 1;
  }

  #scheduleBells(): void {
    if (this.#bellScheduled) return;
    this.#bellScheduled = true;
    // Every request made in this turn of the loop (however many promise continuations it
    // took to make them) reaches the worker with one wake-up: a futex call is dear.
    setImmediate(() => {
      this.#bellScheduled = false;
      this.#ringBells();
    });
  }

  #ringBells(): void {
    const dirty = this.#dirtySlots;
    for (let slot = 0; slot < dirty.length; slot++) {
      if (dirty[slot] === 0) continue;
      dirty[slot] = 0;
      this.table.slots[slot]!.workerBell.ring();
    }
  }

  // ---- uploads -----------------------------------------------------------------------

  /** Only bytes: a sync call with a streamed body is refused when it is prepared. */
  #uploadSync(ex: Exchange, body: Uint8Array): void {
    const max = this.table.slots[ex.slot]!.toWorker.maxPayload;
    let at = 0;
    while (!ex.done) {
      const n = Math.min(max, body.length - at, ex.uploadCredit);
      if (n > 0 || at === body.length) {
        const last = at + n === body.length;
        this.#sendFrame(ex.slot, FrameType.REQUEST_BODY, last ? FrameFlag.END_STREAM : 0, ex.id, 0, body, at, at + n);
        ex.uploadCredit -= n;
        at += n;
        if (last) break;
        continue;
      }
      this.waitUntil(() => ex.uploadCredit > 0 || ex.done);
    }
    this.#ringBells();
  }

  async #uploadAsync(ex: Exchange, body: Uint8Array | StreamedBody): Promise<void> {
    const max = this.table.slots[ex.slot]!.toWorker.maxPayload;
    const source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = body instanceof Uint8Array ? [body] : body.source;
    try {
      for await (const chunk of source) {
        for (let at = 0; at < chunk.length; ) {
          while (ex.uploadCredit <= 0 && !ex.done) await ex.changed();
          if (ex.done) return;
          const n = Math.min(max, chunk.length - at, ex.uploadCredit);
          this.#sendFrame(ex.slot, FrameType.REQUEST_BODY, 0, ex.id, 0, chunk, at, at + n);
          ex.uploadCredit -= n;
          at += n;
          this.#scheduleBells();
        }
      }
      if (!ex.done) this.#sendFrame(ex.slot, FrameType.REQUEST_BODY, FrameFlag.END_STREAM, ex.id, 0, undefined, 0, 0);
    } catch (err) {
      if (!ex.done) this.#fail(ex, new ConnectionError(`Reading the request body failed: ${(err as Error).message}`, { request: ex.request, cause: err }), true);
    }
    this.#scheduleBells();
  }

  #newStreamId(): number {
    const id = this.#nextStream;
    this.#nextStream = (this.#nextStream + 1) >>> 0 || 1;
    return id;
  }

  #assertOpen(): void {
    if (this.#destroyed) throw new SessionClosedError('The engine has been shut down');
  }
}

/**
 * A worker's connection id made unique across slots. A number, not a string: a string
 * built per response head was hashed for each lookup, a few percent of the main thread.
 */
function connectionKey(slot: number, id: number): number {
  return slot * 2 ** 32 + id;
}

/**
 * Whether a worker thread has stopped: terminated, exited, or ended by an uncaught
 * exception. Read without the event loop, so a blocked synchronous caller notices a death
 * that no exit hook reported (`terminate()`); the Worker's `exit` event only reaches it once
 * the loop turns. From the moment a worker stops until that event, Node answers its event-
 * loop idle time with -1 (read from the Worker's native state under its lock): Node 20, 22
 * and 24 alike, which test/engine/engine.test.ts holds it to. Before the loop has seen the
 * worker come online the answer is 0, so a worker is never taken for dead too early.
 */
function hasStopped(worker: Worker): boolean {
  return worker.performance.eventLoopUtilization().idle < 0;
}

