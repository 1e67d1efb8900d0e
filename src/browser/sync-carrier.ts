/**
 * The sync API in the browser: a `Session` call blocks its Web Worker in `Atomics.wait` while
 * a helper worker performs the fetch, as the Node engine blocks on its transport workers. The
 * helper writes the response as frames into a ring on a SharedArrayBuffer and rings a bell;
 * the blocked caller reads them into its exchanges. Requests, credits and cancels go to the
 * helper by `postMessage`, which needs no turn of the caller's event loop.
 *
 * Blocking is only allowed off a page's main thread, and SharedArrayBuffer only on a
 * cross-origin-isolated page: anywhere else a sync call is refused before anything is sent.
 */
import { Bell } from '../channel/bell.js';
import { FrameType } from '../channel/frames.js';
import { Ring } from '../channel/ring.js';
import type { Exchange } from '../engine/exchange.js';
import { BrowserUnsupported } from '../errors.js';
import type { TransportCode } from '../channel/error-codes.js';
import { exchangeSink, type InboundStream } from './exchange-sink.js';
import type { CallSink, SocketClose, WireHead, WireRequest } from './fetch-call.js';
import type { Carried } from './streams.js';
import type { WebSocketLink } from './websocket.js';
import { FETCH_HELPER_NAME, SYNC_RING_BYTES, type HelperMessage } from './fetch-helper.js';

/** Looked at again at least this often while blocked (a signal's deadline is told by wakeAt). */
const MAX_SLEEP_MS = 1000;

interface WorkerLike {
  postMessage(message: HelperMessage): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  terminate(): void;
}

/** How long a loading bundle waits for its helper before it gives the sync API up. */
const HELPER_START_MS = 10_000;

class SyncCarrier {
  readonly #ring: Ring;
  readonly #bell: Bell;
  readonly #helper: WorkerLike;
  /** What each exchange's frames are handed to. */
  readonly #sinks = new Map<number, CallSink>();
  /**
   * Resolves once the helper runs (null) or with why it did not: a worker the caller starts
   * cannot start while the caller blocks.
   */
  readonly ready: Promise<string | null>;

  constructor() {
    const ring = Ring.create(SYNC_RING_BYTES);
    const bell = Bell.create();
    this.#ring = new Ring(ring);
    this.#bell = new Bell(bell);
    const WorkerCtor = (globalThis as unknown as { Worker: new (url: string | URL, options: object) => WorkerLike }).Worker;
    this.#helper = new WorkerCtor(import.meta.url, { type: 'module', name: FETCH_HELPER_NAME });
    this.ready = new Promise((resolve) => {
      const timer = setTimeout(() => resolve(`its helper worker did not start within ${HELPER_START_MS / 1000} s`), HELPER_START_MS);
      this.#helper.onmessage = () => (clearTimeout(timer), resolve(null));
      this.#helper.onerror = (e) => (clearTimeout(timer), resolve(`its helper worker (${String(import.meta.url)}) failed to load${e.message ? `: ${e.message}` : ''}`));
    });
    this.#helper.postMessage({ t: 'init', ring, bell });
  }

  terminate(): void {
    this.#helper.terminate();
  }

  start(ex: Exchange, wire: WireRequest, done: () => void, stream: InboundStream | null): Carried {
    const id = ex.id;
    this.#sinks.set(id, exchangeSink(ex, done, stream));
    this.#helper.postMessage({ t: 'start', id, wire });
    return {
      cancel: () => {
        this.#sinks.delete(id);
        this.#helper.postMessage({ t: 'cancel', id });
      },
      credit: (bytes, flags) => this.#helper.postMessage({ t: 'credit', id, bytes, flags }),
    };
  }

  /** A WebSocket held by the helper; its messages come as body frames (MessageFlag bits). */
  openSocket(ex: Exchange, url: string, protocols: string[], done: () => void, stream: InboundStream): WebSocketLink {
    const id = ex.id;
    this.#sinks.set(id, exchangeSink(ex, done, stream));
    this.#helper.postMessage({ t: 'ws-open', id, url, protocols });
    return {
      send: (data) => this.#helper.postMessage({ t: 'ws-send', id, data }),
      close: (code, reason) => this.#helper.postMessage({ t: 'ws-close', id, code, reason }),
    };
  }

  waitUntil(done: () => boolean, wakeAt?: () => number): void {
    for (;;) {
      const seen = this.#bell.sample();
      this.#drain();
      if (done()) return;
      const at = wakeAt?.() ?? Infinity;
      this.#bell.wait(seen, Math.min(MAX_SLEEP_MS, Math.max(0, at - performance.now())));
    }
  }

  /** Hands the helper's frames to their exchanges' sinks, as a fetch in this thread would. */
  #drain(): void {
    this.#ring.drain((type, flags, id, _aux, bytes, start, length) => {
      const sink = this.#sinks.get(id);
      if (!sink) return;
      switch (type) {
        case FrameType.RESPONSE_HEAD:
          return sink.head(JSON.parse(bytes.toString('utf8', start, start + length)) as WireHead);
        case FrameType.RESPONSE_BODY:
          return sink.body(bytes.subarray(start, start + length), flags);
        case FrameType.RESPONSE_END:
          this.#sinks.delete(id);
          return sink.end(length > 0 ? (JSON.parse(bytes.toString('utf8', start, start + length)) as SocketClose) : undefined);
        case FrameType.RESPONSE_ERROR: {
          this.#sinks.delete(id);
          const { code, message } = JSON.parse(bytes.toString('utf8', start, start + length)) as { code: TransportCode; message: string };
          return sink.fail(code, message);
        }
      }
    });
  }
}

let carrier: SyncCarrier | null = null;
/** Why this worker has no sync carrier although it could have had one. */
let unavailable: string | null = null;

/**
 * Starts the sync carrier's helper in a worker that may block (a dedicated Web Worker of a
 * cross-origin-isolated page), resolving when it runs. The bundle awaits this when it loads
 * there: the browser starts a nested worker only while its parent's event loop turns, so a
 * helper started by the first sync call would never come up.
 */
export async function prepareSyncCarrier(): Promise<void> {
  const g = globalThis as unknown as { DedicatedWorkerGlobalScope?: unknown; crossOriginIsolated?: boolean };
  if (carrier || g.DedicatedWorkerGlobalScope === undefined || g.crossOriginIsolated !== true) return;
  const starting = new SyncCarrier();
  unavailable = await starting.ready;
  if (unavailable === null) carrier = starting;
  else starting.terminate();
}

/** The thread's sync carrier; refused where a thread may not block. */
export function syncCarrier(): SyncCarrier {
  if (carrier) return carrier;
  const g = globalThis as unknown as { WorkerGlobalScope?: unknown; crossOriginIsolated?: boolean };
  if (g.WorkerGlobalScope === undefined) {
    throw new BrowserUnsupported(
      "A synchronous call (Session, get, post…) cannot run on a page's main thread: the browser does not let it block. Use AsyncSession or aget, apost…, or make the call in a Web Worker of a cross-origin-isolated page",
    );
  }
  if (g.crossOriginIsolated !== true) {
    throw new BrowserUnsupported(
      'A synchronous call (Session, get, post…) needs a cross-origin-isolated page (served with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), for its SharedArrayBuffer; this worker\'s page is not. Use AsyncSession or aget, apost… here',
    );
  }
  if (unavailable !== null) throw new BrowserUnsupported(`A synchronous call (Session, get, post…) cannot run in this worker: ${unavailable}. Use AsyncSession or aget, apost… here`);
  throw new BrowserUnsupported('A synchronous call (Session, get, post…) can only run in a dedicated Web Worker (not a shared or service worker), whose helper worker nodequests starts when it is loaded there');
}
