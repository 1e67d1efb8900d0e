/**
 * The transport host: the loop a worker runs for its slot. It waits for the main thread's
 * bell with `Atomics.waitAsync` (never `Atomics.wait`: this event loop must keep turning
 * for its sockets and timers), reads every frame in the ring, and acts on it.
 */
import type { Dispatcher } from 'undici';
import { BinaryReader, BinaryWriter } from '../channel/binary.js';
import type { Bell } from '../channel/bell.js';
import { BODY_NONE, BODY_UNKNOWN, FrameFlag, FrameType, RequestFlag, decodeRequestHead, encodeError, type RequestHead } from '../channel/frames.js';
import type { Slot } from '../channel/slots.js';
import { IdTable } from '../channel/id-table.js';
import { TransportError } from './error-codes.js';
import { Connections } from './connections.js';
import type { OriginPool } from './origin-pool.js';
import { ExchangeHandler, type Replay } from './exchange-handler.js';
import { Outbox, type CountFn } from './outbox.js';
import { WorkerCounter } from '../channel/slots.js';
import { SessionTransport } from './session-transport.js';
import type { TransportSessionConfig } from '../channel/session-config.js';
import { UploadSource } from './upload.js';
import { TransportCode } from '../channel/error-codes.js';
import { WebSocketHandler } from './websocket-handler.js';
import { AppHost, APP_ROUTE } from './app-host.js';
import { stopReceiving } from './h3/quic-loader.js';

interface Stream {
  handler: ExchangeHandler | WebSocketHandler;
  upload: UploadSource | null;
}

/** What most requests carry, shared rather than built per request. */
const NO_BODY = Object.freeze({ body: null, upload: null });

/** How long an idle worker spins for a next request after answering. */
const LINGER_US = 80;

export class TransportHost {
  readonly outbox: Outbox;
  readonly #slot: Slot;
  readonly #bell: Bell;
  readonly #sessions = new Map<number, SessionTransport>();
  /** The sessions whose requests go to an app instead of the network. */
  readonly #apps = new Map<number, AppHost>();
  readonly #streams = new IdTable<Stream>();
  readonly #reader = new BinaryReader(Buffer.alloc(0));
  readonly #writer = new BinaryWriter(256);
  readonly #connections: Connections;
  readonly #onShutdown: () => void;
  #stopped = false;
  /** The most requests this worker carried at once since it was last idle. */
  #busiest = 0;

  /** `onShutdown`: tells the main thread that this thread may be stopped now (engine.ts waits for it). */
  constructor(slot: Slot, mainBell: Bell, count: CountFn, onShutdown: () => void) {
    this.#slot = slot;
    this.#onShutdown = onShutdown;
    this.#bell = slot.workerBell;
    this.outbox = new Outbox(slot.toMain, mainBell, count, this.#linger);
    this.#connections = new Connections(this.outbox, (handler, socket) => {
      if (handler instanceof ExchangeHandler) handler.onSocket(socket);
    });
  }

  /** Runs until {@link stop}. */
  async run(): Promise<void> {
    while (!this.#stopped) {
      const seen = this.#bell.sample();
      this.#slot.toWorker.drain(this.#onFrame);
      if (this.#stopped) break;
      // A count that had moved already resolves at once: let the loop's I/O have a turn
      // before the next batch, so a main thread that keeps writing never starves the sockets.
      if (!(await this.#bell.waitAsync(seen))) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Just after answering one request at a time, with nothing else in flight, the worker spins
   * briefly for the main thread's next request: a script making one request at a time sends it within
   * tens of microseconds, and a worker asleep in `Atomics.waitAsync` takes longer than
   * that to wake (the wake-up is a task posted from another thread). Never with requests
   * in flight: their sockets need this loop. It runs one loop turn after the bell because
   * undici frees an HTTP/1.1 connection in a `setImmediate` after the response completes:
   * a request dispatched before that would find the connection busy and open another.
   */
  readonly #linger = (): void => {
    if (this.#streams.size !== 0 || this.#stopped) return;
    // Only after one request at a time: a worker that carried several is serving a
    // concurrent caller, which sends its next ones when it has read the answers, and a spin
    // then takes the core that caller (and on a small machine the server) needs for that.
    const sequential = this.#busiest <= 1;
    this.#busiest = 0;
    if (sequential) setImmediate(this.#spinForRequest);
  };

  readonly #spinForRequest = (): void => {
    if (this.#streams.size !== 0 || this.#stopped) return;
    const ring = this.#slot.toWorker;
    const until = performance.now() + LINGER_US / 1000;
    while (ring.used === 0) if (performance.now() > until) return;
    ring.drain(this.#onFrame);
  };

  stop(): void {
    this.#stopped = true;
    this.#bell.ring();
  }

  /** Number of requests this worker is carrying, for diagnostics. */
  get inFlight(): number {
    return this.#streams.size;
  }

  readonly #onFrame = (type: number, flags: number, stream: number, aux: number, bytes: Buffer, start: number, length: number): void => {
    switch (type) {
      case FrameType.REQUEST:
        this.#startRequest(stream, aux, bytes, start, length);
        break;
      case FrameType.REQUEST_BODY: {
        // Copied: the ring's room is reused as soon as this drain ends.
        const chunk = Buffer.from(bytes.subarray(start, start + length));
        this.#streams.get(stream)?.upload?.push(chunk, (flags & FrameFlag.END_STREAM) !== 0);
        break;
      }
      case FrameType.CREDIT:
        this.#streams.get(stream)?.handler.credit(aux, flags);
        break;
      case FrameType.WS_SEND:
      case FrameType.WS_PING:
      case FrameType.WS_CLOSE: {
        const handler = this.#streams.get(stream)?.handler;
        if (!(handler instanceof WebSocketHandler)) break;
        // Copied: the ring's room is reused as soon as this drain ends.
        const payload = Buffer.from(bytes.subarray(start, start + length));
        if (type === FrameType.WS_SEND) handler.send(flags, payload);
        else if (type === FrameType.WS_PING) handler.ping(payload);
        else handler.close(aux, payload.toString('utf8'));
        break;
      }
      case FrameType.CANCEL: {
        const s = this.#streams.get(stream);
        if (s) {
          const reason = new TransportError(TransportCode.CONNECTION, 'Request cancelled');
          s.upload?.fail(reason);
          s.handler.cancel(reason);
        }
        break;
      }
      case FrameType.SESSION_OPEN: {
        const config = JSON.parse(bytes.toString('utf8', start, start + length)) as TransportSessionConfig;
        if (!this.#sessions.has(aux)) this.outbox.count(WorkerCounter.SESSIONS, 1);
        this.#sessions.set(aux, new SessionTransport(config));
        if (config.app !== null && !this.#apps.has(aux)) this.#apps.set(aux, new AppHost(config.app, this.#connections));
        break;
      }
      case FrameType.SHUTDOWN:
        this.#stopped = true;
        // The thread is stopped next: no UDP socket of it may receive by then (see stopReceiving).
        stopReceiving();
        this.#onShutdown();
        break;
      case FrameType.STATS: {
        const stats = this.#sessions.get(aux)?.stats() ?? [];
        this.outbox.send(FrameType.POOL_STATS, 0, stream, aux, Buffer.from(JSON.stringify(stats)));
        break;
      }
      case FrameType.SESSION_CLOSE: {
        const session = this.#sessions.get(aux);
        if (this.#sessions.delete(aux)) this.outbox.count(WorkerCounter.SESSIONS, -1);
        this.#apps.delete(aux);
        void session?.close();
        break;
      }
    }
  };

  #startRequest(stream: number, sessionId: number, bytes: Buffer, start: number, length: number): void {
    const head = decodeRequestHead(this.#reader.at(bytes, start, start + length));
    const session = this.#sessions.get(sessionId);
    let target: Target;
    try {
      if (!session) throw new TransportError(TransportCode.CONNECTION, `Session ${sessionId} is not open in this worker`);
      target = targetOf(head.url);
    } catch (err) {
      this.#failEarly(stream, err);
      return;
    }
    const app = this.#apps.get(sessionId);
    if (head.url.startsWith('ws')) {
      // A WebSocket is no request of a pool: it has a connection of its own (to an app, in memory).
      const handler = new WebSocketHandler(stream, head, this.outbox, this.#onStreamDone);
      this.#track(stream, { handler, upload: null });
      handler.start(app ?? session!);
      return;
    }
    const { origin, path, socketPath, name } = target;
    if (app) {
      this.#startAppRequest(app, stream, head, name, bytes, start, length);
      return;
    }
    let pool: OriginPool;
    try {
      pool = session!.poolFor(origin, head.connectTimeout, head.tls, socketPath, head.proxy, false);
    } catch (err) {
      // A target undici refuses (it should not get here: the main thread checks schemes)
      // fails this request only, never the worker.
      this.#failEarly(stream, new TransportError(TransportCode.INVALID_URL, `Cannot send to ${name}: ${(err as Error).message}`));
      return;
    }
    const { body, upload } = head.bodyLength === BODY_NONE ? NO_BODY : this.#bodyOf(stream, head, bytes, start, length, () => handler.onUploadProgress());
    const options: Dispatcher.DispatchOptions = {
      origin,
      path,
      method: head.method,
      // Only read (undici copies the fields into its request); frozen, as requests share them.
      headers: head.headers as string[],
      body: body as Buffer | null,
      // The handler keeps the read timeout itself (exchange-handler.ts).
      headersTimeout: 0,
      bodyTimeout: 0,
    };
    // undici closes every connection after a HEAD, in case the server sends a body anyway;
    // so a crawler's HEAD requests each cost a new connection. Kept instead when the server
    // says `Connection: keep-alive` (undici's own condition). A body sent anyway comes with
    // the head, and undici drops a socket that brings bytes no request asked for.
    if (head.method === 'HEAD') options.reset = false;
    // A request the server provably did not process may go again, once: a stream refused
    // with HTTP_1_1_REQUIRED (over HTTP/1.1), or one cut by a GOAWAY (if idempotent).
    // Only when its body can be sent again: none, or all in hand.
    const replay = upload !== null ? null : (reason: Replay): OriginPool => {
      const next = reason === 'http1' ? session!.poolFor(origin, head.connectTimeout, head.tls, socketPath, head.proxy, true) : pool;
      next.dispatch(options, handler as unknown as Dispatcher.DispatchHandler);
      return next;
    };
    const handler = new ExchangeHandler(stream, head, name, pool, this.outbox, this.#connections, this.#onStreamDone, replay);
    this.#track(stream, { handler, upload });
    // The legacy callback shape (onHeaders with raw header buffers) skips undici's header
    // parsing: the raw bytes go straight into the frame.
    pool.dispatch(options, handler as unknown as Dispatcher.DispatchHandler);
  }

  #startAppRequest(app: AppHost, stream: number, head: RequestHead, name: string, bytes: Buffer, start: number, length: number): void {
    const handler = new ExchangeHandler(stream, head, name, APP_ROUTE, this.outbox, this.#connections, this.#onStreamDone, null);
    const { body, upload } = this.#bodyOf(stream, head, bytes, start, length, null);
    this.#track(stream, { handler, upload });
    const bodyLength = head.bodyLength === BODY_NONE || head.bodyLength === BODY_UNKNOWN ? null : head.bodyLength;
    app.serve({ method: head.method, url: head.url, headers: head.headers, body, bodyLength }, handler);
  }

  /**
   * A request's body: the bytes its frame carried (read right after its head), an
   * UploadSource that REQUEST_BODY frames feed (each chunk handed on is acknowledged with
   * UPLOAD_CREDIT, then `onSent`), or none.
   */
  #bodyOf(stream: number, head: RequestHead, bytes: Buffer, start: number, length: number, onSent: (() => void) | null): { body: Buffer | UploadSource | null; upload: UploadSource | null } {
    if (head.flags & RequestFlag.INLINE_BODY) return { body: Buffer.from(bytes.subarray(this.#reader.pos, start + length)), upload: null };
    if (head.bodyLength === BODY_NONE) return NO_BODY;
    const upload = new UploadSource((n) => {
      this.outbox.send(FrameType.UPLOAD_CREDIT, 0, stream, n);
      onSent?.();
    });
    return { body: upload, upload };
  }

  #failEarly(stream: number, err: unknown): void {
    const e = err as { nqCode?: string; message?: string };
    this.#writer.reset();
    encodeError(this.#writer, e.nqCode ?? TransportCode.INVALID_URL, e.message ?? String(err));
    this.outbox.sendWritten(FrameType.RESPONSE_ERROR, 0, stream, 0, this.#writer);
  }

  #track(stream: number, s: Stream): void {
    this.#streams.set(stream, s);
    this.outbox.count(WorkerCounter.STREAMS, 1);
    if (this.#streams.size > this.#busiest) this.#busiest = this.#streams.size;
  }

  readonly #onStreamDone = (stream: number): void => {
    if (this.#streams.delete(stream)) this.outbox.count(WorkerCounter.STREAMS, -1);
  };
}

/** Where a request goes, as undici wants it: an origin and a path, or a unix socket. */
interface Target {
  origin: string;
  path: string;
  socketPath: string | null;
  /** How errors name it. */
  name: string;
}

/**
 * Splits a URL the main thread sent. It is always absolute and serialized by WHATWG URL
 * (default ports dropped, no fragment), so for http(s) the origin is everything before the
 * first slash after the authority: no parse per request. A unix socket URL carries the
 * socket path as its (percent-encoded) host; undici wants an http origin and the path as a
 * connect option.
 */
function targetOf(href: string): Target {
  if (href.startsWith('http+unix:')) {
    const url = new URL(href);
    const socketPath = decodeURIComponent(url.hostname);
    return { origin: 'http://localhost', path: url.pathname + url.search, socketPath, name: `http+unix://${socketPath}` };
  }
  const slash = href.indexOf('/', href.indexOf('//') + 2);
  const origin = slash === -1 ? href : href.slice(0, slash);
  if (origin.includes('@')) {
    // Credentials left in the authority: the origin leaves them out.
    const url = new URL(href);
    return { origin: url.origin, path: url.pathname + url.search, socketPath: null, name: url.origin };
  }
  return { origin, path: slash === -1 ? '/' : href.slice(slash), socketPath: null, name: origin };
}
