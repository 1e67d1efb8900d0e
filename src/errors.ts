/**
 * Every error nodequests throws, in one module, under one root: {@link RequestException}.
 *
 * Each class has a stable `code` (like undici's `UND_ERR_*`) so that callers can branch on
 * it, and `instanceof` is decided by that code rather than by class identity, so it keeps
 * working when two copies of the library meet (a worker bundle and the main one, or two
 * installs in one tree). A class may also count as another: a `ConnectTimeout` is both a
 * `ConnectionError` and a `Timeout`, as in Requests.
 *
 * @example
 * ```ts
 * try { get('http://127.0.0.1:1/'); }
 * catch (e) { if (e instanceof ConnectionError) console.log(e.code, e.message); }
 * ```
 */
import type { PreparedRequest } from './request/prepared-request.js';

const KINDS = Symbol.for('nodequests.errorKinds');

/** What an error may carry besides its message. */
export interface ErrorContext {
  request?: PreparedRequest;
  // The response is typed loosely so this module does not depend on the response classes.
  response?: unknown;
  cause?: unknown;
  /** How many times the request was sent, when retries were on. */
  attempts?: number;
}

/**
 * A message with the passwords of the URLs in it masked, `scheme://user:***@host`: errors
 * are logged, and a URL with credentials (a proxy's, most often) is named in many of them.
 * The userinfo ends at the last `@` of the authority, as URL parsers read it.
 */
export function maskCredentials(text: string): string {
  return text.replace(/\/\/([^/?#\s"'\\]*)@/g, (whole, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon === -1 ? whole : `//${userinfo.slice(0, colon)}:***@`;
  });
}

/** The root of every nodequests error. */
export class RequestException extends Error {
  static readonly code: string = 'NQ_ERR_REQUEST';
  /** Other classes this one also counts as, by code. */
  static readonly alsoKinds: readonly string[] = [];
  readonly code: string;
  request?: PreparedRequest;
  response?: any;
  /**
   * How many times the request was sent before giving up, set when retries ran out. The
   * error keeps the kind of the last attempt's failure (a `ConnectionError`, a `ReadTimeout`,
   * an `SSLError`…), which is its `cause`; only a status that persists is a {@link RetryError}.
   */
  attempts?: number;

  constructor(message: string, context: ErrorContext = {}) {
    super(maskCredentials(message), context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = (new.target as typeof RequestException).code;
    if (context.request) this.request = context.request;
    if (context.response) this.response = context.response;
    if (context.attempts !== undefined) this.attempts = context.attempts;
  }

  get [KINDS](): string[] {
    const kinds: string[] = [];
    for (let c: any = this.constructor; c && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'code')) kinds.push(c.code, ...c.alsoKinds);
    }
    return kinds;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (value === null || typeof value !== 'object') return false;
    const kinds = (value as any)[KINDS];
    return Array.isArray(kinds) && kinds.includes(this.code);
  }
}

/** The connection could not be made, or broke. */
export class ConnectionError extends RequestException {
  static override readonly code: string = 'NQ_ERR_CONNECTION';
}
/** TLS failed: handshake, verification, or a pinned fingerprint that did not match. */
export class SSLError extends ConnectionError {
  static override readonly code: string = 'NQ_ERR_SSL';
}
/** The proxy refused or failed the request. */
export class ProxyError extends ConnectionError {
  static override readonly code: string = 'NQ_ERR_PROXY';
}
/** A time limit passed. */
export class Timeout extends RequestException {
  static override readonly code: string = 'NQ_ERR_TIMEOUT';
}
/** No connection within the connect timeout. Also a {@link ConnectionError}: nothing was sent. */
export class ConnectTimeout extends ConnectionError {
  static override readonly code: string = 'NQ_ERR_CONNECT_TIMEOUT';
  static override readonly alsoKinds: readonly string[] = [Timeout.code];
}
/** The server sent no byte for longer than the read timeout. */
export class ReadTimeout extends Timeout {
  static override readonly code: string = 'NQ_ERR_READ_TIMEOUT';
}
/** More redirects than `maxRedirects`; `response` is the last one received. */
export class TooManyRedirects extends RequestException {
  static override readonly code: string = 'NQ_ERR_TOO_MANY_REDIRECTS';
}
/** Raised by `raiseForStatus()` for a 4xx or 5xx response. */
export class HTTPError extends RequestException {
  static override readonly code: string = 'NQ_ERR_HTTP';
}
/** The body is not valid JSON. */
export class JSONDecodeError extends RequestException {
  static override readonly code: string = 'NQ_ERR_JSON_DECODE';
}
/** The URL cannot be used. */
export class InvalidURL extends RequestException {
  static override readonly code: string = 'NQ_ERR_INVALID_URL';
}
/** The URL has no scheme (`example.com/x`). */
export class MissingSchema extends InvalidURL {
  static override readonly code: string = 'NQ_ERR_MISSING_SCHEMA';
}
/** The URL's scheme is not one nodequests speaks. */
export class InvalidSchema extends InvalidURL {
  static override readonly code: string = 'NQ_ERR_INVALID_SCHEMA';
}
/** A header name or value cannot be sent, or a response header is malformed. */
export class InvalidHeader extends RequestException {
  static override readonly code: string = 'NQ_ERR_INVALID_HEADER';
}
/** The body ended early or its chunked framing was broken. */
export class ChunkedEncodingError extends RequestException {
  static override readonly code: string = 'NQ_ERR_CHUNKED_ENCODING';
}
/** The body could not be decoded with its Content-Encoding. */
export class ContentDecodingError extends RequestException {
  static override readonly code: string = 'NQ_ERR_CONTENT_DECODING';
}
/**
 * The response body is larger than allowed: its `maxBodySize` (received or decoded), or the
 * small limit for the body of a redirect or challenge that is followed. The transfer was
 * stopped there and its connection closed.
 *
 * @example
 * ```ts
 * try { s.get(url, { maxBodySize: 10 * 2 ** 20 }); }
 * catch (e) { if (e instanceof BodyTooLarge) console.log('over 10 MiB:', e.message); }
 * ```
 */
export class BodyTooLarge extends RequestException {
  static override readonly code: string = 'NQ_ERR_BODY_TOO_LARGE';
}
/** The content was asked for after it had been streamed away. */
export class StreamConsumedError extends RequestException {
  static override readonly code: string = 'NQ_ERR_STREAM_CONSUMED';
}
/**
 * Retries were exhausted on a status of `statusForcelist`; `response` is the last one. A
 * failure without a response (refused, reset, timed out) keeps its own class instead, as in
 * Requests, with `attempts` on it.
 */
export class RetryError extends RequestException {
  static override readonly code: string = 'NQ_ERR_RETRY';
}
/** A lazy response was used in a way its session cannot serve (read before `gather()`). */
export class MultiplexingError extends RequestException {
  static override readonly code: string = 'NQ_ERR_MULTIPLEXING';
}
/** An option or argument has a value nodequests cannot use. */
export class InvalidOption extends RequestException {
  static override readonly code: string = 'NQ_ERR_INVALID_OPTION';
}
/** The request's `signal` was aborted. */
export class RequestAborted extends RequestException {
  static override readonly code: string = 'NQ_ERR_ABORTED';
}
/** The session was closed and cannot take more requests. */
export class SessionClosedError extends RequestException {
  static override readonly code: string = 'NQ_ERR_SESSION_CLOSED';
}
/**
 * In the browser build: something the browser controls was asked for (a sync call outside a
 * cross-origin-isolated Web Worker, a proxy, TLS settings, a unix socket, a file path).
 */
export class BrowserUnsupported extends RequestException {
  static override readonly code: string = 'NQ_ERR_BROWSER_UNSUPPORTED';
}

const BY_CODE: ReadonlyMap<string, typeof RequestException> = new Map(
  [
    RequestException, ConnectionError, SSLError, ProxyError, Timeout, ConnectTimeout, ReadTimeout,
    TooManyRedirects, HTTPError, JSONDecodeError, InvalidURL, MissingSchema, InvalidSchema,
    InvalidHeader, ChunkedEncodingError, ContentDecodingError, BodyTooLarge, StreamConsumedError, RetryError,
    MultiplexingError, InvalidOption, RequestAborted, SessionClosedError, BrowserUnsupported,
  ].map((c) => [c.code, c]),
);

/**
 * Builds the typed error for a code that crossed the channel from a worker. The transport
 * decides the code (it is the one place that knows socket and TLS errors); the main thread
 * only attaches the request.
 */
export function errorFromCode(code: string, message: string, context: ErrorContext = {}): RequestException {
  const Class = BY_CODE.get(code) ?? ConnectionError;
  return new Class(message, context);
}

/** Shows a value in an error message: short, quoted when it is a string. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return `an object (${value.constructor?.name ?? 'Object'})`;
}
