/**
 * The answers a worker's network resolvers got, shared by every session of that worker
 * that uses the same resolver: a bounded LRU map from (resolver, name) to the name's
 * addresses (A and AAAA together), kept for the answer's TTL held between a floor and a cap.
 * A name that does not exist (NXDOMAIN) or has no address is remembered briefly.
 */
import type { Address } from './system.js';

/** Names a worker remembers, the least recently used forgotten first. */
export const CACHE_CAPACITY = 1024;
/** The shortest and longest a positive answer is kept, seconds (a TTL of 0 still serves a burst). */
export const TTL_FLOOR = 1;
export const TTL_CAP = 300;
/** How long a negative answer (NXDOMAIN, no address) is kept, seconds. */
export const NEGATIVE_TTL = 5;

export interface CachedAnswer {
  /** Empty: the name has no address (`nxdomain` says whether it does not exist at all). */
  addresses: Address[];
  nxdomain: boolean;
}

interface Entry extends CachedAnswer {
  expires: number;
}

export class DnsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;

  constructor(capacity = CACHE_CAPACITY) {
    this.#capacity = capacity;
  }

  get(key: string): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expires <= performance.now()) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** `ttl`: seconds as the server gave it (null for a negative answer). */
  set(key: string, answer: CachedAnswer, ttl: number | null): void {
    const seconds = answer.addresses.length === 0 ? NEGATIVE_TTL : Math.min(TTL_CAP, Math.max(TTL_FLOOR, ttl ?? 0));
    this.#entries.delete(key);
    if (this.#entries.size >= this.#capacity) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { ...answer, expires: performance.now() + seconds * 1000 });
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** This worker's cache. */
export const workerCache = new DnsCache();
