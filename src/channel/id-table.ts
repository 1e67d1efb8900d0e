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
 * once the table had sat through a pause. An object in dictionary mode also moves to a new
 * table as it grows and shrinks, but drops the old one without a link.
 */
export class IdTable<T extends object> {
  #entries: Record<number, T> = Object.create(null) as Record<number, T>;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): T | undefined {
    return this.#entries[id];
  }

  set(id: number, value: T): void {
    if (this.#entries[id] === undefined) this.#size++;
    this.#entries[id] = value;
  }

  /** Removes the entry; false if there was none. */
  delete(id: number): boolean {
    if (this.#entries[id] === undefined) return false;
    delete this.#entries[id];
    this.#size--;
    return true;
  }

  /** The values by ascending id (a snapshot: entries may be removed while it is walked). */
  values(): T[] {
    return Object.values(this.#entries);
  }

  clear(): void {
    this.#entries = Object.create(null) as Record<number, T>;
    this.#size = 0;
  }
}
