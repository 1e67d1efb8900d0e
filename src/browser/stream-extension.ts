/**
 * What `r.extension` is built on in the browser: messages coming in (WebSocket messages, or
 * an event stream's events) queued as the carrier delivers them, read by blocking (a sync
 * `Session` in a worker) or by awaiting (`AsyncSession`), with the read timeout of the request
 * that opened it. A timeout leaves the stream usable.
 */
import { ReadTimeout, type RequestException } from '../errors.js';
import type { PreparedRequest } from '../request/prepared-request.js';

/** How a sync extension blocks: the session's driver (see ExchangeDriver.waitUntil). */
export type Wait = (done: () => boolean, wakeAt?: () => number) => void;

/** Per call: `timeout` (ms) over the request's read timeout; `null`: wait for ever. */
export interface NextOptions {
  timeout?: number | null;
}

export abstract class StreamExtension<T> {
  readonly #queue: T[] = [];
  #ended = false;
  #error: RequestException | null = null;
  #waiters: Array<() => void> = [];
  /** null: async; else how to block. */
  protected readonly wait: Wait | null;
  protected readonly request: PreparedRequest;
  readonly #readTimeout: number;

  constructor(request: PreparedRequest, readTimeout: number, wait: Wait | null) {
    this.request = request;
    this.#readTimeout = readTimeout;
    this.wait = wait;
  }

  /** Whether the stream has ended (closed by either side, or failed) and nothing is left to read. */
  get closed(): boolean {
    return this.#ended && this.#queue.length === 0;
  }

  /** @internal The carrier delivers an item. */
  deliver(item: T): void {
    this.#queue.push(item);
    this.#changed();
  }

  /** @internal No more will come; `error` when it broke. */
  end(error: RequestException | null = null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#changed();
  }

  /** The next item, or null at the end; blocks (sync) or resolves (async). */
  protected next(options: NextOptions | undefined): T | null | Promise<T | null> {
    const ms = options?.timeout === undefined ? this.#readTimeout : (options.timeout ?? 0);
    const ready = (): boolean => this.#queue.length > 0 || this.#ended;
    if (this.wait === null) return this.#nextAsync(ms, ready);
    if (!ready()) {
      const deadline = ms > 0 ? performance.now() + ms : Infinity;
      this.wait(() => ready() || performance.now() >= deadline, () => deadline);
      if (!ready()) throw this.#timedOut(ms);
    }
    return this.#take();
  }

  async #nextAsync(ms: number, ready: () => boolean): Promise<T | null> {
    if (!ready()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const changed = new Promise<void>((resolve) => this.#waiters.push(resolve));
      const timeout = ms > 0 ? new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))) : null;
      await (timeout ? Promise.race([changed, timeout]) : changed);
      clearTimeout(timer);
      if (!ready()) throw this.#timedOut(ms);
    }
    return this.#take();
  }

  #take(): T | null {
    const item = this.#queue.shift();
    if (item !== undefined) {
      this.taken(item);
      return item;
    }
    if (this.#error) throw this.#error;
    return null;
  }

  /** An item was handed to the reader (an event stream acknowledges its bytes). */
  protected taken(_item: T): void {}

  #timedOut(ms: number): ReadTimeout {
    return new ReadTimeout(`No message from ${this.request.url} within ${ms} ms (the stream stays open)`, { request: this.request });
  }

  #changed(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
