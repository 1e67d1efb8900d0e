/**
 * A doorbell on shared memory: writers ring it after publishing frames, a reader waits on
 * it. It counts rings rather than holding a flag, so a reader that samples the count,
 * drains, then waits on the sampled value can never miss a ring that came in between
 * (`Atomics.wait` returns at once when the count moved).
 *
 * Writers call `notify` only when a reader has said it is going to sleep, and the first
 * ring after that takes the flag down: a notify is a syscall (and for `waitAsync` a task
 * posted to the reader's loop), and until a woken reader runs again every further ring
 * would pay it for nothing. The order (the writer bumps the count before it takes the flag;
 * the reader raises the flag before it waits on the count) means a ring is never lost:
 * either the writer sees the flag, or the reader's wait sees the new count.
 *
 * Layout: i32 count at 0, i32 sleeping flag at 16 (a separate cache line).
 */
const COUNT = 0;
const SLEEPING = 16;
export const BELL_BYTES = 128;

export class Bell {
  readonly #cells: Int32Array;

  constructor(sab: SharedArrayBuffer, byteOffset = 0) {
    this.#cells = new Int32Array(sab, byteOffset, BELL_BYTES / 4);
  }

  static create(): SharedArrayBuffer {
    return new SharedArrayBuffer(BELL_BYTES);
  }

  ring(): void {
    Atomics.add(this.#cells, COUNT, 1);
    if (Atomics.load(this.#cells, SLEEPING) !== 0 && Atomics.exchange(this.#cells, SLEEPING, 0) !== 0) Atomics.notify(this.#cells, COUNT);
  }

  /** The count to pass to a later wait; sample it before draining. */
  sample(): number {
    return Atomics.load(this.#cells, COUNT);
  }

  /**
   * Spins on the count for up to `spinUs` microseconds; true as soon as it moves past
   * `seen`. Waking a sleeping thread costs ~40 us on a VM and a spin that sees the ring
   * costs nothing, so a waiter that expects a ring soon spins briefly before sleeping.
   */
  spin(seen: number, spinUs: number): boolean {
    if (spinUs <= 0) return false;
    const until = performance.now() + spinUs / 1000;
    const cells = this.#cells;
    do {
      // A few loads between clock reads: performance.now() is dearer than a load.
      for (let i = 0; i < 64; i++) if (Atomics.load(cells, COUNT) !== seen) return true;
    } while (performance.now() < until);
    return false;
  }

  /** Blocks the calling thread until rung after `seen`, or `timeoutMs` passes. */
  wait(seen: number, timeoutMs: number): void {
    Atomics.store(this.#cells, SLEEPING, 1);
    Atomics.wait(this.#cells, COUNT, seen, timeoutMs);
  }

  /**
   * Resolves when rung after `seen`, with whether it had to wait (false: the count had
   * moved already, and nothing else on the event loop ran meanwhile). Does not keep the
   * event loop alive by itself.
   */
  async waitAsync(seen: number): Promise<boolean> {
    Atomics.store(this.#cells, SLEEPING, 1);
    const r = Atomics.waitAsync(this.#cells, COUNT, seen);
    if (!r.async) return false;
    await r.value;
    return true;
  }
}
