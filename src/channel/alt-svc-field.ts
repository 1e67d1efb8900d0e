/**
 * An Alt-Svc field (RFC 7838) parsed into its services: read on the main thread for
 * `session.altSvc`, and by the workers to move an origin to HTTP/3.
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
