/**
 * A response body as it arrives from the session's carrier (the engine, or another: see
 * TransportPort), read either by blocking (sync API) or by awaiting (async API). Reading a
 * streamed body acknowledges it to the carrier, which is what lets it read more from the
 * socket.
 */
import type { ExchangeDriver } from '../session/transport-port.js';
import type { Exchange } from '../engine/exchange.js';
import { CreditFlag } from '../channel/frames.js';
import { StreamConsumedError } from '../errors.js';
import { RESPONSE_WINDOW } from '../channel/windows.js';

export class BodySource {
  readonly exchange: Exchange;
  readonly #driver: ExchangeDriver;
  #content: Buffer | null = null;
  /** Bytes handed to a stream reader: once any were, the whole content is gone. */
  #streamed = false;
  /** Bytes acknowledged to the worker so far. */
  #credited = 0;
  #consumed = 0;
  /** Whether a windowed body's window has been opened (by the first read). */
  #opened = false;
  /** The body is read undecoded (`r.raw`). */
  #raw = false;

  constructor(driver: ExchangeDriver, exchange: Exchange) {
    this.#driver = driver;
    this.exchange = exchange;
  }

  /** The carrier the body comes through (an extension's reader waits in it). */
  get driver(): ExchangeDriver {
    return this.#driver;
  }

  /** Opens a windowed body's window for a decoded read, without waiting for anything. */
  openWindow(): void {
    this.#open(false);
  }

  /** Whether every byte is in (or the exchange failed). */
  get complete(): boolean {
    return this.exchange.done;
  }

  /** The whole body, blocking until it is in. */
  readAllSync(): Buffer {
    if (this.#content) return this.#content;
    this.#assertNotStreamed();
    const ex = this.exchange;
    this.#open(false);
    while (!ex.done) {
      // Everything received is as good as consumed: acknowledge it so a windowed body keeps coming.
      const seen = ex.receivedBytes;
      this.#creditUpTo(seen, true);
      this.#driver.waitUntil(() => ex.done || ex.receivedBytes > seen);
    }
    return this.#collect();
  }

  /** The whole body, awaiting it. */
  async readAll(): Promise<Buffer> {
    if (this.#content) return this.#content;
    this.#assertNotStreamed();
    const ex = this.exchange;
    this.#open(false);
    while (!ex.done) {
      this.#creditUpTo(ex.receivedBytes, true);
      await ex.changed();
    }
    return this.#collect();
  }

  /** The next chunk as received, blocking; `null` at the end. `raw`: undecoded (first read decides). */
  nextChunkSync(raw = false): Buffer | null {
    const ex = this.exchange;
    this.#open(raw);
    if (ex.chunks.length === 0 && !ex.done) this.#driver.waitUntil(() => ex.chunks.length > 0 || ex.done);
    return this.#takeOne();
  }

  /** The next chunk as received; `null` at the end. `raw`: undecoded (first read decides). */
  async nextChunk(raw = false): Promise<Buffer | null> {
    const ex = this.exchange;
    this.#open(raw);
    while (ex.chunks.length === 0 && !ex.done) await ex.changed();
    return this.#takeOne();
  }

  /** Stops the transfer if it is still running. */
  close(): void {
    if (!this.exchange.done) this.#driver.cancel(this.exchange);
    this.exchange.discardBody();
  }

  /** Whether any of the body was handed to a stream reader. */
  get streamed(): boolean {
    return this.#streamed;
  }

  /** The whole body if it has all arrived and nothing was streamed; never waits. */
  readAllIfComplete(): Buffer | null {
    if (this.#content) return this.#content;
    if (!this.exchange.ended || this.#streamed) return null;
    return this.#collect();
  }

  /** Whether the body is being read undecoded. */
  get raw(): boolean {
    return this.#raw;
  }

  /**
   * Lets a windowed body come in whole without anyone reading it, for a response that turned
   * out not to be the final one (a redirect hop): its body is kept for `history`.
   */
  unwindow(): void {
    if (this.#opened || !this.exchange.windowed) return;
    this.#opened = true;
    this.#driver.credit(this.exchange, RESPONSE_WINDOW, CreditFlag.UNBOUNDED);
    this.exchange.windowed = false;
  }

  /** Opens a windowed body's window, saying whether it is wanted decoded or raw. */
  #open(raw: boolean): void {
    if (this.#opened || !this.exchange.windowed) return;
    this.#opened = true;
    this.#raw = raw;
    if (!this.exchange.done) this.#driver.credit(this.exchange, RESPONSE_WINDOW, raw ? CreditFlag.RAW : 0);
  }

  #takeOne(): Buffer | null {
    const ex = this.exchange;
    const chunk = ex.chunks.shift();
    if (chunk) {
      this.#streamed = true;
      this.#consumed += chunk.length;
      this.#creditUpTo(this.#consumed, ex.chunks.length === 0);
      return chunk;
    }
    if (ex.error) throw ex.error;
    return null;
  }

  #collect(): Buffer {
    const ex = this.exchange;
    if (ex.error) throw ex.error;
    const chunks = ex.takeChunks();
    this.#content = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    return this.#content;
  }

  /**
   * Acknowledges consumption up to `total` bytes. Batched: the worker hears of it every
   * quarter window, or at once when the reader has nothing left buffered (`urgent`).
   */
  #creditUpTo(total: number, urgent: boolean): void {
    if (!this.exchange.windowed) return;
    const owed = total - this.#credited;
    if (owed > 0 && (urgent || owed >= 256 * 1024)) {
      this.#driver.credit(this.exchange, owed);
      this.#credited = total;
    }
  }

  #assertNotStreamed(): void {
    if (this.#streamed) throw new StreamConsumedError('The content of this response was already consumed by iterContent()/iterLines()', { request: this.exchange.request });
  }
}
