/**
 * A Node request listener called without a socket. The request is a real
 * `http.IncomingMessage` (a Readable: method, url, rawHeaders and the lazily built
 * `headers`, a body pulled from the caller as the app reads) and the response a real
 * `http.ServerResponse` whose head is built by Node itself (`writeHead`, `setHeader`,
 * implicit headers, Content-Length for `end(data)`, `addTrailers`); only its output is
 * redirected: `write` and `end` hand the bytes to the caller's handler instead of a socket,
 * so there is no HTTP framing to write and none to parse back. `write` returns false while
 * the handler holds the body back and 'drain' follows when it takes more. Both share a
 * stand-in socket that says 127.0.0.1, so `req.ip` and `req.socket.remoteAddress` work.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import type { NodeListener } from './app.js';
import type { AppCall } from './app-call.js';

/** What a listener sees as the connection. Nothing is read from it or written to it. */
class AppSocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly remoteFamily = 'IPv4';
  readonly remotePort = 0;
  readonly localAddress = '127.0.0.1';
  readonly localPort: number;
  /** Set for an https URL, which is how Express and Koa tell the protocol. */
  readonly encrypted: true | undefined;

  constructor(url: URL) {
    super();
    this.localPort = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    this.encrypted = url.protocol === 'https:' ? true : undefined;
  }

  override _read(): void {}
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    callback();
  }
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
}

/** Fields a server sends about its connection, which has none here. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

// Node's own members of an outgoing message that this class drives (stable since Node 0.x).
interface OutgoingInternals {
  _header: string | null;
  _hasBody: boolean;
  _contentLength: number | null;
  _trailer: string;
  _implicitHeader(): void;
}

class AppResponse extends ServerResponse {
  readonly #call: AppCall;
  #headSent = false;
  /** The handler holds the body back: `write` says so until it resumes. */
  #held = false;
  #needDrain = false;

  constructor(req: IncomingMessage, call: AppCall) {
    super(req);
    this.#call = call;
    // Own properties: Express swaps the prototype of `res` for its own (whose chain leads to
    // ServerResponse's, not to this class's), and the output must still come here.
    const self = this as unknown as Record<string, unknown>;
    for (const name of ['write', 'end', 'flushHeaders', 'destroy'] as const) self[name] = AppResponse.prototype[name];
    call.onResume = () => {
      this.#held = false;
      if (this.#needDrain) {
        this.#needDrain = false;
        this.emit('drain');
      }
    };
  }

  #internals(): OutgoingInternals {
    return this as unknown as OutgoingInternals;
  }

  /** Sends the head Node built (building it now if the app has not). */
  #sendHead(): void {
    if (this.#headSent) return;
    this.#headSent = true;
    const self = this.#internals();
    if (self._header === null || self._header === undefined || self._header === '') self._implicitHeader();
    const lines = self._header!.split('\r\n');
    const raw: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon);
      if (HOP_BY_HOP.has(name.toLowerCase())) continue;
      raw.push(name, line.slice(colon + 1).trim());
    }
    if (!this.#call.head(this.statusCode, raw, this.statusMessage)) this.#held = true;
  }

  override flushHeaders(): void {
    this.#sendHead();
  }

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    const done = callback as ((err?: Error | null) => void) | undefined;
    if (this.writableEnded) {
      const err = Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
      process.nextTick(() => {
        done?.(err);
        this.emit('error', err);
      });
      return false;
    }
    this.#sendHead();
    const bytes = toBuffer(chunk, encoding as BufferEncoding | undefined);
    if (bytes.length > 0 && this.#internals()._hasBody && !this.#call.data(bytes)) this.#held = true;
    if (done) process.nextTick(done);
    if (this.#held) this.#needDrain = true;
    return !this.#held;
  }

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (typeof chunk === 'function') {
      callback = chunk;
      chunk = undefined;
    } else if (typeof encoding === 'function') {
      callback = encoding;
      encoding = undefined;
    }
    const done = callback as (() => void) | undefined;
    if (this.writableEnded) {
      if (done) process.nextTick(done);
      return this;
    }
    const bytes = chunk === undefined || chunk === null ? null : toBuffer(chunk, encoding as BufferEncoding | undefined);
    // As Node does: a body given whole to end() before the head is announced with its length.
    if (!this.#headSent && (this.#internals()._header ?? null) === null) this.#internals()._contentLength = bytes?.length ?? 0;
    if (bytes !== null) this.write(bytes);
    else this.#sendHead();
    (this as unknown as { finished: boolean }).finished = true;
    // The answer completes on the next tick, not here: a caller looping over requests that
    // all complete in microtasks would otherwise never let the tick queue run, so every
    // request's ticks ('finish', stream ends) would pile up (memory grew without bound and
    // an app's 'finish' handlers ran only once the loop ended). Ticks run in order, so the
    // app's own ticks before this one have run when the caller sees its response.
    process.nextTick(() => {
      this.#call.complete(parseTrailers(this.#internals()._trailer));
      this.emit('prefinish');
      this.emit('finish');
      done?.();
      this.emit('close');
    });
    return this;
  }

  /** As a server's `res.destroy()` closes the connection: the request fails, with no response. */
  override destroy(error?: Error): this {
    if (!this.writableEnded) this.#call.reset(`The app destroyed the response${error ? `: ${error.message}` : ''} (${this.#call.request.method} ${this.#call.request.url})`);
    return this;
  }
}

function toBuffer(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw Object.assign(new TypeError(`The "chunk" argument must be of type string or an instance of Buffer or Uint8Array. Received ${typeof chunk}`), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** `addTrailers` leaves them as header lines. */
function parseTrailers(text: string | undefined): string[] | null {
  if (!text) return null;
  const out: string[] = [];
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) out.push(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return out;
}

/** The request as the listener sees it: what a server's parser would have made. */
function incomingMessage(call: AppCall, url: URL, socket: AppSocket): IncomingMessage {
  const { method, headers, body, bodyLength } = call.request;
  const req = new IncomingMessage(socket as never);
  req.method = method;
  req.url = url.pathname + url.search;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = '1.1';
  const raw = ['Host', url.host, ...headers];
  // Framing a server would have seen on the wire: body parsers look for one of the two.
  if (body !== null && !(body instanceof Uint8Array) && bodyLength === null && !headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'content-length')) {
    raw.push('Transfer-Encoding', 'chunked');
  }
  req.rawHeaders = raw;
  // Node builds `headers` from the parser's count of raw headers, which there is none of
  // here: built with Node's own rules for repeated fields instead.
  const fields: Record<string, string | string[]> = {};
  const add = (req as unknown as { _addHeaderLine(name: string, value: string, dest: object): void })._addHeaderLine;
  for (let i = 0; i < raw.length; i += 2) add.call(req, raw[i]!, raw[i + 1]!, fields);
  req.headers = fields as IncomingMessage['headers'];
  if (body === null) {
    req.complete = true;
    req.push(null);
  } else if (body instanceof Uint8Array) {
    if (body.length > 0) req.push(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    req.complete = true;
    req.push(null);
  } else {
    const chunks = body[Symbol.asyncIterator]();
    let pulling = false;
    // Pulled as the app reads: an app that stops reading stops the upload.
    const own = req as unknown as { _consuming: boolean; _readableState: { readingMore: boolean } };
    req._read = () => {
      // As Node's own _read does once the app starts reading: IncomingMessage holds back
      // read-ahead until then.
      if (!own._consuming) {
        own._consuming = true;
        own._readableState.readingMore = false;
      }
      if (pulling) return;
      pulling = true;
      chunks.next().then(
        (step) => {
          pulling = false;
          if (step.done) {
            req.complete = true;
            req.push(null);
          } else req.push(Buffer.from(step.value.buffer, step.value.byteOffset, step.value.byteLength));
        },
        (err: unknown) => req.destroy(err as Error),
      );
    };
  }
  return req;
}

export function serveListener(listener: NodeListener, call: AppCall): void {
  const url = new URL(call.request.url);
  const socket = new AppSocket(url);
  const req = incomingMessage(call, url, socket);
  const res = new AppResponse(req, call);
  call.onAbort = () => {
    // As when a client goes away: the request is aborted and the response closes unfinished.
    req.destroy();
    socket.destroy();
    res.emit('close');
  };
  const out = listener(req, res);
  if (out !== null && typeof out === 'object' && typeof (out as Promise<unknown>).then === 'function') {
    (out as Promise<unknown>).then(undefined, (err: unknown) => call.fail(err));
  }
}
