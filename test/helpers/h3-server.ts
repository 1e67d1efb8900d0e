/**
 * A small HTTP/3 server for the tests: @matrixai/quic's server side, with our own framing
 * and QPACK (from dist) on top. Each request is answered by `handler`, which returns a
 * status, headers and body (or says to reset the stream).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { FrameKind, FrameReader, StreamKind, Setting, encodeFrame, encodeSettings, encodeVarint } from '../../dist/src/transport/h3/frames.js';
import { decodeFieldSection, encodeFieldSection } from '../../dist/src/transport/h3/qpack.js';

export interface H3Request {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface H3Answer {
  status?: number;
  headers?: Record<string, string>;
  /** The body, or chunks written one by one. */
  body?: Buffer | string | Buffer[];
  /** Reset the stream with this HTTP/3 error code instead of answering (after the head if `afterHead`). */
  reset?: number;
  afterHead?: boolean;
}

export interface H3Server {
  port: number;
  /** Requests seen, and the most in flight at once. */
  seen: H3Request[];
  maxConcurrent: number;
  /** QUIC connections accepted. */
  connections: number;
  close(): Promise<void>;
}

export async function startH3Server(o: {
  cert: string;
  key: string;
  handler: (req: H3Request) => H3Answer | Promise<H3Answer>;
  /** The bidirectional streams the client may open at once (QUIC's MAX_STREAMS). */
  maxStreams?: number;
  /** Require a client certificate signed by this CA (PEM). */
  clientCa?: string;
}): Promise<H3Server> {
  const { QUICServer, events } = await import('@matrixai/quic');
  const { default: Logger, LogLevel } = await import('@matrixai/logger');
  const key = randomBytes(32);
  const server = new QUICServer({
    crypto: {
      key: key.buffer.slice(key.byteOffset, key.byteOffset + 32),
      ops: {
        sign: async (k: ArrayBuffer, data: ArrayBuffer) => toArrayBuffer(createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest()),
        verify: async (k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer) => {
          const want = createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
          return want.length === sig.byteLength && timingSafeEqual(want, Buffer.from(sig));
        },
      },
    },
    config: {
      cert: o.cert,
      key: o.key,
      applicationProtos: ['h3'],
      ...(o.clientCa === undefined ? { verifyPeer: false } : { verifyPeer: true, ca: o.clientCa }),
      initialMaxStreamsBidi: o.maxStreams ?? 100,
      readableChunkSize: 64 * 1024,
    },
    reasonToCode: (_type: string, reason: unknown) => (typeof reason === 'number' ? reason : 0x102),
    logger: new Logger('h3-test-server', LogLevel.SILENT),
  });
  const state: H3Server = { port: 0, seen: [], maxConcurrent: 0, connections: 0, close: async () => {} };
  let running = 0;
  server.addEventListener(events.EventQUICServerConnection.name, (evt: any) => {
    const conn = evt.detail;
    state.connections++;
    const control = conn.newStream('uni');
    const w = control.writable.getWriter();
    void w.write(Buffer.concat([encodeVarint(StreamKind.CONTROL), encodeSettings([[Setting.QPACK_MAX_TABLE_CAPACITY, 0]])])).catch(() => {});
    conn.addEventListener(events.EventQUICConnectionStream.name, (e: any) => {
      const stream = e.detail;
      if (stream.type === 'uni') {
        void drain(stream.readable);
        return;
      }
      running++;
      state.maxConcurrent = Math.max(state.maxConcurrent, running);
      void serve(stream, o.handler, state).finally(() => running--);
    });
  });
  await server.start({ host: '127.0.0.1', port: 0 });
  state.port = server.port;
  state.close = () => server.stop({ force: true });
  return state;
}

async function serve(stream: any, handler: (req: H3Request) => H3Answer | Promise<H3Answer>, state: H3Server): Promise<void> {
  const fields: string[] = [];
  const body: Buffer[] = [];
  const reader = new FrameReader({
    frame: (type, payload) => {
      if (type === FrameKind.HEADERS) fields.push(...decodeFieldSection(payload));
    },
    data: (chunk) => body.push(Buffer.from(chunk)),
  });
  try {
    for await (const chunk of stream.readable) reader.push(Buffer.from(chunk));
  } catch {
    return;
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) headers[fields[i]!] = fields[i + 1]!;
  const req: H3Request = { method: headers[':method']!, path: headers[':path']!, headers, body: Buffer.concat(body) };
  state.seen.push(req);
  const answer = await handler(req);
  const w = stream.writable.getWriter();
  try {
    if (answer.reset !== undefined && !answer.afterHead) {
      await w.abort(answer.reset);
      return;
    }
    const head: Array<[string, string]> = [[':status', String(answer.status ?? 200)], ...Object.entries(answer.headers ?? {})];
    await w.write(encodeFrame(FrameKind.HEADERS, encodeFieldSection(head)));
    if (answer.reset !== undefined) {
      await w.abort(answer.reset);
      return;
    }
    const chunks = Array.isArray(answer.body) ? answer.body : answer.body === undefined ? [] : [Buffer.from(answer.body)];
    for (const c of chunks) await w.write(encodeFrame(FrameKind.DATA, c));
    await w.close();
  } catch {
    // the client went away
  }
}

async function drain(readable: ReadableStream<Uint8Array>): Promise<void> {
  try {
    for await (const _ of readable as any);
  } catch {
    // closed with the connection
  }
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
