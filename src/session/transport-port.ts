/**
 * The line between a session's policy and whatever carries its requests. Everything above
 * it (prepare, the flow of redirects, cookies, retries and hooks, responses) is the same for
 * every carrier; below it is the engine and its transport workers ({@link Adapter}), and
 * other carriers can stand in its place: an app called in process, or the browser's fetch.
 *
 * A carrier fills {@link Exchange}s (head, body chunks, end or error, `notify()`) and hands
 * each out with a {@link BodySource} over its own {@link ExchangeDriver}.
 */
import type { SendOptions } from '../engine/engine.js';
import type { Exchange } from '../engine/exchange.js';
import type { RequestException } from '../errors.js';
import type { PoolStats, TransportSessionConfig } from '../channel/session-config.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import type { InFlight } from './flow.js';
import type { TlsConfig } from './tls.js';

/** What responses and waits ask of the carrier of their exchanges. */
export interface ExchangeDriver {
  /**
   * Blocks the calling thread until `done()` is true (sync API only; a carrier that cannot
   * block throws). `wakeAt` (performance.now clock) makes it look again by then.
   */
  waitUntil(done: () => boolean, wakeAt?: () => number): void;
  /** Stops an exchange the caller no longer wants; it fails with `reason`. */
  cancel(ex: Exchange, reason?: RequestException): void;
  /** A windowed consumer has taken `bytes` (`flags`: CreditFlag bits). */
  credit(ex: Exchange, bytes: number, flags?: number): void;
}

/** A session's end of its carrier, as Requests' `HTTPAdapter` is. */
export interface TransportPort {
  /** Whether requests can be sent now without waiting for the carrier to start. */
  readonly live: boolean;
  /** The session's id with its carrier (0 before it opened). */
  readonly sessionId: number;
  /** The TLS settings the session was opened with (null before it opened). */
  readonly openedTls: TlsConfig | null;
  /** Opens the session with its carrier on first use, with `config()`; returns its driver. */
  open(config: () => TransportSessionConfig): ExchangeDriver;
  /** Resolves when the carrier can take requests (after {@link open}). */
  whenLive(): Promise<void>;
  /** Sends a request of this session; it is in flight when this returns. */
  send(request: PreparedRequest, options: SendOptions): InFlight;
  pools(): PoolStats[];
  /** Ends the session's requests in flight and releases what it holds. */
  close(): void;
}
