/**
 * The statuses that redirect. The main thread follows them (session/redirects.ts); the
 * worker only drains the body of one that will be followed, rather than hold it whole.
 */
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A redirect status (the caller checks there is a Location to follow). */
export function isRedirect(status: number): boolean {
  return REDIRECTS.has(status);
}
