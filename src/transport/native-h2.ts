/**
 * HTTP/2 on `node:http2`, behind the same handler callbacks undici calls, so the rest of the
 * transport cannot tell the two apart. Measured here, `node:http2` carries about 1.8x the
 * small requests undici's `allowH2` does (docs/architecture.md), so an origin that
 * negotiates h2 is served by this.
 *
 * One session per connection; new sessions open when the open ones are at their peer's
 * stream limit (up to `maxSessions`), or after a GOAWAY.
 */
import http2 from 'node:http2';
import type { Socket } from 'node:net';

/** The undici legacy handler shape our ExchangeHandler implements. */
export interface LegacyHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Array<Buffer | string>, resume: () => void, statusText?: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Array<Buffer | string> | null): void;
  onError(err: Error): void;
  onSocket?(socket: Socket): void;
}

export interface NativeRequest {
  path: string;
  method: string;
  /** Flat [name, value, …]. */
  headers: string[];
  body: Buffer | AsyncIterable<Buffer> | null;
}

interface Session {
  session: http2.ClientHttp2Session;
  socket: Socket;
  active: number;
  closed: boolean;
  /** The server's SETTINGS have arrived: its stream limit is known. */
  settled: boolean;
  /** Streams waiting for those SETTINGS (see #start). */
  deferred: Array<() => void>;
}

// Headers HTTP/2 forbids (RFC 9113 §8.2.2); the pseudo-headers carry their meaning.
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

export class NativeH2Pool {
  readonly #authority: string;
  readonly #connect: () => Promise<Socket>;
  readonly #maxSessions: number;
  readonly #pingInterval: number;
  readonly #sessions: Session[] = [];
  #opening: Promise<Session> | null = null;

  constructor(authority: string, connect: () => Promise<Socket>, maxSessions: number, pingInterval: number) {
    this.#authority = authority;
    this.#connect = connect;
    this.#maxSessions = maxSessions;
    this.#pingInterval = pingInterval;
  }

  /** Adopts a connection already made (the one that told us the origin speaks h2). */
  adopt(socket: Socket): void {
    this.#sessions.push(this.#wrap(socket));
  }

  dispatch(request: NativeRequest, handler: LegacyHandler): void {
    const ready = this.#ready();
    if (ready) {
      this.#start(ready, request, handler);
      return;
    }
    this.#open().then(
      (s) => this.#start(s, request, handler),
      (err: Error) => handler.onError(err),
    );
  }

  get stats(): { connected: number; running: number; pending: number } {
    let running = 0;
    for (const s of this.#sessions) running += s.active;
    return { connected: this.#sessions.length, running, pending: 0 };
  }

  /** Lets the streams in flight finish, then closes. */
  close(): void {
    for (const s of this.#sessions) s.session.close();
    this.#sessions.length = 0;
  }

  destroy(): void {
    for (const s of this.#sessions) s.session.destroy();
    this.#sessions.length = 0;
  }

  /** A session that can take a stream now, if there is one. */
  #ready(): Session | null {
    for (const s of this.#sessions) {
      if (!s.closed && s.active < (s.session.remoteSettings.maxConcurrentStreams ?? 100)) return s;
    }
    if (this.#sessions.length >= this.#maxSessions && this.#sessions.length > 0) {
      // At the limit: the least busy session takes it (node queues beyond the peer's limit).
      return this.#sessions.reduce((a, b) => (a.active <= b.active ? a : b));
    }
    return null;
  }

  async #open(): Promise<Session> {
    this.#opening ??= this.#connect().then((socket) => {
      const s = this.#wrap(socket);
      this.#sessions.push(s);
      return s;
    });
    try {
      return await this.#opening;
    } finally {
      this.#opening = null;
    }
  }

  #wrap(socket: Socket): Session {
    const session = http2.connect(this.#authority, { createConnection: () => socket });
    const s: Session = { session, socket, active: 0, closed: false, settled: false, deferred: [] };
    const flush = (): void => {
      for (const go of s.deferred.splice(0)) go();
    };
    session.once('remoteSettings', () => {
      s.settled = true;
      flush();
    });
    const drop = (): void => {
      s.closed = true;
      const i = this.#sessions.indexOf(s);
      if (i !== -1) this.#sessions.splice(i, 1);
      // Streams still waiting were never sent: starting them now fails at once, as a
      // GOAWAY'd session's new streams do, and the handler replays those if it may.
      flush();
    };
    session.on('goaway', drop);
    session.on('close', drop);
    session.on('error', drop);
    if (this.#pingInterval > 0) {
      const timer = setInterval(() => session.ping(() => {}), this.#pingInterval);
      timer.unref();
      session.on('close', () => clearInterval(timer));
    }
    return s;
  }

  #start(s: Session, r: NativeRequest, handler: LegacyHandler): void {
    if (!s.settled && !s.closed && s.active > 0) {
      // Until the server's SETTINGS arrive its stream limit is unknown (RFC 9113 starts it
      // unlimited), and a server with a low one refuses the excess with REFUSED_STREAM: a
      // burst on a fresh connection to a server allowing one stream lost all but one. So the
      // first stream goes at once and the rest when the limit is known; nghttp2 then holds
      // back any beyond it until a stream closes.
      const go = (): void => this.#start(s, r, handler);
      s.deferred.push(go);
      handler.onConnect((err) => {
        const i = s.deferred.indexOf(go);
        if (i === -1) return;
        s.deferred.splice(i, 1);
        handler.onError(err ?? new Error('Request aborted'));
      });
      // The server owes us its SETTINGS: silence from here on is its, as the read timeout counts it.
      handler.onSocket?.(s.socket);
      return;
    }
    const headers: http2.OutgoingHttpHeaders = { ':method': r.method, ':path': r.path };
    let declared: number | null = null;
    for (let i = 0; i < r.headers.length; i += 2) {
      const name = r.headers[i]!.toLowerCase();
      if (!CONNECTION_SPECIFIC.has(name)) headers[name] = r.headers[i + 1]!;
      if (name === 'content-length') declared = Number(r.headers[i + 1]);
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = s.session.request(headers, r.body === null ? NO_BODY_STREAM : BODY_STREAM);
    } catch (err) {
      handler.onError(err as Error);
      return;
    }
    s.active++;
    let finished = false;
    const finish = (err: Error | null, trailers: string[] | null): void => {
      if (finished) return;
      finished = true;
      s.active--;
      if (err) handler.onError(err);
      else handler.onComplete(trailers);
    };
    handler.onConnect((err) => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      finish(err ?? new Error('Request aborted'), null);
    });
    handler.onSocket?.(s.socket);
    // Node passes the fields as a flat [name, value, …] list too: in order, repeats kept,
    // and with no Buffers to make (the frame encoder takes strings).
    stream.on('response', (h: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      if (!handler.onHeaders(Number(h[':status']), withoutPseudo(raw), resume, '')) stream.pause();
    });
    // 1xx heads before the final one (103 Early Hints).
    stream.on('headers', (h: http2.IncomingHttpHeaders, _flags: number, raw: string[]) => {
      const status = Number(h[':status']);
      if (status >= 100 && status < 200) handler.onHeaders(status, withoutPseudo(raw), noop, '');
    });
    const resume = (): void => void stream.resume();
    stream.on('data', (chunk: Buffer) => {
      if (!handler.onData(chunk)) stream.pause();
    });
    let trailers: string[] | null = null;
    stream.on('trailers', (_h: unknown, _flags: number, raw: string[]) => {
      trailers = raw;
    });
    stream.on('end', () => finish(null, trailers));
    stream.on('error', (err) => finish(err, null));
    stream.on('close', () => {
      if (finished) return;
      const code = stream.rstCode ?? 0;
      const name = Object.entries(http2.constants).find(([k, v]) => k.startsWith('NGHTTP2_') && v === code)?.[0] ?? String(code);
      // Named like Node's stream errors, so the replay rules can read it (HTTP_1_1_REQUIRED, REFUSED_STREAM).
      finish(Object.assign(new Error(`Stream closed with error code ${name}${s.closed ? ' after GOAWAY' : ''}`), { code: 'ERR_HTTP2_STREAM_ERROR' }), null);
    });
    if (r.body !== null) void writeBody(stream, r.body, declared);
  }
}

const noop = (): void => {};

/**
 * A stream's options with node:http2's defaults for its priority already in: it copies the
 * object and fills in whatever is missing, which, done per stream on the copy of a
 * one-field object, took several percent of a worker's time.
 */
const NO_BODY_STREAM: http2.ClientSessionRequestOptions = Object.freeze({ endStream: true, weight: http2.constants.NGHTTP2_DEFAULT_WEIGHT, parent: 0, exclusive: false, silent: false });
const BODY_STREAM: http2.ClientSessionRequestOptions = Object.freeze({ ...NO_BODY_STREAM, endStream: false });

/** The fields of a raw header list, without its pseudo-headers (HTTP/2 puts them first). */
function withoutPseudo(raw: string[]): string[] {
  let i = 0;
  while (i < raw.length && raw[i]!.charCodeAt(0) === 58 /* : */) i += 2;
  return i === 0 ? raw : raw.slice(i);
}

/**
 * Sends the body, held to the Content-Length the request declared (if any), as undici holds
 * an HTTP/1.1 body: one that runs over or ends short resets the stream rather than hand the
 * server a request whose framing lies, and fails with undici's error.
 */
async function writeBody(stream: http2.ClientHttp2Stream, body: Buffer | AsyncIterable<Buffer>, declared: number | null): Promise<void> {
  try {
    if (Buffer.isBuffer(body)) {
      if (declared !== null && body.length !== declared) throw lengthMismatch();
      stream.end(body);
      return;
    }
    let sent = 0;
    for await (const chunk of body) {
      sent += chunk.length;
      if (declared !== null && sent > declared) throw lengthMismatch();
      if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
    }
    if (declared !== null && sent !== declared) throw lengthMismatch();
    stream.end();
  } catch (err) {
    stream.destroy(err as Error);
  }
}

export function lengthMismatch(): Error {
  return Object.assign(new Error('Request body length does not match content-length header'), { code: 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH' });
}
