/**
 * Alt-Svc (RFC 7838): the alternative services an origin announces, remembered per origin
 * until they expire, so that users can see what a server offers (`session.altSvc`). The
 * workers read the same fields for themselves to move an origin to HTTP/3
 * (transport/h3/h3-routes.ts, under `disableHttp3: false`).
 *
 * @example
 * ```ts
 * s.get('https://example.test/');
 * s.altSvc.get('https://example.test'); // [{ protocol: 'h3', host: '', port: 443, expires: … }]
 * ```
 */
import { originOf } from '../request/url.js';
import { parseAltSvc, type AltService } from '../channel/alt-svc-field.js';

export class AltSvcCache {
  // Kept as received and parsed again only when it changes or is asked for: most CDN answers
  // carry the same field every time, and nothing on the main thread's request path reads it.
  readonly #byOrigin = new Map<string, { field: string; at: number }>();

  /** Records a response's Alt-Svc field for the origin of `url`; `clear` forgets the origin. */
  remember(url: string, field: string, now = Date.now()): void {
    const origin = originOf(url);
    if (field.trim() === 'clear') {
      this.#byOrigin.delete(origin);
      return;
    }
    const known = this.#byOrigin.get(origin);
    if (known !== undefined && known.field === field) known.at = now;
    // A field that names no service leaves what the origin said before.
    else if (parseAltSvc(field, now).length > 0) this.#byOrigin.set(origin, { field, at: now });
  }

  /** The unexpired services of an origin (`scheme://host:port`). */
  get(origin: string, now = Date.now()): AltService[] {
    const known = this.#byOrigin.get(originOf(new URL(origin).href));
    return known === undefined ? [] : parseAltSvc(known.field, known.at).filter((s) => s.expires > now);
  }
}
