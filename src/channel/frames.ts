/**
 * Every frame that crosses the channel, with its binary layout. This is the whole protocol
 * between the main thread and a transport worker: if a message is not here, it does not
 * cross.
 *
 * A frame is a 16-byte header (see ring.ts) and a payload. `stream` names the request
 * (ids are unique per engine); `aux` carries one number where a frame needs one.
 * Numbers are little-endian; `str16`/`str32` are a u16/u32 byte length then the bytes.
 */
import { BinaryReader, BinaryWriter } from './binary.js';

export const FRAME_HEADER_BYTES = 16;

export const FrameType = {
  /** Filler at the end of the ring; never seen by a visitor. */
  PAD: 0,

  // ---- main → worker --------------------------------------------------------------
  /** aux = session id. Payload: JSON of TransportSessionConfig. Precedes its first REQUEST. */
  SESSION_OPEN: 1,
  /** aux = session id. Close that session's pools; its streams are already ended. */
  SESSION_CLOSE: 2,
  /** aux = session id. Payload: {@link RequestHead}, then the inline body if flagged. */
  REQUEST: 3,
  /** aux = session id; stream = a reply id. Asks for the session's pool stats (POOL_STATS). */
  STATS: 7,
  /** The engine is shutting down: the host leaves its wait loop before the thread is ended. */
  SHUTDOWN: 8,
  /** Payload: body bytes. Flag END_STREAM on the last one (which may be empty). */
  REQUEST_BODY: 4,
  /** Abort the stream; the worker answers with RESPONSE_ERROR unless it already ended. */
  CANCEL: 5,
  /**
   * aux = bytes the consumer has taken off a windowed response: the worker may send more.
   * A windowed response starts with its window shut; the first CREDIT opens it and says, in
   * its flags, how the body is wanted (CreditFlag).
   */
  CREDIT: 6,
  /**
   * A piece of a WebSocket message to send. Flags: MessageFlag (BINARY on every piece, FIN
   * on the last). The worker grants UPLOAD_CREDIT for it once it is written to the socket.
   */
  WS_SEND: 9,
  /** A WebSocket ping. Payload: its application data (at most 125 bytes). */
  WS_PING: 10,
  /** Start the WebSocket closing handshake. aux = the close code; payload: the reason (utf8). */
  WS_CLOSE: 11,

  // ---- worker → main --------------------------------------------------------------
  /**
   * Payload: {@link ResponseHead}. Flags: HeadFlag (so unremarkable heads need no parsing).
   * aux = the id of the connection it came on (see CONNECTION), 0 when unknown.
   */
  RESPONSE_HEAD: 16,
  /** Payload: decoded body bytes. */
  RESPONSE_BODY: 17,
  /** The body is complete. Payload: trailers as a header block, or none when there were none. */
  RESPONSE_END: 18,
  /** The stream failed. Payload: str16 error code, str32 message (utf8). Ends the stream. */
  RESPONSE_ERROR: 19,
  /** aux = request-body bytes the worker has handed to the socket: the producer may send more. */
  UPLOAD_CREDIT: 20,
  /** The worker is exiting. Payload: str32 reason. Every stream of this worker is lost. */
  WORKER_EXIT: 21,
  /** An informational (1xx) response. Payload: {@link ResponseHead}. */
  RESPONSE_INFO: 22,
  /** stream = the reply id of a STATS. Payload: JSON array of PoolStats. */
  POOL_STATS: 23,
  /**
   * stream = a connection id (per worker), sent once, before the first head that came on it.
   * Payload: JSON of a ConnectionInfo (transport/connector.ts).
   */
  CONNECTION: 24,
  /**
   * A piece of a received WebSocket message (a message larger than a frame comes in several).
   * Flags: MessageFlag. The consumer acknowledges it with CREDIT as it takes messages.
   */
  WS_MESSAGE: 25,
  /**
   * The WebSocket closed (the handshake finished, or the connection went). aux = the code the
   * peer sent (1005: none, 1006: the connection dropped without one); payload: its reason.
   * Ends the stream.
   */
  WS_CLOSED: 26,
  /**
   * What an app called in a worker threw (Session's `app` option), before the 500 head it
   * answers with. Payload: JSON of `{ name, message, stack }`.
   */
  APP_ERROR: 27,
} as const;

/** WS_SEND / WS_MESSAGE flag bits. */
export const MessageFlag = {
  /** A binary message (text otherwise: UTF-8). */
  BINARY: 1,
  /** The last piece of the message. */
  FIN: 2,
} as const;

export const FrameFlag = {
  /** REQUEST_BODY: the last chunk of the body. */
  END_STREAM: 1,
} as const;

/** RESPONSE_HEAD flag bits: what the main thread's policy must look at in the headers. */
export const HeadFlag = {
  SET_COOKIE: 1,
  ALT_SVC: 2,
} as const;

/** CREDIT flag bits (read on the first CREDIT of a stream only). */
export const CreditFlag = {
  /** Deliver the body as received, without Content-Encoding decoding (`r.raw`). */
  RAW: 1,
  /** Drop the window: send the whole body as fast as it comes (a redirect hop's body). */
  UNBOUNDED: 2,
} as const;

/** REQUEST flag bits. */
export const RequestFlag = {
  /** The consumer streams the body: the worker keeps at most a window of it unacknowledged. */
  WINDOWED: 1,
  /** The whole body follows the head in the REQUEST payload. */
  INLINE_BODY: 2,
  /** A redirect (3xx with a Location) will be followed: its body is only drained, up to a small limit. */
  FOLLOWS_REDIRECTS: 4,
  /** A 401 will be answered (Digest and the like): its body too. */
  ANSWERS_CHALLENGE: 8,
  /**
   * A WebSocket or an event stream: the read timeout applies until the head only (a quiet
   * stream is not a failure; the consumer's own wait has the timeout), and the body may
   * last for as long as the consumer wants it.
   */
  LONG_LIVED: 16,
} as const;

/** Body length sentinels for {@link RequestHead.bodyLength}. */
export const BODY_NONE = -1;
export const BODY_UNKNOWN = -2;

export const HttpVersionCode = { 'HTTP/1.0': 10, 'HTTP/1.1': 11, 'HTTP/2': 20, 'HTTP/3': 30 } as const;
export type HttpVersion = keyof typeof HttpVersionCode;
export function httpVersionName(code: number): HttpVersion {
  return code === 20 ? 'HTTP/2' : code === 30 ? 'HTTP/3' : code === 10 ? 'HTTP/1.0' : 'HTTP/1.1';
}

/**
 * REQUEST payload:
 * ```
 * f64 connectTimeout  f64 readTimeout  f64 totalTimeout   (ms; 0 = none)
 * f64 bodyLength      (>= 0, or BODY_NONE, BODY_UNKNOWN)
 * f64 maxBodySize     (response body bytes allowed, received and decoded; Infinity = none)
 * u32 flags           (RequestFlag)
 * str16 method (latin1)   str32 url (utf8)
 * u32 count, then count × (str16 name, str32 value) (latin1)
 * str32 tls (JSON of a TlsConfig when it differs from the session's; empty otherwise)
 * str32 proxy (the proxy URL to go through; empty: direct)
 * str32 processor (module specifier#export run on the decoded body in the worker; empty: none)
 * f64 processorTimeout (ms a processor call may run)
 * f64 maxPayload      (the largest WebSocket message taken; Infinity = none)
 * [inline body: the rest of the payload]
 * ```
 */
export interface RequestHead {
  connectTimeout: number;
  readTimeout: number;
  totalTimeout: number;
  bodyLength: number;
  /** The most the response body may be, on the wire and decoded (Infinity: no limit). */
  maxBodySize: number;
  flags: number;
  method: string;
  url: string;
  /** Flat [name, value, name, value, …], the form undici takes; decoded, frozen and shared (see decodeRequestHead). */
  headers: readonly string[];
  /** JSON of this request's TlsConfig, or '' for the session's. */
  tls: string;
  /** The proxy URL, or '' to go direct. */
  proxy: string;
  /**
   * A processor (`specifier#export`) the worker runs on the decoded body of the final
   * response; its result, serialized with v8.serialize, is sent as the body. '' for none.
   */
  processor: string;
  /** How long one processor call may run, ms. */
  processorTimeout: number;
  /** The largest WebSocket message taken, bytes (Infinity: no limit). */
  maxPayload: number;
}

/** What {@link encodeRequestHead} reads: the header fields are only read. */
export type RequestHeadInit = Omit<RequestHead, 'headers'> & { headers: readonly string[] };

// The header block encoded last, with the frozen fields it was encoded from: a session's
// requests mostly carry the very same fields (headers.ts keeps them per version), and a copy
// of their bytes costs less than encoding every name and value again.
let lastFields: readonly string[] | null = null;
let lastBlock: Buffer = Buffer.alloc(0);

export function encodeRequestHead(w: BinaryWriter, h: RequestHeadInit): void {
  w.f64(h.connectTimeout).f64(h.readTimeout).f64(h.totalTimeout).f64(h.bodyLength).f64(h.maxBodySize).u32(h.flags);
  w.str16(h.method, 'latin1').str32(h.url, 'utf8');
  if (h.headers === lastFields) w.raw(lastBlock);
  else {
    const at = w.pos;
    encodeHeaderBlock(w, h.headers);
    if (Object.isFrozen(h.headers)) {
      lastFields = h.headers;
      lastBlock = Buffer.from(w.buf.subarray(at, w.pos));
    }
  }
  w.str32(h.tls, 'utf8').str32(h.proxy, 'utf8').str32(h.processor, 'utf8').f64(h.processorTimeout).f64(h.maxPayload);
}

// The header block decoded last, as bytes and as fields: the requests of a session mostly
// carry the very same block (see encodeRequestHead), and comparing its bytes costs less than
// making a string of every name and value again. The fields are frozen: requests share them.
let lastDecodedBlock: Buffer = Buffer.alloc(0);
let lastDecodedFields: readonly string[] = Object.freeze([]);

function decodeRequestHeaders(r: BinaryReader): readonly string[] {
  const buf = r.buf;
  const start = r.pos;
  // The block's end, from its lengths: count, then (u16 name length, name, u32 value length, value)s.
  let end = start + 4;
  for (let n = buf.readUInt32LE(start); n > 0; n--) {
    end += 2 + buf.readUInt16LE(end);
    end += 4 + buf.readUInt32LE(end);
  }
  if (end - start === lastDecodedBlock.length && buf.compare(lastDecodedBlock, 0, lastDecodedBlock.length, start, end) === 0) {
    r.pos = end;
    return lastDecodedFields;
  }
  const fields = Object.freeze(decodeHeaderBlock(r));
  lastDecodedBlock = Buffer.from(buf.subarray(start, end));
  lastDecodedFields = fields;
  return fields;
}

export function decodeRequestHead(r: BinaryReader): RequestHead {
  return {
    connectTimeout: r.f64(),
    readTimeout: r.f64(),
    totalTimeout: r.f64(),
    bodyLength: r.f64(),
    maxBodySize: r.f64(),
    flags: r.u32(),
    method: r.str16('latin1'),
    url: r.str32('utf8'),
    headers: decodeRequestHeaders(r),
    tls: r.str32('utf8'),
    proxy: r.str32('utf8'),
    processor: r.str32('utf8'),
    processorTimeout: r.f64(),
    maxPayload: r.f64(),
  };
}

/**
 * RESPONSE_HEAD / RESPONSE_INFO payload:
 * ```
 * u16 status  u8 httpVersion (HttpVersionCode)  u8 0
 * f64 requestSent  f64 firstByte   (ms after the worker started the request; -1: unknown)
 * f64 bodyLength   (bytes the body will arrive with; -1: unknown)
 * str16 statusText (latin1)
 * u32 count, then count × (str16 name, str32 value) (latin1)   — the raw header block
 * ```
 * The main thread keeps the header block as bytes and parses it only if it is read.
 */
export interface ResponseHead {
  status: number;
  httpVersion: number;
  requestSent: number;
  firstByte: number;
  statusText: string;
  /**
   * The length the body will arrive with, when the worker knows it (a Content-Length and no
   * decoding); -1 otherwise. A body read whole then goes into one buffer of that size.
   */
  bodyLength: number;
  /** Flat [name, value, …] as received. */
  headers: Array<string | Buffer>;
}

export function encodeResponseHead(w: BinaryWriter, h: ResponseHead): void {
  w.u16(h.status).u8(h.httpVersion).u8(0).f64(h.requestSent).f64(h.firstByte).f64(h.bodyLength).str16(h.statusText, 'latin1');
  encodeHeaderBlock(w, h.headers);
}

/** Reads the fixed part; the header block that follows is kept as bytes and parsed lazily. */
export function decodeResponseHeadFixed(r: BinaryReader): { status: number; httpVersion: number; requestSent: number; firstByte: number; bodyLength: number; statusText: string } {
  const status = r.u16();
  const httpVersion = r.u8();
  r.u8();
  const requestSent = r.f64();
  const firstByte = r.f64();
  const bodyLength = r.f64();
  return { status, httpVersion, requestSent, firstByte, bodyLength, statusText: r.str16('latin1') };
}

export function encodeHeaderBlock(w: BinaryWriter, flat: ReadonlyArray<string | Buffer>): void {
  w.u32(flat.length >>> 1);
  for (let i = 0; i < flat.length; i += 2) w.bytes16(flat[i]!).bytes32(flat[i + 1]!);
}

export function decodeHeaderBlock(r: BinaryReader): string[] {
  const n = r.u32();
  const out = new Array<string>(n * 2);
  for (let i = 0; i < n * 2; i += 2) {
    out[i] = r.str16('latin1');
    out[i + 1] = r.str32('latin1');
  }
  return out;
}

/** RESPONSE_ERROR payload. */
export function encodeError(w: BinaryWriter, code: string, message: string): void {
  w.str16(code, 'latin1').str32(message, 'utf8');
}

export function decodeError(r: BinaryReader): { code: string; message: string } {
  return { code: r.str16('latin1'), message: r.str32('utf8') };
}
