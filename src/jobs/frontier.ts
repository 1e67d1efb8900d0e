/**
 * The crawler's frontier: URLs waiting, one queue per host (so a slow host holds only its
 * own queue), the URLs ever seen (each is fetched once), and the per-host rules: at most
 * `perHost` requests to a host at a time, and starts to one host at least its delay apart.
 * A host is not served until its robots.txt is known (or robots are ignored).
 */
export interface FrontierEntry {
  url: string;
  depth: number;
}

export interface HostState {
  host: string;
  queue: FrontierEntry[];
  active: number;
  /** The most requests this host had in flight at once. */
  maxActive: number;
  /** Not before this (performance.now() ms) may the next request to it start. */
  nextAt: number;
  delayMs: number;
  /** Its rules are being fetched: nothing starts before they are known. */
  waiting: boolean;
  pages: number;
}

export type Take = { entry: FrontierEntry; host: HostState } | { waitMs: number } | null;

export class Frontier {
  readonly #hosts = new Map<string, HostState>();
  readonly #seen = new Set<string>();
  readonly #perHost: number;
  readonly #delayMs: number;
  #queued = 0;
  /** Where the round-robin over hosts resumes, so one host cannot take every free slot. */
  #cursor = 0;

  constructor(perHost: number, delayMs: number, readonly onNewHost: (host: HostState) => void) {
    this.#perHost = perHost;
    this.#delayMs = delayMs;
  }

  get queued(): number {
    return this.#queued;
  }

  get hosts(): Iterable<HostState> {
    return this.#hosts.values();
  }

  /** The host of a URL, if any URL of it was queued. */
  hostOf(url: string): HostState | undefined {
    return this.#hosts.get(new URL(url).host);
  }

  has(url: string): boolean {
    return this.#seen.has(url);
  }

  /** Marks a URL seen without queueing it (a page crawled before, a redirect's target). */
  see(url: string): boolean {
    if (this.#seen.has(url)) return false;
    this.#seen.add(url);
    return true;
  }

  /** Queues a normalised URL unless it was seen before. */
  add(url: string, depth: number): boolean {
    if (!this.see(url)) return false;
    const name = new URL(url).host;
    let host = this.#hosts.get(name);
    if (!host) {
      host = { host: name, queue: [], active: 0, maxActive: 0, nextAt: 0, delayMs: this.#delayMs, waiting: false, pages: 0 };
      this.#hosts.set(name, host);
      this.onNewHost(host);
    }
    host.queue.push({ url, depth });
    this.#queued++;
    return true;
  }

  /**
   * The next URL that may start now; else how long until one may, or null if none is waiting
   * on time. URLs `admit` refuses (robots) are dropped on the way, taking no slot.
   */
  take(now: number, admit: (entry: FrontierEntry, host: HostState) => boolean): Take {
    const hosts = [...this.#hosts.values()];
    let waitMs = Infinity;
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[(this.#cursor + i) % hosts.length]!;
      if (host.waiting || host.active >= this.#perHost) continue;
      while (host.queue.length > 0 && !admit(host.queue[0]!, host)) {
        host.queue.shift();
        this.#queued--;
      }
      if (host.queue.length === 0) continue;
      if (host.nextAt > now) {
        waitMs = Math.min(waitMs, host.nextAt - now);
        continue;
      }
      this.#cursor = (this.#cursor + i + 1) % hosts.length;
      this.#queued--;
      host.active++;
      host.maxActive = Math.max(host.maxActive, host.active);
      host.pages++;
      host.nextAt = now + host.delayMs;
      return { entry: host.queue.shift()!, host };
    }
    return waitMs === Infinity ? null : { waitMs };
  }

  finished(host: HostState): void {
    host.active--;
  }
}
