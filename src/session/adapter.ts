/**
 * A session's end of the transport, as Requests' `HTTPAdapter` is: it owns the session's
 * place in an engine (the engine, the session id, the settings its pools were opened with)
 * and sends prepared requests. Everything that decides *what* to send lives in the
 * session and its {@link CallPlan}; this only carries it. Other carriers stand in its place
 * through {@link TransportPort}.
 */
import { Engine, type SendOptions } from '../engine/engine.js';
import type { PoolStats, TransportSessionConfig } from '../channel/session-config.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import { BodySource } from '../response/body-source.js';
import type { InFlight } from './flow.js';
import type { TlsConfig } from './tls.js';
import type { ExchangeDriver, TransportPort } from './transport-port.js';

export class Adapter implements TransportPort {
  readonly #workers: number | undefined;
  #engine: Engine | null = null;
  #sessionId = 0;
  /** The TLS settings the session's pools were opened with: a request with others says so. */
  #openedTls: TlsConfig | null = null;

  constructor(workers: number | undefined) {
    this.#workers = workers;
  }

  /** Whether the session has its place in an engine. */
  get opened(): boolean {
    return this.#engine !== null;
  }

  get sessionId(): number {
    return this.#sessionId;
  }

  /** The TLS settings the transport session was opened with (null before it was). */
  get openedTls(): TlsConfig | null {
    return this.#openedTls;
  }

  /** The engine, opening the session in it on first use with `config()`. */
  open(config: () => TransportSessionConfig): ExchangeDriver {
    if (this.#engine) return this.#engine;
    const engine = Engine.acquire(this.#workers);
    const c = config();
    this.#sessionId = engine.openSession(c);
    this.#openedTls = c.tls;
    this.#engine = engine;
    return engine;
  }

  /** Whether requests can be sent now without waiting for a worker to start. */
  get live(): boolean {
    return this.#engine !== null && this.#engine.hasLiveWorker;
  }

  async whenLive(): Promise<void> {
    if (this.#engine && !this.#engine.hasLiveWorker) await this.#engine.whenLive();
  }

  /** Sends a request of this session; it is in flight when this returns. */
  send(request: PreparedRequest, options: SendOptions): InFlight {
    const engine = this.#engine!;
    const exchange = engine.send(request, options);
    return { exchange, request, source: new BodySource(engine, exchange) };
  }

  pools(): PoolStats[] {
    return this.#engine ? this.#engine.poolStats(this.#sessionId) : [];
  }

  /** Ends the session's requests in flight and releases its pools. */
  close(): void {
    if (!this.#engine) return;
    this.#engine.closeSession(this.#sessionId);
    this.#engine.release();
    this.#engine = null;
  }
}
