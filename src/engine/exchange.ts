/**
 * One request's state on the main thread, filled in by frames as the engine reads them.
 * Responses read from it; the sync API waits on it by blocking in the engine, the async
 * API by awaiting {@link Exchange.changed}.
 */
import type { RequestException } from '../errors.js';
import type { Home } from './homes.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import type { ExtensionKind } from '../request/prepare.js';
import { MessageFlag } from '../channel/frames.js';

export interface ReceivedHead {
  status: number;
  httpVersion: number;
  statusText: string;
  /** The raw header block (frames.ts layout), parsed only when headers are read. */
  headerBlock: Buffer;
  /** HeadFlag bits the worker set. */
  flags: number;
  /** ms after the worker started the request: head sent, first response byte (-1: unknown). */
  requestSent: number;
  firstByte: number;
  /** JSON of the connection's ConnectionInfo, when the worker told it. */
  connection: string | null;
  /** Bytes the body will arrive with, when the worker knows it; -1 otherwise. */
  bodyLength: number;
}

/**
 * A body read whole and announced at least this big is gathered into one buffer of its
 * announced length as it arrives, rather than as chunks joined at the end: the main thread
 * then holds it once, not twice, at the moment it is complete.
 */
const ONE_BUFFER_MIN = 64 * 1024;
/**
 * ...and at most this big: an announced length is the server's word, and a bigger buffer
 * allocated up front for a body that never comes is memory taken for nothing (chunks grow
 * only as bytes arrive). The worker announces nothing past the request's `maxBodySize`.
 */
const ONE_BUFFER_MAX = 256 << 20;

export class Exchange {
  readonly id: number;
  readonly slot: number;
  readonly sessionId: number;
  readonly request: PreparedRequest;
  /** The consumer streams the body and acknowledges it as it reads (until unbounded). */
  windowed: boolean;
  /** After this long without a frame, a blocked caller gives up on the worker (ms; 0 = never). */
  stallLimit: number;
  /** What the response becomes if the server agrees (a WebSocket, an event stream), or null. */
  extension: ExtensionKind | null = null;
  /** The request's read timeout (ms; 0: none): how long an extension's reader waits for a message. */
  readTimeout = 0;
  /** WebSocket messages received whole and not yet taken. */
  readonly messages: Array<{ binary: boolean; data: Buffer }> = [];
  /** The pieces of the message being received. */
  #pieces: Buffer[] = [];
  /** The close code and reason the WebSocket's peer sent, once it closed. */
  closeCode: number | null = null;
  closeReason = '';
  readonly startedAt = performance.now();
  lastActivity = this.startedAt;

  head: ReceivedHead | null = null;
  informational: ReceivedHead[] = [];
  /** Body chunks received and not yet taken by the consumer. */
  readonly chunks: Buffer[] = [];
  /** The body being gathered in one buffer (see ONE_BUFFER_MIN); a chunk once it ends. */
  #whole: Buffer | null = null;
  receivedBytes = 0;
  ended = false;
  trailerBlock: Buffer | null = null;
  /** What the app answering in process threw (Session's `app` option), for the appError hook. */
  appError: unknown = null;
  /** Why the exchange failed: a transport error, or whatever a progress hook threw. */
  error: RequestException | null = null;
  /** Set when the head arrived, for `elapsed`. */
  headAt = 0;
  /** Engine-wide arrival order of the head and of the end (or failure), for `gather`. */
  headSeq = 0;
  doneSeq = 0;

  /** Request-body bytes the worker will accept beyond what was sent. */
  uploadCredit = 0;
  /** Request-body bytes handed to the socket so far, and the body's length (null: unknown). */
  uploaded = 0;
  bodyLength: number | null = 0;

  /**
   * What a carrier other than the engine attached for `r.extension` (the browser's WebSocket
   * or event stream); null for none. The engine's extensions are built from `extension`.
   */
  attached: object | null = null;

  /** Where the response came from, when the carrier followed redirects itself (the browser's fetch). */
  finalUrl: string | null = null;

  /** Where requests to this origin go; told what the origin speaks when the head comes. */
  home: Home | null = null;

  /** Progress listener (hooks); called while frames are read, so it must not block. */
  onEvent: ((event: 'upload' | 'download' | 'informational', bytes: number) => void) | null = null;

  /** Told synchronously of every change (a sync `gather` keeps its ready queue with it). */
  watcher: (() => void) | null = null;

  #waiters: Array<() => void> = [];

  constructor(id: number, slot: number, sessionId: number, request: PreparedRequest, windowed: boolean, stallLimit: number, uploadWindow: number) {
    this.id = id;
    this.slot = slot;
    this.sessionId = sessionId;
    this.request = request;
    this.windowed = windowed;
    this.stallLimit = stallLimit;
    this.uploadCredit = uploadWindow;
  }

  /** No more frames will come: the body ended or the exchange failed. */
  get done(): boolean {
    return this.ended || this.error !== null;
  }

  /** The head is in (or it never will be). */
  get headSettled(): boolean {
    return this.head !== null || this.error !== null;
  }

  /** Resolves at the next change of state. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Called by the engine after applying a frame; `now`: when the frames were read (performance.now clock). */
  notify(now = performance.now()): void {
    this.lastActivity = now;
    if (this.watcher !== null) this.watcher();
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Keeps `bytes[start, start + length)` of the body (copied: the ring's room is reused). */
  receive(bytes: Buffer, start: number, length: number): void {
    let whole = this.#whole;
    if (whole === null && this.receivedBytes === 0 && !this.windowed && this.head !== null && this.head.bodyLength >= ONE_BUFFER_MIN && this.head.bodyLength <= ONE_BUFFER_MAX) {
      whole = this.#whole = Buffer.allocUnsafe(this.head.bodyLength);
    }
    if (whole !== null && this.receivedBytes + length <= whole.length) {
      bytes.copy(whole, this.receivedBytes, start, start + length);
    } else {
      if (whole !== null) this.#settleWhole(); // more than announced: chunks from here on
      const chunk = Buffer.allocUnsafe(length);
      bytes.copy(chunk, 0, start, start + length);
      this.chunks.push(chunk);
    }
    this.receivedBytes += length;
  }

  /** Keeps a piece of a WebSocket message (copied); the last one makes the message whole. */
  receivePiece(bytes: Buffer, start: number, length: number, flags: number): void {
    this.#pieces.push(Buffer.from(bytes.subarray(start, start + length)));
    this.receivedBytes += length;
    if ((flags & MessageFlag.FIN) === 0) return;
    const data = this.#pieces.length === 1 ? this.#pieces[0]! : Buffer.concat(this.#pieces);
    this.#pieces = [];
    this.messages.push({ binary: (flags & MessageFlag.BINARY) !== 0, data });
  }

  /** The body ended: a body gathered in one buffer becomes the chunk its reader takes. */
  end(trailerBlock: Buffer | null): void {
    if (trailerBlock !== null) this.trailerBlock = trailerBlock;
    this.ended = true;
    if (this.#whole !== null) this.#settleWhole();
  }

  /** Drops whatever of the body is held. */
  discardBody(): void {
    this.chunks.length = 0;
    this.#whole = null;
  }

  #settleWhole(): void {
    this.chunks.push(this.#whole!.subarray(0, this.receivedBytes));
    this.#whole = null;
  }

  /** Takes every buffered body chunk. */
  takeChunks(): Buffer[] {
    return this.chunks.splice(0, this.chunks.length);
  }
}
