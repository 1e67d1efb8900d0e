/**
 * Finds where each HTTP/1.1 response ends in the bytes of one connection, for the load
 * generator, which needs a response's status, its body's size and whether the connection
 * stays open, and nothing else: no header object, no body bytes kept. It is what lets
 * `nodequests load` spend less per request than a general client (undici builds a request
 * object, validates headers and parses every field on each exchange).
 *
 * The framing rules are RFC 9112's (section 6.3): no body after HEAD, 1xx, 204 and 304;
 * else chunked when Transfer-Encoding ends in chunked, else Content-Length bytes, else
 * everything up to the close. Interim 1xx responses are skipped. A head it cannot read is
 * an error, never a guess.
 */

/** What a response was, once its last byte has arrived. */
export interface FramedResponse {
  status: number;
  /** Body bytes as framed on the wire (chunked: the chunks' data only). */
  bodyBytes: number;
  /** The server will read another request on this connection. */
  keepAlive: boolean;
}

/** The largest response head read, as Node's default `http.maxHeaderSize`. */
const MAX_HEAD = 16 * 1024;

const enum State {
  HEAD,
  LENGTH,
  CHUNK_SIZE,
  CHUNK_DATA,
  CHUNK_DATA_END,
  TRAILERS,
  UNTIL_CLOSE,
}

export class ResponseFramer {
  /** The request this connection sends is a HEAD: its responses have no body. */
  readonly #head: boolean;
  #state = State.HEAD;
  /** Unread bytes of a head, chunk-size line or trailer section split across reads. */
  #pending: Buffer | null = null;
  #status = 0;
  #keepAlive = true;
  #bodyBytes = 0;
  /** Body or chunk bytes still to come. */
  #remaining = 0;

  constructor(head: boolean) {
    this.#head = head;
  }

  /** A response is under way (some of it has arrived). */
  get busy(): boolean {
    return this.#state !== State.HEAD || this.#pending !== null || (this.#status > 0 && this.#status < 200);
  }

  /**
   * Reads `chunk`; returns every response it completes, in order. Throws a
   * {@link FramingError} on bytes that are not an HTTP/1.1 response.
   */
  push(chunk: Buffer): FramedResponse[] {
    const done: FramedResponse[] = [];
    let buf = chunk;
    if (this.#pending !== null) {
      buf = Buffer.concat([this.#pending, chunk]);
      this.#pending = null;
    }
    let at = 0;
    while (at < buf.length) {
      switch (this.#state) {
        case State.HEAD: {
          const end = buf.indexOf('\r\n\r\n', at, 'latin1');
          if (end < 0) return this.#keep(buf, at, done, 'response head');
          this.#readHead(buf.toString('latin1', at, end));
          at = end + 4;
          if (this.#state === State.HEAD && this.#status >= 200) done.push(this.#complete());
          break;
        }
        case State.LENGTH:
          at = this.#take(buf, at);
          if (this.#remaining === 0) done.push(this.#complete());
          break;
        case State.CHUNK_SIZE: {
          const end = buf.indexOf('\r\n', at, 'latin1');
          if (end < 0) return this.#keep(buf, at, done, 'chunk size line');
          const line = buf.toString('latin1', at, end);
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new FramingError(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`, true);
          this.#remaining = parseInt(hex, 16);
          this.#state = this.#remaining === 0 ? State.TRAILERS : State.CHUNK_DATA;
          at = end + 2;
          break;
        }
        case State.CHUNK_DATA:
          at = this.#take(buf, at);
          if (this.#remaining === 0) {
            this.#state = State.CHUNK_DATA_END;
            this.#remaining = 2;
          }
          break;
        case State.CHUNK_DATA_END: {
          // The CRLF after a chunk's data, which may arrive a byte at a time.
          const expected = this.#remaining === 2 ? 13 : 10;
          if (buf[at] !== expected) throw new FramingError('a chunk is not followed by CRLF', true);
          at++;
          if (--this.#remaining === 0) this.#state = State.CHUNK_SIZE;
          break;
        }
        case State.TRAILERS: {
          // Either the empty line at once, or trailer fields ending with one.
          if (buf.length - at < 2) return this.#keep(buf, at, done, 'trailer section');
          if (buf[at] === 13 && buf[at + 1] === 10) {
            at += 2;
          } else {
            const end = buf.indexOf('\r\n\r\n', at, 'latin1');
            if (end < 0) return this.#keep(buf, at, done, 'trailer section');
            at = end + 4;
          }
          done.push(this.#complete());
          break;
        }
        case State.UNTIL_CLOSE:
          this.#bodyBytes += buf.length - at;
          at = buf.length;
          break;
      }
    }
    return done;
  }

  /**
   * The connection closed: the response read to the close, if one was, is complete;
   * returns it. Any other response under way was cut short (a {@link FramingError}).
   */
  end(): FramedResponse | null {
    if (this.#state === State.UNTIL_CLOSE) return this.#complete();
    if (this.busy) throw new FramingError('the connection closed in the middle of a response', this.#state !== State.HEAD);
    return null;
  }

  /** Counts the body bytes of `buf` from `at` that the current length or chunk still has; returns where they end. */
  #take(buf: Buffer, at: number): number {
    const take = Math.min(this.#remaining, buf.length - at);
    this.#remaining -= take;
    this.#bodyBytes += take;
    return at + take;
  }

  /** Keeps the unread tail of `buf` for the next read. */
  #keep(buf: Buffer, at: number, done: FramedResponse[], what: string): FramedResponse[] {
    if (buf.length - at > MAX_HEAD) throw new FramingError(`${what} longer than ${MAX_HEAD} bytes`, this.#state !== State.HEAD);
    this.#pending = Buffer.from(buf.subarray(at));
    return done;
  }

  #readHead(head: string): void {
    // "HTTP/1.1 200 OK": the version, a space, three digits.
    if (!head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32 || head.charCodeAt(12) > 32 || !/^\d{3}$/.test(head.slice(9, 12))) {
      throw new FramingError(`not an HTTP/1.1 response: ${JSON.stringify(head.slice(0, 40))}`, false);
    }
    const status = Number(head.slice(9, 12));
    const http10 = head.charCodeAt(7) === 48;
    let length = -1;
    let chunked = false;
    let close = http10;
    let from = head.indexOf('\r\n');
    while (from >= 0) {
      const next = head.indexOf('\r\n', from + 2);
      const colon = head.indexOf(':', from + 2);
      const lineEnd = next < 0 ? head.length : next;
      if (colon > 0 && colon < lineEnd) {
        const nameLength = colon - from - 2;
        // Only three fields matter; their lengths pick the candidates before any compare.
        if (nameLength === 14 || nameLength === 17 || nameLength === 10) {
          const name = head.slice(from + 2, colon).toLowerCase();
          const value = head.slice(colon + 1, lineEnd).trim().toLowerCase();
          if (name === 'content-length') {
            if (!/^\d+$/.test(value) || (length >= 0 && Number(value) !== length)) throw new FramingError(`bad Content-Length ${JSON.stringify(value)}`, false);
            length = Number(value);
          } else if (name === 'transfer-encoding') {
            chunked = /(?:^|,)\s*chunked$/.test(value);
          } else if (name === 'connection') {
            if (/(?:^|,)\s*close\s*(?:,|$)/.test(value)) close = true;
            else if (http10 && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(value)) close = false;
          }
        }
      }
      from = next;
    }
    this.#status = status;
    this.#keepAlive = !close;
    this.#bodyBytes = 0;
    if (status < 200) {
      // An interim response: the real one follows (101 would switch protocols, which a
      // load request never asks for).
      this.#state = State.HEAD;
      if (status === 101) throw new FramingError('the server switched protocols (101)', false);
      return;
    }
    if (this.#head || status === 204 || status === 304) this.#state = State.HEAD;
    else if (chunked) this.#state = State.CHUNK_SIZE;
    else if (length > 0) {
      this.#state = State.LENGTH;
      this.#remaining = length;
    } else if (length === 0) this.#state = State.HEAD;
    else {
      this.#state = State.UNTIL_CLOSE;
      this.#keepAlive = false;
    }
  }

  #complete(): FramedResponse {
    this.#state = State.HEAD;
    return { status: this.#status, bodyBytes: this.#bodyBytes, keepAlive: this.#keepAlive };
  }
}

/** Bytes that are not an HTTP/1.1 response, or one cut short. */
export class FramingError extends Error {
  constructor(
    message: string,
    /** The head had been read: the body is what went wrong. */
    readonly inBody: boolean,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}
