/**
 * DNS over a stream (RFC 7766 framing: a two-byte length before each message), for DoT and
 * for DoU's answers that came back truncated. One connection, kept open and shared by every
 * query (pipelined, answers matched by id, in whatever order they come); a connection that
 * closes under queries is made again once for them (a server closes idle connections, and a
 * query may cross that close).
 */
import type { Socket } from 'node:net';
import { DnsFailure, encodeQuery, newId, readAnswer, type DnsAnswer, type QueryType } from './message.js';

interface Pending {
  name: string;
  type: QueryType;
  frame: Buffer;
  retried: boolean;
  resolve(answer: DnsAnswer): void;
  reject(err: Error): void;
}

export class StreamClient {
  readonly #server: string;
  readonly #connect: () => Promise<Socket>;
  readonly #pending = new Map<number, Pending>();
  #socket: Promise<Socket> | null = null;
  #closed = false;

  /** `server`: how the server is named in messages; `connect`: a new connection to it. */
  constructor(server: string, connect: () => Promise<Socket>) {
    this.#server = server;
    this.#connect = connect;
  }

  query(name: string, type: QueryType, timeout: number): Promise<DnsAnswer> {
    if (this.#closed) return Promise.reject(new DnsFailure(`resolver ${this.#server} is closed`));
    let id = newId();
    while (this.#pending.has(id)) id = newId();
    const message = encodeQuery(id, name, type);
    const frame = Buffer.allocUnsafe(message.length + 2);
    frame.writeUInt16BE(message.length, 0);
    message.copy(frame, 2);
    return new Promise<DnsAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new DnsFailure(`no answer from ${this.#server} within ${timeout} ms`));
      }, timeout);
      const done = (): void => {
        clearTimeout(timer);
        this.#pending.delete(id);
      };
      const p: Pending = {
        name,
        type,
        frame,
        retried: false,
        resolve: (a) => (done(), resolve(a)),
        reject: (e) => (done(), reject(e)),
      };
      this.#pending.set(id, p);
      this.#send(p);
    });
  }

  close(): void {
    this.#closed = true;
    const socket = this.#socket;
    this.#socket = null;
    void socket?.then((s) => s.destroy(), () => {});
    for (const p of this.#pending.values()) p.reject(new DnsFailure(`resolver ${this.#server} was closed`));
  }

  #send(p: Pending): void {
    this.#connection().then(
      (socket) => socket.write(p.frame),
      (err: Error) => p.reject(new DnsFailure(`cannot reach ${this.#server}: ${err.message}`)),
    );
  }

  #connection(): Promise<Socket> {
    if (this.#socket) return this.#socket;
    const made = this.#connect().then((socket) => {
      socket.unref();
      let buffered: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const end = 2 + buffered.readUInt16BE(0);
          this.#receive(buffered.subarray(2, end));
          buffered = buffered.subarray(end);
        }
      });
      let gone = false;
      const lost = (err?: Error): void => {
        if (gone) return;
        gone = true;
        if (this.#socket === made) this.#socket = null;
        socket.destroy();
        // Queries it carried go once more on a new connection: the server may have closed an idle one as they crossed.
        for (const p of [...this.#pending.values()]) {
          if (p.retried || this.#closed) p.reject(new DnsFailure(`connection to ${this.#server} closed before it answered${err ? ` (${err.message})` : ''}`));
          else {
            p.retried = true;
            this.#send(p);
          }
        }
      };
      socket.on('error', lost);
      socket.on('close', () => lost());
      return socket;
    });
    made.catch(() => {
      if (this.#socket === made) this.#socket = null;
    });
    this.#socket = made;
    return made;
  }

  #receive(message: Buffer): void {
    if (message.length < 2) return;
    const p = this.#pending.get(message.readUInt16BE(0));
    if (!p) return; // an answer to a query that timed out
    try {
      const answer = readAnswer(message, p.name, p.type, this.#server);
      if (answer === null) p.reject(new DnsFailure(`${this.#server} answered another question than ${p.name} ${p.type}`));
      else p.resolve(answer);
    } catch (err) {
      p.reject(err as Error);
    }
  }
}
