/**
 * What `r.extension` is for a response: a WebSocket when the server switched protocols (101,
 * or 2xx to an RFC 8441 extended CONNECT), an event stream when an `sse` scheme's answer is a
 * 2xx `text/event-stream`, and null otherwise (a refused upgrade is a plain response).
 */
import type { BodySource } from '../response/body-source.js';
import { fieldFromBlock } from '../response/base-response.js';
import type { AsyncExtension, SyncExtension } from './extension.js';
import { AsyncServerSentEventsExtension, SyncServerSentEventsExtension } from './sse.js';
import { AsyncWebSocketExtension, SyncWebSocketExtension, type WebSocketDriver } from './websocket.js';

export function syncExtensionOf(source: BodySource): SyncExtension | null {
  const kind = kindOf(source);
  return kind === 'websocket' ? new SyncWebSocketExtension(driverOf(source), source.exchange) : kind === 'sse' ? new SyncServerSentEventsExtension(source) : null;
}

export function asyncExtensionOf(source: BodySource): AsyncExtension | null {
  const kind = kindOf(source);
  return kind === 'websocket' ? new AsyncWebSocketExtension(driverOf(source), source.exchange) : kind === 'sse' ? new AsyncServerSentEventsExtension(source) : null;
}

/** The carrier holding the socket: the engine, or the app carrier (the browser's attaches its own, see Exchange.attached). */
function driverOf(source: BodySource): WebSocketDriver {
  return source.driver as WebSocketDriver;
}

function kindOf(source: BodySource): 'websocket' | 'sse' | null {
  const ex = source.exchange;
  const head = ex.head;
  if (head === null || ex.extension === null) return null;
  const success = head.status >= 200 && head.status < 300;
  if (ex.extension === 'websocket') return (ex.request.url.startsWith('wss+rfc8441:') ? success : head.status === 101) ? 'websocket' : null;
  const type = fieldFromBlock(head.headerBlock, 'content-type') ?? '';
  return success && type.trim().toLowerCase().startsWith('text/event-stream') ? 'sse' : null;
}
