/**
 * Which worker a session's request to an origin goes to: origin affinity.
 *
 * A connection lives in one worker. An HTTP/2 origin needs one connection, so all of a
 * session's requests to it go to one worker, its home. An HTTP/1.1 origin can have
 * connections in every worker, but a request is cheapest where an idle connection waits
 * for it, and a script making one request at a time should use one connection, not one
 * per worker (round-robin used to alternate workers, waking each in turn and opening a
 * connection in each). So HTTP/1.1 requests also go home while the home worker carries
 * fewer than {@link AFFINITY} of them; past that they spill to the worker carrying the
 * fewest, so a burst still spreads over every worker.
 *
 * What an origin speaks is known from its first response. Until that head arrives, a new
 * origin that may speak HTTP/2 keeps all its requests on its home: a first burst to an
 * HTTP/2 origin becomes streams of one connection instead of one connection per worker.
 */
import { HttpVersionCode } from '../channel/frames.js';
import { originOf } from '../request/url.js';

/** HTTP/1.1 requests of one origin a home worker takes before others share them. */
export const AFFINITY = 4;

const enum Phase {
  /** May speak HTTP/2 and the first head has not arrived: stay home. */
  Probing,
  /** HTTP/2: always home. */
  Homed,
  /** HTTP/1.1: home first, spilling by load. */
  Spread,
}

export class Home {
  #phase: Phase;
  /** Requests of this origin in flight, per slot. */
  readonly #load: Int32Array;

  constructor(
    public slot: number,
    readonly origin: string,
    readonly table: Map<string, Home>,
    slots: number,
    mayBeH2: boolean,
  ) {
    this.#phase = mayBeH2 ? Phase.Probing : Phase.Spread;
    this.#load = new Int32Array(slots);
  }

  /** Whether every request must go to {@link slot}. */
  get pinned(): boolean {
    return this.#phase !== Phase.Spread;
  }

  /**
   * The slot for the next request: home while it has room (or must be used), else the
   * live slot carrying the fewest of this origin's requests.
   */
  pick(alive: (slot: number) => boolean): number {
    const load = this.#load;
    if (this.pinned || load[this.slot]! < AFFINITY) return this.slot;
    let best = this.slot;
    for (let i = 0; i < load.length; i++) if (load[i]! < load[best]! && alive(i)) best = i;
    return best;
  }

  /** A request went to `slot`. */
  took(slot: number): void {
    this.#load[slot]!++;
  }

  /** A request on `slot` ended. */
  released(slot: number): void {
    this.#load[slot]!--;
  }

  /** A response head arrived: the origin is known to speak `httpVersion` now. */
  settle(httpVersion: number): void {
    if (this.#phase === Phase.Probing) this.#phase = httpVersion === HttpVersionCode['HTTP/2'] ? Phase.Homed : Phase.Spread;
  }

  /** A request failed before its head: nothing was learnt, so the next one probes afresh. */
  unsettled(): void {
    if (this.#phase === Phase.Probing && this.table.get(this.origin) === this) this.table.delete(this.origin);
  }
}

// Enough for a crawl's working set; the oldest origins are forgotten first.
const MAX_ORIGINS_PER_SESSION = 4096;

export class Homes {
  readonly #bySession = new Map<number, Map<string, Home>>();
  readonly #slots: number;
  /**
   * The home found last and its session: a request usually goes where the one before went,
   * and comparing its URL with that origin in place spares slicing the origin out and
   * hashing it for the lookup.
   */
  #last: Home | null = null;
  #lastSession = 0;

  constructor(slots: number) {
    this.#slots = slots;
  }

  /**
   * The home of `url`'s origin in this session. A new origin is homed on `pick()`'s
   * worker, and so is a known one whose home worker died.
   */
  homeOf(sessionId: number, url: string, mayBeH2: boolean, alive: (slot: number) => boolean, pick: () => number): Home {
    const last = this.#last;
    if (last !== null && sessionId === this.#lastSession && isOriginOf(last.origin, url) && last.table.get(last.origin) === last) {
      if (!alive(last.slot)) last.slot = pick();
      return last;
    }
    const home = this.#find(sessionId, url, mayBeH2, alive, pick);
    this.#last = home;
    this.#lastSession = sessionId;
    return home;
  }

  #find(sessionId: number, url: string, mayBeH2: boolean, alive: (slot: number) => boolean, pick: () => number): Home {
    let table = this.#bySession.get(sessionId);
    if (!table) {
      table = new Map();
      this.#bySession.set(sessionId, table);
    }
    const origin = originOf(url);
    const known = table.get(origin);
    if (known) {
      if (!alive(known.slot)) known.slot = pick();
      return known;
    }
    if (table.size >= MAX_ORIGINS_PER_SESSION) table.delete(table.keys().next().value!);
    const home = new Home(pick(), origin, table, this.#slots, mayBeH2);
    table.set(origin, home);
    return home;
  }

  forgetSession(sessionId: number): void {
    this.#bySession.delete(sessionId);
    if (this.#lastSession === sessionId) this.#last = null;
  }
}

/** Whether `originOf(url)` is `origin`, without slicing it out. */
function isOriginOf(origin: string, url: string): boolean {
  return url.startsWith(origin) && (url.length === origin.length || url.charCodeAt(origin.length) === 47); // '/'
}
