/**
 * Drives a {@link requestFlow}: resumes the generator whenever what it waits for is there.
 * The same runner serves both APIs: `runSync` blocks in the engine, `run` awaits; `poll`
 * advances without waiting, which is how a sync `gather` moves many flows at once.
 */
import type { ExchangeDriver } from './transport-port.js';
import type { Exchange } from '../engine/exchange.js';
import type { BaseResponse } from '../response/base-response.js';
import type { Effect } from './flow.js';

let finished = 0;

export class FlowRunner {
  readonly #gen: Generator<Effect, BaseResponse, void>;
  #effect: Effect | null = null;
  #result: BaseResponse | null = null;
  #error: unknown = null;
  #done = false;
  #running: Promise<BaseResponse> | null = null;
  /** Cuts a pause short (abort). */
  #wake: (() => void) | null = null;
  /** The generator is running (a hook inside it may abort the flow). */
  #stepping = false;
  /** An abort that came while the generator was running, applied once it yields. */
  #abortedWhileStepping: Error | null = null;
  /** When the flow's signal would abort if its timer could run (performance.now clock). */
  #abortAt = Infinity;
  #onAbortAt: (() => void) | null = null;
  #onFinish: (() => void) | null = null;
  /** Order of completion among all flows, by when their last frame arrived. */
  seq = 0;

  /** The call's final response is streamed (`stream: true`, a WebSocket, an event stream). */
  readonly streamed: boolean;

  constructor(gen: Generator<Effect, BaseResponse, void>, streamed = false) {
    this.#gen = gen;
    this.streamed = streamed;
    this.#advance();
  }

  get done(): boolean {
    return this.#done;
  }

  /** The exchange the flow waits on, if it waits on one. */
  get exchange(): Exchange | null {
    const e = this.#effect;
    return e && e.kind !== 'sleep' ? e.exchange : null;
  }

  /** Whether the current wait is over. */
  get ready(): boolean {
    const e = this.#effect!;
    switch (e.kind) {
      case 'head':
        return e.exchange.headSettled;
      case 'body':
        return e.exchange.done;
      case 'sleep':
        return performance.now() >= e.until;
    }
  }

  /** When the flow wants to be looked at even if no frame came (ms, performance.now clock). */
  get wakeAt(): number {
    return Math.min(this.#effect?.kind === 'sleep' ? this.#effect.until : Infinity, this.#abortAt);
  }

  /** Advances as far as possible without waiting; returns whether the flow has finished. */
  poll(): boolean {
    if (!this.#done && performance.now() >= this.#abortAt) this.#onAbortAt!();
    while (!this.#done && this.ready) this.#advance();
    return this.#done;
  }

  /**
   * Calls `abort` from {@link poll} once `deadline` has passed: a sync wait blocks the event
   * loop, so a signal's own timer cannot fire during it.
   */
  abortAt(deadline: number, abort: () => void): void {
    this.#abortAt = deadline;
    this.#onAbortAt = abort;
  }

  /** The flow's response, or its error thrown. */
  outcome(): BaseResponse {
    if (this.#error !== null) throw this.#error;
    return this.#result!;
  }

  /** Ends the flow with `error` (an aborted signal), even in the middle of a pause. */
  abort(error: Error): void {
    if (this.#done) return;
    if (this.#stepping) {
      this.#abortedWhileStepping ??= error;
      return;
    }
    this.#error = error;
    this.#finish();
    this.#gen.return(undefined as never);
    this.#wake?.();
  }

  runSync(driver: ExchangeDriver): BaseResponse {
    while (!this.poll()) driver.waitUntil(() => this.poll(), () => this.wakeAt);
    return this.outcome();
  }

  /** Runs the flow on the event loop; calling it again returns the same promise. */
  run(): Promise<BaseResponse> {
    this.#running ??= this.#runAsync();
    return this.#running;
  }

  async #runAsync(): Promise<BaseResponse> {
    while (!this.poll()) {
      const e = this.#effect!;
      if (e.kind === 'sleep') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, e.until - performance.now()));
          this.#wake = () => (clearTimeout(timer), resolve());
        });
        this.#wake = null;
      } else await e.exchange.changed();
    }
    return this.outcome();
  }

  #advance(): void {
    const last = this.#effect;
    this.#stepping = true;
    try {
      const step = this.#gen.next();
      if (step.done) {
        this.#result = step.value;
        this.#finish(last);
      } else {
        this.#effect = step.value;
      }
    } catch (err) {
      this.#error = err;
      this.#finish(last);
    } finally {
      this.#stepping = false;
    }
    if (this.#abortedWhileStepping) this.abort(this.#abortedWhileStepping);
  }

  /** Calls `fn` once when the flow ends (at once if it has). */
  onFinish(fn: () => void): void {
    if (this.#done) fn();
    else this.#onFinish = fn;
  }

  #finish(last: Effect | null = this.#effect): void {
    this.#done = true;
    this.#onFinish?.();
    this.#onFinish = null;
    this.#abortAt = Infinity;
    const ex = last && last.kind !== 'sleep' ? last.exchange : null;
    this.seq = ex ? (last!.kind === 'head' ? ex.headSeq : ex.doneSeq) || ++finished : ++finished;
  }
}
