/**
 * The inbound side of `r.extension` for each kind, the same whichever thread holds the
 * socket or the fetch: {@link socketStream} gathers a WebSocket's messages, {@link eventStream}
 * an event stream's bytes (see exchange-sink.ts for where they come from).
 */
import { CreditFlag } from '../channel/frames.js';
import { RESPONSE_WINDOW } from '../channel/windows.js';
import type { Exchange } from '../engine/exchange.js';
import type { InboundStream } from './exchange-sink.js';
import { MessageFlag } from './fetch-call.js';
import { TransportCode } from '../channel/error-codes.js';
import { EventStreamExtension } from './sse.js';
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
      ex.extension = ext;
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
    end(error) {
      ext.end(error);
    },
  };
}

export function eventStream(readTimeout: number, wait: Wait | null, carried: () => Carried): InboundStream {
  let ext: EventStreamExtension;
  return {
    attach(ex: Exchange) {
      // Anything but an event stream is an ordinary response: let its body come.
      if (ex.head!.status !== 200) {
        carried().credit(RESPONSE_WINDOW, CreditFlag.UNBOUNDED);
        return false;
      }
      ext = new EventStreamExtension(ex.request, readTimeout, wait, () => carried().cancel(), (bytes) => carried().credit(bytes, 0));
      ex.extension = ext;
      carried().credit(RESPONSE_WINDOW, 0);
      return true;
    },
    chunk(bytes) {
      ext.push(new Uint8Array(bytes)); // copied: TextDecoder refuses a view of the shared ring
    },
    end(error) {
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
    closed: () => sink.end(),
    failed: (message) => sink.fail(TransportCode.CONNECTION, message),
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}
