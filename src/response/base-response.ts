/**
 * What every response has once its head is in, for the sync and async APIs alike.
 *
 * A response may be lazy: a multiplexed session hands it out while the request is still
 * in flight. Every property then resolves it first (a sync session blocks for it; an async
 * one throws `MultiplexingError` until `gather()` ran). `lazy` itself never resolves.
 */
import { BinaryReader } from '../channel/binary.js';
import { decodeHeaderBlock, httpVersionName, type HttpVersion } from '../channel/frames.js';
import { HTTPError } from '../errors.js';
import { isRedirect as isRedirectStatus } from '../channel/redirect-statuses.js';
import { reasonPhrase } from '../status-codes.js';
import { Headers } from '../headers.js';
import type { PreparedRequest } from '../request/prepared-request.js';
import type { Response } from './response.js';
import type { BodySource } from './body-source.js';
import { CookieJar } from '../cookies.js';
import type { ConnectionInfo } from '../channel/connection-info.js';
import { apparentEncoding, charsetFromContentType, detectEncoding, undeclaredUtf8Text } from './charset.js';
import { decodeBody } from './text.js';
import { parseLinks, type Link } from './links.js';
import { objectHeaders, type HeaderView } from './oheaders.js';

/** `r.connInfo`: what the connection was, and how long its phases took. */
export interface ConnInfo extends Omit<ConnectionInfo, 'established' | 'timings'> {
  established: Date;
  timings: ConnectionInfo['timings'] & { requestSent: number | null; firstByte: number | null };
}

/** @internal What a resolved response is made of. */
export interface ResponseState {
  source: BodySource;
  url: string;
  request: PreparedRequest;
  history: BaseResponse[];
  /** Parsed from the head's header block on first use. */
  headers: Headers | null;
  /** The cookies this response set (made on first read when it set none). */
  cookies: CookieJar | null;
  /** The worker ran the request's processor: the body is its result, serialized. */
  processed: boolean;
}

export abstract class BaseResponse {
  #state: ResponseState | null;
  #resolve: (() => void) | null;
  #encoding: string | null | undefined = undefined;
  #pendingId = 0;

  /** @internal Made by sessions, not by users. */
  constructor(state: ResponseState | null, resolve: (() => void) | null = null) {
    this.#state = state;
    this.#resolve = resolve;
  }

  /** @internal Fills a lazy response once its request has completed. */
  settle(state: ResponseState): void {
    this.#state = state;
    this.#resolve = null;
  }

  /** @internal Marks a lazy response whose request failed: reading it throws `error`. */
  settleError(error: Error): void {
    this.#resolve = () => {
      throw error;
    };
  }

  /** @internal Its entry among its session's unsettled lazy responses (session/pending-flows.ts); 0: none. */
  get pendingId(): number {
    return this.#pendingId;
  }

  set pendingId(id: number) {
    this.#pendingId = id;
  }

  /** True while the response is a promise of one: its request is still in flight. */
  get lazy(): boolean {
    return this.#state === null;
  }

  /** @internal The resolved state; resolves a lazy response first. */
  protected get s(): ResponseState {
    if (this.#state === null) this.#resolve!();
    return this.#state!;
  }

  /** @internal The state, resolving a lazy response first. */
  get resolvedState(): ResponseState {
    return this.s;
  }

  /** @internal The state if resolved, without resolving. */
  get settledState(): ResponseState | null {
    return this.#state;
  }

  get statusCode(): number {
    return this.s.source.exchange.head!.status;
  }

  /** The reason phrase the server sent, or the standard one for the status. */
  get reason(): string {
    const head = this.s.source.exchange.head!;
    return head.statusText || reasonPhrase(head.status);
  }

  /** True for a status below 400. */
  get ok(): boolean {
    return this.statusCode < 400;
  }

  /** The final URL, after any redirects. */
  get url(): string {
    return this.s.url;
  }

  get httpVersion(): HttpVersion {
    return httpVersionName(this.s.source.exchange.head!.httpVersion);
  }

  /** Case-insensitive; repeated fields joined with ', '; `getSetCookie()` keeps them apart. */
  get headers(): Headers {
    const s = this.s;
    return (s.headers ??= headersFromBlock(s.source.exchange.head!.headerBlock));
  }

  /**
   * The connection this response came on: TLS version and cipher, the server's certificate
   * (DER and parsed fields), address and port, HTTP version, the resolver that gave the
   * address (`resolver`, e.g. `doh+cloudflare://`), and timings in ms (resolution,
   * connection, TLS handshake for the connection; request sent and first byte for this
   * request). null when the transport could not tell (through a proxy, for instance).
   */
  get connInfo(): ConnInfo | null {
    const head = this.s.source.exchange.head!;
    if (head.connection === null) return null;
    const conn = JSON.parse(head.connection) as ConnectionInfo;
    const { established, timings, ...rest } = conn;
    return {
      ...rest,
      established: new Date(established),
      timings: { ...timings, requestSent: head.requestSent < 0 ? null : head.requestSent, firstByte: head.firstByte < 0 ? null : head.firstByte },
    };
  }

  /** @internal One header field, without parsing the whole block unless it was already. */
  protected header(lowerName: string): string | undefined {
    const s = this.s;
    return s.headers !== null ? s.headers.get(lowerName) : fieldFromBlock(s.source.exchange.head!.headerBlock, lowerName);
  }

  /** The headers as an object: `oheaders.contentType.charset`, `oheaders.date` as a Date. */
  get oheaders(): Record<string, HeaderView> {
    return objectHeaders(this.headers);
  }

  /** The Link header parsed, by rel: `r.links.next.url`. */
  get links(): Record<string, Link> {
    return parseLinks(this.headers.get('link'), this.url);
  }

  /** The cookies this response set (the session's jar has them too, unless `allowIncomingCookies` is false). */
  get cookies(): CookieJar {
    return (this.s.cookies ??= new CookieJar());
  }

  /** The prepared request that produced this response. */
  get request(): PreparedRequest {
    return this.s.request;
  }

  /** Earlier responses of a redirect chain (and a 401 that was answered), oldest first. */
  get history(): Response[] {
    // Only the final response of a call can be an AsyncResponse: the sessions make every
    // earlier one a Response, its body read.
    return this.s.history as Response[];
  }

  /** True for a redirect that could be followed: a 301, 302, 303, 307 or 308 with a Location. */
  get isRedirect(): boolean {
    return isRedirectStatus(this.statusCode) && this.header('location') !== undefined;
  }

  /** True for a permanent redirect: a 301 or 308 with a Location. */
  get isPermanentRedirect(): boolean {
    return (this.statusCode === 301 || this.statusCode === 308) && this.header('location') !== undefined;
  }

  /**
   * Time from sending the request to receiving the response head, in milliseconds, to the
   * microsecond (`12.345`).
   */
  get elapsed(): number {
    const ex = this.s.source.exchange;
    return Math.round((ex.headAt - ex.startedAt) * 1000) / 1000;
  }

  /**
   * The encoding `text` uses: the Content-Type charset, else what the body shows (BOM,
   * valid UTF-8, or a confident guess); null when it cannot be told. Settable. For a
   * streamed body not read yet, only the header counts.
   */
  get encoding(): string | null {
    if (this.#encoding !== undefined) return this.#encoding;
    const contentType = this.header('content-type');
    const body = this.bodyIfComplete();
    if (body === null) return charsetFromContentType(contentType);
    return (this.#encoding = detectEncoding(body, contentType));
  }

  /** @internal The whole body as text in {@link encoding}, which it settles on the way. */
  protected textOf(body: Buffer): string | null {
    if (this.#encoding === undefined) {
      // The usual case (UTF-8, declared nowhere) checks and decodes in one pass.
      const text = undeclaredUtf8Text(body, this.header('content-type'));
      if (text !== null) {
        this.#encoding = 'utf-8';
        return text;
      }
    }
    return decodeBody(body, this.encoding);
  }

  set encoding(value: string | null) {
    this.#encoding = value;
  }

  /** The encoding a detector guesses from the bytes alone (null when not confident). */
  get apparentEncoding(): string | null {
    const body = this.bodyIfComplete();
    return body === null ? null : apparentEncoding(body);
  }

  /** @internal The whole body when it is already in (and not streamed away), else null. */
  protected bodyIfComplete(): Buffer | null {
    const source = this.s.source;
    if (!source.exchange.ended || source.streamed) return null;
    return source.readAllIfComplete();
  }


  /**
   * Returns the response, or throws `HTTPError` for a 4xx or 5xx status.
   * @example
   * ```ts
   * const data = s.get(url).raiseForStatus().json();
   * ```
   */
  raiseForStatus(): this {
    const status = this.statusCode;
    if (status >= 400) {
      const kind = status < 500 ? 'Client Error' : 'Server Error';
      throw new HTTPError(`${status} ${kind}: ${this.reason} for url: ${this.url}`, { request: this.request, response: this });
    }
    return this;
  }

  toString(): string {
    return `<Response ${this.httpVersion} [${this.statusCode}]>`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.lazy ? '<ResponsePromise (lazy)>' : this.toString();
  }
}

/**
 * One field of a header block (repeated ones joined with ', ', as `Headers.get` does), read
 * without decoding the others: `text` needs only Content-Type, and the flow only Alt-Svc.
 * `lowerName` is in lower case.
 */
export function fieldFromBlock(block: Buffer, lowerName: string): string | undefined {
  const want = lowerName.length;
  let found: string | undefined;
  let at = 4;
  for (let n = block.readUInt32LE(0); n > 0; n--) {
    const nameLength = block[at]! | (block[at + 1]! << 8);
    const nameAt = at + 2;
    at = nameAt + nameLength;
    const valueLength = block.readUInt32LE(at);
    at += 4;
    if (nameLength === want && sameName(block, nameAt, lowerName)) {
      const value = block.toString('latin1', at, at + valueLength);
      found = found === undefined ? value : `${found}, ${value}`;
    }
    at += valueLength;
  }
  return found;
}

function sameName(block: Buffer, at: number, lowerName: string): boolean {
  for (let i = 0; i < lowerName.length; i++) {
    const c = block[at + i]!;
    // ASCII letters fold to lower case; every other byte must match as is.
    if ((c >= 65 && c <= 90 ? c | 32 : c) !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

export function headersFromBlock(block: Buffer): Headers {
  const flat = decodeHeaderBlock(new BinaryReader(block));
  const h = new Headers();
  for (let i = 0; i < flat.length; i += 2) h.appendTrusted(flat[i]!, flat[i + 1]!);
  return h;
}

