/**
 * The inbound side of `r.extension` for each kind, the same whichever thread holds the
 * socket: {@link socketStream} gathers a WebSocket's messages (see exchange-sink.ts for where
 * they come from). An event stream needs none: it is a streamed body, read as events by the
 * shared classes of src/extensions/.
 */
import type { Exchange } from '../engine/exchange.js';
import type { InboundStream } from './exchange-sink.js';
import { MessageFlag } from './fetch-call.js';
import { TransportCode } from '../channel/error-codes.js';
import type { Wait } from './stream-extension.js';
import { WebSocketExtension, type SocketEvents, type WebSocketLink } from './websocket.js';
import type { CallSink } from './fetch-call.js';

/** How the carrier of one exchange is told things (a fetch in this thread, or the helper). */
export interface Carried {
  cancel(): void;
  credit(bytes: number, flags: number): void;
}

export function socketStream(readTimeout: number, wait: Wait | null, link: () => WebSocketLink): InboundStream {
  let ext: WebSocketExtension;
  let parts: Uint8Array[] = [];
  return {
    attach(ex: Exchange) {
      ext = new WebSocketExtension(ex.request, readTimeout, wait, link());
      ex.attached = ext;
      return true;
    },
    chunk(bytes, flags) {
      // Copied: a chunk from the helper is a view of the shared ring.
      parts.push(new Uint8Array(bytes));
      if (flags & MessageFlag.MORE) return;
      const whole = parts.length === 1 ? parts[0]! : concat(parts);
      parts = [];
      ext.deliver(flags & MessageFlag.TEXT ? new TextDecoder().decode(whole) : whole);
    },
    end(error, close) {
      if (close) ext.closedWith(close);
      ext.end(error);
    },
  };
}

/** A socket's events as a call's: the head when it opened, each message as a body chunk. */
export function socketEvents(sink: CallSink): SocketEvents {
  const encoder = new TextEncoder();
  return {
    opened: (head) => sink.head(head),
    message: (data) => (typeof data === 'string' ? sink.body(encoder.encode(data), MessageFlag.TEXT) : sink.body(data, 0)),
    closed: (code, reason) => sink.end({ code, reason }),
    failed: (message) => sink.fail(TransportCode.CONNECTION, message),
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}
