/**
 * Which origins one session reaches over HTTP/3, in one worker: those whose responses
 * announced `h3` in Alt-Svc (RFC 7838, until its `ma` runs out) when the session follows
 * such announcements, and those the user listed (`http3Origins`). An origin whose QUIC
 * handshake failed is left to TCP for a while.
 */
import { parseAltSvc } from '../../channel/alt-svc-field.js';
import type { H3Target } from './h3-connection.js';

/** How long an origin whose HTTP/3 failed stays on TCP (Chrome starts at 5 minutes too). */
export const BROKEN_FOR = 5 * 60_000;

export class H3Routes {
  readonly #announced = new Map<string, { host: string; port: number; expires: number }>();
  readonly #listed: ReadonlySet<string>;
  readonly #followAltSvc: boolean;
  readonly #broken = new Map<string, number>();
  /** Why HTTP/3 cannot be used at all here (the QUIC layer did not load), or null. */
  unavailable: string | null = null;

  constructor(followAltSvc: boolean, listed: readonly string[]) {
    this.#followAltSvc = followAltSvc;
    this.#listed = new Set(listed);
  }

  /** Where to reach `origin` (`https://host:port`) over HTTP/3 now, or null to use TCP. */
  target(origin: string, now = Date.now()): H3Target | null {
    if (this.unavailable !== null) return null;
    const broken = this.#broken.get(origin);
    if (broken !== undefined) {
      if (broken > now) return null;
      this.#broken.delete(origin);
    }
    const url = new URL(origin);
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || 443);
    const alt = this.#announced.get(origin);
    if (alt !== undefined && alt.expires <= now) this.#announced.delete(origin);
    else if (alt !== undefined) return { authority: url.host, hostname, host: alt.host || hostname, port: alt.port };
    return this.#listed.has(origin) ? { authority: url.host, hostname, host: hostname, port } : null;
  }

  /** Whether `origin` has yet to announce HTTP/3 (its responses' Alt-Svc is worth reading). */
  unknown(origin: string): boolean {
    return this.#followAltSvc && this.unavailable === null && !this.#announced.has(origin);
  }

  /** Reads a response's Alt-Svc field. */
  learn(origin: string, field: string, now = Date.now()): void {
    if (field.trim() === 'clear') {
      this.#announced.delete(origin);
      return;
    }
    const h3 = parseAltSvc(field, now).find((s) => s.protocol === 'h3');
    if (h3 !== undefined) this.#announced.set(origin, { host: h3.host.replace(/^\[|\]$/g, ''), port: h3.port, expires: h3.expires });
  }

  /** The QUIC handshake to `origin` failed or got no answer: TCP for a while. */
  broke(origin: string, now = Date.now()): void {
    this.#broken.set(origin, now + BROKEN_FOR);
  }
}
