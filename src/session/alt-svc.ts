/**
 * Alt-Svc (RFC 7838): the alternative services an origin announces, remembered per origin
 * until they expire. HTTP/3 cannot be used on this runtime (Node has no QUIC client), so
 * nothing switches protocol on them yet; they are kept so that a later transport can, and so
 * that users can see what a server offers (`session.altSvc`).
 *
 * @example
 * ```ts
 * s.get('https://example.test/');
 * s.altSvc.get('https://example.test'); // [{ protocol: 'h3', host: '', port: 443, expires: … }]
 * ```
 */
export interface AltService {
  /** ALPN id, e.g. `h3` or `h2`. */
  protocol: string;
  /** Empty: the same host. */
  host: string;
  port: number;
  /** When the entry lapses, ms since the epoch. */
  expires: number;
}

export class AltSvcCache {
  readonly #byOrigin = new Map<string, AltService[]>();

  /** Records a response's Alt-Svc field for the origin of `url`; `clear` forgets the origin. */
  remember(url: string, field: string, now = Date.now()): void {
    const origin = new URL(url).origin;
    if (field.trim() === 'clear') {
      this.#byOrigin.delete(origin);
      return;
    }
    const services = parseAltSvc(field, now);
    if (services.length > 0) this.#byOrigin.set(origin, services);
  }

  /** The unexpired services of an origin (`scheme://host:port`). */
  get(origin: string, now = Date.now()): AltService[] {
    return (this.#byOrigin.get(new URL(origin).origin) ?? []).filter((s) => s.expires > now);
  }
}

export function parseAltSvc(field: string, now = Date.now()): AltService[] {
  const out: AltService[] = [];
  for (const entry of field.split(',')) {
    const [first, ...params] = entry.split(';').map((p) => p.trim());
    const m = /^([A-Za-z0-9%._~-]+)="([^"]*)"$/.exec(first ?? '');
    if (!m) continue;
    const at = m[2]!.lastIndexOf(':');
    const port = Number(m[2]!.slice(at + 1));
    if (at === -1 || !Number.isInteger(port)) continue;
    let maxAge = 86_400;
    for (const p of params) {
      const ma = /^ma=(\d+)$/.exec(p);
      if (ma) maxAge = Number(ma[1]);
    }
    out.push({ protocol: decodeURIComponent(m[1]!), host: m[2]!.slice(0, at), port, expires: now + maxAge * 1000 });
  }
  return out;
}
