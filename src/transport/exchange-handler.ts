/**
 * One request's life in the worker: an undici dispatch handler (the bare callback level,
 * not `request()` with its streams and promises) that writes the response straight into
 * the outbox as frames.
 *
 * It pauses the socket read when the channel cannot take more: the outbox is congested,
 * the consumer of a streamed (windowed) body is more than a window behind, or the decoder
 * is full. Each of those calls `#maybeResume` when it clears.
 *
 * A windowed (`stream: true`) body starts with its window shut: nothing of it moves until
 * the consumer first reads, and that first CREDIT says whether it wants the body decoded
 * or raw (`r.raw`). So the decoder is set up then, not with the head.
 *
 * A request with a processor keeps the decoded body of its final response here, runs the
 * processor on it (transport/processors.ts) and sends the serialized result as the body.
 */
import { BinaryWriter } from '../channel/binary.js';
import { CreditFlag, FrameType, HeadFlag, RequestFlag, encodeError, encodeHeaderBlock, encodeResponseHead, type RequestHead, type ResponseHead } from '../channel/frames.js';
import { type Decoder, createDecoder } from '../decoding/decoder.js';
import { TransportError, classify } from './error-codes.js';
import type { Outbox } from './outbox.js';
import { WorkerCounter } from '../channel/slots.js';
import type { OriginPool } from './origin-pool.js';
import { IDEMPOTENT_METHODS } from '../channel/methods.js';
import { RESPONSE_WINDOW } from '../channel/windows.js';
import { isRedirect } from '../channel/redirect-statuses.js';
import type { Connections } from './connections.js';
import type { Socket } from 'node:net';
import { processorThread } from './processors.js';
import { TransportCode } from '../channel/error-codes.js';

/** What carries a request: an origin's pool, or an app the worker calls (app-host.ts). */
export type Route = Pick<OriginPool, 'version' | 'proxy'>;

/** Why a request may be sent again, and how: over HTTP/1.1, or as it was. */
export type Replay = 'http1' | 'same';

const IDEMPOTENT = new Set(IDEMPOTENT_METHODS);

/** Sockets that have carried a request: a request on one of them went on a reused connection. */
const carried = new WeakSet<Socket>();

/**
 * The most read of the body of a response the flow passes over (a redirect it follows, a
 * 401 it answers): enough for any real one, which says "moved" in a line of HTML. Past it
 * the connection is closed rather than drained.
 */
export const HOP_BODY_LIMIT = 64 * 1024;

/** Informational (1xx) heads passed on per request; later ones are dropped. */
export const MAX_INFORMATIONAL_KEPT = 16;
/** Informational heads after which the request fails: no server needs that many. */
export const MAX_INFORMATIONAL = 1000;

interface KeptBody {
  chunks: Buffer[];
  bytes: number;
  status: number;
  headers: Record<string, string>;
}

// One writer for every head encoded by this worker: frames are copied into the ring at once.
const scratch = new BinaryWriter(8192);

export class ExchangeHandler {
  readonly stream: number;
  readonly #outbox: Outbox;
  readonly #target: string;
  #windowed: boolean;
  readonly #onDone: (stream: number) => void;
  /** The pool carrying the request (a replay may move it to another), or an app's route. */
  #pool: Route;
  readonly #connections: Connections;
  #replay: ((reason: Replay) => OriginPool) | null;
  readonly #method: string;
  #abort: ((err: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #paused = false;
  #unacked = 0;
  #headSent = false;
  #done = false;
  #cancelReason: Error | null = null;
  #decoder: Decoder | null = null;
  #decoderFull = false;
  #decoderPaused = false;
  /** A wake-up is registered with the outbox for when it drains. */
  #drainAwaited = false;
  /** Content-Encoding of the response, until the consumer's first read decides on decoding. */
  #encoding: string | null = null;
  /** A windowed stream whose consumer has not read yet: how to deliver is not known. */
  #awaitingMode: boolean;
  /** Chunks or the end that arrived before the mode was known. */
  #early: Buffer[] | null = null;
  #earlyEnd: Array<Buffer | string> | null = null;
  #timer: NodeJS.Timeout | null = null;
  readonly #startedAt = performance.now();
  #socket: Socket | null = null;
  /** The connection id an app's answer names (app-host.ts); sockets are named by Connections. */
  #appConnection = 0;
  /** The socket had carried an earlier request, and how much it had read when this one went. */
  #reused = false;
  #bytesReadAtSend = 0;
  #requestSent = -1;
  readonly #readTimeout: number;
  #readTimer: NodeJS.Timeout | null = null;
  /** When the read timer was last armed (performance.now clock): the silence counts from there. */
  #readArmedAt = 0;
  readonly #requestFlags: number;
  /** The most of this body to take, received and decoded (the hop limit once it is known to be a hop). */
  #maxBody: number;
  /** What the limit is, for the error that names it. */
  #limitName = 'maxBodySize';
  #received = 0;
  #informational = 0;
  readonly #url: string;
  readonly #processor: string;
  readonly #processorTimeout: number;
  /** The decoded body kept for the processor, and what it is told of the response. */
  #kept: KeptBody | null = null;

  constructor(
    stream: number,
    head: RequestHead,
    target: string,
    pool: Route,
    outbox: Outbox,
    connections: Connections,
    onDone: (stream: number) => void,
    replay: ((reason: Replay) => OriginPool) | null,
  ) {
    this.stream = stream;
    this.#replay = replay;
    this.#method = head.method;
    this.#readTimeout = head.readTimeout;
    this.#requestFlags = head.flags;
    this.#maxBody = head.maxBodySize;
    this.#url = head.url;
    this.#processor = head.processor;
    this.#processorTimeout = head.processorTimeout;
    this.#pool = pool;
    this.#connections = connections;
    this.#outbox = outbox;
    this.#target = target;
    this.#windowed = (head.flags & RequestFlag.WINDOWED) !== 0;
    this.#awaitingMode = this.#windowed;
    // Shut until the first CREDIT opens it.
    if (this.#windowed) this.#unacked = RESPONSE_WINDOW;
    this.#onDone = onDone;
    if (head.totalTimeout > 0) {
      this.#timer = setTimeout(() => {
        // The main thread gives each hop what is left of the call's total.
        this.cancel(new TransportError(TransportCode.TIMEOUT, `Request to ${target} exceeded its total timeout (${Math.round(head.totalTimeout)} ms of it left for this hop)`));
      }, head.totalTimeout);
    }
  }

  // ---- from the main thread ----------------------------------------------------------

  /** CANCEL frame or total timeout: abort the request; undici then calls onError. */
  cancel(reason: Error): void {
    if (this.#done) return;
    this.#cancelReason = reason;
    if (this.#abort) this.#abort(reason);
  }

  /** CREDIT frame: the consumer has taken `bytes` of a streamed body (or opens the window). */
  credit(bytes: number, flags: number): void {
    if (this.#awaitingMode) {
      this.#awaitingMode = false;
      if ((flags & CreditFlag.RAW) === 0 && this.#encoding) this.#setUpDecoder(this.#encoding);
      const early = this.#early;
      this.#early = null;
      if (early !== null) for (const chunk of early) this.#ingest(chunk);
      if (this.#earlyEnd) this.onComplete(this.#earlyEnd);
    }
    if (flags & CreditFlag.UNBOUNDED) this.#windowed = false;
    this.#unacked -= bytes;
    this.#maybeResume();
  }

  /** The request's head went out on `socket` (told by undici's diagnostics channel). */
  onSocket(socket: Socket): void {
    if (this.#socket !== socket) {
      this.#reused = carried.has(socket);
      carried.add(socket);
      this.#bytesReadAtSend = socket.bytesRead;
    }
    this.#socket = socket;
    this.#requestSent = performance.now() - this.#startedAt;
    this.#armReadTimer();
  }

  /** The request was handed to an app in this worker, whose answers name `connection`. */
  onAppCall(connection: number): void {
    this.#appConnection = connection;
    this.#requestSent = performance.now() - this.#startedAt;
    this.#armReadTimer();
  }

  /** What the app threw: the main thread's appError hooks hear of it before the 500 head. */
  onAppError(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    const json = JSON.stringify({ name: e.name, message: e.message, stack: e.stack ?? `${e.name}: ${e.message}` });
    this.#outbox.send(FrameType.APP_ERROR, 0, this.stream, 0, Buffer.from(json));
  }

  /**
   * A chunk of a streamed upload went out. A server still taking the body is not silent: the
   * read timeout counts from the last byte either way, so only a send that stalls (the
   * server stopped reading) or a wait for the answer runs it out.
   */
  onUploadProgress(): void {
    if (this.#socket !== null && !this.#headSent) this.#armReadTimer();
  }

  /**
   * The read timeout: silence from the server for longer than this fails the request. Kept
   * here rather than left to undici, whose timers are coarse (a 300 ms timeout fired after
   * a second), and stopped while we hold the socket back: that silence is ours.
   */
  #armReadTimer(): void {
    if (this.#readTimeout <= 0 || this.#done || (this.#headSent && this.#requestFlags & RequestFlag.LONG_LIVED)) return;
    // Armed again on every read: moving the timer each time (refresh) cost more than a clock
    // reading, so it stays put and, when it fires before the silence is long enough, sets
    // itself again for the rest.
    this.#readArmedAt = performance.now();
    this.#readTimer ??= setTimeout(this.#onReadTimer, this.#readTimeout);
  }

  readonly #onReadTimer = (): void => {
    const silence = performance.now() - this.#readArmedAt;
    if (silence < this.#readTimeout) {
      this.#readTimer = setTimeout(this.#onReadTimer, this.#readTimeout - silence);
      return;
    }
    this.#readTimer = null;
    const what = this.#headSent ? 'no body bytes' : 'no response head';
    this.cancel(new TransportError(TransportCode.READ_TIMEOUT, `Read timed out: ${what} from ${this.#target} within ${this.#readTimeout} ms`));
  };

  #stopReadTimer(): void {
    if (this.#readTimer) clearTimeout(this.#readTimer);
    this.#readTimer = null;
  }

  // ---- undici callbacks ----------------------------------------------------------------

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort as (err: Error) => void;
    if (this.#cancelReason) abort(this.#cancelReason);
  }

  onHeaders(statusCode: number, rawHeaders: Array<Buffer | string>, resume: () => void, statusText = ''): boolean {
    // (undici's forward-proxy wrapper calls this without the status text.)
    if (statusCode < 200) {
      // Informational (103 Early Hints and the like): passed on, the real head follows.
      if (++this.#informational > MAX_INFORMATIONAL) {
        this.cancel(new TransportError(TransportCode.CONNECTION, `${this.#target} sent more than ${MAX_INFORMATIONAL} informational (1xx) responses without a final one; the connection was closed`));
        return false;
      }
      if (this.#informational > MAX_INFORMATIONAL_KEPT) return true;
      scratch.reset();
      encodeResponseHead(scratch, this.#head(statusCode, statusText, rawHeaders, -1));
      this.#outbox.sendWritten(FrameType.RESPONSE_INFO, 0, this.stream, 0, scratch);
      return true;
    }
    this.#resume = resume;
    this.#headSent = true;
    if (this.#requestFlags & RequestFlag.LONG_LIVED) {
      // An event stream may stay quiet for as long as it likes once it has answered; the
      // consumer's wait for each event has the read timeout instead.
      this.#stopReadTimer();
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
    } else this.#armReadTimer();
    const scan = scanHead(rawHeaders);
    const flags = this.#requestFlags;
    const hop = (flags & RequestFlag.FOLLOWS_REDIRECTS && isRedirect(statusCode) && scan.location) || (flags & RequestFlag.ANSWERS_CHALLENGE && statusCode === 401);
    if (hop) {
      this.#maxBody = Math.min(this.#maxBody, HOP_BODY_LIMIT);
      this.#limitName = `the limit for the body of a ${statusCode} that is followed`;
    } else if (this.#processor !== '') {
      this.#kept = { chunks: [], bytes: 0, status: statusCode, headers: headerRecord(rawHeaders) };
    }
    this.#encoding = scan.encoding;
    if (this.#encoding && !this.#awaitingMode) this.#setUpDecoder(this.#encoding);
    const connection = this.#socket ? this.#connections.idOf(this.#socket) : this.#appConnection;
    scratch.reset();
    // Bytes as they will arrive, when nothing will be decoded (a windowed body decides that
    // later) and the body is allowed that big: the main thread may allocate it up front.
    const bodyLength = this.#encoding === null && !this.#awaitingMode && this.#kept === null && scan.contentLength <= this.#maxBody ? scan.contentLength : -1;
    encodeResponseHead(scratch, this.#head(statusCode, statusText, rawHeaders, bodyLength));
    this.#outbox.sendWritten(FrameType.RESPONSE_HEAD, scan.flags, this.stream, connection, scratch);
    return !this.#shouldPause();
  }

  onData(chunk: Buffer): boolean {
    this.#armReadTimer();
    this.#received += chunk.length;
    if (this.#received > this.#maxBody) {
      this.#refuse(new TransportError(TransportCode.BODY_TOO_LARGE, `The response body from ${this.#target} is more than ${this.#maxBody} bytes (${this.#limitName}); the transfer was stopped and the connection closed`));
      return false;
    }
    if (this.#awaitingMode) (this.#early ??= []).push(chunk);
    else this.#ingest(chunk);
    return !this.#shouldPause();
  }

  onComplete(trailers: Array<Buffer | string> | null): void {
    if (this.#awaitingMode) {
      this.#earlyEnd = trailers ?? [];
      return;
    }
    if (this.#decoder) {
      const trailerBlock = trailers ?? [];
      this.#decoder.on('end', () => this.#end(trailerBlock));
      this.#decoder.end();
    } else {
      this.#end(trailers ?? []);
    }
  }

  onError(err: Error): void {
    const reason = this.#cancelReason === null && !this.#headSent ? replayReason(err, this.#method, this.#staleSocket()) : null;
    if (reason !== null && this.#replay) {
      const replay = this.#replay;
      this.#replay = null; // once
      this.#abort = null;
      this.#pool = replay(reason);
      return;
    }
    this.#fail(this.#cancelReason ?? err);
  }

  // ---- internals -----------------------------------------------------------------------

  /**
   * The request went on a kept-alive connection and not one byte came back: the server most
   * likely closed it as idle while the request was on its way (the keep-alive race), so it
   * never saw the request.
   */
  #staleSocket(): boolean {
    return this.#reused && this.#socket !== null && this.#socket.bytesRead === this.#bytesReadAtSend;
  }

  #head(status: number, statusText: string, headers: Array<Buffer | string>, bodyLength: number): ResponseHead {
    return { status, httpVersion: this.#pool.version, requestSent: this.#requestSent, firstByte: performance.now() - this.#startedAt, bodyLength, statusText, headers };
  }

  #ingest(chunk: Buffer): void {
    if (this.#decoder) {
      if (!this.#decoder.write(chunk)) this.#decoderFull = true;
    } else {
      this.#emit(chunk);
    }
  }

  #setUpDecoder(encoding: string): void {
    let decoder: Decoder | null;
    try {
      decoder = createDecoder(encoding, { maxDecodedBytes: this.#maxBody });
    } catch (err) {
      this.cancel(new TransportError(TransportCode.CONTENT_DECODING, `Cannot decode the body from ${this.#target}: ${(err as Error).message}`));
      return;
    }
    if (!decoder) return;
    decoder.on('data', (c: Buffer) => this.#emit(c));
    decoder.on('drain', () => {
      this.#decoderFull = false;
      this.#maybeResume();
    });
    decoder.on('error', (err) => {
      const limit = err.code === TransportCode.BODY_TOO_LARGE ? ` (${this.#limitName}); the transfer was stopped and the connection closed` : '';
      this.#refuse(new TransportError(err.code, `${err.message} (from ${this.#target})${limit}`));
    });
    this.#decoder = decoder;
  }

  /** Fails the exchange for what it received: stops the socket if the body is still coming, ends the stream if not. */
  #refuse(failure: TransportError): void {
    this.cancel(failure);
    this.#fail(failure);
  }

  #emit(chunk: Uint8Array): void {
    if (this.#done) return;
    if (this.#kept) {
      this.#kept.chunks.push(chunk as Buffer);
      this.#kept.bytes += chunk.length;
      return;
    }
    const max = this.#outbox.maxPayload;
    for (let at = 0; at < chunk.length; at += max) {
      const end = Math.min(chunk.length, at + max);
      this.#outbox.send(FrameType.RESPONSE_BODY, 0, this.stream, 0, chunk, at, end);
    }
    if (this.#windowed) this.#unacked += chunk.length;
    // A decoder can turn one socket read into megabytes: stop its output too, not just the socket.
    if (this.#decoder && this.#channelFull()) {
      this.#decoder.pause();
      this.#setDecoderPaused(true);
      this.#awaitDrain();
    }
  }

  #setDecoderPaused(paused: boolean): void {
    if (paused === this.#decoderPaused) return;
    this.#decoderPaused = paused;
    this.#outbox.count(WorkerCounter.PAUSED_DECODERS, paused ? 1 : -1);
  }

  /** The channel cannot take more of this body now: the ring is full or the window is used. */
  #channelFull(): boolean {
    return this.#outbox.congested || (this.#windowed && this.#unacked >= RESPONSE_WINDOW);
  }

  /** Whether the socket read must pause; when it must, arranges to be asked again. */
  #shouldPause(): boolean {
    const pause = this.#channelFull() || this.#decoderFull;
    if (pause) {
      if (!this.#paused) {
        this.#paused = true;
        this.#outbox.count(WorkerCounter.PAUSED_SOCKETS, 1);
        this.#stopReadTimer();
      }
      this.#awaitDrain();
    }
    return pause;
  }

  /**
   * Registers one wake-up for when the outbox drains, whenever anything of this exchange
   * (the socket or the decoder's output) waits on it. Keyed to the state, not to the moment
   * the socket pauses: the decoder can stop on a congested outbox while the socket is
   * already paused for another reason, and that stop needs its wake-up too.
   */
  #awaitDrain(): void {
    if (this.#drainAwaited || !this.#outbox.congested) return;
    this.#drainAwaited = true;
    this.#outbox.onceDrained(this.#onDrained);
  }

  readonly #onDrained = (): void => {
    this.#drainAwaited = false;
    this.#maybeResume();
  };

  #maybeResume(): void {
    if (this.#done) return;
    // The decoder's output waits only on the channel; its input (the socket) also on the decoder.
    if (this.#decoderPaused) {
      if (!this.#channelFull()) {
        this.#setDecoderPaused(false);
        this.#decoder!.resume();
      } else {
        // Still full (another exchange woken first may have filled it again): wait again.
        this.#awaitDrain();
      }
    }
    if (!this.#paused) return;
    this.#paused = false;
    this.#outbox.count(WorkerCounter.PAUSED_SOCKETS, -1);
    if (this.#shouldPause()) return;
    this.#armReadTimer();
    this.#resume?.();
  }

  #end(trailers: Array<Buffer | string>): void {
    if (this.#done) return;
    if (this.#kept) {
      this.#process(this.#kept, trailers);
      return;
    }
    scratch.reset();
    // No trailers (nearly always): no payload, and nothing for the main thread to copy.
    if (trailers.length > 0) encodeHeaderBlock(scratch, trailers);
    this.#outbox.sendWritten(FrameType.RESPONSE_END, 0, this.stream, 0, scratch);
    this.#finish();
  }

  /** Runs the processor on the kept body; its result goes out as the body, then the end. */
  #process(kept: KeptBody, trailers: Array<Buffer | string>): void {
    this.#kept = null;
    this.#stopReadTimer();
    // One buffer of its own (chunks may share a pooled one): it is transferred, not copied.
    const body = new Uint8Array(kept.bytes);
    let at = 0;
    for (const c of kept.chunks) {
      body.set(c, at);
      at += c.length;
    }
    processorThread()
      .run(this.#processor, body, { url: this.#url, status: kept.status, headers: kept.headers }, this.#processorTimeout)
      .then(
        (result) => {
          // Cancelled or timed out while it ran: the failure stands.
          if (this.#cancelReason) return this.#fail(this.#cancelReason);
          this.#emit(result);
          this.#end(trailers);
        },
        (err: unknown) => this.#fail(this.#cancelReason ?? err),
      );
  }

  #fail(err: unknown): void {
    if (this.#done) return;
    const failure = classify(err, this.#target, this.#headSent, this.#pool.proxy);
    scratch.reset();
    encodeError(scratch, failure.code, failure.message);
    this.#outbox.sendWritten(FrameType.RESPONSE_ERROR, 0, this.stream, 0, scratch);
    this.#finish();
  }

  #finish(): void {
    this.#done = true;
    if (this.#paused) this.#outbox.count(WorkerCounter.PAUSED_SOCKETS, -1);
    this.#paused = false;
    this.#setDecoderPaused(false);
    if (this.#timer) clearTimeout(this.#timer);
    this.#stopReadTimer();
    this.#decoder?.destroy();
    this.#onDone(this.stream);
  }
}

/**
 * One pass over a raw head for what the transport and the policy act on: the
 * Content-Encoding fields (joined in order), whether Set-Cookie or Alt-Svc is there, and
 * whether Location is.
 */
function scanHead(raw: Array<Buffer | string>): { encoding: string | null; flags: number; location: boolean; contentLength: number } {
  let encoding: string | null = null;
  let flags = 0;
  let location = false;
  let contentLength = -1;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const n = name.length;
    if (n !== 16 && n !== 14 && n !== 10 && n !== 8 && n !== 7) continue;
    const lower = name.toString('latin1').toLowerCase();
    if (lower === 'content-encoding') {
      const v = raw[i + 1]!.toString('latin1');
      encoding = encoding ? `${encoding}, ${v}` : v;
    } else if (lower === 'set-cookie') flags |= HeadFlag.SET_COOKIE;
    else if (lower === 'alt-svc') flags |= HeadFlag.ALT_SVC;
    else if (lower === 'location') location = true;
    else if (lower === 'content-length') contentLength = Number(raw[i + 1]!.toString('latin1'));
  }
  // undici refuses a malformed or conflicting Content-Length before the body; be safe anyway.
  if (!Number.isSafeInteger(contentLength) || contentLength < 0) contentLength = -1;
  return { encoding, flags, location, contentLength };
}

/** A raw head as the processor sees it: lower-case names, repeats joined. */
function headerRecord(raw: Array<Buffer | string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    out[name] = name in out ? `${out[name]}, ${value}` : value;
  }
  return out;
}

/**
 * Whether a failure proves (or, on a stale kept-alive socket, makes it very likely) that the
 * server did not process the request, and how to retry it.
 */
function replayReason(err: Error, method: string, staleSocket: boolean): Replay | null {
  const code = (err as { code?: string }).code ?? '';
  const text = `${code} ${err.message}`;
  // Closed or reset under a request on a reused connection, no answer begun: sent again once
  // on another connection, when repeating it is harmless (as browsers and urllib3 do).
  if (staleSocket && IDEMPOTENT.has(method) && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE')) return 'same';
  if (/HTTP_1_1_REQUIRED/.test(text)) return 'http1';
  if (/REFUSED_STREAM/.test(text)) return 'same'; // refused before processing: safe for any method
  if (/GOAWAY/.test(text) && IDEMPOTENT.has(method)) return 'same';
  return null;
}
