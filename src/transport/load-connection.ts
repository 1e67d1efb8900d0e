/**
 * One HTTP/1.1 connection of `nodequests load`: it writes the plan's request, encoded once
 * for the whole run, and finds the end of each response with a {@link ResponseFramer}, one
 * request at a time, reconnecting when the server closes. Compared with a dispatch through
 * undici's pool (a request object, header validation and a full parse per exchange) this
 * halves the CPU a request costs the generator, which on a machine shared with the server
 * under test is throughput the server gets back.
 *
 * The connection itself comes from the pool a session would use (our connector: TLS, SOCKS,
 * the resolver, the connect timeout), so only the exchange on it is the load generator's.
 */
import type { Socket } from 'node:net';
import { TransportCode } from '../channel/error-codes.js';
import { TransportError } from './error-codes.js';
import { FramingError, ResponseFramer } from './response-framer.js';

/** One request's side of the exchange, as the load generator counts it. */
export interface LoadExchange {
  status: number;
  bytes: number;
  /** Lets the run stop this request (its timeout): the connection drops it. */
  onConnect(abort: (err?: Error) => void): void;
  onComplete(): void;
  onError(err: Error): void;
}

/** Where a connection returns once it can take the next request. */
export interface ConnectionOwner {
  release(connection: LoadConnection): void;
}

/** The bytes of the plan's request: head and body, written as one buffer for every request. */
export function encodeLoadRequest(method: string, url: URL, headers: readonly string[], body: Uint8Array | null): Buffer {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  let host = false;
  let length = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    if (name === 'host') host = true;
    else if (name === 'content-length') length = true;
    head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  }
  if (!host) head = head.replace('\r\n', `\r\nHost: ${url.host}\r\n`);
  // A body is framed by its length; so is an empty POST, PUT or PATCH (RFC 9110 §8.6).
  if (!length && (body !== null || method === 'POST' || method === 'PUT' || method === 'PATCH')) head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  const bytes = Buffer.from(head, 'latin1');
  return body === null || body.length === 0 ? bytes : Buffer.concat([bytes, body]);
}

export class LoadConnection {
  readonly #open: () => Promise<Socket>;
  readonly #request: Buffer;
  readonly #isHead: boolean;
  readonly #origin: string;
  readonly #owner: ConnectionOwner;
  #socket: Socket | null = null;
  #connecting = false;
  #framer: ResponseFramer;
  #current: LoadExchange | null = null;
  #closed = false;

  constructor(open: () => Promise<Socket>, request: Buffer, isHead: boolean, origin: string, owner: ConnectionOwner) {
    this.#open = open;
    this.#request = request;
    this.#isHead = isHead;
    this.#origin = origin;
    this.#owner = owner;
    this.#framer = new ResponseFramer(isHead);
  }

  /** Sends the request for `exchange`; the connection must be free (released). */
  send(exchange: LoadExchange): void {
    this.#current = exchange;
    exchange.onConnect((err) => {
      if (this.#current === exchange) this.#fail(err ?? new TransportError(TransportCode.CONNECTION, `The request to ${this.#origin} was aborted`));
    });
    if (this.#socket !== null) this.#socket.write(this.#request);
    else if (!this.#connecting) this.#connect();
  }

  close(): void {
    this.#closed = true;
    this.#drop();
    const current = this.#current;
    this.#current = null;
    current?.onError(new TransportError(TransportCode.CONNECTION, `The load run ended with a request to ${this.#origin} in flight`));
  }

  #connect(): void {
    this.#connecting = true;
    this.#open().then(
      (socket) => {
        this.#connecting = false;
        if (this.#closed) {
          socket.destroy();
          return;
        }
        this.#socket = socket;
        this.#framer = new ResponseFramer(this.#isHead);
        socket.setNoDelay(true);
        socket.on('data', (chunk: Buffer) => {
          if (socket === this.#socket) this.#read(chunk);
        });
        socket.on('error', (err) => {
          if (socket === this.#socket) this.#fail(err);
        });
        socket.on('close', () => {
          if (socket === this.#socket) this.#closedByPeer();
        });
        if (this.#current !== null) socket.write(this.#request);
      },
      (err: Error) => {
        this.#connecting = false;
        if (!this.#closed) this.#fail(err);
      },
    );
  }

  #read(chunk: Buffer): void {
    let responses;
    try {
      responses = this.#framer.push(chunk);
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    for (const response of responses) {
      const exchange = this.#current;
      // A response nobody asked for (the server answered twice): the connection is not to be trusted.
      if (exchange === null) {
        this.#drop();
        return;
      }
      this.#current = null;
      exchange.status = response.status;
      exchange.bytes = response.bodyBytes;
      if (!response.keepAlive) this.#drop();
      this.#owner.release(this);
      exchange.onComplete();
    }
  }

  /** The server closed: a response read to the close ends here; any other was cut short. */
  #closedByPeer(): void {
    let last;
    try {
      last = this.#framer.end();
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    this.#socket = null;
    const exchange = this.#current;
    if (exchange === null) return;
    this.#current = null;
    if (last !== null) {
      exchange.status = last.status;
      exchange.bytes = last.bodyBytes;
      this.#owner.release(this);
      exchange.onComplete();
    } else {
      this.#owner.release(this);
      exchange.onError(new TransportError(TransportCode.CONNECTION, `Connection to ${this.#origin} closed before it answered`));
    }
  }

  /** The request in flight fails with `err`; the socket goes (a new one comes with the next request). */
  #fail(err: Error): void {
    this.#drop();
    const exchange = this.#current;
    if (exchange === null) return;
    this.#current = null;
    this.#owner.release(this);
    exchange.onError(err instanceof FramingError ? new TransportError(err.inBody ? TransportCode.CHUNKED_ENCODING : TransportCode.CONNECTION, `Malformed response from ${this.#origin}: ${err.message}`) : err);
  }

  #drop(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.destroy();
  }
}
