/**
 * The HTTP/3 connection of one origin pool: opened on first use, replaced when it closes or
 * the server sends GOAWAY. Requests beyond the server's stream limit wait on it
 * (h3-connection.ts). When the connection cannot be made (no QUIC layer, a failed
 * handshake, UDP that gets no answer) the requests waiting for it go over TCP instead, and
 * the origin is left to TCP for a while (h3-routes.ts).
 */
import type { TlsConfig } from '../../channel/tls-profile.js';
import type { Dialing } from '../connector.js';
import type { LegacyHandler, NativeRequest } from '../native-h2.js';
import { H3Connection, type H3Target } from './h3-connection.js';
import type { H3Routes } from './h3-routes.js';
import { loadQuic } from './quic-loader.js';

/** The longest a QUIC handshake may take before TCP is used instead, ms. */
const MAX_HANDSHAKE = 3000;

interface Waiting {
  request: NativeRequest;
  handler: LegacyHandler;
  /** Sends the request over TCP instead. */
  fallback: () => void;
}

export class H3Pool {
  readonly #origin: string;
  readonly #routes: H3Routes;
  readonly #tls: TlsConfig;
  readonly #connectTimeout: number;
  readonly #dialing: Dialing;
  #connection: H3Connection | null = null;
  #opening: Waiting[] | null = null;
  #closed = false;

  constructor(origin: string, routes: H3Routes, tls: TlsConfig, connectTimeout: number, dialing: Dialing) {
    this.#origin = origin;
    this.#routes = routes;
    this.#tls = tls;
    this.#connectTimeout = connectTimeout;
    this.#dialing = dialing;
  }

  get stats(): { connected: number; running: number; pending: number } {
    const c = this.#connection;
    return { connected: c ? 1 : 0, running: c?.active ?? 0, pending: this.#opening?.length ?? 0 };
  }

  dispatch(target: H3Target, request: NativeRequest, handler: LegacyHandler, fallback: () => void): void {
    const c = this.#connection;
    if (c !== null && c.usable) {
      c.request(request, handler, fallback);
      return;
    }
    if (this.#opening !== null) {
      this.#opening.push({ request, handler, fallback });
      return;
    }
    this.#opening = [{ request, handler, fallback }];
    let connection: H3Connection | null = null;
    // Half the connect timeout at most, so that TCP still has the other half.
    const budget = this.#connectTimeout > 0 ? Math.min(this.#connectTimeout / 2, MAX_HANDSHAKE) : MAX_HANDSHAKE;
    loadQuic()
      .catch((err: Error) => {
        this.#routes.unavailable = err.message;
        throw err;
      })
      .then((quic) =>
        H3Connection.open(quic, target, this.#tls, budget, this.#dialing, () => this.#dropped(connection), () => this.#routes.broke(this.#origin)),
      )
      .then(
        (made) => {
          connection = made;
          const waiting = this.#opening ?? [];
          this.#opening = null;
          if (this.#closed) {
            void made.destroy();
            for (const w of waiting) w.handler.onError(new Error('the session closed'));
            return;
          }
          this.#connection = made;
          for (const w of waiting) made.request(w.request, w.handler, w.fallback);
        },
        () => {
          const waiting = this.#opening ?? [];
          this.#opening = null;
          this.#routes.broke(this.#origin);
          for (const w of waiting) w.fallback();
        },
      );
  }

  close(): void {
    this.#closed = true;
    this.#connection?.close();
  }

  destroy(): void {
    this.#closed = true;
    void this.#connection?.destroy();
  }

  #dropped(c: H3Connection | null): void {
    if (this.#connection === c) this.#connection = null;
  }
}
