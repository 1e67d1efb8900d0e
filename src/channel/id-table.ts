/**
 * Entries by integer id, for what comes and goes on the hot path at either end of the
 * channel (a request adds one and removes it, tens of thousands of times a second): a
 * worker's streams, the engine's exchanges, a session's lazy responses.
 *
 * Not a `Map`, for the garbage collector's sake. A Map whose entries keep coming and going
 * is rehashed into a fresh table every so often, and V8 links each retired table to its
 * successor (for iterators still walking it). Once one table has lived through two
 * scavenges it is promoted, and from then on it holds its successor alive, which holds the
 * next: every table since, and every value they held, survives each scavenge until the next
 * full collection. Measured in a transport worker with 64 requests in flight: 98% of what a
 * scavenge copied was promoted by the next one, ~2.2 MB each time (about the whole of every
 * request's objects); and on the main thread ~4 MB a scavenge for a multiplexed `gather`
 * once the table had sat through a pause. (A WeakMap did the same; an object used as a
 * dictionary did not, but each of its stores and deletes was a call into the runtime.)
 *
 * So: open addressing on two arrays, the slot of an id being its low bits (ids are handed
 * out in sequence, so the entries in flight rarely collide), deletion by shifting back the
 * entries after it. A table that grows or shrinks empties the arrays it leaves, so nothing
 * it held is kept alive by them.
 */
const MIN_CAPACITY = 16;
/** Only tables grown past this shrink again (after a spike): small ones would thrash. */
const SHRINK_ABOVE = 1024;

export class IdTable<T extends object> {
  #ids = new Float64Array(MIN_CAPACITY);
  /** undefined: a free slot. */
  #values: Array<T | undefined> = new Array<T | undefined>(MIN_CAPACITY).fill(undefined);
  #mask = MIN_CAPACITY - 1;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    const values = this.#values;
    const mask = this.#mask;
    for (let i = id & mask; ; i = (i + 1) & mask) {
      const v = values[i];
      if (v === undefined || this.#ids[i] === id) return v;
    }
  }

  set(id: number, value: T): void {
    const values = this.#values;
    const mask = this.#mask;
    let i = id & mask;
    for (; values[i] !== undefined; i = (i + 1) & mask) {
      if (this.#ids[i] === id) {
        values[i] = value;
        return;
      }
    }
    values[i] = value;
    this.#ids[i] = id;
    if (++this.#size * 2 > values.length) this.#resize(values.length * 2);
  }

  /** Removes the entry; false if there was none. */
  delete(id: number): boolean {
    const values = this.#values;
    const ids = this.#ids;
    const mask = this.#mask;
    let i = id & mask;
    for (; ; i = (i + 1) & mask) {
      if (values[i] === undefined) return false;
      if (ids[i] === id) break;
    }
    // Entries after the hole that could not sit in their own slot move back into it, so a
    // lookup never stops at a hole short of its entry.
    for (let j = (i + 1) & mask; values[j] !== undefined; j = (j + 1) & mask) {
      const home = ids[j]! & mask;
      const staysPut = i <= j ? i < home && home <= j : i < home || home <= j;
      if (staysPut) continue;
      values[i] = values[j];
      ids[i] = ids[j]!;
      i = j;
    }
    values[i] = undefined;
    if (--this.#size * 8 < values.length && values.length > SHRINK_ABOVE) this.#resize(values.length / 2);
    return true;
  }

  /** The values by ascending id (a snapshot: entries may be removed while it is walked). */
  values(): T[] {
    const found: Array<{ id: number; value: T }> = [];
    for (let i = 0; i < this.#values.length; i++) {
      const value = this.#values[i];
      if (value !== undefined) found.push({ id: this.#ids[i]!, value });
    }
    return found.sort((a, b) => a.id - b.id).map((e) => e.value);
  }

  clear(): void {
    this.#values.fill(undefined);
    this.#size = 0;
  }

  #resize(capacity: number): void {
    const values = this.#values;
    const ids = this.#ids;
    this.#ids = new Float64Array(capacity);
    this.#values = new Array<T | undefined>(capacity).fill(undefined);
    this.#mask = capacity - 1;
    this.#size = 0;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value !== undefined) this.set(ids[i]!, value);
    }
    values.fill(undefined);
  }
}
