/**
 * DNS over UDP (port 53): one socket per resolver, queries told apart by a random id. A
 * reply counts only if it comes from the server's address and port, carries a pending id
 * and answers the question asked; anything else (a late, spoofed or stray datagram) is
 * ignored. A query is sent again at a third and two thirds of its timeout; an answer with
 * the TC bit set is asked again over TCP, in the time left.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { DnsFailure, encodeQuery, newId, readAnswer, type DnsAnswer, type QueryType } from './message.js';
import { StreamClient } from './stream-client.js';
import { systemLookup } from './system.js';

interface Pending {
  name: string;
  type: QueryType;
  resolve(answer: DnsAnswer): void;
  reject(err: Error): void;
}

export interface UdpServer {
  host: string;
  port: number;
  sourceAddress: string | null;
  /** How the server is named in messages. */
  name: string;
}

export class UdpClient {
  readonly #server: UdpServer;
  readonly #pending = new Map<number, Pending>();
  readonly #tcp: StreamClient;
  #socket: Promise<{ socket: dgram.Socket; address: string }> | null = null;
  #closed = false;

  constructor(server: UdpServer) {
    this.#server = server;
    this.#tcp = new StreamClient(`${server.name} (TCP)`, async () => {
      const { address } = await this.#open();
      const socket = net.connect({ host: address, port: server.port, ...(server.sourceAddress ? { localAddress: server.sourceAddress } : {}) });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return socket;
    });
  }

  async query(name: string, type: QueryType, timeout: number): Promise<DnsAnswer> {
    if (this.#closed) throw new DnsFailure(`resolver ${this.#server.name} is closed`);
    const deadline = performance.now() + timeout;
    const { socket, address } = await this.#open();
    let id = newId();
    while (this.#pending.has(id)) id = newId();
    const message = encodeQuery(id, name, type);
    const answer = await new Promise<DnsAnswer>((resolve, reject) => {
      const send = (): void => socket.send(message, this.#server.port, address, (err) => err && finish(() => reject(new DnsFailure(`cannot send to ${this.#server.name}: ${err.message}`))));
      const timers = [setTimeout(send, timeout / 3), setTimeout(send, (2 * timeout) / 3), setTimeout(() => finish(() => reject(new DnsFailure(`no answer from ${this.#server.name} within ${timeout} ms`))), timeout)];
      const finish = (then: () => void): void => {
        for (const t of timers) clearTimeout(t);
        this.#pending.delete(id);
        then();
      };
      this.#pending.set(id, { name, type, resolve: (a) => finish(() => resolve(a)), reject: (e) => finish(() => reject(e)) });
      send();
    });
    if (!answer.truncated) return answer;
    const left = deadline - performance.now();
    if (left <= 0) throw new DnsFailure(`the answer from ${this.#server.name} was truncated, and no time is left to ask over TCP`);
    return this.#tcp.query(name, type, left);
  }

  close(): void {
    this.#closed = true;
    this.#tcp.close();
    for (const p of this.#pending.values()) p.reject(new DnsFailure(`resolver ${this.#server.name} was closed`));
    const socket = this.#socket;
    this.#socket = null;
    void socket?.then(({ socket: s }) => s.close(), () => {});
  }

  #open(): Promise<{ socket: dgram.Socket; address: string }> {
    if (this.#socket === null) {
      const made = this.#bind();
      // A bind that failed (or a server name that did not resolve) is tried afresh next time.
      made.catch(() => {
        if (this.#socket === made) this.#socket = null;
      });
      this.#socket = made;
    }
    return this.#socket;
  }

  async #bind(): Promise<{ socket: dgram.Socket; address: string }> {
    const { host, port, sourceAddress } = this.#server;
    const address = net.isIP(host) ? host : (await systemLookup(host, 5000))[0]!.address;
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: 0, ...(sourceAddress ? { address: sourceAddress } : {}) }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.unref();
    socket.on('error', () => {}); // send errors reach the query through send's callback
    socket.on('message', (msg: Buffer, from: dgram.RemoteInfo) => {
      if (from.address !== address || from.port !== port || msg.length < 2) return;
      const p = this.#pending.get(msg.readUInt16BE(0));
      if (!p) return;
      try {
        const answer = readAnswer(msg, p.name, p.type, this.#server.name);
        if (answer !== null) p.resolve(answer);
      } catch (err) {
        p.reject(err as Error);
      }
    });
    return { socket, address };
  }
}
