/**
 * Following a redirect: where to, with which method and body, and which credentials may
 * come along. Requests' `SessionRedirectMixin`, as pure functions.
 */
import { InvalidSchema, InvalidURL, StreamConsumedError } from '../errors.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import { isRedirect } from '../channel/redirect-statuses.js';

export { isRedirect };
const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443' };

/**
 * The next URL: Location resolved against the current URL, with the current fragment kept
 * unless Location brings its own (RFC 9110 §10.2.2). A WebSocket's handshake redirected
 * stays a WebSocket, as `ws` and Python's `websockets` do: `http(s)://` becomes `ws(s)://`.
 */
export function redirectTarget(current: URL, location: string, websocket = false): URL {
  // Servers send raw UTF-8 in Location; reading it as latin1 (as headers are) would mangle it.
  const decoded = Buffer.from(location, 'latin1').toString('utf8');
  const text = decoded.includes('\ufffd') ? location : decoded;
  let next: URL;
  try {
    next = new URL(text, current);
  } catch {
    throw new InvalidURL(`The redirect from ${current.href} points to ${JSON.stringify(text)}, which is not a URL`);
  }
  const ws = websocket ? WEBSOCKET_OF.get(next.protocol) : undefined;
  // http(s) and ws(s) are all special schemes: the URL switches in place.
  if (ws !== undefined) next.protocol = ws;
  if (websocket ? ws === undefined : !FOLLOWABLE.has(next.protocol)) {
    throw new InvalidSchema(`The redirect from ${current.href} points to ${JSON.stringify(next.href)}: scheme ${JSON.stringify(next.protocol.slice(0, -1))} is not one nodequests follows`);
  }
  if (!next.hash && current.hash) next.hash = current.hash;
  return next;
}

/** Where a redirect may lead (a redirect never switches to a unix socket). */
const FOLLOWABLE = new Set(['http:', 'https:']);
/** Where a WebSocket's redirect may lead, and as which scheme. */
const WEBSOCKET_OF = new Map([['http:', 'ws:'], ['https:', 'wss:'], ['ws:', 'ws:'], ['wss:', 'wss:'], ['wss+rfc8441:', 'wss+rfc8441:']]);

/**
 * The method of the next hop, as browsers and Requests do: 303 and 302 turn anything but
 * HEAD into GET, 301 turns POST into GET; 307 and 308 keep the method.
 */
export function redirectMethod(status: number, method: string): string {
  if ((status === 303 || status === 302) && method !== 'HEAD') return 'GET';
  if (status === 301 && method === 'POST') return 'GET';
  return method;
}

/** Whether Authorization must be dropped going from `from` to `to`. */
export function shouldStripAuth(from: URL, to: URL): boolean {
  if (from.hostname !== to.hostname) return true;
  const fromPort = from.port || DEFAULT_PORTS[from.protocol];
  const toPort = to.port || DEFAULT_PORTS[to.protocol];
  // http → https on the default ports is the one change that keeps credentials.
  if (from.protocol === 'http:' && to.protocol === 'https:' && fromPort === '80' && toPort === '443') return false;
  if (from.protocol === 'https:' && to.protocol === 'http:') return true;
  return fromPort !== toPort || from.protocol !== to.protocol;
}

/**
 * The request for the next hop (the Cookie header is the caller's to recompute).
 * `sensitiveHeaders` (lower case) go wherever Authorization goes.
 */
export function redirectRequest(previous: PreparedRequest, status: number, from: URL, to: URL, wire: string, sensitiveHeaders: readonly string[]): PreparedRequest {
  const method = redirectMethod(status, previous.method);
  const headers = previous.headers.copy();
  let body = previous.body;
  if (method !== previous.method || status === 303) {
    body = null;
    for (const h of ['content-length', 'content-type', 'transfer-encoding', 'content-encoding']) headers.delete(h);
  } else if (body !== null && !(body instanceof Uint8Array) && !body.replayable) {
    throw new StreamConsumedError(
      `Cannot follow the ${status} redirect to ${wire}: it must resend the request body, which was a one-shot stream. Pass bytes, a string or a Blob to allow it.`,
      { request: previous },
    );
  }
  if (shouldStripAuth(from, to)) {
    headers.delete('authorization');
    for (const name of sensitiveHeaders) headers.delete(name);
  }
  // Never carried to the next hop, as in Requests' rebuild_proxies: the hop's own proxy, if
  // it has credentials in its URL, gets them from the worker.
  headers.delete('proxy-authorization');
  headers.delete('cookie');
  headers.delete('host');
  return { method, url: wire, headers, body };
}
