/**
 * The slot table: how a worker finds its rings without a single message.
 *
 * The engine allocates every ring up front, twice as many slots as workers, and hands the
 * whole table to each worker as `workerData`. A worker claims a free slot with a compare-and-
 * swap when it starts and marks it alive; the main thread sees that in shared memory, so a
 * blocked synchronous caller never has to wait for a `postMessage` (rule 1 of docs/architecture.md).
 * When a worker dies its slot is drained, failed, reset and freed for a replacement.
 *
 * Table layout: one 64-byte line per slot: i32 state, i32 threadId, then the counters a
 * worker publishes about itself ({@link WorkerCounter}) so that a hang can be described
 * from any thread, even while the worker's own loop is stuck.
 */
import { Bell } from './bell.js';
import { Ring } from './ring.js';

/** SHUT: the worker has handled SHUTDOWN, and its thread may be stopped. */
export const SlotState = { FREE: 0, CLAIMED: 1, ALIVE: 2, DEAD: 3, SHUT: 4 } as const;

const LINE = 16; // i32 cells per slot
const STATE = 0;
const THREAD = 1;
const COUNTERS = 2;

/** What a worker publishes in its slot line for diagnostics (plain stores, read racily). */
export const WorkerCounter = {
  /** Requests the worker is carrying. */
  STREAMS: 0,
  /** Frames, and their payload bytes, queued in its outbox behind a full ring. */
  QUEUED_FRAMES: 1,
  QUEUED_BYTES: 2,
  /** Requests whose socket read is paused, and whose decoder output is paused. */
  PAUSED_SOCKETS: 3,
  PAUSED_DECODERS: 4,
  /** Sessions whose pools the worker holds (opened and not yet closed). */
  SESSIONS: 5,
} as const;
const COUNTER_NAMES = ['streams', 'queuedFrames', 'queuedBytes', 'pausedSockets', 'pausedDecoders', 'sessions'] as const;
const STATE_NAMES = ['free', 'claimed', 'alive', 'dead', 'shut'] as const;

/** One slot as {@link SlotTable.describe} sees it. */
export type SlotDescription = {
  slot: number;
  threadId: number;
  state: (typeof STATE_NAMES)[number];
  toWorkerBytes: number;
  toMainBytes: number;
} & Record<(typeof COUNTER_NAMES)[number], number>;

/** What crosses to a worker as `workerData`: plain SharedArrayBuffers only. */
export interface SlotTableInit {
  table: SharedArrayBuffer;
  mainBell: SharedArrayBuffer;
  slots: Array<{ toWorker: SharedArrayBuffer; toMain: SharedArrayBuffer; workerBell: SharedArrayBuffer }>;
}

/** One worker's end points: the rings both ways and the bell that wakes the worker. */
export interface Slot {
  readonly index: number;
  readonly toWorker: Ring;
  readonly toMain: Ring;
  readonly workerBell: Bell;
}

export class SlotTable {
  readonly init: SlotTableInit;
  readonly slots: Slot[];
  readonly mainBell: Bell;
  readonly #cells: Int32Array;

  static allocate(count: number, toWorkerBytes: number, toMainBytes: number): SlotTable {
    return new SlotTable({
      table: new SharedArrayBuffer(count * LINE * 4),
      mainBell: Bell.create(),
      slots: Array.from({ length: count }, () => ({
        toWorker: Ring.create(toWorkerBytes),
        toMain: Ring.create(toMainBytes),
        workerBell: Bell.create(),
      })),
    });
  }

  constructor(init: SlotTableInit) {
    this.init = init;
    this.#cells = new Int32Array(init.table);
    this.mainBell = new Bell(init.mainBell);
    this.slots = init.slots.map((s, index) => ({
      index,
      toWorker: new Ring(s.toWorker),
      toMain: new Ring(s.toMain),
      workerBell: new Bell(s.workerBell),
    }));
  }

  /** Worker side: takes the first free slot, or returns null when none is free. */
  claim(threadId: number): Slot | null {
    for (const slot of this.slots) {
      const at = slot.index * LINE;
      if (Atomics.compareExchange(this.#cells, at + STATE, SlotState.FREE, SlotState.CLAIMED) === SlotState.FREE) {
        Atomics.store(this.#cells, at + THREAD, threadId);
        Atomics.store(this.#cells, at + STATE, SlotState.ALIVE);
        this.mainBell.ring();
        return slot;
      }
    }
    return null;
  }

  state(index: number): number {
    return Atomics.load(this.#cells, index * LINE + STATE);
  }

  threadId(index: number): number {
    return Atomics.load(this.#cells, index * LINE + THREAD);
  }

  /** Adds `delta` to a diagnostics counter of the slot. */
  addCounter(index: number, counter: number, delta: number): void {
    this.#cells[index * LINE + COUNTERS + counter]! += delta;
  }

  /** The counters a slot's worker published, by name. */
  counters(index: number): Record<(typeof COUNTER_NAMES)[number], number> {
    const at = index * LINE + COUNTERS;
    return Object.fromEntries(COUNTER_NAMES.map((name, i) => [name, this.#cells[at + i]!])) as Record<(typeof COUNTER_NAMES)[number], number>;
  }

  /**
   * Every slot in use: its worker, what each ring holds and the worker's counters. Reads
   * shared memory only, so any thread holding the table can describe a stuck worker.
   */
  describe(): SlotDescription[] {
    return this.slots
      .filter((slot) => this.state(slot.index) !== SlotState.FREE)
      .map((slot) => ({
        slot: slot.index,
        threadId: this.threadId(slot.index),
        state: STATE_NAMES[this.state(slot.index)]!,
        toWorkerBytes: slot.toWorker.used,
        toMainBytes: slot.toMain.used,
        ...this.counters(slot.index),
      }));
  }

  /** Worker side, while exiting: tells the main thread this slot's worker is gone. */
  markDead(index: number): void {
    Atomics.store(this.#cells, index * LINE + STATE, SlotState.DEAD);
    this.mainBell.ring();
  }

  /** Worker side, once it has handled SHUTDOWN: the main thread may stop it now. */
  markShut(index: number): void {
    Atomics.compareExchange(this.#cells, index * LINE + STATE, SlotState.ALIVE, SlotState.SHUT);
    this.mainBell.ring();
  }

  /** Main side, once a dead slot has been drained and its streams failed. */
  free(index: number): void {
    const slot = this.slots[index]!;
    slot.toWorker.reset();
    slot.toMain.reset();
    this.#cells.fill(0, index * LINE + COUNTERS, index * LINE + LINE);
    Atomics.store(this.#cells, index * LINE + THREAD, 0);
    Atomics.store(this.#cells, index * LINE + STATE, SlotState.FREE);
  }
}
