/**
 * Fills an {@link Exchange} from what a fetch reports, as the engine fills one from frames:
 * the response head as a header block the shared response code reads, body chunks, the end
 * or the error, and a `notify()` after each.
 */
import { BinaryWriter } from '../channel/binary.js';
import { encodeHeaderBlock } from '../channel/frames.js';
import type { TransportCode } from '../channel/error-codes.js';
import type { Exchange } from '../engine/exchange.js';
import { errorFromCode, type RequestException } from '../errors.js';
import type { CallSink, SocketClose, WireHead } from './fetch-call.js';

/** Arrival order of heads and ends across every exchange, for `gather`'s completion order. */
let arrivals = 0;
const writer = new BinaryWriter(1024);

/** The browser does not tell which HTTP version carried a response. */
const UNKNOWN_VERSION = 11;

/**
 * A WebSocket's or an event stream's side of an exchange: once its head is in, the response
 * is complete for the flow and what follows goes to `r.extension` instead of the body.
 */
export interface InboundStream {
  /** The head is in: attach the extension to `ex`; false when this response is not a stream (its body follows as usual). */
  attach(ex: Exchange): boolean;
  chunk(bytes: Uint8Array, flags: number): void;
  end(error: RequestException | null, close?: SocketClose): void;
}

/** `done` is called once no more will come (the end or an error). */
export function exchangeSink(ex: Exchange, done: () => void, stream: InboundStream | null = null): CallSink {
  let streaming = false;
  return {
    head(head) {
      fillHead(ex, head);
      const body = ex.request.body;
      if (body !== null && ex.onEvent) ex.onEvent('upload', body instanceof Uint8Array ? body.length : (body.length ?? 0));
      if (stream?.attach(ex)) {
        streaming = true;
        fillEnd(ex);
      }
      ex.notify();
    },
    body(bytes, flags = 0) {
      if (streaming) return stream!.chunk(bytes, flags);
      fillBody(ex, bytes);
      ex.notify();
    },
    end(close) {
      done();
      if (streaming) return stream!.end(null, close);
      fillEnd(ex);
      ex.notify();
    },
    fail(code, message) {
      done();
      if (streaming) return stream!.end(errorFromCode(code, message, { request: ex.request }));
      fillError(ex, code, message);
      ex.notify();
    },
  };
}

export function fillHead(ex: Exchange, head: WireHead): void {
  const flat: string[] = [];
  for (const [name, value] of head.headers) flat.push(name, value);
  encodeHeaderBlock(writer.reset(), flat);
  ex.head = {
    status: head.status,
    httpVersion: UNKNOWN_VERSION,
    statusText: head.statusText,
    headerBlock: Buffer.from(writer.view),
    flags: 0,
    requestSent: -1,
    firstByte: -1,
    connection: null,
    bodyLength: -1,
  };
  // Only a redirect the browser followed changes it (and the request's URL keeps its fragment).
  if (head.url !== ex.request.url) ex.finalUrl = head.url;
  ex.headAt = performance.now();
  ex.headSeq = ++arrivals;
}

export function fillBody(ex: Exchange, bytes: Uint8Array): void {
  ex.receive(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.byteLength);
  ex.onEvent?.('download', ex.receivedBytes);
}

export function fillEnd(ex: Exchange): void {
  ex.end(null);
  ex.doneSeq = ++arrivals;
}

export function fillError(ex: Exchange, code: TransportCode | string, message: string): void {
  if (ex.done) return;
  ex.error = errorFromCode(code, message, { request: ex.request });
  ex.doneSeq = ++arrivals;
}
