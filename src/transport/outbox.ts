/**
 * The worker's writing end of the channel: frames to the main thread.
 *
 * Writes go straight into the ring. When the ring is full, frames wait in a FIFO (so a
 * stream's head, body and end stay in order) and the outbox reports itself congested:
 * body producers pause their sockets until it drains, which bounds the queue to about one
 * chunk per stream. The main thread is woken once per turn of this worker's event loop,
 * however many frames were written in it.
 */
import type { BinaryWriter } from '../channel/binary.js';
import type { Bell } from '../channel/bell.js';
import type { Ring } from '../channel/ring.js';
import { WorkerCounter } from '../channel/slots.js';

/** Adds to one of the worker's published diagnostics counters (channel/slots.ts). */
export type CountFn = (counter: number, delta: number) => void;

interface Pending {
  type: number;
  flags: number;
  stream: number;
  aux: number;
  payload: Buffer | null;
}

export class Outbox {
  readonly #ring: Ring;
  readonly #bell: Bell;
  readonly #queue: Pending[] = [];
  readonly #onDrain = new Set<() => void>();
  #waiting = false;
  #bellScheduled = false;
  /** Publishes diagnostics counters; every user of the outbox counts through it. */
  readonly count: CountFn;

  /** Called after each bell to the main thread (the host may linger for a next request). */
  readonly #afterBell: () => void;

  constructor(ring: Ring, bell: Bell, count: CountFn = () => {}, afterBell: () => void = () => {}) {
    this.#ring = ring;
    this.#bell = bell;
    this.count = count;
    this.#afterBell = afterBell;
  }

  /** The largest payload a single frame can hold. */
  get maxPayload(): number {
    return this.#ring.maxPayload;
  }

  /** True while frames are queued behind a full ring: producers should pause. */
  get congested(): boolean {
    return this.#queue.length > 0;
  }

  /** Calls `fn` once when the congestion clears. */
  onceDrained(fn: () => void): void {
    this.#onDrain.add(fn);
  }

  /** Sends a frame whose payload is `payload[start, end)`; it is copied, never kept. */
  send(type: number, flags: number, stream: number, aux: number, payload?: Uint8Array, start = 0, end = payload?.length ?? 0): void {
    if (this.#queue.length === 0 && this.#ring.write(type, flags, stream, aux, payload, start, end)) {
      this.#scheduleBell();
      return;
    }
    this.#queue.push({ type, flags, stream, aux, payload: end > start ? Buffer.from(payload!.subarray(start, end)) : null });
    this.count(WorkerCounter.QUEUED_FRAMES, 1);
    this.count(WorkerCounter.QUEUED_BYTES, end - start);
    this.#waitForRoom();
  }

  /** Sends the payload a BinaryWriter holds. */
  sendWritten(type: number, flags: number, stream: number, aux: number, w: BinaryWriter): void {
    this.send(type, flags, stream, aux, w.buf, 0, w.pos);
  }

  /**
   * Last words, from a `process.on('exit')` handler: written now if there is room, and the
   * main thread is rung at once, since no later turn of the loop will come.
   */
  sendFinal(type: number, payload: Uint8Array): void {
    this.#ring.write(type, 0, 0, 0, payload);
    this.#bell.ring();
  }

  #scheduleBell(): void {
    if (this.#bellScheduled) return;
    this.#bellScheduled = true;
    // setImmediate runs after every I/O callback of this loop turn: one wake-up per batch.
    setImmediate(this.#ringBell);
  }

  readonly #ringBell = (): void => {
    this.#bellScheduled = false;
    this.#bell.ring();
    this.#afterBell();
  };

  #waitForRoom(): void {
    if (this.#waiting) return;
    this.#waiting = true;
    this.#bell.ring(); // the reader may be asleep with a full ring to read
    void this.#waitLoop();
  }

  async #waitLoop(): Promise<void> {
    const [cells, index] = this.#ring.headCell;
    while (this.#queue.length > 0) {
      const first = this.#queue[0]!;
      const seen = this.#ring.markBlocked(first.payload?.length ?? 0);
      if (seen !== null) {
        const r = Atomics.waitAsync(cells, index, seen);
        if (r.async) await r.value;
      }
      while (this.#queue.length > 0) {
        const p = this.#queue[0]!;
        if (!this.#ring.write(p.type, p.flags, p.stream, p.aux, p.payload ?? undefined)) break;
        this.#queue.shift();
        this.count(WorkerCounter.QUEUED_FRAMES, -1);
        this.count(WorkerCounter.QUEUED_BYTES, -(p.payload?.length ?? 0));
      }
      this.#bell.ring();
    }
    this.#waiting = false;
    const fns = [...this.#onDrain];
    this.#onDrain.clear();
    for (const fn of fns) fn();
  }
}
