/**
 * Which worker a session's requests to an origin that may speak HTTP/2 go to.
 *
 * An HTTP/2 origin needs one connection, and a connection lives in one worker, so all of a
 * session's requests to it go to that worker: its home. An HTTP/1.1 origin is served by
 * connections in every worker, so its requests are spread round-robin and one busy origin
 * can use every worker. (Origins that cannot speak HTTP/2, cleartext http:// without prior
 * knowledge, are spread from the start and never come here.)
 *
 * What an origin speaks is known from its first response. Until that head arrives, a new
 * origin's requests all go to the worker of its first request: a first burst to an HTTP/2
 * origin becomes streams of one connection instead of one connection per worker, and a first
 * burst to an HTTP/1.1 origin is served by one worker's pool for about a round trip.
 */
import { HttpVersionCode } from '../channel/frames.js';

const enum Phase {
  /** The first head has not arrived: stay on this worker. */
  Probing,
  /** HTTP/2: always this worker. */
  Homed,
  /** HTTP/1.1: any worker. */
  Spread,
}

export class Home {
  #phase = Phase.Probing;
  constructor(
    readonly slot: number,
    readonly origin: string,
    readonly table: Map<string, Home>,
  ) {}

  /** Whether requests must go to `slot` rather than to any worker. */
  get pinned(): boolean {
    return this.#phase !== Phase.Spread;
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

  /**
   * The home of `url`'s origin in this session. A new origin (or one whose worker died) is
   * homed on `pick()`'s worker.
   */
  homeOf(sessionId: number, url: string, alive: (slot: number) => boolean, pick: () => number): Home {
    let table = this.#bySession.get(sessionId);
    if (!table) {
      table = new Map();
      this.#bySession.set(sessionId, table);
    }
    const origin = originOf(url);
    const known = table.get(origin);
    if (known && (!known.pinned || alive(known.slot))) return known;
    if (table.size >= MAX_ORIGINS_PER_SESSION) table.delete(table.keys().next().value!);
    const home = new Home(pick(), origin, table);
    table.set(origin, home);
    return home;
  }

  forgetSession(sessionId: number): void {
    this.#bySession.delete(sessionId);
  }
}

/** `scheme://authority` of a serialized URL (what the main thread sends is always one). */
function originOf(url: string): string {
  const end = url.indexOf('/', url.indexOf('//') + 2);
  return end === -1 ? url : url.slice(0, end);
}
