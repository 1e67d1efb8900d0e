/**
 * Which protocols a connection may speak, as both sides of the channel decide it: the
 * engine (which worker an origin's requests go to) and the worker's pools (how to connect).
 */

/**
 * Whether a connection to `url` may speak HTTP/2: over TLS by ALPN, or in cleartext only
 * with prior knowledge, when HTTP/1.1 is ruled out.
 */
export function mayNegotiateHttp2(url: string, http1: boolean, http2: boolean): boolean {
  return http2 && (url.startsWith('https:') || !http1);
}
