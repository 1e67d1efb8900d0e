/**
 * Drives a {@link requestFlow}: resumes the generator whenever what it waits for is there.
 * The same runner serves both APIs: `runSync` blocks in the engine, `run` awaits; `poll`
 * advances without waiting, which is how a sync `gather` moves many flows at once.
 */
import type { Engine } from '../engine/engine.js';
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
  /** Order of completion among all flows, by when their last frame arrived. */
  seq = 0;

  constructor(gen: Generator<Effect, BaseResponse, void>) {
    this.#gen = gen;
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

  /** When a sleeping flow wants to be woken (ms, performance.now clock); Infinity otherwise. */
  get wakeAt(): number {
    return this.#effect?.kind === 'sleep' ? this.#effect.until : Infinity;
  }

  /** Advances as far as possible without waiting; returns whether the flow has finished. */
  poll(): boolean {
    while (!this.#done && this.ready) this.#advance();
    return this.#done;
  }

  /** The flow's response, or its error thrown. */
  outcome(): BaseResponse {
    if (this.#error !== null) throw this.#error;
    return this.#result!;
  }

  /** Ends the flow with `error` (an aborted signal), even in the middle of a pause. */
  abort(error: Error): void {
    if (this.#done) return;
    this.#error = error;
    this.#finish();
    this.#gen.return(undefined as never);
    this.#wake?.();
  }

  runSync(engine: Engine): BaseResponse {
    while (!this.poll()) engine.waitUntil(() => this.poll(), () => this.wakeAt);
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
    }
  }

  #finish(last: Effect | null = this.#effect): void {
    this.#done = true;
    const ex = last && last.kind !== 'sleep' ? last.exchange : null;
    this.seq = ex ? (last!.kind === 'head' ? ex.headSeq : ex.doneSeq) || ++finished : ++finished;
  }
}
