/**
 * Which connection each response came on, for `r.connInfo`. Sockets get an id the first
 * time a response uses them, and their description crosses to the main thread once, in a
 * CONNECTION frame; heads then carry only the id.
 *
 * undici does not tell a handler its socket; its public diagnostics channel
 * `undici:client:sendHeaders` does, with the core request, whose handler is ours.
 */
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { FrameType } from '../channel/frames.js';
import { connectionInfo, describe } from './connector.js';
import type { Outbox } from './outbox.js';

export class Connections {
  readonly #ids = new WeakMap<Socket, number>();
  readonly #outbox: Outbox;
  #next = 1;

  constructor(outbox: Outbox, onSent: (handler: unknown, socket: Socket) => void) {
    this.#outbox = outbox;
    let handlerKey: symbol | undefined;
    diagnostics.subscribe('undici:client:sendHeaders', (message) => {
      const { request, socket } = message as { request: object; socket: Socket };
      handlerKey ??= Object.getOwnPropertySymbols(request).find((s) => s.description === 'handler');
      if (handlerKey) onSent((request as Record<symbol, unknown>)[handlerKey], socket);
    });
  }

  /** An id for answers of an app the worker calls, announced once with what `r.connInfo` says. */
  announce(info: string): number {
    const id = this.#next++;
    this.#outbox.send(FrameType.CONNECTION, 0, id, 0, Buffer.from(info));
    return id;
  }

  /** The socket's id, announcing the socket to the main thread the first time. */
  idOf(socket: Socket): number {
    let id = this.#ids.get(socket);
    if (id === undefined) {
      id = this.#next++;
      this.#ids.set(socket, id);
      const info = connectionInfo.get(socket) ?? describe(socket, (socket as TLSSocket).alpnProtocol || 'http/1.1', { resolution: null, connection: null, tlsHandshake: null });
      this.#outbox.send(FrameType.CONNECTION, 0, id, 0, Buffer.from(JSON.stringify(info)));
    }
    return id;
  }
}
