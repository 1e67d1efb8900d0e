/**
 * The helper worker behind the browser's sync API: it runs the fetches of a blocked caller
 * (see sync-carrier.ts) and writes each response into the caller's ring as frames. It is the
 * bundle itself, started as a module worker under {@link FETCH_HELPER_NAME}, so the browser
 * build stays one file.
 */
import { Bell } from '../channel/bell.js';
import { FrameType } from '../channel/frames.js';
import { Ring } from '../channel/ring.js';
import { FetchCall, MessageFlag, type CallSink, type WireRequest } from './fetch-call.js';
import { socketEvents } from './streams.js';
import { openSocket, type WebSocketLink } from './websocket.js';

export const FETCH_HELPER_NAME = 'nodequests-fetch-helper';
export const SYNC_RING_BYTES = 1 << 20;

export type HelperMessage =
  | { t: 'init'; ring: SharedArrayBuffer; bell: SharedArrayBuffer }
  | { t: 'start'; id: number; wire: WireRequest }
  | { t: 'credit'; id: number; bytes: number; flags: number }
  | { t: 'cancel'; id: number }
  | { t: 'ws-open'; id: number; url: string; protocols: string[] }
  | { t: 'ws-send'; id: number; data: string | Uint8Array }
  | { t: 'ws-close'; id: number; code?: number; reason?: string };

interface Scope {
  name?: string;
  onmessage: ((event: { data: HelperMessage }) => void) | null;
  postMessage(message: 'ready'): void;
}

/** Whether this thread is a fetch helper (the bundle's entry then runs {@link runFetchHelper}). */
export function isFetchHelper(): boolean {
  const g = globalThis as unknown as { WorkerGlobalScope?: unknown; name?: string };
  return g.WorkerGlobalScope !== undefined && g.name === FETCH_HELPER_NAME;
}

export function runFetchHelper(): void {
  const scope = globalThis as unknown as Scope;
  let ring: Ring;
  let bell: Bell;
  const calls = new Map<number, FetchCall>();
  const sockets = new Map<number, WebSocketLink>();
  const queue: Array<{ type: number; flags: number; id: number; payload: Uint8Array | undefined }> = [];
  let retry: ReturnType<typeof setTimeout> | undefined;
  const encoder = new TextEncoder();

  const flush = (): void => {
    retry = undefined;
    let wrote = false;
    while (queue.length > 0) {
      const f = queue[0]!;
      // The caller drains as it waits: a full ring is looked at again shortly.
      if (!ring.write(f.type, f.flags, f.id, 0, f.payload)) {
        retry ??= setTimeout(flush, 1);
        break;
      }
      queue.shift();
      wrote = true;
    }
    if (wrote) bell.ring();
  };
  const send = (type: number, id: number, payload?: Uint8Array, flags = 0): void => {
    queue.push({ type, flags, id, payload });
    if (retry === undefined) flush();
  };

  const sinkFor = (id: number): CallSink => ({
    head: (head) => send(FrameType.RESPONSE_HEAD, id, encoder.encode(JSON.stringify(head))),
    body: (bytes, flags = 0) => {
      // A piece of a bigger WebSocket message says more follows.
      for (let at = 0; at < bytes.length || at === 0; at += ring.maxPayload) {
        const more = at + ring.maxPayload < bytes.length ? MessageFlag.MORE : 0;
        send(FrameType.RESPONSE_BODY, id, bytes.subarray(at, at + ring.maxPayload), flags | more);
      }
    },
    end: (close) => {
      calls.delete(id);
      sockets.delete(id);
      send(FrameType.RESPONSE_END, id, close ? encoder.encode(JSON.stringify(close)) : undefined);
    },
    fail: (code, message) => {
      calls.delete(id);
      sockets.delete(id);
      send(FrameType.RESPONSE_ERROR, id, encoder.encode(JSON.stringify({ code, message })));
    },
  });

  scope.onmessage = ({ data: m }) => {
    switch (m.t) {
      case 'init':
        ring = new Ring(m.ring);
        bell = new Bell(m.bell);
        scope.postMessage('ready');
        break;
      case 'start':
        calls.set(m.id, new FetchCall(m.wire, sinkFor(m.id)));
        break;
      case 'credit':
        calls.get(m.id)?.credit(m.bytes, m.flags);
        break;
      case 'cancel':
        calls.get(m.id)?.cancel();
        calls.delete(m.id);
        break;
      case 'ws-open':
        sockets.set(m.id, openSocket(m.url, m.protocols, socketEvents(sinkFor(m.id))));
        break;
      case 'ws-send':
        sockets.get(m.id)?.send(m.data);
        break;
      case 'ws-close':
        sockets.get(m.id)?.close(m.code, m.reason);
        break;
    }
  };
}
